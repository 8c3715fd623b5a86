//! `secrets-outside-env` (auditor persona): secrets read by a job with no deployment
//! `environment:`. Environment secrets can be guarded by protection rules (required
//! reviewers, branch restrictions); repository secrets reach every job. Reusable workflows
//! (`on: workflow_call`) are skipped since their caller decides; `GITHUB_TOKEN` is always
//! allowed. Follows zizmor.

use chainward_gha::{Job, Workflow};

use super::{Audit, AuditInfo};
use crate::expressions::{contexts, expression_sites_under};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "secrets-outside-env",
    description: "secrets used without an environment to gate them",
    doc: "# secrets-outside-env\n\nFlags (auditor persona) secrets used in jobs without an `environment:`. \
          Secrets stored on a deployment environment can require reviewers or restrict branches before a \
          job may read them; repository-level secrets cannot.\n",
};

pub(super) struct SecretsOutsideEnv {
    pub(super) allow: std::collections::BTreeSet<String>,
}

impl Audit for SecretsOutsideEnv {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        if workflow.has_trigger("workflow_call") {
            return;
        }
        for job in workflow.jobs() {
            self.job(workflow, &job, out);
        }
    }

    fn job(&self, workflow: &Workflow, job: &Job<'_>, out: &mut Sink<'_>) {
        if job.is_reusable_call() || job.get("environment").is_some() {
            return;
        }
        for site in expression_sites_under(&workflow.doc, &job.route) {
            for ctx in contexts(&site.expr) {
                if !ctx.context_child_of("secrets") {
                    continue;
                }
                let path = ctx.context_path().unwrap_or_default();
                if let [_, chainward_gha::ContextPart::Name(name)] = path.as_slice()
                    && self.allow.contains(name)
                {
                    continue;
                }
                let primary = Spot::new(
                    site.route.clone(),
                    site.sub_focus(ctx.span.clone()),
                    "secret is accessed outside of a dedicated environment",
                );
                let related = Spot::new(job.route.clone(), Focus::Key, "this job");
                // An ignore comment anywhere in the job applies, as in zizmor.
                let hidden = Spot::new(job.route.clone(), Focus::Key, "");
                out.report(
                    Draft::new(Severity::Medium, Confidence::High, primary)
                        .persona(Persona::Auditor)
                        .related(related)
                        .hidden(hidden),
                );
            }
        }
    }
}
