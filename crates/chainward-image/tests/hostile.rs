//! Hostile images, built by the tests themselves in a temporary directory and loaded through
//! the public API (`Target::parse` + `load_image`, every file wanted): path traversal in
//! entry names and link targets, symlink loops, decompression bombs, oversized files and
//! documents, truncated and tampered blobs, missing blobs, malformed tar records, broken
//! docker archives and odd whiteouts. Each load must end in a typed error or a safe tree,
//! never a panic, and must leave every file beside the image as it was.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs,
    reason = "a test: it fails loudly"
)]

mod support;

use std::time::{Duration, Instant};

use chainward_image::ReadError;
use chainward_image::source::{LoadedImage, SourceError};
use chainward_image::tar::TarError;
use chainward_image::walk::{Limits, WalkError};
use serde_json::json;
use support::{
    HOST_SECRET, Layer, OCI_MANIFEST, Sandbox, TarWriter, docker_archive, fix_checksum, gzip, gzip_zeros, load, noise,
    sha256, ustar_header,
};

const MIB: u64 = 1024 * 1024;

/// Loads the sandbox's layout under `tag` and checks that nothing beside it changed.
fn load_layout(sandbox: &Sandbox, tag: &str, limits: Limits) -> Result<LoadedImage, SourceError> {
    let result = load(&sandbox.layout_target(tag), limits);
    sandbox.assert_untouched();
    result
}

/// A one-layer image in a fresh sandbox, loaded with the default limits.
fn one_layer(tar: &[u8]) -> (Sandbox, Result<LoadedImage, SourceError>) {
    let mut sandbox = Sandbox::new();
    sandbox.layout().image(&[Layer::gzip(tar)], "t");
    sandbox.seal();
    let result = load_layout(&sandbox, "t", Limits::default());
    (sandbox, result)
}

fn assert_not_found(r: Result<std::borrow::Cow<'_, [u8]>, ReadError>, what: &str) {
    match r {
        Err(ReadError::NotFound { .. }) => {}
        Ok(bytes) => {
            assert_ne!(&*bytes, HOST_SECRET, "{what}: read the host's file");
            panic!("{what}: expected NotFound, read {:?}", String::from_utf8_lossy(&bytes));
        }
        Err(e) => panic!("{what}: expected NotFound, got {e}"),
    }
}

// ---- names and links that point outside the root ----

#[test]
fn traversal_names_are_clamped_inside_the_root() {
    for name in ["../../etc/passwd", "/etc/passwd", "./../etc/../../etc/passwd", "//etc/passwd"] {
        let tar = TarWriter::new().file(name, b"root:x:0:0::/root:/bin/sh\n").finish();
        let (_sandbox, result) = one_layer(&tar);
        let image = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&*image.tree.read("etc/passwd").unwrap(), b"root:x:0:0::/root:/bin/sh\n", "{name}");
        assert_eq!(image.tree.clamped_paths, vec![name.to_owned()], "{name}");
        assert_eq!(image.tree.len(), 1, "{name}: only etc/passwd");
    }
}

#[test]
fn both_clamped_names_merge_as_one_path() {
    let mut sandbox = Sandbox::new();
    let l0 = TarWriter::new().file("../../etc/passwd", b"lower\n").finish();
    let l1 = TarWriter::new().file("/etc/passwd", b"upper\n").finish();
    sandbox.layout().image(&[Layer::gzip(&l0), Layer::gzip(&l1)], "t");
    sandbox.seal();
    let image = load_layout(&sandbox, "t", Limits::default()).unwrap();
    assert_eq!(&*image.tree.read("/etc/passwd").unwrap(), b"upper\n");
    assert_eq!(image.tree.layer_of("etc/passwd"), Some(1));
    assert_eq!(image.tree.clamped_paths, ["../../etc/passwd", "/etc/passwd"]);
    let history = image.tree.history("etc/passwd").unwrap();
    assert_eq!(history.len(), 2);
}

#[test]
fn symlink_escapes_resolve_inside_the_root() {
    let links = |tar: &mut TarWriter| {
        tar.symlink("etc/shadow", "../../../../../host/secret")
            .symlink("etc/abs", "/host/secret")
            .symlink("etc/up", "../../../..")
            .symlink("etc/rootabs", "/");
    };
    let reads = ["etc/shadow", "etc/abs", "etc/up/host/secret", "etc/rootabs/host/secret", "../host/secret"];

    // Without a host/secret in the image: nothing to read, and never the host's file.
    let mut tar = TarWriter::new();
    links(&mut tar);
    let (_sandbox, result) = one_layer(&tar.finish());
    let image = result.unwrap();
    for path in reads {
        assert_not_found(image.tree.read(path), path);
    }
    assert_eq!(image.tree.resolve("etc/shadow").unwrap_err().to_string(), "etc/shadow: no such file in the image");

    // With one: every escape lands on the image's own file.
    let mut tar = TarWriter::new();
    links(&mut tar);
    tar.file("host/secret", b"in-image\n");
    let (_sandbox, result) = one_layer(&tar.finish());
    let image = result.unwrap();
    for path in reads {
        assert_eq!(&*image.tree.read(path).unwrap(), b"in-image\n", "{path}");
        assert_eq!(image.tree.resolve(path).unwrap(), "host/secret", "{path}");
    }
}

