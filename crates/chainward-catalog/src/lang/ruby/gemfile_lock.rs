//! `Gemfile.lock` (Bundler's lockfile), read line by line as data.
//!
//! The format (Bundler's `LockfileParser`): top-level section headers at column 0 (`GEM`,
//! `GIT`, `PATH`, `PLUGIN SOURCE`, `PLATFORMS`, `DEPENDENCIES`, `BUNDLED WITH`, …). A source
//! section has a `specs:` list: each locked gem at indent 4 as `name (version[-platform])`,
//! and its own requirements at indent 6 as `name` or `name (requirement)`. `DEPENDENCIES`
//! lists what the Gemfile asks for directly, at indent 2, `!` marking a non-default source.

use std::collections::{BTreeMap, BTreeSet};

/// Problems kept per file; the rest are counted in one last problem.
pub const MAX_PROBLEMS: usize = 100;

/// One locked gem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedGem {
    /// The gem name.
    pub name: String,
    /// The version, without a platform suffix (`1.13.6-x86_64-linux` → `1.13.6`).
    pub version: String,
    /// Names of the gems it requires (in the order of the file, without duplicates).
    pub requires: Vec<String>,
}

/// A line that is not what its place in the file calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// What a `Gemfile.lock` says.
#[derive(Debug, Default)]
pub struct GemfileLock {
    /// The locked gems of every source section, once per name and version, in file order.
    pub gems: Vec<LockedGem>,
    /// The names under `DEPENDENCIES`; `None` when the file has no such section.
    pub direct: Option<BTreeSet<String>>,
    /// Malformed lines (at most [`MAX_PROBLEMS`] plus one counting the rest).
    pub problems: Vec<Problem>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    /// A source section (`GEM`, `GIT`, `PATH`, `PLUGIN SOURCE`), and whether inside `specs:`.
    Source {
        in_specs: bool,
    },
    Dependencies,
    Other,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 256 && !name.contains(|c: char| c.is_whitespace() || c.is_control())
}

/// `name (inner)` or `name`: the name and the parenthesised part.
fn name_and_paren(s: &str) -> Option<(&str, Option<&str>)> {
    match s.split_once(' ') {
        None => Some((s, None)),
        Some((name, rest)) => {
            let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
            Some((name, Some(inner)))
        }
    }
}

