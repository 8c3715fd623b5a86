//! The dpkg and apk cases of `../shared/corpus/pkgdb/cases.tsv`: each case folder is an
//! image root; the catalogers must report exactly the expected packages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chainward_catalog::CatalogerSet;
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::Ecosystem;
use serde_json::Value;

/// Trivy splits Debian versions into epoch, version and release; Syft keeps them whole.
/// Put them back together so both peers' expectations compare with the whole version.
fn whole_version(v: &Value, epoch_key: &str, version_key: &str, release_key: &str) -> Option<String> {
    let version = v.get(version_key)?.as_str()?;
    let mut s = String::new();
    if let Some(e) = v.get(epoch_key).and_then(Value::as_u64) {
        s.push_str(&format!("{e}:"));
    }
    s.push_str(version);
    if let Some(r) = v.get(release_key).and_then(Value::as_str).filter(|r| !r.is_empty()) {
        s.push('-');
        s.push_str(r);
    }
    Some(s)
}

type Row = (String, String, Option<String>, Option<String>, Option<String>);

fn run_type(kind: &str, eco: Ecosystem) -> usize {
    let Some(shared) = chainward_testkit::shared_dir() else { return 0 };
    let corpus = shared.join("corpus/pkgdb");
    let cases = chainward_testkit::read_tsv(&corpus.join("cases.tsv"));
    let mut checked = 0;
    for case in cases.iter().filter(|c| c["type"] == kind) {
        let name = &case["case"];
        let root = corpus.join(kind).join(name);
        let expected: Vec<Value> =
            serde_json::from_slice(&std::fs::read(corpus.join(&case["expected"])).unwrap()).unwrap();
        let target = Target::Rootfs(root.clone());
        let set = CatalogerSet::default_set();
        let image = load_image("rootfs", &target, &LoadOptions::default(), &set).unwrap();
        let catalog = set.catalog(&image.tree, &image.facts.layers);
        let mut got: Vec<Row> = catalog
            .packages
            .iter()
            .filter(|p| p.ecosystem == eco)
            .map(|p| {
                let src = p.source.as_ref();
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.arch.clone(),
                    src.map(|s| s.name.clone()),
                    src.and_then(|s| s.version.clone()),
                )
            })
            .collect();
        let mut want: Vec<Row> = expected
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_owned(),
                    whole_version(e, "epoch", "version", "release").unwrap(),
                    e.get("arch").and_then(Value::as_str).map(str::to_owned),
                    e.get("source_name").and_then(Value::as_str).map(str::to_owned),
                    whole_version(e, "source_epoch", "source_version", "source_release"),
                )
            })
            .collect();
        // Where the peer does not state a field, do not compare it.
        for (w, g) in want.iter_mut().zip(got.iter_mut()) {
            if w.2.is_none() {
                g.2 = None;
            }
            if w.3.is_none() {
                g.3 = None;
            }
            if w.4.is_none() {
                g.4 = None;
            }
        }
        got.sort();
        want.sort();
        assert_eq!(got, want, "case {name}");
        let names: BTreeMap<_, _> = catalog.packages.iter().map(|p| (p.name.clone(), p.locations.clone())).collect();
        for (n, locs) in names {
            assert!(!locs.is_empty(), "{name}: {n} has no evidence location");
        }
        checked += 1;
    }
    checked
}

#[test]
fn dpkg_cases() {
    let n = run_type("dpkg", Ecosystem::Deb);
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(n, 9, "every dpkg case of cases.tsv");
    }
}

#[test]
fn apk_cases() {
    let n = run_type("apk", Ecosystem::Apk);
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(n, 3, "every apk case of cases.tsv");
    }
}
