//! `obfuscation`: GitHub Actions features written in roundabout forms that GitHub accepts but
//! that hide what runs from readers and from pattern-matching audits (`unpinned-uses`,
//! `forbidden-uses`, `cache-poisoning` match `uses:` by name). Follows zizmor's audit of the
//! same name:
//!
//! - `uses:` paths with empty components (`actions/checkout/@…`, `a/b////@…`), `.` or `..`
//!   (low severity, one finding per `uses:` listing each oddity);
//! - `${{ }}` expressions that can be reduced to a constant (`${{ 'a' }}`,
//!   `format('{0}', 'abc')`, `true || false`), or that contain such a sub-expression
//!   (low severity);
//! - computed indices (`inputs[inputs.name]`), which defeat reading which value is used
//!   (pedantic);
//! - `with:` given as one expression, which hides an action's inputs (informational).
//!
//! "Constant-reducible" is zizmor's notion: literals; `!`, comparisons and `&&`/`||` over
//! reducible operands; and `contains`, `startsWith`, `endsWith`, `format`, `toJSON` and
//! `join` over reducible arguments. `fromJSON` is left out, as zizmor leaves it out:
//! `fromJSON('["a", "b"]')` is the idiomatic way to write a list literal.

use chainward_gha::{Action, Expr, ExprKind, Step, Uses, Workflow, whole_expression};
use chainward_yaml::Document;

use super::{Audit, AuditInfo, StepParent};
use crate::expressions::{ExpressionSite, expression_sites};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "obfuscation",
    description: "obfuscated usage of GitHub Actions features",
    doc: "# obfuscation\n\nFlags GitHub Actions features written in needlessly roundabout forms, which hide \
          what runs from reviewers and from other audits:\n\n- `uses:` paths with empty components, `.` or \
          `..` (`actions/checkout/@…`, `github/codeql-action/./init@…`, `actions/cache/save/../save@…`);\n\
          - expressions that reduce to a constant (`${{ 'abc' }}`, `${{ format('{0}', 'abc') }}`, \
          `${{ true || false }}`) or contain such a part;\n- computed indices such as `inputs[inputs.name]` \
          (pedantic);\n- `with:` written as a single expression, which hides an action's inputs \
          (informational).\n\n## Fix\n\nWrite the plain form: `uses: actions/checkout@…`, \
          `repository: octocat/hello-world` rather than `${{ format('{0}/{1}', 'octocat', 'hello-world') }}`.\n",
};

pub(super) struct Obfuscation;

/// A literal: `null`, a boolean, a number or a string.
fn is_literal(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::String(_))
}

/// Functions whose result is constant when their arguments are (names are case-insensitive).
const FOLDABLE_FUNCTIONS: &[&str] = &["contains", "startswith", "endswith", "format", "tojson", "join"];

/// Whether the expression's value is known without running the workflow (see the module docs).
fn reducible(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::String(_) => true,
        ExprKind::Binary { left, right, .. } => reducible(left) && reducible(right),
        ExprKind::Not(inner) => reducible(inner),
        ExprKind::Call { name, args } => {
            FOLDABLE_FUNCTIONS.iter().any(|f| f.eq_ignore_ascii_case(name)) && args.iter().all(reducible)
        }
        _ => false,
    }
}

/// The outermost reducible parts of an expression that is not reducible itself, literals
/// excepted (a literal argument is not an obfuscation; a constant `format(…)` inside is).
fn reducible_parts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if !is_literal(e) && reducible(e) {
        out.push(e);
        return;
    }
    match &e.kind {
        ExprKind::Call { args, .. } => args.iter().for_each(|a| reducible_parts(a, out)),
        ExprKind::Binary { left, right, .. } => {
            reducible_parts(left, out);
            reducible_parts(right, out);
        }
        ExprKind::Not(inner) => reducible_parts(inner, out),
        ExprKind::Property { base, .. } => reducible_parts(base, out),
        ExprKind::Index { base, index } => {
            reducible_parts(base, out);
            reducible_parts(index, out);
        }
        _ => {}
    }
}

