//! Fuzzes the pip requirements reader (decoding, then parsing, with and without the
//! minimum-version option): it must never panic; every requirement has a name and a version,
//! and its line is inside the file.
#![no_main]

use chainward_catalog::lang::python::requirements::{self, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = requirements::decode(data) else { return };
    let lines = text.lines().count().max(1);
    for min_version in [false, true] {
        let parsed = requirements::parse(&text, Options { min_version });
        for r in &parsed.requirements {
            assert!(!r.name.is_empty() && !r.version.is_empty());
            assert!(r.line >= 1 && r.line <= lines, "line {} of {lines}", r.line);
        }
    }
});
