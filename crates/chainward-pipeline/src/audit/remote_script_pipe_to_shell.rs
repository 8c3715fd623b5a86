//! `remote-script-pipe-to-shell` (chainward; no hadolint rule): `curl … | sh` and the like,
//! which run whatever the server sends, unverified.

use super::{Audit, AuditInfo};
use crate::dockerfile::shell::Command;
use crate::dockerfile::{Dockerfile, is_shell};
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "remote-script-pipe-to-shell",
    description: "remote script piped into a shell without verification",
    doc: "# remote-script-pipe-to-shell\n\nFlags `RUN curl … | sh`, `wget -qO- … | bash`, `… | sudo bash -s --`, \
          `… | python3` and `sh -c \"$(curl …)\"`: a script downloaded and run in one step, never checked. \
          Whoever controls the server, the domain or the path in between decides what runs in the build, with \
          the build's secrets and network at hand. `pipefail` does not help: it reports a failed download, not \
          a malicious one. Download to a file, verify its digest (`echo \"<sha256>  install.sh\" | sha256sum \
          -c`) or signature, then run it. Hadolint has no such rule (DL4006 only asks for `pipefail`).\n",
};

const DOWNLOADERS: &[&str] = &["curl", "wget"];

fn runs_code(cmd: &Command) -> bool {
    cmd.program().is_some_and(|p| {
        is_shell(p)
            || p.starts_with("python")
            || matches!(p, "perl" | "ruby" | "node" | "php" | "fish" | "pwsh" | "source" | ".")
    })
}

pub(super) struct RemoteScriptPipeToShell;

impl Audit for RemoteScriptPipeToShell {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for ins in file.instructions().iter().filter(|i| i.keyword == "RUN") {
            let mut places = Vec::new();
            for script in file.scripts(ins) {
                for p in script.pipelines() {
                    let download =
                        p.commands.iter().position(|c| c.program().is_some_and(|n| DOWNLOADERS.contains(&n)));
                    if let Some(d) = download
                        && let Some(sh) = p.commands.iter().skip(d + 1).find(|c| runs_code(c))
                        && let (Some(from), Some(to)) = (p.commands.get(d).and_then(Command::range), sh.range())
                    {
                        let name = sh.program().unwrap_or("a shell");
                        places.push((
                            script.source_range(from.start..to.end),
                            format!("downloaded code is run by `{name}` unverified"),
                        ));
                        continue;
                    }
                    // `sh -c "$(curl …)"`, `bash -c "`wget -O- …`"`.
                    for cmd in p.commands.iter().filter(|c| c.program().is_some_and(is_shell)) {
                        let fetched = cmd.args().iter().any(|w| {
                            DOWNLOADERS
                                .iter()
                                .any(|d| w.text.contains(&format!("$({d} ")) || w.text.contains(&format!("`{d} ")))
                        });
                        if fetched && let Some(r) = cmd.range() {
                            places.push((script.source_range(r), "downloaded code is run unverified".to_owned()));
                        }
                    }
                }
            }
            if let Some(draft) = ins.draft_all(Severity::High, Confidence::High, places) {
                out.report(draft);
            }
        }
    }
}
