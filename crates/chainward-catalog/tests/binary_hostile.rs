//! Hostile executables for the binary cataloger: a lying ELF section table, a Go build info
//! blob with lying lengths, a zlib bomb in `.dep-v0`, sections past the end of the file and
//! every truncation of a real binary. Each gives a warning naming the file or nothing; never a
//! panic, never an allocation of a size the file claims. Also the formats the image corpus
//! has no binary of: the build-info search in a data section, and Mach-O (thin and fat).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;

use chainward_catalog::lang::binary::{BinaryCataloger, extract_from_file, packages_of_extract};
use chainward_catalog::{Catalog, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};
use chainward_model::{Ecosystem, Location};

const MAGIC: &[u8] = b"\xff Go buildinf:";

/// The extract of an executable read from memory, checked to be the same when read
/// positionally from a file (the way uncompressed archives and root filesystems are read:
/// headers and the needed sections only), so every case below covers both readers.
fn extract(bytes: &[u8]) -> Option<Vec<u8>> {
    let in_memory = chainward_catalog::lang::binary::extract(bytes);
    let from_file = extract_from_file(&mut std::io::Cursor::new(bytes));
    assert_eq!(from_file, in_memory, "the positional reader must agree with the in-memory one");
    in_memory
}

/// A little-endian ELF64 executable with the given sections: (name, flags, address, data).
fn elf(sections: &[(&str, u64, u64, &[u8])]) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    let mut shstrtab = vec![0u8];
    let mut headers = vec![[0u8; 64]];
    for (name, flags, address, data) in sections {
        while !out.len().is_multiple_of(16) {
            out.push(0);
        }
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&(shstrtab.len() as u32).to_le_bytes());
        h[4..8].copy_from_slice(&1u32.to_le_bytes()); // SHT_PROGBITS
        h[8..16].copy_from_slice(&flags.to_le_bytes());
        h[16..24].copy_from_slice(&address.to_le_bytes());
        h[24..32].copy_from_slice(&(out.len() as u64).to_le_bytes());
        h[32..40].copy_from_slice(&(data.len() as u64).to_le_bytes());
        h[48..56].copy_from_slice(&16u64.to_le_bytes());
        headers.push(h);
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
        out.extend_from_slice(data);
    }
    let mut h = [0u8; 64];
    h[0..4].copy_from_slice(&(shstrtab.len() as u32).to_le_bytes());
    shstrtab.extend_from_slice(b".shstrtab\0");
    h[4..8].copy_from_slice(&3u32.to_le_bytes()); // SHT_STRTAB
    h[24..32].copy_from_slice(&(out.len() as u64).to_le_bytes());
    h[32..40].copy_from_slice(&(shstrtab.len() as u64).to_le_bytes());
    headers.push(h);
    out.extend_from_slice(&shstrtab);
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let shoff = out.len() as u64;
    for h in &headers {
        out.extend_from_slice(h);
    }
    out[..8].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    out[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[40..48].copy_from_slice(&shoff.to_le_bytes());
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[54..56].copy_from_slice(&56u16.to_le_bytes());
    out[58..60].copy_from_slice(&64u16.to_le_bytes());
    out[60..62].copy_from_slice(&(headers.len() as u16).to_le_bytes());
    out[62..64].copy_from_slice(&((headers.len() - 1) as u16).to_le_bytes());
    out
}

/// A Mach-O 64 executable with one `__DATA` segment holding the given sections.
fn macho(sections: &[(&str, &[u8])]) -> Vec<u8> {
    let cmdsize = 72 + 80 * sections.len();
    let data_start = (32 + cmdsize).next_multiple_of(16);
    let mut data = Vec::new();
    let mut section_headers = Vec::new();
    for (name, bytes) in sections {
        let offset = data_start + data.len();
        let mut s = [0u8; 80];
        s[..name.len()].copy_from_slice(name.as_bytes());
        s[16..22].copy_from_slice(b"__DATA");
        s[32..40].copy_from_slice(&(0x1_0000_0000u64 + offset as u64).to_le_bytes());
        s[40..48].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
        s[48..52].copy_from_slice(&(offset as u32).to_le_bytes());
        s[52..56].copy_from_slice(&4u32.to_le_bytes());
        section_headers.extend_from_slice(&s);
        data.extend_from_slice(bytes);
        data.resize(data.len().next_multiple_of(16), 0);
    }
    let mut out = Vec::new();
    for v in [0xfeed_facfu32, 0x0100_0007, 3, 2, 1, cmdsize as u32, 0, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0x19u32.to_le_bytes()); // LC_SEGMENT_64
    out.extend_from_slice(&(cmdsize as u32).to_le_bytes());
    let mut segname = [0u8; 16];
    segname[..6].copy_from_slice(b"__DATA");
    out.extend_from_slice(&segname);
    let file_size = (data_start + data.len()) as u64;
    for v in [0x1_0000_0000u64, file_size, 0, file_size] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [3u32, 3, sections.len() as u32, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&section_headers);
    out.resize(data_start, 0);
    out.extend_from_slice(&data);
    out
}