/// Index accesses whose index is neither a literal nor `*` (`a[b.c]`), in source order; as in
/// zizmor, indices inside a computed index are not searched.
fn computed_indices<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Call { args, .. } => args.iter().for_each(|a| computed_indices(a, out)),
        ExprKind::Binary { left, right, .. } => {
            computed_indices(left, out);
            computed_indices(right, out);
        }
        ExprKind::Not(inner) => computed_indices(inner, out),
        ExprKind::Property { base, .. } => computed_indices(base, out),
        ExprKind::Index { base, index } => {
            computed_indices(base, out);
            if !is_literal(index) && !matches!(index.kind, ExprKind::Star) {
                out.push(index);
            }
        }
        _ => {}
    }
}

/// Why a `uses:` path is obfuscated, one entry per odd component.
fn odd_uses_path(subpath: &str) -> Vec<&'static str> {
    subpath
        .split('/')
        .filter_map(|component| match component {
            "." => Some("actions reference contains '.'"),
            ".." => Some("actions reference contains '..'"),
            "" => Some("actions reference contains empty component"),
            _ => None,
        })
        .collect()
}

/// The byte range of the whole index access `[…]` around `index` in the expression text.
fn index_range(text: &str, index: &Expr) -> std::ops::Range<usize> {
    let open = text.get(..index.span.start).and_then(|t| t.rfind('[')).unwrap_or(index.span.start);
    let close = text.get(index.span.end..).and_then(|t| t.find(']')).map_or(index.span.end, |i| index.span.end + i + 1);
    open..close
}

fn check_expression(site: &ExpressionSite, out: &mut Sink<'_>) {
    let text = site.value.get(site.inner_offset..).unwrap_or_default();
    let mut spots: Vec<(Spot, Persona)> = Vec::new();
    if reducible(&site.expr) {
        spots.push((
            Spot::new(site.route.clone(), site.focus.clone(), "can be replaced by its static evaluation"),
            Persona::Regular,
        ));
    } else {
        let mut parts = Vec::new();
        reducible_parts(&site.expr, &mut parts);
        for p in parts {
            spots.push((
                Spot::new(site.route.clone(), site.sub_focus(p.span.clone()), "can be reduced to a constant"),
                Persona::Regular,
            ));
        }
    }
    let mut indices = Vec::new();
    computed_indices(&site.expr, &mut indices);
    for index in indices {
        let range = index_range(text, index);
        spots.push((
            Spot::new(site.route.clone(), site.sub_focus(range), "index expression is computed"),
            Persona::Pedantic,
        ));
    }
    // One finding per expression, for the most demanding persona among its reasons (zizmor
    // attaches every reason to one finding and keeps the last reason's persona, which is the
    // pedantic one whenever a computed index is among them).
    let persona = spots.iter().map(|(_, p)| *p).max();
    let mut spots = spots.into_iter().map(|(s, _)| s);
    let (Some(primary), Some(persona)) = (spots.next(), persona) else { return };
    let mut draft = Draft::new(Severity::Low, Confidence::High, primary).persona(persona);
    for s in spots {
        draft = draft.related(s);
    }
    out.report(draft);
}

fn check_expressions(doc: &Document, out: &mut Sink<'_>) {
    for site in expression_sites(doc) {
        check_expression(&site, out);
    }
}

