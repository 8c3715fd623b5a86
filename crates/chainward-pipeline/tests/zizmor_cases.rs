//! Every offline row of `../shared/corpus/workflows/cases.tsv` whose audit is implemented:
//! the number of findings shown for (case, input, audit) at the row's persona and config,
//! and their lines. Rows for audits not implemented yet are listed and counted separately,
//! never as passing.

use std::collections::BTreeMap;
use std::path::Path;

use chainward_pipeline::{Config, Filter, Persona, all_audits, audit, discover, load, load_path};

/// The lowercase name serde gives a severity or confidence (as the corpus writes them).
#[allow(clippy::unwrap_used)] // a test helper outside #[test]
fn lower<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).unwrap().as_str().unwrap().to_owned()
}

fn persona(s: &str) -> Persona {
    match s {
        "pedantic" => Persona::Pedantic,
        "auditor" => Persona::Auditor,
        _ => Persona::Regular,
    }
}

#[test]
fn zizmor_cases() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let root = shared.join("corpus/workflows");
    let rows = chainward_testkit::read_tsv(&root.join("cases.tsv"));
    let implemented: Vec<&str> = all_audits().iter().map(|a| a.id).collect();
    let known: Vec<&str> = implemented.clone();

    let mut passed = 0;
    let mut failures = Vec::new();
    let mut not_implemented: BTreeMap<String, usize> = BTreeMap::new();
    let mut offline = 0;
    for row in &rows {
        if row["needs_network"] != "no" {
            continue;
        }
        offline += 1;
        let id = row["audit"].as_str();
        if !implemented.contains(&id) {
            *not_implemented.entry(id.to_owned()).or_default() += 1;
            continue;
        }
        let case_dir = root.join("cases").join(&row["case"]);
        let input = row["input"].trim_end_matches('/');
        let path = case_dir.join(input);
        let config = match row["config"].as_str() {
            "-" => Config::default(),
            c => Config::parse(&std::fs::read(case_dir.join(c)).unwrap(), &known)
                .unwrap_or_else(|e| panic!("{}: config {c}: {e}", row["case"])),
        };
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let loaded = load(input, Path::new(&path), &bytes, &Default::default())
            .unwrap_or_else(|e| panic!("{}: {e}", row["case"]));
        let filter = Filter { persona: persona(&row["persona"]), ..Filter::default() };
        let report = audit(&[loaded], &config, &filter);
        // (line, severity, confidence) of each finding shown.
        let mut got: Vec<(usize, String, String)> = report
            .findings
            .iter()
            .filter(|f| f.id == id)
            .map(|f| (f.primary.line, lower(&f.severity), lower(&f.confidence)))
            .collect();
        got.sort();
        let want_count: usize = row["count"].parse().unwrap();
        let lines: Vec<usize> = match row["lines"].as_str() {
            "-" | "" => Vec::new(),
            l => l.split(',').map(|n| n.trim().parse().unwrap()).collect(),
        };
        // Severity and confidence: one value for all findings, or a list aligned with lines.
        let column = |name: &str, i: usize| -> String {
            let values: Vec<&str> = row[name].split(',').map(str::trim).collect();
            if values.len() == 1 { values[0].to_owned() } else { values[i].to_owned() }
        };
        let mut want: Vec<(usize, String, String)> =
            lines.iter().enumerate().map(|(i, &l)| (l, column("severity", i), column("confidence", i))).collect();
        want.sort();
        if got.len() == want_count && want == got {
            passed += 1;
        } else {
            failures.push(format!(
                "{} {} {} [{}]: want {want_count} at {want:?}, got {} at {got:?}",
                row["case"],
                input,
                id,
                row["persona"],
                got.len()
            ));
        }
    }
    // An implemented audit with no row for an input showed nothing there (every audit that
    // appears in a snapshot has a row): it must stay silent too.
    let mut silent_checked = 0;
    let mut groups: BTreeMap<(String, String, String, String), Vec<&str>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r["needs_network"] == "no") {
        let key = (row["case"].clone(), row["input"].clone(), row["persona"].clone(), row["config"].clone());
        groups.entry(key).or_default().push(row["audit"].as_str());
    }
    for ((case, input, persona_name, config), listed) in &groups {
        let case_dir = root.join("cases").join(case);
        let input = input.trim_end_matches('/');
        let path = case_dir.join(input);
        let config = match config.as_str() {
            "-" => Config::default(),
            c => Config::parse(&std::fs::read(case_dir.join(c)).unwrap(), &known).unwrap(),
        };
        // Every input kind in the corpus loads (pre-commit configs included); an input that
        // does not is reported here rather than failing the run.
        let Ok(loaded) = load(input, Path::new(&path), &std::fs::read(&path).unwrap(), &Default::default()) else {
            println!("input kind not supported yet: {case}/{input}");
            continue;
        };
        let report = audit(&[loaded], &config, &Filter { persona: persona(persona_name), ..Filter::default() });
        for id in implemented.iter().filter(|id| !listed.contains(id)) {
            silent_checked += 1;
            let lines: Vec<usize> = report.findings.iter().filter(|f| f.id == *id).map(|f| f.primary.line).collect();
            if !lines.is_empty() {
                failures.push(format!("{case} {input} {id} [{persona_name}]: no row, so none expected; got {lines:?}"));
            }
        }
    }
    println!("(case, input, implemented audit) pairs without a row checked silent: {silent_checked}");
    let missing: usize = not_implemented.values().sum();
    println!("offline rows: {offline}; implemented-audit rows passing: {passed}; failing: {}", failures.len());
    println!("rows for audits not yet implemented: {missing}");
    for (id, n) in &not_implemented {
        println!("  not yet implemented: {id} ({n} rows)");
    }
    assert!(failures.is_empty(), "{} corpus rows fail:\n{}", failures.len(), failures.join("\n"));
}

