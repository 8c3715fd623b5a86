//! The command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "chainward",
    version,
    about = "Defend Kubernetes clusters against software supply-chain attacks",
    long_about = "chainward lists what is inside container images as standard SBOMs, and (in coming releases) \
                  scans them for known vulnerabilities, verifies their signatures and enforces image policy \
                  in CI and at admission. One offline-capable binary.",
    after_help = "Examples:\n  chainward sbom alpine:3.20\n  chainward sbom --format spdx -o sbom.spdx.json oci-layout:./layout:app\n  chainward sbom docker-archive:image.tar\n\nExit codes: 0 success, 2 error."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// More log output on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List every package inside an image or root filesystem as an SBOM.
    #[command(after_help = SBOM_HELP)]
    Sbom(SbomArgs),
    /// Audit CI/CD definitions: GitHub Actions workflows, actions and Dependabot configs.
    #[command(subcommand)]
    Pipeline(PipelineCommand),
}

const SBOM_HELP: &str = "Targets (transport prefixes as skopeo names them):
  registry:REF | docker://REF | REF   an image in a registry (anonymous, bearer token, ~/.docker/config.json)
  oci-layout:DIR[:TAG]                an OCI image layout directory
  oci-archive:FILE[:TAG]              a tar of an OCI image layout
  docker-archive:FILE[:REF|:@N]       `docker save` output, plain or gzip-compressed
  rootfs:DIR                          an unpacked root filesystem
  dir:DIR                             a source tree: also its lockfiles (requirements*.txt so far)

Examples:
  chainward sbom nginx:1.27
  chainward sbom --platform linux/arm64 --format spdx ghcr.io/org/app@sha256:…
  chainward sbom --format json -o sbom.json docker-archive:app.tar.gz
  chainward sbom --insecure-registry 127.0.0.1:5000 127.0.0.1:5000/alpine:3.20.3";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SbomFormatArg {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// chainward's own JSON (`chainward.sbom/v1`).
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ImageArgs {
    /// Platform to pick from a multi-platform image.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub(crate) platform: String,
    /// Speak plain HTTP to this registry host[:port] (repeatable).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub(crate) insecure_registries: Vec<String>,
    /// Largest single file read into memory (e.g. 256M).
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    pub(crate) max_file_size: u64,
    /// Most bytes all layers together may inflate to (stops decompression bombs).
    #[arg(long, value_name = "SIZE", default_value = "32G", value_parser = parse_size)]
    pub(crate) max_image_size: u64,
}

#[derive(Debug, Args)]
pub(crate) struct SbomArgs {
    /// The image or tree to read (see the list of targets below).
    pub(crate) target: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "cyclonedx")]
    pub(crate) format: SbomFormatArg,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub(crate) image: ImageArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PipelineCommand {
    /// Audit GitHub Actions workflows and actions, Dependabot and pre-commit configs, and Dockerfiles
    /// (files, or directories laid out as a repository).
    #[command(after_help = PIPELINE_AUDIT_HELP)]
    Audit(PipelineAuditArgs),
    /// Show the documentation of an audit.
    Explain(PipelineExplainArgs),
}

const PIPELINE_AUDIT_HELP: &str = "A directory is searched as a repository lays files out: .github/workflows/*.yml, \
                                   action.yml anywhere, .github/dependabot.yml.

Silence one finding with a comment on its line: # chainward: ignore[unpinned-uses]

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 error.

Examples:
  chainward pipeline audit .
  chainward pipeline audit --persona pedantic --format json .github/workflows/ci.yml
  chainward pipeline audit --format sarif . > chainward.sarif
  chainward pipeline audit --format github .      # annotations, inside a workflow run
  chainward pipeline explain template-injection";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PipelineFormatArg {
    /// Findings grouped by file, with the source line and the span underlined.
    Plain,
    /// `chainward.pipeline/v1` JSON.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other dashboards.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum PersonaArg {
    /// Findings worth acting on.
    Regular,
    /// Also hygiene findings.
    Pedantic,
    /// Everything, including findings that need a human to judge.
    Auditor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum SeverityArg {
    Informational,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum ConfidenceArg {
    Low,
    Medium,
    High,
}

#[derive(Debug, Args)]
pub(crate) struct PipelineAuditArgs {
    /// Workflow, action, Dependabot, pre-commit or Dockerfile files, or repository directories.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<std::path::PathBuf>,
    /// Which findings to show.
    #[arg(long, value_enum, default_value = "regular")]
    pub(crate) persona: PersonaArg,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "plain")]
    pub(crate) format: PipelineFormatArg,
    /// Hide findings below this severity.
    #[arg(long, value_enum)]
    pub(crate) min_severity: Option<SeverityArg>,
    /// Hide findings below this confidence.
    #[arg(long, value_enum)]
    pub(crate) min_confidence: Option<ConfidenceArg>,
    /// Exit 1 when a shown finding is at or above this severity.
    #[arg(long, value_enum, default_value = "informational")]
    pub(crate) fail_on: SeverityArg,
    /// Configuration file (default: chainward-pipeline.yml or .github/chainward-pipeline.yml in the
    /// current directory or the first directory given).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<std::path::PathBuf>,
    /// A directory of OSV records (`*.json`) for `known-compromised-action`, beyond the bundled
    /// ones; may be given more than once.
    #[arg(long, value_name = "DIR")]
    pub(crate) advisories: Vec<std::path::PathBuf>,
    /// Apply the safe fixes the shown findings offer (e.g. `persist-credentials: false` on
    /// checkouts), keeping each file's formatting and comments, then report what is left.
    #[arg(long)]
    pub(crate) fix: bool,
    /// Also run the audits that ask the GitHub API (impostor-commit, ref-confusion,
    /// known-vulnerable-actions, stale-action-refs, ref-version-mismatch); reads a token from
    /// the GH_TOKEN environment variable.
    #[arg(long)]
    pub(crate) online: bool,
    /// The GitHub API base URL for --online (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", requires = "online")]
    pub(crate) github_api: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct PipelineExplainArgs {
    /// The audit id, e.g. unpinned-uses.
    pub(crate) id: String,
}

/// `123`, `64K`, `256M`, `32G` (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mult = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("{s:?}: unknown size suffix {c:?} (use K, M, G or T)")),
            };
            (&s[..i], mult)
        }
        _ => (s, 1),
    };
    let n: u64 = num.parse().map_err(|_| format!("{s:?} is not a size such as 512M"))?;
    n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("10"), Ok(10));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("M").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
