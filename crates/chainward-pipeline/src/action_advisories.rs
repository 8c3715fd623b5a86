//! Advisories of the `GitHub Actions` OSV ecosystem, read for the `known-compromised-action`
//! audit: which `uses:` references name a compromised or vulnerable action.
//!
//! Records are OSV JSON (<https://ossf.github.io/osv-schema/>). Only `affected[]` entries whose
//! `package.ecosystem` is `GitHub Actions` are read; `package.name` is `owner/repo` (compared
//! case-insensitively, as GitHub compares them). What is read from such an entry:
//! - `ranges[]` of type `ECOSYSTEM` or `SEMVER`: `introduced`/`fixed`/`last_affected` events
//!   over tag versions, with or without a leading `v` ([`tag`] has the comparison);
//! - `versions[]`: exact versions;
//! - `ranges[]` of type `GIT`: the commits named by `introduced`/`last_affected` events (a
//!   pin to one of them is affected; offline, nothing else about the commit graph is known);
//! - `database_specific.chainward`, our own field, because OSV has no standard one for what a
//!   compromise (rather than a vulnerability) leaves behind:
//!   ```json
//!   "database_specific": { "chainward": {
//!     "malicious_commits": ["0e58ed8671d6b60d0890c21b07f8835ace038e67"],
//!     "repointed_tags": [ {"from": "v1", "through": "v45.0.7"}, "main" ],
//!     "window": "2025-03-14 .. 2025-03-15 (UTC)"
//!   } }
//!   ```
//!   `malicious_commits` are full commit SHAs of the attacker's code; `repointed_tags` are the
//!   tags (or branches) that were moved to point at it, either by name or as an inclusive
//!   range of version tags (`from`..`through`, compared as versions: `v45` lies in
//!   `v1`..`v45.0.7`); `window` is free text shown in findings.
//!
//! Records with `withdrawn` set are skipped (OSV: a withdrawn record should not be used).
//! Records for other ecosystems are accepted and ignored, so an OSV export can be given as is.
//! A record that is not OSV, or whose `GitHub Actions` entry is malformed, is an error naming
//! the file and the field.

use std::path::Path;
use std::sync::OnceLock;

use chainward_gha::RepositoryUses;
use serde_json::{Map, Value};

pub(crate) mod tag;

use tag::{End, Event, Interval, Precision, Tag, Version, intervals, parse_version};

/// The OSV ecosystem name of GitHub Actions.
pub const ECOSYSTEM: &str = "GitHub Actions";

/// Records shipped in the crate (written for chainward from public advisory facts; see
/// `data/known-compromised/`).
const BUNDLED: &[(&str, &str)] =
    &[("bundled:GHSA-mrrh-fwg8-r2c3.osv.json", include_str!("../data/known-compromised/GHSA-mrrh-fwg8-r2c3.osv.json"))];

/// The largest advisory file read from a directory (OSV records are a few kilobytes; the
/// biggest GHSA records with long `versions` lists stay well below this).
pub const MAX_RECORD_BYTES: u64 = 8 << 20;

