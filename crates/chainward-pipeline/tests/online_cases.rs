//! Every `needs_network=yes` row of `../shared/corpus/workflows/cases.tsv`, run with the
//! online audits against a loopback server that serves the recorded GitHub API answers in
//! `tests/github-fixtures/` (see the README there): the number of findings shown for (case,
//! input, audit) at the row's persona and config, and their lines. Audits with no row in a
//! case must stay silent there, as in `zizmor_cases.rs`.
//!
//! Each case gets a fresh client (the cache lives for one run). Besides the findings, every
//! case must send only requests that a recorded answer covers, all to the loopback server
//! with the token, and end with no API errors.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chainward_pipeline::github::{ClientOptions, GitHubClient, GitHubToken};
use chainward_pipeline::{Config, Filter, Persona, all_audits, audit_with, load, online_registry, registry};
use chainward_testkit::http::{LoopbackHttp, Routes};

/// Rows that cannot be reproduced here, with the reason. Empty: every online row runs.
const NOT_REPRODUCED: &[(&str, &str)] = &[];

fn persona(s: &str) -> Persona {
    match s {
        "pedantic" => Persona::Pedantic,
        "auditor" => Persona::Auditor,
        _ => Persona::Regular,
    }
}

fn fixtures() -> Routes {
    Routes::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/github-fixtures"))
}

/// A run of the audits: (case, input, persona, config).
type RunKey = (String, String, String, String);

struct Run {
    report: chainward_pipeline::Report,
    problems: Vec<String>,
    unrouted: Vec<String>,
    targets: Vec<String>,
}

fn run_case(server: &LoopbackHttp, case_dir: &Path, input: &str, config: &Config, persona: Persona) -> Run {
    let before = server.requests().len();
    let token = GitHubToken::new("ghp_corpus_fixture_token").unwrap();
    let client = Arc::new(
        GitHubClient::new(&token, ClientOptions { api_url: server.base_url(), ..ClientOptions::default() }).unwrap(),
    );
    let path = case_dir.join(input);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let loaded = load(input, &path, &bytes, &Default::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut audits = registry(config);
    audits.extend(online_registry(config, &client));
    let report = audit_with(&[loaded], &audits, config, &Filter { persona, ..Filter::default() });
    let requests: Vec<_> = server.requests().into_iter().skip(before).collect();
    for r in &requests {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer ghp_corpus_fixture_token"),
            "{}",
            r.target
        );
        assert!(r.peer.ip().is_loopback());
    }
    // Every URL the client sent went to the loopback server, and arrived there.
    let sent = client.sent();
    assert!(sent.iter().all(|u| u.starts_with(&server.base_url())), "{sent:?}");
    assert_eq!(sent.len(), requests.len(), "sent {sent:?}, received {requests:?}");
    Run {
        report,
        problems: client.problems().iter().map(ToString::to_string).collect(),
        unrouted: requests.iter().filter(|r| !r.routed).map(|r| r.target.clone()).collect(),
        targets: requests.iter().map(|r| r.target.clone()).collect(),
    }
}

