//! Image references: the Docker/OCI grammar of
//! [distribution/reference](https://github.com/distribution/reference) (`regexp.go`) with the
//! normalisation `docker pull` applies (`normalize.go`, `ParseNormalizedNamed`).
//!
//! ```
//! use chainward_image::Reference;
//!
//! let r = Reference::parse("nginx")?;
//! assert_eq!(r.registry(), "docker.io");
//! assert_eq!(r.repository(), "library/nginx");
//! assert_eq!(r.tag(), None);
//! assert_eq!(r.tag_or_latest(), Some("latest"));
//! assert_eq!(r.to_string(), "docker.io/library/nginx:latest");
//! assert_eq!(r.familiar(), "nginx");
//!
//! let r = Reference::parse("127.0.0.1:5000/alpine:3.20.3")?;
//! assert_eq!((r.registry(), r.repository(), r.tag()), ("127.0.0.1:5000", "alpine", Some("3.20.3")));
//! # Ok::<(), chainward_image::ReferenceError>(())
//! ```
//!
//! The grammar, as `regexp.go` writes it:
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ domain "/" ] path-component [ "/" path-component ]*
//! domain     := host [ ":" port-number ]
//! host       := domain-name | "[" [a-fA-F0-9:]+ "]"
//! domain-name:= domain-component [ "." domain-component ]*
//! domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! port-number:= [0-9]+
//! path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//! tag        := [\w][\w.-]{0,127}
//! digest     := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )* ":" [0-9a-fA-F]{32,}
//! ```
//!
//! Which leading component is the registry is decided the way `splitDockerDomain` decides it,
//! before the grammar is checked: the text up to the first `/` is a registry when it is
//! `localhost`, contains `.` or `:`, or holds an uppercase letter (path components cannot);
//! otherwise the reference lives on Docker Hub (`myuser/app` → `docker.io/myuser/app`), where a
//! single component gets the `library/` namespace (`nginx` → `docker.io/library/nginx`).
//! `index.docker.io` is rewritten to `docker.io`; `registry-1.docker.io` is kept as written,
//! as `normalize.go` does.
//!
//! Two deliberate differences from distribution/reference, both about inputs Docker cannot
//! pull either:
//! - a first component chosen as a registry that is not a valid host (`foo_bar.com/x`) is
//!   rejected ([`ReferenceError::InvalidRegistry`]); Go's regexp backtracks and yields a name
//!   with an empty domain instead.
//! - a digest must satisfy both the reference grammar and [`Digest::parse`]; Go hands the
//!   digest to go-digest, which additionally refuses algorithms it has no implementation for.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chainward_model::{Digest, DigestError};

/// Docker Hub's name in normalised references (`normalize.go` `defaultDomain`).
const DOCKER_HUB: &str = "docker.io";
/// The legacy Docker Hub name that normalisation rewrites to [`DOCKER_HUB`].
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
/// The host that actually serves Docker Hub's registry API.
const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// The namespace of official images on Docker Hub.
const OFFICIAL_NAMESPACE: &str = "library/";
/// The tag `docker pull` uses when none is written.
const DEFAULT_TAG: &str = "latest";
/// `RepositoryNameTotalLengthMax` in `reference.go`; it bounds the path, not the registry.
const MAX_REPOSITORY_LEN: usize = 255;
/// The tag grammar allows one leading character and up to 127 more.
const MAX_TAG_LEN: usize = 128;
/// The reference grammar's digest needs at least this many hex digits.
const MIN_DIGEST_HEX: usize = 32;

