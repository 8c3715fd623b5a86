//! Test support shared by the crates' integration tests: where `../shared` is, and the
//! derived image forms that `../shared/images/export.sh` writes.
//!
//! Tests that need `../shared` call [`shared_dir`]: when the folder is missing it panics if
//! the `CI` environment variable is set (CI must never skip silently) and otherwise returns
//! `None` so a developer without the corpus sees a notice instead of a failure.
#![deny(missing_docs)]
#![allow(clippy::print_stderr, clippy::expect_used, clippy::unwrap_used)]

pub mod http;
pub mod schema;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared` beside the workspace root, if present (see the crate docs for CI).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared");
    if dir.join("README.md").is_file() {
        return Some(dir.canonicalize().unwrap_or(dir));
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "../shared is missing beside the workspace root ({}), and CI is set: corpus tests must not skip",
            dir.display()
        );
    }
    eprintln!("notice: ../shared not found beside the workspace root; skipping a corpus test");
    None
}

/// The folder where `export.sh` has written every derived image form, exporting once per
/// test process (and reusing an export from an earlier process of the same run when the
/// `CHAINWARD_EXPORT_DIR` environment variable names one that is complete).
pub fn exported_images() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let shared = shared_dir()?;
        let dir = match std::env::var_os("CHAINWARD_EXPORT_DIR") {
            Some(d) => PathBuf::from(d),
            None => workspace_root().join("target/chainward-export"),
        };
        let stamp = dir.join(".complete");
        if !stamp.is_file() {
            let status = Command::new("bash")
                .arg(shared.join("images/export.sh"))
                .arg(&dir)
                .status()
                .expect("running ../shared/images/export.sh");
            assert!(status.success(), "export.sh failed: {status}");
            std::fs::write(&stamp, b"").expect("writing export stamp");
        }
        Some(dir)
    })
    .clone()
}

/// Reads a TSV file with a header row into maps from column name to value.
pub fn read_tsv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .map(|h| h.trim_start_matches('#').trim().split('\t').map(str::to_owned).collect())
        .unwrap_or_default();
    lines
        .filter(|l| !l.starts_with('#'))
        .map(|l| header.iter().cloned().zip(l.split('\t').map(str::to_owned)).collect())
        .collect()
}

/// One OS package of `../shared/images/expected/NAME.os-packages.tsv`: name, version, source
/// name, source version (empty for apk, whose origin has no version of its own), arch.
pub type ExpectedOsPackage = (String, String, String, String, String);

/// Reads `../shared/images/expected/NAME.os-packages.tsv` (dpkg or apk columns).
pub fn expected_os_packages(shared: &Path, name: &str) -> std::collections::BTreeSet<ExpectedOsPackage> {
    read_tsv(&shared.join(format!("images/expected/{name}.os-packages.tsv")))
        .into_iter()
        .map(|r| match r.get("origin") {
            Some(origin) => (r["name"].clone(), r["version"].clone(), origin.clone(), String::new(), r["arch"].clone()),
            None => (
                r["name"].clone(),
                r["version"].clone(),
                r["source"].clone(),
                r["source_version"].clone(),
                r["arch"].clone(),
            ),
        })
        .collect()
}

/// A loopback `docker-registry` holding every corpus tag, started with
/// `../shared/images/registry.sh` on a free port and stopped (storage deleted) on drop.
pub struct LoopbackRegistry {
    shared: PathBuf,
    /// The port on 127.0.0.1.
    pub port: u16,
}

impl LoopbackRegistry {
    /// Starts the registry and pushes every tag; `None` when `../shared` is absent (see
    /// [`shared_dir`]).
    pub fn start_with_corpus() -> Option<Self> {
        let shared = shared_dir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("finding a free loopback port");
        let script = shared.join("images/registry.sh");
        let run = |cmd: &str| {
            let out =
                Command::new("bash").arg(&script).arg(cmd).arg(port.to_string()).output().expect("running registry.sh");
            assert!(out.status.success(), "registry.sh {cmd} {port} failed: {}", String::from_utf8_lossy(&out.stderr));
        };
        run("start");
        let registry = Self { shared, port };
        run("push");
        Some(registry)
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for LoopbackRegistry {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(self.shared.join("images/registry.sh"))
            .arg("stop")
            .arg(self.port.to_string())
            .output();
    }
}
