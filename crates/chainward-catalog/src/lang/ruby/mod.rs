//! Ruby: Bundler lockfiles and installed gem specifications.
//!
//! - [`GemfileLockCataloger`]: `Gemfile.lock` (and Bundler's alternative name `gems.locked`):
//!   every gem of the GEM, GIT, PATH and PLUGIN SOURCE `specs:` lists, direct when the
//!   `DEPENDENCIES` section names it, with the dependency edges the lockfile records.
//! - [`GemspecCataloger`]: `specifications/*.gemspec` under any gem home (Trivy and Syft both
//!   read these), parsed as data by a literal reader, never evaluated.

pub mod gemfile_lock;
pub mod gemspec;

use std::collections::BTreeMap;

use chainward_model::{Ecosystem, Evidence, Package, Relationship};

use super::file_walk::{file_name, for_each_file, location, utf8_text};
use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// A Gemfile.lock of a large application is well under a megabyte.
const MAX_LOCKFILE: u64 = 32 << 20;
/// A gemspec is a few kilobytes.
const MAX_GEMSPEC: u64 = 1 << 20;

fn is_gemfile_lock(path: &str) -> bool {
    matches!(file_name(path), "Gemfile.lock" | "gems.locked")
}

/// `…/specifications/NAME-VERSION.gemspec`, including RubyGems' `specifications/default/`.
fn is_installed_gemspec(path: &str) -> bool {
    let Some((dir, file)) = path.rsplit_once('/') else { return false };
    file.ends_with(".gemspec")
        && (dir == "specifications"
            || dir.ends_with("/specifications")
            || dir == "specifications/default"
            || dir.ends_with("/specifications/default"))
}

/// Bundler lockfiles.
pub struct GemfileLockCataloger;

impl Cataloger for GemfileLockCataloger {
    fn name(&self) -> &'static str {
        "gemfile-lock"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_LOCKFILE && is_gemfile_lock(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_gemfile_lock, MAX_LOCKFILE, &mut out, |path, bytes, out| {
            let warn = |message: String| Warning { cataloger: "gemfile-lock", path: format!("/{path}"), message };
            let text = match utf8_text(bytes) {
                Ok(t) => t,
                Err(e) => return out.warnings.push(warn(e)),
            };
            let lock = gemfile_lock::parse(text);
            for p in &lock.problems {
                out.warnings.push(warn(format!("line {}: {}", p.line, p.message)));
            }
            out.packages.extend(packages(&lock, || location(ctx, path)));
        });
        out
    }
}

/// The packages of a parsed lockfile: relationship from `DEPENDENCIES`, edges resolved to
/// the locked version of each required gem (requirements on gems the lockfile does not
/// lock, such as `bundler` itself, are left out).
fn packages(lock: &gemfile_lock::GemfileLock, loc: impl Fn() -> chainward_model::Location) -> Vec<Package> {
    // A name is locked once per source in practice; with several versions, every version is
    // a candidate and each edge names them all.
    let mut versions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in &lock.gems {
        versions.entry(g.name.as_str()).or_default().push(g.version.as_str());
    }
    lock.gems
        .iter()
        .map(|g| {
            let mut p = Package::new(Ecosystem::Gem, g.name.clone(), g.version.clone());
            p.evidence = Evidence::Lockfile;
            p.locations.push(loc());
            p.relationship = lock
                .direct
                .as_ref()
                .map(|direct| if direct.contains(&g.name) { Relationship::Direct } else { Relationship::Indirect });
            p.depends_on = g
                .requires
                .iter()
                .flat_map(|r| versions.get(r.as_str()).into_iter().flatten().map(move |v| format!("{r}@{v}")))
                .collect();
            p
        })
        .collect()
}

/// Installed gem specifications.
pub struct GemspecCataloger;

impl Cataloger for GemspecCataloger {
    fn name(&self) -> &'static str {
        "gemspec"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_GEMSPEC && is_installed_gemspec(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_installed_gemspec, MAX_GEMSPEC, &mut out, |path, bytes, out| {
            let warn = |message: String| Warning { cataloger: "gemspec", path: format!("/{path}"), message };
            // Gemspecs are UTF-8 by RubyGems' `# -*- encoding: utf-8 -*-`; a stray byte in a
            // description must not lose the package, so decode lossily.
            let text = String::from_utf8_lossy(bytes);
            match gemspec::parse(&text) {
                Ok(spec) => {
                    let mut p = Package::new(Ecosystem::Gem, spec.name, spec.version);
                    p.licenses = spec.licenses;
                    p.locations.push(location(ctx, path));
                    out.packages.push(p);
                }
                Err(e) => out.warnings.push(warn(e.to_string())),
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
        assert!(is_installed_gemspec("usr/local/lib/ruby/gems/3.2.0/specifications/rack-3.0.8.gemspec"));
        assert!(is_installed_gemspec("usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"));
        assert!(is_installed_gemspec("usr/local/bundle/specifications/x-1.gemspec"));
        assert!(!is_installed_gemspec("app/rack.gemspec"));
        assert!(!is_installed_gemspec("app/specifications-old/x.gemspec"));
        assert!(is_gemfile_lock("app/Gemfile.lock"));
        assert!(is_gemfile_lock("Gemfile.lock"));
        assert!(!is_gemfile_lock("app/Gemfile"));
    }

    #[test]
    fn edges_resolve_to_locked_versions() {
        let lock = gemfile_lock::parse(
            "GEM\n  specs:\n    a (1.0)\n      b (>= 1)\n      bundler\n    b (2.0)\n\nDEPENDENCIES\n  a\n",
        );
        let pkgs = packages(&lock, || chainward_model::Location { path: "/Gemfile.lock".into(), layer: None });
        assert_eq!(pkgs[0].depends_on, ["b@2.0"]);
        assert_eq!(pkgs[0].relationship, Some(Relationship::Direct));
        assert_eq!(pkgs[1].relationship, Some(Relationship::Indirect));
        assert_eq!(pkgs[1].evidence, Evidence::Lockfile);
    }
}