/// A fat Mach-O holding `thin` for x86-64 (at a 4096-byte offset).
fn fat(thin: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xcafe_babeu32, 1, 0x0100_0007, 3, 4096, thin.len() as u32, 12] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.resize(4096, 0);
    out.extend_from_slice(thin);
    out
}

/// Go 1.18+ build information with inline strings.
fn buildinfo(version: &str, modinfo: &str) -> Vec<u8> {
    let framed = [&[b'0'; 16][..], modinfo.as_bytes(), &[b'1'; 16]].concat();
    let mut blob = MAGIC.to_vec();
    blob.extend([8, 2]);
    blob.resize(32, 0);
    for s in [version.as_bytes(), &framed] {
        assert!(s.len() < 0x80 * 0x80);
        if s.len() >= 0x80 {
            blob.push((s.len() as u8) | 0x80);
            blob.push((s.len() >> 7) as u8);
        } else {
            blob.push(s.len() as u8);
        }
        blob.extend_from_slice(s);
    }
    blob
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

const MODINFO: &str = "path\tex.com/app\nmod\tex.com/app\tv1.0.0\th1:a=\ndep\tex.com/lib\tv0.2.0\th1:b=\n";
const DEPS: &[u8] = br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1]},{"name":"itoa","version":"1.0.0","source":"crates.io"}]}"#;

