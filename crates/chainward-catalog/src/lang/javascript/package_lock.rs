//! `package-lock.json` (and `npm-shrinkwrap.json`), lockfile versions 1, 2 and 3.
//!
//! v2 and v3 list every installed folder under `packages`, keyed by its path
//! (`node_modules/a/node_modules/b`); the root project is the `""` entry and is not reported
//! here (the project's `package.json` is). Links (`"link": true`, workspaces and `file:`
//! folders) are resolved to their target folder, whose entries are then reported under the
//! link's path, as npm installs them. A package is direct when the root lists it and it sits
//! at `node_modules/<name>`, as Trivy decides. v1 nests `dependencies` objects instead;
//! they are walked with an explicit stack.
//!
//! `depends_on` follows Node's module resolution: a dependency of the package at `P` is the
//! nearest `P/node_modules/<dep>`, then the same under each ancestor folder, then the top.

use std::collections::{BTreeMap, HashMap};

use chainward_model::{Ecosystem, Evidence, Package, Relationship};
use serde_json::{Map, Value};

use super::{JsError, package_json::licenses};

/// How many levels of v1 `dependencies` nesting are followed (serde_json's own recursion
/// limit of 128 already stops deeper documents).
const MAX_V1_DEPTH: usize = 128;

/// Parses a package-lock; the packages carry lockfile evidence and no location.
pub fn parse(bytes: &[u8]) -> Result<Vec<Package>, JsError> {
    let value: Value = super::parse_json(bytes)?;
    let Some(root) = value.as_object() else {
        return Err(JsError::Shape { what: "package-lock.json", expected: "a JSON object" });
    };
    match root.get("packages") {
        Some(Value::Object(packages)) => Ok(parse_v2(packages)),
        Some(_) => Err(JsError::Shape { what: "package-lock.json `packages`", expected: "an object" }),
        None => match root.get("dependencies") {
            Some(Value::Object(deps)) => Ok(parse_v1(deps)),
            Some(_) => Err(JsError::Shape { what: "package-lock.json `dependencies`", expected: "an object" }),
            None => Ok(Vec::new()),
        },
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn dep_names<'a>(v: &'a Value, keys: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for k in keys {
        if let Some(Value::Object(m)) = v.get(*k) {
            out.extend(m.keys().map(String::as_str));
        }
    }
    out
}

/// The package name a `node_modules` path installs: what follows the last `node_modules/`.
pub(crate) fn name_from_path(path: &str) -> &str {
    match path.rfind("node_modules/") {
        Some(i) => &path[i + "node_modules/".len()..],
        None => path,
    }
}

/// The parent folder's path for module resolution: `a/node_modules/b/node_modules/c` →
/// `a/node_modules/b`; `node_modules/c` → `""`.
fn parent_scope(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    Some(path.rfind("/node_modules/").map_or("", |i| &path[..i]))
}

/// Workspace globs as npm writes them in the root entry: an array, or `{ "packages": [...] }`.
fn workspace_globs(root: &Value) -> Vec<&str> {
    let list = match root.get("workspaces") {
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) => match o.get("packages") {
            Some(Value::Array(a)) => a,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    list.iter().filter_map(Value::as_str).collect()
}

/// `*` matches within one path segment, `**` any number of segments; enough for the globs
/// npm workspaces use (`packages/*`, `apps/**`).
pub(crate) fn glob_match(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    // Iterative matching with one `**` backtrack point, linear in practice.
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < segs.len() {
        if p < pat.len() && pat[p] == "**" {
            star = Some((p, s));
            p += 1;
        } else if p < pat.len() && segment_match(pat[p], segs[s]) {
            p += 1;
            s += 1;
        } else if let Some((sp, ss)) = star {
            p = sp + 1;
            s = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|x| *x == "**")
}

fn segment_match(pat: &str, seg: &str) -> bool {
    match pat.split_once('*') {
        None => pat == seg,
        Some((pre, post)) if !post.contains('*') => {
            seg.len() >= pre.len() + post.len() && seg.starts_with(pre) && seg.ends_with(post)
        }
        // Several stars in one segment: rare; accept when the literal parts appear in order.
        Some(_) => {
            let mut rest = seg;
            for part in pat.split('*').filter(|p| !p.is_empty()) {
                match rest.find(part) {
                    Some(i) => rest = &rest[i + part.len()..],
                    None => return false,
                }
            }
            true
        }
    }
}

fn parse_v2(packages: &Map<String, Value>) -> Vec<Package> {
    let empty = Value::Object(Map::new());
    let root = packages.get("").unwrap_or(&empty);
    let globs = workspace_globs(root);

    // Resolve links: the target folder's entries (and its nested node_modules) move under the
    // link's path. Targets inside node_modules need no move.
    let mut entries: BTreeMap<String, &Value> = BTreeMap::new();
    let mut links: Vec<(&str, &str)> = Vec::new();
    let mut extra_direct: Vec<String> = Vec::new();
    for (path, entry) in packages {
        if flag(entry, "link")
            && let Some(target) = str_of(entry, "resolved")
        {
            links.push((path.as_str(), target));
        }
    }
    for (path, entry) in packages {
        if path.is_empty() || flag(entry, "link") {
            continue;
        }
        let mut key = path.clone();
        for (link_path, target) in &links {
            if let Some(rest) = path.strip_prefix(target)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                key = format!("{link_path}{rest}");
                if rest.is_empty() && globs.iter().any(|g| glob_match(g, path)) {
                    extra_direct.push(key.clone());
                }
                break;
            }
        }
        entries.insert(key, entry);
    }

    // npm 7 and later install peer dependencies, so the root's peers are direct too.
    let mut direct: Vec<String> =
        dep_names(root, &["dependencies", "optionalDependencies", "devDependencies", "peerDependencies"])
            .into_iter()
            .map(|n| format!("node_modules/{n}"))
            .collect();
    direct.extend(extra_direct);

    // name@version → index into `out`, so one package listed at several paths is one entry.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Package> = Vec::new();
    for (path, entry) in &entries {
        if !path.starts_with("node_modules/") {
            continue;
        }
        let name = str_of(entry, "name").unwrap_or_else(|| name_from_path(path));
        let version = str_of(entry, "version").unwrap_or("");
        let is_direct = direct.iter().any(|d| d == path);
        let dev = flag(entry, "dev");
        let key = if version.is_empty() { name.to_owned() } else { format!("{name}@{version}") };
        let mut depends_on = Vec::new();
        for dep in dep_names(entry, &["dependencies", "optionalDependencies"]) {
            if let Some(found) = resolve(&entries, path, dep) {
                let dep_name = str_of(found, "name").unwrap_or(dep);
                let v = str_of(found, "version").unwrap_or("");
                depends_on.push(if v.is_empty() { dep_name.to_owned() } else { format!("{dep_name}@{v}") });
            }
        }
        depends_on.sort();
        depends_on.dedup();
        if let Some(&i) = index.get(&key) {
            if let Some(p) = out.get_mut(i) {
                p.dev = p.dev && dev;
                if is_direct {
                    p.relationship = Some(Relationship::Direct);
                }
                for d in depends_on {
                    if !p.depends_on.contains(&d) {
                        p.depends_on.push(d);
                    }
                }
            }
            continue;
        }
        let mut p = Package::new(Ecosystem::Npm, name, version);
        p.evidence = Evidence::Lockfile;
        p.dev = dev;
        p.relationship = Some(if is_direct { Relationship::Direct } else { Relationship::Indirect });
        p.licenses = licenses(entry);
        p.depends_on = depends_on;
        index.insert(key, out.len());
        out.push(p);
    }
    out
}

/// Node's resolution of `dep` required from the folder `from`.
fn resolve<'a>(entries: &BTreeMap<String, &'a Value>, from: &str, dep: &str) -> Option<&'a Value> {
    let mut scope = Some(from);
    while let Some(s) = scope {
        let candidate = if s.is_empty() { format!("node_modules/{dep}") } else { format!("{s}/node_modules/{dep}") };
        if let Some(v) = entries.get(&candidate) {
            return Some(v);
        }
        scope = parent_scope(s);
    }
    None
}

