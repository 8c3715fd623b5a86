//! Hostile input for the Cargo.lock, go.mod and go.sum readers: a 50 MB lockfile of each
//! kind stays bounded in time and memory, invalid UTF-8, truncated files, garbage and deep
//! nesting give warnings naming the file, and nothing panics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use chainward_catalog::lang::go::{GoModCataloger, GoSumCataloger, gomod, gosum};
use chainward_catalog::lang::rust::{CargoLockCataloger, cargo_lock};
use chainward_catalog::{Catalog, Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};

const FIFTY_MB: usize = 50 << 20;
/// Generous for a debug build on a loaded 2-core machine; a quadratic step would take hours.
const TIME_BOUND: Duration = Duration::from_secs(120);

fn catalog_file(rel: &str, bytes: &[u8], cataloger: Box<dyn Cataloger>) -> Catalog {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join(rel);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::write(&to, bytes).unwrap();
    catalog_dir(dir.path(), cataloger)
}

fn catalog_dir(root: &Path, cataloger: Box<dyn Cataloger>) -> Catalog {
    let set = CatalogerSet::new(vec![cataloger]);
    let image = load_image("rootfs", &Target::Rootfs(root.to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

/// Peak resident memory of this process (Linux `VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A valid Cargo.lock of `FIFTY_MB` bytes: one root depending on thousands of crates, each
/// of many versions with the same name, and dependency strings that need the slowest
/// lookup (name, version and source).
fn big_cargo_lock() -> String {
    let mut s = String::with_capacity(FIFTY_MB + 4096);
    s.push_str("version = 4\n\n[[package]]\nname = \"root\"\nversion = \"0.1.0\"\ndependencies = [\n");
    for i in 0..2000 {
        s.push_str(&format!(" \"dup 1.0.{i} (registry+https://github.com/rust-lang/crates.io-index)\",\n"));
    }
    s.push_str("]\n");
    let mut i = 0u64;
    while s.len() < FIFTY_MB {
        s.push_str(&format!(
            "\n[[package]]\nname = \"dup\"\nversion = \"1.0.{i}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{i:064x}\"\ndependencies = [\n \"dup 1.0.{} (registry+https://github.com/rust-lang/crates.io-index)\",\n \"dup\",\n]\n",
            i / 2
        ));
        i += 1;
    }
    s
}

#[test]
fn fifty_megabyte_lockfiles_are_bounded() {
    // Cargo.lock: the parser directly (the cataloger does not read files this large).
    let lock = big_cargo_lock();
    let before = peak_rss();
    let start = Instant::now();
    let parsed = cargo_lock::parse(lock.as_bytes()).unwrap();
    assert!(start.elapsed() < TIME_BOUND, "Cargo.lock took {:?}", start.elapsed());
    assert!(parsed.crates.len() > 100_000);
    assert_eq!(parsed.crates[0].role, cargo_lock::CrateRole::Root);
    assert_eq!(parsed.crates[0].depends_on.len(), 2000);
    let grown = peak_rss().saturating_sub(before);
    // The TOML document plus the crates: a small multiple of the input, never quadratic.
    assert!(grown < 20 * FIFTY_MB as u64, "Cargo.lock peak grew by {grown} bytes");
    drop(parsed);

    // go.sum: 50 MB of lines, many versions per module.
    let mut sum = String::with_capacity(FIFTY_MB + 256);
    let mut i = 0u64;
    while sum.len() < FIFTY_MB {
        sum.push_str(&format!("example.com/m{} v1.0.{i}/go.mod h1:{i:044x}=\n", i / 50));
        i += 1;
    }
    let start = Instant::now();
    let parsed = gosum::parse(&sum);
    assert!(start.elapsed() < TIME_BOUND, "go.sum took {:?}", start.elapsed());
    assert_eq!(parsed.modules.len() as u64, i.div_ceil(50));

    // go.mod: one 50 MB require block, and one 50 MB line without a newline.
    let mut m = String::with_capacity(FIFTY_MB + 256);
    m.push_str("module example.com/big\n\nrequire (\n");
    let mut i = 0u64;
    while m.len() < FIFTY_MB {
        m.push_str(&format!("\texample.com/m{i} v1.0.{i} // indirect\n"));
        i += 1;
    }
    m.push_str(")\nreplace example.com/m1 => ./m1\n");
    let start = Instant::now();
    let parsed = gomod::parse(&m);
    let modules = parsed.modules();
    assert!(start.elapsed() < TIME_BOUND, "go.mod took {:?}", start.elapsed());
    assert_eq!(modules.len() as u64, i);
    assert_eq!(modules[1].local_replacement.as_deref(), Some("./m1"));
    let line = "x".repeat(FIFTY_MB);
    let start = Instant::now();
    let parsed = gomod::parse(&format!("require {line} \"{line}"));
    assert!(start.elapsed() < TIME_BOUND);
    assert_eq!(parsed.problems.len(), 1);
}

#[test]
fn files_over_their_limit_are_named_in_a_warning() {
    use chainward_catalog::lang::{go, rust};
    for (rel, limit, cataloger) in [
        ("src/go.mod", go::MAX_GO_MOD, Box::new(GoModCataloger { options: Default::default() }) as Box<dyn Cataloger>),
        ("src/go.sum", go::MAX_GO_SUM, Box::new(GoSumCataloger)),
        ("src/Cargo.lock", rust::MAX_CARGO_LOCK, Box::new(CargoLockCataloger)),
    ] {
        let big = vec![b'\n'; usize::try_from(limit).unwrap() + 1];
        let cat = catalog_file(rel, &big, cataloger);
        assert!(cat.packages.is_empty(), "{rel}");
        assert_eq!(cat.warnings.len(), 1, "{rel}");
        assert_eq!(cat.warnings[0].path, format!("/{rel}"));
        assert!(cat.warnings[0].message.contains("limit"), "{}", cat.warnings[0]);
    }
}

#[test]
fn invalid_utf8_is_a_warning_naming_the_file() {
    let bad = b"module example.com/x\nrequire example.com/\xff v1.0.0\n";
    for (rel, cataloger) in [
        ("app/Cargo.lock", Box::new(CargoLockCataloger) as Box<dyn Cataloger>),
        ("app/go.mod", Box::new(GoModCataloger { options: Default::default() })),
        ("app/go.sum", Box::new(GoSumCataloger)),
    ] {
        let cat = catalog_file(rel, bad, cataloger);
        assert!(cat.packages.is_empty(), "{rel}");
        assert_eq!(cat.warnings.len(), 1, "{rel}: {:?}", cat.warnings);
        assert_eq!(cat.warnings[0].path, format!("/{rel}"));
        assert!(cat.warnings[0].message.contains("UTF-8"), "{}", cat.warnings[0]);
    }
}

#[test]
fn truncated_and_garbage_files_warn_and_the_scan_goes_on() {
    let good = "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n";
    let truncated = &good[..good.len() - 12];
    let dir = tempfile::tempdir().unwrap();
    for (sub, text) in [("good", good), ("truncated", truncated), ("garbage", "\u{0}\u{1}[[[[ = = ]]\n")] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("Cargo.lock"), text).unwrap();
    }
    let cat = catalog_dir(dir.path(), Box::new(CargoLockCataloger));
    assert_eq!(cat.packages.len(), 1);
    let mut warned: Vec<&str> = cat.warnings.iter().map(|w| w.path.as_str()).collect();
    warned.sort();
    assert_eq!(warned, ["/garbage/Cargo.lock", "/truncated/Cargo.lock"]);
    assert!(cat.warnings.iter().all(|w| w.message.starts_with("not a Cargo.lock")), "{:?}", cat.warnings);

    let cat = catalog_file(
        "src/go.mod",
        b"module example.com/x\nrequire (\n\texample.com/a v1.0.0\n\t\"example.com/b\n\texample.com/c\n",
        Box::new(GoModCataloger { options: Default::default() }),
    );
    let keys: Vec<String> = cat.packages.iter().map(chainward_model::Package::key).collect();
    assert_eq!(keys, ["example.com/x@", "example.com/a@v1.0.0"]);
    let messages: Vec<&str> = cat.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "line 4: unterminated quoted string",
            "line 5: require: expected a module path and a version",
            "line 2: the require block opened here is never closed"
        ]
    );

    let cat =
        catalog_file("src/go.sum", b"garbage\n\x01\x02 x y\nexample.com/a v1.0.0 h1:x=\n", Box::new(GoSumCataloger));
    assert_eq!(cat.packages.len(), 1);
    assert_eq!(cat.warnings.len(), 1);
    assert!(cat.warnings[0].message.contains("line 1"), "{}", cat.warnings[0]);
}

#[test]
fn deep_nesting_is_refused_without_a_stack_overflow() {
    for depth in [1_000usize, 100_000] {
        let arrays = format!(
            "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(cargo_lock::parse(arrays.as_bytes()).is_err());
        let tables = format!("x = {}{}\n", "{ a = ".repeat(depth), "}".repeat(depth));
        assert!(cargo_lock::parse(tables.as_bytes()).is_err());
        let dotted = format!("{} = 1\n", vec!["a"; depth].join("."));
        // Dotted keys nest tables too; they are accepted or refused, but never overflow.
        let _ = cargo_lock::parse(dotted.as_bytes());
    }
    // go.mod has no nesting: a thousand opened blocks are a thousand lines of problems,
    // kept to a bound.
    let m = gomod::parse(&"require (\n".repeat(100_000));
    assert_eq!(m.problems.len(), gomod::MAX_PROBLEMS);
}
