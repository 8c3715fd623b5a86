//! The gomod and gosum cases of `../shared/corpus/pkgdb/cases.tsv`. Each input is placed
//! where a project has it (`src/app/go.mod`, `src/app/go.sum`), the tree is read as a
//! rootfs, and the catalogers must report exactly the expected modules: name and version,
//! plus purl and relationship where the peer states them (go.sum in the peer's order, go.mod
//! sorted, since the two peers sort go.mod results differently).
//!
//! Deviations from the peers, each checked below rather than skipped:
//! - Syft leaves the main module out of its go.mod results; chainward reports it first, as
//!   Trivy does (relationship root, no version: it is the project itself), so that the
//!   dependency graph has its root.
//! - Trivy drops `// indirect` requirements of a go.mod whose `go` line is older than 1.17
//!   (its analyzer takes them from go.sum instead). They are still requirements of the
//!   module graph — `// indirect` only says no package of the main module imports them
//!   (go.dev/ref/mod#go-mod-file-require) — and Syft keeps them (its many-packages case,
//!   `go 1.14`), so chainward keeps them, marked indirect (case trivy-go116_go).
//! - Trivy drops a requirement replaced by a local directory (`=> ./xerrors`); the project
//!   still depends on that module, whose code is the directory, so chainward keeps it with
//!   no version, as Syft does (its relative-replace case). A package without a version
//!   matches no advisory (cases trivy-replaced-with-local-path*_go).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chainward_catalog::lang::go::{GoModCataloger, GoModOptions, GoSumCataloger, gomod};
use chainward_catalog::{Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::{Evidence, Package, Relationship};
use serde_json::Value;

fn catalog(root: &Path, cataloger: Box<dyn Cataloger>) -> chainward_catalog::Catalog {
    let set = CatalogerSet::new(vec![cataloger]);
    let image = load_image("rootfs", &Target::Rootfs(root.to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

fn place(root: &Path, rel: &str, from: &Path) {
    let to = root.join(rel);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

fn cases(kind: &str) -> Vec<(String, std::path::PathBuf, Vec<Value>, String)> {
    let Some(shared) = chainward_testkit::shared_dir() else { return Vec::new() };
    let corpus = shared.join("corpus/pkgdb");
    chainward_testkit::read_tsv(&corpus.join("cases.tsv"))
        .into_iter()
        .filter(|c| c["type"] == kind)
        .map(|c| {
            let expected = serde_json::from_slice(&std::fs::read(corpus.join(&c["expected"])).unwrap()).unwrap();
            (c["case"].clone(), corpus.join(&c["input"]), expected, c["source"].clone())
        })
        .collect()
}

fn relationship_name(p: &Package) -> Option<String> {
    p.relationship.map(|r| serde_json::to_value(r).unwrap().as_str().unwrap().to_owned())
}

#[test]
fn gomod_cases() {
    let all = cases("gomod");
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(all.len(), 10, "the corpus has 10 gomod cases");
    }
    for (name, input, expected, source) in all {
        let dir = tempfile::tempdir().unwrap();
        place(dir.path(), "src/app/go.mod", &input);
        // Trivy's non-default `useMinVersion` (stated in cases.tsv) adds the toolchain as stdlib.
        let options = GoModOptions { toolchain_stdlib: source.contains("\"useMinVersion\": \"True\"") };
        let catalog = catalog(dir.path(), Box::new(GoModCataloger { options }));
        assert!(catalog.warnings.is_empty(), "{name}: {:?}", catalog.warnings);
        let mut got = catalog.packages;
        assert!(got.iter().all(|p| p.evidence == Evidence::Manifest && p.locations[0].path == "/src/app/go.mod"));

        let text = std::fs::read_to_string(&input).unwrap();
        let parsed = gomod::parse(&text);
        // The main module comes first, as the root.
        let root = got.first().unwrap();
        assert_eq!(Some(root.name.as_str()), parsed.module.as_deref(), "{name}");
        assert_eq!((root.version.as_str(), root.relationship), ("", Some(Relationship::Root)), "{name}");
        if name.starts_with("syft-") {
            got.remove(0);
        }
        if name.starts_with("trivy-") {
            // Old go.mod files: Trivy leaves out the `// indirect` requirements.
            let old = parsed.go.as_deref().and_then(gomod::go_minor).is_none_or(|minor| minor < 17);
            if old {
                let before = got.len();
                got.retain(|p| p.relationship != Some(Relationship::Indirect));
                let dropped = before - got.len();
                assert_eq!(dropped, text.lines().filter(|l| l.contains("// indirect")).count(), "{name}");
            }
            // Local-directory replacements: Trivy leaves the module out.
            let before = got.len();
            got.retain(|p| p.relationship == Some(Relationship::Root) || !p.version.is_empty());
            let local = parsed.modules().iter().filter(|m| m.local_replacement.is_some()).count();
            assert_eq!(before - got.len(), local, "{name}");
        }
        // Syft's test sorts by name, Trivy's by relationship and then name: compare sorted.
        got.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        let mut expected = expected;
        expected.sort_by(|a, b| {
            (a["name"].as_str(), a["version"].as_str()).cmp(&(b["name"].as_str(), b["version"].as_str()))
        });
        assert_eq!(got.len(), expected.len(), "{name}: {:?}", got.iter().map(Package::key).collect::<Vec<_>>());
        for (g, w) in got.iter().zip(&expected) {
            assert_eq!(g.name, w["name"].as_str().unwrap(), "{name}");
            assert_eq!(g.version, w["version"].as_str().unwrap(), "{name}");
            if let Some(purl) = w.get("purl").and_then(Value::as_str) {
                assert_eq!(g.purl(&Default::default()), purl, "{name}");
            }
            if let Some(rel) = w.get("relationship").and_then(Value::as_str) {
                assert_eq!(relationship_name(g).as_deref(), Some(rel), "{name}: {}", g.name);
            }
            if let Some(indirect) = w.get("indirect").and_then(Value::as_bool) {
                assert_eq!(g.relationship == Some(Relationship::Indirect), indirect, "{name}: {}", g.name);
            }
        }
    }
}

#[test]
fn gosum_cases() {
    let all = cases("gosum");
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(all.len(), 3, "the corpus has 3 gosum cases");
    }
    for (name, input, expected, _) in all {
        let dir = tempfile::tempdir().unwrap();
        place(dir.path(), "src/app/go.sum", &input);
        let catalog = catalog(dir.path(), Box::new(GoSumCataloger));
        assert!(catalog.warnings.is_empty(), "{name}: {:?}", catalog.warnings);
        let got: Vec<(String, String)> = catalog.packages.iter().map(|p| (p.name.clone(), p.version.clone())).collect();
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|w| (w["name"].as_str().unwrap().to_owned(), w["version"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(got, want, "{name}");
        assert!(catalog.packages.iter().all(|p| p.evidence == Evidence::Lockfile && p.relationship.is_none()));
    }
}

/// A go.sum next to a Go 1.17+ go.mod adds nothing (the go.mod lists the whole pruned
/// module graph); next to an older one it adds what the go.mod leaves out, as indirect.
#[test]
fn go_sum_defers_to_the_go_mod_next_to_it() {
    for (go, expect_sum) in [("1.17", 0), ("1.16", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("src/app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(
            app.join("go.mod"),
            format!("module example.com/app\n\ngo {go}\n\nrequire example.com/a v1.0.0\n"),
        )
        .unwrap();
        std::fs::write(
            app.join("go.sum"),
            "example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0/go.mod h1:y=\nexample.com/t v0.2.0/go.mod h1:z=\n",
        )
        .unwrap();
        let set = CatalogerSet::new(vec![
            Box::new(GoModCataloger { options: GoModOptions::default() }),
            Box::new(GoSumCataloger),
        ]);
        let image =
            load_image("rootfs", &Target::Rootfs(dir.path().to_path_buf()), &LoadOptions::default(), &set).unwrap();
        let cat = set.catalog(&image.tree, &image.facts.layers);
        let from_sum: Vec<String> =
            cat.packages.iter().filter(|p| p.evidence == Evidence::Lockfile).map(Package::key).collect();
        assert_eq!(from_sum.len(), expect_sum, "go {go}: {from_sum:?}");
        if expect_sum == 1 {
            assert_eq!(from_sum, ["example.com/t@v0.2.0"]);
        }
    }
}
