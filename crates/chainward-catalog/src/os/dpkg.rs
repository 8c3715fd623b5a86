//! dpkg: `/var/lib/dpkg/status` and the distroless `/var/lib/dpkg/status.d/*` layout
//! (deb822 stanzas, deb-control(5) and dpkg(1) "package states"), with licenses from
//! `/usr/share/doc/NAME/copyright`.

use std::collections::BTreeSet;

use chainward_model::{Ecosystem, Location, Package, SourcePackage};

use crate::os::debian_copyright;
use crate::{CatalogContext, CatalogOutput, Cataloger, Warning, introducing_layers};

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d";
const DOC: &str = "usr/share/doc/";

/// Reads the dpkg database.
pub struct DpkgCataloger;

/// One package stanza, with the fields chainward uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgEntry {
    /// `Package`.
    pub name: String,
    /// `Version`, whole (`[epoch:]upstream[-revision]`).
    pub version: String,
    /// `Architecture`.
    pub arch: Option<String>,
    /// `Source`: name and, when given in parentheses, version.
    pub source_name: Option<String>,
    /// The version in `Source: name (version)`.
    pub source_version: Option<String>,
    /// `Maintainer`.
    pub maintainer: Option<String>,
    /// `Status`, whole.
    pub status: Option<String>,
}

/// A stanza that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanzaProblem {
    /// 1-based line of the stanza's first line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The most problems [`parse_status`] reports one by one; past it they are only counted.
/// A hostile status can hold a broken stanza every few bytes: a 20 MB file would otherwise
/// make hundreds of thousands of warnings, many times its own size in memory.
pub const MAX_PROBLEMS: usize = 1000;

/// Problems up to [`MAX_PROBLEMS`], then a count.
#[derive(Default)]
struct ProblemSink {
    kept: Vec<StanzaProblem>,
    dropped: usize,
    first_dropped_line: usize,
}

impl ProblemSink {
    fn push(&mut self, line: usize, message: impl FnOnce() -> String) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(StanzaProblem { line, message: message() });
        } else {
            if self.dropped == 0 {
                self.first_dropped_line = line;
            }
            self.dropped += 1;
        }
    }

    fn into_vec(mut self) -> Vec<StanzaProblem> {
        if self.dropped > 0 {
            self.kept.push(StanzaProblem {
                line: self.first_dropped_line,
                message: format!(
                    "{} more broken stanzas from here on were skipped (only {MAX_PROBLEMS} are reported one by one)",
                    self.dropped
                ),
            });
        }
        self.kept
    }
}

/// Whether a `Status:` value means the package's files are on disk. dpkg's states
/// `not-installed` and `config-files` leave no package behind (dpkg(1) "PACKAGE STATES").
fn is_installed(status: Option<&str>) -> bool {
    match status {
        // Distroless status.d files may omit Status: the file exists because it is installed.
        None => true,
        Some(s) => {
            let state = s.split_whitespace().nth(2);
            !matches!(state, Some("not-installed" | "config-files"))
        }
    }
}

/// Whether a version follows deb-version(7): `[epoch:]upstream[-revision]`, a numeric
/// epoch, an upstream part that starts with a digit and holds only `[A-Za-z0-9.+~-]`
/// (`-` only when a revision follows), a revision of `[A-Za-z0-9.+~]`. dpkg refuses
/// anything else, so such a stanza is corrupt (Trivy drops it too).
pub fn is_valid_version(v: &str) -> bool {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (Some(e), r),
        None => (None, v),
    };
    if epoch.is_some_and(|e| e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, Some(r)),
        None => (rest, None),
    };
    let upstream_ok = upstream.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && upstream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~-:".contains(&b) && (b != b':' || epoch.is_some()));
    let revision_ok =
        revision.is_none_or(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b)));
    upstream_ok && revision_ok
}

/// Parses deb822 stanzas of a dpkg status file. Returns the installed packages and the
/// stanzas that had to be skipped (no Package or no Version), each with its line: at most
/// [`MAX_PROBLEMS`] of them, then one that counts the rest.
pub fn parse_status(text: &str) -> (Vec<DpkgEntry>, Vec<StanzaProblem>) {
    let mut entries = Vec::new();
    let mut problems = ProblemSink::default();
    let mut fields: Vec<(&str, String)> = Vec::new();
    let mut start_line = 1;
    let mut flush = |fields: &mut Vec<(&str, String)>, line: usize| {
        if fields.is_empty() {
            return;
        }
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        match (get("Package"), get("Version")) {
            (Some(name), Some(version)) if !is_valid_version(&version) => problems.push(line, || {
                format!("package {name:?} has an invalid version {version:?} (deb-version(7)); skipped")
            }),
            (Some(name), Some(version)) => {
                let status = get("Status");
                if is_installed(status.as_deref()) {
                    let (source_name, source_version) = match get("Source") {
                        Some(src) => match src.split_once('(') {
                            Some((n, v)) => (
                                Some(n.trim().to_owned()),
                                Some(v.trim_end_matches(')').trim().to_owned()).filter(|v| !v.is_empty()),
                            ),
                            None => (Some(src), None),
                        },
                        None => (None, None),
                    };
                    entries.push(DpkgEntry {
                        name,
                        version,
                        arch: get("Architecture"),
                        source_name,
                        source_version,
                        maintainer: get("Maintainer"),
                        status,
                    });
                }
            }
            (name, _) => problems.push(line, || match name {
                Some(n) => format!("package {n:?} has no Version field; skipped"),
                None => "stanza has no Package field; skipped".into(),
            }),
        }
        fields.clear();
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut fields, start_line);
            start_line = i + 2;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation line belongs to the previous field (multi-line Description,
            // Conffiles); chainward reads none of those fields whole.
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim(), v.to_owned()));
        }
    }
    flush(&mut fields, start_line);
    (entries, problems.into_vec())
}

