//! `secrets-inherit`: reusable workflow calls with `secrets: inherit`, which hand the called
//! workflow every secret of the caller instead of the ones it needs (zizmor's audit of the
//! same name; GitHub docs, "Reusing workflows": `secrets: inherit`).

use chainward_gha::Workflow;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "secrets-inherit",
    description: "secrets unconditionally inherited by called workflow",
    doc: "# secrets-inherit\n\nFlags jobs that call a reusable workflow with `secrets: inherit`. The called \
          workflow receives every secret the caller can see, so a compromise of it (or of anything it \
          runs) exposes them all.\n\nPass only what it needs:\n\n```yaml\nsecrets:\n  token: ${{ secrets.DEPLOY_TOKEN }}\n```\n",
};

pub(super) struct SecretsInherit;

impl Audit for SecretsInherit {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            let (Some(uses), Some("inherit")) = (job.node.get_str("uses"), job.node.get_str("secrets")) else {
                continue;
            };
            let primary =
                Spot::new(job.route.key("uses"), Focus::Text(uses.trim().to_owned()), "this reusable workflow");
            let related = Spot::new(job.route.key("secrets"), Focus::Key, "inherits all parent secrets");
            out.report(Draft::new(Severity::Medium, Confidence::High, primary).related(related));
        }
    }
}
