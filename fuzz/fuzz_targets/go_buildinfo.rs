//! Fuzzes the Go build information reader with arbitrary bytes as the blob (the magic is
//! prepended half the time so the header is reached) and as the memory the pre-1.18
//! pointers lead into: it must never panic, what it accepts has a Go version, and every
//! module it parses has a path.
#![no_main]

use chainward_catalog::lang::binary::go_buildinfo::{self, MAGIC};
use chainward_catalog::lang::binary::go_packages;
use chainward_model::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let with_magic = [&MAGIC[..], data].concat();
    let blob: &[u8] = if data.first().is_some_and(|b| b & 1 == 1) { &with_magic } else { data };
    // Memory: the input itself, mapped at address 0x1000.
    let read_at = |address: u64, len: u64| {
        let start = usize::try_from(address.checked_sub(0x1000)?).ok()?;
        blob.get(start..start.checked_add(usize::try_from(len).ok()?)?)
    };
    if let Ok(info) = go_buildinfo::parse(blob, read_at) {
        assert!(!info.go_version.is_empty());
        assert!(info.modinfo.len() as u64 <= go_buildinfo::MAX_STRING);
        let modinfo = go_buildinfo::parse_modinfo(&info.modinfo);
        let location = Location { path: "/bin/x".into(), layer: None };
        for p in go_packages(&info.go_version, &modinfo, &location) {
            assert!(!p.name.is_empty());
        }
    }
    let modinfo = go_buildinfo::parse_modinfo(&String::from_utf8_lossy(data));
    for m in modinfo.main.iter().chain(&modinfo.deps) {
        assert!(!m.path.is_empty());
    }
});
