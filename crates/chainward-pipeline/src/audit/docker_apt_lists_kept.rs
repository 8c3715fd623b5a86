//! `docker-apt-lists-kept` (hadolint DL3009): `apt-get update` in a `RUN` that does not
//! remove `/var/lib/apt/lists`, in the final stage or a stage later ones build on.

use super::{Audit, AuditInfo};
use crate::dockerfile::shell::Command;
use crate::dockerfile::{Dockerfile, Instruction};
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-apt-lists-kept",
    description: "apt package lists left in the image",
    doc: "# docker-apt-lists-kept\n\nFlags a `RUN` that runs `apt-get update` (or `apt`/`aptitude update`) without \
          `rm -rf /var/lib/apt/lists/*` in the same instruction (hadolint DL3009). The lists stay in the layer: a \
          bigger image, and stale indexes a later `apt-get install` in a derived image may trust. Only the final \
          stage and stages a later `FROM` builds on are checked, as hadolint does; a `--mount=type=cache` or \
          `tmpfs` on `/var/lib/apt/lists` is accepted.\n",
};

pub(super) struct DockerAptListsKept;

fn is_update(cmd: &Command) -> bool {
    matches!(cmd.program(), Some("apt-get" | "apt" | "aptitude"))
        && cmd.subcommand(super::docker_unpinned_apt::APT_VALUED).is_some_and(|(_, w)| w.text == "update")
}

fn removes_lists(cmd: &Command) -> bool {
    cmd.program() == Some("rm")
        && cmd.args().iter().any(|w| w.text.starts_with('-') && w.text.contains(['r', 'R']))
        && cmd.args().iter().any(|w| w.text.starts_with("/var/lib/apt/lists"))
}

/// A cache or tmpfs mount on a path under or at `target`.
pub(crate) fn mounts(ins: &Instruction, target: &str) -> bool {
    ins.flags.iter().filter(|f| f.name == "mount").filter_map(|f| f.value.as_deref()).any(|v| {
        let fields: Vec<&str> = v.split(',').collect();
        let kind = fields.iter().any(|f| matches!(*f, "type=cache" | "type=tmpfs"));
        let at = fields
            .iter()
            .filter_map(|f| f.split_once('='))
            .any(|(k, p)| matches!(k, "target" | "dst" | "destination") && p.trim_end_matches('/') == target);
        kind && at
    })
}

impl Audit for DockerAptListsKept {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        let stages = file.stages();
        let last = stages.len().checked_sub(1);
        let bases: std::collections::HashSet<usize> = stages.iter().filter_map(|t| t.stage_ref).collect();
        let checked = |stage: Option<usize>| match stage {
            // Instructions before any FROM: hadolint pretends a stage, and so do we.
            None => true,
            Some(s) => Some(s) == last || bases.contains(&s),
        };
        for ins in file.instructions().iter().filter(|i| i.keyword == "RUN" && checked(i.stage)) {
            if mounts(ins, "/var/lib/apt/lists") {
                continue;
            }
            let mut updates = Vec::new();
            let mut cleaned = false;
            for script in file.scripts(ins) {
                for cmd in script.pipelines().iter().flat_map(|p| &p.commands) {
                    cleaned |= removes_lists(cmd);
                    if is_update(cmd)
                        && let Some(r) = cmd.range()
                    {
                        updates
                            .push((script.source_range(r), "apt lists are downloaded here and not removed".to_owned()));
                    }
                }
            }
            if cleaned {
                continue;
            }
            if let Some(draft) = ins.draft_all(Severity::Informational, Confidence::High, updates) {
                out.report(draft);
            }
        }
    }
}
