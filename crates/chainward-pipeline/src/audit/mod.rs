//! The [`Audit`] trait and the one hand-written registry.
//!
//! Hooks default to walking the tree (workflow → job → step; action → step), so an audit
//! overrides only the level it cares about, as zizmor's `Audit` trait does.

use chainward_gha::{Action, Dependabot, Job, Step, Workflow};

use crate::config::Config;
use crate::finding::Sink;

mod anonymous_definition;
mod artipacked;
mod concurrency_limits;
mod dangerous_triggers;
mod dependabot_cooldown;
mod dependabot_execution;
mod excessive_permissions;
mod forbidden_uses;
mod github_env;
mod hardcoded_container_credentials;
mod insecure_commands;
mod misfeature;
mod overprovisioned_secrets;
mod secrets_inherit;
mod secrets_outside_env;
mod self_hosted_runner;
mod self_repository;
mod template_injection;
mod undocumented_permissions;
mod unpinned_images;
mod unpinned_uses;
mod unredacted_secrets;
mod unsound_condition;
mod unsound_contains;
mod use_trusted_publishing;

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
}

/// Every audit, constructed with its configuration. Hand-written so the list is reviewable
/// and the build fails when a module is added but not registered.
pub fn registry(config: &Config) -> Vec<Box<dyn Audit>> {
    vec![
        Box::new(anonymous_definition::AnonymousDefinition),
        Box::new(artipacked::Artipacked),
        Box::new(concurrency_limits::ConcurrencyLimits),
        Box::new(dangerous_triggers::DangerousTriggers),
        Box::new(dependabot_cooldown::DependabotCooldown { days: config.dependabot_cooldown_days }),
        Box::new(dependabot_execution::DependabotExecution),
        Box::new(excessive_permissions::ExcessivePermissions),
        Box::new(forbidden_uses::ForbiddenUses { list: config.forbidden_uses.clone() }),
        Box::new(github_env::GithubEnv),
        Box::new(hardcoded_container_credentials::HardcodedContainerCredentials),
        Box::new(insecure_commands::InsecureCommands),
        Box::new(misfeature::Misfeature),
        Box::new(overprovisioned_secrets::OverprovisionedSecrets),
        Box::new(secrets_inherit::SecretsInherit),
        Box::new(secrets_outside_env::SecretsOutsideEnv { allow: config.secrets_outside_env_allow.clone() }),
        Box::new(self_hosted_runner::SelfHostedRunner),
        Box::new(self_repository::SelfRepository),
        Box::new(template_injection::TemplateInjection),
        Box::new(undocumented_permissions::UndocumentedPermissions),
        Box::new(unpinned_images::UnpinnedImages),
        Box::new(unpinned_uses::UnpinnedUses::new(config.unpinned_uses.clone())),
        Box::new(unredacted_secrets::UnredactedSecrets),
        Box::new(unsound_condition::UnsoundCondition),
        Box::new(unsound_contains::UnsoundContains),
        Box::new(use_trusted_publishing::UseTrustedPublishing),
    ]
}

/// The ids of every registered audit, and their docs (for `explain` and config checks).
pub fn all_audits() -> Vec<&'static AuditInfo> {
    registry(&Config::default()).iter().map(|a| a.info()).collect()
}
