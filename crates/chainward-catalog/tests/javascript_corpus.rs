//! The npm, yarn, pnpm and bun cases of `../shared/corpus/pkgdb/cases.tsv`. Each lockfile
//! is placed where a project has it (`app/package-lock.json`, `app/yarn.lock`,
//! `app/pnpm-lock.yaml`, `app/bun.lock`), the tree is read as a rootfs, and the lockfile
//! cataloger must report exactly the expected packages (as a set: the peers' orders differ),
//! with purl, dev, relationship and licenses where the peer states them.
//!
//! Deviations from the peers are listed in [`deviation`], each with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use chainward_catalog::CatalogerSet;
use chainward_catalog::lang::javascript::JsLockfileCataloger;
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::{Package, Relationship};
use serde_json::Value;

fn catalog(root: &Path) -> chainward_catalog::Catalog {
    let set = CatalogerSet::new(vec![Box::new(JsLockfileCataloger)]);
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

/// Where chainward and the peer knowingly differ: packages chainward reports that the peer
/// leaves out (`extra`), and the reason.
struct Deviation {
    extra: &'static [(&'static str, &'static str)],
    /// Packages the peer reports and chainward does not.
    missing: &'static [(&'static str, &'static str)],
    /// Compare only chainward's non-dev packages: the peer leaves dev packages out.
    peer_drops_dev: bool,
}

fn deviation(case: &str) -> Deviation {
    // Syft's package-lock cataloger leaves dev packages out by default
    // (`IncludeDevDependencies: false`); chainward reports them with dev=true.
    let none = Deviation { extra: &[], missing: &[], peer_drops_dev: case.starts_with("syft-pkg-lock") };
    match case {
        // Syft reports the lockfile's root entry as a package. chainward reports the project
        // from its package.json beside the lockfile (relationship root, manifest evidence),
        // as Trivy does, so that a project with both is listed once; the lockfile's root
        // entry is not a dependency.
        "syft-pkg-lock_array-license-package-lock.json" => Deviation { missing: &[("tmp", "1.0.0")], ..none },
        "syft-pkg-lock_package-lock-2.json" => Deviation { missing: &[("npm", "6.14.6")], ..none },
        "syft-yarn-berry_yarn.lock" => Deviation { missing: &[("c0n-fab_u.laTION", "7.7.7")], ..none },
        // The fixture was cut by hand (`# removed other packages`): the project's
        // `dependencies` name nanoid, picocolors and source-map-js, but `packages` does not
        // hold them. Syft invents packages from the importer's prod list (not its dev list);
        // chainward reports what `packages` holds, as pnpm would install it.
        "syft-pnpm_pnpm-lock.yaml" => {
            Deviation { missing: &[("nanoid", "3.3.4"), ("picocolors", "1.0.0"), ("source-map-js", "1.0.2")], ..none }
        }
        // Trivy leaves dev packages (`dev: true`) of v5/v6 pnpm lockfiles out; chainward
        // reports them with dev=true, and the comparison is on the non-dev ones.
        "trivy-pnpm-lock_many" | "trivy-pnpm-lock_v6_with_dev" | "trivy-pnpm-lock_with_dev" => {
            Deviation { peer_drops_dev: true, ..none }
        }
        // pnpm 11 writes its own install (packageManagerDependencies: pnpm and its platform
        // binaries) as a first YAML document. Trivy reads only the project's document;
        // chainward reports both, the package manager's packages as dev (tools to install
        // the project, not part of it), as Syft lists them too.
        "trivy-pnpm-lock_v9_multiple_documents" => Deviation { peer_drops_dev: true, ..none },
        // A `patch:` entry is the code yarn installs (the patched fsevents 2.1.3, on macOS);
        // Trivy drops every `patch:` entry, so a vulnerable patched package would vanish.
        "trivy-yarn_v2_happy" => Deviation { extra: &[("fsevents", "2.1.3")], ..none },
        _ => none,
    }
}

fn relationship_name(r: Option<Relationship>) -> Option<&'static str> {
    r.map(|r| match r {
        Relationship::Root => "root",
        Relationship::Workspace => "workspace",
        Relationship::Direct => "direct",
        Relationship::Indirect => "indirect",
    })
}

