//! Fuzzes the `uv` lock file parser with arbitrary bytes: it must never panic; every
//! package it returns has a name and a version, and depends only on packages of the same file.
#![no_main]

use chainward_catalog::lang::python::lockfile::MAX_NOTES;
use chainward_catalog::lang::python::uv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = uv::parse(data) else { return };
    assert!(parsed.notes.len() <= MAX_NOTES + 1);
    let keys: std::collections::HashSet<String> = parsed.packages.iter().map(|p| p.key()).collect();
    assert_eq!(keys.len(), parsed.packages.len(), "one package per name and version");
    for p in &parsed.packages {
        assert!(!p.name.is_empty());
        for d in &p.depends_on {
            assert!(keys.contains(d), "{d}");
            assert_ne!(d, &p.key());
        }
    }
});
