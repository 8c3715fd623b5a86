//! `bot-conditions`: `if:` conditions that trust `github.actor == 'dependabot[bot]'` (or a
//! bot's actor id). `github.actor` is whoever caused the latest event, not who wrote the
//! code: an attacker can make a bot the actor of a run over their own branch (e.g. by having
//! Dependabot rebase it), so the check grants the bot's trust to attacker code. Follows
//! zizmor's `bot-conditions`: high confidence when the check decides the whole condition
//! (alone, or as a `||` operand), medium when it is only part of it.

use chainward_gha::{BinOp, Expr, ExprKind, Job, Workflow, find_expressions, parse_expression};
use chainward_yaml::{Node, Route};

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "bot-conditions",
    description: "spoofable bot actor check",
    doc: "# bot-conditions\n\nFlags `if:` conditions such as `github.actor == 'dependabot[bot]'` or \
          `github.actor_id == 49699333`. `github.actor` is the account that caused the latest event, which \
          need not be the author of the code the run checks out: a bot can become the actor of a run over an \
          attacker's changes. Check the author of the event instead (e.g. \
          `github.event.pull_request.user.login` for pull requests).\n",
};

pub(super) struct BotConditions;

/// Contexts naming the actor, which the event's sender controls.
const ACTOR_NAMES: &[&str] = &["github.actor", "github.triggering_actor", "github.event.pull_request.sender.login"];
/// Contexts holding the actor's numeric id.
const ACTOR_IDS: &[&str] = &["github.actor_id", "github.event.pull_request.sender.id"];
/// Account and integration ids of well-known bots (Dependabot's app 29110 and account
/// 49699333, Dependabot Preview 27856297, Renovate 29139614), from their public GitHub
/// user records: ids have no `[bot]` suffix to recognise them by.
const BOT_IDS: &[&str] = &["29110", "49699333", "27856297", "29139614"];

/// A literal as text, as a comparison sees it.
fn literal_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::String(s) => Some(s.clone()),
        ExprKind::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        ExprKind::Number(n) => Some(n.to_string()),
        ExprKind::Bool(b) => Some(b.to_string()),
        ExprKind::Null => Some("null".to_owned()),
        _ => None,
    }
}

fn is_literal(e: &Expr) -> bool {
    literal_text(e).is_some()
}

/// Whether `e` is a context (a name with property or index accesses).
fn is_context(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Ident(_) | ExprKind::Property { .. } | ExprKind::Index { .. })
}

fn is_bot_check(ctx: &Expr, lit: &Expr) -> bool {
    let (Some(pattern), Some(text)) = (ctx.context_pattern(), literal_text(lit)) else { return false };
    (ACTOR_NAMES.contains(&pattern.as_str()) && text.ends_with("[bot]"))
        || (ACTOR_IDS.contains(&pattern.as_str()) && BOT_IDS.contains(&text.as_str()))
}

type Found<'e> = Option<(&'e Expr, &'e Expr)>;

/// The first bot check in `e` (the comparison and its context), and whether it decides
/// the whole expression: `==` and `||` pass domination down, other operators, `!` and
/// function calls do not.
fn walk(e: &Expr, dominating: bool) -> (Found<'_>, bool) {
    match &e.kind {
        ExprKind::Call { args, .. } => {
            let mut results = args.iter().map(|a| walk(a, false));
            match results.next() {
                None => (None, dominating),
                Some(first) => results.fold(first, |(found, _), (next, _)| (found.or(next), false)),
            }
        }
        ExprKind::Property { .. } | ExprKind::Index { .. } => {
            // The parts of a context: computed indices (and a call it starts from) may
            // hold comparisons of their own.
            let mut found = None;
            let mut base = e;
            loop {
                match &base.kind {
                    ExprKind::Property { base: b, .. } => base = b,
                    ExprKind::Index { base: b, index } => {
                        found = found.or(walk(index, false).0);
                        base = b;
                    }
                    ExprKind::Ident(_) => break,
                    _ => {
                        found = found.or(walk(base, false).0);
                        break;
                    }
                }
            }
            (found, false)
        }
        ExprKind::Binary { op: BinOp::Or, left, right } => (walk(left, true).0.or(walk(right, true).0), true),
        ExprKind::Binary { op: BinOp::Eq, left, right } => {
            let ctx = if is_context(left) {
                left
            } else if is_context(right) {
                right
            } else {
                return (None, true);
            };
            if (is_context(left) && is_literal(right)) || (is_literal(left) && is_context(right)) {
                let lit = if std::ptr::eq(ctx.as_ref(), left.as_ref()) { right } else { left };
                if is_bot_check(ctx, lit) { (Some((e, ctx.as_ref())), true) } else { (None, true) }
            } else {
                (walk(left, true).0.or(walk(right, true).0), true)
            }
        }
        ExprKind::Binary { left, right, .. } => (walk(left, false).0.or(walk(right, false).0), false),
        ExprKind::Not(inner) => walk(inner, false),
        _ => (None, dominating),
    }
}

