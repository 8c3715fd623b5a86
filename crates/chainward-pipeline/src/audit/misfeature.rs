//! `misfeature`: GitHub Actions features that work against analysis or hygiene, following
//! zizmor: `actions/setup-python`'s `pip-install` input (installs into the global
//! environment), `run:` steps under Windows `cmd` (its quoting defeats analysis), and
//! (auditor persona) shells GitHub does not document.

use chainward_gha::{Step, Uses, whole_expression};
use chainward_yaml::{Node, Route};

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "misfeature",
    description: "usage of GitHub Actions misfeatures",
    doc: "# misfeature\n\nFlags features that are better avoided: `actions/setup-python` with `pip-install:` \
          (packages land in the global environment; use a virtual environment), `shell: cmd` for `run:` \
          steps (use `pwsh` or `bash`), and, for auditors, shells outside the ones GitHub documents.\n",
};

pub(super) struct Misfeature;

/// The shell a `run:` step uses and where it is set: the step's own, then the job's
/// `defaults.run.shell`, then the workflow's (GitHub docs, "defaults.run"). `None` when unset
/// or an expression (not knowable statically).
fn shell<'a>(parent: StepParent<'a>, step: &Step<'a>) -> Option<(&'a str, Route)> {
    let found = match step.get("shell") {
        Some(s) => Some((s, step.route.key("shell"))),
        None => match parent {
            StepParent::Job(workflow, job) => {
                let from = |n: Option<&'a Node>, r: Route| {
                    n.and_then(|d| d.get("defaults")?.get("run")?.get("shell"))
                        .map(|s| (s, r.key("defaults").key("run").key("shell")))
                };
                from(Some(job.node), job.route.clone()).or_else(|| from(Some(&workflow.doc.root), Route::root()))
            }
            StepParent::Action(_) => None,
        },
    }?;
    let text = found.0.as_str()?;
    if whole_expression(text).is_some() {
        return None;
    }
    Some((text, found.1))
}

fn normalize(shell: &str) -> &str {
    let path = shell.split_once(' ').map_or(shell, |(p, _)| p);
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

impl Audit for Misfeature {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if let Some(Uses::Repository(u)) = step.uses() {
            let is_setup_python = u.owner.eq_ignore_ascii_case("actions")
                && u.repo.eq_ignore_ascii_case("setup-python")
                && u.subpath.is_none();
            if is_setup_python && step.with("pip-install").is_some() {
                let raw = step.node.get_str("uses").unwrap_or_default().trim().to_owned();
                let primary = Spot::new(
                    step.route.key("with").key("pip-install"),
                    Focus::Key,
                    "installs packages in a brittle manner",
                );
                out.report(Draft::new(Severity::Low, Confidence::High, primary).related(Spot::new(
                    step.route.key("uses"),
                    Focus::Text(raw),
                    "this action",
                )));
            }
            return;
        }
        if step.get("run").is_none() {
            return;
        }
        let Some((shell, at)) = shell(parent, step) else { return };
        match normalize(shell) {
            "bash" | "pwsh" | "python" | "sh" | "powershell" => {}
            "cmd" | "cmd.exe" => out.report(
                Draft::new(
                    Severity::Low,
                    Confidence::High,
                    Spot::new(at, Focus::Key, "Windows CMD shell limits analysis"),
                )
                .related(Spot::new(step.route.clone(), Focus::Value, "this step")),
            ),
            _ => out.report(
                Draft::new(Severity::Low, Confidence::High, Spot::new(at, Focus::Key, "uses a non-well-known shell"))
                    .persona(Persona::Auditor)
                    .related(Spot::new(step.route.key("run"), Focus::Key, "this step")),
            ),
        }
    }
}
