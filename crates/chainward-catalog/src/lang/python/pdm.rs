//! `pdm.lock`: `[[package]]` tables with `name`, `version`, `groups`, and `dependencies` as
//! PEP 508 requirement strings (`"idna<4,>=2.5; python_version >= \"3\""`). A package
//! locked with extras is listed again with `extras = [...]`; the entries are one package.
//!
//! The lock file's groups do not say which are dev groups (pyproject.toml does: a group of
//! `[tool.pdm.dev-dependencies]` or `[dependency-groups]` is dev, one of
//! `[project.optional-dependencies]` is an extra), so dev is left unknown, as is the
//! direct/indirect split. Syft reads neither either.

use super::lockfile::{Edge, Entry, LockfileError, Notes, Parsed, finish, read_toml_tables, text};

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(serde::Deserialize)]
struct LockedPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The distribution name a PEP 508 requirement starts with (letters, digits, `.`, `_`, `-`,
/// starting with a letter or digit; PEP 508 "Names"), or `None`.
pub(crate) fn requirement_name(requirement: &str) -> Option<&str> {
    let r = requirement.trim_start();
    let end = r.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))).unwrap_or(r.len());
    let name = r.get(..end)?;
    name.starts_with(|c: char| c.is_ascii_alphanumeric()).then_some(name)
}

/// The exact pin of a requirement (`name==1.2` or `name[extra]===1.2`), used only to choose
/// among several locked versions of one name.
fn requirement_pin(requirement: &str) -> Option<&str> {
    let spec = requirement.split(';').next()?;
    let (_, pin) = spec.split_once("==")?;
    let pin = pin.trim_start_matches('=').trim();
    (!pin.is_empty() && !pin.contains([',', '*', '<', '>', '!', '~', ' '])).then_some(pin)
}

/// Reads a `pdm.lock`.
pub fn parse(bytes: &[u8]) -> Result<Parsed, LockfileError> {
    let mut notes = Notes::default();
    let mut entries = Vec::new();
    let mut i = 0;
    read_toml_tables(text(bytes)?, "package", |piece: Lock| {
        for p in piece.package {
            i += 1;
            let (Some(name), Some(version)) = (p.name, p.version) else {
                notes.push(format!("[[package]] {i}: no name or no version; skipped"));
                continue;
            };
            let mut e = Entry::new(name, version);
            e.edges = p
                .dependencies
                .iter()
                .filter_map(|r| {
                    let mut edge = Edge::named(requirement_name(r)?);
                    edge.hint.extend(requirement_pin(r).map(str::to_owned));
                    Some(edge)
                })
                .collect();
            entries.push(e);
        }
    })?;
    Ok(finish(entries, notes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requirement_names_and_pins() {
        assert_eq!(requirement_name("idna<4,>=2.5; python_version >= \"3\""), Some("idna"));
        assert_eq!(requirement_name("Zope.Interface[docs]>=5"), Some("Zope.Interface"));
        assert_eq!(requirement_name(" -e ."), None);
        assert_eq!(requirement_pin("requests[socks]==2.31.0; os_name == \"nt\""), Some("2.31.0"));
        assert_eq!(requirement_pin("requests==2.*"), None);
        assert_eq!(requirement_pin("requests>=2"), None);
    }

    #[test]
    fn extras_entries_are_one_package_and_edges_resolve() {
        let lock = br#"
[[package]]
name = "requests"
version = "2.31.0"
groups = ["default"]
dependencies = ["urllib3<3,>=1.21.1", "argparse; python_version == \"2.6\""]

[[package]]
name = "requests"
version = "2.31.0"
extras = ["socks"]
groups = ["default"]
dependencies = ["PySocks!=1.5.7,>=1.5.6", "requests==2.31.0"]

[[package]]
name = "pysocks"
version = "1.7.1"

[[package]]
name = "urllib3"
version = "2.2.1"
"#;
        let parsed = parse(lock).unwrap();
        assert_eq!(parsed.packages.len(), 3);
        assert_eq!(parsed.packages[0].depends_on, ["pysocks@1.7.1", "urllib3@2.2.1"]);
    }
}
