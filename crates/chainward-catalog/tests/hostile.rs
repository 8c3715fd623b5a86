//! Hostile package databases in root filesystems made by the tests in a temporary
//! directory: a 20 MB dpkg status of random garbage, invalid UTF-8, apk records missing
//! fields or starting with multi-byte characters. Cataloging must finish in bounded time
//! with warnings that name the file and line, never panic, and keep what is readable.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs,
    reason = "a test: it fails loudly"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use chainward_catalog::{Catalog, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::Ecosystem;

fn catalog_rootfs(root: &Path) -> Catalog {
    let set = CatalogerSet::default_set();
    let image = load_image("rootfs", &Target::Rootfs(root.to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, bytes).unwrap();
}

fn names(catalog: &Catalog, eco: Ecosystem) -> Vec<(String, String)> {
    let mut v: Vec<_> =
        catalog.packages.iter().filter(|p| p.ecosystem == eco).map(|p| (p.name.clone(), p.version.clone())).collect();
    v.sort();
    v
}

/// Deterministic garbage: lines of random bytes (mostly printable, some colons, blank
/// lines, continuation lines, control bytes and invalid UTF-8).
fn garbage(len: usize, mut seed: u64) -> Vec<u8> {
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out = Vec::with_capacity(len + 128);
    while out.len() < len {
        let r = next();
        let line_len = (r % 80) as usize;
        match r >> 60 {
            0..=3 => {
                out.push(b'\n'); // a blank line: ends a stanza
                continue;
            }
            4 => out.push(b' '), // a continuation line
            _ => {}
        }
        for _ in 0..line_len {
            let b = (next() & 0xff) as u8;
            out.push(match b {
                0..=15 => b':',
                16..=20 => b,              // control bytes, NUL included
                21..=200 => 32 + (b % 95), // printable
                _ => b,                    // 0xc9..=0xff: high bytes, often invalid UTF-8
            });
        }
        out.push(b'\n');
    }
    out
}

const GOOD_STANZA: &str = "Package: good\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\n";

#[test]
fn twenty_megabyte_garbage_dpkg_status() {
    let tmp = tempfile::tempdir().unwrap();
    let mut status = GOOD_STANZA.as_bytes().to_vec();
    status.extend_from_slice(&garbage(20_000_000, 0x9e37_79b9_7f4a_7c15));
    status.extend_from_slice(b"\n\nPackage: last\nStatus: install ok installed\nVersion: 2:3.4\n");
    write(tmp.path(), "var/lib/dpkg/status", &status);
    let start = Instant::now();
    let catalog = catalog_rootfs(tmp.path());
    let took = start.elapsed();
    eprintln!(
        "20 MB garbage status: {took:?}, {} packages, {} warnings",
        catalog.packages.len(),
        catalog.warnings.len()
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let found = names(&catalog, Ecosystem::Deb);
    assert!(found.contains(&("good".into(), "1.0-1".into())), "{found:?}");
    assert!(found.contains(&("last".into(), "2:3.4".into())), "{found:?}");
    assert!(!catalog.warnings.is_empty());
    assert!(catalog.warnings.iter().all(|w| w.cataloger == "dpkg" && w.path == "/var/lib/dpkg/status"));
    // One warning per broken stanza would be hundreds of thousands: they are capped, and
    // the last says how many more there were.
    assert!(catalog.warnings.len() <= 1001, "{} warnings", catalog.warnings.len());
    let last = catalog.warnings.last().unwrap();
    assert!(last.message.contains("more"), "{last}");
}

#[test]
fn dpkg_status_with_invalid_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let mut status = Vec::new();
    status.extend_from_slice(
        b"Package: a\nStatus: install ok installed\nMaintainer: Jos\xe9 \xff\xfe <j@example.org>\nVersion: 1.0\n\n",
    );
    status.extend_from_slice(b"Package: b\xc3\x28\nStatus: install ok installed\nVersion: 2.0\n\n");
    status.extend_from_slice(b"\xff\xff\xff\n\x80:\x80\n\n");
    status.extend_from_slice(b"Package: c\nStatus: install ok installed\nVersion: 3.0\xed\xa0\x80\n\n");
    write(tmp.path(), "var/lib/dpkg/status", &status);
    let catalog = catalog_rootfs(tmp.path());
    let found = names(&catalog, Ecosystem::Deb);
    assert_eq!(found[0], ("a".into(), "1.0".into()));
    assert_eq!(found[1], ("b\u{fffd}(".into(), "2.0".into()), "{found:?}");
    assert_eq!(found.len(), 2, "c's version is not a deb-version once decoded: {found:?}");
    let a = catalog.packages.iter().find(|p| p.name == "a").unwrap();
    assert_eq!(a.supplier.as_deref(), Some("Jos\u{fffd} \u{fffd}\u{fffd} <j@example.org>"));
    let messages: Vec<String> = catalog.warnings.iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|m| m.contains("line 10") && m.contains("no Package")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("line 13") && m.contains("invalid version")), "{messages:?}");
}

