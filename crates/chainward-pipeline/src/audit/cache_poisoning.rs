//! `cache-poisoning`: a job that publishes artifacts (in a workflow triggered by releases,
//! tag pushes or pushes to release branches, or a job that runs a known publishing action)
//! restores a GitHub Actions cache. Any workflow with a `GITHUB_TOKEN` — a pull request's
//! included — can write cache entries, so a poisoned entry reaches what is shipped (Adnan
//! Khan, "The Monsters in Your Build Cache", 2024). Follows zizmor's `cache-poisoning`: which
//! actions cache, through which input and with which default; the tag-push heuristic for
//! cache toggles written as `${{ startsWith(github.ref, 'refs/tags/') }}`; severity high,
//! confidence low.

use chainward_gha::{Expr, ExprKind, Job, RepositoryUses, Step, Uses, Workflow, if_statically_false, parse_expression};
use chainward_yaml::Node;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "cache-poisoning",
    description: "runtime artifacts potentially vulnerable to a cache poisoning attack",
    doc: "# cache-poisoning\n\nFlags steps that restore a GitHub Actions cache in jobs that publish artifacts: \
          workflows triggered by `release`, by tag pushes or by pushes to release branches, and jobs that run \
          a publishing action (PyPI, GitHub releases, container registries, cloud deployments). Cache entries \
          can be written by any workflow run with a token, including ones for pull requests, so a poisoned \
          entry can end up in a release.\n\nDisable the cache in publishing jobs (`cache: false`, \
          `lookup-only: true`, …), or build the release from a clean state. A cache toggle written as \
          `${{ !startsWith(github.ref, 'refs/tags/') }}` is understood in workflows triggered only by tags \
          and releases.\n",
};

pub(super) struct CachePoisoning;

/// Whether a control input turns the behaviour on (`cache: true`) or off (`lookup-only: true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Toggle {
    OptIn,
    OptOut,
}

/// How the control input's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldType {
    /// `true`/`false`; any other literal counts as true (actions coerce it so).
    Boolean,
    /// Any non-empty value (e.g. setup-python's `cache: pip`).
    FreeString,
    /// One of these values.
    Exact(&'static [&'static str]),
}

