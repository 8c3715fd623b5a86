//! Where the online audits look: every repository `uses:` of a workflow (steps and reusable
//! workflow calls) or composite action step, with the route of the step or job around it,
//! and every GitHub `repo:`/`rev:` of a pre-commit config.

use chainward_gha::{PreCommitConfig, RepositoryUses, Step, Uses, Workflow};
use chainward_yaml::Route;

use crate::finding::{Focus, Spot};
use crate::github::Slug;

/// One `uses: owner/repo[/path]@ref`.
pub(super) struct UsesSite {
    /// The parsed reference.
    pub(super) uses: RepositoryUses,
    /// The repository, when its name is one GitHub allows.
    pub(super) slug: Slug,
    /// The step or job holding the `uses:` (the `repos[]` entry of a pre-commit config).
    pub(super) parent: Route,
    /// The key holding the ref: `uses`, or `rev` in a pre-commit config.
    pub(super) key: &'static str,
    /// Whether the `uses:` is a step's (not a reusable workflow call or pre-commit remote).
    pub(super) in_step: bool,
}

impl UsesSite {
    /// The `uses:` value (primary locations).
    pub(super) fn value(&self, annotation: impl Into<String>) -> Spot {
        Spot::new(self.parent.key(self.key), Focus::Value, annotation)
    }

    /// The whole step or job: not shown, but an ignore comment anywhere in it applies.
    pub(super) fn whole(&self) -> Spot {
        Spot::new(self.parent.clone(), Focus::Value, "")
    }

    /// The ref when it is a full commit SHA, lower-cased.
    pub(super) fn commit(&self) -> Option<String> {
        self.uses.is_commit_pinned().then(|| self.uses.git_ref.as_deref().unwrap_or_default().to_ascii_lowercase())
    }
}

fn site(raw: &str, parent: &Route, in_step: bool) -> Option<UsesSite> {
    let Some(Uses::Repository(uses)) = Uses::parse(raw.trim()) else { return None };
    let slug = Slug::new(&uses.owner, &uses.repo)?;
    Some(UsesSite { uses, slug, parent: parent.clone(), key: "uses", in_step })
}

/// Every repository `uses:` of a workflow: reusable-workflow jobs and steps, in order.
pub(super) fn workflow_sites(workflow: &Workflow) -> Vec<UsesSite> {
    let mut out = Vec::new();
    for job in workflow.jobs() {
        if let Some(s) = job.node.get_str("uses").and_then(|raw| site(raw, &job.route, false)) {
            out.push(s);
        }
        for step in job.steps() {
            out.extend(step_site(&step));
        }
    }
    out
}

/// The repository `uses:` of a step, if it has one.
pub(super) fn step_site(step: &Step<'_>) -> Option<UsesSite> {
    step.node.get_str("uses").and_then(|raw| site(raw, &step.route, true))
}

/// Every remote of a pre-commit config that names a GitHub repository and a `rev:`.
pub(super) fn pre_commit_sites(config: &PreCommitConfig) -> Vec<UsesSite> {
    let mut out = Vec::new();
    for repo in config.repos() {
        let Some(remote) = repo.remote() else { continue };
        let (Some((owner, name)), Some(rev)) = (remote.github_slug(), remote.rev) else { continue };
        let Some(slug) = Slug::new(owner, name) else { continue };
        let uses = RepositoryUses {
            owner: owner.to_owned(),
            repo: name.to_owned(),
            subpath: None,
            git_ref: Some(rev.trim().to_owned()),
        };
        out.push(UsesSite { uses, slug, parent: repo.route.clone(), key: "rev", in_step: false });
    }
    out
}
