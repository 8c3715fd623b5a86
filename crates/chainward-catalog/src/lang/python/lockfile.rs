//! What the Python lockfile parsers share: the error type, the parsed result, and the step
//! that turns a lockfile's entries into packages — entries listed twice (a package locked
//! once per extra, or once per environment) become one package, and dependency edges that
//! name a package by name (and sometimes version) become [`Package::depends_on`] keys.
//!
//! Every parser takes the file's bytes and returns packages with `Evidence::Lockfile`, the
//! name as the file writes it, and the relationship and dev flag where the format records
//! them. Nothing is executed or evaluated: environment markers are kept out of the decision
//! (a package locked for Windows only is still listed), as Trivy and Syft do.

use std::collections::{HashMap, HashSet};

use chainward_model::{Ecosystem, Evidence, Location, Package, Relationship};

use super::normalize_name;
use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// Lock files are read whole; a larger one is reported, not read. The largest real ones
/// (monorepos with thousands of packages) are a few MB.
pub const MAX_LOCKFILE: u64 = 64 << 20;

/// The Python lock file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockFormat {
    /// `poetry.lock`.
    Poetry,
    /// `Pipfile.lock`.
    Pipenv,
    /// `uv.lock`.
    Uv,
    /// `pdm.lock`.
    Pdm,
    /// `pylock.toml` and `pylock.NAME.toml` (PEP 751).
    Pylock,
}

impl LockFormat {
    /// The format a path names by its file name, if any.
    pub fn of_path(path: &str) -> Option<Self> {
        let file = path.rsplit('/').next().unwrap_or(path);
        match file {
            "poetry.lock" => Some(Self::Poetry),
            "Pipfile.lock" => Some(Self::Pipenv),
            "uv.lock" => Some(Self::Uv),
            "pdm.lock" => Some(Self::Pdm),
            "pylock.toml" => Some(Self::Pylock),
            // PEP 751 "File Name": `pylock.NAME.toml`, NAME without dots.
            _ => file
                .strip_prefix("pylock.")
                .and_then(|r| r.strip_suffix(".toml"))
                .filter(|name| !name.is_empty() && !name.contains('.'))
                .map(|_| Self::Pylock),
        }
    }

    /// The short name warnings carry.
    pub fn name(self) -> &'static str {
        match self {
            Self::Poetry => "poetry",
            Self::Pipenv => "pipenv",
            Self::Uv => "uv",
            Self::Pdm => "pdm",
            Self::Pylock => "pylock",
        }
    }

    /// Parses a file of this format.
    pub fn parse(self, bytes: &[u8]) -> Result<Parsed, LockfileError> {
        match self {
            Self::Poetry => super::poetry::parse(bytes),
            Self::Pipenv => super::pipenv::parse(bytes),
            Self::Uv => super::uv::parse(bytes),
            Self::Pdm => super::pdm::parse(bytes),
            Self::Pylock => super::pylock::parse(bytes),
        }
    }
}

/// Python lock files: `poetry.lock`, `Pipfile.lock`, `uv.lock`, `pdm.lock`, `pylock.toml`.
pub struct PythonLockfileCataloger;

impl Cataloger for PythonLockfileCataloger {
    fn name(&self) -> &'static str {
        "python-lockfile"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_LOCKFILE && LockFormat::of_path(path).is_some()
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for (path, node) in ctx.files() {
            let Some(format) = LockFormat::of_path(path) else { continue };
            if node.kind != chainward_image::NodeKind::File {
                continue;
            }
            let warn = |message: String| Warning { cataloger: format.name(), path: format!("/{path}"), message };
            if node.size > MAX_LOCKFILE {
                out.warnings.push(warn(format!(
                    "{} bytes is over the {MAX_LOCKFILE}-byte lock file bound; not read",
                    node.size
                )));
                continue;
            }
            let bytes = match ctx.tree.read(path) {
                Ok(b) => b,
                Err(e) => {
                    out.warnings.push(warn(e.to_string()));
                    continue;
                }
            };
            match format.parse(&bytes) {
                Ok(parsed) => {
                    out.warnings.extend(parsed.notes.into_iter().map(&warn));
                    let location =
                        Location { path: format!("/{path}"), layer: ctx.layer_digest(ctx.tree.layer_of(path)) };
                    for mut p in parsed.packages {
                        p.locations.push(location.clone());
                        out.packages.push(p);
                    }
                }
                Err(e) => out.warnings.push(warn(e.to_string())),
            }
        }
        out
    }
}