#[test]
fn rootfs_symlink_escapes_stay_inside_the_root() {
    use std::os::unix::fs::symlink;
    let mut sandbox = Sandbox::new();
    let root = sandbox.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    // On disk these resolve to the sandbox's host/secret (or the machine's /host/secret).
    symlink("../../host/secret", root.join("etc/shadow")).unwrap();
    symlink("../../../../../host/secret", root.join("etc/deep")).unwrap();
    symlink("/host/secret", root.join("etc/abs")).unwrap();
    symlink("../../host", root.join("lib")).unwrap();
    sandbox.seal();
    let target = format!("rootfs:{}", root.display());
    let image = load(&target, Limits::default()).unwrap();
    sandbox.assert_untouched();
    for path in ["etc/shadow", "etc/deep", "etc/abs", "lib/secret"] {
        assert_not_found(image.tree.read(path), path);
    }

    // The image's own host/secret is what they reach.
    std::fs::create_dir_all(root.join("host")).unwrap();
    std::fs::write(root.join("host/secret"), b"in-image\n").unwrap();
    sandbox.seal();
    let image = load(&target, Limits::default()).unwrap();
    sandbox.assert_untouched();
    for path in ["etc/shadow", "etc/deep", "etc/abs", "lib/secret"] {
        assert_eq!(&*image.tree.read(path).unwrap(), b"in-image\n", "{path}");
    }
}

#[test]
fn hardlink_escape_is_clamped() {
    let tar = TarWriter::new().hardlink("x", "../../outside").finish();
    let mut sandbox = Sandbox::new();
    // What `../../outside` would name from the layout's blobs, were it followed on disk.
    std::fs::write(sandbox.path().join("outside"), HOST_SECRET).unwrap();
    sandbox.layout().image(&[Layer::gzip(&tar)], "t");
    sandbox.seal();
    let image = load_layout(&sandbox, "t", Limits::default()).unwrap();
    assert_not_found(image.tree.read("x"), "x");
    assert_eq!(image.tree.clamped_paths, ["x (hard link target)"]);

    let tar = TarWriter::new().file("outside", b"in-image\n").hardlink("x", "../../outside").finish();
    let (_sandbox, result) = one_layer(&tar);
    assert_eq!(&*result.unwrap().tree.read("x").unwrap(), b"in-image\n");
}

#[test]
fn symlink_loops_are_reported() {
    let mut tar = TarWriter::new();
    tar.symlink("a", "b").symlink("b", "a").symlink("self", "self").symlink("dir/x", "../dir/x");
    tar.symlink("grow", "grow/grow").symlink("hard-to-self", "hard-self").hardlink("hard-self", "hard-self");
    // A chain of 41 links (c0 → c1 → … → c40 → end) is one hop over the bound of 40.
    for i in 0..=40 {
        let next = if i == 40 { "end".to_owned() } else { format!("c{}", i + 1) };
        tar.symlink(&format!("c{i}"), &next);
    }
    tar.file("end", b"end\n");
    let (_sandbox, result) = one_layer(&tar.finish());
    let image = result.unwrap();
    for path in ["a", "b", "self", "dir/x", "grow", "hard-self", "hard-to-self", "c0", "a/below"] {
        match image.tree.read(path) {
            Err(ReadError::SymlinkLoop { path: p }) => assert_eq!(p, path),
            other => panic!("{path}: expected SymlinkLoop, got {other:?}"),
        }
    }
    assert!(matches!(image.tree.read_dir("a"), Err(ReadError::SymlinkLoop { .. })));
    // 40 links are allowed, as Linux allows 40 (fs/namei.c MAXSYMLINKS).
    assert_eq!(&*image.tree.read("c1").unwrap(), b"end\n");
}

// ---- size bounds ----

/// A layer that inflates to `entries` files of `entry_size` zeros each, made of repeated
/// identical gzip members so that a multi-GiB stream costs a few MB to build and store.
fn zero_bomb(entries: usize, entry_size: u64) -> Layer {
    let mut member_plain = ustar_header(b"zeros", b'0', entry_size, b"").to_vec();
    assert_eq!(entry_size % 512, 0);
    let mut member = gzip(&member_plain);
    member.extend_from_slice(&gzip_zeros(entry_size));
    member_plain.clear();
    let mut blob = Vec::with_capacity(member.len() * entries + 64);
    for _ in 0..entries {
        blob.extend_from_slice(&member);
    }
    blob.extend_from_slice(&gzip(&[0u8; 1024]));
    Layer::raw(blob, sha256(b"not checked"))
}

fn bomb_limits() -> Limits {
    Limits { max_image_size: 64 * MIB, max_file_size: MIB, ..Limits::default() }
}

