//! The real-world sets of the corpus (`../shared/corpus/workflows/real-world`: libssh2 and
//! pypi/warehouse at pinned commits): every file a repository search finds, audited at the
//! persona of the rows (pedantic), gives exactly the findings of zizmor's crater snapshots for
//! every implemented audit — the listed count and lines, and nothing where no row is listed.
//!
//! The snapshots were taken online; the offline audits do not depend on that. Rows of the
//! online audits (ref-version-mismatch here) need GitHub's answers for every action these
//! repositories use, which this machine cannot fetch and the loopback fixtures do not hold:
//! they are counted and printed as not checked, never passed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chainward_pipeline::{Config, Filter, ONLINE_AUDITS, Persona, audit, discover, load_path, registry};

#[test]
fn real_world_sets_match_the_crater_snapshots() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let root = shared.join("corpus/workflows/real-world");
    let rows = chainward_testkit::read_tsv(&root.join("cases.tsv"));
    let audits = registry(&Config::default());
    let implemented: BTreeSet<&str> = audits.iter().map(|a| a.info().id).collect();
    let online: BTreeSet<&str> = ONLINE_AUDITS.iter().map(|a| a.id).collect();

    // (case, input, audit) → expected lines.
    let mut expected: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    let mut not_implemented = Vec::new();
    for row in &rows {
        assert_eq!(row["persona"], "pedantic", "every crater row is a pedantic run");
        let id = row["audit"].clone();
        if !implemented.contains(id.as_str()) {
            let why =
                if online.contains(id.as_str()) { "online audit, not checked offline" } else { "not implemented" };
            not_implemented.push(format!("{} {} {id}: {why}", row["case"], row["input"]));
            continue;
        }
        let mut lines: Vec<usize> = row["lines"].split(',').map(|l| l.trim().parse().unwrap()).collect();
        lines.sort_unstable();
        assert_eq!(lines.len(), row["count"].parse::<usize>().unwrap(), "{row:?}");
        expected.insert((row["case"].clone(), row["input"].clone(), id), lines);
    }

    let mut failures = Vec::new();
    let mut checked = 0;
    let cases: BTreeSet<&str> = rows.iter().map(|r| r["case"].as_str()).collect();
    assert_eq!(cases.len(), 2, "libssh2 and warehouse");
    for case in cases {
        let tree = root.join(case);
        let paths = discover(&tree).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(paths.len() > 3, "{case}: the search finds the workflows and Dependabot config: {paths:?}");
        let inputs: Vec<_> = paths.iter().map(|p| load_path(p, &Default::default()).unwrap()).collect();
        let report = audit(&inputs, &Config::default(), &Filter { persona: Persona::Pedantic, ..Filter::default() });
        for path in &paths {
            let input = path.strip_prefix(&tree).unwrap().to_string_lossy().into_owned();
            let file = inputs.iter().find(|i| Path::new(&i.file) == path.as_path()).map(|i| i.file.clone()).unwrap();
            for id in &implemented {
                checked += 1;
                let mut got: Vec<usize> = report
                    .findings
                    .iter()
                    .filter(|f| f.id == *id && f.primary.file == file)
                    .map(|f| f.primary.line)
                    .collect();
                got.sort_unstable();
                let want = expected.remove(&(case.to_owned(), input.clone(), (*id).to_owned())).unwrap_or_default();
                if got != want {
                    failures.push(format!("{case} {input} {id}: want lines {want:?}, got {got:?}"));
                }
            }
        }
    }
    assert!(expected.is_empty(), "rows whose input the search did not find: {expected:?}");
    println!("(input, implemented audit) pairs checked: {checked}");
    println!("rows not checked: {}", not_implemented.len());
    for row in &not_implemented {
        println!("  {row}");
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
