//! PHP: Composer lockfiles and the packages installed in `vendor/`.
//!
//! - [`ComposerLockCataloger`]: `composer.lock`; `packages-dev` entries are flagged dev.
//! - [`ComposerInstalledCataloger`]: `<vendor-dir>/composer/installed.json` (Composer 1 and
//!   2), installed evidence: what is in the image, and what wins over the lockfile.

pub mod composer;

use std::collections::BTreeMap;

use chainward_model::{Ecosystem, Evidence, Location, Package};

use super::file_walk::{file_name, for_each_file, location};
use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// Composer files of large applications are a few megabytes at most.
const MAX_COMPOSER_FILE: u64 = 32 << 20;

fn is_composer_lock(path: &str) -> bool {
    file_name(path) == "composer.lock"
}

/// `…/composer/installed.json`: Composer writes it in `<vendor-dir>/composer/`, whatever the
/// vendor directory is named (`config.vendor-dir`).
fn is_installed_json(path: &str) -> bool {
    path == "composer/installed.json" || path.ends_with("/composer/installed.json")
}

fn to_packages(parsed: composer::Parsed, evidence: Evidence, loc: &Location) -> Vec<Package> {
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &parsed.packages {
        versions.entry(p.name.clone()).or_default().push(p.version.clone());
    }
    parsed
        .packages
        .into_iter()
        .map(|c| {
            let depends_on = c
                .requires
                .iter()
                .flat_map(|r| versions.get(r).into_iter().flatten().map(move |v| format!("{r}@{v}")))
                .collect();
            let mut p = Package::new(Ecosystem::Composer, c.name, c.version);
            p.licenses = c.licenses;
            p.dev = c.dev;
            p.evidence = evidence;
            p.locations.push(loc.clone());
            p.depends_on = depends_on;
            p
        })
        .collect()
}

fn catalog_files(
    ctx: &CatalogContext<'_>,
    cataloger: &'static str,
    matches: fn(&str) -> bool,
    parse: fn(&[u8]) -> Result<composer::Parsed, composer::ComposerError>,
    evidence: Evidence,
) -> CatalogOutput {
    let mut out = CatalogOutput::default();
    for_each_file(ctx, cataloger, matches, MAX_COMPOSER_FILE, &mut out, |path, bytes, out| {
        let warn = |message: String| Warning { cataloger, path: format!("/{path}"), message };
        match parse(bytes) {
            Ok(parsed) => {
                for (at, reason) in &parsed.skipped {
                    out.warnings.push(warn(format!("{at}: skipped, {reason}")));
                }
                out.packages.extend(to_packages(parsed, evidence, &location(ctx, path)));
            }
            Err(e) => out.warnings.push(warn(e.to_string())),
        }
    });
    out
}

/// Composer lockfiles.
pub struct ComposerLockCataloger;

impl Cataloger for ComposerLockCataloger {
    fn name(&self) -> &'static str {
        "composer-lock"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_COMPOSER_FILE && is_composer_lock(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        catalog_files(ctx, self.name(), is_composer_lock, composer::parse_lock, Evidence::Lockfile)
    }
}

/// Packages installed by Composer.
pub struct ComposerInstalledCataloger;

impl Cataloger for ComposerInstalledCataloger {
    fn name(&self) -> &'static str {
        "composer-installed"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_COMPOSER_FILE && is_installed_json(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        catalog_files(ctx, self.name(), is_installed_json, composer::parse_installed, Evidence::Installed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(is_installed_json("var/www/html/vendor/composer/installed.json"));
        assert!(!is_installed_json("var/www/html/vendor/installed.json"));
        assert!(is_composer_lock("app/composer.lock"));
        assert!(!is_composer_lock("app/composer.json"));
    }

    #[test]
    fn edges_within_the_file() {
        let parsed = composer::parse_lock(
            br#"{"packages":[{"name":"a/a","version":"1","require":{"b/b":"^2","gone/x":"1"}},{"name":"b/b","version":"2.1"}]}"#,
        )
        .unwrap();
        let loc = Location { path: "/composer.lock".into(), layer: None };
        let pkgs = to_packages(parsed, Evidence::Lockfile, &loc);
        assert_eq!(pkgs[0].depends_on, ["b/b@2.1"]);
        assert!(pkgs[1].depends_on.is_empty());
    }
}
