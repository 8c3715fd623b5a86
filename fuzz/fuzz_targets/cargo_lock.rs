//! Fuzzes the `Cargo.lock` parser with arbitrary bytes: it must never panic; every crate it
//! returns has a name and a version, its dependencies are indexes of crates of the same file
//! (no duplicates), and at most one crate is the root.
#![no_main]

use chainward_catalog::lang::rust::cargo_lock::{CrateRole, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(lock) = parse(data) else { return };
    let roots = lock.crates.iter().filter(|c| c.role == CrateRole::Root).count();
    assert!(roots <= 1);
    for c in &lock.crates {
        assert!(!c.name.is_empty() && !c.version.is_empty());
        let mut seen = std::collections::HashSet::new();
        for &d in &c.depends_on {
            assert!(d < lock.crates.len());
            assert!(seen.insert(d));
        }
        assert_eq!(c.source.is_none(), matches!(c.role, CrateRole::Root | CrateRole::Workspace));
    }
});
