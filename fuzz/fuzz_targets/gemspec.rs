//! Fuzzes the gemspec literal reader with arbitrary (lossily decoded) text: it never panics
//! and a spec it reads has a non-empty name and version.
#![no_main]

use chainward_catalog::lang::ruby::gemspec::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(spec) = parse(&text) {
        assert!(!spec.name.trim().is_empty() && !spec.version.trim().is_empty());
        assert!(spec.licenses.len() <= 64);
    }
});
