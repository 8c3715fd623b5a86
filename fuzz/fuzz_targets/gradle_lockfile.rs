//! Fuzzes the Gradle lockfile parser with arbitrary (lossily decoded) text: it must never
//! panic, it reports at most 100 bad lines, and every module has a name and a version.
#![no_main]

use chainward_catalog::lang::java::gradle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (modules, bad) = gradle::parse(&text);
    assert!(bad.len() <= 100);
    for m in &modules {
        assert!(m.name.contains(':') && !m.version.is_empty());
    }
});
