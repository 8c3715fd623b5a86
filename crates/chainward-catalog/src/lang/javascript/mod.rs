//! JavaScript: installed `node_modules` packages and the lockfiles of npm, yarn, pnpm and bun.
//!
//! - [`NodeModulesCataloger`]: every `node_modules/<name>/package.json` and
//!   `node_modules/@scope/<name>/package.json`, at any depth (`node_modules/a/node_modules/b`),
//!   with the package folder as evidence; and the project's own `package.json` (outside
//!   `node_modules`, next to a lockfile or a `node_modules` folder) as the root project.
//! - [`JsLockfileCataloger`]: `package-lock.json` / `npm-shrinkwrap.json` (v1–v3),
//!   `yarn.lock` (v1 and berry), `pnpm-lock.yaml` (v5–v9) and `bun.lock`, by file name.
//!
//! Everything is read as data (JSON, YAML through the bounded `chainward-yaml` parser, and
//! line-oriented yarn and JSONC bun readers); no script or manifest is ever evaluated.

pub mod bun_lock;
pub mod package_json;
pub mod package_lock;
pub mod pnpm_lock;
pub mod yarn_lock;

use chainward_image::NodeKind;
use chainward_model::{Ecosystem, Evidence, Location, Package, Relationship};

use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// A `package.json` larger than this is not a package's metadata worth keeping in memory.
pub const MAX_PACKAGE_JSON: u64 = 4 << 20;
/// Lockfiles of real monorepos reach a few MB; 32 MB leaves room and bounds the parse.
pub const MAX_LOCKFILE: u64 = 32 << 20;

/// Why a JavaScript file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JsError {
    /// Not valid JSON (or, for bun.lock, not valid JSONC).
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON reader said.
        message: String,
    },
    /// Valid JSON or YAML, but not the expected shape.
    #[error("{what} is not {expected}")]
    Shape {
        /// The part of the file.
        what: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// The YAML reader stopped (syntax, size, nesting or alias-expansion limits).
    #[error("YAML: {0}")]
    Yaml(#[from] chainward_yaml::YamlError),
    /// A line of a line-oriented lockfile could not be read.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: &'static str,
    },
    /// The file is not UTF-8 text.
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    Utf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
}

/// JSON with serde_json (its recursion limit of 128 bounds nesting).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, JsError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| JsError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, JsError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsError::Utf8 { offset: e.valid_up_to() })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Whether a path is a package's own `package.json` inside a `node_modules` folder.
fn is_installed_manifest(path: &str) -> bool {
    let Some(i) = path.rfind("node_modules/") else { return false };
    if i > 0 && !path[..i].ends_with('/') {
        return false;
    }
    let rest = &path[i + "node_modules/".len()..];
    let Some(dir) = rest.strip_suffix("/package.json") else { return false };
    let mut parts = dir.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scope), Some(name), None) => scope.starts_with('@') && scope.len() > 1 && !name.is_empty(),
        (Some(name), None, None) => !name.is_empty() && !name.starts_with('.') && !name.starts_with('@'),
        _ => false,
    }
}

fn in_node_modules(path: &str) -> bool {
    path.starts_with("node_modules/") || path.contains("/node_modules/")
}

/// The lockfile names chainward reads.
const LOCKFILES: &[&str] = &["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock"];

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_lockfile(path: &str) -> bool {
    LOCKFILES.contains(&file_name(path)) && !in_node_modules(path)
}

fn is_project_manifest(path: &str) -> bool {
    file_name(path) == "package.json" && !in_node_modules(path)
}

fn warn(cataloger: &'static str, path: &str, message: String) -> Warning {
    Warning { cataloger, path: format!("/{path}"), message }
}

/// Reads a file the cataloger wants, with its size bound; `None` after a warning.
fn read_bounded<'t>(
    ctx: &CatalogContext<'t>,
    cataloger: &'static str,
    path: &str,
    size: u64,
    limit: u64,
    out: &mut CatalogOutput,
) -> Option<std::borrow::Cow<'t, [u8]>> {
    if size > limit {
        out.warnings.push(warn(cataloger, path, format!("{size} bytes, more than the {limit}-byte limit; not read")));
        return None;
    }
    match ctx.tree.read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            out.warnings.push(warn(cataloger, path, e.to_string()));
            None
        }
    }
}

