//! `stale-action-refs`: a `uses:` pinned to a commit SHA that no tag points to (online).
//!
//! Follows zizmor's audit of the same name: a pin of an untagged commit is often a commit
//! from a branch that was never released (or a leftover of a release that moved), so it
//! gets no fixes and is hard to review. Pedantic, severity low.

use super::AuditInfo;

pub(super) static INFO: AuditInfo = AuditInfo {
    id: "stale-action-refs",
    description: "commit hash does not point to a Git tag",
    doc: "# stale-action-refs\n\n*Online: runs with `chainward pipeline audit --online` (needs `GH_TOKEN`); \
          pedantic persona.*\n\n\
          Flags `uses: owner/repo@SHA` where no tag of `owner/repo` points to SHA. Released versions \
          are tagged; a pin of an untagged commit usually comes from a branch head that was never \
          released, and whoever reads the workflow cannot tell which version runs.\n\n\
          ## Fix\n\nPin the commit a release tag points to, with the tag as a comment: \
          `uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2`.\n",
};

#[cfg(feature = "online")]
pub(super) use online::StaleActionRefs;

#[cfg(feature = "online")]
mod online {
    use std::sync::Arc;

    use chainward_gha::{Step, Workflow};

    use super::super::online_uses::{UsesSite, step_site, workflow_sites};
    use super::super::{Audit, AuditInfo, StepParent};
    use super::INFO;
    use crate::finding::{Confidence, Draft, Persona, Severity, Sink};
    use crate::github::GitHubClient;

    pub(in super::super) struct StaleActionRefs {
        pub(in super::super) client: Arc<GitHubClient>,
    }

    impl StaleActionRefs {
        fn check(&self, site: &UsesSite, out: &mut Sink<'_>) {
            let Some(pinned) = site.commit() else { return };
            match self.client.longest_tag_for_commit(&site.slug, &pinned) {
                Ok(Some(_)) => {}
                Ok(None) => out.report(
                    Draft::new(Severity::Low, Confidence::High, site.value("does not point to a tag"))
                        .persona(Persona::Pedantic)
                        .hidden(site.whole()),
                ),
                Err(e) => self.client.record_problem(e),
            }
        }
    }

    impl Audit for StaleActionRefs {
        fn info(&self) -> &'static AuditInfo {
            &INFO
        }

        fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
            for site in workflow_sites(workflow).iter().filter(|s| s.in_step) {
                self.check(site, out);
            }
        }

        fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
            if let Some(site) = step_site(step) {
                self.check(&site, out);
            }
        }
    }
}
