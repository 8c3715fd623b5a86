//! `github-app`: GitHub App installation tokens minted by `actions/create-github-app-token`
//! with more reach than needed: revocation turned off (the token outlives the job), an
//! `owner:` without `repositories:` (every repository of the installation), or no
//! `permission-*` input (every permission of the installation). Follows zizmor's
//! `github-app`.

use chainward_gha::{Step, Uses, if_statically_false};
use chainward_yaml::Node;

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "github-app",
    description: "dangerous use of GitHub App tokens",
    doc: "# github-app\n\nFlags `actions/create-github-app-token` steps that mint broader tokens than needed:\n\n\
          - `skip-token-revoke: true` keeps the token valid after the job ends;\n\
          - `owner:` without `repositories:` grants every repository of the app's installation (unless \
          only organization-level `permission-*` inputs are requested);\n\
          - no `permission-<name>` input grants every permission of the installation.\n\n\
          Scope the token with `repositories:` and explicit `permission-<name>` inputs, and leave \
          revocation on.\n",
};

pub(super) struct GithubApp;

/// `permission-*` inputs of create-github-app-token that reach organization resources only
/// (from the action's `action.yml`, organization permissions of GitHub Apps); with only
/// these, `repositories:` has nothing to narrow.
const ORG_ONLY_PERMISSIONS: &[&str] = &[
    "permission-custom-properties-for-organizations",
    "permission-enterprise-custom-properties-for-organizations",
    "permission-members",
    "permission-organization-administration",
    "permission-organization-announcement-banners",
    "permission-organization-copilot-seat-management",
    "permission-organization-custom-org-roles",
    "permission-organization-custom-properties",
    "permission-organization-custom-roles",
    "permission-organization-events",
    "permission-organization-hooks",
    "permission-organization-packages",
    "permission-organization-personal-access-token-requests",
    "permission-organization-personal-access-tokens",
    "permission-organization-plan",
    "permission-organization-projects",
    "permission-organization-secrets",
    "permission-organization-self-hosted-runners",
    "permission-organization-user-blocking",
];

/// The actions toolkit's `getBooleanInput`: `true`/`True`/`TRUE` and the same for false.
fn toolkit_bool(node: &Node) -> Option<bool> {
    match node.as_str()?.trim() {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

impl Audit for GithubApp {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if step.node.get_str("if").is_some_and(if_statically_false) {
            return;
        }
        let Some(Uses::Repository(uses)) = step.uses() else { return };
        if !(uses.owner.eq_ignore_ascii_case("actions")
            && uses.repo.eq_ignore_ascii_case("create-github-app-token")
            && uses.subpath.is_none())
        {
            return;
        }
        // `with:` as one expression cannot be read (obfuscation flags it).
        let inputs: &[(Node, Node)] = match step.get("with") {
            None => &[],
            Some(w) => match w.as_mapping() {
                Some(entries) => entries,
                None if w.is_null() => &[],
                None => return,
            },
        };
        let input = |name: &str| inputs.iter().find(|(k, _)| k.as_str() == Some(name)).map(|(_, v)| v);
        let keys: Vec<&str> = inputs.iter().filter_map(|(k, _)| k.as_str()).collect();
        let raw_uses = step.node.get_str("uses").unwrap_or_default().trim().to_owned();
        let uses_spot = |annotation: &str| Spot::new(step.route.key("uses"), Focus::Text(raw_uses.clone()), annotation);
        let with_spot =
            |key: &str, annotation: &str| Spot::new(step.route.key("with").key(key), Focus::Value, annotation);

        if let Some(skip) = input("skip-token-revoke") {
            let disabled = match toolkit_bool(skip) {
                Some(true) => Some((Confidence::High, "token revocation disabled here")),
                Some(false) => None,
                None => skip
                    .as_str()
                    .filter(|s| s.starts_with("${{") && s.ends_with("}}"))
                    .map(|_| (Confidence::Low, "token revocation conditionally disabled here")),
            };
            if let Some((confidence, annotation)) = disabled {
                out.report(
                    Draft::new(Severity::High, confidence, with_spot("skip-token-revoke", annotation))
                        .related(uses_spot("app token requested here")),
                );
            }
        }

        let permissions: Vec<&str> = keys.iter().copied().filter(|k| k.starts_with("permission-")).collect();
        let org_only = !permissions.is_empty() && permissions.iter().all(|p| ORG_ONLY_PERMISSIONS.contains(p));
        if keys.contains(&"owner") && !keys.contains(&"repositories") && !org_only {
            out.report(
                Draft::new(
                    Severity::High,
                    Confidence::High,
                    with_spot("owner", "token granted access to all repositories for this owner's app installation"),
                )
                .related(uses_spot("app token requested here")),
            );
        }
        if permissions.is_empty() {
            out.report(Draft::new(
                Severity::High,
                Confidence::High,
                uses_spot("app token inherits blanket installation permissions"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Filter, audit, load};

    fn found(yaml: &str) -> Vec<(usize, crate::Confidence)> {
        let input = load("w.yml", std::path::Path::new("w.yml"), yaml.as_bytes(), &Default::default()).unwrap();
        audit(&[input], &Config::default(), &Filter::default())
            .findings
            .iter()
            .filter(|f| f.id == "github-app")
            .map(|f| (f.primary.line, f.confidence))
            .collect()
    }

    #[test]
    fn scoped_tokens_pass() {
        let y = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/create-github-app-token@v2\n        with:\n          skip-token-revoke: false\n          owner: me\n          repositories: a,b\n          permission-contents: read\n      - uses: actions/create-github-app-token@v2\n        with: ${{ fromJSON(inputs.w) }}\n      - uses: other/create-github-app-token@v2\n      - uses: actions/create-github-app-token@v2\n        if: false\n";
        assert!(found(y).is_empty());
    }

    #[test]
    fn broad_tokens() {
        use crate::Confidence::{High, Low};
        // `yes` is not a boolean to the actions toolkit: the action would fail, not skip.
        let y = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/create-github-app-token@v2\n        with:\n          skip-token-revoke: TRUE\n      - uses: actions/create-github-app-token@v2\n        with:\n          skip-token-revoke: yes\n          owner: me\n          permission-members: read\n      - uses: actions/create-github-app-token@v2\n        with:\n          skip-token-revoke: ${{ inputs.keep }}\n          permission-contents: read\n";
        assert_eq!(found(y), [(6, High), (8, High), (16, Low)]);
    }
}
