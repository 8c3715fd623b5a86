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
