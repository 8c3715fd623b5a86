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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Audits switched off.
    pub disabled: BTreeSet<String>,
    /// `unpinned-uses` policies.
    pub unpinned_uses: UnpinnedUsesPolicies,
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
    #[error("line {line}, column {column}: `{pattern}` is not a uses pattern (`*`, `owner/*`, `owner/repo`, `owner/repo/*`, `owner/repo/path`; no `@ref`)")]
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
        let e = Config::parse(b"rulez: 1\nrules:\n  nope: {}\n  unpinned-uses:\n    disable: maybe\n", &["unpinned-uses"])
            .unwrap_err();
        let ConfigError::Invalid(p) = e else { panic!() };
        assert_eq!(p.len(), 3, "{p:?}");
    }
}
