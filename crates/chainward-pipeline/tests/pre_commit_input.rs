//! pre-commit configs as an input kind: recognised by name, discovered at a repository's root
//! only, and odd shapes handled without panics.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use chainward_pipeline::{Config, Filter, InputError, InputKind, Persona, audit, discover, load};

fn load_pc(bytes: &[u8]) -> Result<chainward_pipeline::Input, InputError> {
    load(".pre-commit-config.yaml", Path::new(".pre-commit-config.yaml"), bytes, &Default::default())
}

#[test]
fn recognised_by_name() {
    let yaml = b"repos:\n- repo: http://github.com/actions-rs/cargo\n  rev: v1\n  hooks: [{id: x}]\n";
    for name in [".pre-commit-config.yaml", "sub/.pre-commit-config.yml"] {
        let input = load(name, Path::new(name), yaml, &Default::default()).unwrap();
        assert!(matches!(input.kind, InputKind::PreCommit(_)), "{name}");
        let report = audit(&[input], &Config::default(), &Filter { persona: Persona::Auditor, ..Filter::default() });
        let mut ids: Vec<&str> = report.findings.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["archived-uses", "insecure-url-scheme"], "{name}");
    }
}

#[test]
fn odd_shapes_are_errors_or_silent() {
    for bad in [&b"repos: 3\n"[..], b"- a\n", b"repos:\n", b"{}\n"] {
        assert!(matches!(load_pc(bad), Err(InputError::Model { .. })), "{}", String::from_utf8_lossy(bad));
    }
    for odd in [
        &b"repos: []\n"[..],
        b"repos: [1, [2], {repo: [x]}, {repo: {a: b}}, {repo: ''}, {repo: 'http://'}, {repo: '://x'}]\n",
        b"repos:\n- repo: git@github.com\n- repo: https://github.com//\n- repo: \"http://github.com/\\u00e9/\\u00e9\"\n",
    ] {
        let input = load_pc(odd).unwrap();
        let report = audit(&[input], &Config::default(), &Filter { persona: Persona::Auditor, ..Filter::default() });
        // Only the insecure scheme of `http://…` is worth reporting.
        assert!(report.findings.iter().all(|f| f.id == "insecure-url-scheme"), "{:?}", report.findings);
    }
}

#[test]
fn discovered_at_the_root_only() {
    let dir = std::env::temp_dir().join(format!("chainward-pre-commit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let yaml = "repos: []\n";
    std::fs::write(dir.join(".pre-commit-config.yaml"), yaml).unwrap();
    std::fs::write(dir.join("nested/.pre-commit-config.yaml"), yaml).unwrap();
    let found = discover(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let names: Vec<String> = found.iter().map(|p| p.strip_prefix(&dir).unwrap().display().to_string()).collect();
    assert_eq!(names, [".pre-commit-config.yaml"]);
}
