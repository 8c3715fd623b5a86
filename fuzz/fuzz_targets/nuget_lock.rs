//! Fuzzes the NuGet `packages.lock.json` parser with arbitrary bytes: it never panics, and
//! returns each id and version once, with a version.
#![no_main]

use chainward_catalog::lang::dotnet::packages_lock::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((packages, _)) = parse(data) {
        let mut seen = std::collections::BTreeSet::new();
        for p in &packages {
            assert!(!p.version.trim().is_empty());
            assert!(seen.insert((p.name.clone(), p.version.clone())));
        }
    }
});
