//! Fuzzes the NDB rpmdb reader with arbitrary bytes: it must never panic, and it keeps at
//! most `MAX_WARNINGS` warnings plus the one saying how many were dropped.
#![no_main]

use chainward_catalog::os::rpm::{MAX_WARNINGS, RpmDbFormat, read_rpmdb, to_package};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(read) = read_rpmdb(RpmDbFormat::Ndb, data) {
        assert!(read.warnings.len() <= MAX_WARNINGS + 1);
        for header in &read.headers {
            let _ = to_package(header);
        }
    }
});
