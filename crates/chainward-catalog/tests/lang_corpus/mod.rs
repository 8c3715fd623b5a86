//! Shared by the Ruby, PHP and .NET corpus tests: load the cases of one type from
//! `../shared/corpus/pkgdb/cases.tsv`, place an input where a real tree has it, catalog the
//! tree as a rootfs with one cataloger, and compare with the peer's list.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use chainward_catalog::{Catalog, Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::{Package, Relationship};
use serde_json::Value;

/// One corpus case.
pub struct Case {
    pub name: String,
    pub input: PathBuf,
    pub expected: Vec<Value>,
}

impl Case {
    /// Trivy's tests state relationships (an absent key is `unknown`); Syft's do not.
    pub fn is_trivy(&self) -> bool {
        self.name.starts_with("trivy-")
    }

    pub fn file_name(&self) -> &str {
        self.input.file_name().unwrap().to_str().unwrap()
    }
}

/// The cases of `kind`; asserts their number when the corpus is present.
pub fn cases(kind: &str, count: usize) -> Vec<Case> {
    let Some(shared) = chainward_testkit::shared_dir() else { return Vec::new() };
    let corpus = shared.join("corpus/pkgdb");
    let all: Vec<Case> = chainward_testkit::read_tsv(&corpus.join("cases.tsv"))
        .into_iter()
        .filter(|c| c["type"] == kind)
        .map(|c| Case {
            name: c["case"].clone(),
            input: corpus.join(&c["input"]),
            expected: serde_json::from_slice(&std::fs::read(corpus.join(&c["expected"])).unwrap()).unwrap(),
        })
        .collect();
    assert_eq!(all.len(), count, "the corpus has {count} {kind} cases");
    all
}

/// Copies `from` to `root/rel` and catalogs `root` with `cataloger` alone.
pub fn catalog_placed(from: &Path, rel: &str, cataloger: Box<dyn Cataloger>) -> Catalog {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join(rel);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, &to).unwrap();
    let set = CatalogerSet::new(vec![cataloger]);
    let image = load_image("rootfs", &Target::Rootfs(dir.path().to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

fn relationship(r: Option<Relationship>) -> Option<&'static str> {
    r.map(|r| match r {
        Relationship::Root => "root",
        Relationship::Workspace => "workspace",
        Relationship::Direct => "direct",
        Relationship::Indirect => "indirect",
    })
}

/// What is compared of one package: name, version, and each of purl, dev, relationship,
/// licenses only where the peer states it (relationship always for Trivy, whose tests leave
/// the key out exactly when it is unknown).
pub fn compare(case: &Case, got: &[Package], split_licenses: fn(&str) -> Vec<String>) {
    let name = &case.name;
    let mut got: Vec<&Package> = got.iter().collect();
    got.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    let mut want: Vec<&Value> = case.expected.iter().collect();
    want.sort_by_key(|w| (w["name"].as_str().unwrap().to_owned(), w["version"].as_str().unwrap().to_owned()));
    let got_keys: Vec<(&str, &str)> = got.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
    let want_keys: Vec<(&str, &str)> =
        want.iter().map(|w| (w["name"].as_str().unwrap(), w["version"].as_str().unwrap())).collect();
    assert_eq!(got_keys, want_keys, "{name}: name and version");
    for (g, w) in got.iter().zip(&want) {
        let what = format!("{name}: {}@{}", g.name, g.version);
        if let Some(purl) = w.get("purl").and_then(Value::as_str) {
            assert_eq!(g.purl(&Default::default()), purl, "{what}: purl");
        }
        if let Some(dev) = w.get("dev").and_then(Value::as_bool) {
            assert_eq!(g.dev, dev, "{what}: dev");
        } else if case.is_trivy() {
            assert!(!g.dev, "{what}: Trivy leaves out `dev` when it is false");
        }
        if case.is_trivy() || w.get("relationship").is_some() {
            assert_eq!(
                relationship(g.relationship),
                w.get("relationship").and_then(Value::as_str),
                "{what}: relationship"
            );
            if let Some(indirect) = w.get("indirect").and_then(Value::as_bool) {
                assert_eq!(g.relationship == Some(Relationship::Indirect), indirect, "{what}: indirect");
            }
        }
        if let Some(licenses) = w.get("licenses").and_then(Value::as_array) {
            let want: Vec<&str> = licenses.iter().filter_map(Value::as_str).collect();
            let got: Vec<String> = g.licenses.iter().flat_map(|l| split_licenses(l)).collect();
            assert_eq!(got, want, "{what}: licenses");
        }
    }
}

/// Licenses compared as recorded.
pub fn as_recorded(l: &str) -> Vec<String> {
    vec![l.to_owned()]
}
