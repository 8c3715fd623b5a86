//! The python-metadata and pip-requirements cases of `../shared/corpus/pkgdb/cases.tsv`.
//! Each input is placed where a real tree has it (a site-packages metadata directory, an
//! app's requirements.txt), the tree is read as a rootfs, and the catalogers must report
//! exactly the expected packages: name, version and licenses where the peer states them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chainward_catalog::lang::python::{
    PipRequirementsCataloger, PythonInstalledCataloger, normalize_name, requirements,
};
use chainward_catalog::{Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
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

#[test]
fn python_metadata_cases() {
    let all = cases("python-metadata");
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(all.len(), 8, "the corpus has 8 python-metadata cases");
    }
    for (name, input, expected, _) in all {
        let dir = tempfile::tempdir().unwrap();
        let file = input.file_name().unwrap().to_str().unwrap();
        let site = "usr/local/lib/python3.11/site-packages";
        // Where each kind of file lives in an installed tree.
        let (rel, evidence) = if file.ends_with(".METADATA") {
            let dist = file.trim_end_matches(".METADATA");
            (format!("{site}/{dist}.dist-info/METADATA"), format!("/{site}/{dist}.dist-info"))
        } else if file.ends_with(".PKG-INFO") {
            let dist = file.trim_end_matches(".PKG-INFO").trim_end_matches(".egg-info").trim_end_matches("-egg-info");
            (format!("{site}/{dist}.egg-info/PKG-INFO"), format!("/{site}/{dist}.egg-info"))
        } else {
            assert!(file.ends_with(".egg-info"), "{name}: {file}");
            (format!("{site}/{file}"), format!("/{site}/{file}"))
        };
        place(dir.path(), &rel, &input);
        let catalog = catalog(dir.path(), Box::new(PythonInstalledCataloger));
        assert!(catalog.warnings.is_empty(), "{name}: {:?}", catalog.warnings);
        let got = catalog.packages;
        assert_eq!(got.len(), expected.len(), "{name}");
        for (g, w) in got.iter().zip(&expected) {
            assert_eq!(g.name, w["name"].as_str().unwrap(), "{name}");
            assert_eq!(g.version, w["version"].as_str().unwrap(), "{name}");
            let want_licenses: Vec<&str> = w
                .get("licenses")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(g.licenses, want_licenses, "{name}");
            assert_eq!(g.locations[0].path, evidence, "{name}");
            assert!(
                g.purl(&Default::default()).starts_with(&format!("pkg:pypi/{}@", normalize_name(&g.name))),
                "{name}"
            );
        }
    }
}

#[test]
fn pip_requirements_cases() {
    let all = cases("pip-requirements");
    if chainward_testkit::shared_dir().is_some() {
        assert_eq!(all.len(), 9, "the corpus has 9 pip-requirements cases");
    }
    for (name, input, expected, source) in all {
        let dir = tempfile::tempdir().unwrap();
        place(dir.path(), "app/requirements.txt", &input);
        // The peer ran this case with Trivy's non-default `useMinVersion` (stated in cases.tsv).
        let options = requirements::Options { min_version: source.contains("\"useMinVersion\": \"True\"") };
        let catalog = catalog(dir.path(), Box::new(PipRequirementsCataloger { options }));
        // The fixtures' `-r` includes are not part of the corpus: each is named in a warning.
        // (`--requirements FILE` in Syft's fixture is not a pip option: pip rejects it.)
        let text = std::fs::read_to_string(&input).unwrap_or_default();
        let includes = text
            .lines()
            .filter(|l| l.starts_with("-r ") || l.starts_with("--requirement ") || l.starts_with("--requirement="))
            .count();
        assert_eq!(catalog.warnings.len(), includes, "{name}: {:?}", catalog.warnings);
        assert!(catalog.warnings.iter().all(|w| w.message.contains("is not in the scanned tree")), "{name}");
        let got = catalog.packages;
        // Syft reports requirement names PEP 503-normalised; chainward keeps the name as the
        // file writes it (as Trivy and pip do) and normalises only in the purl and when
        // comparing. For Syft's cases, compare normalised names.
        let syft = name.starts_with("syft-");
        let key = |n: &str| if syft { normalize_name(n) } else { n.to_owned() };
        let got: Vec<(String, String)> = got.iter().map(|p| (key(&p.name), p.version.clone())).collect();
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|w| (key(w["name"].as_str().unwrap()), w["version"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(got, want, "{name}");
    }
}
