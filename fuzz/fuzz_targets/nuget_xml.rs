//! Fuzzes NuGet's XML readers (`packages.config`, `Directory.Packages.props`) with arbitrary
//! (lossily decoded) text: they never panic and every reference has an id and a version.
#![no_main]

use chainward_catalog::lang::dotnet::nuget_xml::{parse_packages_config, parse_packages_props};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((refs, _)) = parse_packages_config(&text) {
        assert!(refs.iter().all(|r| !r.name.is_empty() && !r.version.is_empty()));
    }
    if let Ok(refs) = parse_packages_props(&text) {
        assert!(refs.iter().all(|r| !r.name.is_empty() && !r.version.is_empty() && !r.version.contains("$(")));
    }
});
