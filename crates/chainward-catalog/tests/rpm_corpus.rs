//! rpm databases from the shared pkgdb corpus (BerkeleyDB, NDB and SQLite), compared with
//! the package lists their peers' tests assert (go-rpmdb's `TestPackageList` /
//! `TestRpmDB_Package`, Syft's `TestParseRpmDB`).
//!
//! Lists are compared sorted: the peers return database order, which carries no meaning
//! for a package list. No deviations from the peers are accepted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs,
    reason = "a test: it fails loudly and tells why it skips"
)]

use std::path::{Path, PathBuf};

use chainward_catalog::os::rpm::{RpmDbFormat, RpmHeader, read_rpmdb, to_package};
use chainward_model::PurlContext;
use serde_json::Value;

/// `../shared` beside the workspace (see `chainward_testkit::shared_dir`: fails under CI).
fn shared() -> Option<PathBuf> {
    chainward_testkit::shared_dir()
}

/// The rpm rows of `cases.tsv` as (case, input, expected), paths relative to the folder.
fn rpm_cases(pkgdb: &Path) -> Vec<(String, String, String)> {
    let tsv = std::fs::read_to_string(pkgdb.join("cases.tsv")).unwrap();
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (case, kind, input, expected) = (col("case"), col("type"), col("input"), col("expected"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[kind] == "rpm")
        .map(|f| (f[case].to_owned(), f[input].to_owned(), f[expected].to_owned()))
        .collect()
}

/// The fields a case states, as (key, value) pairs in a fixed order; keys the peer's
/// test does not state are left out of both sides.
type Row = Vec<(&'static str, String)>;

const KEYS: [&str; 9] = ["name", "version", "release", "epoch", "arch", "source_rpm", "license", "vendor", "purl"];

fn expected_row(e: &Value) -> Row {
    KEYS.iter()
        .filter_map(|k| {
            let v = e.get(*k)?;
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                other => panic!("unexpected {k} value {other}"),
            };
            Some((*k, s))
        })
        .collect()
}

fn actual_row(h: &RpmHeader, stated: &Row) -> Row {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    stated
        .iter()
        .map(|(k, _)| {
            let v = match *k {
                "name" => h.name.clone(),
                "version" => h.version.clone(),
                "release" => h.release.clone(),
                "epoch" => h.epoch.map(|e| e.to_string()).unwrap_or_default(),
                "arch" => text(&h.arch),
                "source_rpm" => text(&h.source_rpm),
                "license" => text(&h.license),
                // The peers print an absent vendor as "".
                "vendor" => text(&h.vendor),
                "purl" => to_package(h).purl(&PurlContext::default()),
                other => unreachable!("{other}"),
            };
            (*k, v)
        })
        .collect()
}

#[test]
fn rpm_databases_match_the_peers() {
    let Some(shared) = shared() else { return };
    let pkgdb = shared.join("corpus/pkgdb");
    let cases = rpm_cases(&pkgdb);
    assert_eq!(cases.len(), 4, "the corpus README lists 4 rpm cases");
    let mut formats = Vec::new();
    for (case, input, expected) in cases {
        let file_name = Path::new(&input).file_name().unwrap().to_str().unwrap();
        let format = RpmDbFormat::from_file_name(file_name)
            .unwrap_or_else(|| panic!("{case}: {file_name} is not an rpmdb file name"));
        formats.push(format);
        let bytes = std::fs::read(pkgdb.join(&input)).unwrap();
        let read = read_rpmdb(format, &bytes).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(read.warnings.is_empty(), "{case}: {:#?}", read.warnings);

        let expected: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(pkgdb.join(&expected)).unwrap()).unwrap();
        let mut want: Vec<Row> = expected.iter().map(expected_row).collect();
        // Every case states the same keys for every package, so the first row's keys
        // are the keys to compare.
        let stated = want.first().cloned().unwrap_or_default();
        assert!(want.iter().all(|r| r.iter().map(|(k, _)| k).eq(stated.iter().map(|(k, _)| k))));
        let mut got: Vec<Row> = read.headers.iter().map(|h| actual_row(h, &stated)).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{case}");
        eprintln!("{case}: {} packages match ({format:?})", got.len());
    }
    for format in [RpmDbFormat::BerkeleyDb, RpmDbFormat::Ndb, RpmDbFormat::Sqlite] {
        assert!(formats.contains(&format), "no corpus case for {format:?}");
    }
}
