//! `uv.lock`: `[[package]]` tables with `name`, `version`, `source`, and edges as
//! `{ name, version?, extra? }` tables in `dependencies`, `optional-dependencies.EXTRA` and
//! `dev-dependencies.GROUP`.
//!
//! The project is the package whose source is `{ editable = "." }` or `{ virtual = "." }`
//! (uv's `Source::is_root`, as Trivy reads it); other `[manifest] members` are workspace
//! members. Their edges are the direct dependencies; everything else is indirect.
//! A package is dev when only the dev groups of the project and members reach it: the
//! production walk follows `dependencies`, the project's own extras, and the extras each
//! edge asks for (`{ name = "httpx", extra = ["socks"] }` brings in httpx's `socks` extra).
//! Without a root the file does not say, and relationships and dev flags are left unknown.

use std::collections::{BTreeMap, HashSet};

use chainward_model::Relationship;

use super::lockfile::{Edge, Entry, LockIndex, LockfileError, Notes, Parsed, finish, read_toml_tables, text};

#[derive(serde::Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedPackage>,
    #[serde(default)]
    manifest: Manifest,
}

#[derive(serde::Deserialize, Default)]
struct Manifest {
    #[serde(default)]
    members: Vec<String>,
}

#[derive(serde::Deserialize)]
struct LockedPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    source: Source,
    #[serde(default)]
    dependencies: Vec<Dependency>,
    #[serde(default, rename = "optional-dependencies")]
    optional: BTreeMap<String, Vec<Dependency>>,
    #[serde(default, rename = "dev-dependencies")]
    dev: BTreeMap<String, Vec<Dependency>>,
}

/// The kinds of source that matter here (a registry or URL source is none of them). A
/// typed struct, not a table: a `toml::Table` costs hundreds of bytes per package.
#[derive(serde::Deserialize, Default)]
struct Source {
    editable: Option<String>,
    #[serde(rename = "virtual")]
    virtual_: Option<String>,
    directory: Option<String>,
    path: Option<String>,
}

#[derive(serde::Deserialize)]
struct Dependency {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    extra: Vec<String>,
}

impl LockedPackage {
    fn is_root(&self) -> bool {
        self.source.editable.as_deref() == Some(".") || self.source.virtual_.as_deref() == Some(".")
    }

    /// A local project (editable, virtual, directory or path source) may have no version
    /// (a dynamic one): that is not a malformed entry.
    fn is_local(&self) -> bool {
        let s = &self.source;
        s.editable.is_some() || s.virtual_.is_some() || s.directory.is_some() || s.path.is_some()
    }
}

fn as_edge(d: &Dependency) -> Option<Edge> {
    let mut e = Edge::named(d.name.clone()?);
    e.version = d.version.clone();
    Some(e)
}

/// Walks from `start` (package, extra) nodes; returns the packages reached. Iterative, each
/// (package, extra) node once: bounded by the file's size.
fn walk(lock: &[LockedPackage], index: &LockIndex, start: Vec<(usize, Option<String>)>) -> HashSet<usize> {
    let version_of = |i: usize| lock.get(i).and_then(|p| p.version.clone()).unwrap_or_default();
    let mut seen: HashSet<(usize, Option<String>)> = HashSet::new();
    let mut reached = HashSet::new();
    let mut stack = start;
    while let Some(node) = stack.pop() {
        if !seen.insert(node.clone()) {
            continue;
        }
        let (i, extra) = node;
        reached.insert(i);
        let Some(p) = lock.get(i) else { continue };
        let deps = match &extra {
            None => Some(&p.dependencies),
            Some(x) => p.optional.get(x),
        };
        for d in deps.into_iter().flatten() {
            let Some(edge) = as_edge(d) else { continue };
            for j in index.resolve(&edge, version_of) {
                stack.push((j, None));
                stack.extend(d.extra.iter().map(|x| (j, Some(x.clone()))));
            }
        }
    }
    reached
}

