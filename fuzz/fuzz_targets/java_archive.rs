//! Fuzzes the Java archive reader (the bounded zip reader, pom.properties, MANIFEST.MF,
//! nested archives) on arbitrary bytes: it must never panic, and every package it returns
//! has a `group:artifact` name and a version.
#![no_main]

use chainward_catalog::lang::java::archive::{Limits, read_archive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A small budget keeps each run fast; the bounds are what is tested.
    let limits = Limits { max_depth: 4, max_inflated: 4 << 20, max_metadata: 64 << 10 };
    let report = read_archive(data, "/f.jar", &limits);
    for p in &report.packages {
        assert!(p.name.contains(':') && !p.version.is_empty());
        assert!(p.path.starts_with("/f.jar"));
    }
});
