//! The poetry, pipenv, uv, pdm and pylock cases of `../shared/corpus/pkgdb/cases.tsv`.
//! Each input is placed where a project has it (`app/poetry.lock`, `app/Pipfile.lock`, …),
//! the tree is read as a rootfs, and the lockfile cataloger must report exactly the expected
//! packages: name and version, plus purl, dev and relationship where the peer states them.
//!
//! Order is not compared: Trivy sorts its packages (its Pipfile.lock expectations are in
//! reverse order of a Go map walk) and Syft sorts by name; chainward keeps the file's order.
//! In Trivy's Go test tables a package without `Dev: true` is not dev (the zero value is left
//! out), so for Trivy cases a missing `dev` means false; for Syft cases only stated keys count.
//!
//! Deviations from the peer, each checked below rather than skipped:
//! - `syft-pipfile-lock_Pipfile.lock`: Syft reads only the `default` section. The `develop`
//!   section lists packages the project installs to develop it, so chainward reports them too,
//!   with `dev: true` (as Trivy does for other formats' dev dependencies); the non-dev list is
//!   exactly Syft's, and every extra entry is dev and in the file's `develop` section.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chainward_catalog::lang::python::{PythonLockfileCataloger, normalize_name};
use chainward_catalog::{Catalog, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::{Evidence, Package, Relationship};
use serde_json::Value;

fn catalog(root: &Path) -> Catalog {
    let set = CatalogerSet::new(vec![Box::new(PythonLockfileCataloger)]);
    let image = load_image("rootfs", &Target::Rootfs(root.to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

struct Case {
    name: String,
    input: PathBuf,
    expected: Vec<Value>,
}

fn cases(kind: &str) -> Vec<Case> {
    let Some(shared) = chainward_testkit::shared_dir() else { return Vec::new() };
    let corpus = shared.join("corpus/pkgdb");
    chainward_testkit::read_tsv(&corpus.join("cases.tsv"))
        .into_iter()
        .filter(|c| c["type"] == kind)
        .map(|c| Case {
            name: c["case"].clone(),
            input: corpus.join(&c["input"]),
            expected: serde_json::from_slice(&std::fs::read(corpus.join(&c["expected"])).unwrap()).unwrap(),
        })
        .collect()
}

fn relationship(s: &str) -> Option<Relationship> {
    match s {
        "root" => Some(Relationship::Root),
        "workspace" => Some(Relationship::Workspace),
        "direct" => Some(Relationship::Direct),
        "indirect" => Some(Relationship::Indirect),
        _ => None,
    }
}

/// Places the case's input at `app/FILE` and catalogs it; checks what every package has.
fn run(case: &Case, file: &str) -> Vec<Package> {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("app").join(file);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(&case.input, &to).unwrap();
    let catalog = catalog(dir.path());
    assert!(catalog.warnings.is_empty(), "{}: {:?}", case.name, catalog.warnings);
    let keys: BTreeSet<String> = catalog.packages.iter().map(Package::key).collect();
    for p in &catalog.packages {
        assert_eq!(p.evidence, Evidence::Lockfile, "{}", case.name);
        assert_eq!(p.locations.len(), 1, "{}", case.name);
        assert_eq!(p.locations[0].path, format!("/app/{file}"), "{}", case.name);
        assert!(p.purl(&Default::default()).starts_with(&format!("pkg:pypi/{}@", normalize_name(&p.name))));
        for d in &p.depends_on {
            assert!(keys.contains(d), "{}: {} depends on {d}, not in the file", case.name, p.key());
        }
    }
    catalog.packages
}

/// Compares packages with the peer's list, as sets, with every key the peer states.
fn compare(case: &Case, got: &[Package]) {
    let trivy = case.name.starts_with("trivy-");
    let row = |name: &str, version: &str, dev: Option<bool>, rel: Option<Relationship>, purl: Option<String>| {
        (name.to_owned(), version.to_owned(), dev, rel, purl)
    };
    let stated = |w: &Value, key: &str| w.get(key).is_some();
    let want: BTreeSet<_> = case
        .expected
        .iter()
        .map(|w| {
            let dev = match w.get("dev").and_then(Value::as_bool) {
                Some(d) => Some(d),
                None if trivy => Some(false),
                None => None,
            };
            row(
                w["name"].as_str().unwrap(),
                w["version"].as_str().unwrap(),
                dev,
                w.get("relationship").and_then(Value::as_str).and_then(relationship),
                w.get("purl").and_then(Value::as_str).map(str::to_owned),
            )
        })
        .collect();
    // Project each package onto what the peer states (the same keys for every entry of a case).
    let first = case.expected.first().unwrap();
    let got: BTreeSet<_> = got
        .iter()
        .map(|p| {
            row(
                &p.name,
                &p.version,
                (trivy || stated(first, "dev")).then_some(p.dev),
                if stated(first, "relationship") { p.relationship } else { None },
                stated(first, "purl").then(|| p.purl(&Default::default())),
            )
        })
        .collect();
    assert_eq!(got, want, "{}", case.name);
    assert_eq!(got.len(), case.expected.len(), "{}: repeated entries", case.name);
    // A stated indirect flag agrees with the relationship.
    for w in &case.expected {
        if let Some(i) = w.get("indirect").and_then(Value::as_bool) {
            assert_eq!(i, w["relationship"] == "indirect", "{}", case.name);
        }
    }
}

fn expect_count(kind: &str, all: &[Case], n: usize) {
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(all.len(), n, "the corpus has {n} {kind} cases");
    }
}

#[test]
fn poetry_cases() {
    let all = cases("poetry");
    expect_count("poetry", &all, 3);
    for case in &all {
        let got = run(case, "poetry.lock");
        compare(case, &got);
        // Poetry records dependency edges: flask needs click, itsdangerous, Jinja2, Werkzeug.
        if let Some(flask) = got.iter().find(|p| p.name == "flask") {
            assert_eq!(flask.depends_on, ["click@8.1.8", "itsdangerous@2.2.0", "jinja2@3.1.5", "werkzeug@3.1.3"]);
        }
    }
}

#[test]
fn pipenv_cases() {
    let all = cases("pipenv");
    expect_count("pipenv", &all, 3);
    for case in &all {
        let got = run(case, "Pipfile.lock");
        if case.name == "syft-pipfile-lock_Pipfile.lock" {
            // Deviation (module doc): Syft leaves the `develop` section out.
            let lock: Value = serde_json::from_slice(&std::fs::read(&case.input).unwrap()).unwrap();
            let develop = lock["develop"].as_object().unwrap();
            assert!(!develop.is_empty());
            let (dev, prod): (Vec<Package>, Vec<Package>) = got.into_iter().partition(|p| p.dev);
            let dev_names: BTreeSet<&str> = dev.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(dev_names, develop.keys().map(String::as_str).collect(), "{}", case.name);
            compare(case, &prod);
        } else {
            compare(case, &got);
        }
    }
}

#[test]
fn uv_cases() {
    let all = cases("uv");
    expect_count("uv", &all, 2);
    for case in &all {
        let got = run(case, "uv.lock");
        compare(case, &got);
        let root: Vec<&Package> = got.iter().filter(|p| p.relationship == Some(Relationship::Root)).collect();
        assert_eq!(root.len(), 1, "{}: one project", case.name);
    }
}

#[test]
fn pdm_cases() {
    let all = cases("pdm");
    expect_count("pdm", &all, 1);
    for case in &all {
        let got = run(case, "pdm.lock");
        compare(case, &got);
        let requests = got.iter().find(|p| p.name == "requests").unwrap();
        // chardet and idna's `python_version < "3"` edges are edges too: markers are not
        // evaluated.
        assert_eq!(
            requests.depends_on,
            ["certifi@2025.1.31", "chardet@3.0.4", "charset-normalizer@2.0.12", "idna@2.7", "urllib3@1.26.20"]
        );
    }
}

#[test]
fn pylock_cases() {
    let all = cases("pylock");
    expect_count("pylock", &all, 1);
    for case in &all {
        let got = run(case, "pylock.toml");
        compare(case, &got);
        // ham is locked once per platform, each needing its own spam.
        let ham = got.iter().find(|p| p.name == "ham").unwrap();
        assert_eq!(ham.depends_on, ["spam@1.0.0", "spam@1.1.0"]);
    }
}
