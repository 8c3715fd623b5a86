//! The bearer-token flow (distribution's docs/spec/auth/token.md) against a real registry:
//! Debian's docker-registry with `auth: token`, and a token server in this test that checks
//! basic credentials and issues RS256 JWTs (signed by `openssl dgst`, the signing certificate
//! in the `x5c` header and in the registry's `rootcertbundle`).
//!
//! `#[ignore]`d because it starts servers: `cargo test -p chainward-image -- --ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs,
    reason = "a test: it fails loudly and tells why it skips"
)]

mod registry_support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chainward_image::Reference;
use chainward_image::source::registry::{NoProgress, RegistryError, RegistryOptions, resolve_registry_image};
use registry_support::{ChildGuard, assert_layers_verified, docker_config, ensure_tool, run, shared, wait_for_port};

const ALPINE_3_20_3: &str = "sha256:64507d6bcdd71fd4dea0848ec91a550f804c5d7661eeb639826dc4a66f7da74c";
const USER: &str = "tokenuser";
const PASSWORD: &str = "t0ken-pw";
const SERVICE: &str = "chainward-registry";
const ISSUER: &str = "chainward-test-issuer";

/// The token server: keys, and how many tokens it issued.
struct TokenServer {
    key: PathBuf,
    cert_der_b64: String,
    issued: AtomicU64,
}

impl TokenServer {
    /// A signed JWT granting `actions` on `repository` (none for an anonymous caller).
    fn token(&self, subject: &str, repository: &str, actions: &[&str]) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [self.cert_der_b64]});
        let access = if actions.is_empty() {
            serde_json::json!([])
        } else {
            serde_json::json!([{"type": "repository", "name": repository, "actions": actions}])
        };
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
            "iat": now, "jti": format!("chainward-{now}-{n}"), "access": access,
        });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(signing_input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "openssl dgst -sign failed");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(out.stdout))
    }

    /// Answers one HTTP request: `GET /token?scope=…&service=…` with optional basic auth.
    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        let mut authorization = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("authorization")
            {
                authorization = Some(value.trim().to_owned());
            }
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or_default();
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let scope = query.split('&').find_map(|kv| kv.strip_prefix("scope=")).map(percent_decode).unwrap_or_default();
        // scope = repository:NAME:ACTIONS
        let mut parts = scope.splitn(3, ':');
        let (_, repository, wanted) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let expected = format!("Basic {}", STANDARD.encode(format!("{USER}:{PASSWORD}")));
        let (status, body) = match authorization.as_deref() {
            // Anonymous callers get a token without access, as Docker Hub does for private repos.
            None => ("200 OK", Some(self.token("", repository, &[]))),
            Some(a) if a == expected => {
                let actions: Vec<&str> = wanted.split(',').filter(|a| !a.is_empty()).collect();
                ("200 OK", Some(self.token(USER, repository, &actions)))
            }
            Some(_) => ("401 Unauthorized", None),
        };
        let body = match body {
            Some(token) => serde_json::json!({"token": token, "expires_in": 300}).to_string(),
            None => r#"{"details":"incorrect username or password"}"#.to_owned(),
        };
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Starts the token server on a thread; returns its port. The thread lives until the test
/// process exits.
fn start_token_server(dir: &Path) -> u16 {
    run(Command::new("openssl").current_dir(dir).args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "token.key",
        "-out",
        "token.crt",
        "-days",
        "2",
        "-subj",
        "/CN=chainward token issuer",
    ]));
    run(Command::new("openssl").current_dir(dir).args([
        "x509",
        "-in",
        "token.crt",
        "-outform",
        "DER",
        "-out",
        "token.der",
    ]));
    let server = Arc::new(TokenServer {
        key: dir.join("token.key"),
        cert_der_b64: STANDARD.encode(std::fs::read(dir.join("token.der")).unwrap()),
        issued: AtomicU64::new(0),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            server.serve(stream);
        }
    });
    port
}

#[test]
#[ignore = "starts a registry and a token server"]
fn bearer_token_flow() {
    let Some(shared) = shared() else { return };
    ensure_tool("docker-registry", "docker-registry");
    ensure_tool("skopeo", "skopeo");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token_port = start_token_server(d);

    let port = registry_support::free_port();
    let config = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n\
         http:\n  addr: 127.0.0.1:{port}\n\
         auth:\n  token:\n    realm: http://127.0.0.1:{token_port}/token\n    service: {SERVICE}\n    \
         issuer: {ISSUER}\n    rootcertbundle: {root}/token.crt\n",
        root = d.display()
    );
    std::fs::write(d.join("config.yml"), config).unwrap();
    let err_log = d.join("registry.err");
    let mut child = Command::new("docker-registry")
        .arg("serve")
        .arg(d.join("config.yml"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_log).unwrap())
        .spawn()
        .expect("start docker-registry");
    wait_for_port(port, &mut child, &err_log);
    let _guard = ChildGuard(child);

    let layout = shared.join("images/oci");
    run(Command::new("skopeo")
        .args(["copy", "-q", "--dest-tls-verify=false", "--dest-creds", &format!("{USER}:{PASSWORD}")])
        .arg(format!("oci:{}:alpine-3.20.3", layout.display()))
        .arg(format!("docker://127.0.0.1:{port}/alpine:3.20.3")));

    let host = format!("127.0.0.1:{port}");
    let r = Reference::parse(&format!("{host}/alpine:3.20.3")).unwrap();
    let options = |config: PathBuf| RegistryOptions {
        insecure_registries: vec![host.clone()],
        docker_config: Some(config),
        temp_dir: Some(d.to_owned()),
        ..RegistryOptions::default()
    };

    // Anonymous: a token without access, then the registry refuses.
    let empty = docker_config(d, "empty.json", "{}");
    let err = resolve_registry_image(&r, &options(empty), &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err:?}");

    // Wrong password: the token server refuses.
    let wrong = docker_config(
        d,
        "wrong.json",
        &format!(r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#, STANDARD.encode(format!("{USER}:nope"))),
    );
    let err = resolve_registry_image(&r, &options(wrong), &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::AuthenticationFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("incorrect username or password"), "{err}");

    // The right credentials: a token with pull access, and the image.
    let good = docker_config(
        d,
        "good.json",
        &format!(r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#, STANDARD.encode(format!("{USER}:{PASSWORD}"))),
    );
    let image = resolve_registry_image(&r, &options(good), &NoProgress).unwrap();
    assert_eq!(image.facts.manifest_digest.as_ref().unwrap().to_string(), ALPINE_3_20_3);
    assert_layers_verified(&image);
}
