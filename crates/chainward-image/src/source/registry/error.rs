//! Why a registry pull failed: one variant per reason, carrying the registry, the reference and
//! what the registry said, with a message that says what to do.

use std::path::PathBuf;

use chainward_model::{Digest, Platform};

use crate::manifest::ManifestError;
use crate::source::docker_config::DockerConfigError;

/// Why an image could not be pulled from a registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The Docker config could not be read or its credential helper failed.
    #[error("credentials for {registry}: {source}")]
    Credentials {
        /// The registry host.
        registry: String,
        /// What went wrong (it names the config file and field).
        source: Box<DockerConfigError>,
    },
    /// An extra root certificate file cannot be read.
    #[error("cannot read CA certificate file {}: {source}", path.display())]
    CertificateRead {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// An extra root certificate file holds no PEM certificate.
    #[error("CA certificate file {} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", path.display())]
    CertificateFormat {
        /// The file.
        path: PathBuf,
    },
    /// The HTTP client could not be set up (e.g. a certificate rustls refuses).
    #[error("cannot set up the registry client: {reason}")]
    Client {
        /// The client's error.
        reason: String,
    },
    /// The async runtime could not be started.
    #[error("cannot start the async runtime for the registry client: {source}")]
    Runtime {
        /// The IO error.
        source: std::io::Error,
    },
    /// The registry could not be reached, or TLS failed.
    #[error("cannot talk to registry {registry} for {reference}: {message}{hint}")]
    Connection {
        /// The registry host.
        registry: String,
        /// The image reference.
        reference: String,
        /// The transport error and its causes.
        message: String,
        /// What to try, starting with "; " (empty when there is no advice).
        hint: String,
    },
    /// The registry wants credentials, or refused the ones given (HTTP 401, or an
    /// `UNAUTHORIZED`/`DENIED` error code).
    #[error("registry {registry} refused access to {reference}{}{}, with {credentials}: log in (docker login {registry}) or check the credentials and the repository name",
        code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
        status.map(|s| format!(" [HTTP {s}]")).unwrap_or_default())]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// The image reference.
        reference: String,
        /// The HTTP status, when known.
        status: Option<u16>,
        /// The registry's error code, e.g. `UNAUTHORIZED` or `DENIED`, when it sent one.
        code: Option<String>,
        /// The credentials used, e.g. `no credentials (anonymous)` or where they came from.
        credentials: String,
    },
    /// The token server of the bearer flow refused to issue a token.
    #[error("the token server of {registry} refused a token for {reference}, with {credentials}: {reason}")]
    AuthenticationFailed {
        /// The registry host.
        registry: String,
        /// The image reference.
        reference: String,
        /// The credentials used.
        credentials: String,
        /// What the token server said (cut to a few hundred bytes).
        reason: String,
    },
    /// The tag or digest does not exist (`MANIFEST_UNKNOWN`, or a 404 on the manifest).
    #[error("manifest unknown: {reference} does not exist in {registry} (check the tag or digest){}",
        code.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default())]
    ManifestUnknown {
        /// The registry host.
        registry: String,
        /// The image reference.
        reference: String,
        /// The registry's error code, when it sent one.
        code: Option<String>,
    },
    /// The registry answered with an error code other than the ones above.
    #[error("registry {registry} answered {code} for {reference}{}: {message}",
        status.map(|s| format!(" [HTTP {s}]")).unwrap_or_default())]
    Api {
        /// The registry host.
        registry: String,
        /// The image reference.
        reference: String,
        /// The HTTP status, when known (oci-client keeps it only for bodies without error codes).
        status: Option<u16>,
        /// The error code, e.g. `NAME_UNKNOWN`, `BLOB_UNKNOWN`, `TOOMANYREQUESTS`.
        code: String,
        /// The registry's message.
        message: String,
    },
    /// The registry answered with an HTTP error and no error code.
    #[error("registry {registry} answered HTTP {status} for {reference}: {message}")]
    Http {
        /// The registry host.
        registry: String,
        /// The image reference.
        reference: String,
        /// The HTTP status.
        status: u16,
        /// The start of the response body.
        message: String,
    },
    /// Content does not hash to the digest that names it: the registry (or something between)
    /// served other bytes than the ones the manifest pins. Nothing of it is used.
    #[error(
        "digest mismatch for {what}: expected {expected}, got {actual}; the registry served tampered or corrupt content"
    )]
    DigestMismatch {
        /// What was checked, e.g. `layer sha256:… of REF` or `manifest of REF (pinned digest)`.
        what: String,
        /// The digest it should have.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// Content is larger or smaller than its descriptor says.
    #[error("size mismatch for {what}: the descriptor says {expected} bytes, the registry sent {actual}")]
    SizeMismatch {
        /// What was checked.
        what: String,
        /// The size in the descriptor.
        expected: u64,
        /// The size the registry announced (`Content-Length`) or the bytes received (for an
        /// overrun: where reading stopped).
        actual: u64,
    },
    /// Content is over a size bound, and was refused before (or while) reading it.
    #[error("{what} is {size} bytes, over the limit of {limit} bytes{hint}")]
    TooLarge {
        /// What was refused.
        what: String,
        /// Its size (declared, or read so far).
        size: u64,
        /// The bound.
        limit: u64,
        /// What to do, starting with "; ", or empty.
        hint: &'static str,
    },
    /// A digest uses an algorithm chainward cannot verify (only sha256 and sha512 can be).
    #[error("{what} is named by digest {digest}, whose algorithm cannot be verified (only sha256 and sha512)")]
    UnsupportedDigest {
        /// What the digest names.
        what: String,
        /// The digest.
        digest: Digest,
    },
    /// A manifest, index or config does not parse.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The index has no image for the wanted platform.
    #[error("{reference} has no image for platform {wanted}; available: {} (choose one with --platform)",
        if available.is_empty() { "none".to_owned() }
        else { available.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ") })]
    PlatformNotFound {
        /// The image reference.
        reference: String,
        /// The platform asked for.
        wanted: Platform,
        /// The platforms the index offers (attestation entries `unknown/unknown` left out).
        available: Vec<Platform>,
    },
    /// An index entry chosen for the platform is itself an index (nested indexes are not
    /// followed: no registry image needs them, and they allow unbounded chains).
    #[error("{what} is an image index inside an image index; chainward does not follow nested indexes")]
    NestedIndex {
        /// The nested document.
        what: String,
    },
    /// The config's `rootfs.diff_ids` and the manifest's layers disagree (Docker refuses such
    /// images too: "layers from manifest don't match image configuration").
    #[error("{reference}: the manifest has {layers} layers but the config lists {diff_ids} diff_ids")]
    LayerCountMismatch {
        /// The image reference.
        reference: String,
        /// Layers in the manifest.
        layers: usize,
        /// `rootfs.diff_ids` in the config.
        diff_ids: usize,
    },
    /// The download stopped midway.
    #[error("downloading {what} from {registry} failed: {message}")]
    Transfer {
        /// The registry host.
        registry: String,
        /// What was being downloaded.
        what: String,
        /// The transport error.
        message: String,
    },
    /// The temporary directory for downloads cannot be made.
    #[error("cannot create a temporary directory for downloads{}: {source}",
        path.as_ref().map(|p| format!(" under {}", p.display())).unwrap_or_default())]
    TempDir {
        /// The parent directory asked for, if any.
        path: Option<PathBuf>,
        /// The IO error.
        source: std::io::Error,
    },
    /// A downloaded blob cannot be written to disk.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The registry broke the distribution protocol in a way the client could not read.
    #[error("registry {registry} sent an unusable answer for {reference}: {message}")]
    Protocol {
        /// The registry host.
        registry: String,
        /// The image reference.
        reference: String,
        /// The client's description.
        message: String,
    },
}
