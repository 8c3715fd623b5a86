//! `docker-pipe-without-pipefail` (hadolint DL4006): a `RUN` pipeline under a shell without
//! `-o pipefail`, where a failing first command goes unnoticed.

use super::{Audit, AuditInfo};
use crate::dockerfile::shell::Command;
use crate::dockerfile::{Dockerfile, Form, Instruction, is_shell};
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-pipe-without-pipefail",
    description: "RUN with a pipe and no pipefail hides failures",
    doc: "# docker-pipe-without-pipefail\n\nFlags a `RUN` with a pipe (`a | b`) when the stage's shell does not run \
          with `-o pipefail` (hadolint DL4006). A pipeline's status is its last command's, so `curl … | tar x` \
          succeeds when the download fails, and the image is built from a partial file. Set \
          `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` (bash, zsh or ash) before the `RUN`; each `FROM` \
          starts again from the default shell. A non-POSIX `SHELL` (PowerShell, cmd) is not checked, and a \
          `set -o pipefail` earlier in the same script is accepted (where the shell lacks the option, the \
          `RUN` fails loudly instead).\n",
};

pub(super) struct DockerPipeWithoutPipefail;

/// `bash|zsh|ash … -o pipefail …` (also `-eo pipefail`).
fn sets_pipefail(words: &[String]) -> bool {
    let shell = words.first().map(|w| w.rsplit('/').next().unwrap_or(w));
    matches!(shell, Some("bash" | "zsh" | "ash" | "ksh" | "mksh")) && option_pipefail(words)
}

fn option_pipefail(words: &[String]) -> bool {
    words.windows(2).any(|w| match w {
        [o, p] => p == "pipefail" && o.starts_with('-') && !o.starts_with("--") && o.contains('o'),
        _ => false,
    })
}

fn is_set_pipefail(cmd: &Command) -> bool {
    cmd.program() == Some("set") && option_pipefail(&cmd.args().iter().map(|w| w.text.clone()).collect::<Vec<_>>())
        || cmd.program() == Some("set") && cmd.args().iter().any(|w| w.text == "-opipefail")
}

fn non_posix(shell: &Instruction) -> bool {
    match &shell.form {
        Form::Exec(words) => words.first().is_some_and(|w| {
            let base = w.rsplit(['/', '\\']).next().unwrap_or(w).to_ascii_lowercase();
            base.starts_with("pwsh") || base.starts_with("powershell") || base.starts_with("cmd")
        }),
        Form::Shell => false,
    }
}

impl Audit for DockerPipeWithoutPipefail {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        // The current stage's SHELL: reset by every FROM.
        let mut shell: Option<&Instruction> = None;
        for ins in file.instructions() {
            match ins.keyword.as_str() {
                "FROM" => shell = None,
                "SHELL" => shell = Some(ins),
                "RUN" => {}
                _ => continue,
            }
            if ins.keyword != "RUN" {
                continue;
            }
            // The exec form without a shell (`["a", "|", "b"]`) runs no pipe.
            if let Form::Exec(items) = &ins.form
                && !items.first().is_some_and(|p| is_shell(p))
            {
                continue;
            }
            let safe =
                shell.is_some_and(|s| non_posix(s) || matches!(&s.form, Form::Exec(words) if sets_pipefail(words)));
            if safe {
                continue;
            }
            let mut places = Vec::new();
            for script in file.scripts(ins) {
                let mut pipefail = false;
                for p in script.pipelines() {
                    if p.commands.iter().any(is_set_pipefail) {
                        pipefail = true;
                    }
                    if let Some(pipe) = p.pipes.first().filter(|_| !pipefail && p.commands.len() > 1) {
                        places.push((
                            script.source_range(pipe.clone()),
                            "a failure before this pipe is ignored".to_owned(),
                        ));
                    }
                }
            }
            if let Some(draft) = ins.draft_all(Severity::Low, Confidence::Medium, places) {
                out.report(draft);
            }
        }
    }
}
