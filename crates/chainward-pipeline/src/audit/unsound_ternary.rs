//! `unsound-ternary`: `cond && a || b` used as a ternary where `a` is falsy (`''`, `0`,
//! `false`, `null`). GitHub expressions have no ternary; `&&`/`||` yield an operand, so
//! when `a` is falsy the expression yields `b` whatever `cond` is. Follows zizmor's
//! `unsound-ternary`: every `${{ }}` of a workflow or action, each `||` chain's operands but
//! the last, flagged when one is `x && y` with `y` a falsy constant; fully constant
//! expressions are left alone.

use chainward_gha::{Action, BinOp, Expr, ExprKind, Workflow};
use chainward_yaml::Document;

use super::{Audit, AuditInfo};
use crate::expressions::expression_sites;
use crate::finding::{Confidence, Draft, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "unsound-ternary",
    description: "unsound pseudo-ternary expression",
    doc: "# unsound-ternary\n\nFlags expressions like `${{ cond && '' || 'fallback' }}`. GitHub Actions has no \
          ternary operator: `a && b || c` yields `b` only when `b` is truthy, so with a falsy `b` (`''`, `0`, \
          `false`, `null`) it always yields `c`. Rewrite the condition (`!cond && 'fallback' || ''`) or use \
          `case()`.\n",
};

pub(super) struct UnsoundTernary;

/// The operands of a `||` chain, not looking inside constant sub-chains.
fn or_operands(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Binary { op: BinOp::Or, left, right } if !e.constant_reducible() => {
            let mut out = or_operands(left);
            out.extend(or_operands(right));
            out
        }
        _ => vec![e],
    }
}

fn is_falsy(e: &Expr) -> bool {
    e.consteval().is_some_and(|v| !v.is_truthy())
}

/// The falsy "true values" of pseudo-ternaries in `e`, outermost first.
fn unsound_true_values(e: &Expr) -> Vec<&Expr> {
    if e.constant_reducible() {
        return Vec::new();
    }
    let mut out = Vec::new();
    match &e.kind {
        ExprKind::Call { args, .. } => args.iter().for_each(|a| out.extend(unsound_true_values(a))),
        ExprKind::Binary { op: BinOp::Or, .. } => {
            let operands = or_operands(e);
            for operand in operands.iter().take(operands.len().saturating_sub(1)) {
                if let ExprKind::Binary { op: BinOp::And, right, .. } = &operand.kind
                    && is_falsy(right)
                {
                    out.push(right.as_ref());
                }
            }
            for operand in operands {
                out.extend(unsound_true_values(operand));
            }
        }
        ExprKind::Binary { left, right, .. } => {
            out.extend(unsound_true_values(left));
            out.extend(unsound_true_values(right));
        }
        ExprKind::Not(inner) => out.extend(unsound_true_values(inner)),
        ExprKind::Property { base, .. } => out.extend(unsound_true_values(base)),
        ExprKind::Index { base, index } => {
            out.extend(unsound_true_values(base));
            out.extend(unsound_true_values(index));
        }
        _ => {}
    }
    out
}

fn audit_document(doc: &Document, out: &mut Sink<'_>) {
    for site in expression_sites(doc) {
        for value in unsound_true_values(&site.expr) {
            let spot = Spot::new(
                site.route.clone(),
                site.sub_focus(value.span.clone()),
                "pseudo-ternary has falsy true value",
            );
            out.report(Draft::new(Severity::Low, Confidence::High, spot));
        }
    }
}

impl Audit for UnsoundTernary {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        audit_document(&workflow.doc, out);
    }

    fn action(&self, action: &Action, out: &mut Sink<'_>) {
        audit_document(&action.doc, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_gha::parse_expression;

    fn case(src: &str, want: &[&str]) {
        let e = parse_expression(src).unwrap();
        let got: Vec<&str> = unsound_true_values(&e).iter().map(|v| &src[v.span.clone()]).collect();
        assert_eq!(got, want, "{src}");
    }

    #[test]
    fn true_values() {
        case("foo && '' || 'bar'", &["''"]);
        case("foo && ('') || 'bar'", &["('')"]);
        case("foo && 0 || 'bar'", &["0"]);
        case("foo && null || 'bar'", &["null"]);
        case("foo && fromJSON('false') || 'bar'", &["fromJSON('false')"]);
        case("foo && format('{0}', '') || 'bar'", &["format('{0}', '')"]);
        case("foo || bar && '' || 'baz'", &["''"]);
        case("(foo && '' || 'bar') || baz", &["''"]);
        case("foo && '' || bar && 0 || 'baz'", &["''", "0"]);
        case("format('{0}', foo && false || 'x')", &["false"]);
    }

    #[test]
    fn sound_forms() {
        case("foo || (true && '' || 'bar')", &[]);
        case("!foo && 'bar' || ''", &[]);
        case("foo && 'bar' || ''", &[]);
        case("foo || bar && ''", &[]);
        case("true && '' || 'bar'", &[]);
    }

    #[test]
    fn points_at_the_value() {
        use crate::{Config, Filter, audit, load};
        let y = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          echo hi\n          echo ${{ x && '' || 'y' }}\n";
        let input = load("w.yml", std::path::Path::new("w.yml"), y.as_bytes(), &Default::default()).unwrap();
        let r = audit(&[input], &Config::default(), &Filter::default());
        let f: Vec<_> = r.findings.iter().filter(|f| f.id == "unsound-ternary").collect();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].primary.line, f[0].primary.column), (8, 25));
    }
}