/// When a configurable action does what the coordinate describes.
#[derive(Debug, Clone, Copy)]
enum Control {
    /// One input; `default_on` when omitting it satisfies the control.
    Field {
        toggle: Toggle,
        name: &'static str,
        ty: FieldType,
        default_on: bool,
    },
    /// The action's version (from a tag ref, or a `# vX.Y.Z` comment after a SHA) is below.
    VersionBelow(u64, u64, u64),
    All(&'static [Control]),
    Any(&'static [Control]),
}

const fn field(toggle: Toggle, name: &'static str, ty: FieldType, default_on: bool) -> Control {
    Control::Field { toggle, name, ty, default_on }
}

/// An action, by `owner/repo[/path]`, and what makes it cache (`None`: it always does).
struct Coordinate {
    owner: &'static str,
    repo: &'static str,
    path: Option<&'static str>,
    control: Option<Control>,
}

const fn action(owner: &'static str, repo: &'static str, control: Option<Control>) -> Coordinate {
    Coordinate { owner, repo, path: None, control }
}

use FieldType::{Boolean, Exact, FreeString};
use Toggle::{OptIn, OptOut};

/// Actions that restore caches, with the input that controls it and its default. Written
/// from each action's `action.yml` inputs, following the set zizmor checks.
const CACHE_AWARE: &[Coordinate] = &[
    action("actions", "cache", Some(field(OptOut, "lookup-only", Boolean, true))),
    action("actions", "setup-java", Some(field(OptIn, "cache", FreeString, false))),
    action("actions", "setup-go", Some(field(OptIn, "cache", Boolean, true))),
    // setup-node caches for the package managers it knows, and since v5 by default through
    // `package-manager-cache`.
    action(
        "actions",
        "setup-node",
        Some(Control::Any(&[
            field(OptIn, "cache", Exact(&["npm", "yarn", "pnpm"]), false),
            field(OptIn, "package-manager-cache", Boolean, true),
        ])),
    ),
    action("actions", "setup-python", Some(field(OptIn, "cache", FreeString, false))),
    action("actions", "setup-dotnet", Some(field(OptIn, "cache", Boolean, false))),
    // setup-uv: `enable-cache: true` always caches; before v10 the default (`auto`) and any
    // other non-false value cache too.
    action(
        "astral-sh",
        "setup-uv",
        Some(Control::Any(&[
            field(OptIn, "enable-cache", Exact(&["true"]), false),
            Control::All(&[Control::VersionBelow(10, 0, 0), field(OptIn, "enable-cache", Boolean, true)]),
        ])),
    ),
    action("Swatinem", "rust-cache", Some(field(OptOut, "lookup-only", Boolean, true))),
    action("ruby", "setup-ruby", Some(field(OptIn, "bundler-cache", Boolean, false))),
    action("PyO3", "maturin-action", Some(field(OptIn, "sccache", Boolean, false))),
    action("mlugg", "setup-zig", Some(field(OptIn, "use-cache", Boolean, true))),
    action("oven-sh", "setup-bun", Some(field(OptOut, "no-cache", Boolean, true))),
    action("DeterminateSystems", "magic-nix-cache-action", Some(field(OptIn, "use-gha-cache", Boolean, true))),
    action("graalvm", "setup-graalvm", Some(field(OptIn, "cache", FreeString, false))),
    Coordinate {
        owner: "gradle",
        repo: "actions",
        path: Some("setup-gradle"),
        control: Some(field(OptOut, "cache-disabled", Boolean, true)),
    },
    // setup-buildx caches the buildx binary only when a version to download is given.
    action(
        "docker",
        "setup-buildx-action",
        Some(Control::All(&[field(OptIn, "cache-binary", Boolean, true), field(OptIn, "version", FreeString, false)])),
    ),
    action("actions-rust-lang", "setup-rust-toolchain", Some(field(OptIn, "cache", Boolean, true))),
    action("Mozilla-Actions", "sccache-action", None),
    action("nix-community", "cache-nix-action", None),
    action("jdx", "mise-action", Some(field(OptIn, "cache", Boolean, true))),
    action("ramsey", "composer-install", Some(field(OptOut, "ignore-cache", Exact(&["yes", "true", "1"]), true))),
    action("awalsh128", "cache-apt-pkgs-action", None),
];

/// Actions that publish what a job built (package indexes, GitHub releases, registries,
/// cloud deployments), following the set zizmor checks.
const PUBLISHERS: &[Coordinate] = &[
    action("pypa", "gh-action-pypi-publish", None),
    action("rubygems", "release-gem", None),
    action("jreleaser", "release-action", None),
    action("goreleaser", "goreleaser-action", None),
    action("softprops", "action-gh-release", None),
    action("release-drafter", "release-drafter", None),
    action("googleapis", "release-please-action", None),
    action("docker", "build-push-action", Some(field(OptIn, "push", Boolean, true))),
    action("redhat-actions", "push-to-registry", None),
    action("aws-actions", "amazon-ecs-deploy-task-definition", None),
    action("aws-actions", "aws-cloudformation-github-deploy", None),
    action("Azure", "aci-deploy", None),
    action("Azure", "container-apps-deploy-action", None),
    action("Azure", "functions-action", None),
    action("Azure", "sql-action", None),
    action("cloudflare", "wrangler-action", None),
    action("google-github-actions", "deploy-appengine", None),
    action("google-github-actions", "deploy-cloudrun", None),
    action("google-github-actions", "deploy-cloud-functions", None),
];

/// What decided a control's result: shown as related locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// An omitted input whose default decided.
    Default,
    /// An input as written.
    Input(&'static str),
    /// The action's version.
    UsesRef,
    /// `with:` is one expression.
    WithExpression,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Eval {
    Satisfied(Vec<Origin>),
    NotSatisfied(Vec<Origin>),
    /// Depends on an expression or an unknown version.
    Conditional(Vec<Origin>),
}

fn merge(mut a: Vec<Origin>, b: Vec<Origin>) -> Vec<Origin> {
    for o in b {
        if !a.contains(&o) {
            a.push(o);
        }
    }
    a
}

impl Eval {
    fn and(self, rhs: Eval) -> Eval {
        use Eval::*;
        match (self, rhs) {
            (NotSatisfied(a), NotSatisfied(b)) => NotSatisfied(merge(a, b)),
            (NotSatisfied(a), _) | (_, NotSatisfied(a)) => NotSatisfied(a),
            (Conditional(a), Conditional(b)) => Conditional(merge(a, b)),
            (Conditional(a), Satisfied(_)) | (Satisfied(_), Conditional(a)) => Conditional(a),
            (Satisfied(a), Satisfied(b)) => Satisfied(merge(a, b)),
        }
    }

    fn or(self, rhs: Eval) -> Eval {
        use Eval::*;
        match (self, rhs) {
            (Satisfied(a), Satisfied(b)) => Satisfied(merge(a, b)),
            (Satisfied(a), _) | (_, Satisfied(a)) => Satisfied(a),
            (Conditional(a), Conditional(b)) => Conditional(merge(a, b)),
            (Conditional(a), NotSatisfied(_)) | (NotSatisfied(_), Conditional(a)) => Conditional(a),
            (NotSatisfied(a), NotSatisfied(b)) => NotSatisfied(merge(a, b)),
        }
    }
}

/// A step's `with:` as the audit sees it.
enum With<'a> {
    Inputs(&'a [(Node, Node)]),
    Expression,
}

/// `${{ … }}` written exactly (no surrounding text), as zizmor's fenced check.
fn fenced(s: &str) -> Option<&str> {
    s.strip_prefix("${{").and_then(|e| e.strip_suffix("}}"))
}

/// The text of an input's value as the action receives it (`null` is empty).
fn input_text(node: &Node) -> Option<&str> {
    if node.is_null() { Some("") } else { node.as_str() }
}

/// `vX[.Y[.Z]]`.
fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let digits = s.strip_prefix('v').unwrap_or(s);
    let mut parts = digits.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() || digits.split('.').any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    Some((major, minor, patch))
}

/// The version a `# v1.2.3` / `# tag: v1.2.3` comment names (one word after the prefix).
fn version_from_comment(comment: &str) -> Option<(u64, u64, u64)> {
    let body = comment.strip_prefix('#')?.trim_start();
    let mut word = body;
    for prefix in ["tag", "version", "ver"] {
        if let Some(rest) = body.strip_prefix(prefix) {
            let rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix([':', '=']) {
                word = after.trim_start();
                break;
            }
        }
    }
    if word.is_empty() || word.contains(char::is_whitespace) {
        return None;
    }
    parse_version(word)
}

/// The version of a `uses:`: its tag, or for a SHA pin the comment after it on its line.
fn uses_version(step: &Step<'_>, uses: &RepositoryUses, out: &Sink<'_>) -> Option<(u64, u64, u64)> {
    if !uses.is_commit_pinned() {
        return parse_version(uses.git_ref.as_deref()?);
    }
    let node = step.get("uses")?;
    let doc = out.doc();
    let rest = doc.source().get(node.span.end.byte..)?;
    let line = rest.lines().next()?;
    let hash = line.find('#')?;
    version_from_comment(line.get(hash..)?.trim_end())
}

impl Control {
    fn eval(&self, inputs: &[(Node, Node)], version: Option<(u64, u64, u64)>) -> Eval {
        match self {
            Control::VersionBelow(a, b, c) => match version {
                None => Eval::Conditional(vec![Origin::UsesRef]),
                Some(v) if v < (*a, *b, *c) => Eval::Satisfied(vec![Origin::UsesRef]),
                Some(_) => Eval::NotSatisfied(vec![Origin::UsesRef]),
            },
            Control::Field { toggle, name, ty, default_on } => {
                let Some((_, value)) = inputs.iter().find(|(k, _)| k.as_str() == Some(name)) else {
                    return if *default_on {
                        Eval::Satisfied(vec![Origin::Default])
                    } else {
                        Eval::NotSatisfied(vec![Origin::Default])
                    };
                };
                let text = input_text(value);
                let on = match (ty, text) {
                    (_, None) => None,
                    (Boolean, Some("true")) => Some(true),
                    (Boolean, Some("false")) => Some(false),
                    // An expression could go either way; any other literal is coerced to
                    // true by the actions that read it (pessimistically, as zizmor).
                    (Boolean, Some(t)) => fenced(t).is_none().then_some(true),
                    (FreeString, Some(t)) => Some(!t.is_empty()),
                    (Exact(values), Some(t)) => fenced(t).is_none().then(|| values.contains(&t)),
                };
                let origins = vec![Origin::Input(name)];
                match (on, toggle) {
                    (None, _) => Eval::Conditional(origins),
                    (Some(true), Toggle::OptIn) | (Some(false), Toggle::OptOut) => Eval::Satisfied(origins),
                    (Some(false), Toggle::OptIn) | (Some(true), Toggle::OptOut) => Eval::NotSatisfied(origins),
                }
            }
            Control::All(all) => {
                all.iter().fold(Eval::Satisfied(Vec::new()), |acc, c| acc.and(c.eval(inputs, version)))
            }
            Control::Any(any) => {
                any.iter().fold(Eval::NotSatisfied(Vec::new()), |acc, c| acc.or(c.eval(inputs, version)))
            }
        }
    }
}

/// How a step uses what a coordinate describes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Usage {
    Enabled(Vec<Origin>),
    Conditional(Vec<Origin>),
    Always,
}

impl Coordinate {
    fn matches(&self, uses: &RepositoryUses) -> bool {
        uses.owner.eq_ignore_ascii_case(self.owner)
            && uses.repo.eq_ignore_ascii_case(self.repo)
            && uses.subpath.as_deref() == self.path
    }

