//! Fuzzes the pom.xml reader and its `${property}` interpolation: it must never panic, and
//! resolved versions contain no unresolved reference.
#![no_main]

use chainward_catalog::lang::java::pom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = pom::parse(data) {
        let r = p.resolve();
        for d in &r.dependencies {
            assert!(!d.version.contains("${") && !d.version.is_empty());
        }
    }
});
