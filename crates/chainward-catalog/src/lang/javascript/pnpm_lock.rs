//! `pnpm-lock.yaml`, lockfile versions 5 to 9, through the bounded `chainward-yaml` parser.
//!
//! - v5 keys packages `/name/1.0.0_peer@2.0.0`, v6 `/name@1.0.0(peer@2.0.0)`, v9
//!   `name@1.0.0` in `packages` with the dependency graph in `snapshots`
//!   (`name@1.0.0(peer@2.0.0)`). Peer suffixes are cut off: they select a variant of the
//!   same code. Tarball, git and `file:` packages carry their `name`/`version` fields.
//! - Direct dependencies are those of any importer (or, in a single-project v5 lockfile,
//!   the top-level `dependencies`). v5 and v6 mark dev packages with `dev: true`; v9 does
//!   not, so a package is dev when no production dependency of an importer reaches it.
//! - pnpm 11 may write the package manager's own lockfile as a first YAML document
//!   (`packageManagerDependencies`, `configDependencies`); its packages are reported as dev:
//!   tools to install the project, not part of it.
//!
//! Anchors and aliases never appear in lockfiles pnpm writes; the node limit grows with the
//! file's size, so an alias "billion laughs" stops with an error before memory does.

use std::collections::{BTreeMap, HashMap, HashSet};

use chainward_model::{Ecosystem, Evidence, Package, Relationship};
use chainward_yaml::{Limits, Node};

use super::JsError;

/// Nesting in a real lockfile is a handful of levels.
const MAX_DEPTH: usize = 64;

#[derive(Default)]
struct Info {
    name: String,
    version: String,
    /// v5/v6 `dev:` (absent: not stated).
    dev: Option<bool>,
    /// (dependency name, reference as written).
    deps: Vec<(String, String)>,
}

struct Doc {
    major: u32,
    packages: BTreeMap<String, Info>,
    /// Ids of direct dependencies, with whether any importer lists them as production.
    direct: Vec<(String, bool)>,
    tooling: bool,
}

/// Parses a pnpm lockfile (one or more YAML documents); packages carry lockfile evidence.
pub fn parse(bytes: &[u8]) -> Result<Vec<Package>, JsError> {
    let text = super::utf8(bytes)?;
    let mut out: Vec<Package> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for doc_text in documents(text) {
        let limits = Limits { max_bytes: bytes.len(), max_depth: MAX_DEPTH, max_nodes: doc_text.len() / 2 + 10_000 };
        let yaml = chainward_yaml::parse(doc_text.as_bytes(), &limits)?;
        if yaml.root.is_null() {
            continue;
        }
        if yaml.root.as_mapping().is_none() {
            return Err(JsError::Shape { what: "pnpm-lock.yaml", expected: "a mapping" });
        }
        let doc = read_doc(&yaml.root);
        for p in packages_of(&doc) {
            let key = p.key();
            match index.get(&key).and_then(|&i| out.get_mut(i)) {
                Some(existing) => {
                    existing.dev = existing.dev && p.dev;
                    if p.relationship == Some(Relationship::Direct) {
                        existing.relationship = p.relationship;
                    }
                }
                None => {
                    index.insert(key, out.len());
                    out.push(p);
                }
            }
        }
    }
    Ok(out)
}

