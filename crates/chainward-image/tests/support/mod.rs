//! Builds hostile image fixtures at test time (no binary fixtures are committed): raw tar
//! streams with any header the tests need (names the `tar` crate refuses to write, bad
//! checksums, GNU long-name records), gzip layers, OCI image layouts and `docker save`
//! archives; a snapshot of a directory tree to prove a load touched nothing; and peak-RSS
//! readings from `/proc/self/status`.
#![allow(dead_code, reason = "each test file uses a part")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chainward_image::source::{LoadOptions, LoadedImage, SourceError, Target, load_image};
use chainward_image::walk::{Everything, Limits};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

pub(crate) const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub(crate) const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// `sha256:<hex>` of some bytes.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A ustar header block. `name` and `link` are cut at 100 bytes (use
/// [`TarWriter::gnu_long_name`] for longer names).
pub(crate) fn ustar_header(name: &[u8], typeflag: u8, size: u64, link: &[u8]) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = typeflag;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    fix_checksum(&mut h);
    h
}

/// Recomputes a header's checksum after an edit.
pub(crate) fn fix_checksum(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn padding(len: u64) -> usize {
    ((512 - len % 512) % 512) as usize
}

/// Writes a tar stream entry by entry, with no checks on names or sizes.
#[derive(Default)]
pub(crate) struct TarWriter {
    buf: Vec<u8>,
}

impl TarWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A header and its data (padded to the block size).
    pub(crate) fn entry(&mut self, header: &[u8; 512], data: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(header);
        self.buf.extend_from_slice(data);
        self.buf.resize(self.buf.len() + padding(data.len() as u64), 0);
        self
    }

    pub(crate) fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(&ustar_header(name.as_bytes(), b'0', data.len() as u64, b""), data)
    }

    pub(crate) fn dir(&mut self, name: &str) -> &mut Self {
        self.entry(&ustar_header(name.as_bytes(), b'5', 0, b""), b"")
    }

    pub(crate) fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(&ustar_header(name.as_bytes(), b'2', 0, target.as_bytes()), b"")
    }

    pub(crate) fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.entry(&ustar_header(name.as_bytes(), b'1', 0, target.as_bytes()), b"")
    }

    /// A GNU `L` record naming the next entry.
    pub(crate) fn gnu_long_name(&mut self, name: &[u8]) -> &mut Self {
        let mut data = name.to_vec();
        data.push(0);
        self.entry(&ustar_header(b"././@LongLink", b'L', data.len() as u64, b""), &data)
    }

    /// Raw bytes, as they are.
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// The stream with its end-of-archive marker (two zero blocks).
    pub(crate) fn finish(&self) -> Vec<u8> {
        let mut out = self.buf.clone();
        out.extend_from_slice(&[0u8; 1024]);
        out
    }
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

/// A gzip member of `len` zero bytes, compressed as tightly as deflate allows (about
/// 1000:1), streamed so the zeros are never in memory at once.
pub(crate) fn gzip_zeros(len: u64) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        enc.write_all(&chunk[..n]).expect("gzip into memory");
        left -= n as u64;
    }
    enc.finish().expect("gzip into memory")
}

/// Deterministic bytes that do not compress (an xorshift stream).
pub(crate) fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A layer blob and the digest of its uncompressed tar (its diff_id).
#[derive(Clone)]
pub(crate) struct Layer {
    pub(crate) blob: Vec<u8>,
    pub(crate) diff_id: String,
    pub(crate) media_type: &'static str,
}

impl Layer {
    /// A gzip-compressed layer of a tar stream.
    pub(crate) fn gzip(tar: &[u8]) -> Self {
        Self { blob: gzip(tar), diff_id: sha256(tar), media_type: OCI_LAYER_GZIP }
    }

    /// A blob as it is, with a diff_id chosen by the test.
    pub(crate) fn raw(blob: Vec<u8>, diff_id: String) -> Self {
        Self { blob, diff_id, media_type: OCI_LAYER_GZIP }
    }
}

/// A blob written to a layout.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub(crate) digest: String,
    pub(crate) size: u64,
}

impl Blob {
    pub(crate) fn descriptor(&self, media_type: &str) -> Value {
        json!({"mediaType": media_type, "digest": self.digest, "size": self.size})
    }
}

/// An OCI image layout directory (image-spec image-layout.md).
pub(crate) struct OciLayout {
    pub(crate) dir: PathBuf,
}

/// What [`OciLayout::image`] wrote.
pub(crate) struct WrittenImage {
    pub(crate) manifest: Blob,
    pub(crate) config: Blob,
    pub(crate) layers: Vec<Blob>,
}

impl OciLayout {
    /// Creates `dir` with its `oci-layout` file and `blobs/sha256/`.
    pub(crate) fn create(dir: &Path) -> Self {
        std::fs::create_dir_all(dir.join("blobs/sha256")).expect("creating the layout");
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("writing oci-layout");
        Self { dir: dir.to_path_buf() }
    }

    pub(crate) fn blob_path(&self, digest: &str) -> PathBuf {
        let (alg, hex) = digest.split_once(':').expect("a digest");
        self.dir.join("blobs").join(alg).join(hex)
    }

    /// Stores bytes under their own digest.
    pub(crate) fn put_blob(&self, bytes: &[u8]) -> Blob {
        let digest = sha256(bytes);
        std::fs::write(self.blob_path(&digest), bytes).expect("writing a blob");
        Blob { digest, size: bytes.len() as u64 }
    }

    /// Stores bytes under a digest that may not be theirs.
    pub(crate) fn put_blob_as(&self, digest: &str, bytes: &[u8]) {
        std::fs::write(self.blob_path(digest), bytes).expect("writing a blob");
    }