impl Audit for Obfuscation {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        check_expressions(&workflow.doc, out);
        for job in workflow.jobs() {
            self.job(workflow, &job, out);
        }
    }

    fn action(&self, action: &Action, out: &mut Sink<'_>) {
        check_expressions(&action.doc, out);
        for step in action.steps() {
            self.step(StepParent::Action(action), &step, out);
        }
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        let Some(Uses::Repository(uses)) = step.uses() else { return };
        let uses_route = step.route.key("uses");
        if let Some(subpath) = &uses.subpath {
            let reasons = odd_uses_path(subpath);
            if let Some((first, rest)) = reasons.split_first() {
                let mut draft =
                    Draft::new(Severity::Low, Confidence::High, Spot::new(uses_route.clone(), Focus::Value, *first));
                for r in rest {
                    draft = draft.related(Spot::new(uses_route.clone(), Focus::Value, *r));
                }
                out.report(draft);
            }
        }
        // `with: ${{ … }}`: the inputs are only known at run time.
        if step.get("with").and_then(|w| w.as_str()).and_then(whole_expression).is_some() {
            let primary =
                Spot::new(step.route.key("with"), Focus::Key, "use of an expression for `with:` prevents analysis");
            let related = Spot::new(uses_route.clone(), Focus::Value, "this action");
            // zizmor honours an ignore comment on any location of a finding, so one on the
            // `uses:` line silences this too.
            let hidden = Spot::new(uses_route, Focus::Value, "");
            out.report(Draft::new(Severity::Informational, Confidence::High, primary).related(related).hidden(hidden));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chainward_gha::parse_expression;

    use super::*;
    use crate::{Config, Filter, Finding, audit, load};

    fn findings(name: &str, yaml: &str, persona: Persona) -> Vec<Finding> {
        let input = load(name, Path::new(name), yaml.as_bytes(), &Default::default()).unwrap();
        let report = audit(&[input], &Config::default(), &Filter { persona, ..Filter::default() });
        report.findings.into_iter().filter(|f| f.id == "obfuscation").collect()
    }

    fn reducible_text(s: &str) -> bool {
        reducible(&parse_expression(s).unwrap())
    }

    #[test]
    fn reducibility() {
        for yes in ["'a'", "1", "null", "!true", "true && false", "1 > 2 || true", "format('{0}', 1)", "JOIN('a', 'b')"]
        {
            assert!(reducible_text(yes), "{yes}");
        }
        for no in [
            "github.ref",
            "fromJSON('[1]')",
            "format('{0}', github.ref)",
            "a[1]",
            "main == github.base_ref",
            "hashFiles('x')",
            "success()",
        ] {
            assert!(!reducible_text(no), "{no}");
        }
        let e = parse_expression("format('{0}', github.ref, format('{0}', 'x'), 'lit')").unwrap();
        let mut parts = Vec::new();
        reducible_parts(&e, &mut parts);
        assert_eq!(parts.len(), 1);
        let e = parse_expression("a[b][1][*][c.d[e]]").unwrap();
        let mut idx = Vec::new();
        computed_indices(&e, &mut idx);
        assert_eq!(idx.len(), 2, "[b] and [c.d[e]]; not inside a computed index");
    }

    #[test]
    fn uses_paths() {
        assert!(odd_uses_path("init").is_empty());
        assert!(odd_uses_path("a/b.c/..d").is_empty());
        assert_eq!(odd_uses_path("../../x").len(), 2);
        assert_eq!(odd_uses_path("").len(), 1);
    }

    #[test]
    fn negatives() {
        // Ordinary expressions, list literals through fromJSON, literal indices, status
        // functions, plain `uses:` paths and a `with:` mapping.
        let wf = "on: push\njobs:\n  a:\n    if: ${{ !contains(fromJSON('[\"a\"]'), github.event_name) }}\n    \
                  runs-on: ${{ matrix.os }}\n    steps:\n      - uses: actions/checkout@v4\n        \
                  with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      \
                  - uses: github/codeql-action/init@v3\n      - uses: ./.github/actions/x/\n      \
                  - if: ${{ success() && github.event.commits[0].id != '' }}\n        \
                  run: echo ${{ format('{0}-{1}', github.ref, matrix.os) }} ${{ steps.*.outputs[*] }}\n      \
                  # ${{ 'in a comment' }}\n      - uses: docker://alpine:3\n        with: {args: '${{ 1 }} x'}\n";
        let got = findings(".github/workflows/ci.yml", wf, Persona::Auditor);
        // Only the constant inside the last `with:` string is reported.
        assert_eq!(got.iter().map(|f| f.primary.line).collect::<Vec<_>>(), [16], "{got:#?}");
    }

    #[test]
    fn with_expression_on_docker_steps_is_not_reported() {
        let wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
                  - uses: docker://alpine:3\n        with: ${{ fromJSON(inputs.x) }}\n      \
                  - uses: actions/cache@v4\n        with: ${{ fromJSON(inputs.x) }}\n";
        let got = findings(".github/workflows/ci.yml", wf, Persona::Regular);
        assert_eq!(
            got.iter().map(|f| (f.primary.line, f.severity)).collect::<Vec<_>>(),
            [(9, Severity::Informational)]
        );
    }
}
