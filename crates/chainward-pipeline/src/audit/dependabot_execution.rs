//! `dependabot-execution`: `insecure-external-code-execution: allow` lets Dependabot run code
//! from the manifests it updates (e.g. a Bundler `Gemfile` or a Python `setup.py`) with access
//! to the registry credentials it holds (GitHub docs, "Configuration options for the
//! dependabot.yml file").

use chainward_gha::Dependabot;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "dependabot-execution",
    description: "external code execution in Dependabot updates",
    doc: "# dependabot-execution\n\nFlags Dependabot `updates:` entries with `insecure-external-code-execution: \
          allow`. Dependabot then executes code from the package manifests it updates, with the private \
          registry credentials configured for it. Remove the setting (the default is `deny`).\n",
};

pub(super) struct DependabotExecution;

impl Audit for DependabotExecution {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dependabot(&self, config: &Dependabot, out: &mut Sink<'_>) {
        for (update, route) in config.updates() {
            if update.get_str("insecure-external-code-execution") == Some("allow") {
                let primary = Spot::new(route.key("insecure-external-code-execution"), Focus::Key, "enabled here");
                out.report(Draft::new(Severity::High, Confidence::High, primary).related(Spot::new(
                    route,
                    Focus::Value,
                    "this update",
                )));
            }
        }
    }
}