fn assert_image_too_large(result: Result<LoadedImage, SourceError>) {
    match result {
        Err(SourceError::Walk(WalkError::ImageTooLarge { limit })) => assert_eq!(limit, 64 * MIB),
        other => panic!("expected ImageTooLarge, got {:?}", other.map(|i| i.tree.len())),
    }
}

#[test]
fn gzip_bomb_stops_at_the_image_bound_quickly() {
    // 512 files of 8 MiB: 4 GiB inflated from about 4 MB.
    let layer = zero_bomb(512, 8 * MIB);
    assert!(layer.blob.len() < 8 * MIB as usize, "blob is {} bytes", layer.blob.len());
    let mut sandbox = Sandbox::new();
    sandbox.layout().image(&[layer], "bomb");
    sandbox.seal();
    let start = Instant::now();
    assert_image_too_large(load_layout(&sandbox, "bomb", bomb_limits()));
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
}

#[test]
fn size_field_past_the_bound_is_refused_before_inflating() {
    // One entry that claims 4 GiB: refused on its header, whatever follows.
    let mut sandbox = Sandbox::new();
    let mut blob = gzip(&ustar_header(b"huge", b'0', 4096 * MIB, b""));
    blob.extend_from_slice(&gzip_zeros(8 * MIB));
    sandbox.layout().image(&[Layer::raw(blob, sha256(b"x"))], "bomb");
    sandbox.seal();
    let start = Instant::now();
    assert_image_too_large(load_layout(&sandbox, "bomb", bomb_limits()));
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}

#[test]
fn wanted_file_larger_than_the_image_bound_is_not_captured() {
    // 200 MiB is under the default file bound (256 MiB) but over the image bound: it must
    // be refused before its bytes are inflated into memory.
    let mut sandbox = Sandbox::new();
    let layer = zero_bomb(1, 200 * MIB);
    sandbox.layout().image(&[layer], "bomb");
    sandbox.seal();
    let limits = Limits { max_image_size: 64 * MIB, ..Limits::default() };
    assert_image_too_large(load_layout(&sandbox, "bomb", limits));
}

/// Runs [`bomb_memory_probe`] alone in a fresh process, so that the peak RSS it reads is
/// not other tests' allocations.
#[test]
fn gzip_bomb_memory_is_bounded() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "bomb_memory_probe", "--ignored", "--nocapture", "--test-threads=1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "probe failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "probe did not run:\n{stdout}\n{stderr}");
    eprintln!("{stderr}");
}

#[test]
#[ignore = "run alone in a fresh process by gzip_bomb_memory_is_bounded"]
fn bomb_memory_probe() {
    type Check = fn(Result<LoadedImage, SourceError>);
    let cases: [(&str, Layer, Limits, Check, u64); 3] = [
        // Buffers and one layer's walk state: far below the 64 MiB bound, let alone 4 GiB.
        ("4 GiB of 8 MiB files", zero_bomb(512, 8 * MIB), bomb_limits(), assert_image_too_large, 32 * MIB),
        (
            "one wanted 200 MiB file",
            zero_bomb(1, 200 * MIB),
            Limits { max_image_size: 64 * MIB, ..Limits::default() },
            assert_image_too_large,
            32 * MIB,
        ),
        // 20 versions of one wanted 48 MiB file: 960 MiB were kept (as history) before the
        // kept-bytes bound; now the second version is refused.
        (
            "20 wanted 48 MiB files",
            zero_bomb(20, 48 * MIB),
            Limits { max_kept_size: 64 * MIB, ..Limits::default() },
            assert_kept_too_large,
            (48 + 32) * MIB,
        ),
    ];
    for (name, layer, limits, check, bound) in cases {
        let mut sandbox = Sandbox::new();
        sandbox.layout().image(&[layer], "bomb");
        sandbox.seal();
        let reset = support::reset_peak_rss();
        let base = support::proc_status_bytes("VmRSS").expect("VmRSS");
        let result = load_layout(&sandbox, "bomb", limits);
        let peak = support::proc_status_bytes("VmHWM").expect("VmHWM");
        let growth = peak.saturating_sub(base);
        eprintln!("{name}: peak RSS growth {} KiB (peak reset: {reset})", growth / 1024);
        check(result);
        if reset {
            assert!(growth < bound, "{name}: peak RSS grew by {growth} bytes");
        } else {
            assert!(peak < 512 * MIB, "{name}: peak RSS {peak} bytes");
        }
    }
}

fn assert_kept_too_large(result: Result<LoadedImage, SourceError>) {
    match result {
        Err(SourceError::Walk(WalkError::KeptTooLarge { limit })) => assert_eq!(limit, 64 * MIB),
        other => panic!("expected KeptTooLarge, got {:?}", other.map(|i| i.tree.len())),
    }
}

