//! The quick-start demo image: the committed `examples/demo-image` is exactly what
//! `make_demo_image` writes, and `chainward sbom` reads it as the README says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

#[allow(dead_code)]
#[path = "../examples/make_demo_image.rs"]
mod make_demo_image;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_demo_image_is_what_the_generator_writes() {
    let committed = chainward_testkit::workspace_root().join("examples/demo-image");
    let fresh = tempfile::tempdir().unwrap();
    make_demo_image::write_demo(fresh.path());
    assert_eq!(
        files(&committed),
        files(fresh.path()),
        "regenerate with: cargo run -p chainward --example make_demo_image"
    );
}

#[test]
fn quick_start_reads_the_demo_image() {
    let layout = chainward_testkit::workspace_root().join("examples/demo-image");
    let out = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["sbom", "--format", "json", &format!("oci-layout:{}", layout.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sbom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sbom["os"]["id"], "debian");
    let layers: Vec<&str> =
        sbom["image"]["layers"].as_array().unwrap().iter().map(|l| l["digest"].as_str().unwrap()).collect();
    let pkgs = sbom["packages"].as_array().unwrap();
    assert_eq!(pkgs.len(), 7);
    for p in pkgs {
        let layer = p["locations"][0]["layer"].as_str().unwrap();
        match p["name"].as_str().unwrap() {
            // The second layer upgraded openssl: its packages were introduced there.
            "libssl3" | "openssl" => {
                assert_eq!(p["version"], "3.0.17-1~deb12u2");
                assert_eq!(layer, layers[1]);
            }
            _ => assert_eq!(layer, layers[0], "{p}"),
        }
    }
    let libssl = pkgs.iter().find(|p| p["name"] == "libssl3").unwrap();
    assert_eq!(libssl["licenses"][0], "Apache-2.0");
    assert_eq!(libssl["source"]["name"], "openssl");
}