/// The findings a run produced but did not show: `suppressed` (below the persona or a
/// minimum) and `ignored` (silenced by an inline comment) are the same totals as in zizmor's
/// snapshot for every offline run of the corpus. A run is one case input at one persona and
/// config; the gha-hazmat case is one run over its whole repository.
#[test]
fn hidden_findings_match_the_snapshots() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let root = shared.join("corpus/workflows");
    let rows = chainward_testkit::read_tsv(&root.join("cases.tsv"));
    let known: Vec<&str> = all_audits().iter().map(|a| a.id).collect();
    // (case, input or "." for a repository run, persona, config) → (suppressed, ignored)
    let mut runs: BTreeMap<(String, String, String, String), (usize, usize)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r["needs_network"] == "no") {
        let input = if r["input"].starts_with(".github/") { ".".to_owned() } else { r["input"].clone() };
        let hidden = (r["suppressed"].parse().unwrap(), r["ignored"].parse().unwrap());
        let previous = runs.insert((r["case"].clone(), input, r["persona"].clone(), r["config"].clone()), hidden);
        assert!(previous.is_none_or(|p| p == hidden), "one run, one pair of totals: {r:?}");
    }
    let mut failures = Vec::new();
    for ((case, input, persona_name, config), want) in &runs {
        let dir = root.join("cases").join(case);
        let config = match config.as_str() {
            "-" => Config::default(),
            c => Config::parse(&std::fs::read(dir.join(c)).unwrap(), &known).unwrap(),
        };
        let inputs: Vec<_> = if input == "." {
            discover(&dir).unwrap().iter().map(|p| load_path(p, &Default::default()).unwrap()).collect()
        } else {
            let path = dir.join(input.trim_end_matches('/'));
            vec![load(input, Path::new(&path), &std::fs::read(&path).unwrap(), &Default::default()).unwrap()]
        };
        let report = audit(&inputs, &config, &Filter { persona: persona(persona_name), ..Filter::default() });
        if (report.suppressed, report.ignored) != *want {
            failures.push(format!(
                "{case} {input} [{persona_name}]: want suppressed/ignored {want:?}, got {:?}",
                (report.suppressed, report.ignored)
            ));
        }
    }
    println!("runs checked: {}", runs.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
