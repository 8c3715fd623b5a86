//! `docker-unpinned-pip` (hadolint DL3013): `pip install pkg` without a version specifier.

use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::dockerfile::shell::Command;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-unpinned-pip",
    description: "pip package installed without a pinned version",
    doc: "# docker-unpinned-pip\n\nFlags `RUN pip install pkg` (also `pip3`, `python -m pip`, `uv pip`) where a \
          package has no version specifier (hadolint DL3013). The newest release on the index is installed, \
          including one uploaded by an attacker who took over the project. Write `pkg==1.2.3`, or install from \
          a requirements file with hashes (`pip install --require-hashes -r requirements.txt`).\n\n\
          Not flagged: `-r`/`--requirement` and `-c`/`--constraint` installs, `pip install .`, local paths, \
          wheels and sdists (`.whl`, `.tar.gz`), and VCS URLs with an `@ref`.\n",
};

/// pip options that take a value as the next word (hadolint's list, plus a few more).
const PIP_VALUED: &[&str] = &[
    "abi",
    "b",
    "build",
    "e",
    "editable",
    "extra-index-url",
    "f",
    "find-links",
    "i",
    "index-url",
    "implementation",
    "no-binary",
    "only-binary",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "python",
    "python-version",
    "root",
    "src",
    "t",
    "target",
    "trusted-host",
    "upgrade-strategy",
    "c",
    "constraint",
    "r",
    "requirement",
    "cert",
    "client-cert",
    "cache-dir",
    "log",
    "timeout",
    "retries",
    "exists-action",
    "global-option",
    "config-settings",
    "C",
];
const VERSION_SYMBOLS: &[&str] = &["==", ">=", "<=", ">", "<", "!=", "~=", "==="];
const VCS: &[&str] = &["git+", "hg+", "svn+", "bzr+"];

/// The index in the arguments where pip's own arguments start (after `install`), if this
/// command is a pip install.
fn pip_install(cmd: &Command) -> Option<usize> {
    let program = cmd.program()?;
    let args = cmd.args();
    let texts: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    // Where pip's own command line starts in `args`.
    let base = if program.starts_with("pip")
        && program.trim_start_matches("pip").chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        0
    } else if program.starts_with("python") {
        texts.windows(2).position(|w| w == ["-m", "pip"])? + 2
    } else if program == "uv" {
        (texts.first() == Some(&"pip")).then_some(1)?
    } else {
        return None;
    };
    let rest = cmd.operands_from(base, PIP_VALUED);
    let (i, sub) = rest.first()?;
    (sub.text == "install").then_some(i + 1)
}

fn pinned(p: &str) -> bool {
    let vcs = VCS.iter().any(|v| p.starts_with(v));
    VERSION_SYMBOLS.iter().any(|s| p.contains(s))
        || (vcs && p.contains('@'))
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
        || p.ends_with(".zip")
        || (!vcs && p.contains('/'))
}

pub(super) struct DockerUnpinnedPip;

impl Audit for DockerUnpinnedPip {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        file.report_per_run(Severity::Low, Confidence::High, out, |script, cmd, places| {
            let Some(from) = pip_install(cmd) else { return };
            if cmd.has_option(&["r", "requirement", "c", "constraint"])
                || cmd.args().iter().any(|w| w.text.starts_with("--requirement=") || w.text.starts_with("-r"))
            {
                return;
            }
            let packages = cmd.operands_from(from, PIP_VALUED);
            if packages.iter().any(|(_, w)| w.text == ".") {
                return;
            }
            for (_, w) in packages {
                if !pinned(&w.text) {
                    let note = format!("`{}` has no version specifier", w.text);
                    places.push((script.source_range(w.range.clone()), note));
                }
            }
        });
    }
}
