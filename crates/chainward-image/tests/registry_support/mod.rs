//! Shared by the `registry_*` integration tests: the corpus location, free ports, the loopback
//! registry of `registry.sh` behind a guard that stops it even when a test fails, and checks on
//! pulled images.
#![allow(dead_code, reason = "each test file uses a part")]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward_image::source::ResolvedImage;
use sha2::Digest as _;

/// `../shared` beside the workspace, or `None` (after a notice) when it is absent outside CI.
pub(crate) fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.join("images/registry.sh").is_file() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "the shared corpus {} is missing and CI is set", dir.display());
    eprintln!("notice: {} is missing; skipping the registry tests", dir.display());
    None
}

/// A port that was free a moment ago (bind to 0, read, release).
pub(crate) fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Runs a command, panicking with its output when it fails.
pub(crate) fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A registry started by `registry.sh start PORT` (and filled by `push`), stopped on drop.
pub(crate) struct ScriptRegistry {
    pub(crate) port: u16,
    script: PathBuf,
    /// The registry's storage root (`STORE` of the state file).
    pub(crate) store: PathBuf,
}

impl ScriptRegistry {
    /// Starts a registry on a free port and pushes every corpus image into it.
    pub(crate) fn start_and_push(shared: &Path) -> Self {
        let script = shared.join("images/registry.sh");
        let port = free_port();
        run(Command::new("bash").arg(&script).arg("start").arg(port.to_string()));
        let tmp = std::env::var_os("TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        let state =
            std::fs::read_to_string(tmp.join(format!("chainward-registry-{port}.state"))).expect("registry state file");
        let store =
            state.lines().find_map(|l| l.strip_prefix("STORE=")).map(PathBuf::from).expect("STORE= in the state file");
        // The guard exists from here on, so a failing push still stops the registry.
        let registry = Self { port, script, store };
        run(Command::new("bash").arg(&registry.script).arg("push").arg(port.to_string()));
        registry
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The storage file of a blob (layer, config or manifest) by its sha256 hex.
    pub(crate) fn blob_data(&self, hex: &str) -> PathBuf {
        self.store.join("data/docker/registry/v2/blobs/sha256").join(&hex[..2]).join(hex).join("data")
    }
}

impl Drop for ScriptRegistry {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(&self.script).arg("stop").arg(self.port.to_string()).output();
    }
}

/// The sha256 of a file, as `sha256:<hex>`.
pub(crate) fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    format!("sha256:{:x}", h.finalize())
}

/// Every layer blob of a pulled image hashes to its digest and has its size.
pub(crate) fn assert_layers_verified(image: &ResolvedImage) {
    assert_eq!(image.layers.len(), image.facts.layers.len());
    for (blob, facts) in image.layers.iter().zip(&image.facts.layers) {
        assert_eq!(blob.offset, 0);
        assert!(blob.verify.is_none(), "registry blobs are verified while downloading");
        assert_eq!(Some(blob.len), facts.size);
        assert_eq!(std::fs::metadata(&blob.path).expect("blob file").len(), blob.len);
        assert_eq!(sha256_file(&blob.path), facts.digest.to_string(), "{}", blob.path.display());
        assert!(facts.diff_id.is_some(), "diff_id of {}", facts.digest);
    }
}

/// A docker config file holding `json`, in `dir`.
pub(crate) fn docker_config(dir: &Path, name: &str, json: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, json).expect("write docker config");
    path
}

/// Installs `package` with apt-get when `command` is not on PATH (as `registry.sh` does).
pub(crate) fn ensure_tool(command: &str, package: &str) {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {command}")).output().is_ok_and(|o| o.status.success());
    if !found {
        run(Command::new("sh")
            .arg("-c")
            .arg(format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}")));
    }
}

/// A child process this test started, killed (by its own handle) on drop.
pub(crate) struct ChildGuard(pub(crate) std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`, or panics with `log`.
pub(crate) fn wait_for_port(port: u16, child: &mut std::process::Child, log: &Path) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited with {status}:\n{}", std::fs::read_to_string(log).unwrap_or_default());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing listens on port {port} after 10 s:\n{}", std::fs::read_to_string(log).unwrap_or_default());
}
