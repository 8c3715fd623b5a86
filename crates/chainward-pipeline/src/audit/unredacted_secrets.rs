//! `unredacted-secrets`: `fromJSON(secrets.X)`. The runner masks a secret's exact value in
//! logs; fields picked out of a JSON secret are new strings it does not know to mask (GitHub
//! docs, "Using secrets in GitHub Actions": avoid structured data as secrets). Follows zizmor.

use chainward_gha::{Expr, ExprKind};

use super::{Audit, AuditInfo};
use crate::expressions::expression_sites;
use crate::finding::{Confidence, Draft, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "unredacted-secrets",
    description: "leaked secret values",
    doc: "# unredacted-secrets\n\nFlags `fromJSON(secrets.X)`: values taken out of a JSON-structured secret are \
          not masked in logs, because the runner only knows the secret's whole value. Store each value as \
          its own secret.\n",
};

pub(super) struct UnredactedSecrets;

fn count(e: &Expr) -> usize {
    e.count_outermost(|x| {
        matches!(&x.kind, ExprKind::Call { name, args }
            if name.eq_ignore_ascii_case("fromjson") && args.iter().any(|a| a.context_child_of("secrets")))
    })
}

impl Audit for UnredactedSecrets {
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
            let spot = Spot::new(site.route.clone(), site.focus.clone(), "bypasses secret redaction");
            out.report(Draft::new(Severity::Medium, Confidence::High, spot));
        }
    }
}
