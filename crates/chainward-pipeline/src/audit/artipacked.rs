//! `artipacked`: `actions/checkout` without `persist-credentials: false` leaves the job's token
//! in `.git/config`, where a later `actions/upload-artifact` of the workspace publishes it
//! (Palo Alto Unit 42, "ArtiPACKED", 2024). Severity and confidence follow zizmor: high
//! confidence when an upload of the workspace follows the checkout, low otherwise; checkout v6
//! and later keep the credential outside `.git/config`, which lowers severity (offline, the
//! version is read from a tag ref; a SHA pin counts as unknown).

use chainward_gha::{Step, Uses, whole_expression};
use chainward_yaml::Node;
use chainward_yaml::patch::{self, Value};

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Fix, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "artipacked",
    description: "credential persistence through GitHub Actions artifacts",
    doc: "# artipacked\n\nFlags `actions/checkout` steps that do not set `persist-credentials: false`. By \
          default checkout writes the job's `GITHUB_TOKEN` into `.git/config`; any later step that uploads \
          the workspace as an artifact (or any code the job runs) can leak it.\n\n```yaml\n- uses: \
          actions/checkout@<sha>\n  with:\n    persist-credentials: false\n```\n\nConfidence is high when an \
          `actions/upload-artifact` of the workspace (`.`, `..`, `${{ github.workspace }}`) follows.\n",
};

pub(super) struct Artipacked;

fn is(uses: &chainward_gha::RepositoryUses, owner: &str, repo: &str) -> bool {
    uses.owner.eq_ignore_ascii_case(owner) && uses.repo.eq_ignore_ascii_case(repo) && uses.subpath.is_none()
}

/// `Some(true)` for checkout v6 or later, `None` when the ref is not a version.
fn is_v6_or_higher(git_ref: Option<&str>) -> Option<bool> {
    let r = git_ref?;
    let digits = r.strip_prefix('v').unwrap_or(r);
    let major: u64 = digits.split('.').next()?.parse().ok()?;
    Some(major >= 6)
}

fn severity(v6: Option<bool>, no_uploads: bool) -> Severity {
    match (v6 == Some(true), no_uploads) {
        (true, true) => Severity::Low,
        (true, false) | (false, true) => Severity::Medium,
        (false, false) => Severity::High,
    }
}

fn uploads_workspace(path: &Node) -> bool {
    let Some(path) = path.as_str() else { return false };
    path.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).any(|p| {
        matches!(p, "." | "./" | ".." | "../") || whole_expression(p).is_some_and(|e| e.contains("github.workspace"))
    })
}

/// Sets `persist-credentials: false` on a checkout step: in its `with:` mapping, replacing an
/// explicit `true`, or in a new `with:` block. `None` when the step is written in a way a
/// safe edit cannot handle (e.g. `with:` given as an expression).
fn persist_credentials_fix(step: &Step<'_>, out: &Sink<'_>) -> Option<Fix> {
    let doc = out.doc();
    let with = step.route.key("with");
    let edit = match step.get("with") {
        Some(node) if node.as_mapping().is_some() => {
            patch::set_entry(doc, &with, "persist-credentials", &Value::scalar("false")).ok()?
        }
        Some(_) => return None,
        None => {
            let value = Value::Mapping(vec![("persist-credentials".to_owned(), "false".to_owned())]);
            patch::set_entry(doc, &step.route, "with", &value).ok()?
        }
    };
    Some(Fix {
        title: "set persist-credentials: false".to_owned(),
        edits: vec![edit],
        changes: vec![with.key("persist-credentials")],
    })
}

impl Artipacked {
    fn steps(&self, steps: &[Step<'_>], out: &mut Sink<'_>) {
        let mut checkouts = Vec::new();
        let mut uploads = Vec::new();
        for step in steps {
            let Some(Uses::Repository(uses)) = step.uses() else { continue };
            let with = step.get("with");
            if with.and_then(Node::as_str).is_some_and(|s| s.contains("${{")) {
                let raw = step.node.get_str("uses").unwrap_or_default().trim();
                let draft = Draft::new(
                    Severity::Informational,
                    Confidence::High,
                    Spot::new(step.route.key("with"), Focus::Key, "may not set persist-credentials: false"),
                )
                .persona(Persona::Pedantic)
                .related(Spot::new(
                    step.route.key("uses"),
                    Focus::Text(raw.to_owned()),
                    "this checkout",
                ));
                out.report(draft);
                continue;
            }
            if is(&uses, "actions", "checkout") {
                let persist = with.and_then(|w| w.get("persist-credentials"));
                let persona = match persist {
                    Some(v) if v.as_bool() == Some(false) || v.as_str() == Some("false") => continue,
                    Some(v) if v.as_bool() == Some(true) || v.as_str() == Some("true") => Persona::Auditor,
                    Some(v) if v.as_str().and_then(whole_expression).is_some() => Persona::Pedantic,
                    _ => Persona::Regular,
                };
                checkouts.push((step, persona, is_v6_or_higher(uses.git_ref.as_deref())));
            } else if is(&uses, "actions", "upload-artifact")
                && with.and_then(|w| w.get("path")).is_some_and(uploads_workspace)
            {
                uploads.push(step);
            }
        }
        for (checkout, persona, v6) in &checkouts {
            let fix = persist_credentials_fix(checkout, out);
            let draft = |severity, confidence| {
                let primary =
                    Spot::new(checkout.route.clone(), Focus::Value, "does not set persist-credentials: false");
                let draft = Draft::new(severity, confidence, primary).persona(*persona);
                match &fix {
                    Some(fix) => draft.fix(fix.clone()),
                    None => draft,
                }
            };
            if uploads.is_empty() {
                out.report(draft(severity(*v6, true), Confidence::Low));
            }
            for upload in uploads.iter().filter(|u| u.index > checkout.index) {
                let related = Spot::new(upload.route.clone(), Focus::Value, "may leak the credentials persisted above");
                out.report(draft(severity(*v6, false), Confidence::High).related(related));
            }
        }
    }
}

impl Audit for Artipacked {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn job(&self, _workflow: &chainward_gha::Workflow, job: &chainward_gha::Job<'_>, out: &mut Sink<'_>) {
        self.steps(&job.steps(), out);
    }

    fn action(&self, action: &chainward_gha::Action, out: &mut Sink<'_>) {
        self.steps(&action.steps(), out);
    }
}