#[test]
fn kept_bytes_are_bounded() {
    let limits = Limits { max_kept_size: 4 * MIB, ..Limits::default() };
    // Files the catalogers want, in an OCI layout: 3 MiB kept, the next 2 MiB refused.
    let mut tar = TarWriter::new();
    tar.file("var/lib/dpkg/status.d/a", &vec![b'a'; 3 * MIB as usize]);
    tar.file("var/lib/dpkg/status.d/b", &vec![b'b'; 2 * MIB as usize]);
    let mut sandbox = Sandbox::new();
    sandbox.layout().image(&[Layer::gzip(&tar.finish())], "t");
    sandbox.seal();
    match load_layout(&sandbox, "t", limits.clone()) {
        Err(e @ SourceError::Walk(WalkError::KeptTooLarge { limit: 4194304 })) => {
            assert!(e.to_string().contains("4194304 bytes"), "{e}");
        }
        other => panic!("expected KeptTooLarge, got {:?}", other.map(|i| i.tree.len())),
    }

    // JSON-looking members of a gzip docker archive, kept until manifest.json is seen.
    let mut archive = TarWriter::new();
    let mut doc = vec![b' '; MIB as usize];
    doc[0] = b'{';
    for i in 0..8 {
        archive.file(&format!("padding{i}.json"), &doc);
    }
    let mut sandbox = Sandbox::new();
    let file = sandbox.path().join("image.tar.gz");
    std::fs::write(&file, gzip(&archive.finish())).unwrap();
    sandbox.seal();
    let result = load(&format!("docker-archive:{}", file.display()), limits);
    sandbox.assert_untouched();
    match result {
        Err(SourceError::Walk(WalkError::KeptTooLarge { limit: 4194304 })) => {}
        other => panic!("expected KeptTooLarge, got {:?}", other.map(|i| i.tree.len())),
    }
}

#[test]
fn file_over_the_file_bound_is_too_large_on_read() {
    let big = noise(2 * MIB as usize, 7);
    let limits = Limits { max_file_size: MIB, ..Limits::default() };
    let check = |image: &LoadedImage, how: &str| {
        match image.tree.read("var/lib/dpkg/status") {
            Err(ReadError::TooLarge { path, size, limit }) => {
                assert_eq!((path.as_str(), size, limit), ("var/lib/dpkg/status", 2 * MIB, MIB), "{how}");
            }
            other => panic!("{how}: expected TooLarge, got {:?}", other.map(|b| b.len())),
        }
        assert_eq!(&*image.tree.read("small").unwrap(), b"ok", "{how}");
    };
    let tar = TarWriter::new().file("var/lib/dpkg/status", &big).file("small", b"ok").finish();

    // A gzip layer of an OCI layout (content captured while inflating).
    let mut sandbox = Sandbox::new();
    sandbox.layout().image(&[Layer::gzip(&tar)], "t");
    sandbox.seal();
    check(&load_layout(&sandbox, "t", limits.clone()).unwrap(), "oci-layout");

    // An uncompressed layer of a docker archive (content read in place by offset).
    let mut sandbox = Sandbox::new();
    let file = sandbox.path().join("image.tar");
    std::fs::write(&file, docker_archive(&[("l0/layer.tar", tar.clone())], &["l0/layer.tar"], &[sha256(&tar)]))
        .unwrap();
    sandbox.seal();
    let image = load(&format!("docker-archive:{}", file.display()), limits.clone()).unwrap();
    sandbox.assert_untouched();
    check(&image, "docker-archive");

    // A rootfs.
    let mut sandbox = Sandbox::new();
    let root = sandbox.path().join("rootfs");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(root.join("var/lib/dpkg/status"), &big).unwrap();
    std::fs::write(root.join("small"), b"ok").unwrap();
    sandbox.seal();
    let image = load(&format!("rootfs:{}", root.display()), limits).unwrap();
    sandbox.assert_untouched();
    check(&image, "rootfs");
}

// ---- truncated, tampered and missing blobs ----

#[test]
fn truncated_compressed_layer_is_an_error_naming_the_layer() {
    let tar = TarWriter::new()
        .file("usr/bin/a", &noise(200_000, 1))
        .file("usr/bin/b", &noise(100_000, 2))
        .file("etc/os-release", b"ID=debian\n")
        .finish();
    for (kind, whole) in [("gzip", gzip(&tar)), ("zstd", zstd::stream::encode_all(&tar[..], 3).unwrap())] {
        // The half the brief names, and cuts everywhere else too, down to the last byte of
        // the gzip trailer (after the tar's end): none may load silently.
        let cuts = std::iter::once(whole.len() / 2)
            .chain((1..16).map(|i| whole.len() * i / 16))
            .chain([10, whole.len() - 4, whole.len() - 1])
            .collect::<std::collections::BTreeSet<usize>>();
        for cut in cuts {
            let mut sandbox = Sandbox::new();
            let layout = sandbox.layout();
            let blob = layout.put_blob(&whole[..cut]);
            let config = layout.put_config(&[sha256(&tar)]);
            let manifest = layout.put_manifest(&config, &[blob.descriptor(support::OCI_LAYER_GZIP)], json!({}));
            layout.write_index(&manifest.descriptor(OCI_MANIFEST), "t");
            sandbox.seal();
            match load_layout(&sandbox, "t", Limits::default()) {
                Err(e @ SourceError::Walk(WalkError::Tar { .. } | WalkError::Io { .. })) => {
                    let message = e.to_string();
                    assert!(message.contains(&blob.digest), "{kind} cut {cut}: {message}");
                    if cut == whole.len() / 2 {
                        eprintln!("{kind} cut in half: {message}");
                    }
                }
                Err(e) => panic!("{kind} cut {cut}: unexpected error {e:?}"),
                Ok(image) => panic!(
                    "{kind} cut {cut} of {}: loaded {} nodes from a truncated layer",
                    whole.len(),
                    image.tree.len()
                ),
            }
        }
    }
}

