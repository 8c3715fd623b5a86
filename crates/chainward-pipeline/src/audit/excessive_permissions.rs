//! `excessive-permissions`: `GITHUB_TOKEN` permissions broader than a job needs. Follows
//! zizmor: no `permissions:` anywhere means the repository default (often write-all); at the
//! workflow level `read-all`, `write-all` and each `write` scope are flagged, with a scope's
//! severity by what it can reach; at the job level, only `read-all`/`write-all` and
//! default-with-no-parent-block. Workflow-level findings are pedantic when the workflow has
//! one job, when every job sets its own permissions, or when it is only a reusable workflow
//! (`on: workflow_call`), since then the workflow block grants nothing by itself. GitHub docs:
//! "Controlling permissions for GITHUB_TOKEN".

use chainward_gha::Workflow;
use chainward_yaml::{Node, Route};

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "excessive-permissions",
    description: "overly broad permissions",
    doc: "# excessive-permissions\n\nFlags workflows and jobs that run with more `GITHUB_TOKEN` permissions than \
          they need: no `permissions:` block (the repository default, write-all in older repositories), \
          `read-all`, `write-all`, or `write` scopes granted at the workflow level (where every job gets \
          them).\n\nStart from nothing and grant per job:\n\n```yaml\npermissions: {}\njobs:\n  release:\n    \
          permissions:\n      contents: write\n```\n",
};

pub(super) struct ExcessivePermissions;

/// Severity of a `write` grant, by what the scope reaches (zizmor's table).
fn scope_severity(scope: &str) -> Severity {
    match scope {
        "actions" | "attestations" | "contents" | "deployments" | "id-token" | "issues" | "packages" | "pages"
        | "pull-requests" => Severity::High,
        "models" | "statuses" => Severity::Low,
        _ => Severity::Medium,
    }
}

enum Perms<'a> {
    Default,
    ReadAll,
    WriteAll,
    Explicit(&'a [(Node, Node)]),
}

fn perms(owner: &Node) -> Perms<'_> {
    match owner.get("permissions") {
        None => Perms::Default,
        Some(p) => match (p.as_str(), p.as_mapping()) {
            (Some("read-all"), _) => Perms::ReadAll,
            (Some("write-all"), _) => Perms::WriteAll,
            (_, Some(m)) => Perms::Explicit(m),
            // Anything else is invalid for GitHub; nothing to say about its breadth.
            _ => Perms::Explicit(&[]),
        },
    }
}

impl Audit for ExcessivePermissions {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        let jobs = workflow.jobs();
        let all_jobs_explicit = jobs.iter().all(|j| !matches!(perms(j.node), Perms::Default));
        let parent = perms(&workflow.doc.root);
        let explicit_parent = !matches!(parent, Perms::Default);
        let triggers = workflow.triggers();
        let reusable_only = triggers == ["workflow_call"];
        let wf_persona =
            if jobs.len() == 1 || all_jobs_explicit || reusable_only { Persona::Pedantic } else { Persona::Regular };
        let root = Route::root();
        let perm_route = root.key("permissions");
        let mut report = |sev, conf, spot, persona| out.report(Draft::new(sev, conf, spot).persona(persona));
        match parent {
            Perms::Default => report(
                Severity::Medium,
                Confidence::Medium,
                Spot::new(root.clone(), Focus::Value, "default permissions used due to no permissions: block"),
                wf_persona,
            ),
            Perms::ReadAll => report(
                Severity::Medium,
                Confidence::High,
                Spot::new(perm_route.clone(), Focus::Key, "uses read-all permissions"),
                wf_persona,
            ),
            Perms::WriteAll => report(
                Severity::High,
                Confidence::High,
                Spot::new(perm_route.clone(), Focus::Key, "uses write-all permissions"),
                wf_persona,
            ),
            Perms::Explicit(m) => {
                for (k, v) in m {
                    let (Some(scope), Some("write")) = (k.as_str(), v.as_str()) else { continue };
                    report(
                        scope_severity(scope),
                        Confidence::High,
                        Spot::new(
                            perm_route.key(scope),
                            Focus::Key,
                            format!("{scope}: write is overly broad at the workflow level"),
                        ),
                        wf_persona,
                    );
                }
            }
        }
        for job in &jobs {
            let persona = if reusable_only && !job.is_reusable_call() { Persona::Pedantic } else { Persona::Regular };
            let at = job.route.key("permissions");
            let (sev, conf, spot) = match perms(job.node) {
                Perms::Default if !explicit_parent => (
                    Severity::Medium,
                    Confidence::Medium,
                    Spot::new(job.route.clone(), Focus::Key, "default permissions used due to no permissions: block"),
                ),
                Perms::ReadAll => {
                    (Severity::Medium, Confidence::High, Spot::new(at, Focus::Key, "uses read-all permissions"))
                }
                Perms::WriteAll => {
                    (Severity::High, Confidence::High, Spot::new(at, Focus::Key, "uses write-all permissions"))
                }
                Perms::Default | Perms::Explicit(_) => continue,
            };
            report(sev, conf, spot, persona);
        }
    }
}
