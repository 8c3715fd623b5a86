//! Hostile inputs end in clear errors (or a bounded, correct audit), never a panic.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;
use std::time::Instant;

use chainward_pipeline::{Config, Filter, InputError, Persona, audit, load};
use chainward_yaml::{Limits, YamlError};

fn load_wf(bytes: &[u8]) -> Result<chainward_pipeline::Input, InputError> {
    load("w.yml", Path::new(".github/workflows/w.yml"), bytes, &Limits::default())
}

#[test]
fn anchor_bomb_is_refused() {
    let mut s = String::from("on: push\njobs: {}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    let e = load_wf(s.as_bytes()).unwrap_err();
    assert!(matches!(e, InputError::Yaml { source: YamlError::TooManyNodes { .. }, .. }), "{e}");
}

#[test]
fn invalid_utf8_duplicate_keys_and_shape_errors() {
    assert!(matches!(
        load_wf(b"on: push\njobs: {}\nx: \xc3\x28\n").unwrap_err(),
        InputError::Yaml { source: YamlError::InvalidUtf8 { .. }, .. }
    ));
    let e = load_wf(b"on: push\njobs: {}\non: pull_request\n").unwrap_err();
    assert!(e.to_string().contains("duplicate key"), "{e}");
    assert!(matches!(load_wf(b"- a\n- b\n").unwrap_err(), InputError::Model { .. }));
    assert!(matches!(load_wf(b"on: push\n").unwrap_err(), InputError::Model { .. }));
}

#[test]
fn deeply_nested_expression_is_skipped_not_fatal() {
    let deep = format!(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{{{ {}a{} }}}}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let input = load_wf(deep.as_bytes()).unwrap();
    let report = audit(&[input], &Config::default(), &Filter { persona: Persona::Auditor, ..Filter::default() });
    assert!(report.findings.iter().all(|f| f.id != "template-injection"));
}

fn big_workflow_is_audited(size: usize, max_secs: u64) {
    let mut s = String::from("on: pull_request_target\njobs:\n");
    let mut n = 0;
    while s.len() < size {
        s.push_str(&format!(
            "  job{n}:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"${{{{ github.event.pull_request.title }}}}\"\n"
        ));
        n += 1;
    }
    let started = Instant::now();
    let input = load_wf(s.as_bytes()).unwrap();
    let report = audit(&[input], &Config::default(), &Filter::default());
    // Per job: unpinned-uses, artipacked, template-injection; plus the trigger.
    assert!(report.findings.len() >= 3 * n, "{} findings for {n} jobs", report.findings.len());
    assert!(started.elapsed().as_secs() < max_secs, "took {:?}", started.elapsed());
}

#[test]
fn two_megabyte_workflow_is_audited_in_bounded_time() {
    big_workflow_is_audited(2 << 20, 30);
}

/// The 20 MB case: about 30 s in a debug build, so run by `.ci/run` (`--ignored`).
#[test]
#[ignore]
fn twenty_megabyte_workflow_is_audited_in_bounded_time() {
    big_workflow_is_audited(20 << 20, 120);
}
