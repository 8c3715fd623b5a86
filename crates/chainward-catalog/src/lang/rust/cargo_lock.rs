//! `Cargo.lock`, all four formats: v1 (`[root]` table, `"name version (source)"` dependency
//! strings and a `[metadata]` checksum table), v2 (dependencies as `"name"` unless that is
//! ambiguous, checksums in each package) and v3/v4 (a top-level `version = N`).
//!
//! Every `[[package]]` is a crate of the resolved graph. Packages without `source` are the
//! project's own crates (the root package, workspace members, path dependencies): with no
//! manifest at hand, the one local crate no other local crate depends on is the root and
//! the other local crates are workspace crates; crates a local crate depends on are direct,
//! the rest indirect (Trivy's relationships for the same lockfile with its Cargo.toml).
//! The file is read as TOML data only.

use std::collections::HashMap;

use serde::Deserialize;

/// Why a lockfile could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CargoLockError {
    /// Not UTF-8 (TOML files are UTF-8).
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// Not TOML, or `package` is not an array of tables of strings.
    #[error("not a Cargo.lock: {message}")]
    Toml {
        /// The TOML parser's message (with line and column).
        message: String,
    },
}

/// How a crate relates to the project that locked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrateRole {
    /// The project's root package.
    Root,
    /// Another crate of the project (workspace member or path dependency).
    Workspace,
    /// A dependency of one of the project's crates.
    Direct,
    /// Needed only through other dependencies.
    Indirect,
}

/// One locked crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedCrate {
    /// Crate name.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// `registry+URL`, `git+URL#commit`, `sparse+URL`; `None` for the project's own crates.
    pub source: Option<String>,
    /// Its place in the project.
    pub role: CrateRole,
    /// Indexes (into the returned list) of the crates it depends on, in file order.
    pub depends_on: Vec<usize>,
}

/// A package entry that was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    /// 0-based index of the `[[package]]` entry.
    pub index: usize,
    /// What was missing.
    pub reason: &'static str,
}

/// What a lockfile lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoLock {
    /// The crates in file order (a v1 `[root]` first).
    pub crates: Vec<LockedCrate>,
    /// Entries without a name or a version.
    pub skipped: Vec<SkippedEntry>,
}

#[derive(Deserialize)]
struct RawLock {
    #[serde(default)]
    root: Option<RawPackage>,
    #[serde(default)]
    package: Vec<RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: Option<String>,
    version: Option<String>,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Parses a `Cargo.lock`.
pub fn parse(bytes: &[u8]) -> Result<CargoLock, CargoLockError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CargoLockError::NotUtf8 { offset: e.valid_up_to() })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: RawLock = toml::from_str(text).map_err(|e| CargoLockError::Toml { message: e.to_string() })?;
    let mut out = CargoLock::default();
    let mut deps_of = Vec::new();
    for (index, p) in raw.root.into_iter().chain(raw.package).enumerate() {
        let (Some(name), Some(version)) = (p.name, p.version) else {
            out.skipped.push(SkippedEntry { index, reason: "a [[package]] entry without name or version" });
            continue;
        };
        if name.is_empty() || version.is_empty() {
            out.skipped.push(SkippedEntry { index, reason: "a [[package]] entry with an empty name or version" });
            continue;
        }
        out.crates.push(LockedCrate {
            name,
            version,
            source: p.source,
            role: CrateRole::Indirect,
            depends_on: Vec::new(),
        });
        deps_of.push(p.dependencies);
    }
    resolve(&mut out.crates, &deps_of);
    assign_roles(&mut out.crates);
    Ok(out)
}

/// A source without its `#commit` fragment: dependency strings name git sources without
/// the commit the package's `source` pins (Cargo compares source ids without it).
fn source_id(source: &str) -> &str {
    source.split_once('#').map_or(source, |(id, _)| id)
}

/// Splits `name [version [(source)]]`.
fn dependency_parts(dep: &str) -> (&str, Option<&str>, Option<&str>) {
    let dep = dep.trim();
    let (head, source) = match dep.split_once(" (") {
        Some((head, rest)) => (head, Some(rest.strip_suffix(')').unwrap_or(rest))),
        None => (dep, None),
    };
    let mut words = head.split_whitespace();
    let name = words.next().unwrap_or("");
    (name, words.next(), source)
}

/// Resolves dependency strings to crate indexes with hash lookups only (a hostile file with
/// thousands of same-named crates stays linear). Unresolvable strings are ignored, as Cargo
/// itself would refuse the file and the peers drop them.
fn resolve(crates: &mut [LockedCrate], deps_of: &[Vec<String>]) {
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut by_version: HashMap<(&str, &str), usize> = HashMap::new();
    let mut by_source: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for (i, c) in crates.iter().enumerate() {
        by_name.entry(&c.name).or_insert(i);
        by_version.entry((&c.name, &c.version)).or_insert(i);
        if let Some(s) = &c.source {
            by_source.entry((&c.name, &c.version, source_id(s))).or_insert(i);
        }
    }
    let mut resolved = Vec::with_capacity(crates.len());
    for deps in deps_of {
        let mut targets: Vec<usize> = Vec::new();
        for dep in deps {
            let target = match dependency_parts(dep) {
                (name, None, _) => by_name.get(name),
                (name, Some(version), None) => by_version.get(&(name, version)),
                (name, Some(version), Some(source)) => by_source.get(&(name, version, source_id(source))),
            };
            if let Some(&t) = target
                && !targets.contains(&t)
            {
                targets.push(t);
            }
        }
        resolved.push(targets);
    }
    for (c, targets) in crates.iter_mut().zip(resolved) {
        c.depends_on = targets;
    }
}