/// An edge that names no version resolves to every locked version of that name only when
/// there are at most this many (one per environment, in practice); more is a hostile file,
/// and resolving each edge to all of them would be quadratic.
pub(crate) const MAX_AMBIGUOUS_EDGE: usize = 16;

/// At most this many notes about skipped entries are kept per file, plus one counting the rest.
pub const MAX_NOTES: usize = 50;

/// Why a lockfile could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    /// The file is not UTF-8 (the formats are TOML or JSON, both UTF-8 only).
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The offset of the first invalid byte.
        offset: usize,
    },
    /// TOML syntax error, or a field of the wrong type.
    #[error("invalid TOML{}: {message}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    Toml {
        /// The 1-based line of the problem, when known.
        line: Option<usize>,
        /// What the TOML reader says.
        message: String,
    },
    /// JSON syntax error, or a field of the wrong type.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// The 1-based line.
        line: usize,
        /// The 1-based column.
        column: usize,
        /// What the JSON reader says.
        message: String,
    },
}

/// The packages of one lockfile, and entries that were skipped with the reason.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The packages, in the file's order (first occurrence).
    pub packages: Vec<Package>,
    /// Entries not read (no name, no version), each with where it is; at most
    /// [`MAX_NOTES`] plus one counting the rest.
    pub notes: Vec<String>,
}

/// The file as text: UTF-8, an optional byte-order mark dropped.
pub(crate) fn text(bytes: &[u8]) -> Result<&str, LockfileError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| LockfileError::NotUtf8 { offset: e.valid_up_to() })
}

/// Deserializes TOML, reporting the line of a problem (the `toml` crate bounds nesting);
/// `first_line` is the line `text` starts at in its file.
fn from_toml_at<T: serde::de::DeserializeOwned>(text: &str, first_line: usize) -> Result<T, LockfileError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + first_line);
        LockfileError::Toml { line, message: e.message().trim().to_owned() }
    })
}

/// Deserializes a whole TOML document.
#[cfg(test)]
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, LockfileError> {
    from_toml_at(text, 1)
}

/// Whether a line is the top-level array-of-tables header `[[NAME]]` (spaces and a comment
/// allowed, as TOML allows them).
fn is_header(line: &str, name: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix("[[") else { return false };
    let Some((inner, after)) = rest.split_once("]]") else { return false };
    let after = after.trim_start();
    inner.trim() == name && (after.is_empty() || after.starts_with('#'))
}

/// Deserializes a lock file that is an array of `[[NAME]]` tables one table at a time, and
/// hands each piece to `each` (which keeps only what it needs).
///
/// The `toml` crate builds a spanned document tree of about 50 times the input's size before
/// deserializing (a 10 MB lock file peaks at 500 MB); read in pieces, the peak is that of the
/// largest table. Each piece starts at a `[[NAME]]` header line and runs to the next, so it
/// holds the table with its sub-tables (`[NAME.dependencies]`, `[[NAME.wheels]]`) and is a
/// TOML document of its own; the first piece holds what precedes the first table. A header
/// line inside a multi-line string (no lock file writer puts one there) splits the string,
/// and the piece is then reported as invalid TOML at its line.
pub(crate) fn read_toml_tables<T: serde::de::DeserializeOwned>(
    text: &str,
    name: &str,
    mut each: impl FnMut(T),
) -> Result<(), LockfileError> {
    let (mut start, mut start_line, mut line_no, mut offset) = (0, 1, 1, 0);
    for line in text.split_inclusive('\n') {
        if offset > start && is_header(line, name) {
            each(from_toml_at(text.get(start..offset).unwrap_or_default(), start_line)?);
            (start, start_line) = (offset, line_no);
        }
        offset += line.len();
        line_no += 1;
    }
    each(from_toml_at(text.get(start..).unwrap_or_default(), start_line)?);
    Ok(())
}