fn catalog_file(bytes: &[u8]) -> Catalog {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("usr/bin/app");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let set = CatalogerSet::new(vec![Box::new(BinaryCataloger)]);
    let image =
        load_image("rootfs", &Target::Rootfs(root.path().to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

fn names(catalog: &Catalog) -> Vec<(Ecosystem, String, String)> {
    catalog.packages.iter().map(|p| (p.ecosystem, p.name.clone(), p.version.clone())).collect()
}

fn go_and_rust_names() -> Vec<(Ecosystem, String, String)> {
    [
        (Ecosystem::Go, "stdlib", "go1.21.5"),
        (Ecosystem::Go, "ex.com/app", "v1.0.0"),
        (Ecosystem::Go, "ex.com/lib", "v0.2.0"),
        (Ecosystem::Cargo, "app", "0.1.0"),
        (Ecosystem::Cargo, "itoa", "1.0.0"),
    ]
    .map(|(e, n, v)| (e, n.to_owned(), v.to_owned()))
    .to_vec()
}

#[test]
fn a_well_formed_elf_is_read() {
    let bi = buildinfo("go1.21.5", MODINFO);
    let deps = zlib(DEPS);
    let file = elf(&[(".go.buildinfo", 3, 0x40_0000, &bi), (".dep-v0", 0, 0, &deps)]);
    let catalog = catalog_file(&file);
    assert!(catalog.warnings.is_empty(), "{:?}", catalog.warnings);
    assert_eq!(names(&catalog), go_and_rust_names());
    assert!(catalog.packages.iter().all(|p| p.locations[0].path == "/usr/bin/app"));
}

#[test]
fn build_info_is_found_in_a_data_section_at_an_aligned_address() {
    // PE files and some ELF files have no build-info section: the magic is near the start of
    // the data, at a 16-byte-aligned address. An unaligned copy is not taken.
    let mut data = vec![0u8; 48];
    data[1..1 + MAGIC.len()].copy_from_slice(MAGIC);
    data.extend(buildinfo("go1.21.5", MODINFO));
    let file = elf(&[(".data", 3, 0x50_0000, &data)]);
    let catalog = catalog_file(&file);
    assert!(catalog.warnings.is_empty(), "{:?}", catalog.warnings);
    assert_eq!(names(&catalog), go_and_rust_names()[..3]);
    // The same bytes in a read-only section are not build information.
    assert_eq!(extract(&elf(&[(".rodata", 2, 0x50_0000, &data)])), None);
}

#[test]
fn mach_o_thin_and_fat() {
    let bi = buildinfo("go1.21.5", MODINFO);
    let deps = zlib(DEPS);
    let thin = macho(&[("__go_buildinfo", &bi), (".dep-v0", &deps)]);
    for (what, file) in [("thin", thin.clone()), ("fat", fat(&thin))] {
        let catalog = catalog_file(&file);
        assert!(catalog.warnings.is_empty(), "{what}: {:?}", catalog.warnings);
        assert_eq!(names(&catalog), go_and_rust_names(), "{what}");
    }
}

#[test]
fn an_elf_with_a_lying_section_table_is_a_warning() {
    let bi = buildinfo("go1.21.5", MODINFO);
    let good = elf(&[(".go.buildinfo", 3, 0x40_0000, &bi)]);
    let lies: [(&str, usize, &[u8]); 4] = [
        ("section table offset past the end", 40, &u64::MAX.to_le_bytes()),
        ("65535 section headers", 60, &0xffffu16.to_le_bytes()),
        ("section name table index out of range", 62, &0x7777u16.to_le_bytes()),
        ("section header size", 58, &7u16.to_le_bytes()),
    ];
    for (what, at, bytes) in lies {
        let mut file = good.clone();
        file[at..at + bytes.len()].copy_from_slice(bytes);
        let catalog = catalog_file(&file);
        assert!(catalog.packages.is_empty(), "{what}");
        assert_eq!(catalog.warnings.len(), 1, "{what}: {:?}", catalog.warnings);
        let w = &catalog.warnings[0];
        assert_eq!(w.path, "/usr/bin/app", "{what}");
        assert!(w.message.contains("ELF"), "{what}: {w}");
    }
}

#[test]
fn sections_past_the_end_of_the_file() {
    let deps = zlib(DEPS);
    let mut file = elf(&[(".dep-v0", 0, 0, &deps)]);
    // The .dep-v0 header is the second: make its size reach far past the end of the file.
    let shoff = u64::from_le_bytes(file[40..48].try_into().unwrap()) as usize;
    let size_at = shoff + 64 + 32;
    file[size_at..size_at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let catalog = catalog_file(&file);
    assert!(catalog.packages.is_empty());
    assert_eq!(catalog.warnings.len(), 1, "{:?}", catalog.warnings);
    assert_eq!(catalog.warnings[0].cataloger, "cargo-auditable");
}

#[test]
fn a_go_build_info_blob_with_lying_lengths_is_a_warning() {
    let good = buildinfo("go1.21.5", MODINFO);
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut long_version = good.clone();
    long_version[32] = 0x7f; // a version running past the end
    cases.push(("version past the end", long_version));
    let mut huge = good[..32].to_vec();
    huge.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    cases.push(("a 2^63-byte version", huge));
    let mut modinfo_len = good.clone();
    modinfo_len[32 + 1 + 8] = 0xff; // the module information's varint, now longer than the blob
    cases.push(("module information past the end", modinfo_len));
    let mut pointers = good[..16].to_vec();
    pointers[15] = 0; // pre-1.18 layout: two pointers that lead nowhere
    pointers.extend(0x7fff_0000u64.to_le_bytes());
    pointers.extend(0x7fff_0010u64.to_le_bytes());
    cases.push(("pointers into nothing", pointers));
    cases.push(("truncated header", good[..20].to_vec()));
    for (what, blob) in cases {
        let catalog = catalog_file(&elf(&[(".go.buildinfo", 3, 0x40_0000, &blob)]));
        assert!(catalog.packages.is_empty(), "{what}");
        assert_eq!(catalog.warnings.len(), 1, "{what}: {:?}", catalog.warnings);
        assert_eq!(catalog.warnings[0].cataloger, "go-binary", "{what}");
        assert_eq!(catalog.warnings[0].path, "/usr/bin/app", "{what}");
    }
}

#[test]
fn a_zlib_bomb_in_dep_v0_is_a_warning() {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..256 {
        enc.write_all(&chunk).unwrap();
    }
    let bomb = enc.finish().unwrap();
    let catalog = catalog_file(&elf(&[(".dep-v0", 0, 0, &bomb)]));
    assert!(catalog.packages.is_empty());
    assert_eq!(catalog.warnings.len(), 1, "{:?}", catalog.warnings);
    assert!(catalog.warnings[0].message.contains("inflates to more than"), "{}", catalog.warnings[0]);
}

/// Every truncation and many byte flips of the real binaries: no panic.
#[test]
fn truncated_and_corrupted_real_binaries() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let binaries = demo_binaries(&shared);
    let location = Location { path: "/x".into(), layer: None };
    for bytes in &binaries {
        let step = (bytes.len() / 512).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            if let Some(e) = extract(&bytes[..cut]) {
                let _ = packages_of_extract(&e, &location);
            }
        }
        let mut flipped = bytes.clone();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % 4096) as usize % flipped.len();
            flipped[at] ^= (state >> 32) as u8 | 1;
            if let Some(e) = extract(&flipped) {
                let _ = packages_of_extract(&e, &location);
            }
        }
    }
}

fn demo_binaries(shared: &Path) -> Vec<Vec<u8>> {
    struct Keep;
    impl chainward_catalog::Cataloger for Keep {
        fn name(&self) -> &'static str {
            "keep"
        }
        fn wants(&self, path: &str, _size: u64) -> bool {
            path.starts_with("usr/local/bin/cw-")
        }
        fn catalog(&self, _ctx: &chainward_catalog::CatalogContext<'_>) -> chainward_catalog::CatalogOutput {
            Default::default()
        }
    }
    let set = CatalogerSet::new(vec![Box::new(Keep)]);
    let target = Target::OciLayout { dir: shared.join("images/oci"), tag: Some("debian-12-app".into()) };
    let image = load_image("debian-12-app", &target, &LoadOptions::default(), &set).unwrap();
    ["cw-go-demo", "cw-rust-demo"]
        .iter()
        .map(|n| image.tree.read(&format!("usr/local/bin/{n}")).unwrap().into_owned())
        .collect()
}
