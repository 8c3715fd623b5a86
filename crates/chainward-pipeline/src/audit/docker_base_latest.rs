//! `docker-base-latest` (hadolint DL3007): `FROM image:latest` without a digest.

use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-base-latest",
    description: "base image pinned to the mutable `latest` tag",
    doc: "# docker-base-latest\n\nFlags `FROM image:latest` without a digest (hadolint DL3007). `latest` moves with every \
          push, so the build is not reproducible and takes whatever was pushed last, including a malicious or \
          broken image. Pin a release tag and its digest (`FROM image:1.2@sha256:…`); a digest next to `latest` \
          is accepted, as the digest decides what is pulled.\n",
};

pub(super) struct DockerBaseLatest;

impl Audit for DockerBaseLatest {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for stage in file.stages().iter().filter(|s| s.is_external()) {
            let image = &stage.image;
            if image.digest.is_some() || image.tag.as_deref() != Some("latest") {
                continue;
            }
            let Some(ins) = file.instructions().get(stage.instruction) else { continue };
            let confidence = if image.raw.contains('$') { Confidence::Medium } else { Confidence::High };
            let note = format!("`{}` follows the mutable `latest` tag", image.resolved);
            out.report(ins.draft(Severity::Medium, confidence, stage.image_span.clone(), note));
        }
    }
}
