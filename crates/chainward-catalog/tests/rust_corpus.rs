//! The cargo cases of `../shared/corpus/pkgdb/cases.tsv`: each lockfile is placed where a
//! project has it (`app/Cargo.lock`), the tree is read as a rootfs, and the cataloger must
//! report exactly the expected crates (name and version; purl where the peer states it;
//! the registry or git source, read from the parser, where Syft states it). Trivy's test
//! sorts its result, so lists are compared sorted; duplicates (a crate locked from both the
//! registry and git) must appear as often as the peer lists them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chainward_catalog::lang::rust::{CargoLockCataloger, cargo_lock};
use chainward_catalog::{Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::{Evidence, Relationship};
use serde_json::Value;

fn catalog(root: &Path, cataloger: Box<dyn Cataloger>) -> chainward_catalog::Catalog {
    let set = CatalogerSet::new(vec![cataloger]);
    let image = load_image("rootfs", &Target::Rootfs(root.to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

fn cases(kind: &str) -> Vec<(String, std::path::PathBuf, Vec<Value>)> {
    let Some(shared) = chainward_testkit::shared_dir() else { return Vec::new() };
    let corpus = shared.join("corpus/pkgdb");
    chainward_testkit::read_tsv(&corpus.join("cases.tsv"))
        .into_iter()
        .filter(|c| c["type"] == kind)
        .map(|c| {
            let expected = serde_json::from_slice(&std::fs::read(corpus.join(&c["expected"])).unwrap()).unwrap();
            (c["case"].clone(), corpus.join(&c["input"]), expected)
        })
        .collect()
}

#[test]
fn cargo_cases() {
    let all = cases("cargo");
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(all.len(), 5, "the corpus has 5 cargo cases");
    }
    for (name, input, expected) in all {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("app/Cargo.lock");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&input, &to).unwrap();
        let catalog = catalog(dir.path(), Box::new(CargoLockCataloger));
        assert!(catalog.warnings.is_empty(), "{name}: {:?}", catalog.warnings);
        let got = &catalog.packages;

        // Name, version and purl (where stated), as sorted lists.
        let mut got_rows: Vec<(String, String)> = got.iter().map(|g| (g.name.clone(), g.version.clone())).collect();
        let mut want_rows: Vec<(String, String)> = expected
            .iter()
            .map(|w| (w["name"].as_str().unwrap().to_owned(), w["version"].as_str().unwrap().to_owned()))
            .collect();
        got_rows.sort();
        want_rows.sort();
        assert_eq!(got_rows, want_rows, "{name}");
        for w in &expected {
            if let Some(purl) = w.get("purl").and_then(Value::as_str) {
                let matching = got
                    .iter()
                    .filter(|g| g.name == w["name"].as_str().unwrap() && g.version == w["version"].as_str().unwrap());
                assert!(matching.clone().count() > 0, "{name}: {purl}");
                assert!(matching.into_iter().all(|g| g.purl(&Default::default()) == purl), "{name}: {purl}");
            }
        }
        assert!(got.iter().all(|p| p.evidence == Evidence::Lockfile && p.locations[0].path == "/app/Cargo.lock"));

        // Sources, where Syft states them: the same multiset of (name, version, source).
        let lock = cargo_lock::parse(&std::fs::read(&input).unwrap()).unwrap();
        if expected.iter().any(|w| w.get("source_name").is_some()) {
            let mut got_sources: Vec<(String, String, Option<String>)> =
                lock.crates.iter().map(|c| (c.name.clone(), c.version.clone(), c.source.clone())).collect();
            let mut want_sources: Vec<(String, String, Option<String>)> = expected
                .iter()
                .map(|w| {
                    (
                        w["name"].as_str().unwrap().to_owned(),
                        w["version"].as_str().unwrap().to_owned(),
                        w.get("source_name").and_then(Value::as_str).map(str::to_owned),
                    )
                })
                .collect();
            got_sources.sort();
            want_sources.sort();
            assert_eq!(got_sources, want_sources, "{name}");
        }

        // Every lockfile of the corpus has exactly one local root crate, and every crate
        // without a source is the root or a workspace crate.
        let roots = got.iter().filter(|p| p.relationship == Some(Relationship::Root)).count();
        assert_eq!(roots, 1, "{name}");
        for (c, p) in lock.crates.iter().zip(got) {
            let local = matches!(p.relationship, Some(Relationship::Root | Relationship::Workspace));
            assert_eq!(c.source.is_none(), local, "{name}: {}", p.name);
        }
    }
}

/// The lockfile of the debian-12-app image's Rust program, with Trivy's relationships and
/// dependency edges for the same file (`app-fs.trivy.json`, which reads it with its
/// Cargo.toml): the root, its 11 direct dependencies, and the rest indirect.
#[test]
fn app_lockfile_relationships_match_trivy() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let lock = std::fs::read(shared.join("images/build/app/rust/Cargo.lock")).unwrap();
    let lock = cargo_lock::parse(&lock).unwrap();
    let loc = chainward_model::Location { path: "/app/rust/Cargo.lock".into(), layer: None };
    let got = chainward_catalog::lang::rust::packages(&lock, &loc);
    let trivy: Value =
        serde_json::from_slice(&std::fs::read(shared.join("images/trivy-baseline/app-fs.trivy.json")).unwrap())
            .unwrap();
    let result = trivy["Results"].as_array().unwrap().iter().find(|r| r["Type"] == "cargo").unwrap();
    let mut want: Vec<(String, String, Vec<String>)> = result["Packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut deps: Vec<String> = p["DependsOn"]
                .as_array()
                .map(|d| d.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            deps.sort();
            (p["ID"].as_str().unwrap().to_owned(), p["Relationship"].as_str().unwrap().to_owned(), deps)
        })
        .collect();
    let mut got: Vec<(String, String, Vec<String>)> = got
        .iter()
        .map(|p| {
            let rel = serde_json::to_value(p.relationship.unwrap()).unwrap().as_str().unwrap().to_owned();
            let mut deps = p.depends_on.clone();
            deps.sort();
            (p.key(), rel, deps)
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(want.len(), 26);
    assert_eq!(got, want);
}
