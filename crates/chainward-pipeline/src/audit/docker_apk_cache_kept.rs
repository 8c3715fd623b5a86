//! `docker-apk-cache-kept` (hadolint DL3019): `apk add` without `--no-cache`.

use super::docker_apt_lists_kept::mounts;
use super::docker_unpinned_apk::apk_add;
use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-apk-cache-kept",
    description: "apk add without --no-cache keeps the package index in the image",
    doc: "# docker-apk-cache-kept\n\nFlags `apk add` without `--no-cache` (hadolint DL3019). The index fetched by \
          `apk update` (or `--update`) stays in `/var/cache/apk`: a bigger layer with stale data. `apk add \
          --no-cache pkg=version` fetches the index, installs and leaves nothing behind. A `--mount=type=cache` \
          or `tmpfs` on `/var/cache/apk` is accepted.\n",
};

pub(super) struct DockerApkCacheKept;

impl Audit for DockerApkCacheKept {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for ins in file.instructions().iter().filter(|i| i.keyword == "RUN") {
            if mounts(ins, "/var/cache/apk") {
                continue;
            }
            let mut places = Vec::new();
            for script in file.scripts(ins) {
                for cmd in script.pipelines().iter().flat_map(|p| &p.commands) {
                    if apk_add(cmd).is_some()
                        && !cmd.has_option(&["no-cache"])
                        && let Some(r) = cmd.range()
                    {
                        places.push((script.source_range(r), "no --no-cache".to_owned()));
                    }
                }
            }
            if let Some(draft) = ins.draft_all(Severity::Informational, Confidence::High, places) {
                out.report(draft);
            }
        }
    }
}
