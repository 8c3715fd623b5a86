//! `oci-layout:DIR[:TAG]` and `oci-archive:FILE[:TAG]`: an OCI image layout (image-spec
//! image-layout.md) as a directory or inside a tar.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chainward_model::{Digest, ImageFacts, LayerFacts, Platform};
use sha2::{Digest as _, Sha256};

use crate::manifest::{
    self, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, Descriptor, Document, ImageManifest, MAX_DOCUMENT_SIZE, OCI_INDEX,
    OCI_MANIFEST,
};
use crate::source::archive::ArchiveIndex;
use crate::source::{BlobFile, ResolvedImage, SourceError};

/// The annotation that names a tag in an OCI layout's index (image-spec annotations.md).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where the layout's files are.
pub(crate) enum LayoutStore {
    Dir(PathBuf),
    Archive(ArchiveIndex),
}

impl LayoutStore {
    fn describe(&self) -> String {
        match self {
            Self::Dir(d) => d.display().to_string(),
            Self::Archive(a) => a.file().display().to_string(),
        }
    }

    fn read_small(&self, name: &str, max: u64) -> Result<Vec<u8>, SourceError> {
        match self {
            Self::Dir(dir) => {
                let path = dir.join(name);
                let io = |source| SourceError::Io { path: path.clone(), source };
                let f = File::open(&path).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        SourceError::Missing { what: path.display().to_string() }
                    } else {
                        io(e)
                    }
                })?;
                let mut buf = Vec::new();
                f.take(max + 1).read_to_end(&mut buf).map_err(io)?;
                if buf.len() as u64 > max {
                    return Err(SourceError::Invalid {
                        what: path.display().to_string(),
                        reason: format!("over the {max}-byte bound for a metadata document"),
                    });
                }
                Ok(buf)
            }
            Self::Archive(a) => a.read_small(name, max),
        }
    }

    /// `blobs/ALG/ENCODED`. Digest::parse keeps `/` out of both parts, but it lets an
    /// algorithm be `.` or `..` (it checks characters, not the grammar's
    /// `[a-z0-9]+([+._-][a-z0-9]+)*` of image-spec descriptor.md "Digests"), which as a
    /// path would leave `blobs/`: refuse any algorithm off the grammar before a path is formed.
    fn blob_name(digest: &Digest, what: &str) -> Result<String, SourceError> {
        let algorithm = digest.algorithm();
        let grammatical = algorithm
            .split(['+', '.', '_', '-'])
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if !grammatical {
            return Err(SourceError::Invalid {
                what: format!("{what} {digest}"),
                reason: format!("digest algorithm {algorithm:?} is not of the form [a-z0-9]+([+._-][a-z0-9]+)*"),
            });
        }
        Ok(format!("blobs/{algorithm}/{}", digest.hex()))
    }

    /// Reads a small blob and checks it against its descriptor's digest and size.
    fn read_blob_verified(&self, desc: &Descriptor, what: &str) -> Result<Vec<u8>, SourceError> {
        if desc.size > MAX_DOCUMENT_SIZE {
            return Err(SourceError::Invalid {
                what: format!("{what} {}", desc.digest),
                reason: format!("descriptor size {} is over the {MAX_DOCUMENT_SIZE}-byte bound", desc.size),
            });
        }
        let bytes = self.read_small(&Self::blob_name(&desc.digest, what)?, MAX_DOCUMENT_SIZE).map_err(|e| match e {
            SourceError::Missing { .. } => SourceError::Missing {
                what: format!(
                    "{what} blob {} (named by the layout's index or manifest) in {}",
                    desc.digest,
                    self.describe()
                ),
            },
            e => e,
        })?;
        verify_bytes(&bytes, &desc.digest, what)?;
        // The size is part of the descriptor's claim (image-spec descriptor.md: "size ...
        // SHOULD be verified"): a descriptor that lies about it is not trusted either.
        if bytes.len() as u64 != desc.size {
            return Err(SourceError::Invalid {
                what: format!("{what} {}", desc.digest),
                reason: format!("the descriptor says {} bytes, the blob has {}", desc.size, bytes.len()),
            });
        }
        Ok(bytes)
    }

    fn layer_blob(&self, desc: &Descriptor) -> Result<BlobFile, SourceError> {
        let name = Self::blob_name(&desc.digest, "layer blob")?;
        let missing = || SourceError::Missing { what: format!("layer blob {} in {}", desc.digest, self.describe()) };
        let mut blob = match self {
            Self::Dir(dir) => {
                let path = dir.join(&name);
                let len = std::fs::metadata(&path).map_err(|_| missing())?.len();
                BlobFile { path: Arc::from(path.as_path()), offset: 0, len, verify: None }
            }
            Self::Archive(a) => a.blob(&name).ok_or_else(missing)?,
        };
        if blob.len != desc.size {
            return Err(SourceError::Invalid {
                what: format!("layer blob {}", desc.digest),
                reason: format!("the manifest says {} bytes, the blob has {}", desc.size, blob.len),
            });
        }
        blob.verify = Some(desc.digest.clone());
        Ok(blob)
    }
}

