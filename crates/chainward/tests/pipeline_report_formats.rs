//! `chainward pipeline audit --format sarif|github` over the real corpus: the SARIF log is valid
//! against the official SARIF 2.1.0 schema (`../shared/corpus/schemas/sarif-2.1.0`), and both
//! formats carry exactly the findings the JSON format reports, at the same places.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn chainward(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainward")).current_dir(cwd).args(args).output().unwrap()
}

fn audit(cwd: &Path, format: &str, paths: &[&str]) -> (Option<i32>, Vec<u8>) {
    let mut args = vec!["pipeline", "audit", "--persona", "auditor", "--format", format];
    args.extend_from_slice(paths);
    let out = chainward(cwd, &args);
    (out.status.code(), out.stdout)
}

/// Runs the three formats over the same inputs and checks they agree; returns the number of
/// findings.
fn check_formats_agree(cwd: &Path, paths: &[&str], schemas: &Path) -> usize {
    let (json_code, json) = audit(cwd, "json", paths);
    let json: Value = serde_json::from_slice(&json).unwrap();
    let findings = json["findings"].as_array().unwrap();

    let (sarif_code, sarif) = audit(cwd, "sarif", paths);
    assert_eq!(sarif_code, json_code, "same exit code for sarif and json");
    let sarif: Value = serde_json::from_slice(&sarif).unwrap();
    if let Err(e) = chainward_testkit::schema::validate_against_schema(
        chainward_testkit::schema::SchemaKind::Sarif210,
        &sarif,
        schemas,
    ) {
        panic!("SARIF of {paths:?} in {} breaks the schema: {e}", cwd.display());
    }
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len(), "one SARIF result per finding");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    // Every audit that runs offline (the registry) is a rule, once.
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for audit in chainward_pipeline::registry(&chainward_pipeline::Config::default()) {
        assert!(ids.contains(&audit.info().id), "{} is not a rule", audit.info().id);
    }
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rules are listed once, sorted");
    assert_eq!(run["invocations"][0]["executionSuccessful"], json["errors"].as_array().unwrap().is_empty());
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["id"]);
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], f["id"]);
        assert_eq!(r["properties"]["severity"], f["severity"]);
        assert_eq!(r["properties"]["confidence"], f["confidence"]);
        let level = match f["severity"].as_str().unwrap() {
            "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        let phys = &r["locations"][0]["physicalLocation"];
        // Relative paths with `/`, under %SRCROOT%, naming the file the JSON names.
        assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(phys["artifactLocation"]["uri"].as_str().unwrap(), f["primary"]["file"].as_str().unwrap());
        for (sarif_key, json_key) in
            [("startLine", "line"), ("startColumn", "column"), ("endLine", "end_line"), ("endColumn", "end_column")]
        {
            assert_eq!(phys["region"][sarif_key], f["primary"][json_key], "{sarif_key} of {r}");
        }
        assert_eq!(
            r["relatedLocations"].as_array().map_or(0, Vec::len),
            f["related"].as_array().unwrap().len(),
            "related locations of {r}"
        );
        assert!(r["partialFingerprints"]["chainwardFindingHash/v1"].as_str().is_some_and(|s| s.contains(':')));
    }
    // Fingerprints tell findings apart.
    let mut fps: Vec<&str> =
        results.iter().map(|r| r["partialFingerprints"]["chainwardFindingHash/v1"].as_str().unwrap()).collect();
    fps.sort_unstable();
    fps.dedup();
    assert_eq!(fps.len(), results.len(), "distinct fingerprints");

    let (github_code, github) = audit(cwd, "github", paths);
    assert_eq!(github_code, json_code, "same exit code for github and json");
    let github = String::from_utf8(github).unwrap();
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(lines.len(), findings.len(), "one annotation per finding");
    for (line, f) in lines.iter().zip(findings) {
        let kind = match f["severity"].as_str().unwrap() {
            "high" => "::error ",
            "medium" => "::warning ",
            _ => "::notice ",
        };
        assert!(line.starts_with(kind), "{line}");
        let file = f["primary"]["file"].as_str().unwrap();
        assert!(line.contains(&format!("file={file},line={},", f["primary"]["line"])), "{line}");
        assert!(line.contains(&format!("title={}::", f["id"].as_str().unwrap())), "{line}");
    }
    findings.len()
}

