//! `github-env`: `run:` scripts that write to `GITHUB_ENV` or `GITHUB_PATH` with values that
//! are not fixed text. Later steps of the job read those files, so a write of attacker-
//! influenced text can set `LD_PRELOAD`, `NODE_OPTIONS` or `PATH` and run code (GitHub
//! Security Lab, "GitHub Actions: GITHUB_ENV injection"). As in zizmor: workflow steps only
//! count under `pull_request_target`/`workflow_run`, composite action steps always; an
//! `echo`/`printf` of literal text is fine. Scripts are split with a small command splitter,
//! not a full shell parser, so confidence is low.

use chainward_gha::{Step, Workflow};

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};
use crate::shell_words::commands;

static INFO: AuditInfo = AuditInfo {
    id: "github-env",
    description: "dangerous use of environment file",
    doc: "# github-env\n\nFlags `run:` steps that append computed values to `$GITHUB_ENV` or `$GITHUB_PATH` in \
          workflows triggered by `pull_request_target` or `workflow_run` (and in composite actions). Every \
          later step of the job starts with those variables, so attacker text that reaches the file can set \
          `LD_PRELOAD`, `BASH_ENV`, `NODE_OPTIONS` or `PATH`. Use step outputs (`$GITHUB_OUTPUT`) and pass \
          values explicitly.\n",
};

pub(super) struct GithubEnv;

/// `GITHUB_ENV`/`GITHUB_PATH` when the word names one of them as a bash or PowerShell
/// variable (`$GITHUB_ENV`, `"${GITHUB_PATH}"`, `$env:GITHUB_ENV`).
fn destination(word: &str) -> Option<&'static str> {
    let w = word.trim_matches('"');
    let w = w.strip_prefix('$')?;
    let w = w.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(w);
    let w = if w.len() > 4 && w[..4].eq_ignore_ascii_case("env:") { &w[4..] } else { w };
    if w.eq_ignore_ascii_case("GITHUB_ENV") {
        Some("GITHUB_ENV")
    } else if w.eq_ignore_ascii_case("GITHUB_PATH") {
        Some("GITHUB_PATH")
    } else {
        None
    }
}

/// A literal argument: a bare word or a quoted string with no expansion in it.
fn is_literal(arg: &str) -> bool {
    if arg.starts_with('\'') {
        return true;
    }
    !arg.contains('$') && !arg.contains('`')
}

/// The destinations a script writes computed values to, in order.
fn writes(script: &str, shell: &str) -> Vec<&'static str> {
    if shell == "cmd" {
        // `echo X=%Y% >> %GITHUB_ENV%`
        return script
            .lines()
            .filter_map(|l| {
                let (_, after) = l.split_once('>')?;
                let target = after.trim_start_matches('>').trim().trim_matches('"');
                match target.split_whitespace().next()? {
                    t if t.eq_ignore_ascii_case("%GITHUB_ENV%") => Some("GITHUB_ENV"),
                    t if t.eq_ignore_ascii_case("%GITHUB_PATH%") => Some("GITHUB_PATH"),
                    _ => None,
                }
            })
            .collect();
    }
    let pwsh = shell == "pwsh";
    let mut out = Vec::new();
    for cmd in commands(script) {
        let name = cmd.name.to_ascii_lowercase();
        // `… | tee [-a] $GITHUB_ENV`, PowerShell's file cmdlets.
        let writer = name == "tee"
            || (pwsh && ["out-file", "add-content", "set-content", "tee-object"].contains(&name.as_str()));
        if writer {
            if let Some(d) = cmd.args.iter().find_map(|a| destination(a)) {
                out.push(d);
            }
            continue;
        }
        // `cmd args > $GITHUB_ENV`, `>>"$GITHUB_ENV"`.
        let mut dest = None;
        let mut args = Vec::new();
        let mut words = cmd.args.iter().copied();
        while let Some(w) = words.next() {
            if let Some(rest) = w.strip_prefix(">>").or_else(|| w.strip_prefix('>')) {
                let target = if rest.is_empty() { words.next().unwrap_or_default() } else { rest };
                dest = dest.or(destination(target));
            } else {
                args.push(w);
            }
        }
        let Some(d) = dest else { continue };
        let literal_echo = (name == "echo" || name == "printf") && args.iter().all(|a| is_literal(a));
        if !literal_echo {
            out.push(d);
        }
    }
    out
}

fn shell(parent: StepParent<'_>, step: &Step<'_>) -> &'static str {
    let explicit = step.node.get_str("shell").or_else(|| match parent {
        StepParent::Job(w, j) => j
            .get("defaults")
            .and_then(|d| d.get("run")?.get_str("shell"))
            .or_else(|| w.doc.root.get("defaults").and_then(|d| d.get("run")?.get_str("shell"))),
        StepParent::Action(_) => None,
    });
    let name = explicit.map(|s| s.split_whitespace().next().unwrap_or("").rsplit(['/', '\\']).next().unwrap_or(""));
    match name {
        Some("pwsh" | "powershell") => "pwsh",
        Some("cmd" | "cmd.exe") => "cmd",
        Some(_) => "bash",
        // The runner's default: PowerShell on Windows runners, bash elsewhere.
        None => match parent {
            StepParent::Job(_, j)
                if j.get("runs-on").and_then(|r| r.as_str()).is_some_and(|r| r.contains("windows")) =>
            {
                "pwsh"
            }
            _ => "bash",
        },
    }
}

fn dangerous(workflow: &Workflow) -> bool {
    workflow.has_trigger("pull_request_target") || workflow.has_trigger("workflow_run")
}

impl Audit for GithubEnv {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if let StepParent::Job(workflow, _) = parent
            && !dangerous(workflow)
        {
            return;
        }
        let Some(run) = step.run() else { return };
        for dest in writes(run, shell(parent, step)) {
            let spot =
                Spot::new(step.route.key("run"), Focus::Key, format!("write to {dest} may allow code execution"));
            out.report(Draft::new(Severity::High, Confidence::Low, spot));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_found() {
        assert_eq!(writes("echo \"foo=$(bar)\" >> $GITHUB_ENV", "bash"), ["GITHUB_ENV"]);
        assert!(writes("echo foo=bar >> $GITHUB_ENV", "bash").is_empty());
        assert!(writes("printf \"A=b\\n\" >> \"$GITHUB_ENV\"", "bash").is_empty());
        assert_eq!(writes("echo \"$x\" | tee -a \"${GITHUB_PATH}\"", "bash"), ["GITHUB_PATH"]);
        assert_eq!(writes("echo \"foo=$env:BAR\" >> $env:GITHUB_ENV", "pwsh"), ["GITHUB_ENV"]);
        assert_eq!(writes("echo LIBRARY=%LIBRARY% >> %GITHUB_ENV%", "cmd"), ["GITHUB_ENV"]);
    }
}
