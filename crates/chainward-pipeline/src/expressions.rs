//! Every `${{ … }}` in a document's values, parsed, with where it is: for audits that look at
//! expressions wherever they appear (zizmor's "raw" audits).

use chainward_gha::{Expr, find_expressions, parse_expression};
use chainward_yaml::{Document, Route};

use crate::finding::Focus;

/// Every maximal context in an expression (`secrets.X` once, not also `secrets`), with the
/// contexts inside computed indices.
pub fn contexts(expr: &Expr) -> Vec<&Expr> {
    use chainward_gha::ExprKind;
    let mut out = Vec::new();
    let mut todo = vec![expr];
    while let Some(e) = todo.pop() {
        if e.context_path().is_some() {
            out.push(e);
            // Look inside computed indices: `secrets[inputs.name]` also reads `inputs.name`.
            let mut base = e;
            loop {
                match &base.kind {
                    ExprKind::Index { base: b, index } => {
                        if !matches!(index.kind, ExprKind::String(_) | ExprKind::Star) {
                            todo.push(index);
                        }
                        base = b;
                    }
                    ExprKind::Property { base: b, .. } => base = b,
                    _ => break,
                }
            }
            continue;
        }
        match &e.kind {
            ExprKind::Call { args, .. } => todo.extend(args.iter().rev()),
            ExprKind::Not(inner) => todo.push(inner),
            ExprKind::Binary { left, right, .. } => {
                todo.push(right);
                todo.push(left);
            }
            ExprKind::Index { base, index } => {
                todo.push(index);
                todo.push(base);
            }
            ExprKind::Property { base, .. } => todo.push(base),
            _ => {}
        }
    }
    out
}

/// One expression found in a scalar value.
#[derive(Debug, Clone)]
pub struct ExpressionSite {
    /// The route of the scalar holding it.
    pub route: Route,
    /// Where it is inside that scalar (the `${{ … }}` text, and which occurrence).
    pub focus: Focus,
    /// The parsed expression.
    pub expr: Expr,
    /// The scalar's text.
    pub value: String,
    /// Byte offset of the expression's inner text (after `${{`) in `value`.
    pub inner_offset: usize,
}

impl ExpressionSite {
    /// A focus on part of the expression (a byte range of its inner text, such as a
    /// sub-expression's span): the same text, counted among its occurrences in the value.
    pub fn sub_focus(&self, range: std::ops::Range<usize>) -> Focus {
        let start = self.inner_offset + range.start;
        let end = self.inner_offset + range.end;
        match self.value.get(start..end) {
            Some(text) if !text.is_empty() => {
                let nth = self.value.match_indices(text).take_while(|(i, _)| *i < start).count();
                Focus::TextAt(text.to_owned(), nth)
            }
            _ => self.focus.clone(),
        }
    }
}

/// All expressions in the document's values; ones that do not parse are skipped (GitHub
/// rejects the workflow anyway, and another expression may still be worth reporting).
pub fn expression_sites(doc: &Document) -> Vec<ExpressionSite> {
    expression_sites_under(doc, &Route::root())
}

/// The expressions in the values under `under` (e.g. one job).
pub fn expression_sites_under(doc: &Document, under: &Route) -> Vec<ExpressionSite> {
    let mut out = Vec::new();
    for (route, node) in doc.scalars_under(under) {
        let Some(text) = node.as_str() else { continue };
        if !text.contains("${{") {
            continue;
        }
        let mut seen: Vec<&str> = Vec::new();
        for found in find_expressions(text) {
            let outer = text.get(found.outer.clone()).unwrap_or_default();
            let nth = seen.iter().filter(|s| **s == outer).count();
            seen.push(outer);
            let Ok(expr) = parse_expression(found.inner) else { continue };
            out.push(ExpressionSite {
                route: route.clone(),
                focus: Focus::TextAt(outer.to_owned(), nth),
                expr,
                value: text.to_owned(),
                inner_offset: found.outer.start + 3,
            });
        }
    }
    out
}
