//! Applying the fixes findings offer (`chainward pipeline audit --fix`).
//!
//! The fixes of one file are applied together as byte-range edits of its source, so its
//! formatting and comments stay as they were. Several findings may offer the same fix (one
//! checkout, two uploads): it is applied once. A fix whose edits overlap another's is left
//! for the next run. The result must parse, and must change nothing outside the routes the
//! fixes name; otherwise the file is left untouched and the reason reported.

use chainward_yaml::patch::{self, Edit, PatchError};
use chainward_yaml::{Limits, Route};

use crate::finding::{Finding, Fix};
use crate::input::Input;

/// The outcome of fixing one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFile {
    /// The file, as findings name it.
    pub file: String,
    /// The new source.
    pub source: String,
    /// Titles of the fixes applied.
    pub applied: Vec<String>,
    /// Fixes left out because their edits overlap an applied one.
    pub deferred: usize,
}

/// Why a file's fixes were not applied.
#[derive(Debug, thiserror::Error)]
#[error("{file}: fixes not applied: {source}")]
pub struct FixError {
    /// The file.
    pub file: String,
    /// What went wrong.
    pub source: PatchError,
}

/// Applies every fix the findings offer for `input`'s file. `Ok(None)` when there is none.
pub fn fix_file(input: &Input, findings: &[&Finding], limits: &Limits) -> Result<Option<FixedFile>, FixError> {
    let mut chosen: Vec<&Fix> = Vec::new();
    let mut deferred = 0;
    for fix in findings.iter().filter(|f| f.primary.file == input.file).flat_map(|f| &f.fixes) {
        if chosen.iter().any(|c| c.edits == fix.edits) {
            continue;
        }
        if chosen.iter().flat_map(|c| &c.edits).any(|e| fix.edits.iter().any(|n| overlaps(e, n))) {
            deferred += 1;
            continue;
        }
        chosen.push(fix);
    }
    if chosen.is_empty() {
        return Ok(None);
    }
    let err = |source| FixError { file: input.file.clone(), source };
    let before = input.doc();
    let edits: Vec<Edit> = chosen.iter().flat_map(|f| f.edits.iter().cloned()).collect();
    let source = patch::apply(before.source(), &edits, limits).map_err(err)?;
    let after = chainward_yaml::parse(source.as_bytes(), limits).map_err(|e| err(PatchError::Reparse(e)))?;
    let changes: Vec<Route> = chosen.iter().flat_map(|f| f.changes.iter().cloned()).collect();
    patch::unchanged_except(before, &after, &changes).map_err(err)?;
    Ok(Some(FixedFile {
        file: input.file.clone(),
        source,
        applied: chosen.iter().map(|f| f.title.clone()).collect(),
        deferred,
    }))
}

/// Two edits touch the same bytes, or insert at the same place (their order would matter).
fn overlaps(a: &Edit, b: &Edit) -> bool {
    a.range.start < b.range.end && b.range.start < a.range.end || a.range.start == b.range.start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Filter, Persona, audit, load};
    use std::path::Path;

    /// Fixes what the auditor persona shows (an explicit `persist-credentials: true` is an
    /// auditor-level artipacked finding).
    fn fixed(src: &str) -> Option<FixedFile> {
        let input = load("ci.yml", Path::new(".github/workflows/ci.yml"), src.as_bytes(), &Default::default()).unwrap();
        let filter = Filter { persona: Persona::Auditor, ..Filter::default() };
        let report = audit(std::slice::from_ref(&input), &Config::default(), &filter);
        let findings: Vec<&Finding> = report.findings.iter().collect();
        fix_file(&input, &findings, &Default::default()).unwrap()
    }

    #[test]
    fn artipacked_fixes_keep_comments_and_clear_the_finding() {
        let src = "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      # check out\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n        with: {fetch-depth: 0}\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n        with:\n          persist-credentials: true # why not\n      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2\n        with:\n          path: .\n";
        let first = fixed(src).expect("fixes offered");
        assert_eq!(first.applied.len(), 3, "{first:?}");
        assert_eq!(first.deferred, 0);
        assert!(first.source.contains("      # check out\n"));
        assert!(first.source.contains("with: {fetch-depth: 0, persist-credentials: false}"), "{}", first.source);
        assert!(first.source.contains("persist-credentials: false # why not"), "{}", first.source);
        assert!(
            first.source.contains("# v4.2.2\n        with:\n          persist-credentials: false\n      - uses"),
            "{}",
            first.source
        );
        // Audited again, the file has no artipacked finding left and nothing more to fix.
        let input = load("ci.yml", Path::new(".github/workflows/ci.yml"), first.source.as_bytes(), &Default::default())
            .unwrap();
        let filter = Filter { persona: Persona::Auditor, ..Filter::default() };
        let report = audit(std::slice::from_ref(&input), &Config::default(), &filter);
        assert!(report.findings.iter().all(|f| f.id != "artipacked"), "{:?}", report.findings);
        assert_eq!(fixed(&first.source), None);
    }

    #[test]
    fn nothing_to_fix_is_none() {
        let src = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
        assert_eq!(fixed(src), None);
    }
}
