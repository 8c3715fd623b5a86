//! `use-trusted-publishing`: publishing with a long-lived token where the registry offers
//! Trusted Publishing (short-lived OIDC credentials bound to the workflow: PyPI, npm,
//! RubyGems, crates.io, NuGet). Follows zizmor: publisher actions configured with a token,
//! and publish commands (`cargo publish`, `twine upload`, `npm publish`, …) in `run:`
//! scripts of jobs without `id-token: write`.

use chainward_gha::{Step, Uses, Workflow, whole_expression};
use chainward_yaml::{Node, Route};

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};
use crate::shell_words::commands;

static INFO: AuditInfo = AuditInfo {
    id: "use-trusted-publishing",
    description: "prefer trusted publishing for authentication",
    doc: "# use-trusted-publishing\n\nFlags publishing steps that authenticate with a stored token (PyPI, npm, \
          RubyGems, crates.io, NuGet, Bun) where the registry supports Trusted Publishing. With Trusted \
          Publishing the job asks GitHub for a short-lived OIDC token (`permissions: id-token: write`) and \
          the registry trusts this repository and workflow; there is no secret to steal or rotate.\n",
};

pub(super) struct UseTrustedPublishing;

const MANUAL: &str = "uses a manually-configured credential instead of Trusted Publishing";
const PYPI_INDICES: &[&str] = &["https://upload.pypi.org/legacy/", "https://test.pypi.org/legacy/"];
const RUBYGEMS_INDICES: &[&str] = &["https://rubygems.org"];
const NPM_INDICES: &[&str] = &["https://registry.npmjs.org", "https://registry.npmjs.org/"];

fn is(uses: &chainward_gha::RepositoryUses, owner: &str, repo: &str) -> bool {
    uses.owner.eq_ignore_ascii_case(owner) && uses.repo.eq_ignore_ascii_case(repo) && uses.subpath.is_none()
}

fn input<'a>(step: &Step<'a>, key: &str) -> Option<&'a str> {
    step.with(key).and_then(Node::as_str)
}

