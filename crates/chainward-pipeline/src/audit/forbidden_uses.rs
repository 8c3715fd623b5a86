//! `forbidden-uses`: actions an organisation's allow or deny list forbids
//! (`rules.forbidden-uses.config.allow|deny`, patterns as in `unpinned-uses`, plus exact
//! `owner/repo@ref`). Silent without a list, as in zizmor.

use chainward_gha::{Step, Uses};

use super::{Audit, AuditInfo, StepParent};
use crate::config::ForbiddenUses as List;
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "forbidden-uses",
    description: "forbidden action used",
    doc: "# forbidden-uses\n\nFlags `uses:` of actions that the configured list forbids:\n\n```yaml\nrules:\n  \
          forbidden-uses:\n    config:\n      allow:            # or deny:\n        - actions/*\n        - \
          my-org/*\n        - pypa/gh-action-pypi-publish@release/v1\n```\n\nWith `allow`, everything not \
          matched is forbidden; with `deny`, everything matched is.\n",
};

pub(super) struct ForbiddenUses {
    pub(super) list: Option<List>,
}

impl Audit for ForbiddenUses {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        let Some(list) = &self.list else { return };
        let Some(Uses::Repository(uses)) = step.uses() else { return };
        let denied = match list {
            List::Allow(allow) => !allow.iter().any(|p| p.matches(&uses)),
            List::Deny(deny) => deny.iter().any(|p| p.matches(&uses)),
        };
        if denied {
            let raw = step.node.get_str("uses").unwrap_or_default().trim().to_owned();
            let primary = Spot::new(step.route.key("uses"), Focus::Text(raw), "use of this action is forbidden");
            out.report(Draft::new(Severity::High, Confidence::High, primary));
        }
    }
}
