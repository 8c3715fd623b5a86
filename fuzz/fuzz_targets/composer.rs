//! Fuzzes both Composer parsers (`composer.lock`, `installed.json`) with arbitrary bytes:
//! they never panic, and every package they return has a name and a version.
#![no_main]

use chainward_catalog::lang::php::composer::{parse_installed, parse_lock};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for parsed in [parse_lock(data), parse_installed(data)].into_iter().flatten() {
        for p in &parsed.packages {
            assert!(!p.name.trim().is_empty() && !p.version.trim().is_empty());
        }
    }
});
