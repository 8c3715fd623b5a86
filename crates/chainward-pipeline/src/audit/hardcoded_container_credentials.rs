//! `hardcoded-container-credentials`: a literal `password:` under `container.credentials` or
//! `services.<id>.credentials` (GitHub docs, "jobs.<job_id>.container.credentials"): it is in
//! the repository for anyone who can read it. An expression (`${{ secrets.X }}`) is fine.

use chainward_gha::{Workflow, whole_expression};

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "hardcoded-container-credentials",
    description: "hardcoded credential in GitHub Actions container configurations",
    doc: "# hardcoded-container-credentials\n\nFlags a registry password written literally in a job's \
          `container.credentials` or a service's `credentials`. Anyone who can read the repository can \
          read it. Store it as a secret and write `password: ${{ secrets.REGISTRY_PASSWORD }}`.\n",
};

pub(super) struct HardcodedContainerCredentials;

fn literal_password(container: &chainward_yaml::Node) -> bool {
    container.get("credentials").and_then(|c| c.get_str("password")).is_some_and(|p| whole_expression(p).is_none())
}

impl Audit for HardcodedContainerCredentials {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            if job.is_reusable_call() {
                continue;
            }
            if job.get("container").is_some_and(literal_password) {
                let spot = Spot::new(
                    job.route.key("container").key("credentials"),
                    Focus::Key,
                    "container registry password is hard-coded",
                );
                out.report(Draft::new(Severity::High, Confidence::High, spot));
            }
            for (name, service) in job.get("services").and_then(|s| s.as_mapping()).unwrap_or_default() {
                let Some(name) = name.as_str() else { continue };
                if literal_password(service) {
                    let spot = Spot::new(
                        job.route.key("services").key(name).key("credentials"),
                        Focus::Key,
                        format!("service {name}: container registry password is hard-coded"),
                    );
                    out.report(Draft::new(Severity::High, Confidence::High, spot));
                }
            }
        }
    }
}
