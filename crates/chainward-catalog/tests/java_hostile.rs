//! Hostile Java inputs in root filesystems made by the tests: zip bombs (one huge entry,
//! many entries sharing one deflated body), archives nested deeper than the bound, truncated
//! archives, lying central directories, an archive over the size bound, invalid UTF-8 and
//! huge or deeply nested lockfiles and poms. Cataloging must finish in bounded time with
//! warnings naming the file, never panic, and keep what is readable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "a test: it fails loudly")]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use chainward_catalog::lang::java::archive::{Limits, read_archive};
use chainward_catalog::lang::java::{GradleLockfileCataloger, JavaArchiveCataloger, MavenPomCataloger};
use chainward_catalog::{Catalog, Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};

fn catalog(root: &Path, cataloger: Box<dyn Cataloger>) -> Catalog {
    let set = CatalogerSet::new(vec![cataloger]);
    let image = load_image("rootfs", &Target::Rootfs(root.to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, bytes).unwrap();
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// One entry: name, stored body, method, declared uncompressed size, and the local header
/// it points at (`None`: its own).
struct Entry {
    name: String,
    body: Vec<u8>,
    method: u16,
    size: u32,
    shares: Option<usize>,
}

fn stored(name: &str, data: &[u8]) -> Entry {
    Entry { name: name.into(), body: data.to_vec(), method: 0, size: data.len() as u32, shares: None }
}

fn deflated(name: &str, data: &[u8]) -> Entry {
    Entry { name: name.into(), body: deflate(data), method: 8, size: data.len() as u32, shares: None }
}

fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        let (offset, body_len) = match e.shares {
            Some(i) => (offsets[i], entries[i].body.len()),
            None => {
                let offset = out.len() as u32;
                out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
                out.extend_from_slice(&[20, 0, 0, 0]);
                out.extend_from_slice(&e.method.to_le_bytes());
                out.extend_from_slice(&[0; 8]);
                out.extend_from_slice(&(e.body.len() as u32).to_le_bytes());
                out.extend_from_slice(&e.size.to_le_bytes());
                out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(e.name.as_bytes());
                out.extend_from_slice(&e.body);
                (offset, e.body.len())
            }
        };
        offsets.push(offset);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
        central.extend_from_slice(&e.method.to_le_bytes());
        central.extend_from_slice(&[0; 8]);
        central.extend_from_slice(&(body_len as u32).to_le_bytes());
        central.extend_from_slice(&e.size.to_le_bytes());
        central.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn props(g: &str, a: &str, v: &str) -> Vec<u8> {
    format!("groupId={g}\nartifactId={a}\nversion={v}\n").into_bytes()
}

fn names(c: &Catalog) -> Vec<(String, String)> {
    let mut v: Vec<_> = c.packages.iter().map(|p| (p.name.clone(), p.version.clone())).collect();
    v.sort();
    v
}

#[test]
fn overlapping_entries_zip_bomb_stops_at_the_inflation_budget() {
    let tmp = tempfile::tempdir().unwrap();
    // 96 nested "jars" sharing one deflated body of 8 MiB of zeros: 768 MiB if all were
    // inflated; the outer archive's budget (256 MiB) stops it.
    let mut entries = vec![deflated("lib/lib0.jar", &vec![0u8; 8 << 20])];
    entries.push(stored("META-INF/maven/ok/ok/pom.properties", &props("ok", "ok", "1")));
    for i in 1..96 {
        entries.push(Entry {
            name: format!("lib/lib{i}.jar"),
            body: Vec::new(),
            method: 8,
            size: 8 << 20,
            shares: Some(0),
        });
    }
    write(tmp.path(), "app/bomb.jar", &zip(&entries));
    let start = Instant::now();
    let c = catalog(tmp.path(), Box::new(JavaArchiveCataloger));
    assert!(start.elapsed() < Duration::from_secs(60));
    assert_eq!(names(&c), [("ok:ok".to_owned(), "1".to_owned())]);
    assert!(c.warnings.iter().all(|w| w.path == "/app/bomb.jar"));
    assert!(c.warnings.iter().any(|w| w.message.contains("is spent (a zip bomb?)")), "{:?}", c.warnings);
}

#[test]
fn a_lying_uncompressed_size_stops_inflation_early() {
    // A pom.properties that says 60 bytes but inflates to 64 MiB.
    let mut e = deflated("META-INF/maven/g/a/pom.properties", &vec![b'#'; 64 << 20]);
    e.size = 60;
    let bytes = zip(&[
        e,
        stored(
            "META-INF/MANIFEST.MF",
            b"Implementation-Vendor-Id: g\nImplementation-Title: t\nImplementation-Version: 1\n",
        ),
    ]);
    let r = read_archive(&bytes, "/x.jar", &Limits::default());
    assert_eq!(r.packages.len(), 1, "the manifest is still read");
    assert!(r.problems[0].contains("does not inflate to the 60 bytes"), "{:?}", r.problems);
    // One declaring a huge size is refused before inflating.
    let mut e = deflated("META-INF/MANIFEST.MF", b"x");
    e.size = u32::MAX;
    let r = read_archive(&zip(&[e]), "/y.jar", &Limits::default());
    assert!(r.problems[0].contains("over the 1048576-byte limit"), "{:?}", r.problems);
}

#[test]
fn nesting_deeper_than_the_bound_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut jar = zip(&[stored("META-INF/maven/g/d10/pom.properties", &props("g", "d10", "1"))]);
    for depth in (0..10).rev() {
        jar = zip(&[
            stored(&format!("META-INF/maven/g/d{depth}/pom.properties"), &props("g", &format!("d{depth}"), "1")),
            stored(&format!("lib/d{}.jar", depth + 1), &jar),
        ]);
    }
    write(tmp.path(), "app/deep.jar", &jar);
    let c = catalog(tmp.path(), Box::new(JavaArchiveCataloger));
    // The outer archive and 4 levels below it.
    let got: Vec<String> = names(&c).into_iter().map(|(n, _)| n).collect();
    assert_eq!(got, ["g:d0", "g:d1", "g:d2", "g:d3", "g:d4"]);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].message.contains("lib/d5.jar: not read: archives nested deeper than 4 levels"));
    let deepest = c.packages.iter().find(|p| p.name == "g:d4").unwrap();
    assert_eq!(deepest.locations[0].path, "/app/deep.jar/lib/d1.jar/lib/d2.jar/lib/d3.jar/lib/d4.jar");
}

