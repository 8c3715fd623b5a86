//! Pipeline audits over GitHub Actions workflows, actions and Dependabot configs.
//!
//! ```
//! use chainward_pipeline::{audit, load, Config, Filter, Persona};
//! let yaml = b"on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: {persist-credentials: false}\n";
//! let input = load("ci.yml", std::path::Path::new(".github/workflows/ci.yml"), yaml, &Default::default())?;
//! let report = audit(&[input], &Config::default(), &Filter { persona: Persona::Regular, ..Filter::default() });
//! assert_eq!(report.findings.len(), 1);
//! assert_eq!(report.findings[0].id, "unpinned-uses");
//! assert_eq!(report.findings[0].primary.line, 7);
//! # Ok::<(), chainward_pipeline::InputError>(())
//! ```
#![deny(missing_docs)]

pub mod action_advisories;
pub mod audit;
mod config;
pub mod dockerfile;
mod expressions;
mod filter;
mod finding;
mod fix;
#[cfg(feature = "online")]
pub mod github;
mod input;
mod shell_words;

pub use action_advisories::{ActionAdvisories, ActionAdvisory, AdvisoryError, Exposure, ExposureKind};
#[cfg(feature = "online")]
pub use audit::online_registry;
pub use audit::{Audit, AuditInfo, ONLINE_AUDITS, StepParent, all_audits, registry};
pub use config::{Config, ConfigError, ConfigProblem, ForbiddenUses, UnpinnedUsesPolicies, UsesPattern, UsesPolicy};
pub use expressions::{ExpressionSite, contexts, expression_sites, expression_sites_under};
pub use filter::{Filter, Hidden};
pub use finding::{Confidence, Draft, Finding, Fix, Focus, Location, Persona, Severity, Sink, Spot};
pub use fix::{FixError, FixedFile, fix_file};
pub use input::{Input, InputError, InputKind, discover, is_dockerfile_name, load, load_path};

/// Every audit id the pipeline command will offer (from the issue's list); ids not yet in
/// the registry are accepted in config files and named by `explain` as not implemented.
pub const PLANNED_AUDITS: &[&str] = &[
    "unpinned-uses",
    "template-injection",
    "dangerous-triggers",
    "excessive-permissions",
    "undocumented-permissions",
    "artipacked",
    "cache-poisoning",
    "github-env",
    "insecure-commands",
    "self-hosted-runner",
    "secrets-inherit",
    "overprovisioned-secrets",
    "unredacted-secrets",
    "secrets-outside-env",
    "hardcoded-container-credentials",
    "unpinned-images",
    "use-trusted-publishing",
    "bot-conditions",
    "unsound-condition",
    "unsound-contains",
    "unsound-ternary",
    "obfuscation",
    "forbidden-uses",
    "adhoc-packages",
    "unpinned-tools",
    "anonymous-definition",
    "concurrency-limits",
    "dependabot-cooldown",
    "dependabot-execution",
    "misfeature",
    "archived-uses",
    "insecure-url-scheme",
    "self-repository",
    "superfluous-actions",
    "typosquat-uses",
    "github-app",
    "ref-version-mismatch",
    "impostor-commit",
    "known-vulnerable-actions",
    "ref-confusion",
    "stale-action-refs",
    "known-compromised-action",
    "docker-base-untagged",
    "docker-base-latest",
    "docker-base-tag-only",
    "docker-unpinned-apt",
    "docker-apt-lists-kept",
    "docker-apt-install-recommends",
    "docker-unpinned-pip",
    "docker-unpinned-npm",
    "docker-unpinned-apk",
    "docker-apk-cache-kept",
    "docker-add-instead-of-copy",
    "docker-pipe-without-pipefail",
    "remote-script-pipe-to-shell",
    "remote-add-without-checksum",
];

/// The result of a run: shown findings (sorted by file, line, id) and what was hidden.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Findings that passed the filter.
    pub findings: Vec<Finding>,
    /// Hidden by persona or minimums.
    pub suppressed: usize,
    /// Hidden by inline comments.
    pub ignored: usize,
}

/// Runs every enabled audit over one input, unfiltered.
pub fn audit_input(input: &Input, audits: &[Box<dyn Audit>], config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for a in audits {
        let info = a.info();
        if config.disabled.contains(info.id) {
            continue;
        }
        let mut sink = Sink::new(&input.file, input.doc(), info.id, info.description);
        match &input.kind {
            InputKind::Workflow(w) => a.workflow(w, &mut sink),
            InputKind::Action(x) => a.action(x, &mut sink),
            InputKind::Dependabot(d) => a.dependabot(d, &mut sink),
            InputKind::PreCommit(p) => a.pre_commit(p, &mut sink),
            InputKind::Dockerfile(d) => a.dockerfile(d, &mut sink),
        }
        out.extend(sink.into_findings());
    }
    out
}

/// Audits inputs and filters the findings in one place.
pub fn audit(inputs: &[Input], config: &Config, filter: &Filter) -> Report {
    audit_with(inputs, &registry(config), config, filter)
}

/// Like [`audit`], with the audits given (e.g. [`registry`] plus the online audits).
pub fn audit_with(inputs: &[Input], audits: &[Box<dyn Audit>], config: &Config, filter: &Filter) -> Report {
    let mut report = Report::default();
    for input in inputs {
        for f in audit_input(input, audits, config) {
            match filter.decide(&f, input.doc()) {
                None => report.findings.push(f),
                Some(Hidden::Suppressed) => report.suppressed += 1,
                Some(Hidden::Ignored) => report.ignored += 1,
            }
        }
    }
    report.findings.sort_by(|a, b| {
        (&a.primary.file, a.primary.line, a.primary.column, a.id).cmp(&(
            &b.primary.file,
            b.primary.line,
            b.primary.column,
            b.id,
        ))
    });
    report
}