/// Why an advisory file or directory was rejected.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A file is larger than [`MAX_RECORD_BYTES`].
    #[error("{file}: {size} bytes is larger than an OSV record can be here ({max} bytes)")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Not JSON.
    #[error("{file}: not valid JSON: {message} (line {line}, column {column})")]
    Json {
        /// The file.
        file: String,
        /// What serde_json says.
        message: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A required field is missing.
    #[error("{file}: `{field}` is missing")]
    Missing {
        /// The file.
        file: String,
        /// The field, as a path (`affected[0].package.name`).
        field: String,
    },
    /// A field holds the wrong kind of value.
    #[error("{file}: `{field}` should be {expected}")]
    WrongType {
        /// The file.
        file: String,
        /// The field.
        field: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A version that is not `[v]MAJOR[.MINOR[.PATCH]][-PRE]`.
    #[error("{file}: `{field}`: `{value}` is not a version such as 46.0.1 or v46")]
    BadVersion {
        /// The file.
        file: String,
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// A commit that is not a full SHA.
    #[error("{file}: `{field}`: `{value}` is not a full commit SHA (40 or 64 hex digits)")]
    BadCommit {
        /// The file.
        file: String,
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// A package name that is not `owner/repo[/path]`.
    #[error("{file}: `{field}`: `{value}` is not an action name (owner/repo)")]
    BadName {
        /// The file.
        file: String,
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// A range type other than GIT, SEMVER, ECOSYSTEM.
    #[error("{file}: `{field}`: `{value}` is not a range type (GIT, SEMVER or ECOSYSTEM)")]
    BadRangeType {
        /// The file.
        file: String,
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// A range event without exactly one of its four keys.
    #[error("{file}: `{field}` should have exactly one of introduced, fixed, last_affected, limit")]
    BadEvent {
        /// The file.
        file: String,
        /// The field.
        field: String,
    },
    /// A range without an `introduced` event (the OSV schema requires one).
    #[error("{file}: `{field}` has no `introduced` event")]
    NoIntroduced {
        /// The file.
        file: String,
        /// The field.
        field: String,
    },
    /// A key of our own `database_specific.chainward` object that we do not know.
    #[error("{file}: `{field}` is not a known field (malicious_commits, repointed_tags, window)")]
    UnknownField {
        /// The file.
        file: String,
        /// The field.
        field: String,
    },
}

/// Tags (or branches) that were moved to a malicious commit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Repointed {
    /// One ref, by name (compared exactly: git refs are case-sensitive).
    Name(String),
    /// Every version tag in an inclusive range.
    Range(Interval),
}

/// One `affected[]` entry of the `GitHub Actions` ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AffectedAction {
    /// `owner/repo[/path]`, lower-case.
    name: String,
    /// From ECOSYSTEM/SEMVER ranges.
    intervals: Vec<Interval>,
    /// `fixed` versions as written, for messages.
    fixed: Vec<String>,
    /// `versions[]`, parsed where they parse.
    versions: Vec<Version>,
    /// `versions[]` that are not versions (compared as tag names).
    version_names: Vec<String>,
    /// Commits named as affected by GIT ranges, lower-case.
    affected_commits: Vec<String>,
    /// Our field: the attacker's commits, lower-case.
    malicious_commits: Vec<String>,
    /// Our field: refs moved to a malicious commit.
    repointed: Vec<Repointed>,
    /// Our field: when.
    window: Option<String>,
}

/// One OSV record, reduced to what the audit needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionAdvisory {
    /// The record's id (e.g. `GHSA-mrrh-fwg8-r2c3`).
    pub id: String,
    /// Its aliases (e.g. `CVE-2025-30066`).
    pub aliases: Vec<String>,
    /// Where it was read from (a file path, or `bundled:NAME`).
    pub source: String,
    affected: Vec<AffectedAction>,
}

/// Advisories for GitHub Actions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionAdvisories {
    advisories: Vec<ActionAdvisory>,
}

/// How a `uses:` reference meets an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExposureKind {
    /// Pinned to a commit SHA that the record names as the attacker's.
    MaliciousCommit {
        /// The commit, as written in the workflow.
        commit: String,
    },
    /// Pinned to a commit SHA that a GIT range of the record names as affected.
    AffectedCommit {
        /// The commit, as written in the workflow.
        commit: String,
    },
    /// A floating tag (`v45`, `v45.0`, or a ref the record names as repointed).
    MutableTag {
        /// The ref.
        tag: String,
        /// The record says this tag was moved to a malicious commit (otherwise: the newest
        /// release of the tag's line is in the affected range).
        repointed: bool,
    },
    /// An exact version tag (`v35.7.7`) in the affected range or named as repointed.
    AffectedVersion {
        /// The ref.
        tag: String,
        /// Whether the affected range or `versions` list contains it.
        in_range: bool,
        /// The record says this tag was moved to a malicious commit.
        repointed: bool,
    },
}

impl ExposureKind {
    /// Stronger kinds win when two records for the same advisory disagree.
    fn rank(&self) -> u8 {
        match self {
            ExposureKind::MaliciousCommit { .. } => 5,
            ExposureKind::AffectedCommit { .. } => 4,
            ExposureKind::MutableTag { repointed: true, .. } => 3,
            ExposureKind::AffectedVersion { repointed: true, .. } => 2,
            ExposureKind::MutableTag { repointed: false, .. } => 1,
            ExposureKind::AffectedVersion { repointed: false, .. } => 0,
        }
    }
}

/// One advisory that a `uses:` reference is exposed to (records with the same id or a shared
/// alias are merged into one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// The advisory id.
    pub id: String,
    /// Its aliases (and the ids of merged records).
    pub aliases: Vec<String>,
    /// How the reference meets it.
    pub kind: ExposureKind,
    /// The fixed versions, as the record writes them.
    pub fixed: Vec<String>,
    /// The malicious commits the record names.
    pub malicious_commits: Vec<String>,
    /// When the compromise happened, if the record says.
    pub window: Option<String>,
}

