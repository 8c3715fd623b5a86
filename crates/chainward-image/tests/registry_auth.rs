//! Pulls from a loopback registry that wants credentials, over real TLS: Debian's
//! docker-registry with `auth: htpasswd` and a certificate signed by a CA made here with
//! openssl. Credentials come from a temporary docker config: `auths`, and a `credHelpers`
//! entry naming a helper script put on `PATH` (of a child process: changing the environment of
//! this process would need `unsafe`).
//!
//! `#[ignore]`d because they start servers: `cargo test -p chainward-image -- --ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs,
    reason = "a test: it fails loudly and tells why it skips"
)]

mod registry_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chainward_image::Reference;
use chainward_image::source::registry::{NoProgress, RegistryError, RegistryOptions, resolve_registry_image};
use registry_support::{
    ChildGuard, assert_layers_verified, docker_config, ensure_tool, free_port, run, shared, wait_for_port,
};

const ALPINE_3_20_3: &str = "sha256:64507d6bcdd71fd4dea0848ec91a550f804c5d7661eeb639826dc4a66f7da74c";
const USER: &str = "chainward";
const PASSWORD: &str = "s3cret-pw";
/// Set in the child process of [`credential_helper_on_path`]: `PORT<TAB>CA<TAB>CONFIG<TAB>TMP`.
const CHILD_ENV: &str = "CHAINWARD_REGISTRY_HELPER_CHILD";

/// A docker-registry with htpasswd auth and TLS on 127.0.0.1, holding alpine:3.20.3.
struct AuthRegistry {
    port: u16,
    /// The CA certificate (PEM) that signed the server certificate.
    ca: PathBuf,
    _child: ChildGuard,
    dir: tempfile::TempDir,
}

