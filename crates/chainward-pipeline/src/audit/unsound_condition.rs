//! `unsound-condition`: an `if:` holding text besides one `${{ }}`, typically a block scalar
//! (`if: |` keeps a trailing newline). GitHub then evaluates a non-empty string, which is
//! always true, whatever the expression says (zizmor's audit of the same name).

use chainward_gha::{Action, Job, Workflow, find_expressions};
use chainward_yaml::{Node, Route};

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "unsound-condition",
    description: "unsound conditional expression",
    doc: "# unsound-condition\n\nFlags `if:` values that contain a `${{ }}` expression plus other text, such as \
          the newline a `|` block scalar keeps. The whole value is then a non-empty string and the condition \
          is always true. Write the expression alone, or use `|-`/`>-` to strip the newline.\n",
};

pub(super) struct UnsoundCondition;

fn check(owner: &Node, route: &Route, out: &mut Sink<'_>) {
    let Some(cond) = owner.get_str("if") else { return };
    let Some(first) = find_expressions(cond).into_iter().next() else { return };
    if cond.len() > first.outer.len() {
        let primary = Spot::new(route.key("if"), Focus::Key, "condition always evaluates to true");
        out.report(Draft::new(Severity::High, Confidence::High, primary).hidden(Spot::new(
            route.clone(),
            Focus::Value,
            "",
        )));
    }
}

impl Audit for UnsoundCondition {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn job(&self, _workflow: &Workflow, job: &Job<'_>, out: &mut Sink<'_>) {
        check(job.node, &job.route, out);
        for step in job.steps() {
            check(step.node, &step.route, out);
        }
    }

    fn action(&self, action: &Action, out: &mut Sink<'_>) {
        for step in action.steps() {
            check(step.node, &step.route, out);
        }
    }
}
