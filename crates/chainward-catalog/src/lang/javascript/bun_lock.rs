//! `bun.lock`: bun's text lockfile, JSON with comments and trailing commas (JSONC).
//!
//! `workspaces` maps each workspace folder (`""` is the project) to its manifest's
//! dependency lists; `packages` maps an install path (`name`, or `parent/name` for a nested
//! copy) to `[ "name@version", registry, { dependencies, … }, integrity ]`, or to
//! `[ "name@workspace:path" ]` for a workspace member. Direct dependencies are those some
//! workspace lists (peer dependencies included: bun installs them); a package is dev when
//! no production dependency of a workspace reaches it. The project itself is reported from
//! its package.json, not here.

use std::collections::{BTreeMap, HashSet};

use chainward_model::{Ecosystem, Evidence, Package, Relationship};
use serde_json::Value;

use super::JsError;

/// Parses a bun.lock; packages carry lockfile evidence.
pub fn parse(bytes: &[u8]) -> Result<Vec<Package>, JsError> {
    let text = super::utf8(bytes)?;
    let value: Value = super::parse_json(jsonc_to_json(text).as_bytes())?;
    let empty = serde_json::Map::new();
    let workspaces = value.get("workspaces").and_then(Value::as_object).unwrap_or(&empty);
    let Some(packages) = value.get("packages").and_then(Value::as_object) else {
        return Err(JsError::Shape { what: "bun.lock `packages`", expected: "an object" });
    };

    struct Entry<'a> {
        name: &'a str,
        version: String,
        workspace: bool,
        deps: Vec<&'a str>,
    }
    let mut entries: BTreeMap<&str, Entry<'_>> = BTreeMap::new();
    for (path, v) in packages {
        let Some(ident) = v.get(0).and_then(Value::as_str) else { continue };
        let Some((name, rest)) = ident.get(1..).and_then(|s| s.find('@')).map(|i| (&ident[..=i], &ident[i + 2..]))
        else {
            continue;
        };
        let (version, workspace) = match rest.strip_prefix("workspace:") {
            Some(ws) => {
                let v = workspaces.get(ws).and_then(|w| w.get("version")).and_then(Value::as_str).unwrap_or("");
                (v.to_owned(), true)
            }
            None => (rest.to_owned(), false),
        };
        // The metadata object is the first object after the ident (its index differs for
        // registry, git and tarball entries).
        let info = v.as_array().and_then(|a| a.iter().skip(1).find(|x| x.is_object()));
        let mut deps = Vec::new();
        if let Some(info) = info {
            for k in ["dependencies", "optionalDependencies", "peerDependencies"] {
                if let Some(m) = info.get(k).and_then(Value::as_object) {
                    deps.extend(m.keys().map(String::as_str));
                }
            }
        }
        entries.insert(path.as_str(), Entry { name, version, workspace, deps });
    }

    // Node-style resolution over install paths: `from/dep`, then each parent, then `dep`.
    let resolve = |from: &str, dep: &str| -> Option<&str> {
        let mut scope = from.to_owned();
        loop {
            let candidate = if scope.is_empty() { dep.to_owned() } else { format!("{scope}/{dep}") };
            if let Some((k, _)) = entries.get_key_value(candidate.as_str()) {
                return Some(*k);
            }
            if scope.is_empty() {
                return None;
            }
            scope = parent_path(&scope).to_owned();
        }
    };

    let mut direct: HashSet<&str> = HashSet::new();
    let mut queue: Vec<&str> = Vec::new();
    for (ws_path, ws) in workspaces {
        let from = if ws_path.is_empty() {
            ""
        } else {
            entries
                .iter()
                .find(|(_, e)| e.workspace && e.name == ws.get("name").and_then(Value::as_str).unwrap_or(""))
                .map_or("", |(k, _)| *k)
        };
        for (list, prod) in [
            ("dependencies", true),
            ("optionalDependencies", true),
            ("peerDependencies", true),
            ("devDependencies", false),
        ] {
            for dep in ws.get(list).and_then(Value::as_object).into_iter().flat_map(|m| m.keys()) {
                if let Some(k) = resolve(from, dep) {
                    direct.insert(k);
                    if prod {
                        queue.push(k);
                    }
                }
            }
        }
        // Workspace members are production code of the project.
        if !ws_path.is_empty() && !from.is_empty() {
            queue.push(from);
        }
    }
    let mut prod: HashSet<&str> = HashSet::new();
    while let Some(k) = queue.pop() {
        if !prod.insert(k) {
            continue;
        }
        if let Some(e) = entries.get(k) {
            for dep in &e.deps {
                if let Some(d) = resolve(k, dep)
                    && !prod.contains(d)
                {
                    queue.push(d);
                }
            }
        }
    }

    let mut out: Vec<Package> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (path, e) in &entries {
        let mut p = Package::new(Ecosystem::Npm, e.name, e.version.clone());
        p.evidence = Evidence::Lockfile;
        p.relationship = Some(if e.workspace {
            Relationship::Workspace
        } else if direct.contains(path) {
            Relationship::Direct
        } else {
            Relationship::Indirect
        });
        p.dev = !prod.contains(path);
        let mut deps: Vec<String> = e
            .deps
            .iter()
            .filter_map(|d| resolve(path, d))
            .filter_map(|k| entries.get(k))
            .map(|d| format!("{}@{}", d.name, d.version))
            .collect();
        deps.sort();
        deps.dedup();
        p.depends_on = deps;
        match seen.get(&p.key()).and_then(|&i| out.get_mut(i)) {
            Some(existing) => {
                existing.dev = existing.dev && p.dev;
                if p.relationship == Some(Relationship::Direct) {
                    existing.relationship = p.relationship;
                }
            }
            None => {
                seen.insert(p.key(), out.len());
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// `a/@s/b/c` → `a/@s/b`; `@s/b` → `""`.
fn parent_path(path: &str) -> &str {
    let Some(i) = path.rfind('/') else { return "" };
    let head = &path[..i];
    // A scoped name's `@scope/` belongs to the last segment.
    match head.rfind('/') {
        Some(j) if head[j + 1..].starts_with('@') => &head[..j],
        None if head.starts_with('@') => "",
        _ => head,
    }
}

/// JSONC to JSON: comments become spaces and trailing commas are dropped, keeping every
/// newline so JSON error positions stay true. One pass, linear.
fn jsonc_to_json(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        let c = b[i];
        if in_string {
            out.push(c);
            if c == b'\\' && i + 1 < b.len() {
                out.push(b[i + 1]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push(c);
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    out.push(b' ');
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                out.extend_from_slice(b"  ");
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
                if i < b.len() {
                    out.extend_from_slice(b"  ");
                    i += 2;
                }
            }
            b',' => {
                // Look past whitespace and comments for the next token. Each byte is
                // looked at by at most one comma's lookahead (the next comma stops it).
                let mut j = i + 1;
                loop {
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if b.get(j) == Some(&b'/') && b.get(j + 1) == Some(&b'/') {
                        while j < b.len() && b[j] != b'\n' {
                            j += 1;
                        }
                    } else if b.get(j) == Some(&b'/') && b.get(j + 1) == Some(&b'*') {
                        j += 2;
                        while j < b.len() && !(b[j] == b'*' && b.get(j + 1) == Some(&b'/')) {
                            j += 1;
                        }
                        j += 2;
                    } else {
                        break;
                    }
                }
                out.push(if matches!(b.get(j), Some(b'}' | b']')) { b' ' } else { b',' });
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were replaced, so the text stays UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc() {
        assert_eq!(jsonc_to_json("{\"a\": [1, 2,], // c\n}"), "{\"a\": [1, 2 ]      \n}");
        assert_eq!(jsonc_to_json("{\"a,\": \"//\"}"), "{\"a,\": \"//\"}");
    }

    #[test]
    fn parents() {
        assert_eq!(parent_path("bun-types/@types/node"), "bun-types");
        assert_eq!(parent_path("@types/node"), "");
        assert_eq!(parent_path("a/b"), "a");
    }
}