fn shared() -> Option<PathBuf> {
    chainward_testkit::shared_dir()
}

#[test]
fn warehouse_repository() {
    let Some(shared) = shared() else { return };
    let schemas = shared.join("corpus/schemas");
    let repo = shared.join("corpus/workflows/real-world/warehouse");
    let n = check_formats_agree(&repo, &["."], &schemas);
    // Every input of the repository is audited and the auditor persona finds things in it.
    assert!(n > 10, "only {n} findings in warehouse");

    // The same run given an absolute path: the URIs are still relative to the current directory.
    let (_, by_dot) = audit(&repo, "sarif", &["."]);
    let abs = repo.to_str().unwrap();
    let (_, by_abs) = audit(&repo, "sarif", &[abs]);
    assert_eq!(String::from_utf8(by_dot.clone()).unwrap(), String::from_utf8(by_abs).unwrap());
    // Deterministic: a second run writes the same bytes.
    let (_, again) = audit(&repo, "sarif", &["."]);
    assert_eq!(by_dot, again);
}

#[test]
fn corpus_cases() {
    let Some(shared) = shared() else { return };
    let schemas = shared.join("corpus/schemas");
    let cases = shared.join("corpus/workflows/cases");
    let picked = [
        "e2e__gha_hazmat",
        "template_injection__false_positive_menagerie",
        "template_injection__issue_883_repro_action",
        "unpinned_uses__action_pedantic",
        "artipacked__issue_447",
        "dependabot_cooldown__missing_cooldown",
        "self_hosted_runner__self_hosted_matrix_inclusion",
    ];
    // The inputs each case names in cases.tsv.
    let mut files: Vec<String> = chainward_testkit::read_tsv(&shared.join("corpus/workflows/cases.tsv"))
        .into_iter()
        .filter(|row| picked.contains(&row["case"].as_str()))
        .map(|row| format!("{}/{}", row["case"], row["input"]))
        .collect();
    for case in picked {
        assert!(files.iter().any(|f| f.starts_with(&format!("{case}/"))), "{case} is not in cases.tsv");
    }
    for f in &files {
        assert!(cases.join(f).is_file(), "{f} is missing");
    }
    files.sort();
    files.dedup();
    let paths: Vec<&str> = files.iter().map(String::as_str).collect();
    let n = check_formats_agree(&cases, &paths, &schemas);
    assert!(n > 20, "only {n} findings in {picked:?}");
}

#[test]
fn unauditable_input_makes_an_unsuccessful_run() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(wf.join("bad.yml"), "on: push\non: pull_request\njobs: {}\n").unwrap();
    std::fs::write(
        wf.join("ok.yml"),
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: {persist-credentials: false}\n",
    )
    .unwrap();
    let (code, sarif) = audit(dir.path(), "sarif", &["."]);
    assert_eq!(code, Some(2));
    let sarif: Value = serde_json::from_slice(&sarif).unwrap();
    chainward_testkit::schema::validate_against_schema(
        chainward_testkit::schema::SchemaKind::Sarif210,
        &sarif,
        &shared.join("corpus/schemas"),
    )
    .unwrap();
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let note = inv["toolExecutionNotifications"][0]["message"]["text"].as_str().unwrap();
    assert!(note.contains("bad.yml") && note.contains("duplicate key"), "{note}");
    // The good file is still reported.
    assert!(sarif["runs"][0]["results"].as_array().unwrap().iter().any(|r| r["ruleId"] == "unpinned-uses"));

    let (code, github) = audit(dir.path(), "github", &["."]);
    assert_eq!(code, Some(2));
    assert!(String::from_utf8(github).unwrap().contains("::error file=.github/workflows/ok.yml,line=7,"));
}
