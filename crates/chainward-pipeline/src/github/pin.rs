//! The online fix for `unpinned-uses`: pin `owner/repo@tag` to the commit the tag (or
//! branch) names now, keeping the name as a comment — `owner/repo@<sha> # v4.2.2` — so that
//! `ref-version-mismatch` and Dependabot can still read the version.
//!
//! Only plain or single-line quoted `uses:` values on a line with no comment after them are
//! rewritten; anything else is left for a human (no fix is offered).

use chainward_gha::Uses;
use chainward_yaml::patch::Edit;
use chainward_yaml::{NodeKind, Route, ScalarStyle};

use super::{GitHubClient, Slug};
use crate::Report;
use crate::finding::Fix;
use crate::input::Input;

/// Adds a pin fix to every shown `unpinned-uses` finding whose ref the API resolves. Returns
/// how many fixes were added. API failures are recorded on the client (the run reports them).
pub fn add_pin_fixes(inputs: &[Input], report: &mut Report, client: &GitHubClient) -> usize {
    let mut added = 0;
    for finding in report.findings.iter_mut().filter(|f| f.id == "unpinned-uses") {
        let Some(input) = inputs.iter().find(|i| i.file == finding.primary.file) else { continue };
        let Some(route) = Route::parse(&finding.primary.route) else { continue };
        let Some(fix) = pin_fix(input, &route, client) else { continue };
        finding.fixes.push(fix);
        added += 1;
    }
    added
}

fn pin_fix(input: &Input, route: &Route, client: &GitHubClient) -> Option<Fix> {
    let doc = input.doc();
    let node = doc.resolve(route)?;
    let NodeKind::Scalar(raw, style) = &node.kind else { return None };
    let quote = match style {
        ScalarStyle::Plain => "",
        ScalarStyle::SingleQuoted => "'",
        ScalarStyle::DoubleQuoted => "\"",
        ScalarStyle::Literal | ScalarStyle::Folded => return None,
    };
    if node.span.start.line != node.span.end.line {
        return None;
    }
    let Some(Uses::Repository(uses)) = Uses::parse(raw) else { return None };
    let git_ref = uses.git_ref.as_deref().filter(|_| !uses.is_commit_pinned())?;
    let slug = Slug::new(&uses.owner, &uses.repo)?;
    let commit = match client.commit_for_ref(&slug, git_ref) {
        Ok(Some(commit)) => commit,
        Ok(None) => return None,
        Err(e) => {
            client.record_problem(e);
            return None;
        }
    };
    // Nothing but spaces may follow the value on its line: an existing comment stays the
    // author's, and a flow collection continuing on the line is not ours to rewrite.
    let src = doc.source();
    let line_end = doc.line_start(node.span.end.line + 1);
    let rest = src.get(node.span.end.byte..line_end).unwrap_or_default();
    if !rest.trim().is_empty() {
        return None;
    }
    let path = uses.subpath.as_deref().map(|p| format!("/{p}")).unwrap_or_default();
    let pinned = format!("{quote}{}/{}{path}@{commit}{quote} # {git_ref}", uses.owner, uses.repo);
    Some(Fix {
        title: format!("pin {}/{}{path}@{git_ref} to commit {commit}", uses.owner, uses.repo),
        edits: vec![Edit { range: node.span.start.byte..node.span.end.byte, replacement: pinned }],
        changes: vec![route.clone()],
    })
}
