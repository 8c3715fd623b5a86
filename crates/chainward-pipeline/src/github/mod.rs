//! A small, blocking client for the parts of GitHub's REST API that the online audits need
//! (the `online` feature): tags, branches, annotated-tag peeling, commit comparison and the
//! global security advisories of the `actions` ecosystem.
//!
//! - The base URL is configurable (`https://api.github.com` by default; GitHub Enterprise
//!   Server uses `https://HOST/api/v3`; tests point it at a loopback server), and redirects
//!   are followed only within it, so no request leaves the configured host.
//! - The token is sent as `Authorization: Bearer`, with the documented `Accept` and
//!   `X-GitHub-Api-Version: 2022-11-28` headers.
//! - Every answer (and every error) is kept for the run, keyed by URL: each (repository,
//!   ref) is asked once however many steps use it. A rate limit stops all later requests.
//! - Bodies are bounded ([`ClientOptions::max_body`]), requests time out, and every error
//!   names the endpoint: the HTTP status and GitHub's message, the rate-limit reset time, or
//!   the JSON field that was missing or of the wrong type.
//!
//! Endpoints (GitHub REST API, version 2022-11-28):
//! `GET /repos/{owner}/{repo}/tags`, `GET /repos/{owner}/{repo}/branches` (paged, 100 a
//! page), `GET /repos/{owner}/{repo}/git/tags/{tag_sha}`,
//! `GET /repos/{owner}/{repo}/compare/{base}...{head}`,
//! `GET /advisories?ecosystem=actions&affects={owner}/{repo}@{version}`.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

mod error;
mod pin;

pub use error::GitHubError;
pub use pin::add_pin_fixes;

/// The public GitHub API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Items per page for list endpoints (GitHub's maximum).
const PER_PAGE: usize = 100;

/// A GitHub token: never printed.
#[derive(Clone)]
pub struct GitHubToken(String);

impl GitHubToken {
    /// A token; `None` when it is empty or blank.
    pub fn new(token: &str) -> Option<Self> {
        let t = token.trim();
        (!t.is_empty()).then(|| GitHubToken(t.to_owned()))
    }
}

impl std::fmt::Debug for GitHubToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GitHubToken(***)")
    }
}

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The API base URL, without a trailing slash.
    pub api_url: String,
    /// Per-request timeout (connect, send and read the whole answer).
    pub timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_body: usize,
    /// Most pages read from a list endpoint (100 items each).
    pub max_pages: usize,
    /// Most annotated-tag hops followed when peeling a tag to its commit.
    pub max_tag_depth: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            api_url: DEFAULT_API_URL.to_owned(),
            timeout: Duration::from_secs(30),
            max_body: 16 << 20,
            max_pages: 50,
            max_tag_depth: 16,
        }
    }
}

/// A repository on GitHub: owner and name (case-insensitive there; kept as written).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug {
    /// The owner.
    pub owner: String,
    /// The repository.
    pub repo: String,
}

impl Slug {
    /// A slug; `None` unless both parts use only the characters GitHub allows in owner and
    /// repository names (letters, digits, `-`, `_`, `.`), so a `uses:` can never smuggle a
    /// path or query into a request.
    pub fn new(owner: &str, repo: &str) -> Option<Self> {
        let ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        (ok(owner) && ok(repo)).then(|| Slug { owner: owner.to_owned(), repo: repo.to_owned() })
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.repo)
    }
}

/// A tag or branch and the commit it points to (GitHub peels annotated tags in these lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRef {
    /// The tag or branch name.
    pub name: String,
    /// The commit SHA.
    pub commit: String,
}

/// The `status` of a comparison of two commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Head is ahead of base.
    Ahead,
    /// Head is behind base (base contains head).
    Behind,
    /// The same commit.
    Identical,
    /// Neither contains the other.
    Diverged,
}

/// One vulnerability of an advisory: the package it affects and the first fixed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vulnerability {
    /// The ecosystem (`actions` here).
    pub ecosystem: String,
    /// The package (`owner/repo` for actions).
    pub package: String,
    /// The first version that is not affected, when there is one.
    pub first_patched_version: Option<String>,
}

/// A global security advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// `GHSA-xxxx-xxxx-xxxx`.
    pub ghsa_id: String,
    /// `low`, `medium`, `high`, `critical` or `unknown`.
    pub severity: String,
    /// The one-line summary.
    pub summary: String,
    /// The affected packages.
    pub vulnerabilities: Vec<Vulnerability>,
}