impl DpkgEntry {
    fn to_package(&self, path: &str, layer: Option<chainward_model::Digest>, licenses: Vec<String>) -> Package {
        let mut p = Package::new(Ecosystem::Deb, &self.name, &self.version);
        p.arch = self.arch.clone();
        p.source = Some(SourcePackage {
            name: self.source_name.clone().unwrap_or_else(|| self.name.clone()),
            // Without "(version)" the source version is the binary version (deb-control(5)).
            version: Some(self.source_version.clone().unwrap_or_else(|| self.version.clone())),
        });
        p.supplier = self.maintainer.clone();
        p.licenses = licenses;
        p.locations.push(Location { path: format!("/{path}"), layer });
        p
    }

    fn key(&self) -> (String, String, Option<String>) {
        (self.name.clone(), self.version.clone(), self.arch.clone())
    }
}

fn licenses_for(ctx: &CatalogContext<'_>, name: &str) -> Vec<String> {
    match ctx.tree.read(&format!("{DOC}{name}/copyright")) {
        Ok(bytes) => debian_copyright::licenses(&String::from_utf8_lossy(&bytes)),
        Err(_) => Vec::new(),
    }
}

impl Cataloger for DpkgCataloger {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, path: &str, _size: u64) -> bool {
        path == STATUS
            || path.strip_prefix(STATUS_D).is_some_and(|r| r.starts_with('/'))
            || path.strip_prefix(DOC).is_some_and(|r| r.ends_with("/copyright") && r.matches('/').count() == 1)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        let warn = |out: &mut CatalogOutput, path: &str, message: String| {
            out.warnings.push(Warning { cataloger: "dpkg", path: format!("/{path}"), message });
        };
        let mut seen = BTreeSet::new();
        if let Ok(history) = ctx.tree.history(STATUS) {
            let mut versions = Vec::with_capacity(history.len());
            let mut newest = Vec::new();
            for (i, (layer, bytes)) in history.iter().enumerate() {
                let (entries, problems) = parse_status(&String::from_utf8_lossy(bytes));
                if i + 1 == history.len() {
                    for p in problems {
                        warn(&mut out, STATUS, format!("line {}: {}", p.line, p.message));
                    }
                    newest = entries.clone();
                }
                versions.push((*layer, entries.iter().map(DpkgEntry::key).collect::<Vec<_>>()));
            }
            let layers = introducing_layers(&versions);
            for e in newest {
                let layer = layers.get(&e.key()).copied().flatten();
                let licenses = licenses_for(ctx, &e.name);
                seen.insert(e.key());
                out.packages.push(e.to_package(STATUS, ctx.layer_digest(layer), licenses));
            }
        } else if let Err(e @ (chainward_image::ReadError::TooLarge { .. } | chainward_image::ReadError::Io { .. })) =
            ctx.tree.read(STATUS)
        {
            warn(&mut out, STATUS, e.to_string());
        }
        // Distroless: one stanza file per package (plus .md5sums and maintainer scripts,
        // which hold no stanza and yield nothing).
        if let Ok(files) = ctx.tree.read_dir(STATUS_D) {
            for (path, node) in files {
                if node.kind != chainward_image::NodeKind::File {
                    continue;
                }
                let bytes = match ctx.tree.read(path) {
                    Ok(b) => b,
                    Err(e) => {
                        warn(&mut out, path, e.to_string());
                        continue;
                    }
                };
                let (entries, problems) = parse_status(&String::from_utf8_lossy(&bytes));
                // Files such as NAME.md5sums are not stanzas: only report problems of
                // files that look like stanza files.
                if !path.contains('.') || !entries.is_empty() {
                    for p in problems {
                        warn(&mut out, path, format!("line {}: {}", p.line, p.message));
                    }
                }
                for e in entries {
                    if seen.insert(e.key()) {
                        let licenses = licenses_for(ctx, &e.name);
                        out.packages.push(e.to_package(path, ctx.layer_digest(node.layer), licenses));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_config_files_and_broken_stanzas() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\nSource: src (2.0-1)\nArchitecture: amd64\n\n\
                    Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n\
                    Package: broken\n\n\
                    Package: b\nStatus: install ok installed\nVersion: 3\nDescription: x\n more\n .\n";
        let (entries, problems) = parse_status(text);
        let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(entries[0].source_name.as_deref(), Some("src"));
        assert_eq!(entries[0].source_version.as_deref(), Some("2.0-1"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 11);
    }

    #[test]
    fn problems_are_capped_then_counted() {
        let text = "Package: x\n\n".repeat(MAX_PROBLEMS + 5) + "Package: ok\nVersion: 1\n";
        let (entries, problems) = parse_status(&text);
        assert_eq!(entries.len(), 1);
        assert_eq!(problems.len(), MAX_PROBLEMS + 1);
        let last = &problems[MAX_PROBLEMS];
        assert_eq!(last.line, 2 * MAX_PROBLEMS + 1);
        assert!(last.message.starts_with("5 more broken stanzas"), "{}", last.message);
    }

    #[test]
    fn version_validation() {
        for ok in ["1.0", "1:5.1.1-12ubuntu1", "20.10.7~3-0~debian-buster", "2.38.1-5+deb12u3", "1:2.3:4-5"] {
            assert!(is_valid_version(ok), "{ok}");
        }
        for bad in ["1:5.#", "a1.0", "", "1:", ":1", "1.0-", "x:1.0"] {
            assert!(!is_valid_version(bad), "{bad}");
        }
    }
}
