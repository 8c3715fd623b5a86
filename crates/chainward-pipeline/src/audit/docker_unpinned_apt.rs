//! `docker-unpinned-apt` (hadolint DL3008): `apt-get install pkg` without `pkg=version`.

use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::dockerfile::shell::Command;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-unpinned-apt",
    description: "apt package installed without a pinned version",
    doc: "# docker-unpinned-apt\n\nFlags `RUN apt-get install pkg` (and `apt install`) where a package has no \
          `=version` (hadolint DL3008; hadolint looks at `apt-get` only). Without a version the image gets \
          whatever the mirror serves that day, so builds drift and a bad upload is picked up unnoticed. Write \
          `pkg=1.2.3-1`. Not flagged: local `.deb` files and `pkg/release` selections. One finding per \
          instruction, at the first unpinned package, with the others as related locations.\n",
};

/// apt options that take a value as the next word.
pub(crate) const APT_VALUED: &[&str] = &["o", "c", "t", "target-release", "option", "config-file"];

/// The `install` subcommand of `apt-get`/`apt`, and its index in the arguments.
pub(crate) fn apt_install(cmd: &Command) -> Option<usize> {
    if !matches!(cmd.program()?, "apt-get" | "apt") {
        return None;
    }
    cmd.subcommand(APT_VALUED).filter(|(_, w)| w.text == "install").map(|(i, _)| i)
}

pub(super) struct DockerUnpinnedApt;

impl Audit for DockerUnpinnedApt {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        file.report_per_run(Severity::Low, Confidence::High, out, |script, cmd, places| {
            let Some(sub) = apt_install(cmd) else { return };
            for (_, w) in cmd.operands_from(sub + 1, APT_VALUED) {
                let t = w.text.as_str();
                if !(t.contains('=') || t.contains('/') || t.ends_with(".deb")) {
                    places.push((script.source_range(w.range.clone()), format!("`{t}` has no =version")));
                }
            }
        });
    }
}
