//! Fuzzes the Gemfile.lock parser with arbitrary (lossily decoded) text: it never panics,
//! keeps at most `MAX_PROBLEMS` problems plus one counting the rest, and every gem it
//! returns has a name and a version without whitespace, once per name and version.
#![no_main]

use chainward_catalog::lang::ruby::gemfile_lock::{MAX_PROBLEMS, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lock = parse(&text);
    assert!(lock.problems.len() <= MAX_PROBLEMS + 1);
    let mut seen = std::collections::BTreeSet::new();
    for g in &lock.gems {
        assert!(!g.name.is_empty() && !g.version.is_empty());
        assert!(!g.version.contains(char::is_whitespace) && !g.version.contains('-'));
        assert!(seen.insert((g.name.clone(), g.version.clone())));
    }
});
