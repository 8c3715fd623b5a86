//! The client's errors, and the field readers that name what was wrong in an answer.

use serde_json::Value;

/// Why a GitHub API request gave no usable answer. Each variant names the URL or endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitHubError {
    /// The configured API URL is not usable.
    #[error("the GitHub API URL `{url}` is not usable: {reason}")]
    BadBaseUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The token cannot be sent in a header (control characters).
    #[error("the GitHub token contains characters that cannot be sent in an HTTP header")]
    BadToken,
    /// Connecting, sending or reading failed.
    #[error("GitHub API request to {url} failed: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// No complete answer in time.
    #[error("GitHub API request to {url} timed out after {seconds}s")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        seconds: u64,
    },
    /// 401: the token is missing, wrong or expired.
    #[error("GitHub API answered 401 Unauthorized for {url}: {message} (is GH_TOKEN a valid token?)")]
    Unauthorized {
        /// The URL.
        url: String,
        /// GitHub's message.
        message: String,
    },
    /// 403 or 429 with the rate limit exhausted.
    #[error("GitHub API rate limit exceeded at {url}: {message}; {}", wait_hint(*.reset, *.retry_after))]
    RateLimited {
        /// The URL.
        url: String,
        /// `x-ratelimit-reset`: when the limit resets (Unix seconds).
        reset: Option<u64>,
        /// `retry-after`: seconds to wait (secondary limits).
        retry_after: Option<u64>,
        /// GitHub's message.
        message: String,
    },
    /// 403 for another reason (e.g. the token lacks access).
    #[error("GitHub API answered 403 Forbidden for {url}: {message}")]
    Forbidden {
        /// The URL.
        url: String,
        /// GitHub's message.
        message: String,
    },
    /// Any other unexpected status.
    #[error("GitHub API answered HTTP {status} for {url} ({endpoint}): {message}")]
    Status {
        /// The URL.
        url: String,
        /// The endpoint, as documented.
        endpoint: &'static str,
        /// The status.
        status: u16,
        /// GitHub's message.
        message: String,
    },
    /// The answer was larger than the limit.
    #[error("GitHub API answer from {url} is larger than the {limit}-byte limit")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The answer was not the documented JSON shape.
    #[error("unexpected answer from {endpoint}: field `{field}` should be {expected} ({detail})")]
    BadJson {
        /// The endpoint, as documented.
        endpoint: &'static str,
        /// The field, as a path (`[3].commit.sha`).
        field: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        detail: String,
    },
    /// The repository does not exist or the token cannot see it.
    #[error("GitHub repository {slug} not found (missing, renamed away or private)")]
    RepoNotFound {
        /// `owner/repo`.
        slug: String,
    },
    /// A list endpoint had more pages than allowed.
    #[error("{endpoint} for {slug} has more than {pages} pages; stopped there")]
    TooManyPages {
        /// The endpoint.
        endpoint: &'static str,
        /// `owner/repo`.
        slug: String,
        /// The page limit.
        pages: usize,
    },
    /// Annotated tags nested deeper than allowed.
    #[error("tag {sha} of {slug} is nested more than {hops} annotated tags deep")]
    TagTooDeep {
        /// `owner/repo`.
        slug: String,
        /// The SHA peeled.
        sha: String,
        /// The hop limit.
        hops: usize,
    },
}

fn wait_hint(reset: Option<u64>, retry_after: Option<u64>) -> String {
    match (reset, retry_after) {
        (_, Some(s)) => format!("retry after {s} seconds"),
        (Some(t), None) => format!("the limit resets at {} ({t} Unix time)", utc(t)),
        (None, None) => "no reset time was given".to_owned(),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (Howard Hinnant's `civil_from_days`).
fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// GitHub's `message` from an error body, or a short excerpt of the body.
pub(super) fn message_of(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(m) = v.get("message").and_then(Value::as_str)
    {
        return m.chars().take(300).collect();
    }
    let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
    if text.trim().is_empty() { "(empty body)".to_owned() } else { text }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value as an array.
pub(super) fn array<'a>(v: &'a Value, endpoint: &'static str, field: &str) -> Result<&'a [Value], GitHubError> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| GitHubError::BadJson {
        endpoint,
        field: if field.is_empty() { "(top level)".into() } else { field.into() },
        expected: "an array",
        detail: format!("got {}", kind(v)),
    })
}

/// The string at `path` under `v`; `field` names it in errors.
pub(super) fn string<'a>(
    v: &'a Value,
    endpoint: &'static str,
    field: &str,
    path: &[&str],
) -> Result<&'a str, GitHubError> {
    match opt_value(v, path) {
        Some(Value::String(s)) => Ok(s),
        other => Err(GitHubError::BadJson {
            endpoint,
            field: field.into(),
            expected: "a string",
            detail: other.map_or_else(|| "missing".to_owned(), |o| format!("got {}", kind(o))),
        }),
    }
}

/// The string at `path`, `None` when missing or null.
pub(super) fn opt_string(
    v: &Value,
    endpoint: &'static str,
    field: &str,
    path: &[&str],
) -> Result<Option<String>, GitHubError> {
    match opt_value(v, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        // The advisories API has described `first_patched_version` both as a string and
        // as `{ "identifier": "1.2.3" }`; accept both.
        Some(Value::Object(o)) if o.get("identifier").and_then(Value::as_str).is_some() => {
            Ok(o.get("identifier").and_then(Value::as_str).map(str::to_owned))
        }
        Some(other) => Err(GitHubError::BadJson {
            endpoint,
            field: field.into(),
            expected: "a string or null",
            detail: format!("got {}", kind(other)),
        }),
    }
}

fn opt_value<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