/// Deserializes JSON, reporting line and column (`serde_json` bounds nesting at 128).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, LockfileError> {
    serde_json::from_str(text).map_err(|e| LockfileError::Json {
        line: e.line(),
        column: e.column(),
        message: {
            // serde_json appends " at line L column C" to its message; it is in the fields.
            let full = e.to_string();
            match full.rfind(" at line ") {
                Some(i) => full[..i].to_owned(),
                None => full,
            }
        },
    })
}

/// A dependency edge as a lockfile writes it: the name (any spelling) and, in some formats,
/// the exact version meant.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    /// Versions a range or pin could be (poetry's `"==1.2"` or `"1.2"`): used only to choose
    /// among several locked versions of the same name.
    pub(crate) hint: Vec<String>,
}

impl Edge {
    pub(crate) fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), version: None, hint: Vec::new() }
    }
}

/// One lockfile entry before entries of the same package are merged.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) dev: bool,
    pub(crate) relationship: Option<Relationship>,
    pub(crate) edges: Vec<Edge>,
}

impl Entry {
    pub(crate) fn new(name: String, version: String) -> Self {
        Self { name, version, dev: false, relationship: None, edges: Vec::new() }
    }
}

/// Finds locked packages by normalised name (and version).
pub(crate) struct LockIndex {
    by_name: HashMap<String, Vec<usize>>,
    by_name_version: HashMap<(String, String), usize>,
}

impl LockIndex {
    /// Indexes `(name, version)` pairs by their position.
    pub(crate) fn new<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_name_version = HashMap::new();
        for (i, (name, version)) in items.enumerate() {
            let n = normalize_name(name);
            by_name_version.entry((n.clone(), version.to_owned())).or_insert(i);
            by_name.entry(n).or_default().push(i);
        }
        Self { by_name, by_name_version }
    }

    /// The positions an edge may mean: the exact version if it names one; else the one
    /// locked version, or those the hint picks, or all of them (at most
    /// [`MAX_AMBIGUOUS_EDGE`]): a package locked once per environment is needed by whoever
    /// depends on it in each of them.
    pub(crate) fn resolve(&self, edge: &Edge, version_of: impl Fn(usize) -> String) -> Vec<usize> {
        let name = normalize_name(&edge.name);
        if let Some(v) = &edge.version {
            return self.by_name_version.get(&(name, v.clone())).copied().into_iter().collect();
        }
        let Some(all) = self.by_name.get(&name) else { return Vec::new() };
        if all.len() <= 1 {
            return all.clone();
        }
        if !edge.hint.is_empty() {
            let picked: Vec<usize> = edge
                .hint
                .iter()
                .filter_map(|h| self.by_name_version.get(&(name.clone(), h.clone())).copied())
                .collect();
            if !picked.is_empty() {
                return picked;
            }
        }
        if all.len() > MAX_AMBIGUOUS_EDGE {
            return Vec::new();
        }
        // Several entries may be one package (same version listed per extra): one each.
        let mut seen = HashSet::new();
        all.iter().copied().filter(|&i| seen.insert(version_of(i))).collect()
    }
}

fn rank(r: Option<Relationship>) -> u8 {
    match r {
        Some(Relationship::Root) => 0,
        Some(Relationship::Workspace) => 1,
        Some(Relationship::Direct) => 2,
        Some(Relationship::Indirect) => 3,
        None => 4,
    }
}