#[test]
fn online_cases() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let root = shared.join("corpus/workflows");
    let rows = chainward_testkit::read_tsv(&root.join("cases.tsv"));
    let known: Vec<&str> = all_audits().iter().map(|a| a.id).collect();
    let server = LoopbackHttp::start(fixtures());

    // Group the online rows by run: (case, input, persona, config).
    let mut groups: BTreeMap<RunKey, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r["needs_network"] == "yes") {
        let key = (row["case"].clone(), row["input"].clone(), row["persona"].clone(), row["config"].clone());
        groups.entry(key).or_default().push(row);
    }
    assert!(!groups.is_empty(), "no online rows in cases.tsv");

    let mut failures = Vec::new();
    let (mut passed, mut silent_checked) = (0, 0);
    for ((case, input, persona_name, config_name), listed) in &groups {
        if let Some((_, why)) = NOT_REPRODUCED.iter().find(|(c, _)| c == case) {
            println!("not reproduced: {case}: {why}");
            continue;
        }
        let case_dir = root.join("cases").join(case);
        let input = input.trim_end_matches('/');
        let config = match config_name.as_str() {
            "-" => Config::default(),
            c => Config::parse(&std::fs::read(case_dir.join(c)).unwrap(), &known)
                .unwrap_or_else(|e| panic!("{case}: config {c}: {e}")),
        };
        let run = run_case(&server, &case_dir, input, &config, persona(persona_name));
        if !run.unrouted.is_empty() {
            failures.push(format!("{case}: requests with no recorded answer: {:?}", run.unrouted));
        }
        if !run.problems.is_empty() {
            failures.push(format!("{case}: GitHub API errors: {:?}", run.problems));
        }
        println!("{case}: {} requests", run.targets.len());
        for row in listed {
            let id = row["audit"].as_str();
            let mut got: Vec<usize> =
                run.report.findings.iter().filter(|f| f.id == id).map(|f| f.primary.line).collect();
            got.sort_unstable();
            let want_count: usize = row["count"].parse().unwrap();
            let mut want_lines: Vec<usize> = match row["lines"].as_str() {
                "-" | "" => Vec::new(),
                l => l.split(',').map(|n| n.trim().parse().unwrap()).collect(),
            };
            want_lines.sort_unstable();
            if got.len() == want_count && (want_count == 0 || want_lines == got) {
                passed += 1;
            } else {
                failures.push(format!(
                    "{case} {input} {id} [{persona_name}]: want {want_count} at {want_lines:?}, got {} at {got:?}",
                    got.len()
                ));
            }
        }
        let listed_ids: Vec<&str> = listed.iter().map(|r| r["audit"].as_str()).collect();
        for id in known.iter().filter(|id| !listed_ids.contains(id)) {
            silent_checked += 1;
            let lines: Vec<usize> =
                run.report.findings.iter().filter(|f| f.id == *id).map(|f| f.primary.line).collect();
            if !lines.is_empty() {
                failures.push(format!("{case} {input} {id} [{persona_name}]: no row, so none expected; got {lines:?}"));
            }
        }
    }
    let rows_total: usize = groups.values().map(Vec::len).sum();
    println!("online rows: {rows_total}; passing: {passed}; silent pairs checked: {silent_checked}");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(passed, rows_total, "every online row must run (NOT_REPRODUCED lists the exceptions)");
}

/// `sha-is-tag.yml` pins the SHA of an annotated tag object (v1, which points to the
/// annotated tag v1.0.0, which points to a commit): impostor-commit peels it through both
/// hops and never needs the slow comparison path.
#[test]
fn impostor_commit_peels_nested_tags_without_the_slow_path() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let case_dir = shared.join("corpus/workflows/cases/impostor_commit__peels_tag_sha_to_commit_sha");
    let server = LoopbackHttp::start(fixtures());
    let run = run_case(&server, &case_dir, "sha-is-tag.yml", &Config::default(), Persona::Regular);
    assert!(run.problems.is_empty(), "{:?}", run.problems);
    let peels: Vec<&String> = run.targets.iter().filter(|t| t.contains("/git/tags/")).collect();
    assert_eq!(peels.len(), 2, "{:?}", run.targets);
    assert!(!run.targets.iter().any(|t| t.contains("/compare/")), "{:?}", run.targets);
    // Each (repository, endpoint) was asked once.
    let mut unique = run.targets.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), run.targets.len(), "{:?}", run.targets);
}

/// A missing token is not the audits' concern, but a wrong one is reported, not swallowed:
/// the server answering 401 turns into one recorded problem and no findings.
#[test]
fn api_errors_are_reported_not_swallowed() {
    let server = LoopbackHttp::start(Routes::new().answer(
        "GET",
        "/repos/actions/checkout/tags?per_page=100&page=1",
        chainward_testkit::http::Answer {
            status: 401,
            headers: Vec::new(),
            body: br#"{"message":"Bad credentials"}"#.to_vec(),
        },
    ));
    let yaml = b"on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n";
    let input = load("ci.yml", Path::new(".github/workflows/ci.yml"), yaml, &Default::default()).unwrap();
    let token = GitHubToken::new("bad").unwrap();
    let client = Arc::new(
        GitHubClient::new(&token, ClientOptions { api_url: server.base_url(), ..ClientOptions::default() }).unwrap(),
    );
    let config = Config::default();
    let report = audit_with(&[input], &online_registry(&config, &client), &config, &Filter::default());
    assert!(report.findings.is_empty());
    let problems = client.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].to_string().contains("401"), "{}", problems[0]);
    // The 401 is cached: five audits, one request.
    assert_eq!(server.requests().len(), 1);
}