/// `Some(key route)` when a publisher action is set up with a manual credential.
fn manual_credential_action(step: &Step<'_>) -> Option<Vec<&'static str>> {
    let Some(Uses::Repository(u)) = step.uses() else { return None };
    let known_or_absent = |key: &str, known: &[&str]| input(step, key).is_none_or(|v| known.contains(&v));
    let truthy = |key: &str| input(step, key).is_some_and(|v| v == "true" || whole_expression(v).is_some());
    if is(&u, "pypa", "gh-action-pypi-publish") {
        let ok = input(step, "password").is_some()
            && known_or_absent("repository-url", PYPI_INDICES)
            && known_or_absent("repository_url", PYPI_INDICES);
        return ok.then(|| vec!["with", "password"]);
    }
    if is(&u, "rubygems", "release-gem") {
        let ok = input(step, "setup-trusted-publisher").is_some_and(|v| v == "false");
        return ok.then(|| vec!["with", "setup-trusted-publisher"]);
    }
    if is(&u, "rubygems", "configure-rubygems-credentials") {
        let ok = input(step, "api-token").is_some() && known_or_absent("gem-server", RUBYGEMS_INDICES);
        return ok.then(|| vec!["with", "api-token"]);
    }
    if is(&u, "actions", "setup-node") {
        let ok = known_or_absent("registry-url", NPM_INDICES) && truthy("always-auth");
        return ok.then(|| vec!["with", "always-auth"]);
    }
    None
}

/// Whether a command publishes with a token (dry runs do not). As in zizmor, later checks
/// look only at the arguments after the one that matched.
fn is_publish(cmd: &str, args: &[&str]) -> bool {
    let mut a = args.iter().copied();
    match cmd {
        "cargo" | "npm" | "pnpm" | "bun" | "poetry" => {
            a.any(|x| x == "publish") && a.all(|x| x != "--dry-run" && !(cmd == "cargo" && x == "-n"))
        }
        "uv" => match a.find(|x| *x == "publish" || *x == "run") {
            Some("publish") => a.all(|x| x != "--dry-run"),
            Some("run") => a.any(|x| x == "twine") && a.any(|x| x == "upload"),
            _ => false,
        },
        "uvx" => a.any(|x| x.starts_with("twine")) && a.any(|x| x == "upload"),
        "hatch" | "pdm" => a.any(|x| x == "publish"),
        "twine" => a.any(|x| x == "upload"),
        "pipx" => a.any(|x| x == "run") && a.any(|x| x.starts_with("twine")) && a.any(|x| x == "upload"),
        _ if cmd.starts_with("python") => a.any(|x| x == "-m") && a.any(|x| x == "twine") && a.any(|x| x == "upload"),
        "gem" => a.any(|x| x == "push"),
        "bundle" => a.any(|x| x == "exec") && a.any(|x| x == "gem") && a.any(|x| x == "push"),
        "yarn" => match a.find(|x| *x == "publish" || *x == "npm") {
            Some("publish") => true,
            Some("npm") => a.any(|x| x == "publish") && a.all(|x| x != "--dry-run" && x != "-n"),
            _ => false,
        },
        "bunx" => {
            a.any(|x| x == "npm" || x.starts_with("npm@")) && a.any(|x| x == "publish") && a.all(|x| x != "--dry-run")
        }
        "nuget" | "nuget.exe" => a.any(|x| x == "push"),
        "dotnet" => a.any(|x| x == "nuget") && a.any(|x| x == "push"),
        _ => false,
    }
}

/// Whether the job (or, with no job block, the workflow) grants `id-token: write`.
fn has_id_token(workflow: &Workflow, job: &chainward_gha::Job<'_>) -> bool {
    let perms = job.get("permissions").or_else(|| workflow.doc.root.get("permissions"));
    match perms {
        Some(p) if p.as_str() == Some("write-all") => true,
        Some(p) => p.get_str("id-token") == Some("write"),
        None => false,
    }
}

/// The shell a step's script is read with; `None` for shells we cannot split.
fn shell_of(parent: StepParent<'_>, step: &Step<'_>) -> Option<&'static str> {
    let explicit = step.node.get_str("shell").or_else(|| match parent {
        StepParent::Job(w, j) => j
            .get("defaults")
            .and_then(|d| d.get("run")?.get_str("shell"))
            .or_else(|| w.doc.root.get("defaults").and_then(|d| d.get("run")?.get_str("shell"))),
        StepParent::Action(_) => None,
    });
    match explicit.map(|s| s.split_whitespace().next().unwrap_or("").rsplit('/').next().unwrap_or("")) {
        None => Some("bash"),
        Some("bash" | "sh" | "zsh") => Some("bash"),
        Some("pwsh" | "powershell") => Some("pwsh"),
        Some(_) => None,
    }
}

impl Audit for UseTrustedPublishing {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        let hidden = || Spot::new(step.route.clone(), Focus::Value, "");
        if let Some(keys) = manual_credential_action(step) {
            let at = keys.iter().fold(step.route.clone(), |r: Route, k| r.key(*k));
            let draft = Draft::new(
                Severity::Informational,
                Confidence::High,
                Spot::new(step.route.key("uses"), Focus::Key, "this step"),
            )
            .related(Spot::new(at, Focus::Key, MANUAL))
            .hidden(hidden());
            out.report(draft);
        }
        let StepParent::Job(workflow, job) = parent else { return };
        let Some(run) = step.run() else { return };
        if has_id_token(workflow, job) || shell_of(parent, step).is_none() {
            return;
        }
        for cmd in commands(run) {
            if !is_publish(cmd.name, &cmd.args) {
                continue;
            }
            // Point at the command's first line: later lines lose their indentation in the
            // scalar's value and would not be found verbatim in the source.
            let rest = run.get(cmd.start..).unwrap_or_default();
            let first_line = rest.lines().next().unwrap_or_default().trim_end();
            let nth = run.match_indices(first_line).take_while(|(i, _)| *i < cmd.start).count();
            let primary = Spot::new(step.route.key("run"), Focus::TextAt(first_line.to_owned(), nth), "this command");
            let draft = Draft::new(Severity::Informational, Confidence::High, primary)
                .related(Spot::new(step.route.key("run"), Focus::Key, "this step"))
                .hidden(hidden());
            out.report(draft);
        }
    }
}
