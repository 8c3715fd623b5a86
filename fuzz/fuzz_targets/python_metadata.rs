//! Fuzzes the Python core-metadata parser (METADATA, PKG-INFO) with arbitrary bytes: it must
//! never panic, and a parsed distribution always has a name and a version.
#![no_main]

use chainward_catalog::lang::python::metadata;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = metadata::parse(data) {
        assert!(!m.name.is_empty() && !m.version.is_empty());
    }
});
