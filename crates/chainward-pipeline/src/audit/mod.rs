//! The [`Audit`] trait and the one hand-written registry.
//!
//! Hooks default to walking the tree (workflow → job → step; action → step), so an audit
//! overrides only the level it cares about, as zizmor's `Audit` trait does.

use chainward_gha::{Action, Dependabot, Job, PreCommitConfig, Step, Workflow};

use crate::config::Config;
use crate::dockerfile::Dockerfile;
use crate::finding::Sink;

mod adhoc_packages;
mod anonymous_definition;
mod archived_uses;
mod artipacked;
mod bot_conditions;
mod cache_poisoning;
mod concurrency_limits;
mod dangerous_triggers;
mod dependabot_cooldown;
mod dependabot_execution;
mod docker_add_instead_of_copy;
mod docker_apk_cache_kept;
mod docker_apt_install_recommends;
mod docker_apt_lists_kept;
mod docker_base_latest;
mod docker_base_tag_only;
mod docker_base_untagged;
mod docker_pipe_without_pipefail;
mod docker_unpinned_apk;
mod docker_unpinned_apt;
mod docker_unpinned_npm;
mod docker_unpinned_pip;
mod excessive_permissions;
mod forbidden_uses;
mod github_app;
mod github_env;
mod hardcoded_container_credentials;
mod insecure_commands;
mod insecure_url_scheme;
mod known_compromised_action;
mod misfeature;
mod obfuscation;
mod overprovisioned_secrets;
mod remote_add_without_checksum;
mod remote_script_pipe_to_shell;
mod secrets_inherit;
mod secrets_outside_env;
mod self_hosted_runner;
mod self_repository;
mod superfluous_actions;
mod template_injection;
mod typosquat_uses;
mod undocumented_permissions;
mod unpinned_images;
mod unpinned_tools;
mod unpinned_uses;
mod unredacted_secrets;
mod unsound_condition;
mod unsound_contains;
mod unsound_ternary;
mod use_trusted_publishing;
// The online audits: their docs always (for `explain`), their checks with `online`.
mod impostor_commit;
mod known_vulnerable_actions;
#[cfg(feature = "online")]
mod online_uses;
mod ref_confusion;
mod ref_version_mismatch;
mod stale_action_refs;

/// What an audit is: its id, a one-line description and its documentation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditInfo {
    /// Kebab-case id, used in findings, ignores and config.
    pub id: &'static str,
    /// One line.
    pub description: &'static str,
    /// The documentation page (Markdown), shown by `chainward pipeline explain ID`.
    pub doc: &'static str,
}

