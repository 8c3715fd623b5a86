//! Fuzzes the `go.sum` parser with arbitrary (lossily decoded) text: it must never panic,
//! it keeps at most `MAX_PROBLEMS` bad lines, and every module has a path and a `v` version
//! (the `/go.mod` suffix taken off).
#![no_main]

use chainward_catalog::lang::go::gosum::{MAX_PROBLEMS, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s = parse(&text);
    assert!(s.bad_lines.len() <= MAX_PROBLEMS);
    for (path, version) in &s.modules {
        assert!(!path.is_empty());
        assert!(version.starts_with('v') && version.len() >= 2);
    }
});