    fn usage(&self, step: &Step<'_>, out: &Sink<'_>) -> Option<Usage> {
        let Some(Uses::Repository(uses)) = step.uses() else { return None };
        if !self.matches(&uses) {
            return None;
        }
        let Some(control) = &self.control else { return Some(Usage::Always) };
        let with = match step.get("with") {
            None => With::Inputs(&[]),
            Some(w) => match (w.as_mapping(), w.as_str()) {
                (Some(entries), _) => With::Inputs(entries),
                (_, Some(s)) if fenced(s.trim()).is_some() => With::Expression,
                (_, _) if w.is_null() => With::Inputs(&[]),
                _ => return None,
            },
        };
        let With::Inputs(inputs) = with else { return Some(Usage::Conditional(vec![Origin::WithExpression])) };
        match control.eval(inputs, uses_version(step, &uses, out)) {
            Eval::Satisfied(o) => Some(Usage::Enabled(o)),
            Eval::NotSatisfied(_) => None,
            Eval::Conditional(o) => Some(Usage::Conditional(o)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReleaseTrigger {
    TagPush,
    ReleaseBranchPush,
    ReleaseEvent,
}

/// Triggers generally used to publish: `release`, tag pushes, pushes to `*release*` branches.
fn release_triggers(workflow: &Workflow) -> Vec<ReleaseTrigger> {
    let Some(on) = workflow.on() else { return Vec::new() };
    if let Some(event) = on.as_str() {
        return if event == "release" { vec![ReleaseTrigger::ReleaseEvent] } else { Vec::new() };
    }
    if let Some(events) = on.as_sequence() {
        return if events.iter().any(|e| e.as_str() == Some("release")) {
            vec![ReleaseTrigger::ReleaseEvent]
        } else {
            Vec::new()
        };
    }
    let mut out = Vec::new();
    if let Some(push) = on.get("push").filter(|p| p.as_mapping().is_some()) {
        let present = |k: &str| push.get(k).is_some_and(|v| !v.is_null());
        if present("tags") || present("tags-ignore") {
            out.push(ReleaseTrigger::TagPush);
        }
        let branches: Vec<&str> = match push.get("branches") {
            Some(b) => match (b.as_sequence(), b.as_str()) {
                (Some(seq), _) => seq.iter().filter_map(Node::as_str).collect(),
                (_, Some(s)) => vec![s],
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        if branches.iter().any(|b| b.to_lowercase().contains("release")) {
            out.push(ReleaseTrigger::ReleaseBranchPush);
        }
    }
    if on.get("release").is_some() {
        out.push(ReleaseTrigger::ReleaseEvent);
    }
    out
}

enum Scenario<'a> {
    ReleaseTriggers(Vec<ReleaseTrigger>),
    Publisher(Step<'a>),
}

/// What a cache toggle written as an expression yields in a run for a tag: `true`/`false`,
/// `startsWith(github.ref, 'refs/tags/')`, `github.event_name == 'push' && github.ref_type ==
/// 'tag'` (either order), and their negations. `None` for anything else.
fn value_for_tag_push(e: &Expr) -> Option<bool> {
    let is_ctx = |e: &Expr, name: &str| e.context_pattern().is_some_and(|p| p == name);
    let is_str = |e: &Expr, s: &str| matches!(&e.kind, ExprKind::String(v) if v == s);
    let eq = |e: &Expr, name: &str, value: &str| match &e.kind {
        ExprKind::Binary { op: chainward_gha::BinOp::Eq, left, right } => {
            (is_ctx(left, name) && is_str(right, value)) || (is_ctx(right, name) && is_str(left, value))
        }
        _ => false,
    };
    match &e.kind {
        ExprKind::Bool(b) => Some(*b),
        ExprKind::Not(inner) => value_for_tag_push(inner).map(|v| !v),
        ExprKind::Call { name, args } if name.eq_ignore_ascii_case("startsWith") => match args.as_slice() {
            [r, Expr { kind: ExprKind::String(prefix), .. }]
                if is_ctx(r, "github.ref") && prefix.eq_ignore_ascii_case("refs/tags/") =>
            {
                Some(true)
            }
            _ => None,
        },
        ExprKind::Binary { op: chainward_gha::BinOp::And, left, right } => {
            let push_and_tag = (eq(left, "github.event_name", "push") && eq(right, "github.ref_type", "tag"))
                || (eq(right, "github.event_name", "push") && eq(left, "github.ref_type", "tag"));
            push_and_tag.then_some(true)
        }
        _ => None,
    }
}

/// zizmor's refinement of a conditional usage: in a workflow run only for tags and
/// releases, a boolean cache input written as a recognised expression is decided.
/// `None` when it turns the cache off.
fn refine(coord: &Coordinate, step: &Step<'_>, scenario: &Scenario<'_>, usage: Usage) -> Option<Usage> {
    let Usage::Conditional(origins) = usage else { return Some(usage) };
    let Scenario::ReleaseTriggers(triggers) = scenario else { return Some(Usage::Conditional(origins)) };
    if !triggers.iter().all(|t| matches!(t, ReleaseTrigger::TagPush | ReleaseTrigger::ReleaseEvent)) {
        return Some(Usage::Conditional(origins));
    }
    let Some(Control::Field { toggle, name, ty: Boolean, .. }) = coord.control else {
        return Some(Usage::Conditional(origins));
    };
    let Some(raw) = step.with(name).and_then(Node::as_str) else { return Some(Usage::Conditional(origins)) };
    let Some(value) = fenced(raw).and_then(|e| parse_expression(e).ok()).and_then(|e| value_for_tag_push(&e)) else {
        return Some(Usage::Conditional(origins));
    };
    let enabled = match toggle {
        Toggle::OptIn => value,
        Toggle::OptOut => !value,
    };
    enabled.then_some(Usage::Enabled(origins))
}

/// Steps that can run: a step whose `if:` is statically false never does (zizmor #2059).
fn live_steps<'a>(job: &Job<'a>) -> Vec<Step<'a>> {
    job.steps().into_iter().filter(|s| !s.node.get_str("if").is_some_and(if_statically_false)).collect()
}

impl Audit for CachePoisoning {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn job(&self, workflow: &Workflow, job: &Job<'_>, out: &mut Sink<'_>) {
        if job.is_reusable_call() {
            return;
        }
        let steps = live_steps(job);
        let triggers = release_triggers(workflow);
        let scenario = if !triggers.is_empty() {
            Scenario::ReleaseTriggers(triggers)
        } else {
            match steps.iter().find(|s| PUBLISHERS.iter().any(|p| p.usage(s, out).is_some())) {
                Some(publisher) => Scenario::Publisher(publisher.clone()),
                None => return,
            }
        };
        for step in &steps {
            let Some((coord, usage)) = CACHE_AWARE.iter().find_map(|c| c.usage(step, out).map(|u| (c, u))) else {
                continue;
            };
            let Some(usage) = refine(coord, step, &scenario, usage) else { continue };
            report(step, &scenario, &usage, out);
        }
    }
}

fn report(step: &Step<'_>, scenario: &Scenario<'_>, usage: &Usage, out: &mut Sink<'_>) {
    let uses = step.route.key("uses");
    let (annotation, origins, explicit) = match usage {
        Usage::Always => ("always restores from cache", &[][..], ""),
        Usage::Enabled(o) => {
            let explicit = o.iter().any(|x| matches!(x, Origin::Input(_) | Origin::WithExpression));
            (
                if explicit { "this step" } else { "enables caching by default" },
                o.as_slice(),
                "enables caching explicitly here",
            )
        }
        Usage::Conditional(o) => {
            let a = if o.contains(&Origin::UsesRef) { "action version may enable caching" } else { "this step" };
            (a, o.as_slice(), "may enable caching here")
        }
    };
    let context = match scenario {
        Scenario::ReleaseTriggers(_) => Spot::new(
            chainward_yaml::Route::root().key("on"),
            Focus::Key,
            "generally used when publishing artifacts generated at runtime",
        ),
        Scenario::Publisher(p) => {
            Spot::new(p.route.key("uses"), Focus::Value, "runtime artifacts usually published here")
        }
    };
    let mut draft = Draft::new(Severity::High, Confidence::Low, Spot::new(uses, Focus::Value, annotation))
        .related(context)
        .hidden(Spot::new(step.route.clone(), Focus::Value, ""));
    for origin in origins {
        match origin {
            Origin::Input(name) => {
                draft = draft.related(Spot::new(step.route.key("with").key(*name), Focus::Key, explicit));
            }
            Origin::WithExpression => {
                draft = draft.related(Spot::new(step.route.key("with"), Focus::Key, explicit));
            }
            Origin::Default | Origin::UsesRef => {}
        }
    }
    out.report(draft);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Filter, audit, load};

    fn lines(yaml: &str) -> Vec<usize> {
        let input =
            load("w.yml", std::path::Path::new(".github/workflows/w.yml"), yaml.as_bytes(), &Default::default())
                .unwrap();
        audit(&[input], &Config::default(), &Filter::default())
            .findings
            .iter()
            .filter(|f| f.id == "cache-poisoning")
            .map(|f| f.primary.line)
            .collect()
    }

    #[test]
    fn not_a_publishing_workflow() {
        let y = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-go@v5\n";
        assert!(lines(y).is_empty());
        let y = "on: [push, release]\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-go@v5\n";
        assert_eq!(lines(y), [6]);
        // Branch pushes count only for branches named like releases.
        let y = "on:\n  push:\n    branches: [main]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/cache@v4\n";
        assert!(lines(y).is_empty());
        let y = "on:\n  push:\n    branches: [Release-1]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/cache@v4\n";
        assert_eq!(lines(y), [8]);
    }

    #[test]
    fn publisher_disabled_or_skipped() {
        // build-push-action with `push: false` publishes nothing.
        let y = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/cache@v4\n      - uses: docker/build-push-action@v6\n        with:\n          push: false\n";
        assert!(lines(y).is_empty());
        // A step that never runs neither publishes nor caches.
        let y = "on: release\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/cache@v4\n        if: ${{ false }}\n";
        assert!(lines(y).is_empty());
    }

    #[test]
    fn with_expression_and_free_strings() {
        let y = "on: release\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/setup-python@v5\n        with: ${{ fromJSON(inputs.w) }}\n      - uses: actions/setup-python@v5\n        with:\n          cache: ''\n      - uses: actions/setup-python@v5\n        with:\n          cache: pip\n";
        assert_eq!(lines(y), [6, 11]);
    }

    #[test]
    fn tag_push_heuristics() {
        let opt_out = "on:\n  push:\n    tags: ['*']\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: Swatinem/rust-cache@v2\n        with:\n          lookup-only: ${{ github.ref_type == 'tag' && github.event_name == 'push' }}\n";
        assert!(lines(opt_out).is_empty());
        let unknown = "on:\n  push:\n    tags: ['*']\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: Swatinem/rust-cache@v2\n        with:\n          lookup-only: ${{ inputs.x }}\n";
        assert_eq!(lines(unknown), [8]);
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("v6.5.0"), Some((6, 5, 0)));
        assert_eq!(parse_version("3"), Some((3, 0, 0)));
        assert_eq!(parse_version("v1.x"), None);
        assert_eq!(version_from_comment("# tag: v10"), Some((10, 0, 0)));
        assert_eq!(version_from_comment("#v1.2.3"), Some((1, 2, 3)));
        assert_eq!(version_from_comment("# zizmor: ignore[x]"), None);
    }
}
