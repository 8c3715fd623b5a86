//! `ref-version-mismatch`: a SHA pin whose `# vX.Y.Z` comment names a tag that points
//! elsewhere, or no tag at all; pedantic: a SHA pin of a tagged commit with no version
//! comment (online).
//!
//! Follows zizmor's audit of the same name. The version comment is the one comment after
//! the `uses:` value on its line, read as zizmor's pattern does: `#`, optional `tag:`,
//! `version:` or `ver:` (with `:` or `=`), then one word with no spaces (so
//! `# create-github-app-token/v0.2.2` and `# 2.7.0` are versions, `# some comment` is not).
//! The word is resolved as a branch or tag name of the repository.

use super::AuditInfo;

pub(super) static INFO: AuditInfo = AuditInfo {
    id: "ref-version-mismatch",
    description: "action's hash pin has mismatched or missing version comment",
    doc: "# ref-version-mismatch\n\n*Online: runs with `chainward pipeline audit --online` (needs `GH_TOKEN`).*\n\n\
          A hash pin is often written with the version it stands for:\n\n\
          ```yaml\n- uses: actions/setup-node@1a4442cacd436585916779262731d5b162bc6ec7 # v3.8.2\n```\n\n\
          Reviewers read the comment, not the SHA. This audit resolves the comment's version as a \
          tag (or branch) of the repository and reports, with severity medium, a comment whose \
          version points to another commit or does not exist, with the tag that really points to \
          the pinned commit when there is one. With `--persona pedantic` it also reports (low) SHA \
          pins of tagged commits that carry no version comment or a comment that is not a version.\n\n\
          Version comments: `# v1.2.3`, `# 1.2.3`, `# tag: v1.2.3`, `# version=v1`, \
          `# name/v1.2.3`: one word after the optional prefix.\n",
};

/// The version a comment names: `#`, optional `tag`/`version`/`ver` with `:` or `=`, then
/// exactly one word.
#[cfg_attr(not(feature = "online"), allow(dead_code))] // used by the online check and its tests
pub(super) fn comment_version(comment: &str) -> Option<&str> {
    let body = comment.strip_prefix('#')?.trim_start();
    let mut word = body;
    for prefix in ["version", "ver", "tag"] {
        if let Some(rest) = body.strip_prefix(prefix)
            && let Some(after) = rest.trim_start().strip_prefix([':', '='])
        {
            word = after.trim_start();
            break;
        }
    }
    let word = word.trim_end();
    (!word.is_empty() && !word.contains(char::is_whitespace)).then_some(word)
}

#[cfg(feature = "online")]
pub(super) use online::RefVersionMismatch;

#[cfg(feature = "online")]
mod online {
    use std::sync::Arc;

    use chainward_gha::{Step, Workflow};

    use super::super::online_uses::{UsesSite, step_site, workflow_sites};
    use super::super::{Audit, AuditInfo, StepParent};
    use super::{INFO, comment_version};
    use crate::finding::{Confidence, Draft, Persona, Severity, Sink, Spot};
    use crate::github::{GitHubClient, GitHubError};

    pub(in super::super) struct RefVersionMismatch {
        pub(in super::super) client: Arc<GitHubClient>,
    }

    /// The comment after the `uses:` value on its line, trimmed (`None` without one).
    fn trailing_comment<'s>(site: &UsesSite, out: &Sink<'s>) -> Option<&'s str> {
        let doc = out.doc();
        let node = doc.resolve(&site.parent.key(site.key))?;
        let rest = doc.source().get(node.span.end.byte..)?;
        let line = rest.lines().next().unwrap_or_default();
        let hash = line.find('#')?;
        // Only whitespace may sit between the value and the comment.
        line[..hash].trim().is_empty().then(|| line[hash..].trim_end())
    }

    impl RefVersionMismatch {
        fn check(&self, site: &UsesSite, out: &mut Sink<'_>) {
            if let Err(e) = self.try_check(site, out) {
                self.client.record_problem(e);
            }
        }

        fn try_check(&self, site: &UsesSite, out: &mut Sink<'_>) -> Result<(), GitHubError> {
            let Some(pinned) = site.commit() else { return Ok(()) };
            let slug = &site.slug;
            let comment = trailing_comment(site, out);
            let Some(version) = comment.and_then(comment_version) else {
                // No version to check: a pedantic nudge, when there is a tag to suggest.
                let Some(tag) = self.client.longest_tag_for_commit(slug, &pinned)? else { return Ok(()) };
                let annotation = match comment {
                    None => format!("missing version comment (the commit is tag {})", tag.name),
                    Some(_) => format!("comment does not contain a version (the commit is tag {})", tag.name),
                };
                out.report(
                    Draft::new(Severity::Low, Confidence::High, site.value(annotation))
                        .persona(Persona::Pedantic)
                        .hidden(site.whole()),
                );
                return Ok(());
            };
            let resolved = self.client.commit_for_ref(slug, version)?;
            if resolved.as_deref() == Some(pinned.as_str()) {
                return Ok(());
            }
            let annotation = match &resolved {
                Some(c) => format!("version comment {version} points to commit {}", c.get(..12).unwrap_or(c)),
                None => format!("version comment {version} points to unknown ref"),
            };
            let mut draft = Draft::new(Severity::Medium, Confidence::High, site.value(annotation)).hidden(site.whole());
            if let Some(tag) = self.client.longest_tag_for_commit(slug, &pinned)? {
                draft = draft.related(Spot::new(
                    site.parent.key(site.key),
                    crate::finding::Focus::Value,
                    format!("is pointed to by tag {}", tag.name),
                ));
            }
            out.report(draft);
            Ok(())
        }
    }

    impl Audit for RefVersionMismatch {
        fn info(&self) -> &'static AuditInfo {
            &INFO
        }

        fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
            // Steps only: a reusable workflow call is not versioned by a comment convention.
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

#[cfg(test)]
mod tests {
    use super::comment_version;

    #[test]
    fn version_comments() {
        assert_eq!(comment_version("# v3.8.2"), Some("v3.8.2"));
        assert_eq!(comment_version("#2.7.0"), Some("2.7.0"));
        assert_eq!(comment_version("# tag: v1"), Some("v1"));
        assert_eq!(comment_version("# version=v1.2"), Some("v1.2"));
        assert_eq!(comment_version("# create-github-app-token/v0.2.2"), Some("create-github-app-token/v0.2.2"));
        assert_eq!(comment_version("# some comment"), None);
        assert_eq!(comment_version("# zizmor: ignore[unpinned-uses]"), None);
        assert_eq!(comment_version("#"), None);
    }
}
