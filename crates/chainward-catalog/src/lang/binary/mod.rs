//! Packages recorded inside executables ([`BinaryCataloger`]): Go build information (the
//! toolchain as `stdlib`, the main module, every dependency module with its replacement) and
//! cargo-auditable's `.dep-v0` crate list, in ELF, PE and Mach-O (thin or fat) files.
//!
//! The layer walk hands each executable's bytes to [`BinaryCataloger::extract_executable`]
//! once; what it keeps is only the extract ([`extract`]): the two build-information strings
//! and the still-compressed `.dep-v0` section, or the reason they could not be read, so
//! that [`Cataloger::catalog`] can name the file in a warning. Evidence is
//! [`Evidence::Binary`], the location the executable's path.

pub mod auditable;
mod blocks;
pub mod executable;
pub mod go_buildinfo;

use chainward_model::{Ecosystem, Evidence, Location, Package, Relationship};

use crate::{CatalogContext, CatalogOutput, Cataloger, ReadSeek, Warning};

const NAME: &str = "binary";
/// The cataloger named in warnings about Go build information.
const GO: &str = "go-binary";
/// The cataloger named in warnings about cargo-auditable data.
const AUDITABLE: &str = "cargo-auditable";

/// The kinds of record of an extract: `[tag: u8][length: u32 LE][bytes]`, repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    /// The Go version, a NUL, the module information.
    GoInfo = 1,
    /// Why the Go build information could not be read.
    GoError = 2,
    /// The compressed `.dep-v0` section.
    Auditable = 3,
    /// Why the `.dep-v0` section could not be read.
    AuditableError = 4,
    /// Why the executable's headers could not be read.
    ExecutableError = 5,
}

impl Tag {
    fn from_u8(b: u8) -> Option<Self> {
        [Tag::GoInfo, Tag::GoError, Tag::Auditable, Tag::AuditableError, Tag::ExecutableError]
            .into_iter()
            .find(|t| *t as u8 == b)
    }
}

