//! Fuzzes the `go.mod` parser with arbitrary (lossily decoded) text: it must never panic,
//! it keeps at most `MAX_PROBLEMS` line problems, every problem names a line of the file,
//! and every module after `replace`/`exclude` has a path and either a version or a local
//! replacement directory.
#![no_main]

use chainward_catalog::lang::go::gomod::{MAX_PROBLEMS, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let m = parse(&text);
    assert!(m.problems.len() <= MAX_PROBLEMS);
    let lines = text.lines().count();
    assert!(m.problems.iter().all(|p| p.line >= 1 && p.line <= lines));
    for module in m.modules() {
        assert!(!module.path.is_empty());
        assert_eq!(module.version.is_empty(), module.local_replacement.is_some());
    }
    let _ = m.toolchain_version();
});
