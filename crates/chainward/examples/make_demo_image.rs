//! Writes the demo image of the README's quick start: a two-layer OCI image layout in
//! `examples/demo-image`, a small Debian 12 system whose second layer upgrades a package
//! and deletes a file with an OCI whiteout.
//!
//! `cargo run -p chainward --example make_demo_image [-- OUTDIR]`
//!
//! The output is byte-for-byte reproducible (fixed times, sorted names, uncompressed
//! layers), and a test regenerates it and compares with the committed copy. The package
//! list is a hand-written excerpt shaped like a real bookworm `dpkg/status`, for the demo only.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MTIME: u64 = 1_747_699_200; // 2025-05-20T00:00:00Z, like the corpus images

fn stanza(name: &str, version: &str, arch: &str, source: Option<&str>) -> String {
    let mut s = format!("Package: {name}\nStatus: install ok installed\nPriority: optional\nArchitecture: {arch}\n");
    if let Some(src) = source {
        s.push_str(&format!("Source: {src}\n"));
    }
    s.push_str(&format!("Version: {version}\nDescription: {name} (chainward demo)\n\n"));
    s
}

fn status(libssl: &str) -> String {
    [
        stanza("base-files", "12.4+deb12u10", "amd64", None),
        stanza("bash", "5.2.15-2+b7", "amd64", None),
        stanza("libc6", "2.36-9+deb12u10", "amd64", Some("glibc")),
        stanza("libssl3", libssl, "amd64", Some("openssl")),
        stanza("openssl", libssl, "amd64", None),
        stanza("tzdata", "2025b-0+deb12u1", "all", None),
        stanza("zlib1g", "1:1.2.13.dfsg-1", "amd64", Some("zlib")),
    ]
    .concat()
}

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

const OPENSSL_COPYRIGHT: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
Upstream-Name: OpenSSL\n\nFiles: *\nCopyright: 1998-2024 The OpenSSL Project Authors\nLicense: Apache-2.0\n";

/// A ustar header block.
fn header(name: &str, size: u64, typeflag: u8, link: &str, mode: u32) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(format!("{MTIME:011o}\0").as_bytes());
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

enum Entry<'a> {
    Dir(&'a str),
    File(&'a str, String),
    Symlink(&'a str, &'a str),
}

fn tar(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        match e {
            Entry::Dir(name) => out.extend_from_slice(&header(name, 0, b'5', "", 0o755)),
            Entry::Symlink(name, target) => out.extend_from_slice(&header(name, 0, b'2', target, 0o777)),
            Entry::File(name, data) => {
                out.extend_from_slice(&header(name, data.len() as u64, b'0', "", 0o644));
                out.extend_from_slice(data.as_bytes());
                out.resize(out.len().div_ceil(512) * 512, 0);
            }
        }
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    format!("sha256:{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn put_blob(dir: &Path, bytes: &[u8]) -> String {
    let d = digest(bytes);
    let path = dir.join("blobs/sha256").join(&d["sha256:".len()..]);
    std::fs::write(path, bytes).expect("write blob");
    d
}

/// Writes the layout; returns the manifest digest.
pub(crate) fn write_demo(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("create layout");
    let layer1 = tar(&[
        Entry::Dir("etc/"),
        Entry::Symlink("etc/os-release", "../usr/lib/os-release"),
        Entry::File("etc/debian_version", "12.10\n".into()),
        Entry::Dir("usr/"),
        Entry::Dir("usr/lib/"),
        Entry::File("usr/lib/os-release", OS_RELEASE.into()),
        Entry::Dir("usr/share/doc/libssl3/"),
        Entry::File("usr/share/doc/libssl3/copyright", OPENSSL_COPYRIGHT.into()),
        Entry::Dir("var/lib/dpkg/"),
        Entry::File("var/lib/dpkg/status", status("3.0.15-1~deb12u1")),
        Entry::File("var/tmp/build-secret.txt", "left behind by a build step\n".into()),
    ]);
    // Layer 2: `apt-get upgrade` of openssl, and the stray file deleted (OCI whiteout).
    let layer2 = tar(&[
        Entry::File("var/lib/dpkg/status", status("3.0.17-1~deb12u2")),
        Entry::File("var/tmp/.wh.build-secret.txt", String::new()),
    ]);
    let layers = [layer1, layer2];
    let diff_ids: Vec<String> = layers.iter().map(|l| digest(l)).collect();
    let layer_descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": put_blob(dir, l),
                "size": l.len(),
            })
        })
        .collect();
    let config = serde_json::json!({
        "created": "2025-05-20T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": { "Cmd": ["/bin/bash"] },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": [
            { "created": "2025-05-20T00:00:00Z", "created_by": "debootstrap excerpt (chainward demo)" },
            { "created": "2025-05-20T00:00:00Z", "created_by": "apt-get upgrade openssl && rm /var/tmp/build-secret.txt" }
        ]
    });
    let config_bytes = serde_json::to_vec(&config).expect("config json");
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": put_blob(dir, &config_bytes),
            "size": config_bytes.len(),
        },
        "layers": layer_descs,
    });
    let manifest_bytes = serde_json::to_vec(&manifest).expect("manifest json");
    let manifest_digest = put_blob(dir, &manifest_bytes);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_bytes.len(),
            "annotations": { "org.opencontainers.image.ref.name": "demo" }
        }]
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).expect("index json")).expect("write index");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("write oci-layout");
    manifest_digest
}

fn main() {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-image"));
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("clear old layout");
    }
    let digest = write_demo(&out);
    println!("wrote {} (manifest {digest})", out.display());
}
