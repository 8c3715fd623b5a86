//! `known-vulnerable-actions`: a `uses:` whose version is named in a GitHub security
//! advisory of the `actions` ecosystem (online).
//!
//! Follows zizmor's audit of the same name. The version asked about is a tag: a SHA pin
//! becomes the longest tag pointing at its commit (`v1.2.3` rather than `v1`); a symbolic
//! ref is resolved to its commit and then to that commit's longest tag (so branch or tag
//! `v3` is asked about as `v3.1.4`), falling back to the ref itself. Advisories come from
//! `GET /advisories?ecosystem=actions&affects=owner/repo@version`. Severity follows the
//! advisory (critical counts as high); `rules.known-vulnerable-actions.config.allow` lists
//! GHSA ids to accept.

use super::AuditInfo;

pub(super) static INFO: AuditInfo = AuditInfo {
    id: "known-vulnerable-actions",
    description: "action has a known vulnerability",
    doc: "# known-vulnerable-actions\n\n*Online: runs with `chainward pipeline audit --online` (needs `GH_TOKEN`).*\n\n\
          Flags `uses:` references whose version is affected by a GitHub security advisory \
          (GHSA) of the `actions` ecosystem. One finding per advisory, at the advisory's \
          severity (critical is reported as high); the annotation names the GHSA id and the \
          first patched version when the advisory gives one.\n\n\
          SHA pins are matched through the longest tag that points to the pinned commit; an \
          untagged commit cannot be matched.\n\n## Configuration\n\n\
          ```yaml\n# chainward-pipeline.yml\nrules:\n  known-vulnerable-actions:\n    config:\n      \
          allow:\n        - GHSA-xxxx-xxxx-xxxx   # accepted after review\n```\n\n\
          ## Fix\n\nUpgrade to a patched release, pinned by commit SHA with the tag as a comment.\n",
};

#[cfg(feature = "online")]
pub(super) use online::KnownVulnerableActions;

#[cfg(feature = "online")]
mod online {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use chainward_gha::{Step, Workflow};

    use super::super::online_uses::{UsesSite, step_site, workflow_sites};
    use super::super::{Audit, AuditInfo, StepParent};
    use super::INFO;
    use crate::finding::{Confidence, Draft, Severity, Sink};
    use crate::github::{Advisory, GitHubClient, GitHubError};

    pub(in super::super) struct KnownVulnerableActions {
        pub(in super::super) client: Arc<GitHubClient>,
        /// GHSA ids accepted by configuration.
        pub(in super::super) allow: BTreeSet<String>,
    }

    fn severity(s: &str) -> Severity {
        match s.to_ascii_lowercase().as_str() {
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            // high, critical, and anything unexpected: err on the loud side, as zizmor does.
            _ => Severity::High,
        }
    }

    impl KnownVulnerableActions {
        /// The tag (or ref) to ask the advisory database about; `None` when there is none.
        fn version(&self, site: &UsesSite) -> Result<Option<String>, GitHubError> {
            let Some(git_ref) = site.uses.git_ref.as_deref() else { return Ok(None) };
            let slug = &site.slug;
            if let Some(commit) = site.commit() {
                return Ok(self.client.longest_tag_for_commit(slug, &commit)?.map(|t| t.name));
            }
            let Some(commit) = self.client.commit_for_ref(slug, git_ref)? else { return Ok(None) };
            Ok(Some(self.client.longest_tag_for_commit(slug, &commit)?.map_or_else(|| git_ref.to_owned(), |t| t.name)))
        }

        fn advisories(&self, site: &UsesSite) -> Result<Vec<Advisory>, GitHubError> {
            let Some(version) = self.version(site)? else { return Ok(Vec::new()) };
            self.client.action_advisories(&site.slug, &version)
        }

        fn check(&self, site: &UsesSite, out: &mut Sink<'_>) {
            let advisories = match self.advisories(site) {
                Ok(a) => a,
                Err(e) => return self.client.record_problem(e),
            };
            let name = site.slug.to_string();
            for a in advisories.iter().filter(|a| !self.allow.contains(&a.ghsa_id.to_ascii_uppercase())) {
                let patched = a
                    .vulnerabilities
                    .iter()
                    .find(|v| v.ecosystem == "actions" && v.package.eq_ignore_ascii_case(&name))
                    .and_then(|v| v.first_patched_version.as_deref());
                let mut annotation = format!("{} (https://github.com/advisories/{})", a.ghsa_id, a.ghsa_id);
                if let Some(p) = patched {
                    annotation.push_str(&format!("; fixed in {p}"));
                }
                out.report(
                    Draft::new(severity(&a.severity), Confidence::High, site.value(annotation)).hidden(site.whole()),
                );
            }
        }
    }

    impl Audit for KnownVulnerableActions {
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
