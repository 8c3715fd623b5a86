//! The peer cross-check: Trivy 0.76's OS package lists for each corpus image
//! (`../shared/images/trivy-baseline/NAME.trivy.json`) agree with the ground truth of
//! `../shared/images/expected/`, and so with chainward (which `image_forms.rs` checks
//! against the same truth) — and chainward's purls name the same packages as Trivy's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

type Row = (String, String, String, String, String);

/// Trivy splits Debian versions into Epoch, Version and Release: join them back.
fn join(epoch: &Value, version: &Value, release: &Value) -> String {
    let mut s = String::new();
    if let Some(e) = epoch.as_u64() {
        s.push_str(&format!("{e}:"));
    }
    s.push_str(version.as_str().unwrap_or_default());
    if let Some(r) = release.as_str().filter(|r| !r.is_empty()) {
        s.push('-');
        s.push_str(r);
    }
    s
}

fn trivy_rows(file: &Path) -> (BTreeSet<Row>, BTreeSet<String>) {
    let doc: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let mut rows = BTreeSet::new();
    let mut names = BTreeSet::new();
    for result in doc["Results"].as_array().unwrap() {
        if result["Class"] != "os-pkgs" {
            continue;
        }
        let is_apk = result["Type"] == "alpine";
        for p in result["Packages"].as_array().unwrap() {
            let src_version = join(&p["SrcEpoch"], &p["SrcVersion"], &p["SrcRelease"]);
            rows.insert((
                p["Name"].as_str().unwrap().to_owned(),
                join(&p["Epoch"], &p["Version"], &p["Release"]),
                p["SrcName"].as_str().unwrap().to_owned(),
                if is_apk { String::new() } else { src_version },
                p["Arch"].as_str().unwrap().to_owned(),
            ));
            names.insert(p["Name"].as_str().unwrap().to_owned());
        }
    }
    (rows, names)
}

#[test]
fn trivy_agrees_with_the_expected_lists() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let names = [
        "alpine-3.20.3",
        "alpine-3.12.12",
        "debian-12",
        "debian-12-app",
        "alpine-3.20.3-index.linux-amd64",
        "alpine-3.20.3-index.linux-arm64",
    ];
    for name in names {
        let (trivy, _) = trivy_rows(&shared.join(format!("images/trivy-baseline/{name}.trivy.json")));
        let expected = chainward_testkit::expected_os_packages(&shared, name);
        // Trivy records the source epoch only when the Source: field carries no version of its
        // own, so a source version written without its epoch (util-linux for bsdutils) is
        // equal in both once the epoch-less form is compared.
        let strip = |rows: &BTreeSet<Row>| -> BTreeSet<Row> {
            rows.iter()
                .map(|(n, v, s, sv, a)| {
                    let sv = sv.split_once(':').map_or(sv.as_str(), |(_, r)| r).to_owned();
                    (n.clone(), v.clone(), s.clone(), sv, a.clone())
                })
                .collect()
        };
        assert_eq!(strip(&trivy), strip(&expected), "{name}: Trivy and the expected list differ");
    }
}

#[test]
fn chainward_and_trivy_name_the_same_packages_by_purl() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    for name in ["alpine-3.20.3", "debian-12-app"] {
        let layout = format!("oci-layout:{}:{name}", shared.join("images/oci").display());
        let out =
            Command::new(env!("CARGO_BIN_EXE_chainward")).args(["sbom", "--format", "json", &layout]).output().unwrap();
        assert!(out.status.success());
        let ours: Value = serde_json::from_slice(&out.stdout).unwrap();
        let cdx: Value = serde_json::from_slice(
            &std::fs::read(shared.join(format!("images/trivy-baseline/{name}.cdx.json"))).unwrap(),
        )
        .unwrap();
        // Compare type/namespace/name@version: the qualifiers differ on purpose (Trivy writes
        // distro=debian-12.15 and an epoch qualifier for deb; chainward follows Syft's
        // distro=debian-12 and keeps the epoch in the version, as Debian's own version does).
        let core = |purl: &str| -> String {
            let no_q = purl.split('?').next().unwrap_or(purl);
            match no_q.split_once('@') {
                // Drop a leading epoch (`1:` or `1%3A`): Trivy moves it to a qualifier.
                Some((base, v)) => {
                    let v = v.replace("%3A", ":");
                    let v = match v.split_once(':') {
                        Some((e, rest)) if e.bytes().all(|b| b.is_ascii_digit()) => rest.to_owned(),
                        _ => v,
                    };
                    format!("{base}@{v}")
                }
                None => no_q.to_owned(),
            }
        };
        let ours: BTreeSet<String> = ours["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| matches!(p["type"].as_str(), Some("deb" | "apk")))
            .map(|p| core(p["purl"].as_str().unwrap()))
            .collect();
        let theirs: BTreeSet<String> = cdx["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .filter(|p| p.starts_with("pkg:deb/") || p.starts_with("pkg:apk/"))
            .map(core)
            .collect();
        assert_eq!(ours, theirs, "{name}");
    }
}
