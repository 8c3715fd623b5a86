//! `dependabot-cooldown`: Dependabot updates adopted as soon as a release appears, with no
//! `cooldown.default-days` (or fewer days than configured, 7 by default). A cooldown gives
//! the ecosystem time to notice a compromised release before it is proposed. Follows zizmor,
//! including its stop at the first update whose cooldown is long enough.

use chainward_gha::Dependabot;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "dependabot-cooldown",
    description: "insufficient cooldown in Dependabot updates",
    doc: "# dependabot-cooldown\n\nFlags Dependabot `updates:` entries without a `cooldown:` of at least the \
          configured number of days (7 by default; `rules.dependabot-cooldown.config.days`). Without one, \
          Dependabot proposes a release minutes after it is published — including a malicious one that \
          would have been yanked a day later.\n\n```yaml\ncooldown:\n  default-days: 7\n```\n",
};

pub(super) struct DependabotCooldown {
    pub(super) days: u64,
}

impl Audit for DependabotCooldown {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dependabot(&self, config: &Dependabot, out: &mut Sink<'_>) {
        for (update, route) in config.updates() {
            let cooldown = update.get("cooldown");
            let default_days = cooldown.and_then(|c| c.get("default-days"));
            // Dependabot's implicit default is 3 days when a cooldown block omits it.
            let days = default_days.and_then(|d| d.as_str()).and_then(|d| d.parse::<u64>().ok()).unwrap_or(3);
            if days >= self.days {
                return;
            }
            let min = self.days;
            let spot = match (cooldown, default_days) {
                (Some(_), Some(_)) => Spot::new(
                    route.key("cooldown").key("default-days"),
                    Focus::Key,
                    format!("insufficient default-days configured (less than {min})"),
                ),
                (Some(_), None) => Spot::new(
                    route.key("cooldown"),
                    Focus::Key,
                    format!("insufficient implicit default-days (less than {min})"),
                ),
                (None, _) => {
                    Spot::new(route, Focus::Value, format!("insufficient implicit default-days (less than {min})"))
                }
            };
            out.report(Draft::new(Severity::Medium, Confidence::High, spot));
        }
    }
}