fn check(owner: &Node, route: &Route, out: &mut Sink<'_>) {
    let Some(cond_node) = owner.get("if") else { return };
    // `if: true` / `if: false` are booleans, not expressions.
    if cond_node.as_bool().is_some() {
        return;
    }
    let Some(cond) = cond_node.as_str() else { return };
    let bare = find_expressions(cond).first().map_or(cond, |f| f.inner);
    let Ok(expr) = parse_expression(bare) else { return };
    let (Some((comparison, _context)), dominating) = walk(&expr, true) else { return };
    let confidence = if dominating { Confidence::High } else { Confidence::Medium };
    let text = bare.get(comparison.span.clone()).unwrap_or_default().to_owned();
    let primary = Spot::new(route.key("if"), Focus::Text(text), "actor context may be spoofable");
    out.report(Draft::new(Severity::High, confidence, primary).related(Spot::new(route.clone(), Focus::Key, "")));
}

impl Audit for BotConditions {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn job(&self, _workflow: &Workflow, job: &Job<'_>, out: &mut Sink<'_>) {
        if job.is_reusable_call() {
            return;
        }
        check(job.node, &job.route, out);
        // (zizmor skips steps whose `if:` is statically false; such a condition reads no
        // context, so it can hold no bot check either.)
        for step in job.steps() {
            check(step.node, &step.route, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(cond: &str) -> Option<(String, Confidence)> {
        let e = parse_expression(cond).unwrap();
        let (Some((_, ctx)), dominating) = walk(&e, true) else { return None };
        let text = cond[ctx.span.clone()].to_owned();
        Some((text, if dominating { Confidence::High } else { Confidence::Medium }))
    }

    #[test]
    fn domination() {
        let high = |c: &str, ctx: &str| assert_eq!(found(c), Some((ctx.to_owned(), Confidence::High)), "{c}");
        let medium = |c: &str, ctx: &str| assert_eq!(found(c), Some((ctx.to_owned(), Confidence::Medium)), "{c}");
        high("github.actor == 'dependabot[bot]'", "github.actor");
        high("'dependabot[bot]' == GitHub.ACTOR", "GitHub.ACTOR");
        high("github.triggering_actor == 'x[bot]' || github.actor == 'me'", "github.triggering_actor");
        high("github.actor == 'me' || 'renovate[bot]' == github.actor", "github.actor");
        medium("'dependabot[bot]' == github.actor && something.else", "github.actor");
        // As in zizmor, a negated check still counts (it cannot tell which way `!` turns it).
        high("!(github.actor == 'dependabot[bot]')", "github.actor");
        medium("contains(github.actor == 'a[bot]', 'x') && true", "github.actor");
        high("github['actor_id'] == 27856297", "github['actor_id']");
    }

    #[test]
    fn negatives() {
        assert_eq!(found("github.actor == 'notabot'"), None);
        assert_eq!(found("github.actor != 'dependabot[bot]'"), None);
        assert_eq!(found("github.event.pull_request.user.login == 'dependabot[bot]'"), None);
        assert_eq!(found("github.actor_id == 12345"), None);
        assert_eq!(found("github.actor.name == 'a[bot]'"), None);
    }

    #[test]
    fn skips_booleans_reads_block_scalars() {
        use crate::{Config, Filter, audit, load};
        let y = "on: push\njobs:\n  a:\n    runs-on: x\n    if: true\n    steps:\n      - run: echo\n        if: |\n          ${{ github.actor == 'dependabot[bot]' }}\n";
        let input = load("w.yml", std::path::Path::new("w.yml"), y.as_bytes(), &Default::default()).unwrap();
        let r = audit(&[input], &Config::default(), &Filter::default());
        let got: Vec<_> = r.findings.iter().filter(|f| f.id == "bot-conditions").map(|f| f.primary.line).collect();
        assert_eq!(got, [9]);
    }
}
