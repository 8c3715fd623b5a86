//! NuGet's `packages.lock.json` (`RestorePackagesWithLockFile`), read as JSON data.
//!
//! `{"version": 1|2, "dependencies": {"<target framework>": {"<id>": {"type": "Direct" |
//! "Transitive" | "CentralTransitive" | "Project", "resolved": "1.2.3", "dependencies":
//! {"<id>": "<minimum version>"}}}}}`. A package appears once per target framework; it is
//! reported once per id and resolved version, direct when any framework has it as `Direct`.
//! `Project` entries are the solution's own projects, not packages.

use std::collections::BTreeMap;

use serde_json::Value;

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    /// The package id as written.
    pub name: String,
    /// The resolved version.
    pub version: String,
    /// `Direct` in at least one target framework.
    pub direct: bool,
    /// `id@resolved` of its dependencies, resolved within each framework.
    pub depends_on: Vec<String>,
}

/// Why a lockfile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum NugetLockError {
    /// Not JSON (or nested deeper than serde_json's recursion limit of 128).
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not a lockfile.
    #[error("expected an object with a `dependencies` object of target frameworks")]
    Shape,
}

/// The packages of a lockfile, sorted by id then version, and the entries skipped.
pub fn parse(bytes: &[u8]) -> Result<(Vec<LockedPackage>, Vec<String>), NugetLockError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let Some(Value::Object(frameworks)) = doc.get("dependencies") else { return Err(NugetLockError::Shape) };
    let mut found: BTreeMap<(String, String), LockedPackage> = BTreeMap::new();
    let mut skipped = Vec::new();
    for (framework, deps) in frameworks {
        let Value::Object(deps) = deps else {
            skipped.push(format!("dependencies.{framework}: not an object"));
            continue;
        };
        // The resolved version of each id in this framework, for the edges.
        let resolved = |id: &str| deps.get(id).and_then(|d| d.get("resolved")).and_then(Value::as_str);
        for (id, entry) in deps {
            let kind = entry.get("type").and_then(Value::as_str).unwrap_or("");
            if kind.eq_ignore_ascii_case("Project") {
                continue;
            }
            let Some(version) = entry.get("resolved").and_then(Value::as_str).filter(|v| !v.trim().is_empty()) else {
                skipped.push(format!("dependencies.{framework}.{id}: no resolved version"));
                continue;
            };
            let p = found.entry((id.clone(), version.to_owned())).or_insert_with(|| LockedPackage {
                name: id.clone(),
                version: version.to_owned(),
                direct: false,
                depends_on: Vec::new(),
            });
            p.direct |= kind.eq_ignore_ascii_case("Direct");
            if let Some(Value::Object(requires)) = entry.get("dependencies") {
                for dep in requires.keys() {
                    // A dependency on a project (type `Project`) has no resolved version.
                    if let Some(v) = resolved(dep) {
                        let key = format!("{dep}@{v}");
                        if !p.depends_on.contains(&key) {
                            p.depends_on.push(key);
                        }
                    }
                }
            }
        }
    }
    Ok((found.into_values().collect(), skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frameworks_merge_and_edges_resolve_per_framework() {
        let lock = br#"{"version":1,"dependencies":{
            "net8.0":{"A":{"type":"Direct","resolved":"1.0","dependencies":{"B":"1.0","P":"1.0.0"}},
                      "B":{"type":"Transitive","resolved":"2.0"},
                      "P":{"type":"Project"}},
            "net6.0":{"B":{"type":"Direct","resolved":"2.0"},"C":{"type":"CentralTransitive","resolved":"3.0"},
                      "D":{"type":"Transitive"}}}}"#;
        let (pkgs, skipped) = parse(lock).unwrap();
        let got: Vec<_> =
            pkgs.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.direct, p.depends_on.clone())).collect();
        assert_eq!(
            got,
            [("A", "1.0", true, vec!["B@2.0".to_owned()]), ("B", "2.0", true, vec![]), ("C", "3.0", false, vec![]),]
        );
        assert_eq!(skipped, ["dependencies.net6.0.D: no resolved version"]);
        assert!(matches!(parse(b"{}"), Err(NugetLockError::Shape)));
    }
}
