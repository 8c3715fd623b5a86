//! `chainward sbom` on the debian-12-app image reports exactly the application packages of
//! `../shared/images/expected/debian-12-app.app-packages.tsv` for every ecosystem chainward
//! catalogs so far (name, version, evidence path). Rows of ecosystems not cataloged yet are
//! counted and printed, never passed; the other corpus images have no application packages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

/// purl types chainward catalogs in images today.
const CATALOGED: &[&str] = &["pypi"];

fn app_packages(target: &str) -> BTreeSet<(String, String, String, String)> {
    let out =
        Command::new(env!("CARGO_BIN_EXE_chainward")).args(["sbom", "--format", "json", target]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sbom: Value = serde_json::from_slice(&out.stdout).unwrap();
    sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !matches!(p["type"].as_str(), Some("deb" | "apk" | "rpm")))
        .map(|p| {
            (
                p["type"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
                p["locations"][0]["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn debian_12_app_application_packages() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let rows = chainward_testkit::read_tsv(&shared.join("images/expected/debian-12-app.app-packages.tsv"));
    let mut want = BTreeSet::new();
    let mut pending = std::collections::BTreeMap::<String, usize>::new();
    for row in &rows {
        if CATALOGED.contains(&row["ecosystem"].as_str()) {
            want.insert((row["ecosystem"].clone(), row["name"].clone(), row["version"].clone(), row["path"].clone()));
        } else {
            *pending.entry(row["ecosystem"].clone()).or_default() += 1;
        }
    }
    assert_eq!(want.len(), 10, "the ten Python distributions");
    let target = format!("oci-layout:{}:debian-12-app", shared.join("images/oci").display());
    let got = app_packages(&target);
    assert_eq!(got, want);
    // httplib2 0.11.3 was whited out by a later layer (plain and opaque whiteouts).
    assert!(!got.iter().any(|p| p.1 == "httplib2" && p.2 == "0.11.3"));
    println!("rows of ecosystems not cataloged yet: {pending:?}");
}

#[test]
fn base_images_have_no_application_packages() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    for tag in ["alpine-3.20.3", "alpine-3.12.12", "debian-12"] {
        let target = format!("oci-layout:{}:{tag}", shared.join("images/oci").display());
        assert_eq!(app_packages(&target), BTreeSet::new(), "{tag}");
    }
}

/// `dir:` on the source tree the app image was built from: the requirements files' pins.
/// Trivy (`app-fs.trivy.json`) reads only files named exactly `requirements.txt`; chainward
/// also reads `requirements-layer1.txt` (pip accepts any name, and Syft's pattern
/// `*requirements*.txt` matches it too), so its 9 older pins — among them the vulnerable
/// httplib2 0.11.3 — are reported with their own evidence path.
#[test]
fn dir_target_reads_the_requirements_files() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let app = shared.join("images/build/app");
    let got = app_packages(&format!("dir:{}", app.display()));
    let trivy: Value =
        serde_json::from_slice(&std::fs::read(shared.join("images/trivy-baseline/app-fs.trivy.json")).unwrap())
            .unwrap();
    let from_trivy: BTreeSet<(String, String)> = trivy["Results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Type"] == "pip")
        .flat_map(|r| r["Packages"].as_array().unwrap())
        .map(|p| (p["Name"].as_str().unwrap().to_owned(), p["Version"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(from_trivy.len(), 10);
    let in_file = |file: &str| -> BTreeSet<(String, String)> {
        got.iter().filter(|p| p.0 == "pypi" && p.3.ends_with(file)).map(|p| (p.1.clone(), p.2.clone())).collect()
    };
    assert_eq!(in_file("/python/requirements.txt"), from_trivy);
    let layer1 = in_file("/python/requirements-layer1.txt");
    assert_eq!(layer1.len(), 9);
    assert!(layer1.contains(&("httplib2".to_owned(), "0.11.3".to_owned())));
}