/// Where a step is: in a workflow job or in a composite action.
#[derive(Debug, Clone, Copy)]
pub enum StepParent<'a> {
    /// A step of a workflow job.
    Job(&'a Workflow, &'a Job<'a>),
    /// A step of a composite action.
    Action(&'a Action),
}

/// One audit. Every hook has a default that walks down a level.
pub trait Audit: Send + Sync {
    /// The audit's id, description and documentation.
    fn info(&self) -> &'static AuditInfo;

    /// Audits a workflow; by default, each of its jobs.
    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            self.job(workflow, &job, out);
        }
    }

    /// Audits a job; by default, each of its steps.
    fn job(&self, workflow: &Workflow, job: &Job<'_>, out: &mut Sink<'_>) {
        for step in job.steps() {
            self.step(StepParent::Job(workflow, job), &step, out);
        }
    }

    /// Audits an action; by default, each step of a composite action.
    fn action(&self, action: &Action, out: &mut Sink<'_>) {
        for step in action.steps() {
            self.step(StepParent::Action(action), &step, out);
        }
    }

    /// Audits one step of a job or composite action.
    fn step(&self, _parent: StepParent<'_>, _step: &Step<'_>, _out: &mut Sink<'_>) {}

    /// Audits a Dependabot config.
    fn dependabot(&self, _config: &Dependabot, _out: &mut Sink<'_>) {}

    /// Audits a pre-commit config.
    fn pre_commit(&self, _config: &PreCommitConfig, _out: &mut Sink<'_>) {}

    /// Audits a Dockerfile.
    fn dockerfile(&self, _file: &Dockerfile, _out: &mut Sink<'_>) {}
}

/// Every audit, constructed with its configuration. Hand-written so the list is reviewable
/// and the build fails when a module is added but not registered.
pub fn registry(config: &Config) -> Vec<Box<dyn Audit>> {
    vec![
        Box::new(adhoc_packages::AdhocPackages),
        Box::new(anonymous_definition::AnonymousDefinition),
        Box::new(archived_uses::ArchivedUses),
        Box::new(artipacked::Artipacked),
        Box::new(bot_conditions::BotConditions),
        Box::new(cache_poisoning::CachePoisoning),
        Box::new(concurrency_limits::ConcurrencyLimits),
        Box::new(dangerous_triggers::DangerousTriggers),
        Box::new(dependabot_cooldown::DependabotCooldown { days: config.dependabot_cooldown_days }),
        Box::new(dependabot_execution::DependabotExecution),
        Box::new(docker_add_instead_of_copy::DockerAddInsteadOfCopy),
        Box::new(docker_apk_cache_kept::DockerApkCacheKept),
        Box::new(docker_apt_install_recommends::DockerAptInstallRecommends),
        Box::new(docker_apt_lists_kept::DockerAptListsKept),
        Box::new(docker_base_latest::DockerBaseLatest),
        Box::new(docker_base_tag_only::DockerBaseTagOnly),
        Box::new(docker_base_untagged::DockerBaseUntagged),
        Box::new(docker_pipe_without_pipefail::DockerPipeWithoutPipefail),
        Box::new(docker_unpinned_apk::DockerUnpinnedApk),
        Box::new(docker_unpinned_apt::DockerUnpinnedApt),
        Box::new(docker_unpinned_npm::DockerUnpinnedNpm),
        Box::new(docker_unpinned_pip::DockerUnpinnedPip),
        Box::new(excessive_permissions::ExcessivePermissions),
        Box::new(forbidden_uses::ForbiddenUses { list: config.forbidden_uses.clone() }),
        Box::new(github_app::GithubApp),
        Box::new(github_env::GithubEnv),
        Box::new(hardcoded_container_credentials::HardcodedContainerCredentials),
        Box::new(insecure_commands::InsecureCommands),
        Box::new(insecure_url_scheme::InsecureUrlScheme),
        Box::new(known_compromised_action::KnownCompromisedAction::new(&config.action_advisories)),
        Box::new(misfeature::Misfeature),
        Box::new(obfuscation::Obfuscation),
        Box::new(overprovisioned_secrets::OverprovisionedSecrets),
        Box::new(remote_add_without_checksum::RemoteAddWithoutChecksum),
        Box::new(remote_script_pipe_to_shell::RemoteScriptPipeToShell),
        Box::new(secrets_inherit::SecretsInherit),
        Box::new(secrets_outside_env::SecretsOutsideEnv { allow: config.secrets_outside_env_allow.clone() }),
        Box::new(self_hosted_runner::SelfHostedRunner),
        Box::new(self_repository::SelfRepository),
        Box::new(superfluous_actions::SuperfluousActions),
        Box::new(template_injection::TemplateInjection),
        Box::new(typosquat_uses::TyposquatUses),
        Box::new(undocumented_permissions::UndocumentedPermissions),
        Box::new(unpinned_images::UnpinnedImages),
        Box::new(unpinned_tools::UnpinnedTools),
        Box::new(unpinned_uses::UnpinnedUses::new(config.unpinned_uses.clone())),
        Box::new(unredacted_secrets::UnredactedSecrets),
        Box::new(unsound_condition::UnsoundCondition),
        Box::new(unsound_contains::UnsoundContains),
        Box::new(unsound_ternary::UnsoundTernary),
        Box::new(use_trusted_publishing::UseTrustedPublishing),
    ]
}

/// The audits that ask the GitHub API (`--online`): documented always, constructed only by
/// [`online_registry`].
pub const ONLINE_AUDITS: [&AuditInfo; 5] = [
    &impostor_commit::INFO,
    &known_vulnerable_actions::INFO,
    &ref_confusion::INFO,
    &ref_version_mismatch::INFO,
    &stale_action_refs::INFO,
];

/// The online audits, constructed with the client they ask. Offline they are not built at
/// all (rather than built and told to skip), as zizmor does with its network audits.
#[cfg(feature = "online")]
pub fn online_registry(config: &Config, client: &std::sync::Arc<crate::github::GitHubClient>) -> Vec<Box<dyn Audit>> {
    use std::sync::Arc;
    vec![
        Box::new(impostor_commit::ImpostorCommit { client: Arc::clone(client) }),
        Box::new(known_vulnerable_actions::KnownVulnerableActions {
            client: Arc::clone(client),
            allow: config.known_vulnerable_actions_allow.clone(),
        }),
        Box::new(ref_confusion::RefConfusion { client: Arc::clone(client) }),
        Box::new(ref_version_mismatch::RefVersionMismatch { client: Arc::clone(client) }),
        Box::new(stale_action_refs::StaleActionRefs { client: Arc::clone(client) }),
    ]
}

/// The ids of every audit, online ones included, and their docs (for `explain` and config
/// checks).
pub fn all_audits() -> Vec<&'static AuditInfo> {
    let mut all: Vec<&'static AuditInfo> = registry(&Config::default()).iter().map(|a| a.info()).collect();
    all.extend(ONLINE_AUDITS);
    all
}
