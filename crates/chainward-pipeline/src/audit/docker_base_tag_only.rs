//! `docker-base-tag-only` (pedantic; no hadolint rule): `FROM image:1.2` with a tag but no
//! digest. Tags are mutable, so only a digest fixes what is pulled.

use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::finding::{Confidence, Persona, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-base-tag-only",
    description: "base image pinned by tag but not by digest",
    doc: "# docker-base-tag-only\n\nFlags `FROM image:tag` without a digest, for a tag other than `latest` (which \
          `docker-base-latest` covers). A registry tag can be moved to another image at any time, by the \
          publisher or by whoever takes over their account; a digest (`FROM image:1.2@sha256:…`) names one \
          image for good. Hadolint has no such rule (its DL3006 and DL3007 stop at tags), so this audit is \
          shown with the pedantic and auditor personas only.\n",
};

pub(super) struct DockerBaseTagOnly;

impl Audit for DockerBaseTagOnly {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for stage in file.stages().iter().filter(|s| s.is_external()) {
            let image = &stage.image;
            let tagged = image.tag.as_deref().is_some_and(|t| t != "latest");
            if image.unresolved || image.digest.is_some() || !tagged {
                continue;
            }
            let Some(ins) = file.instructions().get(stage.instruction) else { continue };
            let note = format!("`{}` is pinned by tag only; add its digest", image.resolved);
            out.report(
                ins.draft(Severity::Low, Confidence::High, stage.image_span.clone(), note).persona(Persona::Pedantic),
            );
        }
    }
}
