//! Packages embedded in binaries: Go build information and cargo-auditable.
//!
//! The pkgdb corpus keeps no compiled fixtures (its README: the `go-binary` and
//! `rust-binary` cases were removed), so the binaries are those `../shared/images/build`
//! compiles into the `debian-12-app` image: `/usr/local/bin/cw-go-demo` (Go 1.19.8, a main
//! module built from a checkout, a dependency replaced by a directory) and
//! `/usr/local/bin/cw-rust-demo` (built with `cargo auditable`). The expected rows are the
//! image's `app-packages.tsv` (`go-stdlib`, `go-main`, `gomod`, `cargo-auditable`). Both ways
//! of reading an executable are checked: the streamed compressed layers (the walk keeps only
//! the extract) and a root filesystem (extracted on the spot).
//!
//! Against Trivy (`trivy-baseline/debian-12-app.trivy.json`, CROSSCHECK.md): Trivy reports
//! the main module with an empty version where the binary records `(devel)`, the Go toolchain
//! as `v1.19.8` where the binary records `go1.19.8`, and the directory replacement
//! `./greeter` (no version) in place of `example.com/greeter v0.3.1`, the module the code is
//! known by; the expected TSV follows the binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chainward_catalog::lang::binary::BinaryCataloger;
use chainward_catalog::{CatalogContext, CatalogOutput, Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::{Ecosystem, Evidence, Relationship};

type Row = (Ecosystem, String, String, String);

/// The TSV's binary rows, as (ecosystem, name, version, path).
fn expected(shared: &Path) -> (BTreeSet<Row>, BTreeSet<(String, String)>) {
    let rows = chainward_testkit::read_tsv(&shared.join("images/expected/debian-12-app.app-packages.tsv"));
    let mut want = BTreeSet::new();
    let mut roots = BTreeSet::new();
    for row in rows {
        let ecosystem = match row["ecosystem"].as_str() {
            "go-stdlib" | "go-main" | "gomod" => Ecosystem::Go,
            "cargo-auditable" => Ecosystem::Cargo,
            _ => continue,
        };
        if row["ecosystem"] == "go-main" || row["scope"] == "root" {
            roots.insert((row["name"].clone(), row["version"].clone()));
        }
        want.insert((ecosystem, row["name"].clone(), row["version"].clone(), row["path"].clone()));
    }
    (want, roots)
}

fn check(catalog: &chainward_catalog::Catalog, shared: &Path, how: &str) {
    let (want, roots) = expected(shared);
    assert_eq!(want.len(), 3 + 18, "the Go binary's 3 rows and the Rust binary's 18");
    assert!(catalog.warnings.is_empty(), "{how}: {:?}", catalog.warnings);
    let got: BTreeSet<Row> = catalog
        .packages
        .iter()
        .map(|p| (p.ecosystem, p.name.clone(), p.version.clone(), p.locations[0].path.clone()))
        .collect();
    assert_eq!(got.len(), catalog.packages.len(), "{how}: no duplicates");
    assert_eq!(got, want, "{how}");
    for p in &catalog.packages {
        assert_eq!(p.evidence, Evidence::Binary, "{how}: {}", p.name);
        let is_root = roots.contains(&(p.name.clone(), p.version.clone()));
        assert_eq!(p.relationship == Some(Relationship::Root), is_root, "{how}: {}", p.name);
        if p.ecosystem == Ecosystem::Cargo && !is_root {
            assert!(p.relationship.is_some(), "{how}: {}", p.name);
        }
        assert!(p.locations[0].layer.is_some() || how == "rootfs", "{how}: {}", p.name);
    }
    // The dependency graph of the Rust binary: the root links 11 crates directly.
    let root = catalog.packages.iter().find(|p| p.name == "cw-rust-demo").unwrap();
    assert_eq!(root.depends_on.len(), 11, "{how}");
    let keys: BTreeSet<String> = catalog.packages.iter().map(|p| p.key()).collect();
    for p in &catalog.packages {
        for d in &p.depends_on {
            assert!(keys.contains(d), "{how}: {} depends on {d}", p.name);
        }
    }
    let purls: BTreeSet<String> = catalog.packages.iter().map(|p| p.purl(&Default::default())).collect();
    assert!(purls.contains("pkg:golang/stdlib@go1.19.8"), "{purls:?}");
    assert!(purls.contains("pkg:golang/example.com/greeter@v0.3.1"), "{purls:?}");
    assert!(purls.contains("pkg:cargo/serde_json@1.0.154"), "{purls:?}");
}

fn app_image(shared: &Path) -> Target {
    Target::OciLayout { dir: shared.join("images/oci"), tag: Some("debian-12-app".into()) }
}

#[test]
fn corpus_has_no_binary_cases() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let cases = chainward_testkit::read_tsv(&shared.join("corpus/pkgdb/cases.tsv"));
    let binary: Vec<_> = cases
        .iter()
        .filter(|c| matches!(c["type"].as_str(), "go-binary" | "rust-binary") || c["input"].ends_with(".elf"))
        .map(|c| c["case"].clone())
        .collect();
    // When binary cases come back to the corpus, this test is where they are run.
    assert_eq!(binary, Vec::<String>::new());
}

#[test]
fn debian_12_app_binaries_from_streamed_layers() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let set = CatalogerSet::new(vec![Box::new(BinaryCataloger)]);
    let image = load_image("debian-12-app", &app_image(&shared), &LoadOptions::default(), &set).unwrap();
    let catalog = set.catalog(&image.tree, &image.facts.layers);
    check(&catalog, &shared, "layers");
}

/// Keeps the two demo binaries' bytes (so they can be copied into a root filesystem).
struct KeepDemoBinaries;

impl Cataloger for KeepDemoBinaries {
    fn name(&self) -> &'static str {
        "keep"
    }
    fn wants(&self, path: &str, _size: u64) -> bool {
        path.starts_with("usr/local/bin/cw-")
    }
    fn catalog(&self, _ctx: &CatalogContext<'_>) -> CatalogOutput {
        CatalogOutput::default()
    }
}

#[test]
fn debian_12_app_binaries_in_a_root_filesystem() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let keep = CatalogerSet::new(vec![Box::new(KeepDemoBinaries)]);
    let image = load_image("debian-12-app", &app_image(&shared), &LoadOptions::default(), &keep).unwrap();
    let root = tempfile::tempdir().unwrap();
    for name in ["cw-go-demo", "cw-rust-demo"] {
        let rel = format!("usr/local/bin/{name}");
        let to: PathBuf = root.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, image.tree.read(&rel).unwrap()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let set = CatalogerSet::new(vec![Box::new(BinaryCataloger)]);
    let rootfs =
        load_image("rootfs", &Target::Rootfs(root.path().to_path_buf()), &LoadOptions::default(), &set).unwrap();
    let catalog = set.catalog(&rootfs.tree, &rootfs.facts.layers);
    check(&catalog, &shared, "rootfs");
}
