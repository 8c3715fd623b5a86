//! `chainward-pipeline.yml`: per-audit switches and settings. The shape is zizmor's
//! (`rules: {ID: {disable, config}}`) so an existing zizmor config carries over.
//!
//! Every problem is reported at once, each with its line and column.

use std::collections::BTreeSet;

use chainward_gha::RepositoryUses;
use chainward_yaml::{Limits, Node};

/// What `unpinned-uses` demands of a `uses:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsesPolicy {
    /// Anything goes.
    Any,
    /// A ref (tag, branch or SHA) is required.
    RefPin,
    /// A full commit SHA is required.
    HashPin,
}

/// A `uses:` pattern, most specific first in [`Ord`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum UsesPattern {
    /// `owner/repo[/path]@ref` (only where refs make sense, e.g. `forbidden-uses`)
    ExactWithRef {
        /// Owner, lower-case.
        owner: String,
        /// Repository, lower-case.
        repo: String,
        /// Path, lower-case.
        path: Option<String>,
        /// The ref, as written.
        git_ref: String,
    },
    /// `owner/repo/path`
    ExactPath {
        /// Owner, lower-case.
        owner: String,
        /// Repository, lower-case.
        repo: String,
        /// Path, lower-case.
        path: String,
    },
    /// `owner/repo`
    ExactRepo {
        /// Owner, lower-case.
        owner: String,
        /// Repository, lower-case.
        repo: String,
    },
    /// `owner/repo/*`
    InRepo {
        /// Owner, lower-case.
        owner: String,
        /// Repository, lower-case.
        repo: String,
    },
    /// `owner/*`
    InOwner(String),
    /// `*`
    Any,
}

impl UsesPattern {
    /// Parses a pattern that may name a ref (`owner/repo@v1`).
    pub fn parse_with_ref(s: &str) -> Option<Self> {
        let Some((path, git_ref)) = s.split_once('@') else { return Self::parse(s) };
        if git_ref.is_empty() {
            return None;
        }
        match Self::parse(path)? {
            UsesPattern::ExactRepo { owner, repo } => {
                Some(UsesPattern::ExactWithRef { owner, repo, path: None, git_ref: git_ref.to_owned() })
            }
            UsesPattern::ExactPath { owner, repo, path } => {
                Some(UsesPattern::ExactWithRef { owner, repo, path: Some(path), git_ref: git_ref.to_owned() })
            }
            _ => None,
        }
    }

    /// Parses a pattern; `None` when malformed (refs are not allowed in patterns).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.to_ascii_lowercase();
        if s == "*" {
            return Some(UsesPattern::Any);
        }
        if s.contains('@') {
            return None;
        }
        let parts: Vec<&str> = s.splitn(3, '/').collect();
        match parts.as_slice() {
            [o, "*"] if !o.is_empty() => Some(UsesPattern::InOwner((*o).into())),
            [o, r] if !o.is_empty() && !r.is_empty() => {
                Some(UsesPattern::ExactRepo { owner: (*o).into(), repo: (*r).into() })
            }
            [o, r, "*"] if !o.is_empty() && !r.is_empty() => {
                Some(UsesPattern::InRepo { owner: (*o).into(), repo: (*r).into() })
            }
            [o, r, p] if !o.is_empty() && !r.is_empty() && !p.is_empty() && !p.contains('*') => {
                Some(UsesPattern::ExactPath { owner: (*o).into(), repo: (*r).into(), path: (*p).into() })
            }
            _ => None,
        }
    }

    /// Whether a `uses:` matches.
    pub fn matches(&self, uses: &RepositoryUses) -> bool {
        let owner = uses.owner.to_ascii_lowercase();
        let repo = uses.repo.to_ascii_lowercase();
        let sub = uses.subpath.as_deref().map(str::to_ascii_lowercase);
        match self {
            UsesPattern::ExactWithRef { owner: o, repo: r, path, git_ref } => {
                *o == owner && *r == repo && sub == *path && uses.git_ref.as_deref() == Some(git_ref.as_str())
            }
            UsesPattern::Any => true,
            UsesPattern::InOwner(o) => *o == owner,
            UsesPattern::InRepo { owner: o, repo: r } => *o == owner && *r == repo,
            UsesPattern::ExactRepo { owner: o, repo: r } => *o == owner && *r == repo && sub.is_none(),
            UsesPattern::ExactPath { owner: o, repo: r, path } => {
                *o == owner && *r == repo && sub.as_deref() == Some(path.as_str())
            }
        }
    }
}