/// A parsed, normalised image reference.
///
/// Equality and hashing follow the normalised form that [`Display`](fmt::Display) prints: a
/// reference written without tag or digest equals the same reference with `:latest`, because
/// both name the same image to `docker pull`. [`tag`](Self::tag) still reports the tag as
/// written.
#[derive(Debug, Clone)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not a valid image reference.
///
/// Every variant but [`Empty`](Self::Empty) carries the whole reference as written and the part
/// that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The reference is empty.
    #[error("image reference is empty")]
    Empty,
    /// The reference is 64 lowercase hex digits: an image ID, which Docker refuses as a name.
    #[error(
        "invalid image reference {reference:?}: 64 hexadecimal digits are an image ID, not a \
         repository name"
    )]
    HexIdentifier {
        /// The reference as written.
        reference: String,
    },
    /// The first path component was taken for a registry (it is `localhost`, holds `.`, `:` or
    /// an uppercase letter) but is not a host name, IPv4 address or bracketed IPv6 address with
    /// an optional numeric port.
    #[error(
        "invalid image reference {reference:?}: registry {registry:?} is not a host name or \
         [IPv6] address with an optional numeric port"
    )]
    InvalidRegistry {
        /// The reference as written.
        reference: String,
        /// The registry part.
        registry: String,
    },
    /// The repository path holds an uppercase letter (Docker: "repository name must be
    /// lowercase").
    #[error("invalid image reference {reference:?}: repository name {repository:?} must be lowercase")]
    UppercaseRepository {
        /// The reference as written.
        reference: String,
        /// The normalised repository path (with `library/` when Docker adds it, as Docker
        /// reports it).
        repository: String,
    },
    /// A path component is empty or not `[a-z0-9]+` joined by `.`, `_`, `__` or dashes.
    #[error(
        "invalid image reference {reference:?}: path component {component:?} must be lowercase \
         letters and digits joined by '.', '_', '__' or '-'"
    )]
    InvalidComponent {
        /// The reference as written.
        reference: String,
        /// The offending component (empty for `a//b` or a missing name).
        component: String,
    },
    /// The normalised repository path is longer than 255 characters.
    #[error(
        "invalid image reference {reference:?}: repository name is {len} characters, more than \
         the 255 allowed"
    )]
    NameTooLong {
        /// The reference as written.
        reference: String,
        /// The length of the normalised repository path.
        len: usize,
    },
    /// The tag is not `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error(
        "invalid image reference {reference:?}: tag {tag:?} must be 1 to 128 characters of \
         [A-Za-z0-9_.-], not starting with '.' or '-'"
    )]
    InvalidTag {
        /// The reference as written.
        reference: String,
        /// The tag part.
        tag: String,
    },
    /// The digest is not a valid OCI digest.
    #[error("invalid image reference {reference:?}: digest {digest:?} is invalid")]
    InvalidDigest {
        /// The reference as written.
        reference: String,
        /// The digest part.
        digest: String,
        /// Why the digest is invalid.
        source: DigestError,
    },
    /// The digest is a valid OCI digest but outside the reference grammar, which asks for
    /// algorithm components starting with a letter and at least 32 hex digits.
    #[error(
        "invalid image reference {reference:?}: digest {digest:?} is outside the reference \
         grammar (algorithm components start with a letter; at least 32 hex digits follow ':')"
    )]
    DigestOutsideReferenceGrammar {
        /// The reference as written.
        reference: String,
        /// The digest part.
        digest: String,
    },
}

impl Reference {
    /// Parses and normalises a reference (`nginx` → `docker.io/library/nginx:latest`).
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let reference = || s.to_owned();
        // `ParseNormalizedNamed` refuses what `ParseAnyReference` would read as an image ID.
        if is_hex_identifier(s) {
            return Err(ReferenceError::HexIdentifier { reference: reference() });
        }

        // No part before the digest may hold `@`, so the first one starts it.
        let (name_and_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (s, None),
        };
        // Neither tag nor path components hold `/` or `:`, so a tag is whatever follows the
        // first `:` after the last `/`; a `:` before that belongs to a registry port.
        let last_start = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[last_start..].find(':') {
            Some(i) => {
                let colon = last_start + i;
                (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
            }
            None => (name_and_tag, None),
        };

        let (registry, repository) = split_registry(name);

        // Docker checks case before the grammar, so `Nginx` is "must be lowercase" rather than
        // "invalid reference format".
        if repository.to_lowercase() != repository {
            return Err(ReferenceError::UppercaseRepository { reference: reference(), repository });
        }
        if !is_registry(registry) {
            return Err(ReferenceError::InvalidRegistry { reference: reference(), registry: registry.to_owned() });
        }
        if let Some(bad) = repository.split('/').find(|c| !is_path_component(c)) {
            return Err(ReferenceError::InvalidComponent { reference: reference(), component: bad.to_owned() });
        }
        if repository.len() > MAX_REPOSITORY_LEN {
            return Err(ReferenceError::NameTooLong { reference: reference(), len: repository.len() });
        }
        if let Some(t) = tag
            && !is_tag(t)
        {
            return Err(ReferenceError::InvalidTag { reference: reference(), tag: t.to_owned() });
        }
        let digest = digest.map(|d| parse_digest(s, d)).transpose()?;

        Ok(Self { registry: registry.to_owned(), repository, tag: tag.map(str::to_owned), digest })
    }

