//! Fuzzes the os-release(5) parser with arbitrary (lossily decoded) text: it must never
//! panic, and what it accepts has a lower-case, non-empty ID.
#![no_main]

use chainward_catalog::os_release::parse_os_release;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(os) = parse_os_release(&text, "/etc/os-release") {
        assert!(!os.id.is_empty());
        assert_eq!(os.id, os.id.to_ascii_lowercase());
        assert_eq!(os.evidence, "/etc/os-release");
    }
});
