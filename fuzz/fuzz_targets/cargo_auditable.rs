//! Fuzzes the cargo-auditable `.dep-v0` reader with arbitrary bytes, both as the compressed
//! section and as the inflated JSON: it must never panic, inflation stays within its bound,
//! and every dependency index it returns is in range.
#![no_main]

use chainward_catalog::lang::binary::auditable;
use chainward_catalog::lang::binary::auditable_packages;
use chainward_model::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(json) = auditable::inflate(data) {
        assert!(json.len() as u64 <= auditable::MAX_JSON);
    }
    let _ = auditable::parse(data);
    if let Ok(crates) = auditable::parse_json(data) {
        for c in &crates {
            assert!(c.dependencies.iter().all(|&d| d < crates.len()));
        }
        let location = Location { path: "/bin/x".into(), layer: None };
        let packages = auditable_packages(&crates, &location);
        assert!(packages.len() <= crates.len());
    }
});
