//! Output streams: data to stdout or an atomically written file, logs to stderr.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

/// Sets up `tracing` on stderr: warnings by default, more with `-v`, errors only with `-q`.
/// `CHAINWARD_LOG` (an env-filter directive) overrides both.
pub(crate) fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAINWARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}

/// Whether an error chain ends in a broken pipe (`chainward … | head` is not an error).
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<chainward_sbom::SbomError>().is_some_and(
                |s| matches!(s, chainward_sbom::SbomError::Io(io) if io.kind() == io::ErrorKind::BrokenPipe),
            )
    })
}

/// Prints an error and its causes to stderr.
#[allow(clippy::print_stderr)]
pub(crate) fn report_error(e: &anyhow::Error) {
    eprintln!("error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

/// Writes through `write` to stdout, or to `path` atomically: a temporary file in the same
/// directory, renamed over the target only when everything was written.
pub(crate) fn write_output(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    match path {
        None => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            write(&mut lock)?;
            lock.flush()?;
            Ok(())
        }
        Some(path) => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            {
                let mut buf = io::BufWriter::new(tmp.as_file_mut());
                write(&mut buf)?;
                buf.flush().with_context(|| format!("writing {}", path.display()))?;
            }
            tmp.as_file().sync_all().ok();
            tmp.persist(path).with_context(|| format!("writing {}", path.display()))?;
            Ok(())
        }
    }
}