/// Checks bytes against a digest (sha256 and sha512).
pub(crate) fn verify_bytes(bytes: &[u8], expected: &Digest, what: &str) -> Result<(), SourceError> {
    let actual = match expected.algorithm() {
        "sha256" => Digest::sha256_from_bytes(&Sha256::digest(bytes).into()),
        other => {
            return Err(SourceError::Invalid {
                what: format!("{what} {expected}"),
                reason: format!("digest algorithm {other:?} is not supported (only sha256)"),
            });
        }
    };
    if &actual != expected {
        return Err(SourceError::DigestMismatch { what: what.to_owned(), expected: expected.clone(), actual });
    }
    Ok(())
}

fn tag_of(desc: &Descriptor) -> Option<&str> {
    desc.annotations.as_ref()?.get(REF_NAME).map(String::as_str)
}

/// Resolves an image in a layout: picks the index entry by tag, descends into a nested
/// index by platform, reads and verifies manifest and config.
pub(crate) fn resolve(
    store: LayoutStore,
    tag: Option<&str>,
    platform: &Platform,
    target: &str,
) -> Result<ResolvedImage, SourceError> {
    let layout = store.read_small("oci-layout", 4096)?;
    let version: serde_json::Value = serde_json::from_slice(&layout).map_err(|e| SourceError::Invalid {
        what: format!("{}/oci-layout", store.describe()),
        reason: format!("not JSON: {e}"),
    })?;
    if version.get("imageLayoutVersion").and_then(|v| v.as_str()).is_none() {
        return Err(SourceError::Invalid {
            what: format!("{}/oci-layout", store.describe()),
            reason: "no imageLayoutVersion".into(),
        });
    }
    let index_bytes = store.read_small("index.json", MAX_DOCUMENT_SIZE)?;
    let index_what = format!("{}/index.json", store.describe());
    let Document::Index(index) = manifest::parse_document(&index_bytes, Some(OCI_INDEX), &index_what)? else {
        return Err(SourceError::Invalid { what: index_what, reason: "is a manifest, expected an image index".into() });
    };
    let entry = match tag {
        Some(t) => index.manifests.iter().find(|d| tag_of(d) == Some(t)).ok_or_else(|| SourceError::NoSuchTag {
            target: target.to_owned(),
            tag: t.to_owned(),
            available: index.manifests.iter().filter_map(tag_of).map(str::to_owned).collect(),
        })?,
        None => match index.manifests.as_slice() {
            [only] => only,
            many => {
                return Err(SourceError::AmbiguousImage {
                    target: target.to_owned(),
                    available: many
                        .iter()
                        .map(|d| tag_of(d).map_or_else(|| d.digest.to_string(), str::to_owned))
                        .collect(),
                });
            }
        },
    };
    let mut facts = ImageFacts { target: target.to_owned(), ..Default::default() };
    let mut desc = entry.clone();
    // Follow nested indexes (bounded: an index pointing at itself must not loop).
    for _ in 0..4 {
        let bytes = store.read_blob_verified(&desc, "manifest")?;
        let what = format!("manifest {}", desc.digest);
        match manifest::parse_document(&bytes, desc.media_type.as_deref(), &what)? {
            Document::Manifest(m) => {
                facts.manifest_digest = Some(desc.digest.clone());
                facts.manifest_media_type =
                    m.media_type.clone().or(desc.media_type.clone()).or(Some(OCI_MANIFEST.to_owned()));
                return finish(&store, *m, facts);
            }
            Document::Index(idx) => {
                facts.index_digest = Some(desc.digest.clone());
                desc = choose_platform(&idx.manifests, platform, target)?.clone();
            }
        }
    }
    Err(SourceError::Invalid { what: target.to_owned(), reason: "image indexes nest more than 4 deep".into() })
}

