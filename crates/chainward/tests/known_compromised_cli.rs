//! `chainward pipeline audit` and `known-compromised-action` end to end: the bundled
//! advisories, `--advisories DIR`, the config key, and a malformed record (exit 2, naming the
//! file and field).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::process::Command;

fn chainward(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chainward")).args(args).output().unwrap()
}

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn known_compromised(out: &std::process::Output) -> Vec<serde_json::Value> {
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    json["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "known-compromised-action").cloned().collect()
}

const WORKFLOW: &str = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: tj-actions/changed-files@v45\n      - uses: my-org/deploy@v1.2.3\n";

#[test]
fn bundled_extra_dir_and_config_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/ci.yml", WORKFLOW);
    let root = dir.path().to_str().unwrap();

    let out = chainward(&["pipeline", "audit", "--format", "json", root]);
    assert_eq!(out.status.code(), Some(1));
    let found = known_compromised(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["confidence"], "high");
    assert_eq!(found[0]["primary"]["line"], 7);
    let annotation = found[0]["primary"]["annotation"].as_str().unwrap();
    assert!(annotation.starts_with("mutable tag `v45` covered malicious commit"), "{annotation}");
    assert!(annotation.contains("GHSA-mrrh-fwg8-r2c3, CVE-2025-30066; fixed in 46.0.1"), "{annotation}");

    // An organisation's own advisory, given as a directory.
    let record = r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "GitHub Actions", "name": "my-org/deploy"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.2.0"}, {"fixed": "1.2.4"}]}]}]}"#;
    write(dir.path(), "osv/GHSA-aaaa-bbbb-cccc.json", record);
    let osv = dir.path().join("osv");
    let out = chainward(&["pipeline", "audit", "--format", "json", "--advisories", osv.to_str().unwrap(), root]);
    let found = known_compromised(&out);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[1]["primary"]["line"], 8);
    assert!(found[1]["primary"]["annotation"].as_str().unwrap().contains("GHSA-aaaa-bbbb-cccc; fixed in 1.2.4"));

    // The same directory named in the config file, relative to it.
    write(
        dir.path(),
        "chainward-pipeline.yml",
        "rules:\n  known-compromised-action:\n    config:\n      advisories: osv\n",
    );
    let out = chainward(&["pipeline", "audit", "--format", "json", root]);
    assert_eq!(known_compromised(&out).len(), 2);

    // Plain output shows the kind and the advisory.
    let out = chainward(&["pipeline", "audit", root]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("known-compromised-action"), "{text}");
    assert!(text.contains("GHSA-mrrh-fwg8-r2c3"), "{text}");
}

#[test]
fn malformed_advisory_is_an_error_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/ci.yml", WORKFLOW);
    write(
        dir.path(),
        "osv/bad.json",
        r#"{"id": "X", "modified": "2026-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "GitHub Actions", "name": "o/a"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "soon"}]}]}]}"#,
    );
    let osv = dir.path().join("osv");
    let out = chainward(&["pipeline", "audit", "--advisories", osv.to_str().unwrap(), dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("affected[0].ranges[0].events[1].fixed"), "{err}");

    let missing = dir.path().join("nowhere");
    let out =
        chainward(&["pipeline", "audit", "--advisories", missing.to_str().unwrap(), dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}

#[test]
fn explain_documents_the_record_field() {
    let out = chainward(&["pipeline", "explain", "known-compromised-action"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# known-compromised-action"));
    assert!(text.contains("malicious_commits") && text.contains("repointed_tags"), "{text}");
}