    /// The registry host (with port), normalised: `docker.io` for Docker Hub.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path, e.g. `library/nginx`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag as written, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The tag `docker pull` would resolve: the written one, or `latest` when neither tag nor
    /// digest is written (`TagNameOnly`). `None` for a digest-only reference.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some(DEFAULT_TAG),
            (None, Some(_)) => None,
        }
    }

    /// `registry/repository`, without tag or digest (`Named.Name()`), e.g.
    /// `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether the image lives on Docker Hub: `docker.io`, or its API host
    /// `registry-1.docker.io` written out (which normalisation keeps as written).
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB || self.registry == DOCKER_HUB_API
    }

    /// The host (with port) to send registry API requests to: `registry-1.docker.io` for
    /// `docker.io`, the registry itself otherwise.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB { DOCKER_HUB_API } else { &self.registry }
    }

    /// The short form Docker prints (`FamiliarString`): without `docker.io/`, and without
    /// `library/` when one component follows it; the tag as written (no implicit `latest`).
    /// `docker.io/library/nginx` → `nginx`, `docker.io/bitnami/kubectl:1.31` →
    /// `bitnami/kubectl:1.31`, `ghcr.io/a/b@sha256:…` unchanged.
    ///
    /// Unlike Docker, the result always parses back to this reference: `docker.io/` stays when
    /// the first path component would read as a registry (`docker.io/a.b/c`,
    /// `docker.io/localhost/x`), and `library/` stays when the bare name would be 64 hex
    /// digits, which parsing refuses as an image ID.
    pub fn familiar(&self) -> String {
        let mut out = String::new();
        let path = if self.registry == DOCKER_HUB {
            let first = self.repository.split('/').next().unwrap_or_default();
            match self.repository.strip_prefix(OFFICIAL_NAMESPACE) {
                // `library/a/b` keeps its namespace: `a/b` would read back as `docker.io/a/b`.
                Some(rest)
                    if !rest.contains('/')
                        && (self.tag.is_some() || self.digest.is_some() || !is_hex_identifier(rest)) =>
                {
                    rest
                }
                _ if looks_like_registry(first) => {
                    out.push_str(DOCKER_HUB);
                    out.push('/');
                    &self.repository
                }
                _ => &self.repository,
            }
        } else {
            out.push_str(&self.registry);
            out.push('/');
            &self.repository
        };
        out.push_str(path);
        if let Some(t) = &self.tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(&d.to_string());
        }
        out
    }

    /// The same reference pinned to `digest`, keeping the tag (`WithDigest`).
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self { digest: Some(digest), ..self.clone() }
    }

    /// The same reference with `tag`, keeping the digest (`WithTag`).
    pub fn with_tag(&self, tag: &str) -> Result<Self, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::InvalidTag { reference: self.to_string(), tag: tag.to_owned() });
        }
        Ok(Self { tag: Some(tag.to_owned()), ..self.clone() })
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Self) -> bool {
        self.registry == other.registry
            && self.repository == other.repository
            && self.tag_or_latest() == other.tag_or_latest()
            && self.digest == other.digest
    }
}

impl Eq for Reference {}

impl Hash for Reference {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.registry.hash(state);
        self.repository.hash(state);
        // The implicit `latest` counts as written, as in `eq`.
        self.tag_or_latest().hash(state);
        self.digest.hash(state);
    }
}

