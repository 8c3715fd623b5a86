//! `../shared/corpus/workflows/known-compromised/*/cases.tsv`: every consumer workflow gets
//! exactly the expected `known-compromised-action` findings (count, severity, lines), with the
//! bundled advisories alone and again with the corpus's OSV record given as an extra
//! advisory directory.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use chainward_pipeline::{ActionAdvisories, Config, ExposureKind, Filter, Finding, Persona, audit, load};

const SET: &str = "corpus/workflows/known-compromised/tj-actions-changed-files";

fn findings(set_dir: &Path, input: &str, config: &Config, id: &str) -> Vec<Finding> {
    let path = set_dir.join(input);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let loaded = load(input, &path, &bytes, &Default::default()).unwrap_or_else(|e| panic!("{input}: {e}"));
    // The auditor persona shows everything, so nothing is hidden from the count.
    let report = audit(&[loaded], config, &Filter { persona: Persona::Auditor, ..Filter::default() });
    report.findings.into_iter().filter(|f| f.id == id).collect()
}

/// What the annotation of each finding must say about the reference (the case names say
/// which kind of reference each consumer holds; see the corpus's `note` column).
fn expected_kind(case: &str) -> Option<&'static str> {
    match case {
        "tag-v45" => Some("mutable tag `v45` covered malicious commit 0e58ed8671d6b60d0890c21b07f8835ace038e67"),
        "sha-malicious" => Some("pinned to the malicious commit 0e58ed8671d6b60d0890c21b07f8835ace038e67"),
        "version-v35" => Some("version `v35.7.7` is in the affected range; the tag was repointed"),
        _ => None,
    }
}

fn check_rows(shared: &Path, config: &Config, label: &str) -> usize {
    let set_dir = shared.join(SET);
    let rows = chainward_testkit::read_tsv(&set_dir.join("cases.tsv"));
    assert!(!rows.is_empty());
    let mut failures = Vec::new();
    for row in &rows {
        assert_eq!(row["needs_network"], "no", "a network row needs its own test");
        let got = findings(&set_dir, &row["input"], config, &row["check"]);
        let want_count: usize = row["count"].parse().unwrap();
        let want_lines: Vec<usize> = match row["lines"].as_str() {
            "-" | "" => Vec::new(),
            l => l.split(',').map(|n| n.trim().parse().unwrap()).collect(),
        };
        let mut lines: Vec<usize> = got.iter().map(|f| f.primary.line).collect();
        lines.sort_unstable();
        let severities: Vec<String> = got.iter().map(|f| format!("{:?}", f.severity).to_ascii_lowercase()).collect();
        let want_severity = row["severity"].as_str();
        let severity_ok = want_count == 0 || severities.iter().all(|s| s == want_severity);
        if got.len() != want_count || lines != want_lines || !severity_ok {
            failures.push(format!(
                "[{label}] {}: want {want_count} {want_severity} at {want_lines:?}, got {} {severities:?} at {lines:?}",
                row["case"],
                got.len()
            ));
            continue;
        }
        if let (Some(kind), [f]) = (expected_kind(&row["case"]), got.as_slice()) {
            let a = &f.primary.annotation;
            for part in [kind, "GHSA-mrrh-fwg8-r2c3", "CVE-2025-30066", "fixed in 46.0.1"] {
                if !a.contains(part) {
                    failures.push(format!("[{label}] {}: annotation lacks {part:?}: {a}", row["case"]));
                }
            }
            assert_eq!(f.confidence, chainward_pipeline::Confidence::High);
        }
    }
    assert!(failures.is_empty(), "{} rows fail:\n{}", failures.len(), failures.join("\n"));
    rows.len()
}

#[test]
fn corpus_cases_with_bundled_advisories() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let n = check_rows(&shared, &Config::default(), "bundled");
    println!("known-compromised rows passing with the bundled advisories: {n}");
}

#[test]
fn corpus_cases_with_the_corpus_record_as_extra_advisories() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let extra = ActionAdvisories::load_dir(&shared.join(SET)).unwrap();
    assert_eq!(extra.len(), 1, "the corpus set holds one OSV record");
    let config = Config { action_advisories: extra, ..Config::default() };
    let n = check_rows(&shared, &config, "bundled + corpus record");
    println!("known-compromised rows passing with the corpus record added: {n}");
}

/// The corpus record alone (a plain GHSA, which names no commit) finds the tags but cannot
/// know the malicious commit: that is what the bundled record's `database_specific.chainward`
/// adds.
#[test]
fn the_corpus_record_alone() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let set = ActionAdvisories::load_dir(&shared.join(SET)).unwrap();
    let kinds = |u: &str| -> Vec<ExposureKind> {
        let Some(chainward_gha::Uses::Repository(r)) = chainward_gha::Uses::parse(u) else { panic!("{u}") };
        set.exposures(&r).into_iter().map(|e| e.kind).collect()
    };
    assert_eq!(
        kinds("tj-actions/changed-files@v45"),
        [ExposureKind::MutableTag { tag: "v45".into(), repointed: false }]
    );
    assert_eq!(
        kinds("tj-actions/changed-files@v35.7.7"),
        [ExposureKind::AffectedVersion { tag: "v35.7.7".into(), in_range: true, repointed: false }]
    );
    assert!(kinds("tj-actions/changed-files@0e58ed8671d6b60d0890c21b07f8835ace038e67").is_empty());
    assert!(kinds("tj-actions/changed-files@v46.0.1").is_empty());
}

/// The audit reaches reusable workflow calls and composite action steps too, and an inline
/// ignore on the step silences it.
#[test]
fn every_uses_site() {
    let workflow = b"on: push\npermissions: {}\njobs:\n  call:\n    uses: tj-actions/changed-files/.github/workflows/x.yml@v45\n  steps:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: tj-actions/changed-files@v45.0.7\n      - uses: tj-actions/changed-files@v46.0.1\n      - uses: tj-actions/changed-files@v44 # chainward: ignore[known-compromised-action]\n";
    let input = load("w.yml", Path::new(".github/workflows/w.yml"), workflow, &Default::default()).unwrap();
    let report = audit(&[input], &Config::default(), &Filter::default());
    let lines: Vec<usize> =
        report.findings.iter().filter(|f| f.id == "known-compromised-action").map(|f| f.primary.line).collect();
    assert_eq!(lines, [5, 9]);
    assert!(report.ignored >= 1, "the ignored step's finding is counted as ignored");

    let action = b"name: a\ndescription: d\nruns:\n  using: composite\n  steps:\n    - uses: TJ-Actions/Changed-Files@0E58ED8671D6B60D0890C21B07F8835ACE038E67\n";
    let input = load("action.yml", Path::new("action.yml"), action, &Default::default()).unwrap();
    let report = audit(&[input], &Config::default(), &Filter::default());
    let found: Vec<&Finding> = report.findings.iter().filter(|f| f.id == "known-compromised-action").collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].primary.line, 6);
    assert!(found[0].primary.annotation.starts_with("pinned to the malicious commit"));
}