impl AuthRegistry {
    fn start(shared: &Path) -> Self {
        ensure_tool("docker-registry", "docker-registry");
        ensure_tool("skopeo", "skopeo");
        ensure_tool("htpasswd", "apache2-utils");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A CA, and a server certificate for IP 127.0.0.1 signed by it (P-256: quick to make).
        run(Command::new("openssl").current_dir(d).args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=chainward test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]));
        run(Command::new("openssl").current_dir(d).args([
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]));
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(Command::new("openssl").current_dir(d).args([
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ]));
        let htpasswd = run(Command::new("htpasswd").args(["-Bbn", USER, PASSWORD]));
        std::fs::write(d.join("htpasswd"), htpasswd).unwrap();

        let port = free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n\
             http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {root}/server.crt\n    key: {root}/server.key\n\
             auth:\n  htpasswd:\n    realm: chainward-test\n    path: {root}/htpasswd\n",
            root = d.display()
        );
        std::fs::write(d.join("config.yml"), config).unwrap();
        let log = d.join("registry.log");
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(d.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(d.join("registry.err")).unwrap())
            .spawn()
            .expect("start docker-registry");
        wait_for_port(port, &mut child, &d.join("registry.err"));
        let guard = ChildGuard(child);

        // skopeo reads CA certificates from *.crt files of --dest-cert-dir.
        let certs = d.join("certs.d");
        std::fs::create_dir(&certs).unwrap();
        std::fs::copy(d.join("ca.crt"), certs.join("ca.crt")).unwrap();
        let layout = shared.join("images/oci");
        run(Command::new("skopeo")
            .args(["copy", "-q", "--dest-creds", &format!("{USER}:{PASSWORD}"), "--dest-cert-dir"])
            .arg(&certs)
            .arg(format!("oci:{}:alpine-3.20.3", layout.display()))
            .arg(format!("docker://127.0.0.1:{port}/alpine:3.20.3")));
        Self { port, ca: d.join("ca.crt"), _child: guard, dir }
    }

    fn reference(&self) -> Reference {
        Reference::parse(&format!("127.0.0.1:{}/alpine:3.20.3", self.port)).unwrap()
    }

    fn options(&self, config: PathBuf) -> RegistryOptions {
        RegistryOptions {
            docker_config: Some(config),
            extra_root_certificates: vec![self.ca.clone()],
            temp_dir: Some(self.dir.path().to_owned()),
            ..RegistryOptions::default()
        }
    }
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
#[ignore = "starts a registry"]
fn htpasswd_registry_over_tls() {
    let Some(shared) = shared() else { return };
    let registry = AuthRegistry::start(&shared);
    let host = format!("127.0.0.1:{}", registry.port);
    let tmp = tempfile::tempdir().unwrap();
    let r = registry.reference();

    // No credentials: UNAUTHORIZED, and the message says none were used.
    let empty = docker_config(tmp.path(), "empty.json", "{}");
    let err = resolve_registry_image(&r, &registry.options(empty), &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err:?}");
    assert!(err.to_string().contains("no credentials"), "{err}");

    // Wrong password: refused, and the message names where the credentials came from.
    let wrong = docker_config(
        tmp.path(),
        "wrong.json",
        &format!(r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#, basic(USER, "nope")),
    );
    let err = resolve_registry_image(&r, &registry.options(wrong.clone()), &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("auths[\"{host}\"] in {}", wrong.display())), "{err}");

    // `auths` with the base64 `auth` field, and with `username`/`password` under an URL key.
    for (name, json) in [
        ("auth.json", format!(r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#, basic(USER, PASSWORD))),
        (
            "fields.json",
            format!(r#"{{"auths":{{"https://{host}/v2/":{{"username":"{USER}","password":"{PASSWORD}"}}}}}}"#),
        ),
    ] {
        let config = docker_config(tmp.path(), name, &json);
        let image = resolve_registry_image(&r, &registry.options(config), &NoProgress)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(image.facts.manifest_digest.as_ref().unwrap().to_string(), ALPINE_3_20_3);
        assert_layers_verified(&image);
    }

    // Without the CA: the certificate is not trusted, and the error says so.
    let good = docker_config(
        tmp.path(),
        "good.json",
        &format!(r#"{{"auths":{{"{host}":{{"auth":"{}"}}}}}}"#, basic(USER, PASSWORD)),
    );
    let no_ca = RegistryOptions { extra_root_certificates: Vec::new(), ..registry.options(good.clone()) };
    let err = resolve_registry_image(&r, &no_ca, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::Connection { .. }), "{err:?}");
    assert!(err.to_string().contains("CA certificate"), "{err}");

    // A CA file that holds no certificate.
    let not_pem = docker_config(tmp.path(), "not-a-cert.pem", "hello");
    let bad_ca = RegistryOptions { extra_root_certificates: vec![not_pem], ..registry.options(good) };
    let err = resolve_registry_image(&r, &bad_ca, &NoProgress).unwrap_err();
    eprintln!("error: {err}");
    assert!(matches!(err, RegistryError::CertificateFormat { .. }), "{err:?}");
}

#[test]
#[ignore = "starts a registry"]
fn credential_helper_on_path() {
    let Some(shared) = shared() else { return };
    let registry = AuthRegistry::start(&shared);
    let host = format!("127.0.0.1:{}", registry.port);
    let tmp = tempfile::tempdir().unwrap();

    // The helper answers for this registry only, and logs the server URL it was asked for.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-chainwardtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r url\necho \"$url\" >> '{log}'\n\
             if [ \"$url\" = '{host}' ]; then printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$url\";\n\
             else echo 'credentials not found in native keychain'; exit 1; fi\n",
            log = tmp.path().join("helper.log").display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let config =
        docker_config(tmp.path(), "helpers.json", &format!(r#"{{"credHelpers":{{"{host}":"chainwardtest"}}}}"#));

    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "helper_child_pulls_with_the_helper", "--nocapture"])
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env(
            CHILD_ENV,
            format!("{}\t{}\t{}\t{}", registry.port, registry.ca.display(), config.display(), tmp.path().display()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let asked = std::fs::read_to_string(tmp.path().join("helper.log")).unwrap();
    assert_eq!(asked.trim(), host, "the helper is asked for the registry host");
}

/// Runs only as the child of [`credential_helper_on_path`], with the helper on its `PATH`.
#[test]
#[ignore = "the child half of credential_helper_on_path"]
fn helper_child_pulls_with_the_helper() {
    let Some(spec) = std::env::var_os(CHILD_ENV) else {
        eprintln!("notice: runs only as the child of credential_helper_on_path");
        return;
    };
    let spec = spec.to_string_lossy().into_owned();
    let [port, ca, config, tmp] = spec.split('\t').collect::<Vec<_>>()[..] else { panic!("bad {CHILD_ENV}: {spec}") };
    let r = Reference::parse(&format!("127.0.0.1:{port}/alpine:3.20.3")).unwrap();
    let opts = RegistryOptions {
        docker_config: Some(config.into()),
        extra_root_certificates: vec![ca.into()],
        temp_dir: Some(tmp.into()),
        ..RegistryOptions::default()
    };
    let image = resolve_registry_image(&r, &opts, &NoProgress).unwrap();
    assert_eq!(image.facts.manifest_digest.as_ref().unwrap().to_string(), ALPINE_3_20_3);
    assert_layers_verified(&image);
}