fn assign_roles(crates: &mut [LockedCrate]) {
    let local: Vec<bool> = crates.iter().map(|c| c.source.is_none()).collect();
    let mut depended_by_local = vec![false; crates.len()];
    for (i, c) in crates.iter().enumerate() {
        if local[i] {
            for &t in &c.depends_on {
                if let Some(d) = depended_by_local.get_mut(t) {
                    *d = true;
                }
            }
        }
    }
    let tops: Vec<usize> = (0..crates.len()).filter(|&i| local[i] && !depended_by_local[i]).collect();
    let root = match tops.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    for (i, c) in crates.iter_mut().enumerate() {
        c.role = if Some(i) == root {
            CrateRole::Root
        } else if local[i] {
            CrateRole::Workspace
        } else if depended_by_local[i] {
            CrateRole::Direct
        } else {
            CrateRole::Indirect
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(lock: &CargoLock) -> Vec<(String, CrateRole, Vec<String>)> {
        lock.crates
            .iter()
            .map(|c| {
                let deps = c.depends_on.iter().map(|&d| lock.crates[d].name.clone()).collect();
                (format!("{}@{}", c.name, c.version), c.role, deps)
            })
            .collect()
    }

    #[test]
    fn v1_root_table_and_full_dependency_strings() {
        let text = r#"
[root]
name = "app"
version = "0.1.0"
dependencies = [
 "libc 0.2.54 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "libc"
version = "0.2.54"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum libc 0.2.54 (registry+https://github.com/rust-lang/crates.io-index)" = "c678"
"#;
        let lock = parse(text.as_bytes()).unwrap();
        assert_eq!(
            summary(&lock),
            [
                ("app@0.1.0".to_owned(), CrateRole::Root, vec!["libc".to_owned()]),
                ("libc@0.2.54".to_owned(), CrateRole::Direct, vec![])
            ]
        );
    }

    #[test]
    fn v4_disambiguation_by_version_and_git_source_without_commit() {
        let text = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "memchr 1.0.2",
 "regex 1.11.1 (git+https://github.com/rust-lang/regex.git)",
]

[[package]]
name = "memchr"
version = "1.0.2"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "memchr"
version = "2.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "regex"
version = "1.11.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["memchr 2.5.0"]

[[package]]
name = "regex"
version = "1.11.1"
source = "git+https://github.com/rust-lang/regex.git#1a069b9232c607b34c4937122361aa075ef573fa"
dependencies = ["memchr 2.5.0"]
"#;
        let lock = parse(text.as_bytes()).unwrap();
        assert_eq!(lock.crates[0].depends_on, [1, 4]);
        let roles: Vec<CrateRole> = lock.crates.iter().map(|c| c.role).collect();
        use CrateRole::*;
        assert_eq!(roles, [Root, Direct, Indirect, Indirect, Direct]);
    }

    #[test]
    fn virtual_workspace_has_no_root_and_path_dependencies_are_workspace() {
        let text = r#"
version = 3
[[package]]
name = "a"
version = "0.1.0"
dependencies = ["c"]
[[package]]
name = "b"
version = "0.1.0"
[[package]]
name = "c"
version = "0.2.0"
"#;
        let lock = parse(text.as_bytes()).unwrap();
        assert!(lock.crates.iter().all(|c| c.role == CrateRole::Workspace));
        let single = parse(b"[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"c\"]\n[[package]]\nname = \"c\"\nversion = \"0.1.0\"\n").unwrap();
        assert_eq!(single.crates[0].role, CrateRole::Root);
        assert_eq!(single.crates[1].role, CrateRole::Workspace);
    }

    #[test]
    fn incomplete_entries_are_skipped_and_bad_files_rejected() {
        let lock = parse(
            b"[[package]]\nname = \"a\"\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n",
        )
        .unwrap();
        assert_eq!(lock.crates.len(), 1);
        assert_eq!(lock.skipped, [SkippedEntry { index: 0, reason: "a [[package]] entry without name or version" }]);
        assert!(matches!(parse(b"[[package]\nname = 1"), Err(CargoLockError::Toml { .. })));
        assert!(matches!(parse(b"[[package]]\nname = 1\nversion = \"1\""), Err(CargoLockError::Toml { .. })));
        assert!(matches!(parse(b"name = \"\xff\""), Err(CargoLockError::NotUtf8 { offset: 8 })));
        assert_eq!(parse(b"").unwrap(), CargoLock::default());
    }

    #[test]
    fn dependency_strings() {
        assert_eq!(dependency_parts("serde"), ("serde", None, None));
        assert_eq!(dependency_parts(" serde 1.0.1 "), ("serde", Some("1.0.1"), None));
        assert_eq!(
            dependency_parts("serde 1.0.1 (registry+https://x)"),
            ("serde", Some("1.0.1"), Some("registry+https://x"))
        );
    }
}
