//! The nuget-lock, dotnet-deps, nuget-packages-config and nuget-packagesprops cases of
//! `../shared/corpus/pkgdb/cases.tsv`, each input placed where a real tree has it: a
//! project's `packages.lock.json` / `packages.config`, a published app's `<App>.deps.json`,
//! a solution's `Directory.Packages.props` (Trivy's `packages.props` fixture as
//! `Packages.props`, its extension-less `several_item_groups` as `Directory.Packages.props`).
//!
//! Deviation from the peer, asserted below:
//! - `trivy-dev_dependency`: Trivy drops `developmentDependency="true"` packages from
//!   `packages.config`; chainward reports them flagged dev, as it does for every lockfile
//!   that marks development dependencies, so a report can show or hide them. The non-dev
//!   packages are compared with Trivy's list; the dev ones must be exactly the file's
//!   `developmentDependency` entries.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod lang_corpus;

use chainward_catalog::lang::dotnet::{
    DotnetDepsCataloger, NugetLockCataloger, PackagesConfigCataloger, PackagesPropsCataloger,
};
use chainward_model::{Ecosystem, Evidence, Package};
use lang_corpus::{as_recorded, cases, catalog_placed, compare};

fn check_common(name: &str, packages: &[Package], path: &str, evidence: Evidence) {
    for p in packages {
        assert_eq!((p.ecosystem, p.evidence), (Ecosystem::Nuget, evidence), "{name}");
        assert_eq!(p.locations[0].path, path, "{name}");
        assert_eq!(p.purl(&Default::default()), format!("pkg:nuget/{}@{}", p.name, p.version), "{name}");
        for d in &p.depends_on {
            assert!(packages.iter().any(|q| &q.key() == d), "{name}: {} → {d}", p.key());
        }
    }
}

#[test]
fn nuget_lock_cases() {
    for case in cases("nuget-lock", 4) {
        let catalog = catalog_placed(&case.input, "src/App/packages.lock.json", Box::new(NugetLockCataloger));
        assert!(catalog.warnings.is_empty(), "{}: {:?}", case.name, catalog.warnings);
        check_common(&case.name, &catalog.packages, "/src/App/packages.lock.json", Evidence::Lockfile);
        compare(&case, &catalog.packages, as_recorded);
    }
}

#[test]
fn dotnet_deps_cases() {
    for case in cases("dotnet-deps", 5) {
        let rel = format!("app/{}", case.file_name());
        let catalog = catalog_placed(&case.input, &rel, Box::new(DotnetDepsCataloger));
        assert!(catalog.warnings.is_empty(), "{}: {:?}", case.name, catalog.warnings);
        // A published app's deps.json says what it loads: installed evidence.
        check_common(&case.name, &catalog.packages, &format!("/{rel}"), Evidence::Installed);
        compare(&case, &catalog.packages, as_recorded);
    }
}

#[test]
fn nuget_packages_config_cases() {
    for case in cases("nuget-packages-config", 2) {
        let catalog = catalog_placed(&case.input, "src/App/packages.config", Box::new(PackagesConfigCataloger));
        assert!(catalog.warnings.is_empty(), "{}: {:?}", case.name, catalog.warnings);
        check_common(&case.name, &catalog.packages, "/src/App/packages.config", Evidence::Lockfile);
        // Deviation (see the file comment): development dependencies are kept, flagged dev.
        let text = std::fs::read_to_string(&case.input).unwrap();
        let (dev, prod): (Vec<Package>, Vec<Package>) = catalog.packages.into_iter().partition(|p| p.dev);
        let dev_in_file = text.lines().filter(|l| l.contains("developmentDependency=\"true\"")).count();
        assert_eq!(dev.len(), dev_in_file, "{}", case.name);
        for p in &dev {
            assert!(text.lines().any(|l| l.contains(&format!("id=\"{}\" version=\"{}\"", p.name, p.version))
                && l.contains("developmentDependency=\"true\"")));
        }
        compare(&case, &prod, as_recorded);
    }
}

#[test]
fn nuget_packagesprops_cases() {
    for case in cases("nuget-packagesprops", 3) {
        let rel =
            if case.file_name() == "packages.props" { "src/Packages.props" } else { "src/Directory.Packages.props" };
        let catalog = catalog_placed(&case.input, rel, Box::new(PackagesPropsCataloger));
        assert!(catalog.warnings.is_empty(), "{}: {:?}", case.name, catalog.warnings);
        check_common(&case.name, &catalog.packages, &format!("/{rel}"), Evidence::Manifest);
        compare(&case, &catalog.packages, as_recorded);
    }
}