impl Exposure {
    fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    fn merge(&mut self, other: Exposure) {
        for name in other.names() {
            if name != self.id && !self.aliases.iter().any(|a| a == name) {
                self.aliases.push(name.to_owned());
            }
        }
        for f in other.fixed {
            if !self.fixed.contains(&f) {
                self.fixed.push(f);
            }
        }
        for c in other.malicious_commits {
            if !self.malicious_commits.contains(&c) {
                self.malicious_commits.push(c);
            }
        }
        if self.window.is_none() {
            self.window = other.window;
        }
        if other.kind.rank() > self.kind.rank() {
            self.kind = other.kind;
        }
    }
}

fn is_full_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl AffectedAction {
    fn names(&self, uses: &RepositoryUses) -> bool {
        let repo = format!("{}/{}", uses.owner, uses.repo).to_ascii_lowercase();
        self.name == repo || uses.subpath.is_some() && self.name == uses.slug()
    }

    fn repointed_name(&self, git_ref: &str) -> bool {
        self.repointed.iter().any(|r| matches!(r, Repointed::Name(n) if n == git_ref))
    }

    fn classify(&self, git_ref: &str) -> Option<ExposureKind> {
        if is_full_sha(git_ref) {
            let lower = git_ref.to_ascii_lowercase();
            if self.malicious_commits.contains(&lower) {
                return Some(ExposureKind::MaliciousCommit { commit: git_ref.to_owned() });
            }
            if self.affected_commits.contains(&lower) {
                return Some(ExposureKind::AffectedCommit { commit: git_ref.to_owned() });
            }
            // Which tag a commit carries needs the repository (online); offline a commit
            // pin is only known to be bad when a record names it.
            return None;
        }
        let by_name = self.repointed_name(git_ref);
        let Some(tag) = Tag::parse(git_ref) else {
            // A branch or a tag that is not a version: only a record naming it tells.
            if by_name {
                return Some(ExposureKind::MutableTag { tag: git_ref.to_owned(), repointed: true });
            }
            let listed = self.version_names.iter().any(|n| n == git_ref);
            return listed.then(|| ExposureKind::AffectedVersion {
                tag: git_ref.to_owned(),
                in_range: true,
                repointed: false,
            });
        };
        match (tag.precision, tag.line_end()) {
            (Precision::Major | Precision::Minor, Some(end)) => {
                let lo = &tag.version;
                let repointed = by_name
                    || self.repointed.iter().any(|r| matches!(r, Repointed::Range(i) if i.intersects(lo, &end)));
                let tip_affected = self.intervals.iter().any(|i| i.covers_line_tip(lo, &end))
                    || self.versions.iter().any(|v| lo <= v && *v < end) && !self.fixed_in_line(lo, &end);
                (repointed || tip_affected).then(|| ExposureKind::MutableTag { tag: git_ref.to_owned(), repointed })
            }
            _ => {
                let v = &tag.version;
                let repointed =
                    by_name || self.repointed.iter().any(|r| matches!(r, Repointed::Range(i) if i.contains(v)));
                let in_range = self.intervals.iter().any(|i| i.contains(v))
                    || self.versions.contains(v)
                    || self.version_names.iter().any(|n| n == git_ref);
                (in_range || repointed).then(|| ExposureKind::AffectedVersion {
                    tag: git_ref.to_owned(),
                    in_range,
                    repointed,
                })
            }
        }
    }

    /// Whether a `fixed` event lies in the line `[lo, hi)`.
    fn fixed_in_line(&self, lo: &Version, hi: &Version) -> bool {
        self.intervals.iter().any(|i| matches!(&i.end, End::Fixed(f) if lo <= f && f < hi))
    }
}

impl ActionAdvisories {
    /// The records shipped with chainward.
    pub fn bundled() -> Result<&'static ActionAdvisories, &'static AdvisoryError> {
        static BUNDLE: OnceLock<Result<ActionAdvisories, AdvisoryError>> = OnceLock::new();
        BUNDLE
            .get_or_init(|| {
                let mut all = ActionAdvisories::default();
                for (name, text) in BUNDLED {
                    all.push(parse_record(name, text.as_bytes())?);
                }
                Ok(all)
            })
            .as_ref()
    }

    /// Reads every `*.json` file directly in `dir` (sorted by name; subdirectories are not
    /// searched). Any bad file fails the whole directory, naming the file.
    pub fn load_dir(dir: &Path) -> Result<ActionAdvisories, AdvisoryError> {
        let read = |e| AdvisoryError::Read { path: dir.display().to_string(), source: e };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read)? {
            let path = entry.map_err(read)?.path();
            if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        let mut all = ActionAdvisories::default();
        for path in files {
            all.push(Self::load_file(&path)?);
        }
        Ok(all)
    }