/// Splits a YAML stream at `---` document markers (column 0, as YAML requires).
fn documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches(['\n', '\r']);
        if l == "---" || l.starts_with("--- ") || l.starts_with("---\t") {
            docs.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    docs.push(&text[start..]);
    docs.retain(|d| d.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')));
    docs
}

fn major_version(root: &Node) -> u32 {
    root.get_str("lockfileVersion").and_then(|v| v.trim().split('.').next().and_then(|m| m.parse().ok())).unwrap_or(5)
}

fn mapping(node: Option<&Node>) -> &[(Node, Node)] {
    node.and_then(Node::as_mapping).unwrap_or(&[])
}

/// Cuts a peer suffix: `(…)` in v6+, `_…` after a v5 version.
fn strip_peers(major: u32, reference: &str) -> &str {
    let cut = if major >= 6 { reference.find('(') } else { reference.find('_').filter(|_| !reference.contains('/')) };
    cut.map_or(reference, |i| &reference[..i])
}

/// `name@rest` with a possibly scoped name.
fn split_at_version(s: &str) -> Option<(&str, &str)> {
    let at = s.get(1..)?.find('@')? + 1;
    Some((&s[..at], &s[at + 1..]))
}

/// The id of a `packages`/`snapshots` key (no leading `/`, no peer suffix), and the name
/// and version it spells (the version may be a URL or `file:` reference).
fn key_id(major: u32, key: &str) -> (String, Option<(String, String)>) {
    let k = key.strip_prefix('/').unwrap_or(key);
    if major >= 6 {
        let k = strip_peers(major, k);
        let nv = split_at_version(k).map(|(n, v)| (n.to_owned(), v.to_owned()));
        return (k.to_owned(), nv);
    }
    // v5: name segments (two for a scope), then the version, then an optional peer suffix.
    if !key.starts_with('/') {
        return (k.to_owned(), None);
    }
    let segs: Vec<&str> = k.split('/').collect();
    let n = if k.starts_with('@') { 2 } else { 1 };
    match (segs.get(..n), segs.get(n)) {
        (Some(name), Some(version)) => {
            let name = name.join("/");
            let version = strip_peers(5, version);
            (format!("{name}/{version}"), Some((name, version.to_owned())))
        }
        _ => (k.to_owned(), None),
    }
}

/// The id a dependency reference points at.
fn dep_id(major: u32, name: &str, reference: &str, packages: &BTreeMap<String, Info>) -> Option<String> {
    let r = strip_peers(major, reference);
    let sep = if major >= 6 { "@" } else { "/" };
    let candidates = [format!("{name}{sep}{r}"), r.trim_start_matches('/').to_owned(), key_id(major, reference).0];
    candidates.into_iter().find(|c| packages.contains_key(c))
}

fn deps_of(node: &Node, keys: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for k in keys {
        for (dk, dv) in mapping(node.get(k)) {
            // Importers in v6+ write `{specifier, version}`; everything else a string.
            let reference = dv.get_str("version").or_else(|| dv.as_str());
            if let (Some(n), Some(r)) = (dk.as_str(), reference) {
                out.push((n.to_owned(), r.to_owned()));
            }
        }
    }
    out
}

fn is_version_like(v: &str) -> bool {
    !v.is_empty() && !v.contains(':') && !v.contains('/')
}

fn read_doc(root: &Node) -> Doc {
    let major = major_version(root);
    let mut packages: BTreeMap<String, Info> = BTreeMap::new();
    for (k, v) in mapping(root.get("packages")) {
        let Some(key) = k.as_str() else { continue };
        let (id, nv) = key_id(major, key);
        let (mut name, mut version) = nv.unwrap_or_default();
        if let Some(n) = v.get_str("name") {
            name = n.to_owned();
        }
        if let Some(ver) = v.get_str("version") {
            version = ver.to_owned();
        } else if !is_version_like(&version) {
            // A folder (`file:package1`) or URL without a stated version.
            version = String::new();
        }
        if name.is_empty() {
            continue;
        }
        let deps = deps_of(v, &["dependencies", "optionalDependencies"]);
        packages.insert(id, Info { name, version, dev: v.get("dev").and_then(Node::as_bool), deps });
    }
    // v9: the graph is in `snapshots`, keyed with peer suffixes.
    for (k, v) in mapping(root.get("snapshots")) {
        let Some(key) = k.as_str() else { continue };
        let (id, _) = key_id(major, key);
        if let Some(info) = packages.get_mut(&id) {
            for d in deps_of(v, &["dependencies", "optionalDependencies"]) {
                if !info.deps.contains(&d) {
                    info.deps.push(d);
                }
            }
        }
    }

    let mut importers: Vec<&Node> = mapping(root.get("importers")).iter().map(|(_, v)| v).collect();
    if importers.is_empty() {
        importers.push(root);
    }
    let mut direct: Vec<(String, bool)> = Vec::new();
    let mut tooling = false;
    let mut any_project_deps = false;
    for imp in importers {
        let prod = deps_of(imp, &["dependencies", "optionalDependencies"]);
        let dev = deps_of(imp, &["devDependencies"]);
        let tools = deps_of(imp, &["packageManagerDependencies", "configDependencies"]);
        any_project_deps |= !prod.is_empty() || !dev.is_empty();
        tooling |= !tools.is_empty();
        for (list, is_prod) in [(prod, true), (dev, false), (tools, false)] {
            for (n, r) in list {
                if let Some(id) = dep_id(major, &n, &r, &packages) {
                    direct.push((id, is_prod));
                }
            }
        }
    }
    Doc { major, packages, direct, tooling: tooling && !any_project_deps }
}

fn packages_of(doc: &Doc) -> Vec<Package> {
    let direct: HashSet<&str> = doc.direct.iter().map(|(id, _)| id.as_str()).collect();
    // v9 (and any package v5/v6 leave unmarked): production when a production dependency
    // of an importer reaches it. Iterative, each package visited once.
    let mut prod: HashSet<&str> = HashSet::new();
    let mut queue: Vec<&str> = doc.direct.iter().filter(|(_, p)| *p).map(|(id, _)| id.as_str()).collect();
    while let Some(id) = queue.pop() {
        if !prod.insert(id) {
            continue;
        }
        if let Some(info) = doc.packages.get(id) {
            for (n, r) in &info.deps {
                if let Some(dep) = dep_id(doc.major, n, r, &doc.packages)
                    && let Some((k, _)) = doc.packages.get_key_value(&dep)
                    && !prod.contains(k.as_str())
                {
                    queue.push(k.as_str());
                }
            }
        }
    }
    let mut out = Vec::new();
    for (id, info) in &doc.packages {
        let mut p = Package::new(Ecosystem::Npm, info.name.clone(), info.version.clone());
        p.evidence = Evidence::Lockfile;
        p.dev = doc.tooling || info.dev.unwrap_or(!prod.contains(id.as_str()));
        p.relationship = Some(if direct.contains(id.as_str()) { Relationship::Direct } else { Relationship::Indirect });
        let mut deps: Vec<String> = info
            .deps
            .iter()
            .filter_map(|(n, r)| dep_id(doc.major, n, r, &doc.packages))
            .filter_map(|d| doc.packages.get(&d))
            .map(|i| if i.version.is_empty() { i.name.clone() } else { format!("{}@{}", i.name, i.version) })
            .collect();
        deps.sort();
        deps.dedup();
        p.depends_on = deps;
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(key_id(5, "/debug/4.3.4_supports-color@8.1.1").0, "debug/4.3.4");
        assert_eq!(key_id(5, "/@babel/runtime/7.18.3").1, Some(("@babel/runtime".into(), "7.18.3".into())));
        assert_eq!(key_id(5, "/nested_func/1.0.0").0, "nested_func/1.0.0");
        assert_eq!(key_id(6, "/@babel/core@7.24.7(x@1.0.0)").0, "@babel/core@7.24.7");
        assert_eq!(key_id(9, "debug@4.3.4(supports-color@8.1.1)").0, "debug@4.3.4");
    }

    #[test]
    fn v9_dev_by_reachability() {
        let lock = b"lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: 1.0.0\n        version: 1.0.0\n    devDependencies:\n      t:\n        specifier: 1.0.0\n        version: 1.0.0\npackages:\n  a@1.0.0: {}\n  b@1.0.0: {}\n  t@1.0.0: {}\n  c@1.0.0: {}\nsnapshots:\n  a@1.0.0:\n    dependencies:\n      b: 1.0.0\n  b@1.0.0: {}\n  t@1.0.0:\n    dependencies:\n      b: 1.0.0\n      c: 1.0.0\n  c@1.0.0: {}\n";
        let got = parse(lock).unwrap();
        let show: Vec<(String, bool, Option<Relationship>)> =
            got.iter().map(|p| (p.key(), p.dev, p.relationship)).collect();
        assert_eq!(
            show,
            [
                ("a@1.0.0".into(), false, Some(Relationship::Direct)),
                ("b@1.0.0".into(), false, Some(Relationship::Indirect)),
                ("c@1.0.0".into(), true, Some(Relationship::Indirect)),
                ("t@1.0.0".into(), true, Some(Relationship::Direct)),
            ]
        );
        assert_eq!(got[3].depends_on, ["b@1.0.0", "c@1.0.0"]);
    }

    #[test]
    fn billion_laughs_stops() {
        let mut y = String::from("lockfileVersion: '9.0'\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 { "a".to_owned() } else { format!("l{}", i - 1) };
            y.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(matches!(parse(y.as_bytes()), Err(JsError::Yaml(_))));
    }
}
