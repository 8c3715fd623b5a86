//! `chainward pipeline` end to end: exit codes, the JSON wire format, plain output.
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

#[test]
fn audit_finds_reports_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "name: ci\non: push\npermissions: {}\njobs:\n  a:\n    name: a\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4 # explained\n        with:\n          persist-credentials: false\n",
    );
    let root = dir.path().to_str().unwrap();

    let out = chainward(&["pipeline", "audit", "--format", "json", root]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], "chainward.pipeline/v1");
    assert_eq!(json["findings"][0]["id"], "unpinned-uses");
    assert_eq!(json["findings"][0]["primary"]["line"], 9);
    assert_eq!(json["findings"][0]["primary"]["route"], "jobs.a.steps[0].uses");

    let out = chainward(&["pipeline", "audit", root]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unpinned-uses"), "{text}");
    assert!(text.contains("^^^^^^^^^^^^^^^^^^^"), "the span is underlined: {text}");

    // Below the threshold: clean exit. Inline ignore: nothing shown.
    assert_eq!(
        chainward(&["pipeline", "audit", "--fail-on", "high", "--min-severity", "high", root]).status.code(),
        Some(1)
    );
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "name: ci\non: push\npermissions: {}\njobs:\n  a:\n    name: a\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4 # chainward: ignore[unpinned-uses]\n        with:\n          persist-credentials: false\n",
    );
    let out = chainward(&["pipeline", "audit", "--format", "json", root]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ignored"], 1);
}

#[test]
fn errors_exit_two_and_explain_works() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/bad.yml", "on: push\non: pull_request\njobs: {}\n");
    let out = chainward(&["pipeline", "audit", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate key"));

    let out = chainward(&["pipeline", "explain", "artipacked"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# artipacked"));
    assert_eq!(chainward(&["pipeline", "explain", "no-such-audit"]).status.code(), Some(2));
}

#[test]
fn fix_rewrites_checkouts_in_place_and_reports_what_is_left() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let original = "name: ci\non: push\npermissions: {}\njobs:\n  a:\n    name: a\n    runs-on: ubuntu-latest\n    steps:\n      # the code\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n      - run: make   # build\n";
    write(dir.path(), ".github/workflows/ci.yml", original);
    let file = dir.path().join(".github/workflows/ci.yml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let root = dir.path().to_str().unwrap();

    let before = chainward(&["pipeline", "audit", "--format", "json", root]);
    let json: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    assert_eq!(json["findings"][0]["id"], "artipacked", "{json}");
    assert_eq!(json["findings"][0]["fixes"][0]["title"], "set persist-credentials: false");

    let out = chainward(&["pipeline", "audit", "--fix", "--format", "json", root]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "the report is of the fixed file: {json}");
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        fixed,
        original.replace("# v4.2.2\n", "# v4.2.2\n        with:\n          persist-credentials: false\n")
    );
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    // Nothing left to fix: a second run changes nothing.
    assert_eq!(chainward(&["pipeline", "audit", "--fix", root]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
}
