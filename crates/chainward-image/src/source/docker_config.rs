//! Registry credentials from a Docker client config (`~/.docker/config.json`), resolved the way
//! the Docker CLI resolves them (docker/cli `cli/config/configfile/file.go` and
//! `cli/config/credentials/`), so a `docker login` done before works for chainward too.
//!
//! ```no_run
//! use chainward_image::source::docker_config::DockerConfig;
//!
//! if let Some(config) = DockerConfig::load_default()? {
//!     match config.credentials_for("ghcr.io")? {
//!         Some(creds) => eprintln!("using credentials from {}", creds.origin),
//!         None => eprintln!("anonymous"),
//!     }
//! }
//! # Ok::<(), chainward_image::source::docker_config::DockerConfigError>(())
//! ```
//!
//! Lookup order for a registry host (the first that yields credentials wins):
//! 1. `credHelpers[host]`: runs `docker-credential-NAME get`;
//! 2. `credsStore`: the default helper, for every registry;
//! 3. `auths[host]`: `auth` (base64 of `user:password`) or `username` + `password`;
//!    `registrytoken` (a bearer token); `identitytoken` (an OAuth2 refresh token).
//!
//! A helper that answers "credentials not found" passes on to the next step (Docker stops at the
//! configured store; falling through is what containers/image does and keeps stale `auths`
//! entries usable). Docker Hub is stored under the key `https://index.docker.io/v1/`; a key
//! may also be written with a scheme or a path (`https://ghcr.io/v1/`): it is compared by host,
//! as Docker's `ConvertToHostname` does.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use serde::Deserialize;

/// The key Docker stores Docker Hub credentials under (the v1 index address), which is also
/// the server URL it hands to credential helpers for Docker Hub.
pub const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

/// What docker-credential-helpers print (and exit non-zero with) when a store holds nothing for
/// the server (`credentials.ErrCredentialsNotFound`).
const HELPER_NOT_FOUND: &str = "credentials not found in native keychain";

/// Helper output beyond this is cut from error messages.
const MAX_HELPER_MESSAGE: usize = 512;

/// A parsed Docker client config file.
#[derive(Debug, Clone)]
pub struct DockerConfig {
    path: PathBuf,
    file: ConfigFile,
    /// Where to look for helper programs before `PATH` (set by unit tests only: changing
    /// `PATH` in-process needs `unsafe` since edition 2024).
    helper_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: Option<BTreeMap<String, AuthEntry>>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Clone, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthEntry")
            .field("auth", &redact(&self.auth))
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("identitytoken", &redact(&self.identitytoken))
            .field("registrytoken", &redact(&self.registrytoken))
            .finish()
    }
}

/// The secret part of a credential.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// A user name and password (or personal access token), for HTTP basic auth and for the
    /// token server of the bearer flow.
    Basic {
        /// The user name.
        username: String,
        /// The password or access token.
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user name), to be
    /// exchanged at the registry's token server.
    IdentityToken {
        /// The user name stored next to it, if any.
        username: Option<String>,
        /// The refresh token.
        token: String,
    },
    /// A bearer token sent to the registry as is (`registrytoken`).
    RegistryToken(String),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => {
                f.debug_struct("Basic").field("username", username).field("password", &"<redacted>").finish()
            }
            Self::IdentityToken { username, .. } => {
                f.debug_struct("IdentityToken").field("username", username).field("token", &"<redacted>").finish()
            }
            Self::RegistryToken(_) => f.debug_tuple("RegistryToken").field(&"<redacted>").finish(),
        }
    }
}

/// Where a credential came from, for messages ("using credentials from …", "… were refused").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// An `auths` entry of the config file.
    Auths {
        /// The config file.
        path: PathBuf,
        /// The key of the entry, e.g. `https://index.docker.io/v1/`.
        key: String,
    },
    /// A credential helper named by `credHelpers` or `credsStore`.
    Helper {
        /// The config file.
        path: PathBuf,
        /// The field that named the helper, e.g. `credHelpers["ghcr.io"]` or `credsStore`.
        field: String,
        /// The program run, e.g. `docker-credential-pass`.
        program: String,
    },
}

impl fmt::Display for CredentialOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auths { path, key } => write!(f, "auths[{key:?}] in {}", path.display()),
            Self::Helper { path, field, program } => write!(f, "{program} (named by {field} in {})", path.display()),
        }
    }
}