    /// Reads one OSV record.
    pub fn load_file(path: &Path) -> Result<ActionAdvisory, AdvisoryError> {
        use std::io::Read;
        let file = path.display().to_string();
        let read = |e| AdvisoryError::Read { path: file.clone(), source: e };
        let f = std::fs::File::open(path).map_err(read)?;
        let size = f.metadata().map_err(read)?.len();
        if size > MAX_RECORD_BYTES {
            return Err(AdvisoryError::TooLarge { file, size, max: MAX_RECORD_BYTES });
        }
        let mut bytes = Vec::new();
        // The limit again while reading, in case the file grows.
        f.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes).map_err(read)?;
        if bytes.len() as u64 > MAX_RECORD_BYTES {
            return Err(AdvisoryError::TooLarge { file, size: bytes.len() as u64, max: MAX_RECORD_BYTES });
        }
        parse_record(&file, &bytes)
    }

    /// Parses one OSV record from bytes; `source` names it in errors.
    pub fn parse(source: &str, bytes: &[u8]) -> Result<ActionAdvisory, AdvisoryError> {
        parse_record(source, bytes)
    }

    /// Adds a record (withdrawn records and records without a GitHub Actions entry are kept
    /// out, as they can never match).
    pub fn push(&mut self, advisory: ActionAdvisory) {
        if !advisory.affected.is_empty() {
            self.advisories.push(advisory);
        }
    }

    /// Adds every record of another set.
    pub fn extend(&mut self, other: ActionAdvisories) {
        self.advisories.extend(other.advisories);
    }

    /// The records.
    pub fn advisories(&self) -> &[ActionAdvisory] {
        &self.advisories
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// The advisories a `uses:` reference is exposed to, one per advisory (records that share
    /// an id or alias are merged, the strongest kind winning), in the order first seen.
    pub fn exposures(&self, uses: &RepositoryUses) -> Vec<Exposure> {
        let Some(git_ref) = uses.git_ref.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        let mut out: Vec<Exposure> = Vec::new();
        for adv in &self.advisories {
            for affected in adv.affected.iter().filter(|a| a.names(uses)) {
                let Some(kind) = affected.classify(git_ref) else { continue };
                let found = Exposure {
                    id: adv.id.clone(),
                    aliases: adv.aliases.clone(),
                    kind,
                    fixed: affected.fixed.clone(),
                    malicious_commits: affected.malicious_commits.clone(),
                    window: affected.window.clone(),
                };
                match out.iter_mut().find(|e| e.names().any(|n| found.names().any(|m| m.eq_ignore_ascii_case(n)))) {
                    Some(existing) => existing.merge(found),
                    None => out.push(found),
                }
            }
        }
        out
    }
}