#[test]
fn distroless_status_d_garbage() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "var/lib/dpkg/status.d/good", GOOD_STANZA.as_bytes());
    write(tmp.path(), "var/lib/dpkg/status.d/junk", &garbage(200_000, 42));
    write(tmp.path(), "var/lib/dpkg/status.d/binary.md5sums", &[0xff; 4096]);
    let catalog = catalog_rootfs(tmp.path());
    assert_eq!(names(&catalog, Ecosystem::Deb), [("good".into(), "1.0-1".into())]);
    assert!(catalog.warnings.iter().all(|w| w.path != "/var/lib/dpkg/status.d/binary.md5sums"));
}

#[test]
fn apk_record_missing_its_version() {
    let tmp = tempfile::tempdir().unwrap();
    let db = "P:musl\nV:1.2.5-r0\nA:x86_64\n\nP:nover\nA:x86_64\nL:MIT\n\nV:1.0\nA:x86_64\n\nP:busybox\nV:1.36.1-r29\n";
    write(tmp.path(), "lib/apk/db/installed", db.as_bytes());
    let catalog = catalog_rootfs(tmp.path());
    assert_eq!(
        names(&catalog, Ecosystem::Apk),
        [("busybox".into(), "1.36.1-r29".into()), ("musl".into(), "1.2.5-r0".into())]
    );
    let messages: Vec<String> = catalog.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "apk: /lib/apk/db/installed: line 5: package \"nover\" has no V: (version) line; skipped",
            "apk: /lib/apk/db/installed: line 9: record has no P: (name) line; skipped",
        ]
    );
}

#[test]
fn apk_lines_starting_with_multibyte_characters() {
    // `€:` — the key is three bytes long: the value must not be sliced at byte 2.
    let tmp = tempfile::tempdir().unwrap();
    let db = "P:musl\n\u{20ac}:x\n\u{e9}:y\n\u{1f600}\nV:1.2.5-r0\n\n\u{20ac}\n";
    write(tmp.path(), "lib/apk/db/installed", db.as_bytes());
    let catalog = catalog_rootfs(tmp.path());
    assert_eq!(names(&catalog, Ecosystem::Apk), [("musl".into(), "1.2.5-r0".into())]);
}

#[test]
fn apk_garbage_and_invalid_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = b"P:musl\nV:1.2.5-r0\n\n".to_vec();
    db.extend_from_slice(&garbage(5_000_000, 7));
    db.extend_from_slice(b"\n\nP:z\xff\nV:1\n");
    write(tmp.path(), "lib/apk/db/installed", &db);
    let start = Instant::now();
    let catalog = catalog_rootfs(tmp.path());
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
    let found = names(&catalog, Ecosystem::Apk);
    assert!(found.contains(&("musl".into(), "1.2.5-r0".into())), "{found:?}");
    assert!(found.contains(&("z\u{fffd}".into(), "1".into())), "{found:?}");
    assert!(catalog.warnings.len() <= 1001, "{} warnings", catalog.warnings.len());
}