    pub(crate) fn put_config(&self, diff_ids: &[String]) -> Blob {
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "config": {},
        });
        self.put_blob(&serde_json::to_vec(&config).expect("json"))
    }

    /// A manifest over a config and layer descriptors; `extra` fields are merged in.
    pub(crate) fn put_manifest(&self, config: &Blob, layers: &[Value], extra: Value) -> Blob {
        let mut m = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config.descriptor(OCI_CONFIG),
            "layers": layers,
        });
        if let (Some(obj), Value::Object(more)) = (m.as_object_mut(), extra) {
            obj.extend(more);
        }
        self.put_blob(&serde_json::to_vec(&m).expect("json"))
    }

    /// `index.json` with one entry, tagged.
    pub(crate) fn write_index(&self, manifest: &Value, tag: &str) {
        let mut entry = manifest.clone();
        entry["annotations"] = json!({ REF_NAME: tag });
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]});
        std::fs::write(self.dir.join("index.json"), serde_json::to_vec(&index).expect("json"))
            .expect("writing index.json");
    }

    /// A whole image: layer blobs, config with their diff_ids, manifest, tagged index.
    pub(crate) fn image(&self, layers: &[Layer], tag: &str) -> WrittenImage {
        let blobs: Vec<Blob> = layers.iter().map(|l| self.put_blob(&l.blob)).collect();
        let descs: Vec<Value> = blobs.iter().zip(layers).map(|(b, l)| b.descriptor(l.media_type)).collect();
        let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
        let config = self.put_config(&diff_ids);
        let manifest = self.put_manifest(&config, &descs, json!({}));
        self.write_index(&manifest.descriptor(OCI_MANIFEST), tag);
        WrittenImage { manifest, config, layers: blobs }
    }
}

/// `docker save` output: `manifest.json`, a config, and one uncompressed tar per layer.
/// `listed_layers` is what manifest.json names (which may differ from what is stored).
pub(crate) fn docker_archive(layers: &[(&str, Vec<u8>)], listed_layers: &[&str], diff_ids: &[String]) -> Vec<u8> {
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .expect("json");
    let config_name = format!("{}.json", &sha256(&config)[7..]);
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_name,
        "RepoTags": ["hostile:latest"],
        "Layers": listed_layers,
    }]))
    .expect("json");
    let mut tar = TarWriter::new();
    tar.file("manifest.json", &manifest).file(&config_name, &config);
    for (name, bytes) in layers {
        tar.file(name, bytes);
    }
    tar.finish()
}

/// Loads a target with every file wanted.
pub(crate) fn load(target: &str, limits: Limits) -> Result<LoadedImage, SourceError> {
    let parsed = Target::parse(target)?;
    let opts = LoadOptions { limits, ..LoadOptions::default() };
    load_image(target, &parsed, &opts, &Everything)
}

/// A temporary directory laid out to catch escapes: a sentinel file and a "host" secret
/// beside where the image goes. [`Sandbox::assert_untouched`] compares every file under
/// the directory (names, kinds, sizes, contents, link targets) with the snapshot taken
/// when the image was written.
pub(crate) struct Sandbox {
    pub(crate) tmp: tempfile::TempDir,
    before: Option<BTreeMap<PathBuf, String>>,
}

pub(crate) const SENTINEL: &[u8] = b"sentinel: nothing may change me\n";
pub(crate) const HOST_SECRET: &[u8] = b"HOST SECRET: never read into an image\n";

impl Sandbox {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("sentinel"), SENTINEL).expect("sentinel");
        std::fs::create_dir_all(tmp.path().join("host")).expect("host dir");
        std::fs::write(tmp.path().join("host/secret"), HOST_SECRET).expect("host secret");
        Self { tmp, before: None }
    }

    pub(crate) fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The layout directory inside the sandbox.
    pub(crate) fn layout(&self) -> OciLayout {
        OciLayout::create(&self.path().join("layout"))
    }

    /// `oci-layout:DIR:TAG` for the sandbox's layout.
    pub(crate) fn layout_target(&self, tag: &str) -> String {
        format!("oci-layout:{}:{tag}", self.path().join("layout").display())
    }

    /// Takes the snapshot (call after writing the fixture, before loading).
    pub(crate) fn seal(&mut self) {
        self.before = Some(snapshot(self.path()));
    }

    pub(crate) fn assert_untouched(&self) {
        let before = self.before.as_ref().expect("seal() before assert_untouched()");
        let after = snapshot(self.path());
        assert_eq!(&after, before, "the load changed files beside the image");
        assert_eq!(std::fs::read(self.path().join("sentinel")).expect("sentinel"), SENTINEL);
        assert_eq!(std::fs::read(self.path().join("host/secret")).expect("secret"), HOST_SECRET);
    }
}

/// Every path under `root` with a description of what it is (no links followed).
pub(crate) fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("dir entry").path();
            let md = std::fs::symlink_metadata(&path).expect("metadata");
            let what = if md.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else if md.file_type().is_symlink() {
                format!("symlink -> {}", std::fs::read_link(&path).expect("readlink").display())
            } else {
                let bytes = std::fs::read(&path).expect("read");
                format!("file {} {}", md.len(), sha256(&bytes))
            };
            out.insert(path.strip_prefix(root).expect("under root").to_path_buf(), what);
        }
    }
    out
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`), if the platform has it.
pub(crate) fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    let kib: u64 = line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak-RSS mark (Linux `clear_refs` value 5); false where unsupported.
pub(crate) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// gzip with stored (uncompressed) deflate blocks: its length depends only on the input's.
pub(crate) fn gzip_stored(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::none());
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}