/// Credentials for one registry and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The secret.
    pub secret: Secret,
    /// Where it came from.
    pub origin: CredentialOrigin,
}

/// Why credentials could not be read from a Docker config. Every variant names the file and,
/// where one is at fault, the field.
#[derive(Debug, thiserror::Error)]
pub enum DockerConfigError {
    /// The config file exists but cannot be read.
    #[error("cannot read docker config {}: {source}", path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The config file is not JSON of the expected shape.
    #[error("docker config {} is not valid: {source} (fix or move the file, or pass another config)", path.display())]
    Json {
        /// The config file.
        path: PathBuf,
        /// The parser error, with line and column.
        source: serde_json::Error,
    },
    /// An `auths` entry's `auth` field is not `base64(user:password)`.
    #[error("auths[{key:?}].auth in {} is not base64 of USER:PASSWORD ({problem}); run `docker login {key}` again", path.display())]
    BadAuthField {
        /// The config file.
        path: PathBuf,
        /// The entry's key.
        key: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A helper name holds characters that would make it a path rather than a name.
    #[error("{field} in {} names credential helper {name:?}, which is not a plain name (expected e.g. \"pass\" for docker-credential-pass)", path.display())]
    BadHelperName {
        /// The config file.
        path: PathBuf,
        /// `credHelpers["host"]` or `credsStore`.
        field: String,
        /// The name found.
        name: String,
    },
    /// The credential helper program is not on `PATH`.
    #[error("{field} in {} names credential helper {program}, which is not on PATH (install it or remove the entry)", path.display())]
    HelperNotFound {
        /// The config file.
        path: PathBuf,
        /// `credHelpers["host"]` or `credsStore`.
        field: String,
        /// The program, e.g. `docker-credential-pass`.
        program: String,
    },
    /// The credential helper could not be run or talked to.
    #[error("cannot run credential helper {program} (named by {field} in {}): {source}", path.display())]
    HelperIo {
        /// The config file.
        path: PathBuf,
        /// `credHelpers["host"]` or `credsStore`.
        field: String,
        /// The program.
        program: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The credential helper exited with an error other than "credentials not found".
    #[error("credential helper {program} (named by {field} in {}) failed with {status}: {message}", path.display())]
    HelperFailed {
        /// The config file.
        path: PathBuf,
        /// `credHelpers["host"]` or `credsStore`.
        field: String,
        /// The program.
        program: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed (cut to a few hundred bytes).
        message: String,
    },
    /// The credential helper printed something other than `{"Username":…,"Secret":…}`.
    #[error("credential helper {program} (named by {field} in {}) printed invalid JSON: {source}", path.display())]
    HelperOutput {
        /// The config file.
        path: PathBuf,
        /// `credHelpers["host"]` or `credsStore`.
        field: String,
        /// The program.
        program: String,
        /// The parser error.
        source: serde_json::Error,
    },
}

/// The answer of `docker-credential-NAME get` (docker-credential-helpers `credentials.Credentials`).
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

impl DockerConfig {
    /// The config file Docker reads: `$DOCKER_CONFIG/config.json`, else
    /// `$HOME/.docker/config.json`. `None` when neither variable is set.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
        Some(PathBuf::from(home).join(".docker").join("config.json"))
    }

    /// Loads the default config ([`Self::default_path`]); `Ok(None)` when there is none, which
    /// means anonymous access.
    pub fn load_default() -> Result<Option<Self>, DockerConfigError> {
        let Some(path) = Self::default_path() else {
            return Ok(None);
        };
        match std::fs::read(&path) {
            Ok(bytes) => Self::from_slice(&bytes, path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DockerConfigError::Read { path, source }),
        }
    }

    /// Loads a config file named explicitly (a missing file is an error).
    pub fn load(path: &Path) -> Result<Self, DockerConfigError> {
        let bytes = std::fs::read(path).map_err(|source| DockerConfigError::Read { path: path.to_owned(), source })?;
        Self::from_slice(&bytes, path.to_owned())
    }

    /// Parses config bytes; `path` is used in messages.
    pub fn from_slice(bytes: &[u8], path: PathBuf) -> Result<Self, DockerConfigError> {
        // Docker writes an empty file as `{}`, but treats an empty file as an empty config.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self { path, file: ConfigFile::default(), helper_dir: None });
        }
        match serde_json::from_slice(bytes) {
            Ok(file) => Ok(Self { path, file, helper_dir: None }),
            Err(source) => Err(DockerConfigError::Json { path, source }),
        }
    }

