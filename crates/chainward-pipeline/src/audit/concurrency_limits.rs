//! `concurrency-limits`: workflows without a `concurrency:` group that cancels runs in
//! progress (pedantic). Without one, a push storm queues unbounded runs, and an older run can
//! finish (and deploy) after a newer one. Reusable-only workflows inherit the caller's.

use chainward_gha::Workflow;
use chainward_yaml::Route;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "concurrency-limits",
    description: "insufficient job-level concurrency limits",
    doc: "# concurrency-limits\n\nFlags workflows (pedantic persona) with no `concurrency:` setting, or one given \
          as a bare group name without `cancel-in-progress`.\n\n```yaml\nconcurrency:\n  group: \
          ${{ github.workflow }}-${{ github.ref }}\n  cancel-in-progress: true\n```\n",
};

pub(super) struct ConcurrencyLimits;

fn draft(spot: Spot) -> Draft {
    Draft::new(Severity::Low, Confidence::High, spot).persona(Persona::Pedantic)
}

impl Audit for ConcurrencyLimits {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        if workflow.triggers() == ["workflow_call"] {
            return;
        }
        let root = Route::root();
        match workflow.doc.root.get("concurrency") {
            Some(c) if c.as_str().is_some() => out.report(draft(Spot::new(
                root.key("concurrency"),
                Focus::Key,
                "workflow concurrency is missing cancel-in-progress",
            ))),
            Some(_) => {}
            None => {
                let mut bare = Vec::new();
                let mut missing = Vec::new();
                for job in workflow.jobs() {
                    if job.is_reusable_call() {
                        continue;
                    }
                    match job.get("concurrency") {
                        Some(c) if c.as_str().is_some() => bare.push(job.route.key("concurrency")),
                        Some(_) => {}
                        None => missing.push(job.route.clone()),
                    }
                }
                let on = || Spot::new(root.key("on"), Focus::Key, "workflow is missing concurrency setting");
                if !bare.is_empty() {
                    let mut d = draft(on());
                    d.related = bare
                        .into_iter()
                        .map(|r| Spot::new(r, Focus::Key, "job concurrency is missing cancel-in-progress"))
                        .collect();
                    out.report(d);
                }
                if !missing.is_empty() {
                    let mut d = draft(on());
                    d.related = missing
                        .into_iter()
                        .map(|r| Spot::new(r, Focus::Key, "job affected by missing workflow concurrency"))
                        .collect();
                    out.report(d);
                }
            }
        }
    }
}
