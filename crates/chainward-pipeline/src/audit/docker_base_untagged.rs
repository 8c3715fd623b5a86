//! `docker-base-untagged` (hadolint DL3006): `FROM image` with neither a tag nor a digest,
//! so the build takes whatever `latest` is on the day it runs.

use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-base-untagged",
    description: "base image without a tag or digest",
    doc: "# docker-base-untagged\n\nFlags `FROM image` with neither a tag nor a digest (hadolint DL3006). Docker then \
          pulls `latest`, whatever it is on the day of the build, so two builds of the same commit can differ and a \
          compromised or broken push reaches the next build. Pin the digest (`FROM image:1.2@sha256:…`).\n\n\
          Not flagged: `FROM scratch`, references to earlier stages (`FROM builder`), and images named by a \
          build argument without a default. A global `ARG` default is substituted first (`ARG BASE=ubuntu` then \
          `FROM $BASE` is flagged, with medium confidence, as `--build-arg` may override it).\n",
};

pub(super) struct DockerBaseUntagged;

impl Audit for DockerBaseUntagged {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for stage in file.stages().iter().filter(|s| s.is_external()) {
            let image = &stage.image;
            if image.unresolved || image.tag.is_some() || image.digest.is_some() {
                continue;
            }
            let Some(ins) = file.instructions().get(stage.instruction) else { continue };
            let confidence = if image.raw.contains('$') { Confidence::Medium } else { Confidence::High };
            let note = format!("`{}` has no tag or digest, so `latest` is used", image.resolved);
            out.report(ins.draft(Severity::Medium, confidence, stage.image_span.clone(), note));
        }
    }
}