    /// The file this config was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credentials for a registry host as a reference names it (`docker.io`,
    /// `ghcr.io`, `127.0.0.1:5000`), or `None` for anonymous access.
    ///
    /// This may run a credential helper program.
    pub fn credentials_for(&self, registry: &str) -> Result<Option<Credentials>, DockerConfigError> {
        let host = normalise_host(registry);
        let hub = host == "docker.io";

        if let Some(helpers) = &self.file.cred_helpers
            && let Some((key, name)) = find_entry(helpers, &host)
        {
            let field = format!("credHelpers[{key:?}]");
            if let Some(c) = self.run_helper(&field, name, registry, hub)? {
                return Ok(Some(c));
            }
        }
        if let Some(name) = self.file.creds_store.as_deref().filter(|n| !n.is_empty())
            && let Some(c) = self.run_helper("credsStore", name, registry, hub)?
        {
            return Ok(Some(c));
        }
        if let Some(auths) = &self.file.auths
            && let Some((key, entry)) = find_entry(auths, &host)
        {
            return self.credentials_of_entry(key, entry);
        }
        Ok(None)
    }

    fn credentials_of_entry(&self, key: &str, entry: &AuthEntry) -> Result<Option<Credentials>, DockerConfigError> {
        let origin = CredentialOrigin::Auths { path: self.path.clone(), key: key.to_owned() };
        let bad = |problem| DockerConfigError::BadAuthField { path: self.path.clone(), key: key.to_owned(), problem };
        // `auth` wins over `username`/`password`, as in configfile.decodeAuth.
        let (mut username, mut password) = (entry.username.clone(), entry.password.clone());
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let raw = decode_base64(auth.trim()).ok_or_else(|| bad("not valid base64"))?;
            let text = String::from_utf8(raw).map_err(|_| bad("not UTF-8 once decoded"))?;
            let (u, p) = text.split_once(':').ok_or_else(|| bad("no ':' between user and password"))?;
            username = Some(u.to_owned());
            password = Some(p.to_owned());
        }
        let secret = if let Some(token) = entry.identitytoken.clone().filter(|t| !t.is_empty()) {
            Secret::IdentityToken { username: username.filter(|u| !u.is_empty()), token }
        } else if let Some(token) = entry.registrytoken.clone().filter(|t| !t.is_empty()) {
            Secret::RegistryToken(token)
        } else {
            match (username, password) {
                (Some(username), Some(password)) if !username.is_empty() || !password.is_empty() => {
                    Secret::Basic { username, password }
                }
                // An empty entry is what `docker login` leaves behind when a store holds the secret.
                _ => return Ok(None),
            }
        };
        Ok(Some(Credentials { secret, origin }))
    }

    fn run_helper(
        &self,
        field: &str,
        name: &str,
        registry: &str,
        hub: bool,
    ) -> Result<Option<Credentials>, DockerConfigError> {
        let valid = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && !name.starts_with('.');
        if !valid {
            return Err(DockerConfigError::BadHelperName {
                path: self.path.clone(),
                field: field.to_owned(),
                name: name.to_owned(),
            });
        }
        let program = format!("docker-credential-{name}");
        let io_err = |source| DockerConfigError::HelperIo {
            path: self.path.clone(),
            field: field.to_owned(),
            program: program.clone(),
            source,
        };
        // The server URL Docker hands the helper: the v1 index address for Docker Hub, the
        // host (with port) otherwise (docker/cli `registry.GetAuthConfigKey`).
        let server_url = if hub { DOCKER_HUB_CONFIG_KEY } else { registry };
        let command = match &self.helper_dir {
            Some(dir) if dir.join(&program).is_file() => dir.join(&program),
            _ => PathBuf::from(&program),
        };
        let mut child = match Command::new(command)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DockerConfigError::HelperNotFound {
                    path: self.path.clone(),
                    field: field.to_owned(),
                    program,
                });
            }
            Err(e) => return Err(io_err(e)),
        };
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading closes the pipe; its exit status tells more.
            let _ = stdin.write_all(server_url.as_bytes());
        }
        let output = child.wait_with_output().map_err(io_err)?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            if stdout.trim() == HELPER_NOT_FOUND {
                return Ok(None);
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            let mut message = format!("{} {}", stdout.trim(), stderr.trim()).trim().to_owned();
            if message.len() > MAX_HELPER_MESSAGE {
                let mut cut = MAX_HELPER_MESSAGE;
                while !message.is_char_boundary(cut) {
                    cut -= 1;
                }
                message.truncate(cut);
                message.push('…');
            }
            return Err(DockerConfigError::HelperFailed {
                path: self.path.clone(),
                field: field.to_owned(),
                program,
                status: output.status,
                message,
            });
        }
        let answer: HelperAnswer =
            serde_json::from_slice(&output.stdout).map_err(|source| DockerConfigError::HelperOutput {
                path: self.path.clone(),
                field: field.to_owned(),
                program: program.clone(),
                source,
            })?;
        if answer.username.is_empty() && answer.secret.is_empty() {
            return Ok(None);
        }
        // docker/cli credentials/native_store.go: the user name `<token>` marks an identity token.
        let secret = if answer.username == "<token>" {
            Secret::IdentityToken { username: None, token: answer.secret }
        } else {
            Secret::Basic { username: answer.username, password: answer.secret }
        };
        Ok(Some(Credentials {
            secret,
            origin: CredentialOrigin::Helper { path: self.path.clone(), field: field.to_owned(), program },
        }))
    }
}

