//! Hostile Python lock files in a temporary root filesystem: invalid UTF-8, truncated files,
//! deep nesting, a lock file over the size bound, and a 50 MB lock file whose edges are all
//! ambiguous. Each gives a warning naming the file (and line where there is one) or bounded
//! work, never a panic, and the other lock files of the tree are still read.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "a test: it fails loudly")]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use chainward_catalog::lang::python::lockfile::{LockFormat, MAX_LOCKFILE};
use chainward_catalog::lang::python::{PythonLockfileCataloger, pdm, pipenv, poetry, pylock, uv};
use chainward_catalog::{Catalog, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};

fn catalog_rootfs(root: &Path) -> Catalog {
    let set = CatalogerSet::new(vec![Box::new(PythonLockfileCataloger)]);
    let image = load_image("rootfs", &Target::Rootfs(root.to_path_buf()), &LoadOptions::default(), &set).unwrap();
    set.catalog(&image.tree, &image.facts.layers)
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, bytes).unwrap();
}

const FILES: [&str; 5] = ["poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "pylock.toml"];

fn good(file: &str) -> &'static str {
    match LockFormat::of_path(file).unwrap() {
        LockFormat::Pipenv => r#"{"default": {"six": {"version": "==1.16.0"}}, "develop": {}}"#,
        LockFormat::Pylock => "lock-version = \"1.0\"\n[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\n",
        _ => "[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n",
    }
}

#[test]
fn invalid_utf8_and_truncated_files_are_warnings_and_good_files_still_read() {
    let tmp = tempfile::tempdir().unwrap();
    for file in FILES {
        let mut bad = good(file).as_bytes().to_vec();
        bad.splice(5..5, [0xff, 0xfe, 0xc3]);
        write(tmp.path(), &format!("bad-utf8/{file}"), &bad);
        let g = good(file);
        write(tmp.path(), &format!("truncated/{file}"), &g.as_bytes()[..g.len() - 9]);
        write(tmp.path(), &format!("good/{file}"), g.as_bytes());
    }
    let catalog = catalog_rootfs(tmp.path());
    for file in FILES {
        let utf8: Vec<_> = catalog.warnings.iter().filter(|w| w.path == format!("/bad-utf8/{file}")).collect();
        assert_eq!(utf8.len(), 1, "{file}: {:?}", catalog.warnings);
        assert!(utf8[0].message.contains("not UTF-8"), "{}", utf8[0]);
        let cut: Vec<_> = catalog.warnings.iter().filter(|w| w.path == format!("/truncated/{file}")).collect();
        assert_eq!(cut.len(), 1, "{file}: {:?}", catalog.warnings);
        assert!(cut[0].message.contains("line"), "{}", cut[0]);
        let read = catalog.packages.iter().filter(|p| p.locations[0].path == format!("/good/{file}")).count();
        assert_eq!(read, 1, "{file}");
    }
    assert_eq!(catalog.warnings.len(), 10, "{:?}", catalog.warnings);
}

#[test]
fn deep_nesting_is_refused_by_the_readers_limits() {
    let depth = 100_000;
    let toml = format!("x = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let (open, close) = ("[".repeat(depth), "]".repeat(depth));
    let json = format!("{{\"default\": {{\"a\": {{\"version\": {open}{close}}}}}}}");
    for (name, result) in [
        ("poetry", poetry::parse(toml.as_bytes()).map(|_| ())),
        ("uv", uv::parse(toml.as_bytes()).map(|_| ())),
        ("pdm", pdm::parse(toml.as_bytes()).map(|_| ())),
        ("pylock", pylock::parse(toml.as_bytes()).map(|_| ())),
        ("pipenv", pipenv::parse(json.as_bytes()).map(|_| ())),
    ] {
        assert!(result.is_err(), "{name}");
    }
    // What the Pipfile.lock reader skips (a section that is not an object, hashes, `_meta`)
    // it skips without recursion (serde_json's iterative skip): read, and noted.
    let skipped = format!("{{\"_meta\": {open}{close}, \"default\": {open}{close}, \"develop\": {{}}}}");
    let parsed = pipenv::parse(skipped.as_bytes()).unwrap();
    assert!(parsed.packages.is_empty());
    assert_eq!(parsed.notes, ["\"default\" is not an object; skipped"]);
}

#[test]
fn a_lock_file_over_the_bound_is_named_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app/uv.lock");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Sparse: no 64 MB written to disk.
    std::fs::File::create(&path).unwrap().set_len(MAX_LOCKFILE + 1).unwrap();
    let catalog = catalog_rootfs(tmp.path());
    assert_eq!(catalog.warnings.len(), 1);
    assert_eq!(catalog.warnings[0].path, "/app/uv.lock");
    assert!(catalog.warnings[0].message.contains("over the"), "{}", catalog.warnings[0]);
    assert!(catalog.packages.is_empty());
}

/// 50 MB of uv.lock: 150,000 versions of one name, each depending on that name without a
/// version (an ambiguous edge uv never writes) and on the next one. Resolving every edge to
/// every version would be 2×10^10 steps; the ambiguity bound keeps it linear.
#[test]
fn fifty_megabyte_lock_with_ambiguous_edges_is_linear() {
    let mut lock = String::with_capacity(52 << 20);
    lock.push_str("version = 1\n\n[[package]]\nname = \"root\"\nversion = \"1\"\nsource = { virtual = \".\" }\n");
    lock.push_str("dependencies = [{ name = \"a\", version = \"0.0\" }]\n\n");
    let mut i = 0u64;
    while lock.len() < 50 << 20 {
        let _ = write!(
            lock,
            "[[package]]\nname = \"a\"\nversion = \"{i}.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\
             dependencies = [{{ name = \"a\" }}, {{ name = \"A\", version = \"{}.0\" }}]\n\n",
            i + 1
        );
        i += 1;
    }
    let start = Instant::now();
    let parsed = uv::parse(lock.as_bytes()).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(parsed.packages.len() as u64, i + 1);
    // Each version depends on the next one only (the last names a version not locked).
    assert_eq!(parsed.packages[1].depends_on, ["a@1.0"]);
    assert!(parsed.packages.last().unwrap().depends_on.is_empty());
    // Every version is reached from the root through the chain.
    assert!(parsed.packages.iter().all(|p| !p.dev));
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
}
