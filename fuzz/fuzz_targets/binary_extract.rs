//! Fuzzes what the binary cataloger keeps from an executable (ELF, PE or Mach-O headers,
//! sections, Go build information, `.dep-v0`) with arbitrary bytes: it must never panic, and
//! its extract is read back without panicking. Seed it with real executables.
#![no_main]

use chainward_catalog::lang::binary::{extract, packages_of_extract};
use chainward_model::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(packed) = extract(data) {
        let location = Location { path: "/bin/x".into(), layer: None };
        let out = packages_of_extract(&packed, &location);
        assert!(out.warnings.iter().all(|w| w.path == "/bin/x"));
    }
});