/// Walks a JSON value, naming fields by path for errors.
struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn wrong(&self, field: &str, expected: &'static str) -> AdvisoryError {
        AdvisoryError::WrongType { file: self.file.to_owned(), field: field.to_owned(), expected }
    }

    fn missing(&self, field: &str) -> AdvisoryError {
        AdvisoryError::Missing { file: self.file.to_owned(), field: field.to_owned() }
    }

    fn object<'v>(&self, v: &'v Value, field: &str) -> Result<&'v Map<String, Value>, AdvisoryError> {
        v.as_object().ok_or_else(|| self.wrong(field, "an object"))
    }

    /// An optional field that must be a string when present (`null` counts as absent).
    fn opt_str<'v>(&self, m: &'v Map<String, Value>, key: &str, field: &str) -> Result<Option<&'v str>, AdvisoryError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(&join(field, key), "a string")),
        }
    }

    fn req_str<'v>(&self, m: &'v Map<String, Value>, key: &str, field: &str) -> Result<&'v str, AdvisoryError> {
        self.opt_str(m, key, field)?.ok_or_else(|| self.missing(&join(field, key)))
    }

    /// An optional array (`null` counts as empty, as the OSV schema allows for some).
    fn opt_array<'v>(&self, m: &'v Map<String, Value>, key: &str, field: &str) -> Result<&'v [Value], AdvisoryError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(self.wrong(&join(field, key), "an array")),
        }
    }

    fn strings(&self, m: &Map<String, Value>, key: &str, field: &str) -> Result<Vec<String>, AdvisoryError> {
        let mut out = Vec::new();
        for (i, v) in self.opt_array(m, key, field)?.iter().enumerate() {
            match v {
                Value::String(s) => out.push(s.clone()),
                _ => return Err(self.wrong(&format!("{}[{i}]", join(field, key)), "a string")),
            }
        }
        Ok(out)
    }

    fn version(&self, value: &str, field: &str) -> Result<Version, AdvisoryError> {
        parse_version(value).ok_or_else(|| AdvisoryError::BadVersion {
            file: self.file.to_owned(),
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }

    fn commit(&self, value: &str, field: &str) -> Result<String, AdvisoryError> {
        if is_full_sha(value) {
            Ok(value.to_ascii_lowercase())
        } else {
            Err(AdvisoryError::BadCommit {
                file: self.file.to_owned(),
                field: field.to_owned(),
                value: value.to_owned(),
            })
        }
    }
}

fn join(field: &str, key: &str) -> String {
    if field.is_empty() { key.to_owned() } else { format!("{field}.{key}") }
}

fn parse_record(file: &str, bytes: &[u8]) -> Result<ActionAdvisory, AdvisoryError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| AdvisoryError::Json {
        file: file.to_owned(),
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    let r = Reader { file };
    let top = r.object(&value, "(top level)")?;
    let id = r.req_str(top, "id", "")?.to_owned();
    r.req_str(top, "modified", "")?;
    let aliases = r.strings(top, "aliases", "")?;
    let withdrawn = r.opt_str(top, "withdrawn", "")?.is_some();
    let mut affected = Vec::new();
    for (i, a) in r.opt_array(top, "affected", "")?.iter().enumerate() {
        let field = format!("affected[{i}]");
        let a = r.object(a, &field)?;
        let pkg_field = join(&field, "package");
        let Some(pkg) = a.get("package") else { continue };
        let pkg = r.object(pkg, &pkg_field)?;
        let ecosystem = r.req_str(pkg, "ecosystem", &pkg_field)?;
        // `GitHub Actions` or `GitHub Actions:SUFFIX` (the schema's ecosystemWithSuffix).
        if ecosystem != ECOSYSTEM && !ecosystem.strip_prefix(ECOSYSTEM).is_some_and(|s| s.starts_with(':')) {
            continue;
        }
        let name = r.req_str(pkg, "name", &pkg_field)?;
        affected.push(parse_affected(&r, a, name, &field)?);
    }
    if withdrawn {
        affected.clear();
    }
    Ok(ActionAdvisory { id, aliases, source: file.to_owned(), affected })
}

fn parse_affected(
    r: &Reader<'_>,
    a: &Map<String, Value>,
    name: &str,
    field: &str,
) -> Result<AffectedAction, AdvisoryError> {
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.trim().is_empty() || p.contains(['@', ' '])) {
        return Err(AdvisoryError::BadName {
            file: r.file.to_owned(),
            field: format!("{field}.package.name"),
            value: name.to_owned(),
        });
    }
    let mut out = AffectedAction {
        name: name.to_ascii_lowercase(),
        intervals: Vec::new(),
        fixed: Vec::new(),
        versions: Vec::new(),
        version_names: Vec::new(),
        affected_commits: Vec::new(),
        malicious_commits: Vec::new(),
        repointed: Vec::new(),
        window: None,
    };
    for (i, range) in r.opt_array(a, "ranges", field)?.iter().enumerate() {
        let rf = format!("{field}.ranges[{i}]");
        let range = r.object(range, &rf)?;
        let kind = r.req_str(range, "type", &rf)?;
        let git = match kind {
            "GIT" => true,
            "SEMVER" | "ECOSYSTEM" => false,
            other => {
                return Err(AdvisoryError::BadRangeType {
                    file: r.file.to_owned(),
                    field: join(&rf, "type"),
                    value: other.to_owned(),
                });
            }
        };
        let events_field = join(&rf, "events");
        let events = match range.get("events") {
            Some(Value::Array(e)) => e,
            Some(_) => return Err(r.wrong(&events_field, "an array")),
            None => return Err(r.missing(&events_field)),
        };
        let mut parsed = Vec::new();
        let mut introduced = false;
        for (j, e) in events.iter().enumerate() {
            let ef = format!("{events_field}[{j}]");
            let e = r.object(e, &ef)?;
            let (key, value) = match e.iter().next() {
                Some((k, v)) if e.len() == 1 => (k.as_str(), v),
                _ => return Err(AdvisoryError::BadEvent { file: r.file.to_owned(), field: ef }),
            };
            let vf = join(&ef, key);
            let Some(value) = value.as_str() else { return Err(r.wrong(&vf, "a string")) };
            if git {
                match key {
                    _ if value == "0" && key != "introduced" => {}
                    "introduced" => {
                        introduced = true;
                        if value != "0" {
                            out.affected_commits.push(r.commit(value, &vf)?);
                        }
                    }
                    "last_affected" => out.affected_commits.push(r.commit(value, &vf)?),
                    "fixed" | "limit" => {
                        r.commit(value, &vf)?;
                    }
                    _ => return Err(AdvisoryError::BadEvent { file: r.file.to_owned(), field: ef }),
                }
                continue;
            }
            match key {
                "introduced" => {
                    introduced = true;
                    let v = if value == "0" { None } else { Some(r.version(value, &vf)?) };
                    parsed.push(Event::Introduced(v));
                }
                "fixed" => {
                    parsed.push(Event::Fixed(r.version(value, &vf)?));
                    if !out.fixed.iter().any(|f| f == value) {
                        out.fixed.push(value.to_owned());
                    }
                }
                "last_affected" => parsed.push(Event::LastAffected(r.version(value, &vf)?)),
                // `limit` bounds a GIT walk; it says nothing about tag versions.
                "limit" => {}
                _ => return Err(AdvisoryError::BadEvent { file: r.file.to_owned(), field: ef }),
            }
        }
        if !introduced {
            return Err(AdvisoryError::NoIntroduced { file: r.file.to_owned(), field: events_field });
        }
        out.intervals.extend(intervals(parsed));
    }
    for v in r.strings(a, "versions", field)? {
        match parse_version(&v) {
            Some(parsed) => out.versions.push(parsed),
            None => out.version_names.push(v),
        }
    }
    let ds_field = join(field, "database_specific");
    if let Some(ds) = a.get("database_specific").filter(|v| !v.is_null()) {
        let ds = r.object(ds, &ds_field)?;
        if let Some(ours) = ds.get("chainward") {
            parse_ours(r, ours, &join(&ds_field, "chainward"), &mut out)?;
        }
    }
    Ok(out)
}

