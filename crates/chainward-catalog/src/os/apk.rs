//! apk: `/lib/apk/db/installed` (apk-tools' "installed database": one `K:value` line per
//! field, packages separated by blank lines; see the apk-spec "Installed Database V2").

use chainward_model::{Ecosystem, Location, Package, SourcePackage};

use crate::{CatalogContext, CatalogOutput, Cataloger, Warning, introducing_layers};

const INSTALLED: &str = "lib/apk/db/installed";

/// Reads the apk database.
pub struct ApkCataloger;

/// One package record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkEntry {
    /// `P:` name.
    pub name: String,
    /// `V:` version.
    pub version: String,
    /// `A:` architecture.
    pub arch: Option<String>,
    /// `o:` origin (the source package).
    pub origin: Option<String>,
    /// `L:` license (an SPDX-like expression).
    pub license: Option<String>,
    /// `m:` maintainer.
    pub maintainer: Option<String>,
}

/// A record that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// 1-based line where the record starts.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The most problems [`parse_installed`] reports one by one; past it they are only
/// counted (a hostile database can hold a broken record every few bytes).
pub const MAX_PROBLEMS: usize = 1000;

/// Problems up to [`MAX_PROBLEMS`], then a count.
#[derive(Default)]
struct ProblemSink {
    kept: Vec<RecordProblem>,
    dropped: usize,
    first_dropped_line: usize,
}

impl ProblemSink {
    fn push(&mut self, line: usize, message: impl FnOnce() -> String) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(RecordProblem { line, message: message() });
        } else {
            if self.dropped == 0 {
                self.first_dropped_line = line;
            }
            self.dropped += 1;
        }
    }

    fn into_vec(mut self) -> Vec<RecordProblem> {
        if self.dropped > 0 {
            self.kept.push(RecordProblem {
                line: self.first_dropped_line,
                message: format!(
                    "{} more broken records from here on were skipped (only {MAX_PROBLEMS} are reported one by one)",
                    self.dropped
                ),
            });
        }
        self.kept
    }
}

/// Parses the installed database. Returns the packages and the records that had to be
/// skipped, each with its line: at most [`MAX_PROBLEMS`] of them, then one that counts
/// the rest.
pub fn parse_installed(text: &str) -> (Vec<ApkEntry>, Vec<RecordProblem>) {
    let mut entries = Vec::new();
    let mut problems = ProblemSink::default();
    let mut cur: Vec<(char, &str)> = Vec::new();
    let mut start = 1;
    let mut flush = |cur: &mut Vec<(char, &str)>, line: usize| {
        if cur.is_empty() {
            return;
        }
        let get =
            |k: char| cur.iter().find(|(f, _)| *f == k).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty());
        match (get('P'), get('V')) {
            (Some(name), Some(version)) => entries.push(ApkEntry {
                name,
                version,
                arch: get('A'),
                origin: get('o'),
                license: get('L'),
                maintainer: get('m'),
            }),
            (name, _) => problems.push(line, || match name {
                Some(n) => format!("package {n:?} has no V: (version) line; skipped"),
                None => "record has no P: (name) line; skipped".into(),
            }),
        }
        cur.clear();
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut cur, start);
            start = i + 2;
            continue;
        }
        let mut chars = line.chars();
        if let (Some(k), Some(':')) = (chars.next(), chars.next()) {
            // `chars.as_str()` is what follows the colon: the key may be a multi-byte
            // character, so byte offset 2 need not be a char boundary.
            cur.push((k, chars.as_str()));
        }
    }
    flush(&mut cur, start);
    (entries, problems.into_vec())
}

impl ApkEntry {
    fn key(&self) -> (String, String, Option<String>) {
        (self.name.clone(), self.version.clone(), self.arch.clone())
    }

    fn to_package(&self, layer: Option<chainward_model::Digest>) -> Package {
        let mut p = Package::new(Ecosystem::Apk, &self.name, &self.version);
        p.arch = self.arch.clone();
        p.source = Some(SourcePackage {
            // apk's origin is the source package (APKBUILD pkgname); same version.
            name: self.origin.clone().unwrap_or_else(|| self.name.clone()),
            version: Some(self.version.clone()),
        });
        p.licenses = self.license.iter().cloned().collect();
        p.supplier = self.maintainer.clone();
        p.locations.push(Location { path: format!("/{INSTALLED}"), layer });
        p
    }
}

impl Cataloger for ApkCataloger {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, path: &str, _size: u64) -> bool {
        path == INSTALLED
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        let history = match ctx.tree.history(INSTALLED) {
            Ok(h) => h,
            Err(chainward_image::ReadError::NotFound { .. }) => return out,
            Err(e) => {
                out.warnings.push(Warning { cataloger: "apk", path: format!("/{INSTALLED}"), message: e.to_string() });
                return out;
            }
        };
        let mut versions = Vec::new();
        let mut newest = Vec::new();
        for (i, (layer, bytes)) in history.iter().enumerate() {
            let (entries, problems) = parse_installed(&String::from_utf8_lossy(bytes));
            if i + 1 == history.len() {
                out.warnings.extend(problems.into_iter().map(|p| Warning {
                    cataloger: "apk",
                    path: format!("/{INSTALLED}"),
                    message: format!("line {}: {}", p.line, p.message),
                }));
                newest = entries.clone();
            }
            versions.push((*layer, entries.iter().map(ApkEntry::key).collect::<Vec<_>>()));
        }
        let layers = introducing_layers(&versions);
        out.packages =
            newest.iter().map(|e| e.to_package(ctx.layer_digest(layers.get(&e.key()).copied().flatten()))).collect();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let text = "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:nover\n\n";
        let (e, p) = parse_installed(text);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].origin.as_deref(), Some("musl"));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 10);
    }

    #[test]
    fn multibyte_key_does_not_split_a_character() {
        // Found by tests/hostile.rs: `&line[2..]` panicked on `€:` (a 3-byte key).
        let (e, p) = parse_installed("P:a\n\u{20ac}:x\n\u{e9}:y\nV:1\n\n\u{20ac}\n");
        assert_eq!(e.len(), 1);
        assert!(p.is_empty());
    }

    #[test]
    fn problems_are_capped_then_counted() {
        let text = "P:x\n\n".repeat(MAX_PROBLEMS + 3);
        let (entries, problems) = parse_installed(&text);
        assert!(entries.is_empty());
        assert_eq!(problems.len(), MAX_PROBLEMS + 1);
        assert!(problems[MAX_PROBLEMS].message.starts_with("3 more broken records"));
    }
}
