//! `impostor-commit`: a `uses:` pinned to a commit SHA that no branch or tag of the named
//! repository contains (online).
//!
//! GitHub stores a repository and its forks in one object network, so `owner/repo@SHA`
//! resolves even when SHA exists only in someone's fork. Follows zizmor's audit of the same
//! name (after Chainguard's `clank`): a pin is fine when a tag or branch points straight at
//! it, or, once a tag object SHA is peeled to its commit, at that commit; otherwise each
//! branch and tag is compared with it (`GET /repos/{o}/{r}/compare/{ref}...{sha}`), and it
//! is an impostor when none contains it. zizmor's extra fast path through github.com's
//! undocumented `branch_commits` page is left out: only the documented REST API is used.

use super::AuditInfo;

pub(super) static INFO: AuditInfo = AuditInfo {
    id: "impostor-commit",
    description: "commit with no history in referenced repository",
    doc: "# impostor-commit\n\n*Online: runs with `chainward pipeline audit --online` (needs `GH_TOKEN`).*\n\n\
          Flags `uses: owner/repo@SHA` (steps, composite action steps, reusable workflow calls) \
          whose commit is not in the history of any branch or tag of `owner/repo`.\n\n\
          GitHub keeps a repository and all its forks in one object network, so a commit pushed \
          to *any* fork can be fetched through the parent's name. A pull request that \"pins\" \
          `actions/checkout@<sha>` may therefore run code that the actions organisation never \
          wrote (Chainguard, *What the fork? Imposter commits in GitHub Actions and CI/CD*).\n\n\
          Severity high, confidence high. The check lists the repository's tags and branches, \
          peels an annotated tag SHA to its commit, and only then compares the commit with each \
          branch and tag, so pins of released versions cost two requests per repository.\n\n\
          ## Fix\n\nPin to a commit that a release tag of the repository points to, and check where \
          the SHA came from.\n",
};

#[cfg(feature = "online")]
pub(super) use online::ImpostorCommit;

#[cfg(feature = "online")]
mod online {
    use std::sync::Arc;

    use chainward_gha::{PreCommitConfig, Step, Workflow};

    use super::super::online_uses::{UsesSite, pre_commit_sites, step_site, workflow_sites};
    use super::super::{Audit, AuditInfo, StepParent};
    use super::INFO;
    use crate::finding::{Confidence, Draft, Severity, Sink};
    use crate::github::{Comparison, GitHubClient, GitHubError, NamedRef, Slug};

    const ANNOTATION: &str = "uses a commit that doesn't belong to the specified org/repo";

    pub(in super::super) struct ImpostorCommit {
        pub(in super::super) client: Arc<GitHubClient>,
    }

    fn points_at(refs: &[NamedRef], sha: &str) -> bool {
        refs.iter().any(|r| r.commit == sha)
    }

    impl ImpostorCommit {
        fn contains(&self, slug: &Slug, base: &str, sha: &str) -> Result<bool, GitHubError> {
            // "behind" or "identical": the base ref's history has the commit. A 404 means
            // the two share no history at all.
            Ok(matches!(self.client.compare(slug, base, sha)?, Some(Comparison::Behind | Comparison::Identical)))
        }

        fn impostor(&self, site: &UsesSite) -> Result<bool, GitHubError> {
            let Some(pinned) = site.commit() else { return Ok(false) };
            let slug = &site.slug;
            let tags = self.client.tags(slug)?;
            let branches = self.client.branches(slug)?;
            if points_at(&tags, &pinned) || points_at(&branches, &pinned) {
                return Ok(false);
            }
            // The pin may be the SHA of an annotated tag object: peel it to its commit.
            let commit = self.client.peel_tag(slug, &pinned)?.unwrap_or(pinned);
            if points_at(&tags, &commit) || points_at(&branches, &commit) {
                return Ok(false);
            }
            for b in &branches {
                if self.contains(slug, &format!("refs/heads/{}", b.name), &commit)? {
                    return Ok(false);
                }
            }
            for t in &tags {
                if self.contains(slug, &format!("refs/tags/{}", t.name), &commit)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }

        fn check(&self, site: &UsesSite, out: &mut Sink<'_>) {
            match self.impostor(site) {
                Ok(false) => {}
                Ok(true) => out
                    .report(Draft::new(Severity::High, Confidence::High, site.value(ANNOTATION)).hidden(site.whole())),
                Err(e) => self.client.record_problem(e),
            }
        }
    }

    impl Audit for ImpostorCommit {
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
