//! Python: installed distributions and pip requirements files.
//!
//! - [`PythonInstalledCataloger`]: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and
//!   single-file `*.egg-info`, wherever they are (site-packages, dist-packages, virtualenvs).
//! - [`PipRequirementsCataloger`]: `requirements*.txt` (and `*requirements.txt`), the exact
//!   pins they list, following `-r` includes inside the same tree.
//! - [`PythonLockfileCataloger`]: `poetry.lock`, `Pipfile.lock`, `uv.lock`, `pdm.lock` and
//!   `pylock.toml` (one module each, sharing [`lockfile`]).

pub mod lockfile;
pub mod metadata;
pub mod pdm;
pub mod pipenv;
pub mod poetry;
pub mod pylock;
pub mod requirements;
pub mod uv;

pub use lockfile::PythonLockfileCataloger;

use chainward_model::{Ecosystem, Evidence, Location, Package};

use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// Metadata files are small; a larger one is not a metadata file worth keeping in memory.
const MAX_METADATA: u64 = 4 << 20;
/// Requirements files are small too.
const MAX_REQUIREMENTS: u64 = 8 << 20;
/// How deep `-r` includes are followed (pip has no limit; loops are cut by a visited set).
const MAX_INCLUDE_DEPTH: usize = 16;

/// PEP 503 normalisation, for comparing names: lowercase, runs of `-`, `_`, `.` as one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_run = false;
        }
    }
    out
}

fn is_metadata_path(path: &str) -> bool {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let dir_name = dir.rsplit('/').next().unwrap_or(dir);
    (file == "METADATA" && dir_name.ends_with(".dist-info"))
        || (file == "PKG-INFO" && (dir_name.ends_with(".egg-info") || dir_name == "EGG-INFO"))
        || file.ends_with(".egg-info")
}

/// Installed Python distributions.
pub struct PythonInstalledCataloger;

impl Cataloger for PythonInstalledCataloger {
    fn name(&self) -> &'static str {
        "python-installed"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_METADATA && is_metadata_path(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for (path, node) in ctx.files() {
            if !is_metadata_path(path) || node.kind != chainward_image::NodeKind::File {
                continue;
            }
            let warn = |message: String| Warning { cataloger: "python-installed", path: format!("/{path}"), message };
            let bytes = match ctx.tree.read(path) {
                Ok(b) => b,
                Err(e) => {
                    out.warnings.push(warn(e.to_string()));
                    continue;
                }
            };
            match metadata::parse(&bytes) {
                Ok(m) => {
                    let mut p = Package::new(Ecosystem::Python, m.name, m.version);
                    p.licenses = m.licenses;
                    // The evidence is the distribution's metadata directory, as Syft and
                    // Trivy show it (a single-file .egg-info is its own evidence).
                    let evidence = match path.rsplit_once('/') {
                        Some((dir, "METADATA" | "PKG-INFO")) => dir,
                        _ => path,
                    };
                    p.locations.push(Location {
                        path: format!("/{evidence}"),
                        layer: ctx.layer_digest(ctx.tree.layer_of(path)),
                    });
                    out.packages.push(p);
                }
                Err(e) => out.warnings.push(warn(e.to_string())),
            }
        }
        out
    }
}

fn is_requirements_path(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.ends_with(".txt") && (file.starts_with("requirements") || file.ends_with("requirements.txt"))
}

/// pip requirements files (lockfile-like: exact pins only).
pub struct PipRequirementsCataloger {
    /// Read the lower bound of ranges as the version (Trivy's `useMinVersion`).
    pub options: requirements::Options,
}

impl Cataloger for PipRequirementsCataloger {
    fn name(&self) -> &'static str {
        "pip-requirements"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        // Includes are usually requirements files themselves, or live in a `requirements/`
        // folder (`-r base.txt`), or are constraints files. Other .txt files (licenses,
        // docs) are not kept: an include of one in an image is reported as not captured.
        size <= MAX_REQUIREMENTS
            && path.ends_with(".txt")
            && (is_requirements_path(path) || path.contains("requirements/") || path.contains("constraints"))
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        let roots: Vec<&str> = ctx.files().map(|(p, _)| p).filter(|p| is_requirements_path(p)).collect();
        for root in roots {
            let mut visited = std::collections::BTreeSet::new();
            self.read_file(ctx, root, 0, &mut visited, &mut out);
        }
        out
    }
}

impl PipRequirementsCataloger {
    fn read_file(
        &self,
        ctx: &CatalogContext<'_>,
        path: &str,
        depth: usize,
        visited: &mut std::collections::BTreeSet<String>,
        out: &mut CatalogOutput,
    ) {
        let warn = |message: String| Warning { cataloger: "pip-requirements", path: format!("/{path}"), message };
        if depth > MAX_INCLUDE_DEPTH || !visited.insert(path.to_owned()) {
            return;
        }
        let bytes = match ctx.tree.read(path) {
            Ok(b) => b,
            Err(e) => {
                out.warnings.push(warn(e.to_string()));
                return;
            }
        };
        let text = match requirements::decode(&bytes) {
            Ok(t) => t,
            Err(e) => {
                out.warnings.push(warn(format!("not UTF-8 or UTF-16 text (byte {})", e.valid_up_to())));
                return;
            }
        };
        let parsed = requirements::parse(&text, self.options);
        for r in parsed.requirements {
            let mut p = Package::new(Ecosystem::Python, r.name, r.version);
            p.evidence = Evidence::Lockfile;
            p.locations.push(Location { path: format!("/{path}"), layer: ctx.layer_digest(ctx.tree.layer_of(path)) });
            out.packages.push(p);
        }
        // Included files are found relative to the including file, inside the tree only.
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for include in parsed.includes {
            if include.contains("://") {
                continue;
            }
            let joined = if dir.is_empty() { include.clone() } else { format!("{dir}/{include}") };
            match ctx.tree.resolve(&joined) {
                Ok(resolved) if ctx.tree.get(&resolved).is_some() => {
                    // Files named by the requirements pattern are read on their own as well.
                    if !is_requirements_path(&resolved) {
                        self.read_file(ctx, &resolved, depth + 1, visited, out);
                    }
                }
                _ => out.warnings.push(warn(format!("included file {include} is not in the scanned tree"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_name("FrIeNdLy-_-bArD"), "friendly-bard");
        assert_eq!(normalize_name("dots-._allowed"), "dots-allowed");
        assert_eq!(normalize_name("Jinja2"), "jinja2");
    }

    #[test]
    fn metadata_paths() {
        assert!(is_metadata_path("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"));
        assert!(is_metadata_path("opt/venv/lib/python3.11/site-packages/x-1.egg-info/PKG-INFO"));
        assert!(is_metadata_path("usr/lib/python3/dist-packages/distlib-0.3.1-py3.9.egg-info"));
        assert!(is_metadata_path("x.egg/EGG-INFO/PKG-INFO"));
        assert!(!is_metadata_path("usr/share/doc/METADATA"));
        assert!(is_requirements_path("app/requirements-dev.txt"));
        assert!(is_requirements_path("app/dev-requirements.txt"));
        assert!(!is_requirements_path("app/notes.txt"));
    }
}