/// Installed packages under `node_modules`, and the project's own `package.json`.
pub struct NodeModulesCataloger;

impl Cataloger for NodeModulesCataloger {
    fn name(&self) -> &'static str {
        "npm-installed"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_PACKAGE_JSON && (is_installed_manifest(path) || is_project_manifest(path))
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for (path, node) in ctx.files() {
            if node.kind != NodeKind::File {
                continue;
            }
            let installed = is_installed_manifest(path);
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            if !installed {
                if !is_project_manifest(path) {
                    continue;
                }
                // A project: a package.json that was installed from (a lockfile or a
                // node_modules folder beside it). Other package.json files (fixtures,
                // workspace members, tooling) are not a project of their own.
                let sibling = |name: &str| {
                    let p = if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
                    ctx.tree.get(&p).is_some()
                };
                if !LOCKFILES.iter().any(|l| sibling(l)) && !sibling("node_modules") {
                    continue;
                }
            }
            let Some(bytes) = read_bounded(ctx, "npm-installed", path, node.size, MAX_PACKAGE_JSON, &mut out) else {
                continue;
            };
            match package_json::parse(&bytes) {
                Ok(Some(m)) => {
                    let mut p = Package::new(Ecosystem::Npm, m.name, m.version);
                    p.licenses = m.licenses;
                    // Installed: the package folder is the evidence (as Syft and Trivy
                    // show it); the project: its package.json.
                    let evidence = if installed {
                        dir.to_owned()
                    } else {
                        p.evidence = Evidence::Manifest;
                        p.relationship = Some(Relationship::Root);
                        path.to_owned()
                    };
                    p.locations.push(Location {
                        path: format!("/{evidence}"),
                        layer: ctx.layer_digest(ctx.tree.layer_of(path)),
                    });
                    out.packages.push(p);
                }
                Ok(None) => {}
                Err(e) => out.warnings.push(warn("npm-installed", path, e.to_string())),
            }
        }
        out
    }
}

/// npm, yarn, pnpm and bun lockfiles.
pub struct JsLockfileCataloger;

impl Cataloger for JsLockfileCataloger {
    fn name(&self) -> &'static str {
        "js-lockfile"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_LOCKFILE && is_lockfile(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for (path, node) in ctx.files() {
            if node.kind != NodeKind::File || !is_lockfile(path) {
                continue;
            }
            let Some(bytes) = read_bounded(ctx, "js-lockfile", path, node.size, MAX_LOCKFILE, &mut out) else {
                continue;
            };
            let parsed = match file_name(path) {
                "yarn.lock" => yarn_lock::parse(&bytes),
                "pnpm-lock.yaml" => pnpm_lock::parse(&bytes),
                "bun.lock" => bun_lock::parse(&bytes),
                _ => package_lock::parse(&bytes),
            };
            match parsed {
                Ok(packages) => {
                    let layer = ctx.layer_digest(ctx.tree.layer_of(path));
                    for mut p in packages {
                        p.locations.push(Location { path: format!("/{path}"), layer: layer.clone() });
                        out.packages.push(p);
                    }
                }
                Err(e) => out.warnings.push(warn("js-lockfile", path, e.to_string())),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_manifest_paths() {
        assert!(is_installed_manifest("app/node_modules/accepts/package.json"));
        assert!(is_installed_manifest("node_modules/@types/node/package.json"));
        assert!(is_installed_manifest("app/node_modules/a/node_modules/b/package.json"));
        assert!(!is_installed_manifest("app/node_modules/a/lib/package.json"));
        assert!(!is_installed_manifest("app/node_modules/.bin/package.json"));
        assert!(!is_installed_manifest("app/node_modules/@types/package.json"));
        assert!(!is_installed_manifest("app/my_node_modules/a/package.json"));
        assert!(!is_installed_manifest("app/package.json"));
        assert!(is_project_manifest("app/package.json"));
        assert!(is_lockfile("app/yarn.lock"));
        assert!(!is_lockfile("app/node_modules/x/yarn.lock"));
    }
}