#[test]
fn layer_bytes_that_do_not_match_their_digest_are_refused() {
    let real_tar = TarWriter::new().file("etc/os-release", b"ID=debian\n").finish();
    let evil_tar = TarWriter::new().file("etc/os-release", b"ID=evil!!\n").finish();
    // Same lengths, so that only the digest tells them apart: plain tars, and gzip with
    // stored (uncompressed) deflate blocks.
    for (how, real, evil) in [
        ("tar", real_tar.clone(), evil_tar.clone()),
        ("gzip", support::gzip_stored(&real_tar), support::gzip_stored(&evil_tar)),
    ] {
        let mut sandbox = Sandbox::new();
        let layout = sandbox.layout();
        let image = layout.image(&[Layer::raw(real, sha256(&real_tar))], "t");
        assert_eq!(evil.len() as u64, image.layers[0].size, "{how}");
        layout.put_blob_as(&image.layers[0].digest, &evil);
        sandbox.seal();
        match load_layout(&sandbox, "t", Limits::default()) {
            Err(SourceError::Walk(WalkError::DigestMismatch { expected, actual })) => {
                assert_eq!(expected.to_string(), image.layers[0].digest, "{how}");
                assert_eq!(actual.to_string(), sha256(&evil), "{how}");
            }
            other => panic!("{how}: expected DigestMismatch, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

#[test]
fn tampered_config_and_manifest_are_refused() {
    for which in ["config", "manifest"] {
        let mut sandbox = Sandbox::new();
        let layout = sandbox.layout();
        let image = layout.image(&[Layer::gzip(&TarWriter::new().file("f", b"x").finish())], "t");
        let blob = if which == "config" { &image.config } else { &image.manifest };
        let mut bytes = std::fs::read(layout.blob_path(&blob.digest)).unwrap();
        let last = bytes.len() - 1;
        bytes[last] = b' '; // still the same length; `}` → ` ` also breaks the JSON
        layout.put_blob_as(&blob.digest, &bytes);
        sandbox.seal();
        match load_layout(&sandbox, "t", Limits::default()) {
            Err(SourceError::DigestMismatch { what, expected, .. }) => {
                assert_eq!(what, which);
                assert_eq!(expected.to_string(), blob.digest);
            }
            other => panic!("{which}: expected DigestMismatch, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

#[test]
fn descriptor_size_that_lies_is_refused() {
    let mut sandbox = Sandbox::new();
    let layout = sandbox.layout();
    let image = layout.image(&[Layer::gzip(&TarWriter::new().file("f", b"x").finish())], "t");
    let mut desc = image.manifest.descriptor(OCI_MANIFEST);
    desc["size"] = json!(image.manifest.size - 1);
    layout.write_index(&desc, "t");
    sandbox.seal();
    match load_layout(&sandbox, "t", Limits::default()) {
        Err(e @ SourceError::Invalid { .. }) => {
            assert!(e.to_string().contains(&image.manifest.digest), "{e}")
        }
        other => panic!("expected Invalid, got {:?}", other.map(|i| i.tree.len())),
    }
}

#[test]
fn digest_algorithm_cannot_climb_out_of_blobs() {
    // `..` passes the digest parser's algorithm characters; as a path, `blobs/../NAME`
    // names a file of the layout directory itself. It must be refused before any path is
    // formed (not reported as a missing `planted` file, which would mean it was looked for).
    for which in ["manifest", "layer"] {
        let mut sandbox = Sandbox::new();
        let layout = sandbox.layout();
        let image = layout.image(&[Layer::gzip(&TarWriter::new().file("f", b"x").finish())], "t");
        if which == "manifest" {
            layout.write_index(&json!({"mediaType": OCI_MANIFEST, "digest": "..:planted", "size": 10}), "t");
        } else {
            let bad = json!({"mediaType": support::OCI_LAYER_GZIP, "digest": "..:planted", "size": 10});
            let manifest = layout.put_manifest(&image.config, &[bad], json!({}));
            layout.write_index(&manifest.descriptor(OCI_MANIFEST), "t");
        }
        sandbox.seal();
        // Refused where the descriptor is parsed: `Digest::parse` enforces the OCI grammar
        // (algorithm components of [a-z0-9]+), so no path is ever formed from it.
        match load_layout(&sandbox, "t", Limits::default()) {
            Err(e @ (SourceError::Invalid { .. } | SourceError::Manifest(_))) => {
                assert!(e.to_string().contains("..:planted"), "{which}: {e}")
            }
            other => panic!("{which}: expected a refusal, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

#[test]
fn missing_blobs_are_named() {
    // The index names a manifest blob that is not there.
    let mut sandbox = Sandbox::new();
    let layout = sandbox.layout();
    let image = layout.image(&[Layer::gzip(&TarWriter::new().file("f", b"x").finish())], "t");
    std::fs::remove_file(layout.blob_path(&image.manifest.digest)).unwrap();
    sandbox.seal();
    match load_layout(&sandbox, "t", Limits::default()) {
        Err(SourceError::Missing { what }) => {
            assert!(what.contains(&image.manifest.digest), "{what}")
        }
        other => panic!("expected Missing, got {:?}", other.map(|i| i.tree.len())),
    }

    // The manifest names a layer blob (or a config blob) that is not there.
    for which in ["layer", "config"] {
        let mut sandbox = Sandbox::new();
        let layout = sandbox.layout();
        let image = layout.image(&[Layer::gzip(&TarWriter::new().file("f", b"x").finish())], "t");
        let gone = if which == "layer" { &image.layers[0].digest } else { &image.config.digest };
        std::fs::remove_file(layout.blob_path(gone)).unwrap();
        sandbox.seal();
        match load_layout(&sandbox, "t", Limits::default()) {
            Err(SourceError::Missing { what }) => {
                assert!(what.contains(gone.as_str()), "{which}: {what}");
                assert!(what.contains(which), "{which}: {what}");
            }
            other => panic!("{which}: expected Missing, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

// ---- oversized documents ----

fn annotations_of(total: usize) -> serde_json::Value {
    let value = "v".repeat(90);
    let map: serde_json::Map<String, serde_json::Value> =
        (0..total / 100).map(|i| (format!("org.example.k{i:07}"), json!(value))).collect();
    json!({ "annotations": map })
}

#[test]
fn five_megabyte_manifest_parses_fast() {
    let mut sandbox = Sandbox::new();
    let layout = sandbox.layout();
    let layer = Layer::gzip(&TarWriter::new().file("f", b"x").finish());
    let blob = layout.put_blob(&layer.blob);
    let config = layout.put_config(std::slice::from_ref(&layer.diff_id));
    let manifest = layout.put_manifest(&config, &[blob.descriptor(layer.media_type)], annotations_of(5_000_000));
    assert!(manifest.size > 5_000_000 && manifest.size < 8 * MIB, "{}", manifest.size);
    layout.write_index(&manifest.descriptor(OCI_MANIFEST), "t");
    sandbox.seal();
    let start = Instant::now();
    let image = load_layout(&sandbox, "t", Limits::default()).unwrap();
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    assert_eq!(&*image.tree.read("f").unwrap(), b"x");
}

#[test]
fn nine_megabyte_documents_are_refused() {
    for which in ["manifest", "config", "index"] {
        let mut sandbox = Sandbox::new();
        let layout = sandbox.layout();
        let layer = Layer::gzip(&TarWriter::new().file("f", b"x").finish());
        let blob = layout.put_blob(&layer.blob);
        let config = if which == "config" {
            let mut c = json!({"rootfs": {"type": "layers", "diff_ids": [layer.diff_id]}});
            c["annotations"] = annotations_of(9_000_000)["annotations"].clone();
            layout.put_blob(&serde_json::to_vec(&c).unwrap())
        } else {
            layout.put_config(std::slice::from_ref(&layer.diff_id))
        };
        let extra = if which == "manifest" { annotations_of(9_000_000) } else { json!({}) };
        let manifest = layout.put_manifest(&config, &[blob.descriptor(layer.media_type)], extra);
        layout.write_index(&manifest.descriptor(OCI_MANIFEST), "t");
        if which == "index" {
            let mut index: serde_json::Value =
                serde_json::from_slice(&std::fs::read(layout.dir.join("index.json")).unwrap()).unwrap();
            index["annotations"] = annotations_of(9_000_000)["annotations"].clone();
            std::fs::write(layout.dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
        }
        sandbox.seal();
        let start = Instant::now();
        match load_layout(&sandbox, "t", Limits::default()) {
            Err(e @ SourceError::Invalid { .. }) => {
                let message = e.to_string();
                assert!(message.contains("8388608-byte bound"), "{which}: {message}");
            }
            other => panic!("{which}: expected Invalid, got {:?}", other.map(|i| i.tree.len())),
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{which}: took {:?}", start.elapsed());
    }
}

// ---- malformed tar streams ----

#[test]
fn two_megabyte_gnu_long_name_is_refused() {
    let name = vec![b'a'; 2 * MIB as usize];
    let tar = TarWriter::new().gnu_long_name(&name).file("short", b"x").finish();
    let (_sandbox, result) = one_layer(&tar);
    match result {
        Err(SourceError::Walk(WalkError::Tar {
            source: TarError::MetadataTooLarge { offset, size, limit }, ..
        })) => {
            assert_eq!(offset, 0);
            assert_eq!(size, 2 * MIB + 1);
            assert_eq!(limit, chainward_image::tar::MAX_METADATA_RECORD);
        }
        other => panic!("expected MetadataTooLarge, got {:?}", other.map(|i| i.tree.len())),
    }
}

#[test]
fn bad_header_checksum_is_refused() {
    let mut bad = ustar_header(b"etc/passwd", b'0', 2, b"");
    bad[0] = b'E'; // the name changes after the checksum was computed
    let tar = TarWriter::new().file("ok", b"ok").entry(&bad, b"xx").finish();
    let (_sandbox, result) = one_layer(&tar);
    match result {
        Err(e @ SourceError::Walk(WalkError::Tar { source: TarError::BadChecksum { offset: 1024, .. }, .. })) => {
            assert!(e.to_string().contains("bad checksum"), "{e}");
        }
        other => panic!("expected BadChecksum, got {:?}", other.map(|i| i.tree.len())),
    }
}

#[test]
fn size_fields_near_u64_max_are_refused_not_overflowed() {
    // GNU base-256 size of 2^64 - 1.
    let mut base256 = ustar_header(b"big", b'0', 0, b"");
    base256[124] = 0x80;
    base256[125..128].fill(0);
    base256[128..136].fill(0xff);
    fix_checksum(&mut base256);
    // PAX size of 2^64 - 1.
    let record = "29 size=18446744073709551615\n";
    assert_eq!(record.len(), 29);
    let pax = ustar_header(b"PaxHeaders/big", b'x', record.len() as u64, b"");
    for (how, tar) in [
        ("base-256", TarWriter::new().entry(&base256, b"").finish()),
        ("pax", TarWriter::new().entry(&pax, record.as_bytes()).file("big", b"").finish()),
    ] {
        let (_sandbox, result) = one_layer(&tar);
        match result {
            Err(SourceError::Walk(WalkError::ImageTooLarge { .. })) => {}
            other => panic!("{how}: expected ImageTooLarge, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

#[test]
fn empty_layers_load() {
    let mut sandbox = Sandbox::new();
    let content = Layer::gzip(&TarWriter::new().file("etc/os-release", b"ID=debian\n").finish());
    let layers = [
        Layer::gzip(&TarWriter::new().finish()), // just the end-of-archive blocks
        Layer::gzip(b""),                        // gzip of nothing
        Layer::raw(Vec::new(), sha256(b"")),     // a zero-byte blob
        Layer::raw(TarWriter::new().finish(), sha256(b"")), // uncompressed empty tar
        content,
    ];
    sandbox.layout().image(&layers, "t");
    sandbox.seal();
    let image = load_layout(&sandbox, "t", Limits::default()).unwrap();
    assert_eq!(image.facts.layers.len(), 5);
    assert_eq!(image.tree.len(), 1);
    assert_eq!(image.tree.layer_of("etc/os-release"), Some(4));
}

// ---- docker archives ----

#[test]
fn docker_archive_with_a_missing_layer() {
    let tar = TarWriter::new().file("f", b"x").finish();
    let archive = docker_archive(
        &[("l0/layer.tar", tar.clone())],
        &["l0/layer.tar", "gone/layer.tar"],
        &[sha256(&tar), sha256(b"gone")],
    );
    for compressed in [false, true] {
        let mut sandbox = Sandbox::new();
        let file = sandbox.path().join("image.tar");
        std::fs::write(&file, if compressed { gzip(&archive) } else { archive.clone() }).unwrap();
        sandbox.seal();
        let result = load(&format!("docker-archive:{}", file.display()), Limits::default());
        sandbox.assert_untouched();
        match result {
            Err(SourceError::Missing { what }) => {
                assert!(what.contains("gone/layer.tar"), "gzip {compressed}: {what}")
            }
            other => panic!("gzip {compressed}: expected Missing, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

#[test]
fn docker_archive_with_mismatched_diff_ids() {
    let tar = TarWriter::new().file("f", b"x").finish();
    let archive =
        docker_archive(&[("l0/layer.tar", tar.clone())], &["l0/layer.tar"], &[sha256(&tar), sha256(b"extra")]);
    for compressed in [false, true] {
        let mut sandbox = Sandbox::new();
        let file = sandbox.path().join("image.tar");
        std::fs::write(&file, if compressed { gzip(&archive) } else { archive.clone() }).unwrap();
        sandbox.seal();
        let result = load(&format!("docker-archive:{}", file.display()), Limits::default());
        sandbox.assert_untouched();
        match result {
            Err(e @ SourceError::Invalid { .. }) => {
                assert!(
                    e.to_string().contains("2 diff_ids but manifest.json lists 1 layers"),
                    "gzip {compressed}: {e}"
                );
            }
            other => panic!("gzip {compressed}: expected Invalid, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

#[test]
fn docker_archive_member_links_cannot_loop_or_escape() {
    let tar = TarWriter::new().file("f", b"x").finish();
    let mut archive = TarWriter::new();
    let config =
        serde_json::to_vec(&json!({"rootfs": {"type": "layers", "diff_ids": [sha256(&tar), sha256(&tar)]}})).unwrap();
    let manifest = serde_json::to_vec(
        &json!([{"Config": "c.json", "RepoTags": null, "Layers": ["loop/layer.tar", "../../../l0/layer.tar"]}]),
    )
    .unwrap();
    archive
        .file("manifest.json", &manifest)
        .file("c.json", &config)
        .file("../../l0/layer.tar", &tar)
        .symlink("loop/layer.tar", "../loop/layer.tar");
    let archive = archive.finish();
    for compressed in [false, true] {
        let mut sandbox = Sandbox::new();
        let file = sandbox.path().join("image.tar");
        std::fs::write(&file, if compressed { gzip(&archive) } else { archive.clone() }).unwrap();
        sandbox.seal();
        let result = load(&format!("docker-archive:{}", file.display()), Limits::default());
        sandbox.assert_untouched();
        match result {
            Err(SourceError::Missing { what }) => {
                assert!(what.contains("loop/layer.tar"), "gzip {compressed}: {what}")
            }
            other => panic!("gzip {compressed}: expected Missing, got {:?}", other.map(|i| i.tree.len())),
        }
    }
}

// ---- whiteouts ----

fn whiteout_image(upper: &[u8]) -> LoadedImage {
    let lower = TarWriter::new()
        .dir("etc/")
        .file("etc/os-release", b"ID=debian\n")
        .file("etc/passwd", b"root\n")
        .file("usr/bin/sh", b"sh")
        .finish();
    let mut sandbox = Sandbox::new();
    sandbox.layout().image(&[Layer::gzip(&lower), Layer::gzip(upper)], "t");
    sandbox.seal();
    load_layout(&sandbox, "t", Limits::default()).unwrap()
}

fn paths(image: &LoadedImage) -> Vec<&str> {
    image.tree.iter().map(|(p, _)| p).collect()
}

#[test]
fn whiteout_of_a_path_that_does_not_exist_changes_nothing() {
    let image = whiteout_image(&TarWriter::new().file("etc/.wh.nothing", b"").file("nowhere/.wh.x", b"").finish());
    assert_eq!(paths(&image), ["etc", "etc/os-release", "etc/passwd", "usr/bin/sh"]);
}

#[test]
fn opaque_whiteout_at_the_root_hides_every_lower_file() {
    let upper = TarWriter::new().file("new", b"n").file(".wh..wh..opq", b"").finish();
    let image = whiteout_image(&upper);
    assert_eq!(paths(&image), ["new"]);
    assert_eq!(image.tree.layer_of("new"), Some(1));
}

#[test]
fn whiteouts_naming_dot_dot_dot_or_nothing_change_nothing() {
    // `.wh...` would name `..` (the parent), `.wh..` names `.`, and `.wh.` names nothing:
    // none of them may delete a directory or the root.
    for name in ["etc/.wh...", "etc/.wh..", "etc/.wh.", ".wh...", ".wh..", ".wh.", "etc/sub/../.wh..."] {
        let image = whiteout_image(&TarWriter::new().file(name, b"").finish());
        assert_eq!(paths(&image), ["etc", "etc/os-release", "etc/passwd", "usr/bin/sh"], "{name}");
    }
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    // "LEN key=value\n", where LEN counts itself.
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}").len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

#[test]
fn deep_paths_resolve_in_bounded_time() {
    // A 400 KB path (200 000 components, in a PAX record) and a link to it from
    // etc/os-release, which OS detection reads: resolving them used to take minutes.
    let deep = "a/".repeat(200_000) + "x";
    let mut tar = TarWriter::new();
    let rec = pax_record("path", &deep);
    tar.entry(&ustar_header(b"PaxHeaders/x", b'x', rec.len() as u64, b""), &rec);
    tar.file("placeholder", b"deep\n");
    let rec = pax_record("linkpath", &format!("/{deep}"));
    tar.entry(&ustar_header(b"PaxHeaders/l", b'x', rec.len() as u64, b""), &rec);
    tar.symlink("etc/os-release", "placeholder");
    let start = Instant::now();
    let (_sandbox, result) = one_layer(&tar.finish());
    let image = result.unwrap();
    assert!(image.tree.get(&deep).is_some());
    for path in ["etc/os-release", deep.as_str()] {
        match image.tree.read(path) {
            Err(ReadError::NameTooLong { .. }) => {}
            other => panic!("expected NameTooLong, got {:?}", other.map(|b| b.len())),
        }
    }
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}