/// Reads a `uv.lock`.
pub fn parse(bytes: &[u8]) -> Result<Parsed, LockfileError> {
    let mut packages = Vec::new();
    let mut members = HashSet::new();
    read_toml_tables(text(bytes)?, "package", |piece: Lock| {
        packages.extend(piece.package);
        members.extend(piece.manifest.members.iter().map(|m| super::normalize_name(m)));
    })?;
    let index = LockIndex::new(
        packages.iter().map(|p| (p.name.as_deref().unwrap_or_default(), p.version.as_deref().unwrap_or_default())),
    );
    let version_of = |i: usize| packages.get(i).and_then(|p| p.version.clone()).unwrap_or_default();
    let root = packages.iter().position(LockedPackage::is_root);
    let is_member = |p: &LockedPackage| p.name.as_deref().is_some_and(|n| members.contains(&super::normalize_name(n)));
    let projects: Vec<usize> =
        (0..packages.len()).filter(|&i| Some(i) == root || packages.get(i).is_some_and(is_member)).collect();
    let is_project: HashSet<usize> = projects.iter().copied().collect();

    // The projects' edges: production (dependencies and every extra), and dev groups.
    let mut prod_start = Vec::new();
    let mut dev_start = Vec::new();
    let mut direct = HashSet::new();
    for &i in &projects {
        let Some(p) = packages.get(i) else { continue };
        prod_start.push((i, None));
        prod_start.extend(p.optional.keys().map(|x| (i, Some(x.clone()))));
        let all = p.dependencies.iter().chain(p.optional.values().flatten()).chain(p.dev.values().flatten());
        for d in all {
            direct.extend(as_edge(d).map(|e| index.resolve(&e, version_of)).unwrap_or_default());
        }
        for d in p.dev.values().flatten() {
            let Some(edge) = as_edge(d) else { continue };
            for j in index.resolve(&edge, version_of) {
                dev_start.push((j, None));
                dev_start.extend(d.extra.iter().map(|x| (j, Some(x.clone()))));
            }
        }
    }
    let prod = walk(&packages, &index, prod_start);
    let dev = walk(&packages, &index, dev_start);

    drop(index);

    let mut notes = Notes::default();
    let mut entries = Vec::with_capacity(packages.len());
    for (i, p) in packages.into_iter().enumerate() {
        let local = p.is_local();
        let nameless = p.name.is_none();
        let (Some(name), Some(version)) = (p.name, p.version) else {
            if nameless || !local {
                notes.push(format!("[[package]] {}: no name or no version; skipped", i + 1));
            }
            continue;
        };
        let mut e = Entry::new(name, version);
        if root.is_some() {
            e.relationship = Some(if Some(i) == root {
                Relationship::Root
            } else if is_project.contains(&i) {
                Relationship::Workspace
            } else if direct.contains(&i) {
                Relationship::Direct
            } else {
                Relationship::Indirect
            });
            e.dev = dev.contains(&i) && !prod.contains(&i);
        }
        e.edges = p.dependencies.iter().chain(p.optional.values().flatten()).filter_map(as_edge).collect();
        // The project's dev groups are its edges too (Trivy lists them as dependencies).
        if is_project.contains(&i) {
            e.edges.extend(p.dev.values().flatten().filter_map(as_edge));
        }
        entries.push(e);
    }
    Ok(finish(entries, notes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const WORKSPACE: &[u8] = br#"
version = 1
[manifest]
members = ["app", "Lib_A"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "lib-a" }, { name = "httpx", extra = ["socks"] }]
[package.dev-dependencies]
test = [{ name = "pytest" }]

[[package]]
name = "lib-a"
version = "0.2.0"
source = { editable = "packages/lib-a" }
dependencies = [{ name = "attrs", version = "24.1.0" }]

[[package]]
name = "attrs"
version = "24.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "attrs"
version = "23.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "httpx"
version = "0.28.1"
source = { registry = "https://pypi.org/simple" }
[package.optional-dependencies]
socks = [{ name = "socksio" }]

[[package]]
name = "socksio"
version = "1.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.4"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "attrs", version = "23.1.0" }]

[[package]]
name = "dynamic"
source = { directory = "vendor/dynamic" }
"#;

    #[test]
    fn workspace_members_extras_and_dev_groups() {
        let parsed = parse(WORKSPACE).unwrap();
        assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
        let got: Vec<(&str, &str, Option<Relationship>, bool)> =
            parsed.packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.relationship, p.dev)).collect();
        use Relationship::*;
        assert_eq!(
            got,
            [
                ("app", "0.1.0", Some(Root), false),
                ("lib-a", "0.2.0", Some(Workspace), false),
                // A direct dependency of the workspace member.
                ("attrs", "24.1.0", Some(Direct), false),
                ("attrs", "23.1.0", Some(Indirect), true),
                ("httpx", "0.28.1", Some(Direct), false),
                ("socksio", "1.0.0", Some(Indirect), false),
                ("pytest", "8.3.4", Some(Direct), true),
            ]
        );
        assert_eq!(parsed.packages[0].depends_on, ["httpx@0.28.1", "lib-a@0.2.0", "pytest@8.3.4"]);
        assert_eq!(parsed.packages[1].depends_on, ["attrs@24.1.0"]);
        assert_eq!(parsed.packages[4].depends_on, ["socksio@1.0.0"]);
    }

    #[test]
    fn without_a_root_nothing_is_claimed() {
        let parsed = parse(b"[[package]]\nname = \"a\"\nversion = \"1\"\n").unwrap();
        assert_eq!(parsed.packages[0].relationship, None);
        assert!(!parsed.packages[0].dev);
    }

    #[test]
    fn dependency_cycles_end() {
        let lock = br#"
[[package]]
name = "r"
version = "1"
source = { virtual = "." }
dependencies = [{ name = "a" }]
[[package]]
name = "a"
version = "1"
dependencies = [{ name = "b" }]
[[package]]
name = "b"
version = "1"
dependencies = [{ name = "a" }, { name = "r" }]
"#;
        let parsed = parse(lock).unwrap();
        assert_eq!(parsed.packages[2].depends_on, ["a@1", "r@1"]);
    }
}
