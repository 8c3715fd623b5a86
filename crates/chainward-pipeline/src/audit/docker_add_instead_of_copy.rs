//! `docker-add-instead-of-copy` (hadolint DL3020): `ADD` of local files or folders, where
//! `COPY` does the same without `ADD`'s URL fetching and archive unpacking.

use std::ops::Range;

use super::{Audit, AuditInfo};
use crate::dockerfile::{Dockerfile, Form, Instruction};
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-add-instead-of-copy",
    description: "ADD used for local files; COPY is the explicit choice",
    doc: "# docker-add-instead-of-copy\n\nFlags `ADD` whose sources are local files or folders that are not archives \
          (hadolint DL3020). `ADD` also downloads URLs and unpacks archives, so a source that turns into an \
          archive or URL later changes what the build does without anyone noticing; `COPY` only copies. URL \
          sources are left to `remote-add-without-checksum`, and local archives (which `ADD` unpacks on purpose) \
          are not flagged.\n",
};

const ARCHIVES: &[&str] = &[
    ".tar", ".tar.bz2", ".tb2", ".tbz", ".tbz2", ".tar.gz", ".tgz", ".tpz", ".tar.lz", ".tlz", ".tar.xz", ".txz",
    ".tar.Z", ".tZ", ".tar.zst", ".tzst", ".gz", ".bz2", ".xz", ".lz", ".lzma", ".Z", ".zst",
];

/// Is this an `ADD`/`COPY` source fetched over the network?
pub(crate) fn is_url(s: &str) -> bool {
    let s = s.trim_matches(['"', '\'']);
    s.starts_with("https://") || s.starts_with("http://")
}

/// The sources of an `ADD`/`COPY` (every argument but the destination), with their source
/// ranges; heredoc markers are not sources.
pub(crate) fn sources(ins: &Instruction) -> Vec<(String, Range<usize>)> {
    match &ins.form {
        Form::Exec(items) => {
            let whole = ins.source_range(ins.args_start()..ins.logical().len());
            let n = items.len().saturating_sub(1);
            items.iter().take(n).map(|s| (s.clone(), whole.clone())).collect()
        }
        Form::Shell => {
            let words = ins.words();
            let n = words.len().saturating_sub(1);
            words
                .into_iter()
                .take(n)
                .filter(|(_, w)| !w.starts_with("<<"))
                .map(|(r, w)| (w.to_owned(), ins.source_range(r)))
                .collect()
        }
    }
}

pub(super) struct DockerAddInsteadOfCopy;

impl Audit for DockerAddInsteadOfCopy {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for ins in file.instructions().iter().filter(|i| i.keyword == "ADD") {
            let places = sources(ins)
                .into_iter()
                .filter(|(s, _)| {
                    let s = s.trim_matches(['"', '\'']);
                    !is_url(s) && !ARCHIVES.iter().any(|a| s.ends_with(a)) && !s.starts_with("git@")
                })
                .map(|(s, r)| (r, format!("`{s}` is a local path: use COPY")))
                .collect();
            if let Some(draft) = ins.draft_all(Severity::Informational, Confidence::High, places) {
                out.report(draft);
            }
        }
    }
}
