//! `chainward pipeline audit --online` end to end, against a loopback server serving the
//! recorded GitHub API answers of `crates/chainward-pipeline/tests/github-fixtures/`.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::process::Command;

use chainward_testkit::http::{Answer, LoopbackHttp, Routes};

fn fixtures() -> Routes {
    Routes::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../chainward-pipeline/tests/github-fixtures"))
}

fn case(shared: &Path, name: &str, file: &str) -> PathBuf {
    shared.join("corpus/workflows/cases").join(name).join(file)
}

fn run(token: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.env_remove("GH_TOKEN").args(args);
    if let Some(t) = token {
        cmd.env("GH_TOKEN", t);
    }
    cmd.output().unwrap()
}

#[test]
fn online_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ci.yml");
    std::fs::write(&f, "on: push\njobs: {}\n").unwrap();
    let out = run(None, &["pipeline", "audit", "--online", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GH_TOKEN"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(Some("   "), &["pipeline", "audit", "--online", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // Without --online nothing asks for a token.
    assert_eq!(run(None, &["pipeline", "audit", f.to_str().unwrap()]).status.code(), Some(0));
}

#[test]
fn online_audits_report_through_the_cli() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let server = LoopbackHttp::start(fixtures());
    let input = case(&shared, "impostor_commit__regular_persona", "impostor-commit.yml");
    let out = run(
        Some("ghp_cli_fixture"),
        &[
            "pipeline",
            "audit",
            "--online",
            "--github-api",
            &server.base_url(),
            "--format",
            "json",
            input.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["id"], "impostor-commit");
    assert_eq!(findings[0]["severity"], "high");
    assert_eq!(findings[0]["primary"]["line"], 29);
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r.headers.get("authorization").map(String::as_str) == Some("Bearer ghp_cli_fixture"))
    );

    // Offline the same file is clean: the online audits are not even constructed.
    let out = run(None, &["pipeline", "audit", "--format", "json", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn api_errors_exit_2_and_are_listed() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let server = LoopbackHttp::start(Routes::new().answer(
        "GET",
        "/repos/actions/checkout/tags?per_page=100&page=1",
        Answer {
            status: 403,
            headers: vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), "1700000000".into()),
            ],
            body: br#"{"message":"API rate limit exceeded"}"#.to_vec(),
        },
    ));
    let input = case(&shared, "impostor_commit__regular_persona", "impostor-commit.yml");
    let out = run(
        Some("t"),
        &[
            "pipeline",
            "audit",
            "--online",
            "--github-api",
            &server.base_url(),
            "--format",
            "json",
            input.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{json}");
    assert!(errors[0].as_str().unwrap().contains("2023-11-14T22:13:20Z"), "{json}");
    // The limit stops every later request.
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn online_fix_pins_tags_to_their_commits_and_keeps_the_tag_as_a_comment() {
    let server = LoopbackHttp::start(fixtures());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ci.yml");
    let original = "name: ci\non: push\npermissions: {}\njobs:\n  a:\n    name: a\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4.2.2\n        with:\n          persist-credentials: false\n      - uses: \"actions/checkout@v4.2.2\"   \n        with: {persist-credentials: false}\n      - uses: actions/checkout@v4.2.2 # the author's note\n        with: {persist-credentials: false}\n";
    std::fs::write(&file, original).unwrap();
    let args = ["pipeline", "audit", "--online", "--github-api", &server.base_url(), "--fix", "--format", "json"];
    let out = run(Some("ghp_cli_fixture"), &[&args[..], &[file.to_str().unwrap()]].concat());
    let fixed = std::fs::read_to_string(&file).unwrap();
    let sha = "11bd71901bbe5b1630ceea73d27597364c9af683";
    assert_eq!(
        fixed,
        original.replacen("actions/checkout@v4.2.2\n", &format!("actions/checkout@{sha} # v4.2.2\n"), 1).replacen(
            "\"actions/checkout@v4.2.2\"   ",
            &format!("\"actions/checkout@{sha}\" # v4.2.2"),
            1
        )
    );
    // The step with its own comment is left for a human, so one unpinned-uses finding remains.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["unpinned-uses"], "{json}");
    assert_eq!(json["findings"][0]["primary"]["line"], 14);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}