fn parse_v1(top: &Map<String, Value>) -> Vec<Package> {
    // Each stack item: the dependency object, its name, and the chain of scopes (maps of
    // nested `dependencies`) from the top down to the scope that holds it.
    struct Item<'a> {
        name: &'a str,
        entry: &'a Value,
        scopes: Vec<&'a Map<String, Value>>,
        /// A copy nested inside a dev package's folder is only there for it: dev too.
        parent_dev: bool,
    }
    let mut stack: Vec<Item<'_>> =
        top.iter().rev().map(|(name, entry)| Item { name, entry, scopes: vec![top], parent_dev: false }).collect();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Package> = Vec::new();
    while let Some(item) = stack.pop() {
        let version = v1_version(item.entry);
        let key = format!("{}@{}", item.name, version);
        let nested = match item.entry.get("dependencies") {
            Some(Value::Object(m)) => Some(m),
            _ => None,
        };
        // `requires` names are resolved in the package's own nested scope, then outwards.
        let mut depends_on = Vec::new();
        if let Some(Value::Object(req)) = item.entry.get("requires") {
            for dep in req.keys() {
                let found =
                    nested.and_then(|n| n.get(dep)).or_else(|| item.scopes.iter().rev().find_map(|s| s.get(dep)));
                if let Some(f) = found {
                    depends_on.push(format!("{dep}@{}", v1_version(f)));
                }
            }
        }
        let dev = item.parent_dev || flag(item.entry, "dev");
        if let Some(&i) = index.get(&key) {
            if let Some(p) = out.get_mut(i) {
                p.dev = p.dev && dev;
                for d in depends_on {
                    if !p.depends_on.contains(&d) {
                        p.depends_on.push(d);
                    }
                }
            }
        } else {
            let mut p = Package::new(Ecosystem::Npm, item.name, version);
            p.evidence = Evidence::Lockfile;
            p.dev = dev;
            p.depends_on = depends_on;
            index.insert(key, out.len());
            out.push(p);
        }
        if let Some(n) = nested
            && item.scopes.len() < MAX_V1_DEPTH
        {
            let mut scopes = item.scopes.clone();
            scopes.push(n);
            for (name, entry) in n.iter().rev() {
                stack.push(Item { name, entry, scopes: scopes.clone(), parent_dev: dev });
            }
        }
    }
    out
}

