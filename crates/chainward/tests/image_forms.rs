//! End to end: `chainward sbom` on every corpus image in every form reports exactly the OS
//! packages of `../shared/images/expected/NAME.os-packages.tsv`, and its CycloneDX and SPDX
//! output validates against the official schemas.
//!
//! The OCI layout tests read `../shared` directly and run always; the derived forms need
//! `export.sh` (skopeo, umoci) and are `#[ignore]`d, run by `.ci/run`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

type PackageRow = (String, String, String, String, String);

fn chainward(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainward")).args(args).output().expect("running chainward");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn sbom_json(target: &str, extra: &[&str]) -> Value {
    let mut args = vec!["sbom", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(target);
    let (code, stdout, stderr) = chainward(&args);
    assert_eq!(code, 0, "chainward sbom {target} failed: {stderr}");
    serde_json::from_slice(&stdout).unwrap_or_else(|e| panic!("{target}: output is not JSON: {e}"))
}

/// (name, version, source, source version or "", arch) from the expected TSV.
fn expected(shared: &Path, name: &str) -> BTreeSet<PackageRow> {
    chainward_testkit::expected_os_packages(shared, name)
}

fn reported(sbom: &Value) -> BTreeSet<PackageRow> {
    sbom["packages"]
        .as_array()
        .expect("packages array")
        .iter()
        .filter(|p| matches!(p["type"].as_str(), Some("deb" | "apk")))
        .map(|p| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let is_apk = p["type"] == "apk";
            (
                s(&p["name"]),
                s(&p["version"]),
                s(&p["source"]["name"]),
                // apk's origin has no separate version in the expected lists.
                if is_apk { String::new() } else { s(&p["source"]["version"]) },
                s(&p["arch"]),
            )
        })
        .collect()
}

fn check(target: &str, expected_name: &str, extra: &[&str]) {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let sbom = sbom_json(target, extra);
    let want = expected(&shared, expected_name);
    let got = reported(&sbom);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra_pkgs: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && extra_pkgs.is_empty(), "{target}: missing {missing:?}, unexpected {extra_pkgs:?}");
    // Every package carries its evidence and the layer that introduced it.
    for p in sbom["packages"].as_array().into_iter().flatten() {
        let loc = &p["locations"][0];
        assert!(loc["path"].as_str().is_some_and(|s| s.starts_with('/')), "{target}: {p}");
        if !target.starts_with("rootfs:") {
            assert!(loc["layer"].as_str().is_some_and(|s| s.starts_with("sha256:")), "{target}: {p}");
        }
        assert!(p["purl"].as_str().is_some_and(|s| s.starts_with("pkg:")), "{target}: {p}");
    }
}

fn layout(shared: &Path, tag: &str) -> String {
    format!("oci-layout:{}:{tag}", shared.join("images/oci").display())
}

const IMAGES: &[&str] = &["alpine-3.20.3", "alpine-3.12.12", "debian-12", "debian-12-app"];

#[test]
fn oci_layout_every_tag() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    for name in IMAGES {
        check(&layout(&shared, name), name, &[]);
    }
    let index = layout(&shared, "alpine-3.20.3-index");
    check(&index, "alpine-3.20.3-index.linux-amd64", &[]);
    check(&index, "alpine-3.20.3-index.linux-arm64", &["--platform", "linux/arm64"]);
    check(&index, "alpine-3.20.3-index.linux-arm64", &["--platform", "linux/arm64/v8"]);
}

#[test]
fn oci_layout_errors_are_clear() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let dir = shared.join("images/oci");
    let (code, _, err) = chainward(&["sbom", &format!("oci-layout:{}", dir.display())]);
    assert_eq!(code, 2);
    assert!(err.contains("holds several images") && err.contains("debian-12-app"), "{err}");
    let (code, _, err) = chainward(&["sbom", &format!("oci-layout:{}:nope", dir.display())]);
    assert_eq!(code, 2);
    assert!(err.contains("no image tagged \"nope\""), "{err}");
    let (code, _, err) = chainward(&["sbom", "--platform", "linux/s390x", &layout(&shared, "alpine-3.20.3-index")]);
    assert_eq!(code, 2);
    assert!(err.contains("no image for platform linux/s390x") && err.contains("linux/arm64/v8"), "{err}");
}

