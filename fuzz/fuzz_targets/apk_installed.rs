//! Fuzzes the apk installed-database parser with arbitrary (lossily decoded) text: it must
//! never panic, it keeps at most `MAX_PROBLEMS` problems plus the one counting the rest,
//! and every entry it returns has a name and a version.
#![no_main]

use chainward_catalog::os::apk::{MAX_PROBLEMS, parse_installed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (entries, problems) = parse_installed(&text);
    assert!(problems.len() <= MAX_PROBLEMS + 1);
    for e in &entries {
        assert!(!e.name.is_empty() && !e.version.is_empty());
    }
});
