//! `known-compromised-action`: `uses:` references (workflow steps, reusable workflow calls,
//! composite action steps) that meet an advisory of the `GitHub Actions` OSV ecosystem, offline.
//!
//! chainward's own check (zizmor's `known-vulnerable-actions` asks the GitHub API instead).
//! The advisories are the records bundled in the crate plus any given with `--advisories DIR`
//! ([`crate::ActionAdvisories`] documents how a record is read).

use chainward_gha::{Step, Uses, Workflow};
use chainward_yaml::{Route, RouteComponent};

use super::{Audit, AuditInfo, StepParent};
use crate::action_advisories::{ActionAdvisories, Exposure, ExposureKind};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "known-compromised-action",
    description: "known-compromised or vulnerable action used",
    doc: r#"# known-compromised-action

Matches every `uses:` reference (workflow steps, reusable workflow calls, composite action
steps) against advisories of the `GitHub Actions` OSV ecosystem, offline, and says how the
reference meets the advisory:

- **malicious commit**: pinned by SHA to the attacker's commit itself.
- **mutable tag**: a floating tag (`v45`, `v45.0`) whose line the advisory covers. When the
  advisory says the tag was repointed, every run during the compromise executed the
  malicious code: treat the secrets those runs could read as leaked.
- **affected version**: an exact version tag (`v35.7.7`) in the affected range (and, when the
  advisory says so, a tag that was itself repointed during the compromise).
- **affected commit**: pinned by SHA to a commit a `GIT` range of the advisory names.

A pin to the fixed release gets no finding. A pin to any other commit SHA gets none offline
either: which tag a commit carries needs the repository (`--online` audits).

Example: tj-actions/changed-files (GHSA-mrrh-fwg8-r2c3, CVE-2025-30066). In March 2025 the
tags v1 through v45.0.7 were moved to commit 0e58ed8671d6b60d0890c21b07f8835ace038e67, which
printed the runner's secrets into the workflow log; 46.0.1 is the fixed release.

## Advisories

chainward bundles OSV records for known-compromised actions. More can be given with
`chainward pipeline audit --advisories DIR` (every `*.json` file directly in DIR; records of
other ecosystems and withdrawn records are ignored; a malformed record is an error naming
the file and field), or in the config file:

```yaml
rules:
  known-compromised-action:
    config:
      advisories: path/to/osv-records   # relative to the config file
```

Records with the same id or a shared alias are one advisory. From each `affected[]` entry
whose `package.ecosystem` is `GitHub Actions` (`package.name` = `owner/repo`, any case):
`ranges` of type `ECOSYSTEM`/`SEMVER` (versions with or without a leading `v`, compared as
SemVer; a floating tag `vN` covers the line `[N.0.0, N+1.0.0)` and is flagged when the newest
release of its line is affected), `versions`, and the commits of `GIT` ranges. OSV has no
field for the traces of a compromise, so chainward reads its own:

```json
"database_specific": { "chainward": {
  "malicious_commits": ["0e58ed8671d6b60d0890c21b07f8835ace038e67"],
  "repointed_tags": [{"from": "v1", "through": "v45.0.7"}, "main"],
  "window": "2025-03-14 .. 2025-03-15 (UTC)"
} }
```

`malicious_commits`: full SHAs of the attacker's commits. `repointed_tags`: refs moved to
them, by name (exact, case-sensitive) or as an inclusive range of version tags. `window`:
free text shown in findings.

## Fix

Move to the fixed release, pinned by commit SHA with the tag as a comment, and rotate the
secrets of any run that used a repointed tag during the compromise.
"#,
};

pub(super) struct KnownCompromisedAction {
    advisories: ActionAdvisories,
}

impl KnownCompromisedAction {
    /// The bundled records and the extra ones.
    pub(super) fn new(extra: &ActionAdvisories) -> Self {
        let mut advisories = ActionAdvisories::bundled().cloned().unwrap_or_default();
        advisories.extend(extra.clone());
        KnownCompromisedAction { advisories }
    }

    fn check(&self, raw: &str, parent: &Route, out: &mut Sink<'_>) {
        let Some(Uses::Repository(uses)) = Uses::parse(raw) else { return };
        for exposure in self.advisories.exposures(&uses) {
            let spot = Spot::new(parent.key("uses"), Focus::Text(raw.trim().to_owned()), annotation(&exposure));
            // An ignore comment anywhere in the step (or calling job) applies, as for
            // unpinned-uses.
            let focus = if matches!(parent.split_last(), Some((RouteComponent::Index(_), _))) {
                Focus::Value
            } else {
                Focus::Key
            };
            let hidden = Spot::new(parent.clone(), focus, "");
            out.report(Draft::new(Severity::High, Confidence::High, spot).hidden(hidden));
        }
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// One line: what the reference is, the advisory and its aliases, the fixed version.
fn annotation(e: &Exposure) -> String {
    let commits = |all: &[String]| match all {
        [] => "a malicious commit".to_owned(),
        [one] => format!("malicious commit {one}"),
        many => format!("malicious commits {}", many.iter().map(|c| short(c)).collect::<Vec<_>>().join(", ")),
    };
    let during = e.window.as_deref().map(|w| format!(" during {w}")).unwrap_or_default();
    let what = match &e.kind {
        ExposureKind::MaliciousCommit { commit } => format!("pinned to the malicious commit {commit}"),
        ExposureKind::AffectedCommit { commit } => format!("pinned to commit {} named as affected", short(commit)),
        ExposureKind::MutableTag { tag, repointed: true } => {
            format!("mutable tag `{tag}` covered {}{during}", commits(&e.malicious_commits))
        }
        ExposureKind::MutableTag { tag, repointed: false } => {
            format!("mutable tag `{tag}` names a release in the affected range")
        }
        ExposureKind::AffectedVersion { tag, in_range, repointed } => {
            let mut s = if *in_range {
                format!("version `{tag}` is in the affected range")
            } else {
                format!("version tag `{tag}`")
            };
            if *repointed {
                s.push_str(&format!("; the tag was repointed to {}{during}", commits(&e.malicious_commits)));
            }
            s
        }
    };
    let mut names = e.id.clone();
    if !e.aliases.is_empty() {
        names.push_str(&format!(", {}", e.aliases.join(", ")));
    }
    let fixed = match e.fixed.as_slice() {
        [] => "no fixed version known".to_owned(),
        f => format!("fixed in {}", f.join(", ")),
    };
    format!("{what} ({names}; {fixed})")
}

impl Audit for KnownCompromisedAction {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        if self.advisories.is_empty() {
            return;
        }
        for job in workflow.jobs() {
            // A reusable workflow call runs the called repository's code too.
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
