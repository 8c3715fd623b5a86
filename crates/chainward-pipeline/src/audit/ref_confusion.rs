//! `ref-confusion`: a `uses:` (or pre-commit `rev:`) ref that names both a branch and a tag
//! of the repository, so which one runs is not what a reader expects (online).
//!
//! Follows zizmor's audit of the same name: Git resolves such a short name by its own
//! precedence rules, and whoever can push a branch can then shadow a release tag.

use super::AuditInfo;

pub(super) static INFO: AuditInfo = AuditInfo {
    id: "ref-confusion",
    description: "git ref for action with ambiguous ref type",
    doc: "# ref-confusion\n\n*Online: runs with `chainward pipeline audit --online` (needs `GH_TOKEN`).*\n\n\
          Flags `uses: owner/repo@REF` (and pre-commit `rev: REF` of GitHub repositories) when REF \
          is the name of both a branch and a tag of the repository. The reader assumes one; Git \
          picks by its own rules, and anyone who can push a branch of that name can change what \
          runs under a name that looks like a release.\n\n\
          Severity medium, confidence high.\n\n## Fix\n\nPin the commit SHA (with the tag as a \
          comment), or use a fully qualified name the repository does not shadow.\n",
};

#[cfg(feature = "online")]
pub(super) use online::RefConfusion;

#[cfg(feature = "online")]
mod online {
    use std::sync::Arc;

    use chainward_gha::{PreCommitConfig, Step, Workflow};

    use super::super::online_uses::{UsesSite, pre_commit_sites, step_site, workflow_sites};
    use super::super::{Audit, AuditInfo, StepParent};
    use super::INFO;
    use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};
    use crate::github::{GitHubClient, GitHubError};

    const ANNOTATION: &str = "uses a ref that's provided by both the branch and tag namespaces";

    pub(in super::super) struct RefConfusion {
        pub(in super::super) client: Arc<GitHubClient>,
    }

    impl RefConfusion {
        fn confusable(&self, site: &UsesSite) -> Result<bool, GitHubError> {
            // Only symbolic refs: a full SHA names one commit whatever the namespaces hold.
            let Some(name) = site.uses.git_ref.as_deref().filter(|_| !site.uses.is_commit_pinned()) else {
                return Ok(false);
            };
            let branch = self.client.branches(&site.slug)?.iter().any(|b| b.name == name);
            Ok(branch && self.client.tags(&site.slug)?.iter().any(|t| t.name == name))
        }

        fn check(&self, site: &UsesSite, out: &mut Sink<'_>) {
            match self.confusable(site) {
                Ok(false) => {}
                Ok(true) => {
                    let mut draft = Draft::new(Severity::Medium, Confidence::High, site.value(ANNOTATION));
                    if site.key == "rev" {
                        draft = draft.related(Spot::new(site.parent.key("repo"), Focus::Value, "this repo"));
                    }
                    out.report(draft.hidden(site.whole()));
                }
                Err(e) => self.client.record_problem(e),
            }
        }
    }

    impl Audit for RefConfusion {
        fn info(&self) -> &'static AuditInfo {
            &INFO
        }

        fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
            for site in workflow_sites(workflow) {
                self.check(&site, out);
            }
        }

        fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
            if let Some(site) = step_site(step) {
                self.check(&site, out);
            }
        }

        fn pre_commit(&self, config: &PreCommitConfig, out: &mut Sink<'_>) {
            for site in pre_commit_sites(config) {
                self.check(&site, out);
            }
        }
    }
}
