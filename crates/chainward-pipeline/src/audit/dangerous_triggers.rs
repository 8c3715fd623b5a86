//! `dangerous-triggers`: `pull_request_target` and `workflow_run`, which run with the base
//! repository's privileges on events an outsider can cause (GitHub Security Lab, "Preventing
//! pwn requests"). As in zizmor, a workflow whose only job is a single `actions/labeler` step
//! is exempt: that is the documented, safe use of `pull_request_target`.

use chainward_gha::{Uses, Workflow};
use chainward_yaml::Route;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "dangerous-triggers",
    description: "use of fundamentally insecure workflow trigger",
    doc: "# dangerous-triggers\n\nFlags workflows triggered by `pull_request_target` or `workflow_run`. Both run \
          in the context of the base repository, with its secrets and a write-capable token, on events that \
          anyone who can open a pull request can cause; checking out or running the pull request's code from \
          them hands that code the repository's privileges.\n\nPrefer `pull_request`. If a privileged follow-up \
          is needed, pass data (not code) through artifacts and treat it as untrusted.\n",
};

pub(super) struct DangerousTriggers;

fn is_labeler_exception(workflow: &Workflow) -> bool {
    let jobs = workflow.jobs();
    let [job] = jobs.as_slice() else { return false };
    let steps = job.steps();
    let [step] = steps.as_slice() else { return false };
    matches!(step.uses(), Some(Uses::Repository(u)) if u.owner.eq_ignore_ascii_case("actions") && u.repo.eq_ignore_ascii_case("labeler"))
}

impl Audit for DangerousTriggers {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        let on = Route::root().key("on");
        if workflow.has_trigger("pull_request_target") && !is_labeler_exception(workflow) {
            let spot = Spot::new(on.clone(), Focus::Key, "pull_request_target is almost always used insecurely");
            out.report(Draft::new(Severity::High, Confidence::Medium, spot));
        }
        if workflow.has_trigger("workflow_run") {
            let spot = Spot::new(on, Focus::Key, "workflow_run is almost always used insecurely");
            out.report(Draft::new(Severity::High, Confidence::Medium, spot));
        }
    }
}