/// Finds the entry for `host`: an exact key first, then any key whose host part matches.
fn find_entry<'a, V>(map: &'a BTreeMap<String, V>, host: &str) -> Option<(&'a str, &'a V)> {
    if let Some((k, v)) = map.get_key_value(host) {
        return Some((k, v));
    }
    if host == "docker.io"
        && let Some((k, v)) = map.get_key_value(DOCKER_HUB_CONFIG_KEY)
    {
        return Some((k, v));
    }
    map.iter().find(|(k, _)| normalise_host(k) == host).map(|(k, v)| (k.as_str(), v))
}

/// The host part of a config key or registry name, with Docker Hub's aliases folded into
/// `docker.io` (docker/cli `credentials.ConvertToHostname`, plus the Hub aliases).
fn normalise_host(key: &str) -> String {
    let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".to_owned(),
        _ => host,
    }
}

/// Decodes standard base64 (RFC 4648 §4), padded or not, as Go's `base64.StdEncoding` writes
/// it. A few lines here keep this module free of the optional `base64` dependency.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2 || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn helper(dir: &Path, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn credential_helpers_speak_the_docker_protocol() {
        let dir = tempfile::tempdir().unwrap();
        // Echoes the server URL it was given back as the user name.
        helper(
            dir.path(),
            "echo",
            r#"read -r url; printf '{"ServerURL":"%s","Username":"%s","Secret":"s3cret"}' "$url" "$url""#,
        );
        helper(dir.path(), "tok", r#"printf '{"Username":"<token>","Secret":"refresh"}'"#);
        helper(dir.path(), "none", "echo 'credentials not found in native keychain'; exit 1");
        helper(dir.path(), "broken", "echo 'pass store locked' >&2; exit 3");
        helper(dir.path(), "garbage", "echo 'not json'");
        let mut c = config(
            r#"{"credHelpers":{"r.example":"echo","https://index.docker.io/v1/":"echo","t.example":"tok",
                "n.example":"none","b.example":"broken","g.example":"garbage"},
                "auths":{"n.example":{"auth":"ZmFsbDpiYWNr"}}}"#,
        );
        c.helper_dir = Some(dir.path().to_owned());

        let got = c.credentials_for("r.example").unwrap().unwrap();
        assert_eq!(got.secret, Secret::Basic { username: "r.example".into(), password: "s3cret".into() });
        assert_eq!(
            got.origin.to_string(),
            "docker-credential-echo (named by credHelpers[\"r.example\"] in /cfg/config.json)"
        );
        // Docker Hub's helper gets the v1 index address.
        let hub = c.credentials_for("docker.io").unwrap().unwrap();
        assert!(matches!(hub.secret, Secret::Basic { ref username, .. } if username == DOCKER_HUB_CONFIG_KEY));
        assert!(matches!(
            c.credentials_for("t.example").unwrap().unwrap().secret,
            Secret::IdentityToken { ref token, .. } if token == "refresh"
        ));
        // "not found" falls through to the auths entry.
        let fell = c.credentials_for("n.example").unwrap().unwrap();
        assert!(matches!(fell.origin, CredentialOrigin::Auths { .. }));
        let e = c.credentials_for("b.example").unwrap_err();
        assert!(matches!(e, DockerConfigError::HelperFailed { .. }), "{e}");
        assert!(e.to_string().contains("pass store locked"), "{e}");
        let e = c.credentials_for("g.example").unwrap_err();
        assert!(matches!(e, DockerConfigError::HelperOutput { .. }), "{e}");
    }

    fn config(json: &str) -> DockerConfig {
        DockerConfig::from_slice(json.as_bytes(), PathBuf::from("/cfg/config.json")).unwrap()
    }

    #[test]
    fn base64_round_trips_known_vectors() {
        // RFC 4648 §10 test vectors.
        for (enc, dec) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9vYmE", "fooba"),
        ] {
            assert_eq!(decode_base64(enc).unwrap(), dec.as_bytes(), "{enc}");
        }
        assert!(decode_base64("Z").is_none());
        assert!(decode_base64("Zm9v!").is_none());
        assert!(decode_base64("Zg===").is_none());
    }

    #[test]
    fn auths_entry_by_auth_field_and_by_fields() {
        let c = config(
            r#"{"auths":{"127.0.0.1:5000":{"auth":"dTpwOnE="},
                "https://ghcr.io/v1/":{"username":"me","password":"tok"},
                "empty.example":{}}}"#,
        );
        let creds = c.credentials_for("127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(creds.secret, Secret::Basic { username: "u".into(), password: "p:q".into() });
        assert_eq!(creds.origin.to_string(), "auths[\"127.0.0.1:5000\"] in /cfg/config.json");
        let creds = c.credentials_for("ghcr.io").unwrap().unwrap();
        assert!(matches!(creds.secret, Secret::Basic { ref username, .. } if username == "me"));
        assert!(c.credentials_for("empty.example").unwrap().is_none());
        assert!(c.credentials_for("quay.io").unwrap().is_none());
    }

    #[test]
    fn docker_hub_uses_the_v1_index_key() {
        let c = config(r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="}}}"#);
        let creds = c.credentials_for("docker.io").unwrap().unwrap();
        assert!(matches!(creds.secret, Secret::Basic { ref username, .. } if username == "hub"));
        assert!(c.credentials_for("registry-1.docker.io").unwrap().is_some());
    }

    #[test]
    fn tokens_are_recognised() {
        let c = config(
            r#"{"auths":{"acr.example":{"auth":"MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwOg==","identitytoken":"refresh"},
                "bearer.example":{"registrytoken":"abc"}}}"#,
        );
        assert!(matches!(
            c.credentials_for("acr.example").unwrap().unwrap().secret,
            Secret::IdentityToken { ref token, .. } if token == "refresh"
        ));
        assert_eq!(c.credentials_for("bearer.example").unwrap().unwrap().secret, Secret::RegistryToken("abc".into()));
    }

    #[test]
    fn bad_auth_field_names_file_and_key() {
        let c = config(r#"{"auths":{"r.example":{"auth":"!!!"}}}"#);
        let e = c.credentials_for("r.example").unwrap_err().to_string();
        assert!(e.contains("auths[\"r.example\"].auth in /cfg/config.json"), "{e}");
        let c = config(r#"{"auths":{"r.example":{"auth":"bm9jb2xvbg=="}}}"#);
        let e = c.credentials_for("r.example").unwrap_err().to_string();
        assert!(e.contains("no ':'"), "{e}");
    }

    #[test]
    fn invalid_json_names_the_file() {
        let e = DockerConfig::from_slice(b"{\"auths\": [", PathBuf::from("/x/config.json")).unwrap_err();
        assert!(e.to_string().contains("/x/config.json"), "{e}");
        assert!(DockerConfig::from_slice(b"  \n", PathBuf::from("/x")).is_ok());
    }

    #[test]
    fn helper_names_are_plain() {
        let c = config(r#"{"credHelpers":{"r.example":"../evil"}}"#);
        assert!(matches!(c.credentials_for("r.example"), Err(DockerConfigError::BadHelperName { .. })));
        let c = config(r#"{"credsStore":"chainward-surely-absent-helper"}"#);
        let e = c.credentials_for("r.example").unwrap_err();
        assert!(matches!(e, DockerConfigError::HelperNotFound { .. }), "{e}");
        assert!(e.to_string().contains("credsStore in /cfg/config.json"), "{e}");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = config(r#"{"auths":{"r":{"username":"u","password":"hunter2"}}}"#);
        let creds = c.credentials_for("r").unwrap().unwrap();
        assert!(!format!("{creds:?}{c:?}").contains("hunter2"));
    }
}
