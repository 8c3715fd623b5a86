//! Fuzzes the .NET `*.deps.json` parser with arbitrary bytes: it never panics, there is at
//! most one root, and every edge names a library it returned.
#![no_main]

use chainward_catalog::lang::dotnet::deps_json::parse;
use chainward_model::Relationship;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((libs, _)) = parse(data) {
        assert!(libs.iter().filter(|l| l.relationship == Some(Relationship::Root)).count() <= 1);
        let keys: std::collections::BTreeSet<String> =
            libs.iter().map(|l| format!("{}@{}", l.name, l.version)).collect();
        for l in &libs {
            assert!(!l.name.is_empty() && !l.version.is_empty());
            assert!(l.depends_on.iter().all(|d| keys.contains(d)));
        }
    }
});
