//! `docker-unpinned-apk` (hadolint DL3018): `apk add pkg` without `pkg=version`.

use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::dockerfile::shell::Command;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-unpinned-apk",
    description: "apk package installed without a pinned version",
    doc: "# docker-unpinned-apk\n\nFlags `RUN apk add pkg` where a package has no version constraint (`=`, `~`, `>`, \
          `<`; hadolint DL3018). The image gets whatever the repository holds that day. Write `pkg=1.2.3-r0`. \
          Local `.apk` files and the names given to `--virtual`/`-t` are not packages.\n",
};

/// apk options that take a value as the next word.
const APK_VALUED: &[&str] = &["t", "virtual", "repository", "X", "p", "root", "repositories-file", "keys-dir", "arch"];

/// The index of `add` in the arguments, if this is `apk add`.
pub(crate) fn apk_add(cmd: &Command) -> Option<usize> {
    (cmd.program()? == "apk").then_some(())?;
    cmd.subcommand(APK_VALUED).filter(|(_, w)| w.text == "add").map(|(i, _)| i)
}

pub(super) struct DockerUnpinnedApk;

impl Audit for DockerUnpinnedApk {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        file.report_per_run(Severity::Low, Confidence::High, out, |script, cmd, places| {
            let Some(sub) = apk_add(cmd) else { return };
            for (_, w) in cmd.operands_from(sub + 1, APK_VALUED) {
                let t = w.text.as_str();
                if !(t.contains(['=', '~', '>', '<']) || t.ends_with(".apk")) {
                    places.push((script.source_range(w.range.clone()), format!("`{t}` has no =version")));
                }
            }
        });
    }
}