#[test]
fn cyclonedx_and_spdx_of_a_real_image_validate() {
    use chainward_testkit::schema::{SchemaKind, validate_against_schema};
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let target = layout(&shared, "debian-12-app");
    for (format, kind) in [("cyclonedx", SchemaKind::CycloneDx16), ("spdx", SchemaKind::Spdx23)] {
        let (code, out, err) = chainward(&["sbom", "--format", format, &target]);
        assert_eq!(code, 0, "{err}");
        let doc: Value = serde_json::from_slice(&out).unwrap();
        validate_against_schema(kind, &doc, &shared.join("corpus/schemas"))
            .unwrap_or_else(|e| panic!("{format} output fails its schema: {e}"));
    }
}

#[test]
#[ignore = "starts a loopback docker-registry; run by .ci/run"]
fn registry_pulls() {
    let Some(registry) = chainward_testkit::LoopbackRegistry::start_with_corpus() else { return };
    let host = registry.host();
    let insecure = ["--insecure-registry", host.as_str()];
    for (reference, expected_name) in [
        ("alpine:3.20.3", "alpine-3.20.3"),
        ("alpine:3.12.12", "alpine-3.12.12"),
        ("debian:12", "debian-12"),
        ("debian-app:12", "debian-12-app"),
        ("alpine-multiarch:3.20.3", "alpine-3.20.3-index.linux-amd64"),
    ] {
        check(&format!("{host}/{reference}"), expected_name, &insecure);
    }
    let mut arm = insecure.to_vec();
    arm.extend(["--platform", "linux/arm64"]);
    check(&format!("{host}/alpine-multiarch:3.20.3"), "alpine-3.20.3-index.linux-arm64", &arm);
    // By digest, and as `registry:` with the Docker v2s2 manifest of debian:12.
    check(
        &format!("registry:{host}/debian@sha256:6c77e4c2fd2971b4a11d22233c6519e361058ec1cfa4f646e4651bd6eb6208b8"),
        "debian-12",
        &insecure,
    );
    let sbom = sbom_json(&format!("{host}/debian-app:12"), &insecure);
    assert_eq!(sbom["image"]["digest"], "sha256:79adce9891febf339c1f391e9598c44720d4665182ef040b519dcf5bb6d14086");
    let (code, _, err) = chainward(&["sbom", "--insecure-registry", &host, &format!("{host}/alpine:latest")]);
    assert_eq!(code, 2);
    assert!(err.contains("MANIFEST_UNKNOWN") || err.contains("manifest unknown"), "{err}");
}

fn export_dir() -> Option<PathBuf> {
    chainward_testkit::exported_images()
}

#[test]
#[ignore = "needs export.sh (skopeo, umoci); run by .ci/run"]
fn derived_forms() {
    let Some(dir) = export_dir() else { return };
    let p = |f: &str| dir.join(f).display().to_string();
    for name in IMAGES {
        check(&format!("docker-archive:{}", p(&format!("{name}.docker.tar"))), name, &[]);
        check(&format!("oci-archive:{}", p(&format!("{name}.oci.tar"))), name, &[]);
        check(&format!("rootfs:{}", p(&format!("{name}.rootfs"))), name, &[]);
    }
    for name in ["alpine-3.20.3", "debian-12-app"] {
        check(&format!("docker-archive:{}", p(&format!("{name}.docker.tar.gz"))), name, &[]);
    }
    for arch in ["amd64", "arm64"] {
        let expected = format!("alpine-3.20.3-index.linux-{arch}");
        check(&format!("docker-archive:{}", p(&format!("{expected}.docker.tar"))), &expected, &[]);
        check(&format!("rootfs:{}", p(&format!("{expected}.rootfs"))), &expected, &[]);
        let platform = format!("linux/{arch}");
        check(&format!("oci-archive:{}", p("alpine-3.20.3-index.oci.tar")), &expected, &["--platform", &platform]);
    }
}