impl std::fmt::Display for UsesPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsesPattern::ExactWithRef { owner, repo, path: Some(p), git_ref } => {
                write!(f, "{owner}/{repo}/{p}@{git_ref}")
            }
            UsesPattern::ExactWithRef { owner, repo, path: None, git_ref } => write!(f, "{owner}/{repo}@{git_ref}"),
            UsesPattern::ExactPath { owner, repo, path } => write!(f, "{owner}/{repo}/{path}"),
            UsesPattern::ExactRepo { owner, repo } => write!(f, "{owner}/{repo}"),
            UsesPattern::InRepo { owner, repo } => write!(f, "{owner}/{repo}/*"),
            UsesPattern::InOwner(owner) => write!(f, "{owner}/*"),
            UsesPattern::Any => f.write_str("*"),
        }
    }
}

/// The policies of `unpinned-uses`: the most specific matching pattern wins; with none, the
/// default (hash-pin unless a `*` entry says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpinnedUsesPolicies {
    /// Patterns, most specific first.
    pub rules: Vec<(UsesPattern, UsesPolicy)>,
    /// When nothing matches.
    pub default: UsesPolicy,
}

impl Default for UnpinnedUsesPolicies {
    /// Hash-pin everything: tags and branches can be moved by whoever controls the action
    /// (the tj-actions/changed-files compromise moved every tag).
    fn default() -> Self {
        UnpinnedUsesPolicies { rules: Vec::new(), default: UsesPolicy::HashPin }
    }
}

