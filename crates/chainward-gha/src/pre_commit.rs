//! pre-commit configurations (`.pre-commit-config.yaml`), read as pre-commit documents them
//! (<https://pre-commit.com/#pre-commit-configyaml---repos>): a top-level `repos:` list whose
//! entries name a Git remote (`repo:`), the revision to check out (`rev:`) and the hooks to run
//! (`hooks:`). `repo: local` and `repo: meta` name no remote.

use chainward_yaml::{Document, Node, Route};

use crate::ModelError;

/// A pre-commit configuration.
#[derive(Debug, Clone)]
pub struct PreCommitConfig {
    /// The positioned document.
    pub doc: Document,
}

impl PreCommitConfig {
    /// Checks the shape (a mapping with a `repos` list) and wraps the document.
    pub fn new(doc: Document) -> Result<Self, ModelError> {
        if doc.root.as_mapping().is_none() {
            return Err(ModelError::NotAMapping);
        }
        match doc.root.get("repos") {
            None => return Err(ModelError::MissingKey { key: "repos" }),
            Some(r) if r.as_sequence().is_none() => {
                return Err(ModelError::WrongType { route: "repos".into(), expected: "a list of repositories" });
            }
            Some(_) => {}
        }
        Ok(PreCommitConfig { doc })
    }

    /// The `repos:` entries in source order (entries that are not mappings are skipped).
    pub fn repos(&self) -> Vec<PreCommitRepo<'_>> {
        let Some(seq) = self.doc.root.get("repos").and_then(Node::as_sequence) else { return Vec::new() };
        seq.iter()
            .enumerate()
            .filter(|(_, n)| n.as_mapping().is_some())
            .map(|(i, n)| PreCommitRepo { index: i, node: n, route: Route::root().key("repos").index(i) })
            .collect()
    }
}

/// One entry of `repos:`.
#[derive(Debug, Clone)]
pub struct PreCommitRepo<'a> {
    /// Index in the `repos:` list.
    pub index: usize,
    /// The entry's mapping.
    pub node: &'a Node,
    /// `repos[<index>]`.
    pub route: Route,
}

impl<'a> PreCommitRepo<'a> {
    /// The remote: `repo:` unless it is `local` or `meta` (pre-commit's two sentinels).
    pub fn remote(&self) -> Option<RemoteRepo<'a>> {
        let url = self.node.get_str("repo")?.trim();
        if url.is_empty() || url == "local" || url == "meta" {
            return None;
        }
        Some(RemoteRepo { url, rev: self.node.get_str("rev") })
    }

    /// The ids of the hooks this entry enables.
    pub fn hook_ids(&self) -> Vec<&'a str> {
        let Some(hooks) = self.node.get("hooks").and_then(Node::as_sequence) else { return Vec::new() };
        hooks.iter().filter_map(|h| h.get_str("id")).collect()
    }
}

/// A remote repository of a pre-commit config: a Git URL and its revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteRepo<'a> {
    /// The URL as written.
    pub url: &'a str,
    /// `rev:`, when given.
    pub rev: Option<&'a str>,
}

impl<'a> RemoteRepo<'a> {
    /// The URL scheme, lower-cased (`https`, `http`, `git`, `ssh`, `file`); `None` for
    /// scheme-less forms such as scp-like `git@github.com:owner/repo` or a local path.
    pub fn scheme(&self) -> Option<String> {
        let (scheme, _) = self.url.split_once("://")?;
        let valid = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        valid.then(|| scheme.to_ascii_lowercase())
    }

    /// `(owner, repo)` when the URL names a repository on github.com
    /// (`<scheme>://github.com/owner/repo[.git][/]`, or scp-like `git@github.com:owner/repo`).
    pub fn github_slug(&self) -> Option<(&'a str, &'a str)> {
        let path = match self.url.split_once("://") {
            Some((_, rest)) => {
                let (authority, path) = rest.split_once('/')?;
                // `user@host:port`: the host sits between the userinfo and the port.
                let host = authority.rsplit('@').next().unwrap_or(authority);
                let host = host.split(':').next().unwrap_or(host);
                if !host.eq_ignore_ascii_case("github.com") {
                    return None;
                }
                path
            }
            None => {
                let (user_host, path) = self.url.split_once(':')?;
                let host = user_host.rsplit('@').next().unwrap_or(user_host);
                if !host.eq_ignore_ascii_case("github.com") {
                    return None;
                }
                path
            }
        };
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let mut parts = path.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(owner), Some(repo), None) if !owner.is_empty() && !repo.is_empty() => Some((owner, repo)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> RemoteRepo<'_> {
        RemoteRepo { url, rev: None }
    }

    #[test]
    fn urls() {
        assert_eq!(remote("http://github.com/a/b").scheme().as_deref(), Some("http"));
        assert_eq!(remote("GIT://github.com/a/b").scheme().as_deref(), Some("git"));
        assert_eq!(remote("git@github.com:a/b").scheme(), None);
        assert_eq!(remote("https://github.com/a/b").github_slug(), Some(("a", "b")));
        assert_eq!(remote("https://GitHub.com/a/b.git/").github_slug(), Some(("a", "b")));
        assert_eq!(remote("ssh://git@github.com:22/a/b").github_slug(), Some(("a", "b")));
        assert_eq!(remote("git@github.com:a/b.git").github_slug(), Some(("a", "b")));
        assert_eq!(remote("https://gitlab.com/a/b").github_slug(), None);
        assert_eq!(remote("https://github.com/a").github_slug(), None);
        assert_eq!(remote("https://github.com/a/b/c").github_slug(), None);
        assert_eq!(remote("").github_slug(), None);
    }

    #[test]
    fn model() {
        let doc = chainward_yaml::parse(
            b"repos:\n- repo: local\n  hooks: [{id: x}]\n- 3\n- repo: https://github.com/a/b\n  rev: v1\n  hooks:\n  - id: y\n",
            &Default::default(),
        )
        .unwrap();
        let cfg = PreCommitConfig::new(doc).unwrap();
        let repos = cfg.repos();
        assert_eq!(repos.len(), 2);
        assert!(repos[0].remote().is_none());
        assert_eq!(repos[1].remote(), Some(RemoteRepo { url: "https://github.com/a/b", rev: Some("v1") }));
        assert_eq!(repos[1].hook_ids(), ["y"]);
        assert_eq!(repos[1].route.to_string(), "repos[2]");
        let bad = chainward_yaml::parse(b"repos: x\n", &Default::default()).unwrap();
        assert!(PreCommitConfig::new(bad).is_err());
    }
}
