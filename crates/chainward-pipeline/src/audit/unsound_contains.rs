//! `unsound-contains`: `contains('a,b', context)` in an `if:`. With a string first argument,
//! `contains` is a substring test, so `contains('refs/heads/main refs/heads/dev', github.ref)`
//! also passes for a branch named `main` or `heads/d`. Severity is high when the context is
//! one an attacker can influence (branch names, actor, inputs, env), as in zizmor.

use chainward_gha::{Expr, ExprKind, Job, Workflow, parse_expression, whole_expression};
use chainward_yaml::Route;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "unsound-contains",
    description: "unsound contains condition",
    doc: "# unsound-contains\n\nFlags `if:` conditions of the form `contains('value1 value2', context)`. A string \
          first argument makes `contains` a substring test, so values the author never listed also match. \
          Use a list: `contains(fromJSON('[\"refs/heads/main\", \"refs/heads/dev\"]'), github.ref)`.\n",
};

pub(super) struct UnsoundContains;

const USER_CONTROLLABLE: &[&str] = &[
    "env",
    "github.actor",
    "github.base_ref",
    "github.head_ref",
    "github.ref",
    "github.ref_name",
    "github.sha",
    "github.triggering_actor",
    "inputs",
];

/// `(controllable, context text)` for each `contains('literal', context)` in the expression.
fn unsound<'e>(e: &'e Expr, text: &'e str) -> Vec<(bool, &'e str)> {
    e.walk()
        .into_iter()
        .filter_map(|x| match &x.kind {
            ExprKind::Call { name, args } if name.eq_ignore_ascii_case("contains") => match args.as_slice() {
                [Expr { kind: ExprKind::String(_), .. }, ctx] if ctx.context_path().is_some() => {
                    let controllable = USER_CONTROLLABLE.iter().any(|c| ctx.context_child_of(c));
                    Some((controllable, text.get(ctx.span.clone()).unwrap_or_default()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn check(owner: &chainward_yaml::Node, route: &Route, out: &mut Sink<'_>) {
    let Some(cond) = owner.get_str("if") else { return };
    // An `if:` is an expression with or without `${{ }}`.
    let bare = whole_expression(cond).unwrap_or(cond);
    let Ok(expr) = parse_expression(bare) else { return };
    for (controllable, ctx) in unsound(&expr, bare) {
        let severity = if controllable { Severity::High } else { Severity::Informational };
        let spot = Spot::new(
            route.key("if"),
            Focus::Key,
            format!("contains(..) condition can be bypassed if attacker can control '{ctx}'"),
        );
        out.report(Draft::new(severity, Confidence::High, spot));
    }
}

impl Audit for UnsoundContains {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn job(&self, _workflow: &Workflow, job: &Job<'_>, out: &mut Sink<'_>) {
        if job.is_reusable_call() {
            return;
        }
        check(job.node, &job.route, out);
        for step in job.steps() {
            check(step.node, &step.route, out);
        }
    }
}
