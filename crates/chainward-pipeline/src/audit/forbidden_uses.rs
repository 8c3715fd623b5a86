//! `forbidden-uses`: actions an organisation's allow or deny list forbids
//! (`rules.forbidden-uses.config.allow|deny`, patterns as in `unpinned-uses`, plus exact
//! `owner/repo@ref`). Silent without a list, as in zizmor. Pre-commit `repo:` URLs on github.com
//! are matched as `owner/repo@rev`; other URLs match no pattern (so an allow list forbids them),
//! as in zizmor.

use chainward_gha::{PreCommitConfig, RepositoryUses, Step, Uses};

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

    fn pre_commit(&self, config: &PreCommitConfig, out: &mut Sink<'_>) {
        let Some(list) = &self.list else { return };
        for repo in config.repos() {
            let Some(remote) = repo.remote() else { continue };
            let uses = remote.github_slug().map(|(owner, name)| RepositoryUses {
                owner: owner.to_owned(),
                repo: name.to_owned(),
                subpath: None,
                git_ref: remote.rev.map(str::to_owned),
            });
            let matched = |patterns: &[crate::config::UsesPattern]| {
                uses.as_ref().is_some_and(|u| patterns.iter().any(|p| p.matches(u)))
            };
            let denied = match list {
                List::Allow(allow) => !matched(allow),
                List::Deny(deny) => matched(deny),
            };
            if denied {
                let primary = Spot::new(
                    repo.route.key("repo"),
                    Focus::Text(remote.url.to_owned()),
                    "use of this repository is forbidden",
                );
                out.report(Draft::new(Severity::High, Confidence::High, primary));
            }
        }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{Config, Filter, PLANNED_AUDITS, audit, load};

    fn lines(config: &str, yaml: &str) -> Vec<usize> {
        let config = Config::parse(config.as_bytes(), PLANNED_AUDITS).unwrap();
        let name = ".pre-commit-config.yaml";
        let input = load(name, Path::new(name), yaml.as_bytes(), &Default::default()).unwrap();
        let report = audit(&[input], &config, &Filter::default());
        report.findings.iter().filter(|f| f.id == "forbidden-uses").map(|f| f.primary.line).collect()
    }

    const PRE_COMMIT: &str = "repos:\n- repo: https://github.com/psf/black\n  rev: 24.1.0\n  hooks: [{id: black}]\n\
                              - repo: https://github.com/pre-commit/pre-commit-hooks.git\n  rev: v4.6.0\n  \
                              hooks: [{id: check-yaml}]\n- repo: https://gitlab.com/a/b\n  rev: v1\n  \
                              hooks: [{id: x}]\n- repo: local\n  hooks: [{id: y, name: y, entry: y, language: system}]\n";

    #[test]
    fn pre_commit_deny_and_allow() {
        let deny = "rules:\n  forbidden-uses:\n    config:\n      deny: [psf/*]\n";
        assert_eq!(lines(deny, PRE_COMMIT), [2]);
        let allow = "rules:\n  forbidden-uses:\n    config:\n      allow: [pre-commit/pre-commit-hooks@v4.6.0]\n";
        // black is not allowed; the GitLab URL matches no pattern; `local` is not a remote.
        assert_eq!(lines(allow, PRE_COMMIT), [2, 8]);
        assert!(lines("rules: {}\n", PRE_COMMIT).is_empty());
    }
}
