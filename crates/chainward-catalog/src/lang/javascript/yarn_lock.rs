//! `yarn.lock`, classic (v1) and berry (v2+), read line by line.
//!
//! Both formats are a list of entries at column 0 — one or more descriptors (`name@range`,
//! comma-separated, possibly quoted) ending in `:` — whose fields are indented: v1 writes
//! `version "1.2.3"`, berry writes YAML (`version: 1.2.3`). Dependency blocks are one level
//! deeper. This reader handles both without a YAML parser (berry lockfiles use only this
//! subset), so it is linear and never expands anything.
//!
//! Which entries are packages: `npm:` (or no protocol), git and tarball URLs, `patch:` (the
//! patched code is what is installed) and `file:` tarballs. `workspace:.` is the project
//! itself (reported from its package.json); other `workspace:` entries are workspace
//! members. `link:`, `portal:` and `exec:` point at folders or scripts outside the lockfile's
//! knowledge, and an unknown protocol is not something yarn could have installed: skipped.
//! yarn.lock records neither dev nor direct dependencies, so those stay unknown.

use std::collections::HashMap;

use chainward_model::{Ecosystem, Evidence, Package, Relationship};

use super::JsError;

/// One entry as read.
#[derive(Default)]
struct Entry {
    descriptors: Vec<String>,
    version: Option<String>,
    resolved: Option<String>,
    resolution: Option<String>,
    dependencies: Vec<(String, String)>,
}

/// Parses a yarn.lock; the packages carry lockfile evidence and no location.
pub fn parse(bytes: &[u8]) -> Result<Vec<Package>, JsError> {
    let text = super::utf8(bytes)?;
    let entries = read_entries(text)?;

    // descriptor (`name@range`) → package key, for `depends_on`.
    let mut by_descriptor: HashMap<String, String> = HashMap::new();
    let mut out: Vec<Package> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<(usize, &Entry)> = Vec::new();
    for entry in &entries {
        let Some(first) = entry.descriptors.first() else { continue };
        let Some((key_name, range)) = split_descriptor(first) else { continue };
        let Some(version) = entry.version.as_deref().filter(|v| !v.is_empty()) else { continue };
        let relationship = match protocol(range) {
            None
            | Some("npm" | "patch" | "file" | "http" | "https" | "git" | "github" | "git+ssh")
            | Some("git+https" | "git+http" | "git+file") => None,
            Some("workspace") => {
                if range == "workspace:." {
                    continue;
                }
                Some(Relationship::Workspace)
            }
            Some(_) => continue,
        };
        let name = real_name(key_name, entry);
        let pkg_key = format!("{name}@{version}");
        for d in &entry.descriptors {
            by_descriptor.insert(d.clone(), pkg_key.clone());
        }
        let i = match index.get(&pkg_key) {
            Some(&i) => i,
            None => {
                let mut p = Package::new(Ecosystem::Npm, name, version);
                p.evidence = Evidence::Lockfile;
                p.relationship = relationship;
                index.insert(pkg_key, out.len());
                out.push(p);
                out.len() - 1
            }
        };
        kept.push((i, entry));
    }
    for (i, entry) in kept {
        for (dep, range) in &entry.dependencies {
            let found = by_descriptor
                .get(&format!("{dep}@{range}"))
                .or_else(|| by_descriptor.get(&format!("{dep}@npm:{range}")));
            if let (Some(key), Some(p)) = (found, out.get_mut(i))
                && !p.depends_on.contains(key)
            {
                p.depends_on.push(key.clone());
            }
        }
    }
    Ok(out)
}

/// `name@range` → (`name`, `range`); a scoped name's own `@` is skipped.
fn split_descriptor(d: &str) -> Option<(&str, &str)> {
    let at = d.get(1..)?.find('@')? + 1;
    Some((&d[..at], &d[at + 1..]))
}

/// The protocol of a range (`npm:^1`, `workspace:.`, `https://…`), if it has one.
fn protocol(range: &str) -> Option<&str> {
    let (p, _) = range.split_once(':')?;
    (!p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'+')).then_some(p)
}

