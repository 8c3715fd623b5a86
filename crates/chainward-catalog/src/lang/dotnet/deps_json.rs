//! .NET's `<app>.deps.json`, written next to a published application: what it loads.
//!
//! `libraries` lists every library as `"Name/Version": {"type": "package" | "project" |
//! "runtimepack" | "reference" | …}`; `targets["<runtimeTarget.name>"]` gives each library's
//! assets (`runtime`, `runtimeTargets`, `native`) and its `dependencies`. As Trivy does:
//! - packages, projects and runtime packs are reported (a runtime pack, the runtime bundled
//!   in a self-contained app, under its name without the synthetic `runtimepack.` prefix);
//! - a library the target lists with no runtime assets (compile-time only) is left out;
//! - the root is the one project no other library depends on; other projects are its
//!   workspace; packages the root depends on are direct, the rest indirect. With no single
//!   root, or no target for the runtime, relationships are unknown.

use std::collections::{BTreeMap, BTreeSet};

use chainward_model::Relationship;
use serde_json::{Map, Value};

const RUNTIME_PACK_PREFIX: &str = "runtimepack.";

/// One library the application loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepsLibrary {
    /// The name (runtime packs without `runtimepack.`).
    pub name: String,
    /// The version.
    pub version: String,
    /// Root, workspace, direct or indirect, where the file says.
    pub relationship: Option<Relationship>,
    /// `name@version` of the libraries it depends on (among those reported).
    pub depends_on: Vec<String>,
}

/// Why a deps.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DepsJsonError {
    /// Not JSON (or nested deeper than serde_json's recursion limit of 128).
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but no `libraries` object.
    #[error("expected an object with a `libraries` object")]
    Shape,
}

fn strip(name: &str) -> &str {
    name.strip_prefix(RUNTIME_PACK_PREFIX).unwrap_or(name)
}

fn id(name: &str, version: &str) -> String {
    format!("{}@{version}", strip(name))
}

/// Whether a section (`runtime`, `native`, …) lists assets.
fn has_assets(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// Parses a deps.json; libraries sorted by name then version, and entries skipped.
pub fn parse(bytes: &[u8]) -> Result<(Vec<DepsLibrary>, Vec<String>), DepsJsonError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let Some(Value::Object(libraries)) = doc.get("libraries") else { return Err(DepsJsonError::Shape) };
    let runtime = doc.get("runtimeTarget").and_then(|t| t.get("name")).and_then(Value::as_str).unwrap_or("");
    let target: Option<&Map<String, Value>> =
        doc.get("targets").and_then(|t| t.get(runtime)).and_then(Value::as_object);
    // Target entries by normalised id, and their dependency ids.
    let mut target_libs: BTreeMap<String, &Value> = BTreeMap::new();
    let mut target_deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, lib) in target.into_iter().flatten() {
        let Some((name, version)) = key.split_once('/') else { continue };
        let lib_id = id(name, version);
        let deps = match lib.get("dependencies") {
            Some(Value::Object(d)) => d.iter().filter_map(|(n, v)| v.as_str().map(|v| id(n, v))).collect(),
            _ => Vec::new(),
        };
        target_libs.insert(lib_id.clone(), lib);
        target_deps.insert(lib_id, deps);
    }

    let mut skipped = Vec::new();
    let mut found: BTreeMap<String, (DepsLibrary, bool)> = BTreeMap::new();
    for (key, lib) in libraries {
        let Some((name, version)) = key.split_once('/').filter(|(n, v)| !n.is_empty() && !v.is_empty()) else {
            skipped.push(format!("libraries.{key}: expected `Name/Version`"));
            continue;
        };
        let kind = lib.get("type").and_then(Value::as_str).unwrap_or("");
        let is_project = kind.eq_ignore_ascii_case("project");
        if !(is_project || kind.eq_ignore_ascii_case("package") || kind.eq_ignore_ascii_case("runtimepack")) {
            continue;
        }
        let lib_id = id(name, version);
        if target.is_some()
            && let Some(t) = target_libs.get(&lib_id)
            && !["runtime", "runtimeTargets", "native"].iter().any(|s| has_assets(t.get(*s)))
        {
            continue;
        }
        let entry = DepsLibrary {
            name: strip(name).to_owned(),
            version: version.to_owned(),
            relationship: None,
            depends_on: Vec::new(),
        };
        found.insert(lib_id, (entry, is_project));
    }

    let referenced: BTreeSet<&String> = target_deps.values().flatten().collect();
    let roots: Vec<String> =
        found.iter().filter(|(k, (_, project))| *project && !referenced.contains(k)).map(|(k, _)| k.clone()).collect();
    let root = match roots.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    };
    let direct: BTreeSet<String> = match (&root, target) {
        (Some(r), Some(_)) => target_deps.get(r).into_iter().flatten().cloned().collect(),
        _ => BTreeSet::new(),
    };
    let present: BTreeSet<String> = found.keys().cloned().collect();
    for (lib_id, (lib, project)) in &mut found {
        lib.relationship = match (&root, *project) {
            (Some(r), _) if r == lib_id => Some(Relationship::Root),
            (Some(_), true) => Some(Relationship::Workspace),
            // Without the root's dependencies the file is most likely broken: unknown.
            (Some(_), false) if !direct.is_empty() => {
                Some(if direct.contains(lib_id) { Relationship::Direct } else { Relationship::Indirect })
            }
            _ => None,
        };
        lib.depends_on =
            target_deps.get(lib_id).into_iter().flatten().filter(|d| present.contains(*d)).cloned().collect();
    }
    let mut out: Vec<DepsLibrary> = found.into_values().map(|(l, _)| l).collect();
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    Ok((out, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_only_and_reference_libraries_are_left_out() {
        let deps = br#"{"runtimeTarget":{"name":"t"},"targets":{"t":{
            "App/1.0":{"dependencies":{"A":"1.0","CompileOnly":"2.0","Ref":"1.0"},"runtime":{"App.dll":{}}},
            "A/1.0":{"dependencies":{"B":"1.0"},"native":{"a.so":{}}},
            "B/1.0":{"runtimeTargets":{"x":{}}},
            "CompileOnly/2.0":{"compile":{"x.dll":{}}}}},
          "libraries":{"App/1.0":{"type":"project"},"A/1.0":{"type":"package"},"B/1.0":{"type":"Package"},
            "CompileOnly/2.0":{"type":"package"},"Ref/1.0":{"type":"reference"},"bad":{"type":"package"}}}"#;
        let (libs, skipped) = parse(deps).unwrap();
        let got: Vec<_> = libs.iter().map(|l| (l.name.as_str(), l.relationship, l.depends_on.clone())).collect();
        assert_eq!(
            got,
            [
                ("A", Some(Relationship::Direct), vec!["B@1.0".to_owned()]),
                ("App", Some(Relationship::Root), vec!["A@1.0".to_owned()]),
                ("B", Some(Relationship::Indirect), vec![]),
            ]
        );
        assert_eq!(skipped, ["libraries.bad: expected `Name/Version`"]);
        assert!(matches!(parse(b"[]"), Err(DepsJsonError::Shape)));
    }
}