impl UnpinnedUsesPolicies {
    /// The policy for a `uses:`, and the pattern that chose it (`None` for the default).
    pub fn policy_for(&self, uses: &RepositoryUses) -> (Option<&UsesPattern>, UsesPolicy) {
        self.rules.iter().find(|(p, _)| p.matches(uses)).map_or((None, self.default), |(p, pol)| (Some(p), *pol))
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Audits switched off.
    pub disabled: BTreeSet<String>,
    /// `unpinned-uses` policies.
    pub unpinned_uses: UnpinnedUsesPolicies,
    /// `dependabot-cooldown`: the least acceptable `default-days` (default 7, as zizmor).
    pub dependabot_cooldown_days: u64,
    /// `secrets-outside-env`: secret names (lower-case) allowed outside an environment.
    pub secrets_outside_env_allow: BTreeSet<String>,
    /// `forbidden-uses`: the allow or deny list; the audit is silent without one.
    pub forbidden_uses: Option<ForbiddenUses>,
    /// `known-compromised-action`: advisories beyond the bundled ones (filled by the caller,
    /// e.g. from `--advisories DIR`; [`Config::parse`] does no IO).
    pub action_advisories: crate::ActionAdvisories,
    /// `known-compromised-action`: the `advisories` directory named in the config file, as
    /// written (the caller resolves it against the config file's directory and loads it).
    pub action_advisories_dir: Option<String>,
    /// `known-vulnerable-actions`: GHSA ids (upper-case) accepted after review.
    pub known_vulnerable_actions_allow: BTreeSet<String>,
}

/// The `forbidden-uses` list: either only these are allowed, or these are denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForbiddenUses {
    /// Only matching actions may be used.
    Allow(Vec<UsesPattern>),
    /// Matching actions may not be used.
    Deny(Vec<UsesPattern>),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            disabled: BTreeSet::new(),
            unpinned_uses: UnpinnedUsesPolicies::default(),
            dependabot_cooldown_days: 7,
            // GITHUB_TOKEN is minted per run and scoped by `permissions:`, not a stored secret.
            secrets_outside_env_allow: BTreeSet::from(["github_token".to_owned()]),
            forbidden_uses: None,
            action_advisories: crate::ActionAdvisories::default(),
            action_advisories_dir: None,
            known_vulnerable_actions_allow: BTreeSet::new(),
        }
    }
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    /// A key holds the wrong kind of value.
    #[error("line {line}, column {column}: `{key}` should be {expected}")]
    WrongType {
        /// The key.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A key that is not known here.
    #[error("line {line}, column {column}: unknown key `{key}` (expected one of {expected})")]
    UnknownKey {
        /// The key.
        key: String,
        /// The accepted keys.
        expected: &'static str,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A rule id that names no audit.
    #[error("line {line}, column {column}: no audit is called `{id}`")]
    UnknownAudit {
        /// The id.
        id: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A bad `uses:` pattern.
    #[error(
        "line {line}, column {column}: `{pattern}` is not a uses pattern (`*`, `owner/*`, `owner/repo`, `owner/repo/*`, `owner/repo/path`; no `@ref`)"
    )]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A bad policy name.
    #[error("line {line}, column {column}: `{policy}` is not a policy (any, ref-pin, hash-pin)")]
    BadPolicy {
        /// The value.
        policy: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
}

/// Why a config file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The YAML itself is bad.
    #[error(transparent)]
    Yaml(#[from] chainward_yaml::YamlError),
    /// One or more problems, all reported.
    #[error("{} problem(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ConfigProblem>),
}

fn wrong(key: &str, expected: &'static str, n: &Node) -> ConfigProblem {
    ConfigProblem::WrongType { key: key.into(), expected, line: n.span.start.line, column: n.span.start.column }
}

impl Config {
    /// Parses a config file. `known` is the list of audit ids (for unknown-rule checks).
    pub fn parse(bytes: &[u8], known: &[&str]) -> Result<Config, ConfigError> {
        let doc = chainward_yaml::parse(bytes, &Limits { max_bytes: 1 << 20, ..Limits::default() })?;
        let mut problems = Vec::new();
        let mut config = Config::default();
        if doc.root.is_null() {
            return Ok(config);
        }
        let Some(top) = doc.root.as_mapping() else {
            return Err(ConfigError::Invalid(vec![wrong("(top level)", "a mapping", &doc.root)]));
        };
        for (k, v) in top {
            let key = k.as_str().unwrap_or_default();
            if key != "rules" {
                problems.push(ConfigProblem::UnknownKey {
                    key: key.into(),
                    expected: "`rules`",
                    line: k.span.start.line,
                    column: k.span.start.column,
                });
                continue;
            }
            let Some(rules) = v.as_mapping() else {
                if !v.is_null() {
                    problems.push(wrong("rules", "a mapping of audit ids", v));
                }
                continue;
            };
            for (rk, rv) in rules {
                let id = rk.as_str().unwrap_or_default();
                // Rules for audits not implemented yet are accepted silently only when they
                // are known to zizmor's config; an unknown id is a typo worth reporting.
                if !known.contains(&id) && !crate::PLANNED_AUDITS.contains(&id) {
                    problems.push(ConfigProblem::UnknownAudit {
                        id: id.into(),
                        line: rk.span.start.line,
                        column: rk.span.start.column,
                    });
                    continue;
                }
                if rv.is_null() {
                    continue;
                }
                let Some(entries) = rv.as_mapping() else {
                    problems.push(wrong(id, "a mapping (disable, ignore, config)", rv));
                    continue;
                };
                for (ek, ev) in entries {
                    match ek.as_str().unwrap_or_default() {
                        "disable" => match ev.as_bool() {
                            Some(true) => {
                                config.disabled.insert(id.to_owned());
                            }
                            Some(false) => {}
                            None => problems.push(wrong("disable", "true or false", ev)),
                        },
                        // Path-based ignores are accepted for compatibility; applying them is
                        // left to a later change (see the design notes).
                        "ignore" => {}
                        "config" if id == "unpinned-uses" => parse_unpinned(ev, &mut config, &mut problems),
                        "config" if id == "dependabot-cooldown" => match ev.get("days") {
                            None => {}
                            Some(d) => match d.as_str().and_then(|s| s.parse::<u64>().ok()).filter(|n| *n > 0) {
                                Some(n) => config.dependabot_cooldown_days = n,
                                None => problems.push(wrong("days", "a whole number of days above 0", d)),
                            },
                        },
                        "config" if id == "secrets-outside-env" => match ev.get("allow") {
                            None => {}
                            Some(list) => match list.as_sequence() {
                                Some(items) => {
                                    for item in items {
                                        match item.as_str() {
                                            Some(name) => {
                                                config.secrets_outside_env_allow.insert(name.to_ascii_lowercase());
                                            }
                                            None => problems.push(wrong("allow", "a list of secret names", item)),
                                        }
                                    }
                                }
                                None => problems.push(wrong("allow", "a list of secret names", list)),
                            },
                        },
                        "config" if id == "forbidden-uses" => parse_forbidden(ev, &mut config, &mut problems),
                        "config" if id == "known-compromised-action" => match ev.get("advisories") {
                            None => {}
                            Some(d) => match d.as_str().filter(|s| !s.trim().is_empty()) {
                                Some(dir) => config.action_advisories_dir = Some(dir.to_owned()),
                                None => problems.push(wrong("advisories", "a directory of OSV records", d)),
                            },
                        },
                        "config" if id == "known-vulnerable-actions" => match ev.get("allow") {
                            None => {}
                            Some(list) => match list.as_sequence() {
                                Some(items) => {
                                    for item in items {
                                        match item.as_str() {
                                            Some(ghsa) => {
                                                config.known_vulnerable_actions_allow.insert(ghsa.to_ascii_uppercase());
                                            }
                                            None => problems.push(wrong("allow", "a list of GHSA ids", item)),
                                        }
                                    }
                                }
                                None => problems.push(wrong("allow", "a list of GHSA ids", list)),
                            },
                        },
                        "config" => {}
                        other => problems.push(ConfigProblem::UnknownKey {
                            key: other.into(),
                            expected: "`disable`, `ignore`, `config`",
                            line: ek.span.start.line,
                            column: ek.span.start.column,
                        }),
                    }
                }
            }
        }
        if problems.is_empty() { Ok(config) } else { Err(ConfigError::Invalid(problems)) }
    }
}

fn parse_forbidden(node: &Node, config: &mut Config, problems: &mut Vec<ConfigProblem>) {
    for (key, make) in [("allow", ForbiddenUses::Allow as fn(_) -> _), ("deny", ForbiddenUses::Deny)] {
        let Some(list) = node.get(key) else { continue };
        let Some(items) = list.as_sequence() else {
            problems.push(wrong(key, "a list of uses patterns", list));
            continue;
        };
        let mut patterns = Vec::new();
        for item in items {
            let raw = item.as_str().unwrap_or_default();
            match UsesPattern::parse_with_ref(raw) {
                Some(p) => patterns.push(p),
                None => problems.push(ConfigProblem::BadPattern {
                    pattern: raw.into(),
                    line: item.span.start.line,
                    column: item.span.start.column,
                }),
            }
        }
        config.forbidden_uses = Some(make(patterns));
    }
}

fn parse_unpinned(node: &Node, config: &mut Config, problems: &mut Vec<ConfigProblem>) {
    let Some(policies) = node.get("policies") else { return };
    let Some(entries) = policies.as_mapping() else {
        if !policies.is_null() {
            problems.push(wrong("policies", "a mapping of patterns to policies", policies));
        }
        return;
    };
    let mut rules = Vec::new();
    for (k, v) in entries {
        let raw = k.as_str().unwrap_or_default();
        let Some(pattern) = UsesPattern::parse(raw) else {
            problems.push(ConfigProblem::BadPattern {
                pattern: raw.into(),
                line: k.span.start.line,
                column: k.span.start.column,
            });
            continue;
        };
        let policy = match v.as_str() {
            Some("any") => UsesPolicy::Any,
            Some("ref-pin") => UsesPolicy::RefPin,
            Some("hash-pin") => UsesPolicy::HashPin,
            other => {
                problems.push(ConfigProblem::BadPolicy {
                    policy: other.unwrap_or("(not a string)").into(),
                    line: v.span.start.line,
                    column: v.span.start.column,
                });
                continue;
            }
        };
        match pattern {
            UsesPattern::Any => config.unpinned_uses.default = policy,
            p => rules.push((p, policy)),
        }
    }
    rules.sort_by(|a, b| a.0.cmp(&b.0));
    config.unpinned_uses.rules = rules;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_pattern_wins() {
        let c = Config::parse(
            b"rules:\n  unpinned-uses:\n    config:\n      policies:\n        o/*: ref-pin\n        o/r/x: hash-pin\n        '*': any\n",
            &["unpinned-uses"],
        )
        .unwrap();
        let uses = |s: &str| match chainward_gha::Uses::parse(s) {
            Some(chainward_gha::Uses::Repository(r)) => r,
            _ => panic!(),
        };
        assert_eq!(c.unpinned_uses.policy_for(&uses("o/r/x@v1")).1, UsesPolicy::HashPin);
        assert_eq!(c.unpinned_uses.policy_for(&uses("o/r/y@v1")).1, UsesPolicy::RefPin);
        assert_eq!(c.unpinned_uses.policy_for(&uses("p/r@v1")).1, UsesPolicy::Any);
    }

    #[test]
    fn every_problem_is_reported() {
        let e =
            Config::parse(b"rulez: 1\nrules:\n  nope: {}\n  unpinned-uses:\n    disable: maybe\n", &["unpinned-uses"])
                .unwrap_err();
        let ConfigError::Invalid(p) = e else { panic!() };
        assert_eq!(p.len(), 3, "{p:?}");
    }
}
