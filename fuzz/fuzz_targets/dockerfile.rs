//! Fuzzes the Dockerfile parser and every Dockerfile audit: nothing may panic, every
//! instruction's span and every heredoc body lies inside the file, and every finding points
//! inside it too.
#![no_main]

use std::path::Path;

use chainward_pipeline::dockerfile::{self, Limits};
use chainward_pipeline::{Config, Filter, Persona, audit, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, max_lines: 20_000, max_instructions: 5_000 };
    let Ok(file) = dockerfile::parse(data, &limits) else { return };
    let len = file.text.source().len();
    for ins in file.instructions() {
        assert!(ins.span.start <= ins.span.end && ins.span.end <= len);
        assert!(ins.line <= ins.end_line);
        for h in &ins.heredocs {
            assert!(h.body.start <= h.body.end && h.body.end <= len);
        }
        for script in file.scripts(ins) {
            for p in script.pipelines() {
                for c in &p.commands {
                    for w in &c.words {
                        let r = script.source_range(w.range.clone());
                        assert!(r.start <= r.end && r.end <= len);
                    }
                }
            }
        }
    }
    let Ok(input) = load("Dockerfile", Path::new("Dockerfile"), data, &Default::default()) else { return };
    let report = audit(&[input], &Config::default(), &Filter { persona: Persona::Auditor, ..Filter::default() });
    for f in &report.findings {
        assert!(f.primary.bytes.0 <= f.primary.bytes.1 && f.primary.bytes.1 <= len);
        for r in &f.related {
            assert!(r.bytes.0 <= r.bytes.1 && r.bytes.1 <= len);
        }
    }
});
