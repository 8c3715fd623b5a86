//! Fuzzes the JavaScript `yarn_lock` parser with arbitrary bytes: it must never panic, and
//! every package it returns has a name.
#![no_main]

use chainward_catalog::lang::javascript::yarn_lock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packages) = yarn_lock::parse(data) {
        for p in &packages {
            assert!(!p.name.is_empty());
        }
    }
});
