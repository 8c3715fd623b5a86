//! `adhoc-packages`: `run:` scripts that install a named package outside the project's
//! lockfile (`gem install rake`, `npm install lodash`, `yarn add x`, …). What they install
//! is whatever the registry serves at that moment, unreviewed and unhashed. Follows zizmor's
//! `adhoc-packages`: the same package managers and subcommands, in bash and PowerShell
//! scripts; installs that read a lockfile (`npm ci`, `npm install`, `bundle install`) are
//! fine.

use chainward_gha::{Step, if_statically_false};

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};
use crate::shell_words::commands;

static INFO: AuditInfo = AuditInfo {
    id: "adhoc-packages",
    description: "ad-hoc installation of packages",
    doc: "# adhoc-packages\n\nFlags `run:` steps that install named packages outside a lockfile: `gem install \
          x` (`gem i`), `bundle add x`, `npm install x` (and its aliases), `yarn add x`, `pnpm add x`. Such \
          installs take whatever the registry serves at run time, without the versions and hashes a \
          lockfile pins. Add the dependency to the project and install from the lockfile (`npm ci`, \
          `bundle install`, `yarn install --frozen-lockfile`).\n",
};

pub(super) struct AdhocPackages;

/// `npm install` and the aliases npm documents for it (typo-tolerant ones included).
const NPM_INSTALL: &[&str] =
    &["install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"];

/// Whether `cmd args…` installs a named package ad hoc (zizmor's rules: the subcommand
/// followed by at least one non-flag argument).
fn is_adhoc_install(cmd: &str, args: &[&str]) -> bool {
    // A package named after the subcommand at `i`.
    let named_after = |i: usize| args.get(i + 1..).unwrap_or_default().iter().any(|x| !x.starts_with('-'));
    match cmd {
        "gem" => args.iter().position(|x| *x == "install" || *x == "i").is_some_and(named_after),
        "bundle" | "yarn" | "pnpm" => args.iter().position(|x| *x == "add").is_some_and(named_after),
        "npm" => {
            let mut rest = args.iter().copied().skip_while(|x| x.starts_with('-'));
            rest.next().is_some_and(|sub| NPM_INSTALL.contains(&sub)) && rest.any(|x| !x.starts_with('-'))
        }
        _ => false,
    }
}

/// The step's effective shell: its own, the job's or workflow's default, or the runner's
/// (`pwsh` on Windows, `bash` on Linux and macOS). `None` when given by an expression.
fn shell(parent: StepParent<'_>, step: &Step<'_>) -> Option<String> {
    let explicit = |n: Option<&chainward_yaml::Node>| n.map(|s| s.as_str().map(str::to_owned));
    let own = explicit(step.get("shell"));
    let declared = match parent {
        StepParent::Job(workflow, job) => own
            .or_else(|| explicit(job.get("defaults").and_then(|d| d.get("run")).and_then(|r| r.get("shell"))))
            .or_else(|| {
                explicit(workflow.doc.root.get("defaults").and_then(|d| d.get("run")).and_then(|r| r.get("shell")))
            }),
        StepParent::Action(_) => own,
    };
    match declared {
        Some(Some(s)) if s.contains("${{") => None,
        Some(Some(s)) => Some(s),
        Some(None) => None,
        None => match parent {
            StepParent::Job(_, job) => runner_shell(job.get("runs-on")?).map(str::to_owned),
            StepParent::Action(_) => None,
        },
    }
}