/// A v1 version; an alias (`"npm:real-name@1.2.3"`) keeps the version after the last `@`.
fn v1_version(entry: &Value) -> String {
    let v = str_of(entry, "version").unwrap_or("");
    match v.strip_prefix("npm:").and_then(|a| a.rsplit_once('@')) {
        Some((_, version)) => version.to_owned(),
        None => v.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("functions/*", "functions/func1"));
        assert!(!glob_match("functions/*", "functions/func1/x"));
        assert!(glob_match("apps/**", "apps/a/b"));
        assert!(glob_match("./pkgs/a*", "pkgs/abc"));
        assert!(!glob_match("pkgs/a*", "pkgs/b"));
    }

    #[test]
    fn nested_resolution_and_dedup() {
        let lock = br#"{"lockfileVersion":3,"packages":{
            "":{"name":"root","version":"1.0.0","dependencies":{"a":"1"},"devDependencies":{"t":"1"}},
            "node_modules/a":{"version":"1.0.0","dependencies":{"b":"^2"}},
            "node_modules/a/node_modules/b":{"version":"2.0.0"},
            "node_modules/b":{"version":"1.0.0","dev":true},
            "node_modules/t":{"version":"1.0.0","dev":true,"dependencies":{"b":"1"}},
            "node_modules/t/node_modules/a":{"version":"1.0.0","dev":true}
        }}"#;
        let got = parse(lock).unwrap();
        let show: Vec<(String, bool, Option<Relationship>, Vec<String>)> =
            got.iter().map(|p| (p.key(), p.dev, p.relationship, p.depends_on.clone())).collect();
        assert_eq!(
            show,
            [
                ("a@1.0.0".into(), false, Some(Relationship::Direct), vec!["b@2.0.0".into()]),
                ("b@2.0.0".into(), false, Some(Relationship::Indirect), vec![]),
                ("b@1.0.0".into(), true, Some(Relationship::Indirect), vec![]),
                ("t@1.0.0".into(), true, Some(Relationship::Direct), vec!["b@1.0.0".into()]),
            ]
        );
    }

    #[test]
    fn v1_requires_resolve_outwards() {
        let lock = br#"{"lockfileVersion":1,"dependencies":{
            "a":{"version":"1.0.0","requires":{"b":"^1","c":"1"},"dependencies":{"b":{"version":"1.5.0"}}},
            "b":{"version":"2.0.0","dev":true},
            "c":{"version":"npm:real-c@3.0.0"}
        }}"#;
        let got = parse(lock).unwrap();
        let keys: Vec<String> = got.iter().map(Package::key).collect();
        assert_eq!(keys, ["a@1.0.0", "b@1.5.0", "b@2.0.0", "c@3.0.0"]);
        assert_eq!(got[0].depends_on, ["b@1.5.0", "c@3.0.0"]);
        assert!(got[2].dev);
    }
}
