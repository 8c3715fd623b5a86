//! `undocumented-permissions`: explicit `permissions:` grants without a comment saying why
//! (pedantic). `contents: read` is exempt, as in zizmor: it is the baseline almost every job
//! needs. A grant counts as documented when its line carries a non-empty `#` comment.

use chainward_gha::Workflow;
use chainward_yaml::{Document, Node, Route};

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "undocumented-permissions",
    description: "permissions without explanatory comments",
    doc: "# undocumented-permissions\n\nFlags permission grants (other than `contents: read`) with no comment on \
          their line (pedantic persona). A reason next to each grant makes over-broad permissions visible in \
          review:\n\n```yaml\npermissions:\n  id-token: write # trusted publishing to PyPI\n```\n",
};

pub(super) struct UndocumentedPermissions;

/// A `# comment` with text after it on the node's first line. YAML comments start with `#`
/// after whitespace; permission values are plain words, so no quoting needs handling.
fn has_comment(doc: &Document, node: &Node) -> bool {
    let Some(line) = doc.line_text(node.span.start.line) else { return false };
    let after = line.get(node.span.start.column.saturating_sub(1)..).unwrap_or(line);
    after.match_indices('#').any(|(i, _)| {
        let before_ws = i == 0 || after[..i].ends_with([' ', '\t']);
        before_ws && !after[i + 1..].trim().is_empty()
    })
}

fn check(doc: &Document, owner: &Node, route: &Route, out: &mut Sink<'_>) {
    let Some(perms) = owner.get("permissions").and_then(Node::as_mapping) else { return };
    let mut spots = perms
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str()?;
            if (name == "contents" && v.as_str() == Some("read")) || has_comment(doc, k) {
                return None;
            }
            Some(Spot::new(route.key("permissions").key(name), Focus::Key, "needs an explanatory comment"))
        })
        .collect::<Vec<_>>()
        .into_iter();
    let Some(first) = spots.next() else { return };
    let mut d = Draft::new(Severity::Low, Confidence::High, first).persona(Persona::Pedantic);
    d.related = spots.collect();
    out.report(d);
}

impl Audit for UndocumentedPermissions {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        check(&workflow.doc, &workflow.doc.root, &Route::root(), out);
        for job in workflow.jobs() {
            check(&workflow.doc, job.node, &job.route, out);
        }
    }
}
