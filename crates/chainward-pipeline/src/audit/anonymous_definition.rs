//! `anonymous-definition`: workflows and jobs without `name:` (pedantic). Unnamed
//! definitions show up in the UI and in logs under their file name or id, which makes
//! reviewing runs harder.

use chainward_gha::Workflow;
use chainward_yaml::Route;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "anonymous-definition",
    description: "workflow or action definition without a name",
    doc: "# anonymous-definition\n\nFlags workflows and jobs with no `name:` (pedantic persona). Names make runs, \
          required checks and logs reviewable.\n",
};

pub(super) struct AnonymousDefinition;

impl Audit for AnonymousDefinition {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        if workflow.doc.root.get("name").is_none() {
            let spot = Spot::new(Route::root(), Focus::Value, "this workflow has no name");
            out.report(Draft::new(Severity::Low, Confidence::High, spot).persona(Persona::Pedantic));
        }
        for job in workflow.jobs() {
            if !job.is_reusable_call() && job.get("name").is_none() {
                let spot = Spot::new(job.route.clone(), Focus::Key, "this job has no name");
                out.report(Draft::new(Severity::Informational, Confidence::High, spot).persona(Persona::Pedantic));
            }
        }
    }
}
