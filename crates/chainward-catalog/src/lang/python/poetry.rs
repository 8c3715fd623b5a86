//! `poetry.lock`: `[[package]]` tables with `name`, `version` and `[package.dependencies]`
//! (name → version range, or a table with `version`, or an array of such tables, one per
//! environment).
//!
//! Dev: Poetry 1.x lock files say `category = "dev"` (lock-version 1.x; Poetry 1.5 dropped
//! the field); Poetry 2 writes `groups = [...]`, and a package outside the `main` group is
//! installed only for the other groups, which is what Trivy reports as dev. A lock file with
//! neither field does not say. The relationship is in `pyproject.toml`, not the lock file.

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
    category: Option<String>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    dependencies: toml::Table,
}

/// Reads a `poetry.lock`.
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
            e.dev = match (&p.category, &p.groups) {
                (Some(c), _) => c == "dev",
                (None, Some(groups)) => !groups.is_empty() && !groups.iter().any(|g| g == "main"),
                (None, None) => false,
            };
            e.edges = p.dependencies.iter().map(|(name, spec)| edge(name, spec)).collect();
            entries.push(e);
        }
    })?;
    Ok(finish(entries, notes))
}

/// An edge, with the pins its constraint(s) name as hints: `"1.2"` and `"==1.2"` mean
/// exactly 1.2 in Poetry's constraint syntax.
fn edge(name: &str, spec: &toml::Value) -> Edge {
    let mut e = Edge::named(name);
    let mut add = |constraint: Option<&str>| {
        if let Some(c) = constraint {
            let pin = c.trim().trim_start_matches("==").trim();
            if !pin.is_empty() && pin.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '!' | '-')) {
                e.hint.push(pin.to_owned());
            }
        }
    };
    match spec {
        toml::Value::String(s) => add(Some(s)),
        toml::Value::Table(t) => add(t.get("version").and_then(toml::Value::as_str)),
        toml::Value::Array(list) => {
            for t in list.iter().filter_map(toml::Value::as_table) {
                add(t.get("version").and_then(toml::Value::as_str));
            }
        }
        _ => {}
    }
    e
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn multiple_constraint_dependencies_pick_their_pins() {
        let lock = br#"
[[package]]
name = "app-lib"
version = "1.0"
groups = ["main"]
[package.dependencies]
numpy = [
  {version = "1.24.4", markers = "python_version < \"3.9\""},
  {version = "==1.26.0", markers = "python_version >= \"3.9\""},
]
Typing_Extensions = {version = ">=4", optional = true}

[[package]]
name = "numpy"
version = "1.24.4"
groups = ["main"]

[[package]]
name = "numpy"
version = "1.26.0"
groups = ["main"]

[[package]]
name = "numpy"
version = "2.0.0"
groups = ["lint"]

[[package]]
name = "typing-extensions"
version = "4.12.2"
groups = ["dev", "main"]
"#;
        let parsed = parse(lock).unwrap();
        let p = &parsed.packages;
        assert_eq!(p.len(), 5);
        assert_eq!(p[0].depends_on, ["numpy@1.24.4", "numpy@1.26.0", "typing-extensions@4.12.2"]);
        assert!(p[3].dev, "only in a non-main group");
        assert!(!p[4].dev);
    }

    #[test]
    fn entries_without_version_are_noted() {
        let parsed = parse(b"[[package]]\nname = \"x\"\n[[package]]\nname = \"y\"\nversion = \"1\"\n").unwrap();
        assert_eq!(parsed.packages.len(), 1);
        assert_eq!(parsed.notes, ["[[package]] 1: no name or no version; skipped"]);
    }

    #[test]
    fn wrong_types_are_an_error_with_a_line() {
        let e = parse(b"[[package]]\nname = \"x\"\nversion = 1\n").unwrap_err();
        assert!(matches!(e, LockfileError::Toml { line: Some(3), .. }), "{e}");
    }
}
