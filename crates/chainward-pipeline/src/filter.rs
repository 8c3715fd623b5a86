//! The one place findings are filtered: persona, minimum severity and confidence, disabled
//! audits and inline ignores. Audits never filter.

use chainward_yaml::Document;

use crate::finding::{Confidence, Finding, Persona, Severity};

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Filter {
    /// Show findings for this persona and below.
    pub persona: Persona,
    /// Hide findings below this severity.
    pub min_severity: Option<Severity>,
    /// Hide findings below this confidence.
    pub min_confidence: Option<Confidence>,
}

/// Why a finding was not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// Meant for a higher persona, or below a minimum.
    Suppressed,
    /// Silenced by an inline comment.
    Ignored,
}

impl Filter {
    /// Decides one finding; `doc` is the document it points into (for inline comments).
    /// Persona and minimums come first: a finding the run would not show anyway counts as
    /// suppressed, and `ignored` counts only the comments that silenced something (as zizmor
    /// counts them, so the corpus's totals compare).
    pub fn decide(&self, finding: &Finding, doc: &Document) -> Option<Hidden> {
        if finding.persona > self.persona
            || self.min_severity.is_some_and(|m| finding.severity < m)
            || self.min_confidence.is_some_and(|m| finding.confidence < m)
        {
            return Some(Hidden::Suppressed);
        }
        if ignored_inline(finding, doc) {
            return Some(Hidden::Ignored);
        }
        None
    }
}

/// `# chainward: ignore[id, …]` on any line of the primary location. `# zizmor: ignore[…]` is
/// honoured too, so repositories that already silence zizmor need no second comment.
fn ignored_inline(finding: &Finding, doc: &Document) -> bool {
    let p = &finding.primary;
    std::iter::once((p.line, p.end_line)).chain(finding.ignore_lines.iter().copied()).any(|(start, end)| {
        (start..=end.max(start))
            .any(|line| doc.line_text(line).is_some_and(|text| line_ignores(text).any(|id| id == finding.id)))
    })
}

fn line_ignores(text: &str) -> impl Iterator<Item = &str> {
    let mut ids = Vec::new();
    if let Some(hash) = text.find('#') {
        let comment = &text[hash..];
        for tool in ["chainward:", "zizmor:"] {
            let mut rest = comment;
            while let Some(i) = rest.find(tool) {
                let after = rest[i + tool.len()..].trim_start();
                if let Some(list) = after.strip_prefix("ignore[")
                    && let Some(end) = list.find(']')
                {
                    ids.extend(list[..end].split(',').map(str::trim));
                }
                rest = &rest[i + tool.len()..];
            }
        }
    }
    ids.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments() {
        let ids: Vec<_> = line_ignores("  - uses: a/b@v1 # chainward: ignore[unpinned-uses, artipacked]").collect();
        assert_eq!(ids, ["unpinned-uses", "artipacked"]);
        assert_eq!(line_ignores("run: echo '# zizmor: ignore[x]'").count(), 1);
        assert_eq!(line_ignores("run: echo hi").count(), 0);
    }
}