impl fmt::Display for Reference {
    /// The fully normalised form `docker pull` reports: `docker.io/library/nginx:latest`,
    /// `ghcr.io/a/b:v1@sha256:…`, `quay.io/a/b@sha256:…` (no implicit tag beside a digest).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = self.tag_or_latest() {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Splits a name (no tag, no digest) into registry and normalised repository path, following
/// `splitDockerDomain` in `normalize.go`.
fn split_registry(name: &str) -> (&str, String) {
    let Some((first, rest)) = name.split_once('/') else {
        // A single component is an official image, even `localhost` or `example.com`
        // (normalize.go keeps that FIXME as documented behaviour).
        return (DOCKER_HUB, format!("{OFFICIAL_NAMESPACE}{name}"));
    };
    let (registry, path) = if first == DOCKER_HUB_LEGACY {
        (DOCKER_HUB, rest)
    } else if first == "localhost" || first.contains(['.', ':']) || first.to_lowercase() != first {
        (first, rest)
    } else {
        (DOCKER_HUB, name)
    };
    if registry == DOCKER_HUB && !path.contains('/') {
        (registry, format!("{OFFICIAL_NAMESPACE}{path}"))
    } else {
        (registry, path.to_owned())
    }
}

/// Whether the text before the first `/` names a registry rather than a Docker Hub namespace
/// (`splitDockerDomain`): `localhost`, anything with `.` or `:`, or anything with an uppercase
/// letter, which a path component cannot hold.
fn looks_like_registry(first: &str) -> bool {
    first == "localhost" || first.contains(['.', ':']) || first.to_lowercase() != first
}

/// `anchoredIdentifierRegexp`: 64 lowercase hex digits, an image ID.
fn is_hex_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `domainAndPort`: a host name, IPv4 address or bracketed IPv6 address, then an optional
/// `:port`.
fn is_registry(s: &str) -> bool {
    let (host_ok, port) = if let Some(inner_and_rest) = s.strip_prefix('[') {
        // Only hex digits and colons: no zone identifiers (RFC 6874), no embedded IPv4.
        let Some((inner, rest)) = inner_and_rest.split_once(']') else {
            return false;
        };
        let ok = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        let port = match rest {
            "" => None,
            _ => match rest.strip_prefix(':') {
                Some(p) => Some(p),
                None => return false,
            },
        };
        (ok, port)
    } else {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        (host.split('.').all(is_domain_component), port)
    };
    host_ok && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `domainNameComponent`: `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(c: &str) -> bool {
    let b = c.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
        }
        _ => false,
    }
}

/// `pathComponent`: `[a-z0-9]+` runs joined by exactly one separator, which is `.`, `_`, `__`
/// or any number of `-`.
fn is_path_component(c: &str) -> bool {
    let mut bytes = c.bytes().peekable();
    loop {
        // An alphanumeric run, at least one character.
        let mut run = 0;
        while bytes.next_if(|b| b.is_ascii_lowercase() || b.is_ascii_digit()).is_some() {
            run += 1;
        }
        if run == 0 {
            return false;
        }
        // Then the end, or one separator followed by another run.
        let Some(sep) = bytes.next() else {
            return true;
        };
        match sep {
            b'.' => {}
            b'_' => {
                bytes.next_if_eq(&b'_');
            }
            b'-' => while bytes.next_if_eq(&b'-').is_some() {},
            _ => return false,
        }
    }
}

/// `tag`: `[\w][\w.-]{0,127}`, where `\w` is ASCII `[0-9A-Za-z_]` in Go's RE2.
fn is_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match t.as_bytes().split_first() {
        Some((first, rest)) => {
            t.len() <= MAX_TAG_LEN && word(*first) && rest.iter().all(|&b| word(b) || b == b'.' || b == b'-')
        }
        None => false,
    }
}

/// Validates a digest with [`Digest::parse`] (the OCI rules, sha256 as 64 lowercase hex), then
/// against the narrower `digestPat` of the reference grammar.
fn parse_digest(reference: &str, d: &str) -> Result<Digest, ReferenceError> {
    let digest = Digest::parse(d).map_err(|source| ReferenceError::InvalidDigest {
        reference: reference.to_owned(),
        digest: d.to_owned(),
        source,
    })?;
    let algorithm_ok = digest
        .algorithm()
        .split(['-', '_', '+', '.'])
        .all(|c| c.as_bytes().first().is_some_and(u8::is_ascii_alphabetic));
    let encoded_ok = digest.hex().len() >= MIN_DIGEST_HEX && digest.hex().bytes().all(|b| b.is_ascii_hexdigit());
    if algorithm_ok && encoded_ok {
        Ok(digest)
    } else {
        Err(ReferenceError::DigestOutsideReferenceGrammar { reference: reference.to_owned(), digest: d.to_owned() })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    const SHA: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    const SHA_B: &str = "sha256:64507d6bcdd71fd4dea0848ec91a550f804c5d7661eeb639826dc4a66f7da74c";

    fn digest(s: &str) -> Digest {
        Digest::parse(s).unwrap()
    }

    /// input, registry, repository, tag as written, digest, Display, familiar.
    type ValidCase<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str, &'a str);

    #[test]
    fn valid_references() {
        let sha_ref = |s: &str| s.replace("{SHA}", SHA);
        #[rustfmt::skip]
        let cases: &[ValidCase<'_>] = &[
            // Docker Hub normalisation (normalize.go).
            ("nginx", "docker.io", "library/nginx", None, None, "docker.io/library/nginx:latest", "nginx"),
            ("nginx:1.27.3", "docker.io", "library/nginx", Some("1.27.3"), None, "docker.io/library/nginx:1.27.3", "nginx:1.27.3"),
            ("library/redis:7.4", "docker.io", "library/redis", Some("7.4"), None, "docker.io/library/redis:7.4", "redis:7.4"),
            ("docker.io/nginx", "docker.io", "library/nginx", None, None, "docker.io/library/nginx:latest", "nginx"),
            ("docker.io/library/alpine:3.21", "docker.io", "library/alpine", Some("3.21"), None, "docker.io/library/alpine:3.21", "alpine:3.21"),
            ("index.docker.io/nginx", "docker.io", "library/nginx", None, None, "docker.io/library/nginx:latest", "nginx"),
            ("index.docker.io/bitnami/kubectl:1.31", "docker.io", "bitnami/kubectl", Some("1.31"), None, "docker.io/bitnami/kubectl:1.31", "bitnami/kubectl:1.31"),
            ("myuser/app", "docker.io", "myuser/app", None, None, "docker.io/myuser/app:latest", "myuser/app"),
            ("library/foo/bar", "docker.io", "library/foo/bar", None, None, "docker.io/library/foo/bar:latest", "library/foo/bar"),
            ("docker.io/library/foo/bar", "docker.io", "library/foo/bar", None, None, "docker.io/library/foo/bar:latest", "library/foo/bar"),
            // registry-1.docker.io is not rewritten, and gets no library/ (normalize.go).
            ("registry-1.docker.io/nginx", "registry-1.docker.io", "nginx", None, None, "registry-1.docker.io/nginx:latest", "registry-1.docker.io/nginx"),
            // The first component is a registry only with `.`, `:`, `localhost` or uppercase.
            ("localhost/foo", "localhost", "foo", None, None, "localhost/foo:latest", "localhost/foo"),
            ("localhost:5000/dev/tool", "localhost:5000", "dev/tool", None, None, "localhost:5000/dev/tool:latest", "localhost:5000/dev/tool"),
            ("LOCALDOMAIN/debian", "LOCALDOMAIN", "debian", None, None, "LOCALDOMAIN/debian:latest", "LOCALDOMAIN/debian"),
            ("Foo/bar", "Foo", "bar", None, None, "Foo/bar:latest", "Foo/bar"),
            ("test:5000/repo", "test:5000", "repo", None, None, "test:5000/repo:latest", "test:5000/repo"),
            ("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", Some("8080"), None, "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080"),
            // Port vs tag: without a `/`, `:x` is always a tag (even `localhost:5000`).
            ("localhost:5000", "docker.io", "library/localhost", Some("5000"), None, "docker.io/library/localhost:5000", "localhost:5000"),
            ("foo:tag", "docker.io", "library/foo", Some("tag"), None, "docker.io/library/foo:tag", "foo:tag"),
            ("test.com:5000", "docker.io", "library/test.com", Some("5000"), None, "docker.io/library/test.com:5000", "test.com:5000"),
            ("192.168.1.1", "docker.io", "library/192.168.1.1", None, None, "docker.io/library/192.168.1.1:latest", "192.168.1.1"),
            ("192.168.0.1:80", "docker.io", "library/192.168.0.1", Some("80"), None, "docker.io/library/192.168.0.1:80", "192.168.0.1:80"),
            ("127.0.0.1:5000/alpine:3.20.3", "127.0.0.1:5000", "alpine", Some("3.20.3"), None, "127.0.0.1:5000/alpine:3.20.3", "127.0.0.1:5000/alpine:3.20.3"),
            ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", Some("5050"), None, "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050"),
            // IPv6 hosts in brackets, with and without port.
            ("[::1]:5000/x", "[::1]:5000", "x", None, None, "[::1]:5000/x:latest", "[::1]:5000/x"),
            ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None, "[2001:db8::1]/repo:latest", "[2001:db8::1]/repo"),
            ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", Some("tag"), None, "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag"),
            ("[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", None, None, "[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000/docker/docker"),
            // Tag + digest (both kept), digest only (no implicit latest).
            ("a/b:c@{SHA}", "docker.io", "a/b", Some("c"), Some(SHA), "docker.io/a/b:c@{SHA}", "a/b:c@{SHA}"),
            ("busybox:latest@{SHA}", "docker.io", "library/busybox", Some("latest"), Some(SHA), "docker.io/library/busybox:latest@{SHA}", "busybox:latest@{SHA}"),
            ("nginx@{SHA}", "docker.io", "library/nginx", None, Some(SHA), "docker.io/library/nginx@{SHA}", "nginx@{SHA}"),
            ("[2001:db8::1]:5000/repo:tag@{SHA}", "[2001:db8::1]:5000", "repo", Some("tag"), Some(SHA), "[2001:db8::1]:5000/repo:tag@{SHA}", "[2001:db8::1]:5000/repo:tag@{SHA}"),
            // Path and domain grammar corners (reference_test.go).
            ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", Some("some-long-tag"), None, "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag"),
            ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", Some("test.example.com"), None, "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com"),
            ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", Some("xn--n3h.com"), None, "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"),
            ("docker---rules/dock__er", "docker.io", "docker---rules/dock__er", None, None, "docker.io/docker---rules/dock__er:latest", "docker---rules/dock__er"),
            ("d/t", "docker.io", "d/t", None, None, "docker.io/d/t:latest", "d/t"),
            ("lowercase:Uppercase", "docker.io", "library/lowercase", Some("Uppercase"), None, "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"),
            ("nginx:_x-1.2", "docker.io", "library/nginx", Some("_x-1.2"), None, "docker.io/library/nginx:_x-1.2", "nginx:_x-1.2"),
            // 64 hex digits are a name once a registry is written.
            ("docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker.io", "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", None, None, "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest", "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"),
            ("docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:v1", "docker.io", "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", Some("v1"), None, "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:v1", "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:v1"),
            // Docker Hub namespaces that would read as registries keep `docker.io/` when short.
            ("docker.io/a.b/c", "docker.io", "a.b/c", None, None, "docker.io/a.b/c:latest", "docker.io/a.b/c"),
            ("docker.io/localhost/x:1", "docker.io", "localhost/x", Some("1"), None, "docker.io/localhost/x:1", "docker.io/localhost/x:1"),
            ("docker.io/library/a.b", "docker.io", "library/a.b", None, None, "docker.io/library/a.b:latest", "a.b"),
        ];
        for &(input, registry, repository, tag, dgst, display, familiar) in cases {
            let input = sha_ref(input);
            let r = Reference::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.registry(), registry, "{input}");
            assert_eq!(r.repository(), repository, "{input}");
            assert_eq!(r.tag(), tag, "{input}");
            assert_eq!(r.digest(), dgst.map(digest).as_ref(), "{input}");
            assert_eq!(r.to_string(), sha_ref(display), "{input}");
            assert_eq!(r.familiar(), sha_ref(familiar), "{input}");
            assert_round_trips(&r);
        }
    }

    fn assert_round_trips(r: &Reference) {
        let shown = r.to_string();
        let again = Reference::parse(&shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(&again, r, "{shown}");
        assert_eq!(again.to_string(), shown);
        let familiar = r.familiar();
        let again = Reference::parse(&familiar).unwrap_or_else(|e| panic!("{familiar}: {e}"));
        assert_eq!(&again, r, "{familiar}");
    }

    /// The variant name and offending part of an error, for the tables.
    fn kind(e: &ReferenceError) -> (&'static str, String) {
        match e {
            ReferenceError::Empty => ("Empty", String::new()),
            ReferenceError::HexIdentifier { .. } => ("HexIdentifier", String::new()),
            ReferenceError::InvalidRegistry { registry, .. } => ("InvalidRegistry", registry.clone()),
            ReferenceError::UppercaseRepository { repository, .. } => ("UppercaseRepository", repository.clone()),
            ReferenceError::InvalidComponent { component, .. } => ("InvalidComponent", component.clone()),
            ReferenceError::NameTooLong { len, .. } => ("NameTooLong", len.to_string()),
            ReferenceError::InvalidTag { tag, .. } => ("InvalidTag", tag.clone()),
            ReferenceError::InvalidDigest { digest, .. } => ("InvalidDigest", digest.clone()),
            ReferenceError::DigestOutsideReferenceGrammar { digest, .. } => {
                ("DigestOutsideReferenceGrammar", digest.clone())
            }
        }
    }

    #[test]
    fn invalid_references() {
        let sha_upper = SHA.to_uppercase();
        let long_tag = "t".repeat(129);
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            ("", "Empty", ""),
            ("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "HexIdentifier", ""),
            // Docker's "repository name must be lowercase", with `library/` as Docker reports it.
            ("Uppercase:tag", "UppercaseRepository", "library/Uppercase"),
            ("docker/Docker", "UppercaseRepository", "docker/Docker"),
            ("docker.io/docker/Docker", "UppercaseRepository", "docker/Docker"),
            ("docker.io/Nginx", "UppercaseRepository", "library/Nginx"),
            ("test:5000/Uppercase/lowercase:tag", "UppercaseRepository", "Uppercase/lowercase"),
            // Path components, including the empty ones of a missing name.
            (":justtag", "InvalidComponent", ""),
            ("@{SHA}", "InvalidComponent", ""),
            ("docker/", "InvalidComponent", ""),
            ("docker///docker", "InvalidComponent", ""),
            ("-docker", "InvalidComponent", "-docker"),
            ("-docker/docker", "InvalidComponent", "-docker"),
            ("docker-/docker", "InvalidComponent", "docker-"),
            ("____/____", "InvalidComponent", "____"),
            ("_docker/_docker", "InvalidComponent", "_docker"),
            ("docker/dock..er", "InvalidComponent", "dock..er"),
            ("docker/dock_.er", "InvalidComponent", "dock_.er"),
            ("docker/dock-.er", "InvalidComponent", "dock-.er"),
            ("dock___er/docker", "InvalidComponent", "dock___er"),
            ("aa/asdf$$^/aa", "InvalidComponent", "asdf$$^"),
            (" nginx", "InvalidComponent", " nginx"),
            ("nginx ", "InvalidComponent", "nginx "),
            ("ngïnx", "InvalidComponent", "ngïnx"),
            // Bracketed IPv6 without a path is a (bad) Docker Hub name: `:` starts the tag.
            ("[2001:db8::1]", "InvalidComponent", "[2001"),
            ("[2001:db8::1]:5000", "InvalidComponent", "[2001"),
            ("[fc00::1]", "InvalidComponent", "[fc00"),
            // First components taken for registries that are not hosts.
            ("https://github.com/docker/docker", "InvalidRegistry", "https:"),
            ("-docker.io/docker/docker", "InvalidRegistry", "-docker.io"),
            ("fc00::1:5000/debian", "InvalidRegistry", "fc00::1:5000"),
            ("[fe80::1%eth0]:5000/debian", "InvalidRegistry", "[fe80::1%eth0]:5000"),
            ("[2001:db8:3:4::192.0.2.33]:5000/debian", "InvalidRegistry", "[2001:db8:3:4::192.0.2.33]:5000"),
            ("[::1]x/repo", "InvalidRegistry", "[::1]x"),
            ("[]/repo", "InvalidComponent", "[]"),
            ("[::1/repo", "InvalidRegistry", "[::1"),
            ("host:/repo", "InvalidRegistry", "host:"),
            ("host:50a/repo", "InvalidRegistry", "host:50a"),
            ("foo_bar.com/x", "InvalidRegistry", "foo_bar.com"),
            ("foo..com/x", "InvalidRegistry", "foo..com"),
            // A `.` makes the first component a registry, so these are bad hosts, not bad paths.
            ("dock..er/docker", "InvalidRegistry", "dock..er"),
            ("dock_.er/docker", "InvalidRegistry", "dock_.er"),
            ("dock-.er/docker", "InvalidRegistry", "dock-.er"),
            ("nginx:1.0/foo", "InvalidRegistry", "nginx:1.0"),
            // Tags.
            ("nginx:", "InvalidTag", ""),
            ("nginx:-foo", "InvalidTag", "-foo"),
            ("nginx:.foo", "InvalidTag", ".foo"),
            ("nginx:a:b", "InvalidTag", "a:b"),
            ("nginx:a+b", "InvalidTag", "a+b"),
            ("nginx:{LONG_TAG}", "InvalidTag", "{LONG_TAG}"),
            ("nginx::tag@{SHA}", "InvalidTag", ":tag"),
            // Digests: Digest::parse rejects these...
            ("nginx@", "InvalidDigest", ""),
            ("nginx@sha256", "InvalidDigest", "sha256"),
            ("repo@sha256:ffffffffffffffffffffffffffffffffff", "InvalidDigest", "sha256:ffffffffffffffffffffffffffffffffff"),
            ("repo@{SHA_UPPER}", "InvalidDigest", "{SHA_UPPER}"),
            ("repo@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "InvalidDigest", "sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
            ("repo@{SHA}@{SHA}", "InvalidDigest", "{SHA}@{SHA}"),
            // ...and the reference grammar these (valid OCI digests, but short, not hex, or
            // with an algorithm component starting with a digit).
            ("repo@foo:abc", "DigestOutsideReferenceGrammar", "foo:abc"),
            ("repo@foo:ffffffffffffffffffffffffffffffff-", "DigestOutsideReferenceGrammar", "foo:ffffffffffffffffffffffffffffffff-"),
            ("repo@sha3.256:ffffffffffffffffffffffffffffffff", "DigestOutsideReferenceGrammar", "sha3.256:ffffffffffffffffffffffffffffffff"),
        ];
        let fill =
            |s: &str| s.replace("{SHA_UPPER}", &sha_upper).replace("{SHA}", SHA).replace("{LONG_TAG}", &long_tag);
        for &(input, variant, part) in cases {
            let input = fill(input);
            let err = Reference::parse(&input).expect_err(&input);
            assert_eq!(kind(&err), (variant, fill(part)), "{input}: {err}");
        }
    }

    #[test]
    fn name_length_limit_counts_the_normalised_path() {
        // 255 is allowed (reference_test.go), 256 is not, and the registry does not count.
        let ok = format!("example.com/{}:tag", "a".repeat(255));
        assert_eq!(Reference::parse(&ok).unwrap().repository().len(), 255);
        let long = format!("example.com/{}", "a".repeat(256));
        let too_long = ("NameTooLong", "256".to_owned());
        assert_eq!(kind(&Reference::parse(&long).unwrap_err()), too_long);
        // `library/` counts: 247 + 8 = 255 fits, 248 + 8 does not.
        assert!(Reference::parse(&"a".repeat(247)).is_ok());
        assert_eq!(kind(&Reference::parse(&"a".repeat(248)).unwrap_err()), too_long);
        let deep = format!("{}a:tag-puts-this-over-max", "a/".repeat(127));
        assert_eq!(Reference::parse(&deep).unwrap().repository().len(), 255);
    }

    #[test]
    fn tag_length_limit() {
        let tag = format!("_{}", "x".repeat(127));
        let r = Reference::parse(&format!("nginx:{tag}")).unwrap();
        assert_eq!(r.tag(), Some(tag.as_str()));
    }

    #[test]
    fn other_digest_algorithms_follow_the_oci_grammar() {
        let d = format!("sha512:{}", "a".repeat(128));
        let r = Reference::parse(&format!("repo@{d}")).unwrap();
        assert_eq!(r.digest().unwrap().algorithm(), "sha512");
        let d = "multihash+base58:ffffffffffffffffffffffffffffffffff";
        let r = Reference::parse(&format!("repo@{d}")).unwrap();
        assert_eq!(r.digest().unwrap().to_string(), d);
        assert_round_trips(&r);
    }

    #[test]
    fn errors_name_the_reference_and_the_part() {
        let msg = Reference::parse("docker/Docker").unwrap_err().to_string();
        assert!(msg.contains("\"docker/Docker\"") && msg.contains("must be lowercase"), "{msg}");
        let msg = Reference::parse("nginx:-x").unwrap_err().to_string();
        assert!(msg.contains("\"nginx:-x\"") && msg.contains("tag \"-x\""), "{msg}");
        let err = Reference::parse("nginx@sha256:abc").unwrap_err();
        assert!(err.to_string().contains("digest \"sha256:abc\""), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn implicit_latest_equals_explicit_latest() {
        let implicit = Reference::parse("nginx").unwrap();
        let explicit = Reference::parse("docker.io/library/nginx:latest").unwrap();
        assert_eq!(implicit, explicit);
        assert_eq!(implicit.tag(), None);
        assert_eq!(explicit.tag(), Some("latest"));
        let state = std::collections::hash_map::RandomState::new();
        assert_eq!(state.hash_one(&implicit), state.hash_one(&explicit));
        // A digest-only reference has no implicit tag, so it differs from tag + digest.
        let digest_only = Reference::parse(&format!("nginx@{SHA}")).unwrap();
        let both = Reference::parse(&format!("nginx:latest@{SHA}")).unwrap();
        assert_ne!(digest_only, both);
        assert_eq!(digest_only.tag_or_latest(), None);
        assert_eq!(implicit.tag_or_latest(), Some("latest"));
        assert_ne!(implicit, Reference::parse("nginx:1").unwrap());
    }

    #[test]
    fn docker_hub_helpers() {
        let hub = Reference::parse("nginx").unwrap();
        assert!(hub.is_docker_hub());
        assert_eq!(hub.api_host(), "registry-1.docker.io");
        assert_eq!(hub.name(), "docker.io/library/nginx");
        let api = Reference::parse("registry-1.docker.io/library/nginx").unwrap();
        assert!(api.is_docker_hub());
        assert_eq!(api.api_host(), "registry-1.docker.io");
        let ghcr = Reference::parse("ghcr.io/a/b:1").unwrap();
        assert!(!ghcr.is_docker_hub());
        assert_eq!(ghcr.api_host(), "ghcr.io");
        assert_eq!(ghcr.name(), "ghcr.io/a/b");
    }

    #[test]
    fn with_tag_and_digest() {
        let r = Reference::parse("ghcr.io/a/b:v1").unwrap();
        let pinned = r.with_digest(digest(SHA_B));
        assert_eq!(pinned.tag(), Some("v1"));
        assert_eq!(pinned.to_string(), format!("ghcr.io/a/b:v1@{SHA_B}"));
        let retagged = pinned.with_tag("v2").unwrap();
        assert_eq!(retagged.to_string(), format!("ghcr.io/a/b:v2@{SHA_B}"));
        let err = r.with_tag("-bad").unwrap_err();
        assert_eq!(kind(&err), ("InvalidTag", "-bad".to_owned()));
        assert_round_trips(&retagged);
    }

    #[test]
    fn from_str_and_serde() {
        let r: Reference = "alpine:3.21".parse().unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"docker.io/library/alpine:3.21\"");
        let back: Reference = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        let err = serde_json::from_str::<Reference>("\"Alpine\"").unwrap_err();
        assert!(err.to_string().contains("must be lowercase"), "{err}");
    }

    /// Every combination of a few registries, paths, tags and digests parses, prints and
    /// reads back as itself, and so does its familiar form: the invariant the fuzz target
    /// checks on arbitrary input.
    #[test]
    fn generated_round_trips() {
        let registries = [
            "",
            "docker.io/",
            "index.docker.io/",
            "localhost/",
            "localhost:5000/",
            "Foo/",
            "a.b-c.d:1/",
            "[::1]/",
            "[fc00:1::2]:443/",
            "registry-1.docker.io/",
        ];
        let paths = ["x", "library/x", "a/b", "a-b/c__d/e.f", "0/1/2/3", "library/a/b", "a.b/c", "localhost/x"];
        let tags = ["", ":latest", ":V1.2_x-y", ":0"];
        let digests = ["".to_owned(), format!("@{SHA}"), format!("@sha512:{}", "0".repeat(128))];
        let mut n = 0;
        for reg in registries {
            for path in paths {
                for tag in tags {
                    for d in &digests {
                        let input = format!("{reg}{path}{tag}{d}");
                        let r = Reference::parse(&input).unwrap_or_else(|e| panic!("{e}"));
                        assert_round_trips(&r);
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 960);
    }

    #[test]
    fn path_component_grammar() {
        for ok in ["a", "0", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b_c__d-e", "192.168.0.1"] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in ["", ".", "a.", ".a", "a..b", "a___b", "a_-b", "a-.b", "A", "a/b", "a:b"] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }

    #[test]
    fn registry_grammar() {
        for ok in ["a", "A-1.b", "localhost:0", "1.2.3.4:65536", "[::]", "[::1]:1", "xn--n3h.com"] {
            assert!(is_registry(ok), "{ok}");
        }
        for bad in ["", ".", "a.", "-a", "a-", "a_b", "a:", "a:b", "a:1:2", "[]", "[g::]", "[::1]:", "[::1]]"] {
            assert!(!is_registry(bad), "{bad}");
        }
    }
}
