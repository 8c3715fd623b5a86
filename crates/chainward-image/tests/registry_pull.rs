//! Pulls the corpus images from a real loopback registry (Debian's docker-registry, started by
//! `shared/images/registry.sh`): every tag resolves to the digests of `images/README.md`, with
//! verified layer blobs; errors for a missing tag, a missing platform, a plain-HTTP registry
//! spoken to over HTTPS; and tampered blobs and manifests, and manifests that lie about sizes, are refused.
//!
//! `#[ignore]`d because they start servers: `cargo test -p chainward-image -- --ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs,
    reason = "a test: it fails loudly and tells why it skips"
)]

mod registry_support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chainward_image::Reference;
use chainward_image::manifest::{DOCKER_MANIFEST, MAX_DOCUMENT_SIZE, OCI_INDEX, OCI_MANIFEST};
use chainward_image::source::registry::{
    NoProgress, PullProgress, RegistryError, RegistryOptions, resolve_registry_image,
};
use chainward_model::{Digest, Platform};
use registry_support::{ScriptRegistry, assert_layers_verified, docker_config, shared};

const ALPINE_3_20_3: &str = "sha256:64507d6bcdd71fd4dea0848ec91a550f804c5d7661eeb639826dc4a66f7da74c";
const ALPINE_3_20_3_ARM64: &str = "sha256:2e9458d376c971a02f3b93ae0061677765c8da412d76984d845cc0c299c329e0";
const ALPINE_INDEX: &str = "sha256:a2b2495ef2140fefe5066c38745212066528b64c7babf16984fe4fa88f33b916";
const ALPINE_3_12_12: &str = "sha256:62bdf06995bc7aa348240f1c4d2b299627d8ec26707099ffb9a3333aa7077d64";
const DEBIAN_12: &str = "sha256:6c77e4c2fd2971b4a11d22233c6519e361058ec1cfa4f646e4651bd6eb6208b8";
const DEBIAN_12_APP: &str = "sha256:79adce9891febf339c1f391e9598c44720d4665182ef040b519dcf5bb6d14086";

/// Options for the loopback registry: plain HTTP, an empty docker config (never the user's).
fn options(registry: &ScriptRegistry, tmp: &std::path::Path) -> RegistryOptions {
    RegistryOptions {
        insecure_registries: vec![registry.host()],
        docker_config: Some(docker_config(tmp, "empty-config.json", "{}")),
        temp_dir: Some(tmp.to_owned()),
        ..RegistryOptions::default()
    }
}