fn push(out: &mut Vec<u8>, tag: Tag, bytes: &[u8]) {
    let Ok(len) = u32::try_from(bytes.len()) else { return };
    out.push(tag as u8);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

fn records(mut packed: &[u8]) -> impl Iterator<Item = (Tag, &[u8])> {
    std::iter::from_fn(move || {
        let (&tag, rest) = packed.split_first()?;
        let len = usize::try_from(u32::from_le_bytes(rest.get(..4)?.try_into().ok()?)).ok()?;
        let bytes = rest.get(4..4usize.checked_add(len)?)?;
        packed = &rest[4 + len..];
        Some((Tag::from_u8(tag)?, bytes))
    })
}

/// What is kept of an executable: its build information and `.dep-v0` section (each read from
/// the first architecture of a fat file that has one), or why they could not be read.
/// `None` for files with neither (most executables).
pub fn extract(bytes: &[u8]) -> Option<Vec<u8>> {
    match executable::images(bytes) {
        Ok(images) => extract_from_images(&images),
        Err(e) => Some(executable_error(&e)),
    }
}

/// [`extract`] from an executable still in a file, reading only its headers and the sections
/// the extract needs (`object`'s `ReadCache`); a fat Mach-O is read whole.
pub fn extract_from_file<F: std::io::Read + std::io::Seek + ?Sized>(file: &mut F) -> Option<Vec<u8>> {
    use std::io::{Read as _, Seek as _};
    let cache = object::read::ReadCache::new(blocks::BlockCache::new(file));
    if executable::is_fat(&cache) {
        let mut bytes = Vec::new();
        let mut file = cache.into_inner();
        file.seek(std::io::SeekFrom::Start(0)).ok()?;
        file.read_to_end(&mut bytes).ok()?;
        return extract(&bytes);
    }
    match executable::thin_image(&cache) {
        Ok(image) => extract_from_images(image.as_slice()),
        Err(e) => Some(executable_error(&e)),
    }
}

fn executable_error(e: &executable::ExecutableError) -> Vec<u8> {
    let mut out = Vec::new();
    push(&mut out, Tag::ExecutableError, e.to_string().as_bytes());
    out
}

fn extract_from_images<'data, R: object::ReadRef<'data>>(images: &[executable::Image<'data, R>]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    if let Some(result) = images.iter().find_map(go_buildinfo::read) {
        match result {
            Ok(info) => {
                push(&mut out, Tag::GoInfo, &[info.go_version.as_bytes(), b"\0", info.modinfo.as_bytes()].concat())
            }
            Err(e) => push(&mut out, Tag::GoError, e.to_string().as_bytes()),
        }
    }
    if let Some(section) = images.iter().find_map(|image| image.section(".dep-v0").transpose()) {
        match section {
            Ok(bytes) if bytes.len() > auditable::MAX_COMPRESSED => push(
                &mut out,
                Tag::AuditableError,
                auditable::AuditableError::CompressedTooLarge { len: bytes.len() }.to_string().as_bytes(),
            ),
            Ok(bytes) => push(&mut out, Tag::Auditable, bytes),
            Err(e) => push(&mut out, Tag::AuditableError, e.as_bytes()),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The packages of an extract made by [`extract`], and warnings naming `path` (absolute).
pub fn packages_of_extract(packed: &[u8], location: &Location) -> CatalogOutput {
    let mut out = CatalogOutput::default();
    let warn = |cataloger: &'static str, message: String| Warning { cataloger, path: location.path.clone(), message };
    for (tag, bytes) in records(packed) {
        match tag {
            Tag::GoInfo => {
                let text = String::from_utf8_lossy(bytes);
                let (version, modinfo) = text.split_once('\0').unwrap_or((&text, ""));
                let info = go_buildinfo::parse_modinfo(modinfo);
                for (line, problem) in info.problems.iter().take(5) {
                    out.warnings.push(warn(GO, format!("module information line {line}: {problem}")));
                }
                out.packages.extend(go_packages(version, &info, location));
            }
            Tag::Auditable => match auditable::parse(bytes) {
                Ok(crates) => out.packages.extend(auditable_packages(&crates, location)),
                Err(e) => out.warnings.push(warn(AUDITABLE, e.to_string())),
            },
            Tag::GoError => out.warnings.push(warn(GO, String::from_utf8_lossy(bytes).into_owned())),
            Tag::AuditableError => out.warnings.push(warn(AUDITABLE, String::from_utf8_lossy(bytes).into_owned())),
            Tag::ExecutableError => out.warnings.push(warn(NAME, String::from_utf8_lossy(bytes).into_owned())),
        }
    }
    out
}

fn binary_package(name: &str, version: &str, ecosystem: Ecosystem, location: &Location) -> Package {
    let mut p = Package::new(ecosystem, name, version);
    p.evidence = Evidence::Binary;
    p.locations.push(location.clone());
    p
}

/// The Go toolchain as `stdlib` (its version as the binary records it, e.g. `go1.19.8`; a
/// `GOEXPERIMENT` suffix such as ` X:boringcrypto` dropped), the main module (relationship
/// root; `(devel)` when built from a checkout) and each dependency module. Build information
/// does not say which modules are direct, so dependencies carry no relationship. A module
/// replaced by a directory (`=> ./greeter`) is reported by the path and version it replaces
/// (the replacement has no version of its own); one replaced by another module is reported as
/// that module, whose code is what was compiled (as Syft and govulncheck do).
pub fn go_packages(go_version: &str, info: &go_buildinfo::ModInfo, location: &Location) -> Vec<Package> {
    let mut packages = Vec::new();
    let toolchain = match go_version.split_whitespace().next() {
        Some(first) if first.starts_with("go") => first,
        _ => go_version.trim(),
    };
    if !toolchain.is_empty() {
        packages.push(binary_package("stdlib", toolchain, Ecosystem::Go, location));
    }
    if let Some(main) = &info.main {
        let mut p = binary_package(&main.path, &main.version, Ecosystem::Go, location);
        p.relationship = Some(Relationship::Root);
        packages.push(p);
    }
    for dep in &info.deps {
        let m = match dep.replace.as_deref() {
            Some(r) if !go_buildinfo::is_local_replacement(r) && !r.path.is_empty() => r,
            _ => dep,
        };
        packages.push(binary_package(&m.path, &m.version, Ecosystem::Go, location));
    }
    packages
}

/// The crates compiled into the binary: build-time crates (build scripts, proc macros) ran
/// only on the build machine and are left out, as Trivy and Syft do. The root is relationship
/// root, the crates it depends on direct, the rest indirect; `depends_on` follows the list's
/// indexes.
pub fn auditable_packages(crates: &[auditable::AuditableCrate], location: &Location) -> Vec<Package> {
    let runtime = |i: &usize| crates.get(*i).is_some_and(|c| c.kind == auditable::CrateKind::Runtime);
    let has_root = crates.iter().any(|c| c.root);
    let direct: std::collections::HashSet<usize> =
        crates.iter().filter(|c| c.root).flat_map(|c| c.dependencies.iter().copied()).collect();
    crates
        .iter()
        .enumerate()
        .filter(|(i, _)| runtime(i))
        .map(|(i, c)| {
            let mut p = binary_package(&c.name, &c.version, Ecosystem::Cargo, location);
            p.relationship = match (c.root, has_root, direct.contains(&i)) {
                (true, ..) => Some(Relationship::Root),
                (false, false, _) => None,
                (false, true, true) => Some(Relationship::Direct),
                (false, true, false) => Some(Relationship::Indirect),
            };
            p.depends_on = c
                .dependencies
                .iter()
                .filter(|d| runtime(d))
                .filter_map(|&d| crates.get(d))
                .map(|d| format!("{}@{}", d.name, d.version))
                .collect();
            p
        })
        .collect()
}

/// Go build information and cargo-auditable crate lists of every executable.
pub struct BinaryCataloger;

impl Cataloger for BinaryCataloger {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, _path: &str, _size: u64) -> bool {
        false
    }

    fn reads_executables(&self) -> bool {
        true
    }

    fn extract_executable(&self, _path: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        extract(bytes)
    }

    fn extract_executable_from_file(&self, _path: &str, file: &mut dyn ReadSeek) -> Option<Vec<u8>> {
        extract_from_file(file)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for path in ctx.executables() {
            let Some(packed) = ctx.executable_extract(self, path) else { continue };
            let location = crate::lang::file_walk::location(ctx, path);
            let found = packages_of_extract(&packed, &location);
            out.packages.extend(found.packages);
            out.warnings.extend(found.warnings);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location() -> Location {
        Location { path: "/usr/local/bin/app".into(), layer: None }
    }

    #[test]
    fn records_round_trip_and_reject_garbage() {
        let mut packed = Vec::new();
        push(&mut packed, Tag::GoError, b"bad");
        push(&mut packed, Tag::AuditableError, b"worse");
        let got: Vec<_> = records(&packed).collect();
        assert_eq!(got, [(Tag::GoError, &b"bad"[..]), (Tag::AuditableError, &b"worse"[..])]);
        for cut in 0..packed.len() {
            assert!(records(&packed[..cut]).count() <= 1);
        }
        assert_eq!(records(&[9, 0, 0, 0, 0]).count(), 0);
        let out = packages_of_extract(&packed, &location());
        assert_eq!(out.warnings.len(), 2);
        assert_eq!(out.warnings[0].cataloger, GO);
        assert_eq!(out.warnings[0].path, "/usr/local/bin/app");
    }

    #[test]
    fn go_replacements_and_toolchain() {
        let info = go_buildinfo::parse_modinfo(
            "mod\texample.com/app\tv1.2.3\th1:x=\ndep\texample.com/local\tv0.3.1\n=>\t./local\t(devel)\t\n\
             dep\tgolang.org/x/net\tv0.1.0\th1:y=\n=>\tgithub.com/fork/net\tv0.1.1\th1:z=\n",
        );
        let got: Vec<_> = go_packages("go1.22.0 X:boringcrypto", &info, &location())
            .into_iter()
            .map(|p| (p.name, p.version, p.relationship, p.evidence))
            .collect();
        let b = Evidence::Binary;
        assert_eq!(
            got,
            [
                ("stdlib".into(), "go1.22.0".into(), None, b),
                ("example.com/app".into(), "v1.2.3".into(), Some(Relationship::Root), b),
                ("example.com/local".into(), "v0.3.1".into(), None, b),
                ("github.com/fork/net".into(), "v0.1.1".into(), None, b),
            ]
        );
    }

    #[test]
    fn auditable_build_crates_are_left_out() {
        let crates = auditable::parse_json(
            br#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"serde","version":"1.0.200","source":"crates.io","dependencies":[2,3]},
            {"name":"serde_derive","version":"1.0.200","source":"crates.io","kind":"build"},
            {"name":"itoa","version":"1.0.0","source":"crates.io"}]}"#,
        )
        .unwrap();
        let got: Vec<_> = auditable_packages(&crates, &location())
            .into_iter()
            .map(|p| (p.name, p.relationship, p.depends_on, p.ecosystem))
            .collect();
        let c = Ecosystem::Cargo;
        assert_eq!(
            got,
            [
                ("app".into(), Some(Relationship::Root), vec!["serde@1.0.200".to_owned()], c),
                ("serde".into(), Some(Relationship::Direct), vec!["itoa@1.0.0".to_owned()], c),
                ("itoa".into(), Some(Relationship::Indirect), vec![], c),
            ]
        );
    }

    #[test]
    fn non_executables_extract_nothing() {
        assert_eq!(extract(b"#!/bin/sh\n"), None);
        assert_eq!(extract(b""), None);
    }
}
