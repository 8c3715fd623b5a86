//! The client against the loopback server: headers, cache, paging, peeling, and every error
//! path (401, 403 rate limit, 403, 404, 500, malformed JSON, oversized body, timeouts).

use std::time::Duration;

use chainward_testkit::http::{Answer, LoopbackHttp, Routes};

use super::*;

const TOKEN: &str = "ghp_loopbacktesttoken";

fn client(server: &LoopbackHttp) -> GitHubClient {
    client_with(server, ClientOptions::default())
}

fn client_with(server: &LoopbackHttp, options: ClientOptions) -> GitHubClient {
    let token = GitHubToken::new(TOKEN).unwrap();
    GitHubClient::new(&token, ClientOptions { api_url: server.base_url(), ..options }).unwrap()
}

fn slug() -> Slug {
    Slug::new("octo", "act").unwrap()
}

fn status(code: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    Answer {
        status: code,
        headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        body: body.as_bytes().to_vec(),
    }
}

const TAGS: &str = "/repos/octo/act/tags?per_page=100&page=1";

#[test]
fn sends_the_token_and_asks_each_url_once() {
    let server = LoopbackHttp::start(Routes::new().json(
        "GET",
        TAGS,
        r#"[{"name":"v1","commit":{"sha":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","url":"x"}},
            {"name":"v1.0.0","commit":{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","url":"x"}}]"#,
    ));
    let c = client(&server);
    let tags = c.tags(&slug()).unwrap();
    assert_eq!(tags.len(), 2);
    // Lower-cased, so comparisons with pins do not depend on case.
    assert_eq!(tags[0].commit, "a".repeat(40));
    let longest = c.longest_tag_for_commit(&slug(), &"A".repeat(40)).unwrap().unwrap();
    assert_eq!(longest.name, "v1.0.0");
    assert_eq!(c.commit_for_ref(&slug(), "v1").unwrap_err(), GitHubError::RepoNotFound { slug: "octo/act".into() });
    let requests = server.requests();
    // tags once (cached), branches once (404 for commit_for_ref).
    assert_eq!(requests.iter().filter(|r| r.target == TAGS).count(), 1);
    assert_eq!(requests.len(), 2, "{requests:?}");
    for r in &requests {
        assert_eq!(r.headers.get("authorization").map(String::as_str), Some("Bearer ghp_loopbacktesttoken"));
        assert_eq!(r.headers.get("accept").map(String::as_str), Some("application/vnd.github+json"));
        assert_eq!(r.headers.get("x-github-api-version").map(String::as_str), Some("2022-11-28"));
        assert!(r.headers.get("user-agent").is_some_and(|u| u.starts_with("chainward/")));
        assert!(r.peer.ip().is_loopback());
    }
    assert!(c.sent().iter().all(|u| u.starts_with(&server.base_url())));
    // The token is never printed.
    assert!(!format!("{:?}", GitHubToken::new(TOKEN)).contains("ghp_"));
}

#[test]
fn pages_until_a_short_page() {
    let page = |from: usize, n: usize| {
        let items: Vec<String> =
            (from..from + n).map(|i| format!(r#"{{"name":"b{i}","commit":{{"sha":"{:040x}"}}}}"#, i)).collect();
        format!("[{}]", items.join(","))
    };
    let server = LoopbackHttp::start(
        Routes::new().json("GET", "/repos/octo/act/branches?per_page=100&page=1", &page(0, 100)).json(
            "GET",
            "/repos/octo/act/branches?per_page=100&page=2",
            &page(100, 3),
        ),
    );
    let c = client(&server);
    let branches = c.branches(&slug()).unwrap();
    assert_eq!(branches.len(), 103);
    assert_eq!(c.commit_for_ref(&slug(), "b101").unwrap(), Some(format!("{:040x}", 101)));

    // A page cap stops an endless listing with an error, not a hang.
    let c = client_with(&server, ClientOptions { max_pages: 1, ..ClientOptions::default() });
    assert!(matches!(c.branches(&slug()), Err(GitHubError::TooManyPages { pages: 1, .. })));
}

#[test]
fn peels_nested_annotated_tags() {
    let tag = |name: &str, kind: &str, sha: &str| {
        format!(r#"{{"node_id":"x","tag":"{name}","sha":"s","object":{{"type":"{kind}","sha":"{sha}","url":"u"}}}}"#)
    };
    let (t1, t2, c) = ("1".repeat(40), "2".repeat(40), "3".repeat(40));
    let server = LoopbackHttp::start(
        Routes::new()
            .json("GET", &format!("/repos/octo/act/git/tags/{t1}"), &tag("v1", "tag", &t2))
            .json("GET", &format!("/repos/octo/act/git/tags/{t2}"), &tag("v1.0.0", "commit", &c))
            .json("GET", &format!("/repos/octo/act/git/tags/{c}"), &tag("loop", "tag", &c)),
    );
    let client = client(&server);
    assert_eq!(client.peel_tag(&slug(), &t1).unwrap(), Some(c.clone()));
    // A commit SHA is not a tag object: 404, so nothing to peel.
    assert_eq!(client.peel_tag(&slug(), &"4".repeat(40)).unwrap(), None);
    // A tag that points at itself is cut off.
    assert!(matches!(client.peel_tag(&slug(), &c), Err(GitHubError::TagTooDeep { .. })));
}

#[test]
fn unauthorized() {
    let server = LoopbackHttp::start(Routes::new().answer(
        "GET",
        TAGS,
        status(401, &[], r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#),
    ));
    let err = client(&server).tags(&slug()).unwrap_err();
    assert!(matches!(&err, GitHubError::Unauthorized { message, .. } if message == "Bad credentials"), "{err:?}");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(err.to_string().contains("GH_TOKEN"), "{err}");
}

#[test]
fn rate_limit_names_the_reset_time_and_stops_later_requests() {
    let server = LoopbackHttp::start(
        Routes::new()
            .answer(
                "GET",
                TAGS,
                status(
                    403,
                    &[
                        ("x-ratelimit-limit", "5000"),
                        ("x-ratelimit-remaining", "0"),
                        ("x-ratelimit-reset", "1700000000"),
                    ],
                    r#"{"message":"API rate limit exceeded for user ID 1."}"#,
                ),
            )
            .json("GET", "/repos/octo/act/branches?per_page=100&page=1", "[]"),
    );
    let c = client(&server);
    let err = c.tags(&slug()).unwrap_err();
    assert!(matches!(err, GitHubError::RateLimited { reset: Some(1_700_000_000), .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("rate limit") && text.contains("2023-11-14T22:13:20Z"), "{text}");
    // Once limited, nothing more is sent.
    assert_eq!(c.branches(&slug()).unwrap_err(), err);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn secondary_rate_limit_and_429() {
    let server = LoopbackHttp::start(
        Routes::new().answer("GET", TAGS, status(429, &[("retry-after", "60")], r#"{"message":"slow down"}"#)).answer(
            "GET",
            "/repos/octo/act/branches?per_page=100&page=1",
            status(403, &[], r#"{"message":"Resource not accessible by integration"}"#),
        ),
    );
    let err = client(&server).tags(&slug()).unwrap_err();
    assert!(matches!(err, GitHubError::RateLimited { retry_after: Some(60), .. }), "{err:?}");
    assert!(err.to_string().contains("retry after 60 seconds"), "{err}");
    let err = client(&server).branches(&slug()).unwrap_err();
    assert!(matches!(&err, GitHubError::Forbidden { message, .. } if message.contains("not accessible")), "{err:?}");
}

#[test]
fn not_found_and_server_errors() {
    let server = LoopbackHttp::start(Routes::new().answer(
        "GET",
        "/repos/octo/act/compare/main...x?per_page=1",
        status(500, &[], "<html>oops</html>"),
    ));
    let c = client(&server);
    // A missing repository is an error for listings ...
    assert_eq!(c.tags(&slug()).unwrap_err(), GitHubError::RepoNotFound { slug: "octo/act".into() });
    // ... and an answer ("no such thing") for lookups.
    assert_eq!(c.compare(&slug(), "main", "y").unwrap(), None);
    assert_eq!(c.action_advisories(&slug(), "v1").unwrap(), Vec::new());
    let err = c.compare(&slug(), "main", "x").unwrap_err();
    assert!(matches!(&err, GitHubError::Status { status: 500, message, .. } if message.contains("oops")), "{err:?}");
}

#[test]
fn malformed_json_names_the_endpoint_and_field() {
    let server = LoopbackHttp::start(
        Routes::new()
            .json("GET", TAGS, r#"[{"name":"v1","commit":{"sha":"a"}},{"name":"v2","commit":{"sha":7}}]"#)
            .json("GET", "/repos/octo/act/branches?per_page=100&page=1", r#"{"not":"a list"}"#)
            .json("GET", "/repos/octo/act/compare/a...b?per_page=1", "{ nope"),
    );
    let c = client(&server);
    let err = c.tags(&slug()).unwrap_err();
    assert_eq!(
        err,
        GitHubError::BadJson {
            endpoint: "GET /repos/{owner}/{repo}/tags",
            field: "[1].commit.sha".into(),
            expected: "a string",
            detail: "got a number".into(),
        }
    );
    assert!(err.to_string().contains("[1].commit.sha"), "{err}");
    let err = c.branches(&slug()).unwrap_err();
    assert!(matches!(&err, GitHubError::BadJson { field, .. } if field == "(top level)"), "{err:?}");
    let err = c.compare(&slug(), "a", "b").unwrap_err();
    assert!(matches!(&err, GitHubError::BadJson { endpoint, .. } if endpoint.contains("compare")), "{err:?}");
}

#[test]
fn oversized_body_is_refused() {
    let big = format!("[{}]", vec![r#"{"name":"t","commit":{"sha":"a"}}"#; 2000].join(","));
    let server = LoopbackHttp::start(Routes::new().json("GET", TAGS, &big));
    let c = client_with(&server, ClientOptions { max_body: 4096, ..ClientOptions::default() });
    assert!(matches!(c.tags(&slug()), Err(GitHubError::TooLarge { limit: 4096, .. })));
}

#[test]
fn timeouts_and_refused_connections_are_errors() {
    // A listener that never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let token = GitHubToken::new(TOKEN).unwrap();
    let c = GitHubClient::new(
        &token,
        ClientOptions { api_url: url, timeout: Duration::from_millis(300), ..ClientOptions::default() },
    )
    .unwrap();
    let err = c.tags(&slug()).unwrap_err();
    assert!(matches!(err, GitHubError::Timeout { .. } | GitHubError::Transport { .. }), "{err:?}");
    drop(silent);
}

#[test]
fn bad_inputs_are_refused_before_any_request() {
    assert!(Slug::new("octo", "../../x").is_none());
    assert!(Slug::new("octo", "a?b").is_none());
    assert!(Slug::new("", "a").is_none());
    assert!(GitHubToken::new("  ").is_none());
    let token = GitHubToken::new(TOKEN).unwrap();
    for bad in ["ftp://example.com", "not a url", "file:///tmp"] {
        let err = GitHubClient::new(&token, ClientOptions { api_url: bad.into(), ..ClientOptions::default() });
        assert!(matches!(err, Err(GitHubError::BadBaseUrl { .. })), "{bad}");
    }
    assert_eq!(encode("o/r@v1 x", false), "o%2Fr%40v1%20x");
    assert_eq!(encode("refs/heads/a b", true), "refs/heads/a%20b");
}