/// Merges entries of the same package (normalised name and version) — a package is dev only
/// if every entry says so, and keeps its closest relationship — and resolves edges to the
/// `name@version` keys of packages of the same file, sorted, without self-edges or repeats.
pub(crate) fn finish(entries: Vec<Entry>, mut notes: Notes) -> Parsed {
    let mut packages: Vec<Package> = Vec::new();
    let mut edges: Vec<Vec<Edge>> = Vec::new();
    let mut at: HashMap<(String, String), usize> = HashMap::new();
    for e in entries {
        if e.name.trim().is_empty() || e.version.trim().is_empty() {
            notes.push(format!("an entry with an empty name or version ({}); skipped", shorten(&e.name)));
            continue;
        }
        let key = (normalize_name(&e.name), e.version.clone());
        if let Some(&i) = at.get(&key) {
            if let Some(p) = packages.get_mut(i) {
                p.dev &= e.dev;
                if rank(e.relationship) < rank(p.relationship) {
                    p.relationship = e.relationship;
                }
            }
            if let Some(list) = edges.get_mut(i) {
                list.extend(e.edges);
            }
            continue;
        }
        at.insert(key, packages.len());
        let mut p = Package::new(Ecosystem::Python, e.name, e.version);
        p.evidence = Evidence::Lockfile;
        p.dev = e.dev;
        p.relationship = e.relationship;
        packages.push(p);
        edges.push(e.edges);
    }
    let index = LockIndex::new(packages.iter().map(|p| (p.name.as_str(), p.version.as_str())));
    let version_of = |k: usize| packages.get(k).map(|p| p.version.clone()).unwrap_or_default();
    let depends_on: Vec<Vec<String>> = edges
        .into_iter()
        .enumerate()
        .map(|(i, list)| {
            let mut seen = HashSet::new();
            let mut keys: Vec<String> = list
                .iter()
                .flat_map(|edge| index.resolve(edge, version_of))
                .filter(|&j| j != i && seen.insert(j))
                .filter_map(|j| packages.get(j).map(Package::key))
                .collect();
            keys.sort();
            keys
        })
        .collect();
    drop(index);
    for (p, keys) in packages.iter_mut().zip(depends_on) {
        p.depends_on = keys;
    }
    Parsed { packages, notes: notes.into_vec() }
}

/// A name from the file as a note shows it: quoted, at most 80 characters.
pub(crate) fn shorten(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{:?}…", s.get(..i).unwrap_or_default()),
        None => format!("{s:?}"),
    }
}

/// Collects notes about skipped entries, at most [`MAX_NOTES`] plus one counting the rest.
#[derive(Default)]
pub(crate) struct Notes {
    notes: Vec<String>,
    dropped: usize,
}

impl Notes {
    pub(crate) fn push(&mut self, note: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(note);
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn into_vec(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.notes.push(format!("{} more entries skipped", self.dropped));
        }
        self.notes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(name: &str, version: &str, deps: &[&str]) -> Entry {
        let mut e = Entry::new(name.into(), version.into());
        e.edges = deps.iter().map(|d| Edge::named(*d)).collect();
        e
    }

    #[test]
    fn file_names() {
        assert_eq!(LockFormat::of_path("app/poetry.lock"), Some(LockFormat::Poetry));
        assert_eq!(LockFormat::of_path("Pipfile.lock"), Some(LockFormat::Pipenv));
        assert_eq!(LockFormat::of_path("srv/uv.lock"), Some(LockFormat::Uv));
        assert_eq!(LockFormat::of_path("srv/pdm.lock"), Some(LockFormat::Pdm));
        assert_eq!(LockFormat::of_path("srv/pylock.toml"), Some(LockFormat::Pylock));
        assert_eq!(LockFormat::of_path("srv/pylock.dev.toml"), Some(LockFormat::Pylock));
        assert_eq!(LockFormat::of_path("srv/pylock.a.b.toml"), None);
        assert_eq!(LockFormat::of_path("srv/pylock..toml"), None);
        assert_eq!(LockFormat::of_path("srv/my-poetry.lock"), None);
        assert!(!PythonLockfileCataloger.wants("uv.lock", MAX_LOCKFILE + 1));
    }

    #[test]
    fn merges_repeats_and_resolves_edges_by_normalised_name() {
        let mut a = entry("Requests", "2.0", &["URLLIB3", "requests", "missing"]);
        a.dev = true;
        let mut b = entry("requests", "2.0", &["urllib3"]);
        b.relationship = Some(Relationship::Direct);
        let parsed = finish(vec![a, b, entry("urllib3", "1.26", &[])], Notes::default());
        let p = &parsed.packages;
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "Requests");
        assert!(!p[0].dev, "dev only when every entry is dev");
        assert_eq!(p[0].relationship, Some(Relationship::Direct));
        assert_eq!(p[0].depends_on, ["urllib3@1.26"]);
        assert_eq!(p[0].evidence, Evidence::Lockfile);
    }

