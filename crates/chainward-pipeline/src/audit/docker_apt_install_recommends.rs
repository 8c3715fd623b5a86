//! `docker-apt-install-recommends` (hadolint DL3015): `apt-get install` without
//! `--no-install-recommends`.

use super::docker_unpinned_apt::apt_install;
use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-apt-install-recommends",
    description: "apt install also pulls recommended packages",
    doc: "# docker-apt-install-recommends\n\nFlags `apt-get install` (and `apt install`) without \
          `--no-install-recommends` or `-o APT::Install-Recommends=false` (hadolint DL3015). Recommended packages \
          are installed unasked: more code in the image, more to patch, and none of it named in the \
          Dockerfile.\n",
};

pub(super) struct DockerAptInstallRecommends;

impl Audit for DockerAptInstallRecommends {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        for ins in file.instructions().iter().filter(|i| i.keyword == "RUN") {
            let mut places = Vec::new();
            for script in file.scripts(ins) {
                for cmd in script.pipelines().iter().flat_map(|p| &p.commands) {
                    if apt_install(cmd).is_none()
                        || cmd.has_option(&["no-install-recommends"])
                        || cmd.args().iter().any(|w| w.text.ends_with("APT::Install-Recommends=false"))
                    {
                        continue;
                    }
                    if let Some(r) = cmd.range() {
                        places.push((script.source_range(r), "installs recommended packages too".to_owned()));
                    }
                }
            }
            if let Some(draft) = ins.draft_all(Severity::Informational, Confidence::High, places) {
                out.report(draft);
            }
        }
    }
}