/// `database_specific.chainward` of an affected entry (documented in the module docs).
fn parse_ours(r: &Reader<'_>, v: &Value, field: &str, out: &mut AffectedAction) -> Result<(), AdvisoryError> {
    let m = r.object(v, field)?;
    for key in m.keys() {
        if !matches!(key.as_str(), "malicious_commits" | "repointed_tags" | "window") {
            return Err(AdvisoryError::UnknownField { file: r.file.to_owned(), field: join(field, key) });
        }
    }
    for (i, c) in r.strings(m, "malicious_commits", field)?.iter().enumerate() {
        out.malicious_commits.push(r.commit(c, &format!("{field}.malicious_commits[{i}]"))?);
    }
    for (i, t) in r.opt_array(m, "repointed_tags", field)?.iter().enumerate() {
        let tf = format!("{field}.repointed_tags[{i}]");
        match t {
            Value::String(name) if !name.trim().is_empty() => out.repointed.push(Repointed::Name(name.clone())),
            Value::Object(range) => {
                let from = r.req_str(range, "from", &tf)?;
                let through = r.req_str(range, "through", &tf)?;
                let bad = |value: &str, key: &str| AdvisoryError::BadVersion {
                    file: r.file.to_owned(),
                    field: join(&tf, key),
                    value: value.to_owned(),
                };
                let from_tag = Tag::parse(from).ok_or_else(|| bad(from, "from"))?;
                let through_tag = Tag::parse(through).ok_or_else(|| bad(through, "through"))?;
                // `through: v45` takes in the whole v45 line; `through: v45.0.7` stops there.
                let end = match through_tag.line_end() {
                    Some(next) => End::Fixed(next),
                    None => End::LastAffected(through_tag.version),
                };
                out.repointed.push(Repointed::Range(Interval { start: Some(from_tag.version), end }));
            }
            _ => return Err(r.wrong(&tf, "a tag name or an object {from, through}")),
        }
    }
    out.window = r.opt_str(m, "window", field)?.map(str::to_owned);
    Ok(())
}

#[cfg(test)]
mod tests {
    use chainward_gha::Uses;

    use super::*;

    fn uses(s: &str) -> RepositoryUses {
        match Uses::parse(s) {
            Some(Uses::Repository(r)) => r,
            other => panic!("{s}: {other:?}"),
        }
    }

    const MALICIOUS: &str = "0e58ed8671d6b60d0890c21b07f8835ace038e67";

