//! `pylock.toml` and `pylock.NAME.toml` (PEP 751): `[[packages]]` tables with `name`, an
//! optional `version` (absent for VCS and directory packages, which name no release), and
//! `dependencies` as tables naming a package by `name` and, when the file locks several
//! versions of it (one per environment), `version`.
//!
//! PEP 751 selects packages for an environment by evaluating markers (`extras`,
//! `dependency_groups`); nothing is evaluated here, so every locked package is listed and
//! dev is left unknown, as is the direct/indirect split. A package locked once per
//! environment with the same version is one package.

use super::lockfile::{Edge, Entry, LockfileError, Notes, Parsed, finish, read_toml_tables, text};

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default, rename = "lock-version")]
    lock_version: Option<String>,
    #[serde(default)]
    packages: Vec<LockedPackage>,
}

#[derive(serde::Deserialize)]
struct LockedPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
    #[serde(default)]
    vcs: Option<toml::Value>,
    #[serde(default)]
    directory: Option<toml::Value>,
}

#[derive(serde::Deserialize)]
struct Dependency {
    name: Option<String>,
    version: Option<String>,
}

/// Reads a `pylock.toml`.
pub fn parse(bytes: &[u8]) -> Result<Parsed, LockfileError> {
    let mut notes = Notes::default();
    let mut entries = Vec::new();
    let mut lock_version = None;
    let mut i = 0;
    read_toml_tables(text(bytes)?, "packages", |piece: Lock| {
        lock_version = lock_version.take().or(piece.lock_version);
        for p in piece.packages {
            i += 1;
            let (Some(name), Some(version)) = (p.name, p.version) else {
                if p.vcs.is_none() && p.directory.is_none() {
                    notes.push(format!("[[packages]] {i}: no name or no version; skipped"));
                }
                continue;
            };
            let mut e = Entry::new(name, version);
            e.edges = p
                .dependencies
                .into_iter()
                .filter_map(|d| {
                    let mut edge = Edge::named(d.name?);
                    edge.version = d.version;
                    Some(edge)
                })
                .collect();
            entries.push(e);
        }
    })?;
    // PEP 751: a reader must not trust a major version it does not know; read it anyway
    // (the fields used here are the basics) and say so.
    if let Some(v) = lock_version.filter(|v| v.split('.').next() != Some("1")) {
        notes.push(format!("lock-version {} is not 1.x; read as 1.0", super::lockfile::shorten(&v)));
    }
    Ok(finish(entries, notes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn directory_packages_have_no_version_and_unknown_major_versions_are_noted() {
        let lock = br#"
lock-version = "2.0"
[[packages]]
name = "local"
directory = { path = "." }
[[packages]]
name = "x"
"#;
        let parsed = parse(lock).unwrap();
        assert!(parsed.packages.is_empty());
        assert_eq!(parsed.notes.len(), 2, "{:?}", parsed.notes);
    }
}
