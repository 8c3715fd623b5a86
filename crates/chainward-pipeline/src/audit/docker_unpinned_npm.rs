//! `docker-unpinned-npm` (hadolint DL3016): `npm install pkg` without `@version`.

use super::{Audit, AuditInfo};
use crate::dockerfile::Dockerfile;
use crate::finding::{Confidence, Severity, Sink};

static INFO: AuditInfo = AuditInfo {
    id: "docker-unpinned-npm",
    description: "npm package installed without a pinned version",
    doc: "# docker-unpinned-npm\n\nFlags `RUN npm install pkg` (and `npm i`, `npm add`) where a package has no \
          `@version` (hadolint DL3016). npm then takes the newest release, which is how several hijacked \
          packages reached builds within hours. Write `pkg@1.2.3`; for project dependencies use `npm ci` with a \
          lockfile. Not flagged: `npm install` and `npm ci` without package names, local folders and tarballs, \
          and git URLs with a `#ref`.\n",
};

const NPM_VALUED: &[&str] = &["loglevel", "registry", "prefix", "cache", "userconfig", "w", "workspace"];
const GIT_PREFIXES: &[&str] =
    &["git://", "git+ssh://", "git+http://", "git+https://", "github:", "gitlab:", "bitbucket:"];
const TARBALLS: &[&str] = &[".tar", ".tar.gz", ".tgz"];
const PATHS: &[&str] = &[".", "/", "~", "file:"];

fn pinned(p: &str) -> bool {
    if GIT_PREFIXES.iter().any(|g| p.starts_with(g)) {
        return p.contains('#');
    }
    if TARBALLS.iter().any(|t| p.ends_with(t)) || PATHS.iter().any(|x| p.starts_with(x)) {
        return true;
    }
    // `@scope/name` is a name; the version comes after a second `@`.
    let unscoped = if p.starts_with('@') { p.split_once('/').map_or("", |(_, n)| n) } else { p };
    unscoped.contains('@')
}

pub(super) struct DockerUnpinnedNpm;

impl Audit for DockerUnpinnedNpm {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn dockerfile(&self, file: &Dockerfile, out: &mut Sink<'_>) {
        file.report_per_run(Severity::Low, Confidence::High, out, |script, cmd, places| {
            if cmd.program() != Some("npm") {
                return;
            }
            let Some((sub, w)) = cmd.subcommand(NPM_VALUED) else { return };
            if !matches!(w.text.as_str(), "install" | "i" | "add" | "isntall" | "in") {
                return;
            }
            for (_, w) in cmd.operands_from(sub + 1, NPM_VALUED) {
                if !pinned(&w.text) {
                    let note = format!("`{}` has no @version", w.text);
                    places.push((script.source_range(w.range.clone()), note));
                }
            }
        });
    }
}
