//! Fuzzes the OCI layout source with arbitrary bytes as `index.json`, in a layout whose
//! other blobs (manifest, config, one layer) are valid: resolving and loading must never
//! panic, and an image that loads is that one image.
//!
//! The fuzzer cannot compute digests, so `@MANIFEST` and `@SIZE` in the input are replaced by
//! the manifest's digest and size before the file is written (the seeds of
//! `seed_corpus.py` use them).
#![no_main]

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_image::walk::{Everything, Limits};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest as _, Sha256};

struct Layout {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    manifest_digest: String,
    manifest_size: usize,
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn put(dir: &std::path::Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let path = dir.join("blobs/sha256").join(&digest[7..]);
    std::fs::File::create(path).and_then(|mut f| f.write_all(bytes)).expect("writing a blob");
    digest
}

/// A one-file uncompressed tar: `etc/os-release`.
fn layer() -> Vec<u8> {
    let data = b"ID=fuzz\n";
    let mut h = [0u8; 512];
    h[..14].copy_from_slice(b"etc/os-release");
    h[100..108].copy_from_slice(b"0000644\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = h.to_vec();
    tar.extend_from_slice(data);
    tar.resize(1024 + 1024, 0);
    tar
}

fn layout() -> &'static Layout {
    static LAYOUT: OnceLock<Layout> = OnceLock::new();
    LAYOUT.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("layout");
        std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir");
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("oci-layout");
        let layer = layer();
        let layer_digest = put(&dir, &layer);
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
        );
        let config_digest = put(&dir, config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        );
        let manifest_digest = put(&dir, manifest.as_bytes());
        Layout {
            _tmp: tmp,
            dir,
            manifest_digest,
            manifest_size: manifest.len(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let layout = layout();
    let text = String::from_utf8_lossy(data)
        .replace("@MANIFEST", &layout.manifest_digest)
        .replace("@SIZE", &layout.manifest_size.to_string());
    std::fs::write(layout.dir.join("index.json"), text.as_bytes()).expect("writing index.json");
    let opts = LoadOptions {
        limits: Limits { max_file_size: 1 << 16, max_image_size: 1 << 20, max_entries: 100, max_kept_size: 1 << 20 },
        ..LoadOptions::default()
    };
    for tag in [None, Some("latest".to_owned())] {
        let target = Target::OciLayout { dir: layout.dir.clone(), tag };
        if let Ok(image) = load_image("fuzz", &target, &opts, &Everything) {
            assert_eq!(
                image.facts.manifest_digest.map(|d| d.to_string()).as_deref(),
                Some(layout.manifest_digest.as_str())
            );
            assert_eq!(&*image.tree.read("etc/os-release").expect("the one file"), b"ID=fuzz\n");
        }
    }
});