fn reference(s: &str) -> Reference {
    Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn digest(s: &str) -> Digest {
    Digest::parse(s).unwrap()
}

/// Counts what a pull reports.
#[derive(Default)]
struct Counting {
    started: Mutex<Vec<(Digest, u64)>>,
    bytes: AtomicU64,
    done: AtomicU64,
}

impl PullProgress for Counting {
    fn blob_started(&self, digest: &Digest, size: u64) {
        self.started.lock().unwrap().push((digest.clone(), size));
    }
    fn blob_advanced(&self, _: &Digest, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    fn blob_done(&self, _: &Digest) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
#[ignore = "starts a registry"]
fn every_corpus_image_resolves_to_its_digests() {
    let Some(shared) = shared() else { return };
    let registry = ScriptRegistry::start_and_push(&shared);
    let host = registry.host();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&registry, tmp.path());

    // (tag, manifest digest, config digest prefix, media type, layer count)
    let cases = [
        ("alpine:3.20.3", ALPINE_3_20_3, "sha256:06cefef9", OCI_MANIFEST, 1),
        ("alpine:3.12.12", ALPINE_3_12_12, "sha256:f6a3d37f", OCI_MANIFEST, 1),
        ("debian:12", DEBIAN_12, "sha256:6d236db8", DOCKER_MANIFEST, 1),
        ("debian-app:12", DEBIAN_12_APP, "sha256:098dda66", OCI_MANIFEST, 7),
    ];
    for (tag, manifest, config, media_type, layers) in cases {
        let r = reference(&format!("{host}/{tag}"));
        let image = resolve_registry_image(&r, &opts, &NoProgress).unwrap_or_else(|e| panic!("{tag}: {e}"));
        let f = &image.facts;
        assert_eq!(f.manifest_digest, Some(digest(manifest)), "{tag}");
        assert_eq!(f.index_digest, None, "{tag}");
        assert!(f.config_digest.as_ref().unwrap().to_string().starts_with(config), "{tag}");
        assert_eq!(f.manifest_media_type.as_deref(), Some(media_type), "{tag}");
        assert_eq!(f.platform, Some(Platform::linux_amd64()), "{tag}");
        assert_eq!(f.layers.len(), layers, "{tag}");
        assert!(f.created.is_some(), "{tag}");
        assert_eq!(f.reference.as_deref(), Some(r.to_string().as_str()));
        assert_layers_verified(&image);
        // Every layer is a blob of the corpus layout, byte for byte.
        for l in &f.layers {
            assert!(shared.join("images/oci/blobs/sha256").join(l.digest.hex()).is_file());
        }
        assert!(image.keep_alive.is_some());
    }

    // The app image starts with debian-12's layer.
    let debian = resolve_registry_image(&reference(&format!("{host}/debian:12")), &opts, &NoProgress).unwrap();
    let app = resolve_registry_image(&reference(&format!("{host}/debian-app:12")), &opts, &NoProgress).unwrap();
    assert_eq!(debian.facts.layers[0].digest, app.facts.layers[0].digest);

    // The index: linux/amd64 by default, linux/arm64 on request.
    let multi = reference(&format!("{host}/alpine-multiarch:3.20.3"));
    let amd = resolve_registry_image(&multi, &opts, &NoProgress).unwrap();
    assert_eq!(amd.facts.manifest_digest, Some(digest(ALPINE_3_20_3)));
    assert_eq!(amd.facts.index_digest, Some(digest(ALPINE_INDEX)));
    assert_layers_verified(&amd);
    let arm_opts = RegistryOptions { platform: Platform::parse("linux/arm64").unwrap(), ..opts.clone() };
    let arm = resolve_registry_image(&multi, &arm_opts, &NoProgress).unwrap();
    assert_eq!(arm.facts.manifest_digest, Some(digest(ALPINE_3_20_3_ARM64)));
    assert_eq!(arm.facts.index_digest, Some(digest(ALPINE_INDEX)));
    assert_eq!(arm.facts.platform, Some(Platform::parse("linux/arm64/v8").unwrap()));
    assert_layers_verified(&arm);

    // A platform the index lacks: the error lists what it has.
    let s390 = RegistryOptions { platform: Platform::parse("linux/s390x").unwrap(), ..opts.clone() };
    let err = resolve_registry_image(&multi, &s390, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    match &err {
        RegistryError::PlatformNotFound { wanted, available, .. } => {
            assert_eq!(wanted.to_string(), "linux/s390x");
            let names: Vec<String> = available.iter().map(ToString::to_string).collect();
            assert_eq!(names, ["linux/amd64", "linux/arm64/v8"]);
        }
        other => panic!("expected PlatformNotFound, got {other:?}"),
    }
    assert!(err.to_string().contains("available: linux/amd64, linux/arm64/v8"), "{err}");

    // By digest, by tag@digest, and an index by digest.
    for r in [
        format!("{host}/alpine@{ALPINE_3_20_3}"),
        format!("{host}/alpine:3.20.3@{ALPINE_3_20_3}"),
        format!("{host}/debian@{DEBIAN_12}"),
    ] {
        let image = resolve_registry_image(&reference(&r), &opts, &NoProgress).unwrap_or_else(|e| panic!("{r}: {e}"));
        assert_eq!(
            image.facts.manifest_digest.as_ref().map(ToString::to_string),
            r.split('@').nth(1).map(str::to_owned)
        );
        assert_layers_verified(&image);
    }
    let by_index =
        resolve_registry_image(&reference(&format!("{host}/alpine-multiarch@{ALPINE_INDEX}")), &arm_opts, &NoProgress)
            .unwrap();
    assert_eq!(by_index.facts.manifest_digest, Some(digest(ALPINE_3_20_3_ARM64)));

    // A tag that does not exist.
    let err = resolve_registry_image(&reference(&format!("{host}/alpine:latest")), &opts, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(&err, RegistryError::ManifestUnknown { code: Some(c), .. } if c == "MANIFEST_UNKNOWN"), "{err:?}");
    assert!(err.to_string().contains("manifest unknown"), "{err}");
    // A digest pinned that the repository lacks.
    let err =
        resolve_registry_image(&reference(&format!("{host}/alpine@{DEBIAN_12}")), &opts, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::ManifestUnknown { .. }), "{err:?}");

    // HTTPS to a plain-HTTP registry: the error says what to do.
    let https = RegistryOptions { insecure_registries: Vec::new(), ..opts.clone() };
    let err = resolve_registry_image(&reference(&format!("{host}/alpine:3.20.3")), &https, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::Connection { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("--insecure-registry {host}")), "{err}");

    // A blob size limit below the layer: refused before downloading.
    let small = RegistryOptions { max_blob_size: 1_000_000, ..opts.clone() };
    let err = resolve_registry_image(&reference(&format!("{host}/debian:12")), &small, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::TooLarge { size: 28_186_190, limit: 1_000_000, .. }), "{err:?}");

    // Progress: each distinct layer once, every byte counted.
    let progress = Counting::default();
    let image = resolve_registry_image(&reference(&format!("{host}/debian-app:12")), &opts, &progress).unwrap();
    let total: u64 = image.facts.layers.iter().filter_map(|l| l.size).sum();
    assert_eq!(progress.started.lock().unwrap().len(), 7);
    assert_eq!(progress.done.load(Ordering::Relaxed), 7);
    assert_eq!(progress.bytes.load(Ordering::Relaxed), total);

    // Timing of the biggest pull (reported, not asserted).
    let start = Instant::now();
    for _ in 0..10 {
        drop(resolve_registry_image(&reference(&format!("{host}/debian-app:12")), &opts, &NoProgress).unwrap());
    }
    eprintln!("debian-app:12 ({total} bytes): {:?} per pull (mean of 10)", start.elapsed() / 10);

    // Temporary files go when the image goes.
    let path = image.layers[0].path.clone();
    assert!(path.exists());
    drop(image);
    assert!(!path.exists());

    // A pull from inside a tokio runtime works too (on a helper thread).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let image = rt
        .block_on(async { resolve_registry_image(&reference(&format!("{host}/alpine:3.12.12")), &opts, &NoProgress) });
    assert_eq!(image.unwrap().facts.manifest_digest, Some(digest(ALPINE_3_12_12)));
}

/// Overwrites `len` bytes of `path` at `at` with `with` (the file keeps its size).
fn overwrite(path: &std::path::Path, at: u64, with: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(with).unwrap();
}

#[test]
#[ignore = "starts a registry"]
fn tampered_and_lying_content_is_refused() {
    let Some(shared) = shared() else { return };
    let registry = ScriptRegistry::start_and_push(&shared);
    let host = registry.host();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&registry, tmp.path());

    // A layer blob with other bytes in the middle (same size): the registry still serves it
    // under its digest.
    let alpine_old = resolve_registry_image(&reference(&format!("{host}/alpine:3.12.12")), &opts, &NoProgress).unwrap();
    let layer = alpine_old.facts.layers[0].digest.clone();
    drop(alpine_old);
    overwrite(&registry.blob_data(layer.hex()), 100_000, b"chainward was here");
    let err = resolve_registry_image(&reference(&format!("{host}/alpine:3.12.12")), &opts, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    match &err {
        RegistryError::DigestMismatch { what, expected, actual } => {
            assert!(what.starts_with("layer "), "{what}");
            assert_eq!(*expected, layer);
            assert_ne!(*actual, layer);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    // Nothing of a refused pull is left behind in the temp dir.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("chainward-pull-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A manifest with one byte changed (still valid JSON, so the registry serves it).
    let manifest_file = registry.blob_data(&ALPINE_3_20_3["sha256:".len()..]);
    let text = std::fs::read_to_string(&manifest_file).unwrap();
    let at = text.find("\"size\":").expect("a size field") + "\"size\":".len();
    let at = at + text[at..].find(|c: char| c.is_ascii_digit()).unwrap();
    let old = text.as_bytes()[at];
    overwrite(&manifest_file, at as u64, &[if old == b'9' { b'8' } else { old + 1 }]);

    // Pinned by digest: the body does not hash to the pin.
    let err =
        resolve_registry_image(&reference(&format!("{host}/alpine@{ALPINE_3_20_3}")), &opts, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    match &err {
        RegistryError::DigestMismatch { what, expected, actual } => {
            assert!(what.starts_with("manifest") && what.ends_with("(pinned digest)"), "{what}");
            assert_eq!(expected.to_string(), ALPINE_3_20_3);
            assert_ne!(actual.to_string(), ALPINE_3_20_3);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    assert!(err.to_string().contains(ALPINE_3_20_3), "{err}");
    // By tag: the body does not hash to the registry's Docker-Content-Digest header.
    let err = resolve_registry_image(&reference(&format!("{host}/alpine:3.20.3")), &opts, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(
        matches!(&err, RegistryError::DigestMismatch { what, .. } if what.ends_with("(Docker-Content-Digest header)")),
        "{err:?}"
    );
    // Through the index: the entry's digest pins the manifest.
    let err =
        resolve_registry_image(&reference(&format!("{host}/alpine-multiarch:3.20.3")), &opts, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    match &err {
        RegistryError::DigestMismatch { what, expected, .. } => {
            assert!(what.contains("in index") && what.ends_with("(pinned digest)"), "{what}");
            assert_eq!(expected.to_string(), ALPINE_3_20_3);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    // Untouched images still pull.
    resolve_registry_image(&reference(&format!("{host}/debian:12")), &opts, &NoProgress).unwrap();

    // Manifests that lie about sizes, pushed under new tags (a registry checks only that the
    // blobs they name exist).
    let corpus_blob = |d: &str| {
        let bytes = std::fs::read(shared.join("images/oci/blobs/sha256").join(&d["sha256:".len()..])).unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    };
    let put = |repo: &str, tag: &str, media_type: &str, doc: &serde_json::Value| {
        let file = tmp.path().join(format!("{repo}-{tag}.json"));
        std::fs::write(&file, serde_json::to_vec(doc).unwrap()).unwrap();
        registry_support::run(
            std::process::Command::new("curl")
                .args(["-sSf", "-X", "PUT", "-H", &format!("Content-Type: {media_type}")])
                .arg("--data-binary")
                .arg(format!("@{}", file.display()))
                .arg(format!("http://{host}/v2/{repo}/manifests/{tag}")),
        );
    };
    // A layer 1000 bytes shorter than the blob: refused by its Content-Length.
    let mut debian = corpus_blob(DEBIAN_12);
    let real = debian["layers"][0]["size"].as_u64().unwrap();
    debian["layers"][0]["size"] = (real - 1000).into();
    put("debian", "short", DOCKER_MANIFEST, &debian);
    let err = resolve_registry_image(&reference(&format!("{host}/debian:short")), &opts, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(
        matches!(&err, RegistryError::SizeMismatch { what, expected, actual }
            if what.starts_with("layer ") && *expected == real - 1000 && *actual == real),
        "{err:?}"
    );
    // An index entry one byte off, and one over the document size bound.
    let arm = RegistryOptions { platform: Platform::parse("linux/arm64").unwrap(), ..opts.clone() };
    let mut index = corpus_blob(ALPINE_INDEX);
    let entry =
        index["manifests"].as_array().unwrap().iter().position(|m| m["platform"]["architecture"] == "arm64").unwrap();
    let real = index["manifests"][entry]["size"].as_u64().unwrap();
    index["manifests"][entry]["size"] = (real + 1).into();
    put("alpine-multiarch", "off-by-one", OCI_INDEX, &index);
    let err = resolve_registry_image(&reference(&format!("{host}/alpine-multiarch:off-by-one")), &arm, &NoProgress)
        .unwrap_err();
    eprintln!("error: {err}");
    assert!(
        matches!(&err, RegistryError::SizeMismatch { expected, actual, .. } if *expected == real + 1 && *actual == real),
        "{err:?}"
    );
    index["manifests"][entry]["size"] = (MAX_DOCUMENT_SIZE + 1).into();
    put("alpine-multiarch", "huge", OCI_INDEX, &index);
    let err =
        resolve_registry_image(&reference(&format!("{host}/alpine-multiarch:huge")), &arm, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(
        matches!(&err, RegistryError::TooLarge { size, limit: MAX_DOCUMENT_SIZE, .. } if *size == MAX_DOCUMENT_SIZE + 1),
        "{err:?}"
    );
}
