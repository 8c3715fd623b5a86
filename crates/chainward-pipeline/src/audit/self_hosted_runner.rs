//! `self-hosted-runner`: jobs on self-hosted runners (auditor persona, as in zizmor). GitHub
//! warns that self-hosted runners should almost never serve public repositories: a runner
//! is not reset between jobs, so one malicious job can persist into the next ("Security
//! hardening for GitHub Actions", "Hardening for self-hosted runners").

use chainward_gha::{Workflow, whole_expression};

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "self-hosted-runner",
    description: "runs on a self-hosted runner",
    doc: "# self-hosted-runner\n\nFlags jobs whose `runs-on:` names a self-hosted runner: the `self-hosted` \
          label, a runner group, or a matrix expression that expands to `self-hosted`. Self-hosted runners \
          keep state between jobs, so in a repository that accepts outside contributions one malicious job \
          can compromise later ones. Shown for the auditor persona only: it needs a human to judge whether \
          the runner is ephemeral and isolated.\n",
};

pub(super) struct SelfHostedRunner;

impl Audit for SelfHostedRunner {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            if job.is_reusable_call() {
                continue;
            }
            let Some(runs_on) = job.get("runs-on") else { continue };
            let route = job.route.key("runs-on");
            let report = |out: &mut Sink<'_>, confidence, note: &str| {
                let spot = Spot::new(route.clone(), Focus::Key, note);
                out.report(Draft::new(Severity::Medium, confidence, spot).persona(Persona::Auditor));
            };
            if let Some(s) = runs_on.as_str() {
                if let Some(expr) = whole_expression(s) {
                    // `runs-on: ${{ matrix.os }}`: self-hosted if the matrix can make it so.
                    let wanted = expr.trim().to_ascii_lowercase();
                    let hit =
                        job.matrix_expansions().iter().any(|e| e.path == wanted && e.value.contains("self-hosted"));
                    if hit {
                        report(out, Confidence::High, "expression may expand into a self-hosted runner");
                    }
                } else if s == "self-hosted" {
                    report(out, Confidence::High, "self-hosted runner used here");
                }
            } else if let Some(labels) = runs_on.as_sequence() {
                match labels.first().and_then(|l| l.as_str()) {
                    Some("self-hosted") => report(out, Confidence::High, "self-hosted runner used here"),
                    Some(l) if whole_expression(l).is_some() => {
                        report(out, Confidence::Low, "expression may expand into a self-hosted runner");
                    }
                    _ => {}
                }
            } else if runs_on.get("group").is_some() {
                report(out, Confidence::Low, "runner group implies self-hosted runner");
            }
        }
    }
}