    fn bundled() -> &'static ActionAdvisories {
        ActionAdvisories::bundled().unwrap()
    }

    fn kinds(set: &ActionAdvisories, u: &str) -> Vec<ExposureKind> {
        set.exposures(&uses(u)).into_iter().map(|e| e.kind).collect()
    }

    #[test]
    fn bundled_records_parse() {
        let b = bundled();
        assert_eq!(b.len(), BUNDLED.len());
        assert_eq!(b.advisories()[0].id, "GHSA-mrrh-fwg8-r2c3");
        assert_eq!(b.advisories()[0].aliases, ["CVE-2025-30066"]);
    }

    #[test]
    fn the_four_outcomes() {
        let b = bundled();
        let e = b.exposures(&uses(&format!("tj-actions/changed-files@{MALICIOUS}")));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].kind, ExposureKind::MaliciousCommit { commit: MALICIOUS.into() });
        assert_eq!(e[0].fixed, ["46.0.1"]);
        assert_eq!(
            kinds(b, "tj-actions/changed-files@v45"),
            [ExposureKind::MutableTag { tag: "v45".into(), repointed: true }]
        );
        assert_eq!(
            kinds(b, "tj-actions/changed-files@v35.7.7"),
            [ExposureKind::AffectedVersion { tag: "v35.7.7".into(), in_range: true, repointed: true }]
        );
        assert!(kinds(b, "tj-actions/changed-files@v46.0.1").is_empty());
        assert!(kinds(b, "tj-actions/changed-files@2f7c5bfce28377bc069a65ba478de0a74aa0ca32").is_empty());
    }

    #[test]
    fn tag_forms_case_and_prefix() {
        let b = bundled();
        // Owner and repository compare case-insensitively; the commit too.
        assert_eq!(kinds(b, &format!("TJ-Actions/Changed-Files@{}", MALICIOUS.to_uppercase())).len(), 1);
        for affected in ["v45.0.7", "45.0.7", "v1", "v45.0", "v1.0.0", "v46.0.0-rc.1", "v46.0.0"] {
            assert_eq!(kinds(b, &format!("tj-actions/changed-files@{affected}")).len(), 1, "{affected}");
        }
        // v46 now names the fix; later releases and unrelated refs are not named.
        for clean in ["v46", "v46.0", "v46.0.1", "46.0.1", "v47", "v46.1.0", "main", "release/v45", "v45.0.7.1"] {
            assert!(kinds(b, &format!("tj-actions/changed-files@{clean}")).is_empty(), "{clean}");
        }
        // Without a ref, GitHub rejects the workflow; nothing to match.
        assert!(kinds(b, "tj-actions/changed-files").is_empty());
    }

    #[test]
    fn unrelated_actions() {
        let b = bundled();
        for u in [
            "tj-actions/verify-changed-files@v20",
            "tj-actions/changed-filesx@v45",
            "other/changed-files@v45",
            &format!("actions/checkout@{MALICIOUS}"),
        ] {
            assert!(kinds(b, u).is_empty(), "{u}");
        }
        // A path inside the repository is the same repository's code.
        assert_eq!(kinds(b, "tj-actions/changed-files/sub@v45").len(), 1);
    }

    fn record(affected: &str) -> String {
        format!(
            r#"{{"id": "GHSA-test-test-test", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-1"], "affected": [{affected}]}}"#
        )
    }

    fn one(affected: &str) -> ActionAdvisories {
        let mut s = ActionAdvisories::default();
        s.push(ActionAdvisories::parse("t.json", record(affected).as_bytes()).unwrap());
        s
    }

    #[test]
    fn plain_vulnerability_ranges() {
        let s = one(r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "v2.0.0"}, {"fixed": "2.4.1"}]}],
                "versions": ["1.9.9", "special"]}"#);
        assert_eq!(
            kinds(&s, "o/a@v2.4.0"),
            [ExposureKind::AffectedVersion { tag: "v2.4.0".into(), in_range: true, repointed: false }]
        );
        assert!(kinds(&s, "o/a@v2.4.1").is_empty());
        assert!(kinds(&s, "o/a@v1.9.8").is_empty());
        assert_eq!(kinds(&s, "o/a@1.9.9").len(), 1, "versions[] are exact matches");
        assert_eq!(kinds(&s, "o/a@special").len(), 1);
        // The v2 line got the fix, so v2 names it now; v2.3 never did.
        assert!(kinds(&s, "o/a@v2").is_empty());
        assert_eq!(kinds(&s, "o/a@v2.3"), [ExposureKind::MutableTag { tag: "v2.3".into(), repointed: false }]);
        // Every commit pin is unknown offline.
        assert!(kinds(&s, &format!("o/a@{MALICIOUS}")).is_empty());
    }

    #[test]
    fn git_ranges_and_named_repointed_refs() {
        let c = "a".repeat(40);
        let s = one(&format!(
            r#"{{"package": {{"ecosystem": "GitHub Actions:extra", "name": "O/A"}},
                "ranges": [{{"type": "GIT", "repo": "https://github.com/o/a", "events": [{{"introduced": "{c}"}}]}}],
                "database_specific": {{"chainward": {{"repointed_tags": ["main"], "malicious_commits": []}}}}}}"#
        ));
        assert_eq!(kinds(&s, &format!("o/a@{c}")), [ExposureKind::AffectedCommit { commit: c.clone() }]);
        assert_eq!(kinds(&s, "o/a@main"), [ExposureKind::MutableTag { tag: "main".into(), repointed: true }]);
        assert!(kinds(&s, "o/a@Main").is_empty(), "git refs are case-sensitive");
    }

    #[test]
    fn same_advisory_twice_is_one_exposure() {
        let mut s = bundled().clone();
        let corpus = r#"{"id": "GHSA-mrrh-fwg8-r2c3", "modified": "x", "affected": [{"package": {"ecosystem": "GitHub Actions", "name": "tj-actions/changed-files"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "46.0.1"}]}]}]}"#;
        s.push(ActionAdvisories::parse("c.json", corpus.as_bytes()).unwrap());
        // And one known only by its alias.
        let by_alias = corpus.replace("GHSA-mrrh-fwg8-r2c3", "CVE-2025-30066");
        s.push(ActionAdvisories::parse("d.json", by_alias.as_bytes()).unwrap());
        assert_eq!(s.len(), 3);
        let e = s.exposures(&uses("tj-actions/changed-files@v45"));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, ExposureKind::MutableTag { tag: "v45".into(), repointed: true });
        assert_eq!(e[0].id, "GHSA-mrrh-fwg8-r2c3");
        assert_eq!(e[0].aliases, ["CVE-2025-30066"]);
    }

    #[test]
    fn other_ecosystems_and_withdrawn_records_are_ignored() {
        let pypi = r#"{"id": "PYSEC-1", "modified": "x", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.post1"}]}]}]}"#;
        assert!(ActionAdvisories::parse("p.json", pypi.as_bytes()).unwrap().affected.is_empty());
        let withdrawn = record(r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "versions": ["1"]}"#)
            .replacen('{', r#"{"withdrawn": "2026-01-02T00:00:00Z", "#, 1);
        let mut s = ActionAdvisories::default();
        s.push(ActionAdvisories::parse("w.json", withdrawn.as_bytes()).unwrap());
        assert!(s.is_empty());
    }

    #[test]
    fn malformed_records_name_file_and_field() {
        let cases: &[(&str, &str)] = &[
            ("{", "not valid JSON"),
            ("[]", "`(top level)` should be an object"),
            (r#"{"modified": "x"}"#, "`id` is missing"),
            (r#"{"id": "X"}"#, "`modified` is missing"),
            (r#"{"id": "X", "modified": "x", "aliases": "CVE-1"}"#, "`aliases` should be an array"),
        ];
        for (text, want) in cases {
            let e = ActionAdvisories::parse("bad.json", text.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with("bad.json: ") && e.contains(want), "{e}");
        }
        let affected: &[(&str, &str)] = &[
            (r#"{"package": {"ecosystem": "GitHub Actions"}}"#, "`affected[0].package.name` is missing"),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "justone"}}"#,
                "affected[0].package.name`: `justone`",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "four"}]}]}"#,
                "`affected[0].ranges[0].events[1].fixed`: `four` is not a version",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}]}"#,
                "`affected[0].ranges[0].events` has no `introduced` event",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}]}"#,
                "`affected[0].ranges[0].events[0]` should have exactly one",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "ranges": [{"type": "NPM", "events": []}]}"#,
                "`affected[0].ranges[0].type`: `NPM` is not a range type",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "ranges": [{"type": "GIT", "events": [{"introduced": "0e58ed8"}]}]}"#,
                "`affected[0].ranges[0].events[0].introduced`: `0e58ed8` is not a full commit SHA",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "database_specific": {"chainward": {"malicious_commit": []}}}"#,
                "`affected[0].database_specific.chainward.malicious_commit` is not a known field",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "database_specific": {"chainward": {"repointed_tags": [{"from": "v1", "through": "latest"}]}}}"#,
                "`affected[0].database_specific.chainward.repointed_tags[0].through`: `latest` is not a version",
            ),
            (
                r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "database_specific": {"chainward": {"repointed_tags": [7]}}}"#,
                "`affected[0].database_specific.chainward.repointed_tags[0]` should be a tag name",
            ),
        ];
        for (a, want) in affected {
            let e = ActionAdvisories::parse("bad.json", record(a).as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with("bad.json: ") && e.contains(want), "{e}\nwanted: {want}");
        }
    }

    #[test]
    fn directories_are_read_and_bad_files_named() {
        let dir = std::env::temp_dir().join(format!("chainward-advisories-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.json"),
            record(r#"{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "versions": ["1.0.0"]}"#),
        )
        .unwrap();
        std::fs::write(dir.join("notes.txt"), "not a record").unwrap();
        let s = ActionAdvisories::load_dir(&dir).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(kinds(&s, "o/a@v1.0.0").len(), 1);
        std::fs::write(dir.join("b.json"), "{\"id\": 1}").unwrap();
        let e = ActionAdvisories::load_dir(&dir).unwrap_err().to_string();
        assert!(e.contains("b.json: `id` should be a string"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(ActionAdvisories::load_dir(&dir).is_err());
    }
}
