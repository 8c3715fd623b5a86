//! `insecure-url-scheme`: URLs fetched over a plaintext transport. For now, as in zizmor, only
//! the `repo:` URLs of pre-commit configs: pre-commit clones them and runs the hooks inside, so
//! anyone on the network path can substitute the code. High severity, high confidence.

use chainward_gha::PreCommitConfig;

use super::{Audit, AuditInfo};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "insecure-url-scheme",
    description: "use of an insecure scheme within a URL",
    doc: "# insecure-url-scheme\n\nFlags URLs whose scheme is a plaintext transport, currently the `repo:` \
          URLs of pre-commit configs (`.pre-commit-config.yaml`). Without transport security, whoever sits \
          on the network path can serve a different repository, whose hooks pre-commit then runs.\n\n\
          | Insecure | Use instead |\n|---|---|\n| `http://` | `https://` |\n| `git://` (Git's legacy \
          unauthenticated protocol) | `https://` or `ssh://` |\n",
};

/// Schemes that carry no transport security: HTTP, and Git's legacy `git://` protocol (GitHub
/// dropped it in 2022, but pre-commit accepts any Git URL).
const INSECURE: &[&str] = &["http", "git"];

pub(super) struct InsecureUrlScheme;

impl Audit for InsecureUrlScheme {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn pre_commit(&self, config: &PreCommitConfig, out: &mut Sink<'_>) {
        for repo in config.repos() {
            let Some(remote) = repo.remote() else { continue };
            let Some(scheme) = remote.scheme() else { continue };
            if INSECURE.contains(&scheme.as_str()) {
                let primary = Spot::new(
                    repo.route.key("repo"),
                    Focus::Text(remote.url.to_owned()),
                    format!("repository URL uses an insecure scheme: {scheme:?}"),
                );
                out.report(Draft::new(Severity::High, Confidence::High, primary));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{Config, Filter, audit, load};

    fn lines(name: &str, yaml: &str) -> Vec<usize> {
        let input = load(name, Path::new(name), yaml.as_bytes(), &Default::default()).unwrap();
        let report = audit(&[input], &Config::default(), &Filter::default());
        report.findings.iter().filter(|f| f.id == "insecure-url-scheme").map(|f| f.primary.line).collect()
    }

    #[test]
    fn flags_http_and_git() {
        let pc = "repos:\n- repo: HTTP://example.com/hooks\n  rev: v1\n  hooks: [{id: a}]\n";
        assert_eq!(lines(".pre-commit-config.yaml", pc), [2]);
    }

    #[test]
    fn negatives() {
        let pc = "repos:\n- repo: https://github.com/a/b\n  rev: v1\n  hooks: [{id: a}]\n\
                  - repo: ssh://git@github.com/a/b\n  rev: v1\n  hooks: [{id: a}]\n\
                  - repo: git@github.com:a/b\n  rev: v1\n  hooks: [{id: a}]\n\
                  - repo: local\n  hooks: [{id: a, name: http://x, entry: x, language: system}]\n\
                  - repo: meta\n  hooks: [{id: check-hooks-apply}]\n";
        assert!(lines(".pre-commit-config.yaml", pc).is_empty());
        // Workflows are out of scope for now (as in zizmor).
        let wf =
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: curl http://example.com\n";
        assert!(lines(".github/workflows/ci.yml", wf).is_empty());
    }
}
