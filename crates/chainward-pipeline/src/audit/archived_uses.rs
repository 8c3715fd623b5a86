//! `archived-uses`: actions, reusable workflows and pre-commit hook repositories that live in
//! archived GitHub repositories. Archived repositories are read-only: whatever is wrong in them
//! (their own bugs, stale vendored dependencies) will not be fixed. Follows zizmor's audit of
//! the same name: medium severity, high confidence, matched on `owner/repo` case-insensitively.
//!
//! The list is `data/archived-repos.txt`, a hand-written snapshot (see its header).

use std::collections::HashSet;
use std::sync::LazyLock;

use chainward_gha::{PreCommitConfig, RepositoryUses, Step, Uses, Workflow};
use chainward_yaml::Route;

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "archived-uses",
    description: "action or reusable workflow from archived repository",
    doc: "# archived-uses\n\nFlags `uses:` clauses (steps, composite action steps, reusable workflow calls) and \
          pre-commit `repo:` entries that point at an archived GitHub repository. An archived repository is \
          read-only and unmaintained: vulnerabilities in it, or in the dependencies it vendors, will not be \
          fixed.\n\nThe list of archived repositories is built into chainward and is a snapshot; it is not \
          looked up online.\n\n## Fix\n\nRemove the action (many are thin wrappers: `actions-rs/cargo` is \
          `run: cargo ...`, `actions/create-release` is `gh release create`) or move to the maintained \
          replacement (`actions/setup-ruby` → `ruby/setup-ruby`).\n",
};

/// The archived repositories, `owner/repo` lower-case.
const ARCHIVED: &str = include_str!("../../data/archived-repos.txt");

/// The list's entries, lower-case `owner/repo`.
static ARCHIVED_SET: LazyLock<HashSet<String>> = LazyLock::new(|| {
    ARCHIVED
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
});

/// Whether `owner/repo` is on the list (case-insensitive, as GitHub names are).
fn is_archived(owner: &str, repo: &str) -> bool {
    ARCHIVED_SET.contains(&format!("{owner}/{repo}").to_ascii_lowercase())
}

pub(super) struct ArchivedUses;

impl ArchivedUses {
    /// `parent` is the step or calling job holding `uses:`.
    fn check(uses: &RepositoryUses, parent: &Route, out: &mut Sink<'_>) {
        if !is_archived(&uses.owner, &uses.repo) {
            return;
        }
        let slug = format!("{}/{}", uses.owner, uses.repo);
        let primary = Spot::new(parent.key("uses"), Focus::Text(slug), "repository is archived");
        // An ignore comment anywhere on the step (or the calling job's `uses:` entry) applies.
        let hidden = Spot::whole_entry(parent);
        out.report(Draft::new(Severity::Medium, Confidence::High, primary).hidden(hidden));
    }
}

impl Audit for ArchivedUses {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            if let Some(Uses::Repository(uses)) = job.node.get_str("uses").and_then(Uses::parse) {
                Self::check(&uses, &job.route, out);
            }
            self.job(workflow, &job, out);
        }
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if let Some(Uses::Repository(uses)) = step.uses() {
            Self::check(&uses, &step.route, out);
        }
    }

    fn pre_commit(&self, config: &PreCommitConfig, out: &mut Sink<'_>) {
        for repo in config.repos() {
            let Some(remote) = repo.remote() else { continue };
            let Some((owner, name)) = remote.github_slug() else { continue };
            if is_archived(owner, name) {
                let primary =
                    Spot::new(repo.route.key("repo"), Focus::Text(remote.url.to_owned()), "repository is archived");
                let hidden = Spot::new(repo.route.clone(), Focus::Value, "");
                out.report(Draft::new(Severity::Medium, Confidence::High, primary).hidden(hidden));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{Config, Filter, audit, load};

    fn lines(name: &str, yaml: &str) -> Vec<usize> {
        let input = load(name, Path::new(name), yaml.as_bytes(), &Default::default()).unwrap();
        let report = audit(&[input], &Config::default(), &Filter::default());
        report.findings.iter().filter(|f| f.id == "archived-uses").map(|f| f.primary.line).collect()
    }

    #[test]
    fn list_is_well_formed() {
        for entry in super::ARCHIVED.lines().map(|l| l.split('#').next().unwrap_or("").trim()) {
            if entry.is_empty() {
                continue;
            }
            assert_eq!(entry, entry.to_ascii_lowercase(), "{entry}");
            assert_eq!(entry.split('/').count(), 2, "{entry}");
        }
        assert!(super::is_archived("Actions-RS", "Cargo"));
        assert!(!super::is_archived("actions", "checkout"));
    }

    #[test]
    fn flags_archived_actions_and_workflows() {
        let wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
                  - uses: actions-rs/toolchain@v1\n      - uses: actions/create-release/sub@v1\n  \
                  b:\n    uses: actions/upload-release-asset/.github/workflows/x.yml@v1\n";
        assert_eq!(lines(".github/workflows/ci.yml", wf), [6, 7, 9]);
    }

    #[test]
    fn negatives() {
        // Maintained repositories, local and Docker references, and a name that only
        // contains an archived one.
        let wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
                  - uses: ruby/setup-ruby@v1\n      - uses: ./actions/setup-ruby\n      \
                  - uses: docker://actions/setup-ruby\n      - uses: actions/setup-ruby-extra@v1\n      \
                  - run: echo actions/setup-ruby\n";
        assert!(lines(".github/workflows/ci.yml", wf).is_empty());
        let pc = "repos:\n- repo: local\n  hooks: [{id: x}]\n- repo: https://github.com/psf/black\n  rev: 24.1.0\n  \
                  hooks: [{id: black}]\n- repo: https://gitlab.com/pre-commit/mirrors-prettier\n  rev: v1\n";
        assert!(lines(".pre-commit-config.yaml", pc).is_empty());
    }

    #[test]
    fn pre_commit_urls() {
        let pc = "repos:\n- repo: https://github.com/pre-commit/mirrors-isort.git\n  rev: v5\n  hooks: [{id: isort}]\n";
        assert_eq!(lines(".pre-commit-config.yaml", pc), [2]);
    }
}