    #[test]
    fn ambiguous_edges_use_the_version_then_the_hint_then_all() {
        let mut exact = Edge::named("spam");
        exact.version = Some("1.1".into());
        let mut hinted = Edge::named("spam");
        hinted.hint = vec!["1.0".into()];
        let mut e = entry("ham", "1", &[]);
        e.edges = vec![exact];
        let mut f = entry("eggs", "1", &[]);
        f.edges = vec![hinted];
        let g = entry("bacon", "1", &["spam"]);
        let parsed = finish(vec![e, f, g, entry("spam", "1.0", &[]), entry("spam", "1.1", &[])], Notes::default());
        assert_eq!(parsed.packages[0].depends_on, ["spam@1.1"]);
        assert_eq!(parsed.packages[1].depends_on, ["spam@1.0"]);
        assert_eq!(parsed.packages[2].depends_on, ["spam@1.0", "spam@1.1"]);
    }

    #[test]
    fn too_many_versions_of_one_name_are_not_guessed() {
        let mut entries = vec![entry("root", "1", &["a"])];
        for v in 0..=MAX_AMBIGUOUS_EDGE {
            entries.push(entry("a", &v.to_string(), &[]));
        }
        assert!(finish(entries, Notes::default()).packages[0].depends_on.is_empty());
    }

    #[test]
    fn tables_are_read_one_at_a_time_with_file_lines() {
        #[derive(Debug, serde::Deserialize)]
        struct Doc {
            #[serde(default)]
            package: Vec<toml::Table>,
            meta: Option<toml::Table>,
        }
        let text =
            "meta = { a = 1 }\n[[package]]\nname = \"a\"\n[package.deps]\nb = 1\n  [[ package ]] # c\nname = \"b\"\n";
        let mut docs: Vec<Doc> = Vec::new();
        read_toml_tables(text, "package", |d| docs.push(d)).unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[0].meta.is_some() && docs[0].package.is_empty());
        assert_eq!(docs[1].package[0]["deps"]["b"].as_integer(), Some(1));
        assert_eq!(docs[2].package[0]["name"].as_str(), Some("b"));
        let e = read_toml_tables("[[package]]\nname = 1\n[[package]]\nname = [\n", "package", |_: Doc| ()).unwrap_err();
        assert!(matches!(e, LockfileError::Toml { line: Some(4 | 5), .. }), "{e}");
        assert!(!is_header("[[packages]]", "package"));
        assert!(!is_header("[[package]] x", "package"));
    }

    #[test]
    fn errors_name_the_line() {
        let e = from_toml::<toml::Table>("a = 1\nb = [\n").unwrap_err();
        assert!(matches!(e, LockfileError::Toml { line: Some(2 | 3), .. }), "{e}");
        let e = from_json::<serde_json::Value>("{\n  \"a\": ,\n}").unwrap_err();
        assert!(matches!(e, LockfileError::Json { line: 2, .. }), "{e}");
        assert!(!e.to_string().contains(" at line 2 column"), "{e}");
        assert!(matches!(text(b"ok\xff"), Err(LockfileError::NotUtf8 { offset: 2 })));
        assert_eq!(text(b"\xef\xbb\xbfx").unwrap(), "x");
    }
}
