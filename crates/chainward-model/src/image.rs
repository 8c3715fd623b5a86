use std::fmt;

use crate::Digest;

/// An OCI platform: `os/architecture[/variant]` (image-spec, image-index.md "platform").
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Platform {
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// CPU architecture in Go's naming, e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// CPU variant, e.g. `v8` for arm64, `v7` for arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// Why a `--platform` string is not `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError(pub String);

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "platform {:?} is not of the form os/arch[/variant] (e.g. linux/arm64/v8)", self.0)
    }
}

impl std::error::Error for PlatformError {}

impl Platform {
    /// `linux/amd64`, the default platform as `docker pull` picks on an amd64 host.
    pub fn linux_amd64() -> Self {
        Self { os: "linux".into(), architecture: "amd64".into(), variant: None }
    }

    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Self, PlatformError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => {
                Ok(Self { os: os.to_ascii_lowercase(), architecture: arch.to_ascii_lowercase(), variant: None })
            }
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => Ok(Self {
                os: os.to_ascii_lowercase(),
                architecture: arch.to_ascii_lowercase(),
                variant: Some(variant.to_ascii_lowercase()),
            }),
            _ => Err(PlatformError(s.to_owned())),
        }
    }

    /// Whether an index entry's platform satisfies this requested platform.
    ///
    /// The variant is compared only when both sides name one, and `arm64` without a
    /// variant equals `arm64/v8`, as containerd's platform matcher normalises it.
    pub fn matches(&self, candidate: &Platform) -> bool {
        if self.os != candidate.os || self.architecture != candidate.architecture {
            return false;
        }
        let norm = |p: &Platform| match (p.architecture.as_str(), p.variant.as_deref()) {
            ("arm64", None) => Some("v8".to_owned()),
            (_, v) => v.map(str::to_owned),
        };
        match (norm(self), norm(candidate)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The operating system found inside an image (os-release(5) and its fallbacks).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OsRelease {
    /// `ID`, e.g. `debian`, `alpine`, `rhel`.
    pub id: String,
    /// `VERSION_ID`, e.g. `12`, `3.20.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`, e.g. `bookworm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME`, e.g. `Debian GNU/Linux 12 (bookworm)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The file the answer came from, e.g. `/etc/os-release`.
    pub evidence: String,
}

/// One layer of an image: its blob digest and the digest of its uncompressed tar.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerFacts {
    /// The digest of the layer blob as the manifest names it.
    pub digest: Digest,
    /// The digest of the uncompressed layer (`rootfs.diff_ids` in the config), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<Digest>,
    /// The blob's media type as the manifest names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The blob's size in bytes as the manifest names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// What is known about an image before looking inside its files.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageFacts {
    /// What the user asked for, e.g. `registry:alpine:3.20` or `oci-layout:./dir:tag`.
    pub target: String,
    /// The normalised reference, for registry images and archives that name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The digest of the image manifest (for an index, of the chosen platform's manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<Digest>,
    /// The digest of the index the manifest was chosen from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<Digest>,
    /// The digest of the image config blob (the "image ID").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<Digest>,
    /// The media type of the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_media_type: Option<String>,
    /// The platform from the image config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The layers, bottom first.
    #[serde(default)]
    pub layers: Vec<LayerFacts>,
    /// `created` from the image config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The operating system detected inside the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_parse_and_match() {
        let want = Platform::parse("linux/arm64").unwrap();
        let have = Platform::parse("linux/arm64/v8").unwrap();
        assert!(want.matches(&have));
        assert!(!Platform::linux_amd64().matches(&have));
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v8").is_err());
        assert_eq!(have.to_string(), "linux/arm64/v8");
        let v7 = Platform::parse("linux/arm/v7").unwrap();
        assert!(!Platform::parse("linux/arm/v6").unwrap().matches(&v7));
    }
}
