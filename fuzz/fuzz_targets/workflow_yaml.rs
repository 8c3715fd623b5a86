//! Fuzzes the positioned YAML parser and everything after it: a document that parses is
//! loaded as a workflow (or action, or Dependabot config) and audited. Nothing may panic,
//! node counts stay under the limit (alias bombs), and every finding points inside the file.
#![no_main]

use std::path::Path;

use chainward_pipeline::{Config, Filter, Persona, audit, load};
use chainward_yaml::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, max_depth: 64, max_nodes: 100_000 };
    let Ok(doc) = chainward_yaml::parse(data, &limits) else { return };
    assert!(doc.root.span.end.byte <= doc.source().len());
    for name in [".github/workflows/fuzz.yml", "action.yml", ".github/dependabot.yml"] {
        let Ok(input) = load(name, Path::new(name), data, &limits) else { continue };
        let len = input.doc().source().len();
        let report = audit(&[input], &Config::default(), &Filter { persona: Persona::Auditor, ..Filter::default() });
        for f in &report.findings {
            assert!(f.primary.bytes.0 <= f.primary.bytes.1 && f.primary.bytes.1 <= len);
        }
    }
});
