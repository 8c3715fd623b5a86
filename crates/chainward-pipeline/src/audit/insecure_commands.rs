//! `insecure-commands`: `ACTIONS_ALLOW_UNSECURE_COMMANDS` turned on, which re-enables the
//! `set-env`/`add-path` workflow commands GitHub disabled in 2020 (GHSA-mfwh-5m23-j46w):
//! any text a step prints can then set environment variables of later steps. The runner
//! reads the value as a C# boolean, so `true` in any case counts. A non-literal `env:` (an
//! expression) might contain it: an auditor-persona, low-confidence finding, as in zizmor.

use chainward_gha::{Step, Workflow};
use chainward_yaml::{Node, Route};

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "insecure-commands",
    description: "execution of insecure workflow commands is enabled",
    doc: "# insecure-commands\n\nFlags `ACTIONS_ALLOW_UNSECURE_COMMANDS: true` in a workflow, job or step \
          `env:`. It re-enables the `::set-env::` and `::add-path::` workflow commands, so anything a step \
          prints (including attacker-controlled text) can set variables such as `LD_PRELOAD` or `PATH` for \
          later steps. Remove it and write to `$GITHUB_ENV` / `$GITHUB_PATH` where needed.\n",
};

pub(super) struct InsecureCommands;

fn check_env(owner: Option<&Node>, route: &Route, out: &mut Sink<'_>) {
    let Some(env) = owner.and_then(|o| o.get("env")) else { return };
    let spot_route = route.key("env");
    if env.as_str().is_some_and(|s| s.contains("${{")) {
        let spot =
            Spot::new(spot_route, Focus::Key, "non-static environment may contain ACTIONS_ALLOW_UNSECURE_COMMANDS");
        out.report(Draft::new(Severity::High, Confidence::Low, spot).persona(Persona::Auditor));
        return;
    }
    let enabled = env.get_str("ACTIONS_ALLOW_UNSECURE_COMMANDS").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if enabled {
        let spot = Spot::new(spot_route, Focus::Key, "insecure commands enabled here");
        out.report(Draft::new(Severity::High, Confidence::High, spot));
    }
}

impl Audit for InsecureCommands {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        check_env(Some(&workflow.doc.root), &Route::root(), out);
        for job in workflow.jobs() {
            if job.is_reusable_call() {
                continue;
            }
            check_env(Some(job.node), &job.route, out);
            for step in job.steps() {
                self.step(StepParent::Job(workflow, &job), &step, out);
            }
        }
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if step.get("run").is_some() {
            check_env(Some(step.node), &step.route, out);
        }
    }
}
