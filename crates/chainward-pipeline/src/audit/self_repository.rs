//! `self-repository`: actions and reusable workflows of the same repository referenced as
//! `./path` rather than with GitHub's self-repository syntax `$/path`, which always resolves
//! against the workflow's own repository and commit (zizmor's audit of the same name).

use chainward_gha::{Step, Uses, Workflow};
use chainward_yaml::Route;

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "self-repository",
    description: "local action or workflow referenced without the self-repository syntax",
    doc: "# self-repository\n\nFlags `uses: ./path` references to actions or reusable workflows in the same \
          repository. Write `uses: $/path`: GitHub resolves it against the calling workflow's own repository \
          and commit, so the reference cannot drift to another checkout.\n",
};

pub(super) struct SelfRepository;

fn check(raw: Option<&str>, parent: &Route, out: &mut Sink<'_>) {
    let Some(raw) = raw else { return };
    if matches!(Uses::parse(raw), Some(Uses::Local { .. })) && !raw.trim().starts_with("$/") {
        let primary =
            Spot::new(parent.key("uses"), Focus::Text(raw.trim().to_owned()), "use '$/...' instead of './...'");
        out.report(Draft::new(Severity::Low, Confidence::High, primary));
    }
}

impl Audit for SelfRepository {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            check(job.node.get_str("uses"), &job.route, out);
            self.job(workflow, &job, out);
        }
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        check(step.node.get_str("uses"), &step.route, out);
    }
}