/// Picks the index entry for a platform, or lists the platforms there are.
pub(crate) fn choose_platform<'a>(
    entries: &'a [Descriptor],
    platform: &Platform,
    target: &str,
) -> Result<&'a Descriptor, SourceError> {
    let is_image = |d: &&Descriptor| {
        matches!(
            d.media_type.as_deref(),
            None | Some(OCI_MANIFEST | DOCKER_MANIFEST | OCI_INDEX | DOCKER_MANIFEST_LIST)
        )
    };
    entries
        .iter()
        .filter(is_image)
        .find(|d| d.platform.as_ref().is_some_and(|p| platform.matches(&p.to_platform())))
        .ok_or_else(|| SourceError::NoSuchPlatform {
            target: target.to_owned(),
            platform: platform.to_string(),
            available: entries
                .iter()
                .filter_map(|d| d.platform.as_ref().map(|p| p.to_platform().to_string()))
                .collect(),
        })
}

fn finish(store: &LayoutStore, m: ImageManifest, mut facts: ImageFacts) -> Result<ResolvedImage, SourceError> {
    let config_bytes = store.read_blob_verified(&m.config, "config")?;
    let config = manifest::parse_config(&config_bytes, &format!("config {}", m.config.digest))?;
    facts.config_digest = Some(m.config.digest.clone());
    facts.platform = config.platform();
    facts.created = config.created.clone();
    let diff_ids = config.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    let mut layers = Vec::with_capacity(m.layers.len());
    for (i, desc) in m.layers.iter().enumerate() {
        layers.push(store.layer_blob(desc)?);
        facts.layers.push(LayerFacts {
            digest: desc.digest.clone(),
            diff_id: diff_ids.get(i).cloned(),
            media_type: desc.media_type.clone(),
            size: Some(desc.size),
        });
    }
    Ok(ResolvedImage { facts, layers, keep_alive: None })
}

/// `oci-layout:` on a directory.
pub(crate) fn resolve_dir(
    dir: &Path,
    tag: Option<&str>,
    platform: &Platform,
    target: &str,
) -> Result<ResolvedImage, SourceError> {
    resolve(LayoutStore::Dir(dir.to_path_buf()), tag, platform, target)
}

/// `oci-archive:` on a tar file.
pub(crate) fn resolve_archive(
    file: &Path,
    tag: Option<&str>,
    platform: &Platform,
    target: &str,
) -> Result<ResolvedImage, SourceError> {
    let index = ArchiveIndex::open(file)?;
    if !index.contains("index.json") {
        return Err(SourceError::Invalid {
            what: file.display().to_string(),
            reason: "no index.json: not an OCI archive (for `docker save` output use docker-archive:)".into(),
        });
    }
    resolve(LayoutStore::Archive(index), tag, platform, target)
}
