//! `unpinned-tools`: setup actions that download a tool at whatever version is newest
//! unless told otherwise. Pinning the action does not pin the tool it fetches, so a
//! compromised or broken release of the tool reaches the workflow at once. Follows
//! zizmor's `unpinned-tools`: no `version:` input or `version: latest` (high confidence),
//! a version from an expression (low confidence).

use chainward_gha::{Step, Uses, if_statically_false};

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "unpinned-tools",
    description: "action installs an unpinned external tool",
    doc: "# unpinned-tools\n\nFlags setup actions that install an external tool without a fixed version \
          (`aquasecurity/setup-trivy`, `1password/load-secrets-action`): no `version:` input, \
          `version: latest`, or a version computed by an expression. The action's own pin does not pin the \
          tool it downloads; give an exact `version:`.\n",
};

pub(super) struct UnpinnedTools;

/// Actions whose `version` input selects the tool they download, defaulting to the
/// latest release (per each action's `action.yml`, as listed by zizmor).
const TOOL_ACTIONS: &[(&str, &str)] = &[("aquasecurity", "setup-trivy"), ("1password", "load-secrets-action")];

impl Audit for UnpinnedTools {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        // A step whose `if:` is statically false never runs (zizmor #2059).
        if step.node.get_str("if").is_some_and(if_statically_false) {
            return;
        }
        let Some(Uses::Repository(uses)) = step.uses() else { return };
        let known = TOOL_ACTIONS.iter().any(|(owner, repo)| {
            uses.owner.eq_ignore_ascii_case(owner) && uses.repo.eq_ignore_ascii_case(repo) && uses.subpath.is_none()
        });
        if !known {
            return;
        }
        // `with:` given as one expression cannot be read.
        let version = match step.get("with") {
            None => None,
            Some(w) if w.is_null() => None,
            Some(w) if w.as_mapping().is_some() => w.get("version"),
            Some(_) => return,
        };
        let raw_uses = step.node.get_str("uses").unwrap_or_default().trim().to_owned();
        let this_action = || Spot::new(step.route.key("uses"), Focus::Text(raw_uses.clone()), "this action");
        let version_route = step.route.key("with").key("version");
        let draft = match version.map(|v| v.as_str()) {
            None => Draft::new(
                Severity::Medium,
                Confidence::High,
                Spot::new(
                    step.route.key("uses"),
                    Focus::Text(raw_uses.clone()),
                    "action implicitly uses an unpinned latest version",
                ),
            ),
            Some(Some("latest")) => Draft::new(
                Severity::Medium,
                Confidence::High,
                Spot::new(version_route, Focus::Value, "specifies `version: latest` which is unpinned"),
            )
            .related(this_action()),
            Some(Some(text)) if is_fenced(text) => Draft::new(
                Severity::Medium,
                Confidence::Low,
                Spot::new(version_route, Focus::Value, "specifies `version` dynamically, which may be unpinned"),
            )
            .related(this_action()),
            Some(_) => return,
        };
        out.report(draft.hidden(Spot::new(step.route.clone(), Focus::Value, "")));
    }
}

/// `${{ … }}` exactly, as zizmor requires of a dynamic version.
fn is_fenced(text: &str) -> bool {
    text.starts_with("${{") && text.ends_with("}}")
}

#[cfg(test)]
mod tests {
    use crate::{Config, Filter, audit, load};

    fn lines(yaml: &str) -> Vec<usize> {
        let input = load("a.yml", std::path::Path::new("action.yml"), yaml.as_bytes(), &Default::default()).unwrap();
        audit(&[input], &Config::default(), &Filter::default())
            .findings
            .iter()
            .filter(|f| f.id == "unpinned-tools")
            .map(|f| f.primary.line)
            .collect()
    }

    #[test]
    fn composite_action_steps() {
        let y = "name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - uses: aquasecurity/setup-trivy@v0.2.2\n      with:\n        version: v0.56.1\n    - uses: AquaSecurity/setup-trivy@v0.2.2\n      with:\n        version: ${{ inputs.v }}\n    - uses: aquasecurity/setup-trivy/sub@v0.2.2\n    - uses: 1password/load-secrets-action@v2\n      with: ${{ fromJSON(inputs.w) }}\n";
        assert_eq!(lines(y), [11]);
    }
}
