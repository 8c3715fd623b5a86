//! The bundler and gemspec cases of `../shared/corpus/pkgdb/cases.tsv`: each input placed
//! where a real tree has it (an app's `Gemfile.lock`; a gem home's `specifications/`), the
//! tree read as a rootfs, and exactly the peer's packages expected.
//!
//! Deviations from the peer, each asserted below:
//! - `trivy-normal01`: the gemspec says `spec.licenses = "MIT" # invalid`. Trivy's regular
//!   expression wants an array and reports no license; in Ruby `Gem::Specification#licenses=`
//!   wraps a single string in an array (`Array(licenses)`), so RubyGems itself reads `["MIT"]`,
//!   and chainward does too.
//! - Relationships: Syft's test states none; chainward marks gems named under DEPENDENCIES
//!   direct and the rest indirect, as Trivy does (checked on Trivy's case).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod lang_corpus;

use chainward_catalog::lang::ruby::{GemfileLockCataloger, GemspecCataloger};
use chainward_model::{Ecosystem, Evidence};
use lang_corpus::{as_recorded, cases, catalog_placed, compare};

#[test]
fn bundler_cases() {
    for case in cases("bundler", 2) {
        let catalog = catalog_placed(&case.input, "srv/app/Gemfile.lock", Box::new(GemfileLockCataloger));
        // Syft's fixture has a `BAD-SECTION` with spec-like lines: an unknown section is
        // skipped silently, as Bundler's own parser does.
        assert!(catalog.warnings.is_empty(), "{}: {:?}", case.name, catalog.warnings);
        for p in &catalog.packages {
            assert_eq!(p.ecosystem, Ecosystem::Gem);
            assert_eq!(p.evidence, Evidence::Lockfile);
            assert_eq!(p.locations[0].path, "/srv/app/Gemfile.lock");
            // Edges name packages of the same file.
            for d in &p.depends_on {
                assert!(catalog.packages.iter().any(|q| &q.key() == d), "{}: {} → {d}", case.name, p.key());
            }
        }
        compare(&case, &catalog.packages, as_recorded);
        if case.name == "trivy-Gemfile_normal" {
            // `pry (0.12.2)` requires `coderay (~> 1.1.0)` and `method_source (~> 0.9.0)`.
            let pry = catalog.packages.iter().find(|p| p.name == "pry").unwrap();
            assert_eq!(pry.depends_on, ["coderay@1.1.2", "method_source@0.9.2"]);
        }
    }
}

#[test]
fn gemspec_cases() {
    for case in cases("gemspec", 3) {
        let rel = format!("usr/local/lib/ruby/gems/3.2.0/specifications/{}", case.file_name());
        let catalog = catalog_placed(&case.input, &rel, Box::new(GemspecCataloger));
        assert!(catalog.warnings.is_empty(), "{}: {:?}", case.name, catalog.warnings);
        for p in &catalog.packages {
            assert_eq!(p.evidence, Evidence::Installed);
            assert_eq!(p.locations[0].path, format!("/{rel}"), "{}: the gemspec is the evidence", case.name);
            assert!(p.purl(&Default::default()).starts_with("pkg:gem/"));
        }
        compare(&case, &catalog.packages, as_recorded);
        if case.name == "trivy-normal01" {
            // Deviation (see the file comment): Ruby reads a single-string `licenses=`.
            assert!(case.expected[0].get("licenses").is_none());
            assert_eq!(catalog.packages[0].licenses, ["MIT"]);
        }
    }
}