/// Parses a `Gemfile.lock`. Unknown sections are skipped; malformed lines are problems.
pub fn parse(text: &str) -> GemfileLock {
    let mut out = GemfileLock::default();
    let mut dropped = 0usize;
    let mut problem = |out: &mut GemfileLock, line: usize, message: String| {
        if out.problems.len() < MAX_PROBLEMS {
            out.problems.push(Problem { line, message });
        } else {
            dropped += 1;
        }
    };
    let mut section = Section::Other;
    // name@version → index in out.gems; the current gem (for its requirement lines).
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut current: Option<usize> = None;
    let mut seen_requires: BTreeSet<String> = BTreeSet::new();

    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim_end_matches(['\r', ' ', '\t']);
        if line.is_empty() {
            continue;
        }
        let depth = indent(line);
        let body = &line[depth..];
        if depth == 0 {
            current = None;
            section = match body {
                "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => Section::Source { in_specs: false },
                "DEPENDENCIES" => {
                    out.direct.get_or_insert_with(BTreeSet::new);
                    Section::Dependencies
                }
                _ => Section::Other,
            };
            continue;
        }
        match section {
            Section::Other => {}
            Section::Source { .. } if depth == 2 => {
                current = None;
                section = Section::Source { in_specs: body == "specs:" };
            }
            Section::Source { in_specs: false } => {}
            Section::Source { in_specs: true } if depth == 4 => {
                current = None;
                let Some((name, Some(version))) = name_and_paren(body) else {
                    problem(&mut out, lineno, format!("expected `name (version)` in specs, found {body:?}"));
                    continue;
                };
                // A platform-specific gem: `nokogiri (1.13.6-x86_64-linux)`. RubyGems
                // versions never contain `-` (a prerelease `-` becomes `.pre.`).
                let version = version.split_once('-').map_or(version, |(v, _)| v).trim();
                if !valid_name(name) || version.is_empty() || version.contains(char::is_whitespace) {
                    problem(&mut out, lineno, format!("expected `name (version)` in specs, found {body:?}"));
                    continue;
                }
                let key = (name.to_owned(), version.to_owned());
                let at = *index.entry(key).or_insert_with(|| {
                    out.gems.push(LockedGem {
                        name: name.to_owned(),
                        version: version.to_owned(),
                        requires: Vec::new(),
                    });
                    out.gems.len() - 1
                });
                seen_requires = out.gems.get(at).map(|g| g.requires.iter().cloned().collect()).unwrap_or_default();
                current = Some(at);
            }
            Section::Source { in_specs: true } if depth == 6 => {
                let Some(at) = current else {
                    problem(&mut out, lineno, "a requirement line with no gem above it".into());
                    continue;
                };
                match name_and_paren(body) {
                    Some((name, _)) if valid_name(name) => {
                        if seen_requires.insert(name.to_owned())
                            && let Some(g) = out.gems.get_mut(at)
                        {
                            g.requires.push(name.to_owned());
                        }
                    }
                    _ => problem(&mut out, lineno, format!("expected `name (requirement)`, found {body:?}")),
                }
            }
            Section::Source { .. } => {
                problem(&mut out, lineno, format!("unexpected indentation ({depth} spaces) in a source section"));
            }
            Section::Dependencies if depth == 2 => match name_and_paren(body) {
                Some((name, _)) if valid_name(name.trim_end_matches('!')) => {
                    if let Some(direct) = out.direct.as_mut() {
                        direct.insert(name.trim_end_matches('!').to_owned());
                    }
                }
                _ => {
                    problem(&mut out, lineno, format!("expected `name (requirement)` in DEPENDENCIES, found {body:?}"))
                }
            },
            Section::Dependencies => {}
        }
    }
    if dropped > 0 {
        out.problems.push(Problem { line: 0, message: format!("{dropped} more malformed lines") });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_sources_and_edges() {
        let text = "GIT\n  remote: https://x\n  revision: abc\n  specs:\n    turbolinks (3.0.0)\n      coffee-rails\n\n\
                    GEM\n  remote: https://rubygems.org/\n  specs:\n    coffee-rails (4.0.1)\n    \
                    nokogiri (1.13.6-x86_64-linux)\n      racc (~> 1.4)\n    nokogiri (1.13.6-arm64-darwin)\n      \
                    racc (~> 1.4)\n      mini_portile2\n    racc (1.6.0)\n\nPLATFORMS\n  x86_64-linux\n\n\
                    DEPENDENCIES\n  nokogiri\n  turbolinks!\n\nBUNDLED WITH\n   2.3.7\n";
        let lock = parse(text);
        assert!(lock.problems.is_empty(), "{:?}", lock.problems);
        let got: Vec<(&str, &str, Vec<&str>)> = lock
            .gems
            .iter()
            .map(|g| (g.name.as_str(), g.version.as_str(), g.requires.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("turbolinks", "3.0.0", vec!["coffee-rails"]),
                ("coffee-rails", "4.0.1", vec![]),
                ("nokogiri", "1.13.6", vec!["racc", "mini_portile2"]),
                ("racc", "1.6.0", vec![]),
            ]
        );
        let direct = lock.direct.unwrap();
        assert!(direct.contains("turbolinks") && direct.contains("nokogiri") && direct.len() == 2);
    }

    #[test]
    fn malformed_lines_are_problems_with_line_numbers() {
        let lock = parse("GEM\n  specs:\n    good (1.0)\n    bad-no-version\n    spaced name (1.0)\n");
        assert_eq!(lock.gems.len(), 1);
        assert_eq!(lock.problems.iter().map(|p| p.line).collect::<Vec<_>>(), [4, 5]);
        assert!(lock.direct.is_none());
    }

    #[test]
    fn problems_are_bounded() {
        let text = format!("GEM\n  specs:\n{}", "    x\n".repeat(10_000));
        let lock = parse(&text);
        assert_eq!(lock.problems.len(), MAX_PROBLEMS + 1);
    }
}
