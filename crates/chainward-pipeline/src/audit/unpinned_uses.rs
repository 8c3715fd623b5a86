//! `unpinned-uses`: `uses:` references that a policy says must be pinned harder.
//!
//! Follows zizmor's audit of the same name: the default policy is hash-pin for everything,
//! configurable per owner/repository/path (`rules.unpinned-uses.config.policies`). Local
//! (`./`, `$/`) and `docker://` references are out of scope (the latter is `unpinned-images`).

use chainward_gha::{Step, Uses, Workflow};
use chainward_yaml::Route;

use super::{Audit, AuditInfo, StepParent};
use crate::config::{UnpinnedUsesPolicies, UsesPolicy};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "unpinned-uses",
    description: "unpinned action reference",
    doc: "# unpinned-uses\n\nFlags `uses:` references (steps, composite action steps, reusable workflow calls) \
          that are not pinned as the configured policy requires. By default every action must be pinned \
          to a full 40-character commit SHA: tags and branches are mutable, and whoever controls the \
          action can move them (the tj-actions/changed-files compromise, CVE-2025-30066, moved every tag \
          to a malicious commit).\n\n## Policy\n\n```yaml\n# chainward-pipeline.yml\nrules:\n  unpinned-uses:\n    \
          config:\n      policies:\n        actions/*: ref-pin      # GitHub's own actions may use tags\n        \
          my-org/*: any\n        \"*\": hash-pin\n```\n\nPatterns: `*`, `owner/*`, `owner/repo`, `owner/repo/*`, \
          `owner/repo/path`; the most specific wins. Policies: `any`, `ref-pin`, `hash-pin`.\n\n## Fix\n\n\
          `uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2`\n",
};

pub(super) struct UnpinnedUses {
    policies: UnpinnedUsesPolicies,
}

impl UnpinnedUses {
    pub(super) fn new(policies: UnpinnedUsesPolicies) -> Self {
        UnpinnedUses { policies }
    }

    fn check(&self, raw: &str, parent: &Route, out: &mut Sink<'_>) {
        let Some(Uses::Repository(uses)) = Uses::parse(raw) else { return };
        let (pattern, policy) = self.policies.policy_for(&uses);
        let scope = pattern.map_or_else(|| "blanket".to_owned(), ToString::to_string);
        let annotation = match policy {
            UsesPolicy::Any => return,
            // A repository `uses:` without `@ref` is rejected by GitHub; count it as unpinned.
            UsesPolicy::RefPin if uses.git_ref.is_some() => return,
            UsesPolicy::RefPin => format!("action is not pinned to a ref or hash (required by {scope} policy)"),
            UsesPolicy::HashPin if uses.is_commit_pinned() => return,
            UsesPolicy::HashPin => format!("action is not pinned to a hash (required by {scope} policy)"),
        };
        let spot = Spot::new(parent.key("uses"), Focus::Text(raw.trim().to_owned()), annotation);
        // An ignore comment anywhere in the step (or calling job) applies, as in zizmor.
        let hidden = Spot::whole_entry(parent);
        out.report(Draft::new(Severity::High, Confidence::High, spot).hidden(hidden));
    }
}

impl Audit for UnpinnedUses {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            if let Some(raw) = job.node.get_str("uses") {
                self.check(raw, &job.route, out);
            }
            self.job(workflow, &job, out);
        }
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if let Some(raw) = step.node.get_str("uses") {
            self.check(raw, &step.route, out);
        }
    }
}
