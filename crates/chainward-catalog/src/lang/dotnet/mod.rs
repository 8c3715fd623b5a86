//! .NET: NuGet packages of published applications and of source trees.
//!
//! - [`DotnetDepsCataloger`]: `*.deps.json` next to a published app, installed evidence
//!   (what the app loads), with root/workspace/direct/indirect relationships.
//! - [`NugetLockCataloger`]: `packages.lock.json`, lockfile evidence.
//! - [`PackagesConfigCataloger`]: `packages.config` (the pre-PackageReference list of every
//!   package a project restores, exact versions), lockfile evidence; development
//!   dependencies flagged dev.
//! - [`PackagesPropsCataloger`]: `Directory.Packages.props` / `Packages.props` (central
//!   package versions), manifest evidence.

pub mod deps_json;
pub mod nuget_xml;
pub mod packages_lock;

use chainward_model::{Ecosystem, Evidence, Package, Relationship};

use super::file_walk::{file_name, for_each_file, location, utf8_text};
use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// JSON lockfiles and deps files of large solutions stay in the low megabytes.
const MAX_JSON: u64 = 32 << 20;
/// NuGet XML files are small.
const MAX_XML: u64 = 8 << 20;

fn is_deps_json(path: &str) -> bool {
    let f = file_name(path);
    f.len() > ".deps.json".len() && f.ends_with(".deps.json")
}

fn is_packages_lock(path: &str) -> bool {
    file_name(path) == "packages.lock.json"
}

fn is_packages_config(path: &str) -> bool {
    file_name(path) == "packages.config"
}

/// `Directory.Packages.props` and `Packages.props` (any case, as Trivy matches them).
fn is_packages_props(path: &str) -> bool {
    let f = file_name(path).to_ascii_lowercase();
    f == "packages.props" || f == "directory.packages.props"
}

fn nuget(name: String, version: String, evidence: Evidence) -> Package {
    let mut p = Package::new(Ecosystem::Nuget, name, version);
    p.evidence = evidence;
    p
}

/// Published .NET applications' dependency files.
pub struct DotnetDepsCataloger;

impl Cataloger for DotnetDepsCataloger {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_JSON && is_deps_json(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_deps_json, MAX_JSON, &mut out, |path, bytes, out| {
            let warn = |message: String| Warning { cataloger: "dotnet-deps", path: format!("/{path}"), message };
            match deps_json::parse(bytes) {
                Ok((libs, skipped)) => {
                    out.warnings.extend(skipped.into_iter().map(warn));
                    let loc = location(ctx, path);
                    for lib in libs {
                        let mut p = nuget(lib.name, lib.version, Evidence::Installed);
                        p.relationship = lib.relationship;
                        p.depends_on = lib.depends_on;
                        p.locations.push(loc.clone());
                        out.packages.push(p);
                    }
                }
                Err(e) => out.warnings.push(warn(e.to_string())),
            }
        });
        out
    }
}

/// NuGet lockfiles.
pub struct NugetLockCataloger;

impl Cataloger for NugetLockCataloger {
    fn name(&self) -> &'static str {
        "nuget-lock"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_JSON && is_packages_lock(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_packages_lock, MAX_JSON, &mut out, |path, bytes, out| {
            let warn = |message: String| Warning { cataloger: "nuget-lock", path: format!("/{path}"), message };
            match packages_lock::parse(bytes) {
                Ok((locked, skipped)) => {
                    out.warnings.extend(skipped.into_iter().map(warn));
                    let loc = location(ctx, path);
                    for l in locked {
                        let mut p = nuget(l.name, l.version, Evidence::Lockfile);
                        p.relationship = Some(if l.direct { Relationship::Direct } else { Relationship::Indirect });
                        p.depends_on = l.depends_on;
                        p.locations.push(loc.clone());
                        out.packages.push(p);
                    }
                }
                Err(e) => out.warnings.push(warn(e.to_string())),
            }
        });
        out
    }
}

/// `packages.config` files.
pub struct PackagesConfigCataloger;

impl Cataloger for PackagesConfigCataloger {
    fn name(&self) -> &'static str {
        "nuget-packages-config"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_XML && is_packages_config(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_packages_config, MAX_XML, &mut out, |path, bytes, out| {
            let warn =
                |message: String| Warning { cataloger: "nuget-packages-config", path: format!("/{path}"), message };
            let parsed = utf8_text(bytes).and_then(|t| nuget_xml::parse_packages_config(t).map_err(|e| e.to_string()));
            match parsed {
                Ok((refs, skipped)) => {
                    out.warnings.extend(skipped.into_iter().map(warn));
                    for r in refs {
                        let mut p = nuget(r.name, r.version, Evidence::Lockfile);
                        p.dev = r.dev;
                        p.locations.push(location(ctx, path));
                        out.packages.push(p);
                    }
                }
                Err(e) => out.warnings.push(warn(e)),
            }
        });
        out
    }
}

/// Central package version files.
pub struct PackagesPropsCataloger;

impl Cataloger for PackagesPropsCataloger {
    fn name(&self) -> &'static str {
        "nuget-packages-props"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_XML && is_packages_props(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_packages_props, MAX_XML, &mut out, |path, bytes, out| {
            let warn =
                |message: String| Warning { cataloger: "nuget-packages-props", path: format!("/{path}"), message };
            match utf8_text(bytes).and_then(|t| nuget_xml::parse_packages_props(t).map_err(|e| e.to_string())) {
                Ok(refs) => {
                    for r in refs {
                        let mut p = nuget(r.name, r.version, Evidence::Manifest);
                        p.locations.push(location(ctx, path));
                        out.packages.push(p);
                    }
                }
                Err(e) => out.warnings.push(warn(e)),
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(is_deps_json("app/MyApp.deps.json"));
        assert!(!is_deps_json("app/.deps.json"));
        assert!(is_packages_lock("src/App/packages.lock.json"));
        assert!(is_packages_config("src/App/packages.config"));
        assert!(is_packages_props("Directory.Packages.props"));
        assert!(is_packages_props("src/packages.props"));
        assert!(!is_packages_props("src/Directory.Build.props"));
    }
}