/// Runs every case of `kind`, placing the input at `rel`; returns how many ran.
fn run(kind: &str, rel: &str, count: usize) {
    let all = cases(kind);
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(all.len(), count, "the corpus has {count} {kind} cases");
    }
    let mut failures = Vec::new();
    for (name, input, expected) in all {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&input, &to).unwrap();
        let catalog = catalog(dir.path());
        assert!(catalog.warnings.is_empty(), "{name}: {:?}", catalog.warnings);
        let dev = deviation(&name);
        let mut got: Vec<&Package> = catalog.packages.iter().collect();
        for p in &got {
            assert_eq!(p.locations[0].path, format!("/{rel}"), "{name}");
        }
        if dev.peer_drops_dev {
            got.retain(|p| !p.dev);
        }
        for (n, v) in dev.extra {
            let at = got.iter().position(|p| p.name == *n && p.version == *v);
            assert!(at.is_some(), "{name}: the listed deviation {n}@{v} is not reported any more");
            got.remove(at.unwrap());
        }
        let mut got_by_key: BTreeMap<(String, String), &Package> = BTreeMap::new();
        for p in &got {
            assert!(
                got_by_key.insert((p.name.clone(), p.version.clone()), p).is_none(),
                "{name}: {}@{} reported twice",
                p.name,
                p.version
            );
        }
        let want: Vec<(String, String)> = expected
            .iter()
            .filter(|w| !dev.missing.iter().any(|(n, v)| w["name"] == *n && w["version"] == *v))
            .map(|w| (w["name"].as_str().unwrap().to_owned(), w["version"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            want.len() + dev.missing.len(),
            expected.len(),
            "{name}: a listed deviation is not in the peer's list"
        );
        let mut want_sorted = want.clone();
        want_sorted.sort();
        let got_keys: Vec<(String, String)> = got_by_key.keys().cloned().collect();
        if got_keys != want_sorted {
            let extra: Vec<_> = got_keys.iter().filter(|k| !want_sorted.contains(k)).collect();
            let missing: Vec<_> = want_sorted.iter().filter(|k| !got_keys.contains(k)).collect();
            failures.push(format!("{name}: chainward only {extra:?}; peer only {missing:?}"));
            continue;
        }
        for w in &expected {
            let key = (w["name"].as_str().unwrap().to_owned(), w["version"].as_str().unwrap().to_owned());
            let Some(g) = got_by_key.get(&key) else { continue };
            if let Some(purl) = w.get("purl").and_then(Value::as_str) {
                assert_eq!(g.purl(&Default::default()), purl, "{name}: {key:?}");
            }
            if let Some(d) = w.get("dev").and_then(Value::as_bool) {
                assert_eq!(g.dev, d, "{name}: dev of {key:?}");
            }
            if let Some(r) = w.get("relationship").and_then(Value::as_str) {
                assert_eq!(relationship_name(g.relationship), Some(r), "{name}: relationship of {key:?}");
            }
            if let Some(l) = w.get("licenses").and_then(Value::as_array) {
                let l: Vec<&str> = l.iter().filter_map(Value::as_str).collect();
                assert_eq!(g.licenses, l, "{name}: licenses of {key:?}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn npm_cases() {
    run("npm", "app/package-lock.json", 11);
}

#[test]
fn yarn_cases() {
    run("yarn", "app/yarn.lock", 9);
}

#[test]
fn pnpm_cases() {
    run("pnpm", "app/pnpm-lock.yaml", 14);
}

#[test]
fn bun_cases() {
    run("bun", "app/bun.lock", 2);
}