/// A cached answer: the body of a 2xx, `None` for a 404.
type Cached = Result<Option<Arc<[u8]>>, GitHubError>;

#[derive(Default)]
struct State {
    answers: HashMap<String, Cached>,
    /// The first rate-limit or 401 error: every later request fails with it unsent.
    halted: Option<GitHubError>,
    /// Every URL requested over the network, in order.
    sent: Vec<String>,
    /// Errors the audits met (reported by the caller after the run), without duplicates.
    problems: Vec<GitHubError>,
}

/// The client. Cheap to share (`Arc`); safe to use from several audits.
pub struct GitHubClient {
    options: ClientOptions,
    http: reqwest::blocking::Client,
    state: Mutex<State>,
}

impl std::fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubClient").field("api_url", &self.options.api_url).finish_non_exhaustive()
    }
}

impl GitHubClient {
    /// A client for `options.api_url` that authenticates with `token`.
    pub fn new(token: &GitHubToken, options: ClientOptions) -> Result<Self, GitHubError> {
        let mut options = options;
        options.api_url = options.api_url.trim_end_matches('/').to_owned();
        let base = reqwest::Url::parse(&options.api_url)
            .map_err(|e| GitHubError::BadBaseUrl { url: options.api_url.clone(), reason: e.to_string() })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(GitHubError::BadBaseUrl {
                url: options.api_url.clone(),
                reason: "expected an http or https URL with a host".into(),
            });
        }
        let mut headers = reqwest::header::HeaderMap::new();
        let mut auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.0))
            .map_err(|_| GitHubError::BadToken)?;
        auth.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, auth);
        headers
            .insert(reqwest::header::ACCEPT, reqwest::header::HeaderValue::from_static("application/vnd.github+json"));
        headers.insert("X-GitHub-Api-Version", reqwest::header::HeaderValue::from_static("2022-11-28"));
        // Redirects (renamed repositories answer 301) are followed only within the API base,
        // so the token never travels to another origin.
        let origin = base.origin();
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 || attempt.url().origin() != origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .redirect(redirect)
            .build()
            .map_err(|e| GitHubError::Transport { url: options.api_url.clone(), reason: e.to_string() })?;
        Ok(GitHubClient { options, http, state: Mutex::new(State::default()) })
    }

    /// The API base URL in use.
    pub fn api_url(&self) -> &str {
        &self.options.api_url
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-request; the cache itself
        // is still a valid map.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every URL requested over the network so far, in order (each at most once).
    pub fn sent(&self) -> Vec<String> {
        self.state().sent.clone()
    }

    /// Records an error an audit met; the caller reports them after the run.
    pub fn record_problem(&self, error: GitHubError) {
        let mut state = self.state();
        if !state.problems.contains(&error) {
            state.problems.push(error);
        }
    }

    /// The errors recorded so far, without duplicates.
    pub fn problems(&self) -> Vec<GitHubError> {
        self.state().problems.clone()
    }

    /// GETs `path_and_query` under the base URL, once per run. `Ok(None)` for a 404.
    fn get(&self, endpoint: &'static str, path_and_query: &str) -> Cached {
        let url = format!("{}{}", self.options.api_url, path_and_query);
        // The lock is held across the request: the audits run one after another, and holding
        // it guarantees one request per URL even if they did not.
        let mut state = self.state();
        if let Some(hit) = state.answers.get(&url) {
            return hit.clone();
        }
        if let Some(halt) = &state.halted {
            return Err(halt.clone());
        }
        state.sent.push(url.clone());
        let result = self.fetch(endpoint, &url);
        // A rate limit or a refused token fails every later request the same way.
        if let Err(e @ (GitHubError::RateLimited { .. } | GitHubError::Unauthorized { .. })) = &result {
            state.halted = Some(e.clone());
        }
        state.answers.insert(url, result.clone());
        result
    }

    fn fetch(&self, endpoint: &'static str, url: &str) -> Cached {
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                GitHubError::Timeout { url: url.to_owned(), seconds: self.options.timeout.as_secs() }
            } else {
                GitHubError::Transport { url: url.to_owned(), reason: error_chain(&e) }
            }
        };
        let response = self.http.get(url).send().map_err(transport)?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let remaining = header("x-ratelimit-remaining");
        let reset = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok());
        let retry_after = header("retry-after").and_then(|v| v.parse::<u64>().ok());
        if let Some(len) = response.content_length()
            && len > self.options.max_body as u64
        {
            return Err(GitHubError::TooLarge { url: url.to_owned(), limit: self.options.max_body });
        }
        let mut body = Vec::new();
        response
            .take(self.options.max_body as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| GitHubError::Transport { url: url.to_owned(), reason: e.to_string() })?;
        if body.len() > self.options.max_body {
            return Err(GitHubError::TooLarge { url: url.to_owned(), limit: self.options.max_body });
        }
        let message = || error::message_of(&body);
        match status {
            200..=299 => Ok(Some(body.into())),
            404 => Ok(None),
            401 => Err(GitHubError::Unauthorized { url: url.to_owned(), message: message() }),
            // GitHub signals its primary limit with 403 or 429 and `x-ratelimit-remaining: 0`,
            // and its secondary limits with `retry-after`.
            403 | 429 if remaining.as_deref() == Some("0") || retry_after.is_some() || status == 429 => {
                Err(GitHubError::RateLimited { url: url.to_owned(), reset, retry_after, message: message() })
            }
            403 => Err(GitHubError::Forbidden { url: url.to_owned(), message: message() }),
            _ => Err(GitHubError::Status { url: url.to_owned(), endpoint, status, message: message() }),
        }
    }

    fn get_json(&self, endpoint: &'static str, path_and_query: &str) -> Result<Option<Value>, GitHubError> {
        let Some(body) = self.get(endpoint, path_and_query)? else { return Ok(None) };
        serde_json::from_slice(&body).map(Some).map_err(|e| GitHubError::BadJson {
            endpoint,
            field: "(document)".into(),
            expected: "JSON",
            detail: e.to_string(),
        })
    }

    fn list_refs(&self, slug: &Slug, kind: &'static str) -> Result<Vec<NamedRef>, GitHubError> {
        let endpoint =
            if kind == "tags" { "GET /repos/{owner}/{repo}/tags" } else { "GET /repos/{owner}/{repo}/branches" };
        let mut out = Vec::new();
        for page in 1..=self.options.max_pages {
            let path = format!("/repos/{}/{}/{kind}?per_page={PER_PAGE}&page={page}", slug.owner, slug.repo);
            let Some(doc) = self.get_json(endpoint, &path)? else {
                return Err(GitHubError::RepoNotFound { slug: slug.to_string() });
            };
            let items = error::array(&doc, endpoint, "")?;
            for (i, item) in items.iter().enumerate() {
                let name = error::string(item, endpoint, &format!("[{i}].name"), &["name"])?;
                let commit = error::string(item, endpoint, &format!("[{i}].commit.sha"), &["commit", "sha"])?;
                out.push(NamedRef { name: name.to_owned(), commit: commit.to_ascii_lowercase() });
            }
            if items.len() < PER_PAGE {
                return Ok(out);
            }
        }
        Err(GitHubError::TooManyPages { endpoint, slug: slug.to_string(), pages: self.options.max_pages })
    }

    /// Every tag, with the commit it points to (annotated tags peeled by GitHub).
    pub fn tags(&self, slug: &Slug) -> Result<Vec<NamedRef>, GitHubError> {
        self.list_refs(slug, "tags")
    }

    /// Every branch, with its head commit.
    pub fn branches(&self, slug: &Slug) -> Result<Vec<NamedRef>, GitHubError> {
        self.list_refs(slug, "branches")
    }

    /// The commit a branch or tag name points to (branches first, as Git resolves a short
    /// name that is both); `None` when neither exists.
    pub fn commit_for_ref(&self, slug: &Slug, name: &str) -> Result<Option<String>, GitHubError> {
        if let Some(b) = self.branches(slug)?.into_iter().find(|b| b.name == name) {
            return Ok(Some(b.commit));
        }
        Ok(self.tags(slug)?.into_iter().find(|t| t.name == name).map(|t| t.commit))
    }

    /// The longest tag name pointing at `commit` (`v1.2.3` rather than `v1`).
    pub fn longest_tag_for_commit(&self, slug: &Slug, commit: &str) -> Result<Option<NamedRef>, GitHubError> {
        let commit = commit.to_ascii_lowercase();
        Ok(self.tags(slug)?.into_iter().filter(|t| t.commit == commit).max_by_key(|t| t.name.len()))
    }

    /// Peels a tag object SHA to its commit, through nested annotated tags; `None` when the
    /// SHA is not a tag object of the repository (a commit SHA, or unknown).
    pub fn peel_tag(&self, slug: &Slug, sha: &str) -> Result<Option<String>, GitHubError> {
        const ENDPOINT: &str = "GET /repos/{owner}/{repo}/git/tags/{tag_sha}";
        let mut next = sha.to_ascii_lowercase();
        for _ in 0..self.options.max_tag_depth {
            if !is_hex_sha(&next) {
                return Err(GitHubError::BadJson {
                    endpoint: ENDPOINT,
                    field: "object.sha".into(),
                    expected: "a 40-hex SHA",
                    detail: format!("got `{next}`"),
                });
            }
            let path = format!("/repos/{}/{}/git/tags/{next}", slug.owner, slug.repo);
            let Some(doc) = self.get_json(ENDPOINT, &path)? else { return Ok(None) };
            let kind = error::string(&doc, ENDPOINT, "object.type", &["object", "type"])?;
            let target = error::string(&doc, ENDPOINT, "object.sha", &["object", "sha"])?.to_ascii_lowercase();
            match kind {
                "commit" => return Ok(Some(target)),
                "tag" => next = target,
                // A tag of a tree or blob names no commit.
                "tree" | "blob" => return Ok(None),
                other => {
                    return Err(GitHubError::BadJson {
                        endpoint: ENDPOINT,
                        field: "object.type".into(),
                        expected: "commit, tag, tree or blob",
                        detail: format!("got `{other}`"),
                    });
                }
            }
        }
        Err(GitHubError::TagTooDeep { slug: slug.to_string(), sha: sha.to_owned(), hops: self.options.max_tag_depth })
    }

    /// Compares `base...head`; `None` when GitHub answers 404 (no common history, or an
    /// unknown ref).
    pub fn compare(&self, slug: &Slug, base: &str, head: &str) -> Result<Option<Comparison>, GitHubError> {
        const ENDPOINT: &str = "GET /repos/{owner}/{repo}/compare/{basehead}";
        let path = format!(
            "/repos/{}/{}/compare/{}...{}?per_page=1",
            slug.owner,
            slug.repo,
            encode(base, true),
            encode(head, true)
        );
        let Some(doc) = self.get_json(ENDPOINT, &path)? else { return Ok(None) };
        let status = error::string(&doc, ENDPOINT, "status", &["status"])?;
        Ok(Some(match status {
            "ahead" => Comparison::Ahead,
            "behind" => Comparison::Behind,
            "identical" => Comparison::Identical,
            "diverged" => Comparison::Diverged,
            other => {
                return Err(GitHubError::BadJson {
                    endpoint: ENDPOINT,
                    field: "status".into(),
                    expected: "ahead, behind, identical or diverged",
                    detail: format!("got `{other}`"),
                });
            }
        }))
    }

    /// The global advisories of the `actions` ecosystem that affect `owner/repo@version`.
    pub fn action_advisories(&self, slug: &Slug, version: &str) -> Result<Vec<Advisory>, GitHubError> {
        const ENDPOINT: &str = "GET /advisories";
        let affects = format!("{}/{}@{version}", slug.owner, slug.repo);
        let path = format!("/advisories?ecosystem=actions&affects={}&per_page={PER_PAGE}", encode(&affects, false));
        let Some(doc) = self.get_json(ENDPOINT, &path)? else { return Ok(Vec::new()) };
        let items = error::array(&doc, ENDPOINT, "")?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ghsa_id = error::string(item, ENDPOINT, &format!("[{i}].ghsa_id"), &["ghsa_id"])?.to_owned();
            let severity = error::string(item, ENDPOINT, &format!("[{i}].severity"), &["severity"])?.to_owned();
            let summary =
                error::opt_string(item, ENDPOINT, &format!("[{i}].summary"), &["summary"])?.unwrap_or_default();
            let mut vulnerabilities = Vec::new();
            let vulns = match item.get("vulnerabilities") {
                None | Some(Value::Null) => &[][..],
                Some(v) => error::array(v, ENDPOINT, &format!("[{i}].vulnerabilities"))?,
            };
            for (j, v) in vulns.iter().enumerate() {
                let at = |f: &str| format!("[{i}].vulnerabilities[{j}].{f}");
                vulnerabilities.push(Vulnerability {
                    ecosystem: error::string(v, ENDPOINT, &at("package.ecosystem"), &["package", "ecosystem"])?
                        .to_owned(),
                    package: error::string(v, ENDPOINT, &at("package.name"), &["package", "name"])?.to_owned(),
                    first_patched_version: error::opt_string(
                        v,
                        ENDPOINT,
                        &at("first_patched_version"),
                        &["first_patched_version"],
                    )?,
                });
            }
            out.push(Advisory { ghsa_id, severity, summary: summary.to_owned(), vulnerabilities });
        }
        Ok(out)
    }
}

fn is_hex_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when asked).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An error and its sources on one line (reqwest's own message is often just "error
/// sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests;
