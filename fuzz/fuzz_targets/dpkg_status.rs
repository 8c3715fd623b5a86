//! Fuzzes the dpkg status parser with arbitrary (lossily decoded) text: it must never panic,
//! it keeps at most `MAX_PROBLEMS` problems plus the one counting the rest, and every entry
//! it returns has a name and a valid deb-version.
#![no_main]

use chainward_catalog::os::dpkg::{MAX_PROBLEMS, is_valid_version, parse_status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (entries, problems) = parse_status(&text);
    assert!(problems.len() <= MAX_PROBLEMS + 1);
    for e in &entries {
        assert!(!e.name.is_empty());
        assert!(is_valid_version(&e.version), "{:?}", e.version);
    }
    for p in &problems {
        assert!(p.line >= 1);
    }
});