#[test]
fn truncated_and_lying_archives_are_warnings() {
    let good = zip(&[
        deflated("META-INF/maven/g/a/pom.properties", &props("g", "a", "1")),
        stored("lib/inner.jar", &zip(&[stored("META-INF/maven/g/b/pom.properties", &props("g", "b", "2"))])),
    ]);
    // Every prefix of the archive: no panic, bounded output.
    for cut in 0..good.len() {
        let r = read_archive(&good[..cut], "/t.jar", &Limits::default());
        assert!(r.packages.len() <= 2);
    }
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "app/truncated.jar", &good[..good.len() / 2]);
    // A central directory that claims 65535 entries.
    let mut lying = good.clone();
    let n = lying.len();
    lying[n - 12..n - 10].copy_from_slice(&0xffffu16.to_le_bytes());
    write(tmp.path(), "app/lying-count.jar", &lying);
    // One whose directory offset points past the end.
    let mut lying = good.clone();
    let n = lying.len();
    lying[n - 6..n - 2].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    write(tmp.path(), "app/lying-offset.jar", &lying);
    // Random bytes with a .jar name.
    write(
        tmp.path(),
        "app/garbage.jar",
        &(0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<_>>(),
    );
    write(tmp.path(), "app/good.jar", &good);
    let c = catalog(tmp.path(), Box::new(JavaArchiveCataloger));
    assert_eq!(names(&c), [("g:a".to_owned(), "1".to_owned()), ("g:b".to_owned(), "2".to_owned())]);
    let mut warned: Vec<&str> = c.warnings.iter().map(|w| w.path.as_str()).collect();
    warned.sort();
    assert_eq!(warned, ["/app/garbage.jar", "/app/lying-count.jar", "/app/lying-offset.jar", "/app/truncated.jar"]);
}

#[test]
fn an_archive_over_the_size_bound_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app/huge.war");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(&path).unwrap().set_len((64 << 20) + 1).unwrap();
    let c = catalog(tmp.path(), Box::new(JavaArchiveCataloger));
    assert!(c.packages.is_empty());
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].message.contains("over the 67108864-byte bound"), "{:?}", c.warnings);
}

#[test]
fn invalid_utf8_and_huge_or_deep_lockfiles_and_poms() {
    let tmp = tempfile::tempdir().unwrap();
    // Invalid UTF-8 in a gradle lockfile: a warning; in a pom: read lossily (a Latin-1 pom).
    write(tmp.path(), "a/gradle.lockfile", b"g:a:1=compileClasspath\n\xff\xfe:b:2=x\n");
    write(
        tmp.path(),
        "b/pom.xml",
        b"<project><groupId>g</groupId><artifactId>caf\xe9</artifactId><version>1</version></project>",
    );
    // A 50 MB lockfile: over the bound, named.
    let big = "org.example:lib:1.0.0=compileClasspath\n".repeat(50_000_000 / 40);
    write(tmp.path(), "c/gradle.lockfile", big.as_bytes());
    // A lockfile of 8 MB of garbage lines: bad lines are capped.
    let junk: String = (0..200_000).map(|i| format!("{i}:{i}\n")).collect();
    write(tmp.path(), "d/gradle.lockfile", junk.as_bytes());
    // A pom nested 200,000 elements deep, and one with a billion-laughs DTD.
    let deep = format!("<project>{}{}</project>", "<a>".repeat(200_000), "</a>".repeat(200_000));
    write(tmp.path(), "e/pom.xml", deep.as_bytes());
    write(
        tmp.path(),
        "f/pom.xml",
        br#"<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><project><version>&c;</version></project>"#,
    );
    let start = Instant::now();
    let gradle = catalog(tmp.path(), Box::new(GradleLockfileCataloger));
    let poms = catalog(tmp.path(), Box::new(MavenPomCataloger));
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(gradle.packages.is_empty());
    let mut warned: Vec<&str> = gradle.warnings.iter().map(|w| w.path.as_str()).collect();
    warned.dedup();
    assert_eq!(warned, ["/a/gradle.lockfile", "/c/gradle.lockfile", "/d/gradle.lockfile"]);
    assert!(gradle.warnings.iter().filter(|w| w.path == "/d/gradle.lockfile").count() <= 100);
    assert!(gradle.warnings.iter().any(|w| w.message.contains("over the 16777216-byte bound")));
    assert_eq!(names(&poms), [("g:caf\u{fffd}".to_owned(), "1".to_owned())]);
    let mut warned: Vec<&str> = poms.warnings.iter().map(|w| w.path.as_str()).collect();
    warned.sort();
    assert_eq!(warned, ["/e/pom.xml", "/f/pom.xml"], "{:?}", poms.warnings);
}