/// The registry name of the code: berry's `resolution` (an alias `a@npm:b@1` resolves to
/// `b@npm:1.0.0`), or v1's registry tarball URL (`…/@scope/name/-/name-1.0.0.tgz`), which
/// names an aliased package where the key does not (Syft reads it the same way).
fn real_name<'a>(key_name: &'a str, entry: &'a Entry) -> &'a str {
    if let Some(res) = entry.resolution.as_deref()
        && let Some((name, range)) = split_descriptor(res)
        && range.starts_with("npm:")
    {
        return name;
    }
    if let Some(url) = entry.resolved.as_deref()
        && let Some((before, _)) = url.split_once("/-/")
        && let Some(rest) = before.split_once("://").map(|(_, r)| r)
        && let Some((_, path)) = rest.split_once('/')
    {
        let path = path.trim_end_matches('/');
        let valid = |s: &str| !s.is_empty() && !s.contains(['/', ':', '#', '?']);
        let name_ok = match path.split_once('/') {
            Some((scope, n)) => scope.starts_with('@') && valid(&scope[1..]) && valid(n),
            None => valid(path),
        };
        if name_ok && path != key_name {
            return path;
        }
    }
    key_name
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => match s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            Some(inner) => inner.replace("''", "'"),
            None => s.to_owned(),
        },
    }
}

/// Splits `key value`, `key: value` or `"key": value` into key and unquoted value.
fn field(line: &str) -> (String, String) {
    let line = line.trim();
    let (key, rest) = if let Some(inner) = line.strip_prefix('"') {
        match inner.find('"') {
            Some(end) => (inner[..end].to_owned(), &inner[end + 1..]),
            None => (inner.to_owned(), ""),
        }
    } else {
        let end = line.find([' ', ':']).unwrap_or(line.len());
        (line[..end].to_owned(), &line[end..])
    };
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    (key, unquote(rest))
}

fn read_entries(text: &str) -> Result<Vec<Entry>, JsError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut current: Option<Entry> = None;
    // The indented block being read: `None` (fields), or a dependency block.
    let mut block: Option<bool> = None;
    let mut block_indent = 0usize;
    let mut field_indent: Option<usize> = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim_end();
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if indent == 0 {
            let Some(head) = content.strip_suffix(':') else {
                return Err(JsError::Line { line: line_no, message: "expected an entry (`descriptor:`) at column 0" });
            };
            entries.extend(current.take());
            block = None;
            field_indent = None;
            if head == "__metadata" {
                continue;
            }
            let descriptors: Vec<String> = head.split(", ").map(unquote).filter(|d| !d.is_empty()).collect();
            current = Some(Entry { descriptors, ..Entry::default() });
            continue;
        }
        let Some(entry) = current.as_mut() else { continue };
        let fi = *field_indent.get_or_insert(indent);
        if indent <= fi {
            block = None;
            let (key, value) = field(content);
            if value.is_empty() && content.ends_with(':') {
                block = Some(matches!(key.as_str(), "dependencies" | "optionalDependencies"));
                block_indent = 0;
                continue;
            }
            match key.as_str() {
                "version" => entry.version = Some(value),
                "resolved" => entry.resolved = Some(value),
                "resolution" => entry.resolution = Some(value),
                _ => {}
            }
        } else if let Some(is_deps) = block {
            // Only the first level of a block; deeper lines (dependenciesMeta's flags) are
            // not dependencies.
            if block_indent == 0 {
                block_indent = indent;
            }
            if is_deps && indent == block_indent {
                let (dep, range) = field(content);
                if !dep.is_empty() {
                    entry.dependencies.push((dep, range));
                }
            }
        }
    }
    entries.extend(current);
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_entries_and_dependencies() {
        let lock = "# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.10.4\"\n  dependencies:\n    \"@babel/highlight\" \"^7.10.4\"\n\n\"@babel/highlight@^7.10.4\":\n  version \"7.10.4\"\n";
        let got = parse(lock.as_bytes()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].key(), "@babel/code-frame@7.10.4");
        assert_eq!(got[0].depends_on, ["@babel/highlight@7.10.4"]);
    }

    #[test]
    fn berry_alias_and_workspaces() {
        let lock = "__metadata:\n  version: 8\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  dependencies:\n    foo: \"npm:bar@^1\"\n\n\"foo@npm:bar@^1\":\n  version: 1.2.0\n  resolution: \"bar@npm:1.2.0\"\n  dependenciesMeta:\n    x:\n      optional: true\n\n\"lib@workspace:packages/lib\":\n  version: 0.1.0\n  resolution: \"lib@workspace:packages/lib\"\n\n\"asap@unsupported:~2\":\n  version: 2.0.6\n";
        let got = parse(lock.as_bytes()).unwrap();
        let keys: Vec<(String, Option<Relationship>)> = got.iter().map(|p| (p.key(), p.relationship)).collect();
        assert_eq!(keys, [("bar@1.2.0".into(), None), ("lib@0.1.0".into(), Some(Relationship::Workspace))]);
    }

    #[test]
    fn bad_lines() {
        assert!(matches!(parse(b"not an entry\n"), Err(JsError::Line { line: 1, .. })));
        assert!(parse(b"\xff\xfe").is_err());
    }
}
