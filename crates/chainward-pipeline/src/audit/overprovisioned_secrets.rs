//! `overprovisioned-secrets`: `toJSON(secrets)` or `secrets[<computed>]` hand a step the whole
//! secrets context (or an index an attacker may steer) rather than the one secret it needs.
//! Follows zizmor's audit of the same name; every expression in the file is examined.

use chainward_gha::{Expr, ExprKind};

use super::{Audit, AuditInfo};
use crate::expressions::expression_sites;
use crate::finding::{Confidence, Draft, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "overprovisioned-secrets",
    description: "excessively provisioned secrets",
    doc: "# overprovisioned-secrets\n\nFlags `${{ toJSON(secrets) }}` and `${{ secrets[expr] }}` with a computed \
          index. Both put every secret of the repository (or whichever one the index names) in reach of the \
          step. Name the secret: `${{ secrets.DEPLOY_TOKEN }}`.\n",
};

pub(super) struct OverprovisionedSecrets;

fn is_secrets(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Ident(n) if n.eq_ignore_ascii_case("secrets"))
}

/// How many over-broad uses one expression holds (zizmor's recursion: a match is not
/// searched further inside).
fn count(e: &Expr) -> usize {
    e.count_outermost(|x| match &x.kind {
        ExprKind::Call { name, args } => name.eq_ignore_ascii_case("tojson") && args.iter().any(is_secrets),
        // `secrets[expr]` with a computed index can reach any secret.
        ExprKind::Index { base, index } => {
            is_secrets(base)
                && !matches!(
                    index.kind,
                    ExprKind::String(_) | ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Null | ExprKind::Star
                )
        }
        _ => false,
    })
}

impl Audit for OverprovisionedSecrets {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, _workflow: &chainward_gha::Workflow, out: &mut Sink<'_>) {
        raw(out);
    }

    fn action(&self, _action: &chainward_gha::Action, out: &mut Sink<'_>) {
        raw(out);
    }
}

fn raw(out: &mut Sink<'_>) {
    for site in expression_sites(out.doc()) {
        for _ in 0..count(&site.expr) {
            let spot =
                Spot::new(site.route.clone(), site.focus.clone(), "injects the entire secrets context into the runner");
            out.report(Draft::new(Severity::Medium, Confidence::High, spot));
        }
    }
}
