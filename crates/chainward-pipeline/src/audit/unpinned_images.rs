//! `unpinned-images`: container images (job `container:`, `services:`, `docker://` steps,
//! Docker actions) not pinned by digest. As in zizmor: no tag or `latest` is a regular
//! finding, any other tag a pedantic one (tags are mutable, digests are not); an image given
//! by an expression is followed through its `||`/`&&` value leaves and `matrix` expansions,
//! and anything it cannot see through is a low-confidence finding.

use chainward_gha::{
    Action, BinOp, ContextPart, DockerImage, Expansion, Expr, ExprKind, Job, Uses, Workflow, parse_expression,
    whole_expression,
};
use chainward_yaml::Route;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "unpinned-images",
    description: "unpinned image references",
    doc: "# unpinned-images\n\nFlags container images in `container:`, `services:`, `uses: docker://…` steps and \
          Docker actions that are not pinned by digest. With no tag or `latest` the image can change at any \
          push (regular persona); a fixed tag can still be re-pushed (pedantic persona). Pin with \
          `image: ghcr.io/org/app@sha256:…` (optionally `name:tag@sha256:…` for readability).\n",
};

pub(super) struct UnpinnedImages;

/// The values an expression can take, GitHub's `a && b || c` idiom included: `&&` yields
/// its right side, `||` either side; comparisons yield booleans and are leaves themselves.
fn leaves(e: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut todo = vec![e];
    while let Some(x) = todo.pop() {
        match &x.kind {
            ExprKind::Binary { op: BinOp::And, right, .. } => todo.push(right),
            ExprKind::Binary { op: BinOp::Or, left, right } => {
                todo.push(right);
                todo.push(left);
            }
            _ => out.push(x),
        }
    }
    out
}

fn concrete(image: &DockerImage) -> Option<(&'static str, Persona)> {
    if image.name.is_empty() || image.digest.is_some() {
        return None;
    }
    Some(match image.tag.as_deref() {
        Some("latest") => ("container image uses the floating 'latest' tag", Persona::Regular),
        Some(_) => ("container image is not pinned to a SHA256 hash", Persona::Pedantic),
        None => ("container image is unpinned", Persona::Regular),
    })
}

fn report_concrete(out: &mut Sink<'_>, image: &DockerImage, spot: impl Fn(&str) -> Spot, related: &[Spot]) {
    if let Some((note, persona)) = concrete(image) {
        let mut d = Draft::new(Severity::High, Confidence::High, spot(note)).persona(persona);
        d.related = related.to_vec();
        out.report(d);
    }
}

/// Classifies one image value written at `route`.
fn classify(out: &mut Sink<'_>, value: &str, route: &Route, focus: &Focus, expansions: &[Expansion]) {
    let Some(inner) = whole_expression(value) else {
        report_concrete(out, &DockerImage::parse(value.trim()), |n| Spot::new(route.clone(), focus.clone(), n), &[]);
        return;
    };
    let Ok(expr) = parse_expression(inner) else {
        out.report(Draft::new(
            Severity::High,
            Confidence::Low,
            Spot::new(route.clone(), focus.clone(), "container image may be unpinned"),
        ));
        return;
    };
    let all = leaves(&expr);
    let single = all.len() == 1;
    for leaf in all {
        // One value: point at the key; several: at the piece of the expression.
        let leaf_focus = if single {
            focus.clone()
        } else {
            Focus::Text(inner.get(leaf.span.clone()).unwrap_or_default().to_owned())
        };
        let spot = |note: &str| Spot::new(route.clone(), leaf_focus.clone(), note);
        let matrix_path = leaf.context_path().filter(|p| p.first() == Some(&ContextPart::Name("matrix".into())));
        match (&leaf.kind, matrix_path) {
            (ExprKind::String(s), _) if s.is_empty() => {}
            (ExprKind::String(s), _) => report_concrete(out, &DockerImage::parse(s), spot, &[]),
            (_, Some(path)) => {
                let wanted = path
                    .iter()
                    .map(|p| match p {
                        ContextPart::Name(n) => n.as_str(),
                        _ => "*",
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                for e in expansions.iter().filter(|e| e.path == wanted) {
                    let related = [Spot::new(e.route.clone(), Focus::Value, format!("this expansion of {}", e.path))];
                    if e.is_static() {
                        report_concrete(out, &DockerImage::parse(&e.value), spot, &related);
                    } else {
                        let mut d =
                            Draft::new(Severity::High, Confidence::Low, spot("container image may be unpinned"));
                        d.related = related.to_vec();
                        out.report(d);
                    }
                }
            }
            _ => out.report(Draft::new(Severity::High, Confidence::Low, spot("container image may be unpinned"))),
        }
    }
}

impl UnpinnedImages {
    fn job_images(&self, job: &Job<'_>, out: &mut Sink<'_>) {
        let expansions = job.matrix_expansions();
        if let Some(c) = job.get("container") {
            if let Some(s) = c.as_str() {
                classify(out, s, &job.route.key("container"), &Focus::Key, &expansions);
            } else if let Some(img) = c.get_str("image") {
                classify(out, img, &job.route.key("container").key("image"), &Focus::Key, &expansions);
            }
        }
        for (name, svc) in job.get("services").and_then(|s| s.as_mapping()).unwrap_or_default() {
            let (Some(name), Some(img)) = (name.as_str(), svc.get_str("image")) else { continue };
            classify(out, img, &job.route.key("services").key(name).key("image"), &Focus::Key, &expansions);
        }
        for step in job.steps() {
            let Some(raw) = step.node.get_str("uses") else { continue };
            if let Some(Uses::Docker(image)) = Uses::parse(raw) {
                let route = step.route.key("uses");
                let raw = raw.trim().to_owned();
                report_concrete(out, &image, |n| Spot::new(route.clone(), Focus::Text(raw.clone()), n), &[]);
            }
        }
    }
}

impl Audit for UnpinnedImages {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            if !job.is_reusable_call() {
                self.job_images(&job, out);
            }
        }
    }

    fn action(&self, action: &Action, out: &mut Sink<'_>) {
        if !action.using().is_some_and(|u| u.eq_ignore_ascii_case("docker")) {
            return;
        }
        let route = Route::root().key("runs").key("image");
        let Some(raw) = action.doc.resolve(&route).and_then(|n| n.as_str()) else { return };
        // `image: Dockerfile` builds locally; only `docker://` names a registry image.
        if let Some(Uses::Docker(image)) = Uses::parse(raw) {
            report_concrete(out, &image, |n| Spot::new(route.clone(), Focus::Key, n), &[]);
        }
    }
}
