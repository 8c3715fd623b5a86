//! `uses:` references, read as GitHub documents them ("Using pre-written building blocks in
//! your workflow": `{owner}/{repo}[/{path}]@{ref}`, `./path`, `docker://image`).

/// A parsed `uses:` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uses {
    /// `./path` in the same repository (or `$/…`-style self references).
    Local {
        /// The path as written.
        path: String,
    },
    /// `docker://image[:tag][@digest]`.
    Docker(DockerImage),
    /// `owner/repo[/path][@ref]`.
    Repository(RepositoryUses),
}

/// An action or reusable workflow in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryUses {
    /// The owner (user or organisation).
    pub owner: String,
    /// The repository.
    pub repo: String,
    /// A path inside the repository, when given.
    pub subpath: Option<String>,
    /// The ref after `@`, when given.
    pub git_ref: Option<String>,
}

impl RepositoryUses {
    /// Whether the ref is a full 40-hex commit SHA (the only immutable pin GitHub offers).
    pub fn is_commit_pinned(&self) -> bool {
        self.git_ref.as_deref().is_some_and(is_full_sha)
    }

    /// `owner/repo[/path]`, lower-cased for comparisons (GitHub names are case-insensitive).
    pub fn slug(&self) -> String {
        match &self.subpath {
            Some(p) => format!("{}/{}/{}", self.owner, self.repo, p).to_ascii_lowercase(),
            None => format!("{}/{}", self.owner, self.repo).to_ascii_lowercase(),
        }
    }
}

/// A container image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerImage {
    /// The image name, registry included.
    pub name: String,
    /// The tag, when given.
    pub tag: Option<String>,
    /// The digest, when given.
    pub digest: Option<String>,
}

impl DockerImage {
    /// Parses `[registry[:port]/]name[:tag][@digest]`.
    pub fn parse(s: &str) -> Self {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (s, None),
        };
        // A colon after the last slash is a tag; before it, a registry port.
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[slash..].rfind(':') {
            Some(i) => (&rest[..slash + i], Some(rest[slash + i + 1..].to_owned())),
            None => (rest, None),
        };
        DockerImage { name: name.to_owned(), tag, digest }
    }
}

fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Uses {
    /// Parses a `uses:` value; `None` when it is not one of the documented forms.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        // `$/path` is GitHub's self-repository syntax; it is as local as `./path`.
        if s.starts_with("./") || s.starts_with("../") || s == "." || s.starts_with("$/") {
            return Some(Uses::Local { path: s.to_owned() });
        }
        if let Some(image) = s.strip_prefix("docker://") {
            return Some(Uses::Docker(DockerImage::parse(image)));
        }
        let (path, git_ref) = match s.split_once('@') {
            Some((p, r)) => (p, Some(r.to_owned())),
            None => (s, None),
        };
        let mut parts = path.splitn(3, '/');
        let owner = parts.next().filter(|o| !o.is_empty())?;
        let repo = parts.next().filter(|r| !r.is_empty())?;
        // A trailing slash leaves an empty subpath, kept as written: `actions/checkout/@…` is
        // not literally `actions/checkout` (the `obfuscation` audit flags such spellings, and
        // zizmor's matching treats them the same way).
        let subpath = parts.next().map(str::to_owned);
        Some(Uses::Repository(RepositoryUses { owner: owner.to_owned(), repo: repo.to_owned(), subpath, git_ref }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let Some(Uses::Repository(r)) = Uses::parse("actions/checkout@v4") else { panic!() };
        assert_eq!((r.owner.as_str(), r.repo.as_str(), r.git_ref.as_deref()), ("actions", "checkout", Some("v4")));
        assert!(!r.is_commit_pinned());
        let Some(Uses::Repository(r)) =
            Uses::parse("o/r/.github/workflows/x.yml@8f4b7f84864484a7bf31766abe9204da3cbe65b3")
        else {
            panic!()
        };
        assert!(r.is_commit_pinned());
        assert_eq!(r.subpath.as_deref(), Some(".github/workflows/x.yml"));
        assert!(matches!(Uses::parse("./local"), Some(Uses::Local { .. })));
        let Some(Uses::Docker(d)) = Uses::parse("docker://ghcr.io:443/a/b:1.0@sha256:ab") else { panic!() };
        assert_eq!(
            (d.name.as_str(), d.tag.as_deref(), d.digest.as_deref()),
            ("ghcr.io:443/a/b", Some("1.0"), Some("sha256:ab"))
        );
        assert_eq!(DockerImage::parse("localhost:5000/x").tag, None);
        assert!(Uses::parse("nope").is_none());
    }
}
