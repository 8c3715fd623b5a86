//! Fuzzes the rpm header blob parser with arbitrary bytes: it must never panic, and a
//! header it accepts must map to a package and a purl without panicking.
#![no_main]

use chainward_catalog::os::rpm::{parse_header, to_package};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = parse_header(data) {
        let _ = to_package(&header).purl(&Default::default());
    }
});