/// The default shell of a `runs-on:` label set (GitHub's "Choosing the runner for a job").
fn runner_shell(runs_on: &chainward_yaml::Node) -> Option<&'static str> {
    let labels: Vec<&str> = match (runs_on.as_str(), runs_on.as_sequence(), runs_on.get("labels")) {
        (Some(s), _, _) if s.contains("${{") => return None,
        (Some(s), _, _) => vec![s],
        (_, Some(seq), _) => seq.iter().filter_map(|n| n.as_str()).collect(),
        (_, _, Some(l)) => match (l.as_str(), l.as_sequence()) {
            (Some(s), _) => vec![s],
            (_, Some(seq)) => seq.iter().filter_map(|n| n.as_str()).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    labels.into_iter().find_map(|l| match l {
        "linux" | "macOS" => Some("bash"),
        "windows" => Some("pwsh"),
        l if l.contains("ubuntu-") || l.contains("macos") => Some("bash"),
        l if l.contains("windows-") => Some("pwsh"),
        _ => None,
    })
}

/// `bash -e {0}` → `bash`; `/usr/bin/pwsh` → `pwsh`.
fn normalize(shell: &str) -> &str {
    let program = shell.split(' ').next().unwrap_or(shell);
    program.rsplit('/').next().unwrap_or(program)
}

impl Audit for AdhocPackages {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if step.node.get_str("if").is_some_and(if_statically_false) {
            return;
        }
        let Some(run) = step.run() else { return };
        // As zizmor: a shell that cannot be known is taken to be bash.
        let shell = shell(parent, step).unwrap_or_else(|| "bash".to_owned());
        if !matches!(normalize(&shell), "bash" | "sh" | "zsh" | "pwsh" | "powershell") {
            return;
        }
        for cmd in commands(run) {
            if !is_adhoc_install(cmd.name, &cmd.args) {
                continue;
            }
            // Point at the command's first line: later lines lose their indentation in the
            // scalar's value and would not be found verbatim in the source.
            let rest = run.get(cmd.start..).unwrap_or_default();
            let first_line = rest.lines().next().unwrap_or_default().trim_end();
            let nth = run.match_indices(first_line).take_while(|(i, _)| *i < cmd.start).count();
            let primary = Spot::new(
                step.route.key("run"),
                Focus::TextAt(first_line.to_owned(), nth),
                "installs a package outside of a lockfile",
            );
            let draft = Draft::new(Severity::Low, Confidence::High, primary)
                .related(Spot::new(step.route.key("run"), Focus::Key, "this step"))
                .hidden(Spot::new(step.route.clone(), Focus::Value, ""));
            out.report(draft);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_commands() {
        let yes: &[&[&str]] = &[
            &["gem", "install", "rake"],
            &["gem", "--silent", "install", "rake"],
            &["gem", "i", "--no-document", "rake"],
            &["bundle", "add", "rails", "--skip-install"],
            &["npm", "install", "--no-fund", "oxlint@1.55.0"],
            &["npm", "isnt", "lodash"],
            &["yarn", "add", "--dev", "x"],
            &["pnpm", "add", "x"],
        ];
        let no: &[&[&str]] = &[
            &["gem", "install"],
            &["gem", "install", "--help"],
            &["gem", "build", "foo.gemspec"],
            &["bundle", "install"],
            &["npm", "ci"],
            &["npm", "install", "--no-fund"],
            &["npm", "run", "install", "x"],
            &["npx", "-y", "foobar"],
            &["pip", "install", "requests"],
            &["yarn", "install", "--frozen-lockfile"],
            &["pnpm", "add"],
        ];
        for c in yes {
            assert!(is_adhoc_install(c[0], &c[1..]), "{c:?}");
        }
        for c in no {
            assert!(!is_adhoc_install(c[0], &c[1..]), "{c:?}");
        }
    }

    #[test]
    fn shells() {
        use crate::{Config, Filter, audit, load};
        let y = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gem install x\n        shell: python\n      - run: echo ok && npm i left-pad\n        shell: /bin/bash -e {0}\n      - run: gem install x\n        if: false\n";
        let input = load("w.yml", std::path::Path::new("w.yml"), y.as_bytes(), &Default::default()).unwrap();
        let r = audit(&[input], &Config::default(), &Filter::default());
        let got: Vec<_> = r.findings.iter().filter(|f| f.id == "adhoc-packages").map(|f| f.primary.line).collect();
        assert_eq!(got, [8]);
        assert_eq!(normalize("/usr/bin/pwsh -command \". '{0}'\""), "pwsh");
    }
}
