//! `remote-add-without-checksum` (chainward; no hadolint rule): `ADD https://…` without
//! `--checksum`, so whatever the server sends goes into the image.

use super::docker_add_instead_of_copy::{is_url, sources};
use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "remote-add-without-checksum",
    description: "ADD of a URL without --checksum",
    doc: "# remote-add-without-checksum\n\nFlags `ADD https://…` without `--checksum=sha256:…` (Dockerfile syntax 1.6+). \
          The download is not verified: a compromised server, a moved release asset or a proxy decides what \
          goes into the image. Hadolint has no such rule (its DL3020 exempts URLs). Add the expected digest: \
          `ADD --checksum=sha256:<hex> https://… /dest`. A Git URL whose ref is a full commit id \
          (`…git#<40 hex>`) is already fixed and is not flagged.\n",
};

pub(super) struct RemoteAddWithoutChecksum;

fn pinned_git(url: &str) -> bool {
    url.rsplit_once('#').is_some_and(|(_, r)| {
        let r = r.split(':').next().unwrap_or(r);
        r.len() >= 40 && r.bytes().all(|c| c.is_ascii_hexdigit())
    })
}

impl Audit for RemoteAddWithoutChecksum {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for ins in file.instructions().iter().filter(|i| i.keyword == "ADD") {
            if ins.flag("checksum").is_some_and(|f| f.value.as_deref().is_some_and(|v| !v.is_empty())) {
                continue;
            }
            let places = sources(ins)
                .into_iter()
                .filter(|(s, _)| is_url(s) && !pinned_git(s))
                .map(|(s, r)| (r, format!("`{}` is downloaded without a checksum", s.trim_matches(['"', '\'']))))
                .collect();
            if let Some(draft) = ins.draft_all(Severity::Medium, Confidence::High, places) {
                out.report(draft);
            }
        }
    }
}
