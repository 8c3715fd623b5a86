//! OCI and Docker manifest, index and config documents (image-spec v1.1; Docker Image Manifest
//! V2 Schema 2). Parsing is strict where it matters for safety (digests, sizes) and lenient
//! where real registries differ (a missing `mediaType`, unknown fields).

use chainward_model::{Digest, Platform};
use serde::Deserialize;

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker v2 schema 2 manifest media type.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list media type.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The largest manifest, index or config we read (the distribution spec lets registries
/// refuse manifests over 4 MiB; configs of real images stay far below this).
pub const MAX_DOCUMENT_SIZE: u64 = 8 * 1024 * 1024;

/// A content descriptor (image-spec descriptor.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size in bytes of the referenced content.
    pub size: u64,
    /// Platform, for index entries.
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
    /// Annotations, e.g. `org.opencontainers.image.ref.name` in an OCI layout's index.
    #[serde(default)]
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
}

/// The platform object of an index entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DescriptorPlatform {
    /// OS.
    pub os: String,
    /// Architecture.
    pub architecture: String,
    /// Variant.
    #[serde(default)]
    pub variant: Option<String>,
}

impl DescriptorPlatform {
    /// As a model [`Platform`].
    pub fn to_platform(&self) -> Platform {
        Platform { os: self.os.clone(), architecture: self.architecture.clone(), variant: self.variant.clone() }
    }
}

/// An image manifest (OCI or Docker v2s2: the same shape).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Must be 2.
    pub schema_version: u32,
    /// Media type, which the OCI spec allows to be absent.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, bottom first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// Annotations.
    #[serde(default)]
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
}

/// An image index or Docker manifest list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Must be 2.
    pub schema_version: u32,
    /// Media type, which the OCI spec allows to be absent.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The entries.
    pub manifests: Vec<Descriptor>,
}

/// The image config (only the parts chainward uses).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ImageConfig {
    /// Creation time.
    #[serde(default)]
    pub created: Option<String>,
    /// OS.
    #[serde(default)]
    pub os: Option<String>,
    /// Architecture.
    #[serde(default)]
    pub architecture: Option<String>,
    /// Variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// The root filesystem: diff ids of the uncompressed layers.
    #[serde(default)]
    pub rootfs: Option<RootFs>,
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RootFs {
    /// Uncompressed layer digests, bottom first.
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

impl ImageConfig {
    /// The platform the config declares, if it names os and architecture.
    pub fn platform(&self) -> Option<Platform> {
        Some(Platform { os: self.os.clone()?, architecture: self.architecture.clone()?, variant: self.variant.clone() })
    }
}

/// A parsed manifest-or-index document.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A single-platform image manifest.
    Manifest(Box<ImageManifest>),
    /// An index of manifests.
    Index(ImageIndex),
}

/// Why a manifest, index or config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The JSON does not parse into the expected document.
    #[error("{what} is not valid JSON of the expected shape: {source}")]
    Json {
        /// Which document.
        what: String,
        /// The parser's error (with line and column).
        source: serde_json::Error,
    },
    /// The media type is not one chainward can read.
    #[error(
        "{what} has unsupported media type {media_type:?} (expected an OCI or Docker v2 schema 2 manifest or index)"
    )]
    UnsupportedMediaType {
        /// Which document.
        what: String,
        /// The media type found.
        media_type: String,
    },
    /// `schemaVersion` is not 2 (Docker schema 1 manifests are obsolete and unsigned-insecure).
    #[error("{what} has schemaVersion {found}, expected 2")]
    SchemaVersion {
        /// Which document.
        what: String,
        /// The version found.
        found: u32,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    config: Option<serde::de::IgnoredAny>,
}

/// Parses a manifest or index. `declared_type` is the media type from the descriptor or the
/// HTTP Content-Type, used when the document itself has no `mediaType` (allowed by OCI).
pub fn parse_document(bytes: &[u8], declared_type: Option<&str>, what: &str) -> Result<Document, ManifestError> {
    let json_err = |source| ManifestError::Json { what: what.to_owned(), source };
    let probe: Probe = serde_json::from_slice(bytes).map_err(json_err)?;
    if let Some(v) = probe.schema_version.filter(|v| *v != 2) {
        return Err(ManifestError::SchemaVersion { what: what.to_owned(), found: v });
    }
    let media_type =
        probe.media_type.as_deref().or(declared_type).map(|m| m.split(';').next().unwrap_or(m).trim().to_owned());
    let is_index = match media_type.as_deref() {
        Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => true,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
        // No usable media type: decide by shape, as containerd does for untyped manifests.
        None | Some("application/json" | "application/octet-stream" | "") => {
            probe.manifests.is_some() && probe.config.is_none()
        }
        Some(other) => {
            return Err(ManifestError::UnsupportedMediaType { what: what.to_owned(), media_type: other.to_owned() });
        }
    };
    if is_index {
        Ok(Document::Index(serde_json::from_slice(bytes).map_err(json_err)?))
    } else {
        Ok(Document::Manifest(Box::new(serde_json::from_slice(bytes).map_err(json_err)?)))
    }
}

/// Parses an image config blob.
pub fn parse_config(bytes: &[u8], what: &str) -> Result<ImageConfig, ManifestError> {
    serde_json::from_slice(bytes).map_err(|source| ManifestError::Json { what: what.to_owned(), source })
}

/// The compression of a layer blob, from its first bytes (media types lie in the wild:
/// Docker archives carry uncompressed layers under `.tar.gzip` names and vice versa).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// zstd (RFC 8878).
    Zstd,
}

impl Compression {
    /// Sniffs the compression from the first bytes of a blob.
    pub fn sniff(head: &[u8]) -> Self {
        match head {
            [0x1f, 0x8b, ..] => Self::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Self::Zstd,
            _ => Self::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untyped_manifest_is_recognised_by_shape() {
        let m = br#"{"schemaVersion":2,"config":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}"#;
        assert!(matches!(parse_document(m, None, "m").unwrap(), Document::Manifest(_)));
        let i = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(parse_document(i, None, "i").unwrap(), Document::Index(_)));
    }

    #[test]
    fn rejects_schema1_and_foreign_types() {
        let s1 = br#"{"schemaVersion":1,"name":"x"}"#;
        assert!(matches!(parse_document(s1, None, "m"), Err(ManifestError::SchemaVersion { found: 1, .. })));
        let foreign = br#"{"schemaVersion":2,"mediaType":"application/vnd.cncf.helm.chart"}"#;
        assert!(matches!(parse_document(foreign, None, "m"), Err(ManifestError::UnsupportedMediaType { .. })));
    }
}
