//! Image sources, selected by a transport prefix as skopeo names them, all leading to the
//! same merged [`FileTree`].
//!
//! | target | source |
//! |---|---|
//! | `registry:REF`, `docker://REF`, bare `REF` | the OCI distribution API |
//! | `oci-layout:DIR[:TAG]` (also `oci:`) | an OCI image layout directory |
//! | `oci-archive:FILE[:TAG]` | a tar of an OCI image layout |
//! | `docker-archive:FILE[:REF\|:@N]` | `docker save` output, plain or gzip-compressed |
//! | `rootfs:DIR` | an unpacked root filesystem |

mod archive;
pub mod docker_archive;
pub mod docker_config;
pub mod oci_layout;
#[cfg(feature = "registry")]
pub mod registry;
mod rootfs;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chainward_model::{Digest, ImageFacts, Platform};

use crate::manifest::ManifestError;
use crate::reference::{Reference, ReferenceError};
use crate::tar::TarError;
use crate::tree::FileTree;
use crate::walk::{self, Interest, Limits, WalkError};

/// A layer blob stored in a file (an OCI layout blob, a member of an archive, or a
/// downloaded temporary file): the bytes `offset..offset+len` of `path`.
#[derive(Debug, Clone)]
pub struct BlobFile {
    /// The file holding the blob.
    pub path: Arc<Path>,
    /// Where the blob starts in the file.
    pub offset: u64,
    /// The blob's length in bytes.
    pub len: u64,
    /// The digest to check the blob's bytes against while reading, when the source has not
    /// already checked it (a registry download is checked as it streams to disk).
    pub verify: Option<Digest>,
}

/// An image whose manifest and config are read and whose layers are files on disk.
#[derive(Debug)]
pub struct ResolvedImage {
    /// Manifest-level facts (digests, platform, layers).
    pub facts: ImageFacts,
    /// One blob per layer, bottom first, parallel to `facts.layers`.
    pub layers: Vec<BlobFile>,
    /// Keeps temporary files (downloads) alive as long as the image is in use.
    pub keep_alive: Option<Arc<tempfile::TempDir>>,
}

/// What the user asked to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An image in a registry.
    Registry(Reference),
    /// An OCI layout directory and an optional tag.
    OciLayout {
        /// The layout directory.
        dir: PathBuf,
        /// The `org.opencontainers.image.ref.name` to pick.
        tag: Option<String>,
    },
    /// A tar of an OCI layout and an optional tag.
    OciArchive {
        /// The archive.
        file: PathBuf,
        /// The tag to pick.
        tag: Option<String>,
    },
    /// A `docker save` archive.
    DockerArchive {
        /// The archive.
        file: PathBuf,
        /// Which image, when the archive holds several.
        selector: Option<docker_archive::Selector>,
    },
    /// An unpacked root filesystem.
    Rootfs(PathBuf),
    /// A source tree (a repository checkout): read like a root filesystem, cataloged for its
    /// lockfiles and manifests as well as for installed packages.
    Dir(PathBuf),
}

impl Target {
    /// Whether the target is a source tree, whose lockfiles are evidence of what is used.
    pub fn is_source_tree(&self) -> bool {
        matches!(self, Target::Dir(_))
    }
}

/// Splits `PATH[:SUFFIX]` at the first `:` whose left side exists on disk (paths may not
/// contain `:` in skopeo's grammar; this also accepts those that do, when they exist).
fn split_existing(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    for (i, _) in rest.match_indices(':') {
        let (path, suffix) = (&rest[..i], &rest[i + 1..]);
        if Path::new(path).exists() {
            return (PathBuf::from(path), Some(suffix.to_owned()).filter(|s| !s.is_empty()));
        }
    }
    match rest.split_once(':') {
        Some((p, s)) => (PathBuf::from(p), Some(s.to_owned()).filter(|s| !s.is_empty())),
        None => (PathBuf::from(rest), None),
    }
}

impl Target {
    /// Parses a target string.
    pub fn parse(s: &str) -> Result<Self, SourceError> {
        let bad = |reason: &str| SourceError::BadTarget { target: s.to_owned(), reason: reason.to_owned() };
        let (transport, rest) = match s.split_once(':') {
            Some((t, r)) if is_transport(t) => (t, r),
            _ => ("registry", s),
        };
        if rest.is_empty() {
            return Err(bad("nothing after the transport prefix"));
        }
        match transport {
            "registry" | "docker" => {
                let r = rest.strip_prefix("//").unwrap_or(rest);
                if transport == "registry" && !s.starts_with("registry:") && looks_like_path(r) {
                    return Err(bad(
                        "looks like a local path: name a transport (oci-layout:, oci-archive:, docker-archive:, rootfs:, dir:)",
                    ));
                }
                Ok(Self::Registry(Reference::parse(r)?))
            }
            "oci-layout" | "oci" => {
                let (dir, tag) = split_existing(rest);
                Ok(Self::OciLayout { dir, tag })
            }
            "oci-archive" => {
                let (file, tag) = split_existing(rest);
                Ok(Self::OciArchive { file, tag })
            }
            "docker-archive" => {
                let (file, sel) = split_existing(rest);
                Ok(Self::DockerArchive { file, selector: sel.as_deref().map(docker_archive::Selector::parse) })
            }
            "rootfs" => Ok(Self::Rootfs(PathBuf::from(rest))),
            "dir" => Ok(Self::Dir(PathBuf::from(rest))),
            _ => Err(bad("unknown transport")),
        }
    }
}

fn is_transport(t: &str) -> bool {
    matches!(t, "registry" | "docker" | "oci-layout" | "oci" | "oci-archive" | "docker-archive" | "rootfs" | "dir")
}

fn looks_like_path(r: &str) -> bool {
    (r.starts_with('/') || r.starts_with("./") || r.starts_with("../") || r.ends_with(".tar") || r.ends_with(".tar.gz"))
        && Path::new(r).exists()
}

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The target string is malformed.
    #[error("target {target:?}: {reason}")]
    BadTarget {
        /// The target.
        target: String,
        /// What is wrong.
        reason: String,
    },
    /// The image reference is malformed.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// An archive's outer tar is malformed.
    #[error("{}: {source}", path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// The tar error.
        source: TarError,
    },
    /// Something the image needs is absent.
    #[error("missing: {what}")]
    Missing {
        /// What is missing, with where it was looked for.
        what: String,
    },
    /// A document or blob is malformed.
    #[error("{what}: {reason}")]
    Invalid {
        /// Which document.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Bytes do not hash to the digest that names them.
    #[error("{what} digest mismatch: expected {expected}, the bytes hash to {actual} (tampered or corrupt)")]
    DigestMismatch {
        /// Which blob.
        what: String,
        /// The digest that names it.
        expected: Digest,
        /// The digest of its bytes.
        actual: Digest,
    },
    /// The tag is not in the layout or archive.
    #[error("{target}: no image tagged {tag:?}; available: {}", list(available))]
    NoSuchTag {
        /// The target.
        target: String,
        /// The tag asked for.
        tag: String,
        /// The tags there are.
        available: Vec<String>,
    },
    /// Several images and none chosen: chainward never picks one silently.
    #[error("{target} holds several images; name one with :TAG (available: {})", list(available))]
    AmbiguousImage {
        /// The target.
        target: String,
        /// The images there are.
        available: Vec<String>,
    },
    /// No index entry for the requested platform.
    #[error("{target}: no image for platform {platform}; available: {} (choose with --platform)", list(available))]
    NoSuchPlatform {
        /// The target.
        target: String,
        /// The platform asked for.
        platform: String,
        /// The platforms there are.
        available: Vec<String>,
    },
    /// A manifest, index or config is malformed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A layer could not be walked.
    #[error(transparent)]
    Walk(#[from] WalkError),
    /// This build has no registry support.
    #[error("{0}")]
    Unsupported(String),
    /// Pulling from a registry failed.
    #[cfg(feature = "registry")]
    #[error(transparent)]
    Registry(#[from] Box<registry::RegistryError>),
}

fn list(v: &[String]) -> String {
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

/// How to load an image.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Which platform to pick from an index.
    pub platform: Platform,
    /// Memory and size bounds.
    pub limits: Limits,
    /// Registry hosts spoken to over plain HTTP.
    pub insecure_registries: Vec<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { platform: Platform::linux_amd64(), limits: Limits::default(), insecure_registries: Vec::new() }
    }
}

/// An image read into a merged tree.
#[derive(Debug)]
pub struct LoadedImage {
    /// What is known from manifest and config.
    pub facts: ImageFacts,
    /// The final filesystem.
    pub tree: FileTree,
    /// Keeps downloaded blobs alive while the tree may read from them.
    pub keep_alive: Option<Arc<tempfile::TempDir>>,
}

/// Reads the image a target names into a merged tree, keeping the files `interest` wants.
pub fn load_image(
    target_text: &str,
    target: &Target,
    opts: &LoadOptions,
    interest: &dyn Interest,
) -> Result<LoadedImage, SourceError> {
    #[cfg(feature = "registry")]
    return load_image_with_progress(target_text, target, opts, interest, &registry::NoProgress);
    #[cfg(not(feature = "registry"))]
    load_image_inner(target_text, target, opts, interest)
}

/// [`load_image`], reporting registry download progress to `progress`.
#[cfg(feature = "registry")]
pub fn load_image_with_progress(
    target_text: &str,
    target: &Target,
    opts: &LoadOptions,
    interest: &dyn Interest,
    progress: &dyn registry::PullProgress,
) -> Result<LoadedImage, SourceError> {
    if let Target::Registry(reference) = target {
        let registry_opts = registry::RegistryOptions {
            platform: opts.platform.clone(),
            insecure_registries: opts.insecure_registries.clone(),
            // One blob can be no larger than what all layers may inflate to.
            max_blob_size: opts.limits.max_image_size,
            ..Default::default()
        };
        let mut resolved = registry::resolve_registry_image(reference, &registry_opts, progress).map_err(Box::new)?;
        resolved.facts.target = target_text.to_owned();
        return load_resolved(resolved, opts, interest);
    }
    load_image_inner(target_text, target, opts, interest)
}

fn load_image_inner(
    target_text: &str,
    target: &Target,
    opts: &LoadOptions,
    interest: &dyn Interest,
) -> Result<LoadedImage, SourceError> {
    let resolved = match target {
        Target::Rootfs(dir) | Target::Dir(dir) => {
            let tree = rootfs::load(dir, &opts.limits)?;
            let facts = ImageFacts { target: target_text.to_owned(), ..Default::default() };
            return Ok(LoadedImage { facts, tree, keep_alive: None });
        }
        Target::DockerArchive { file, selector } if docker_archive::is_gzip(file)? => {
            let (facts, layers) =
                docker_archive::load_compressed(file, selector.as_ref(), target_text, interest, &opts.limits)?;
            return Ok(LoadedImage {
                facts,
                tree: FileTree::from_layers(layers, opts.limits.max_file_size),
                keep_alive: None,
            });
        }
        Target::DockerArchive { file, selector } => docker_archive::resolve(file, selector.as_ref(), target_text)?,
        Target::OciLayout { dir, tag } => oci_layout::resolve_dir(dir, tag.as_deref(), &opts.platform, target_text)?,
        Target::OciArchive { file, tag } => {
            oci_layout::resolve_archive(file, tag.as_deref(), &opts.platform, target_text)?
        }
        Target::Registry(_) => {
            return Err(SourceError::Unsupported(
                "this build of chainward has no registry support (the `registry` feature is off)".into(),
            ));
        }
    };
    load_resolved(resolved, opts, interest)
}

/// Walks the layers of a resolved image in parallel and merges them.
pub fn load_resolved(
    resolved: ResolvedImage,
    opts: &LoadOptions,
    interest: &dyn Interest,
) -> Result<LoadedImage, SourceError> {
    let named: Vec<(BlobFile, String)> =
        resolved.layers.iter().zip(&resolved.facts.layers).map(|(b, f)| (b.clone(), f.digest.to_string())).collect();
    let indexes = walk::walk_blobs_parallel(&named, interest, &opts.limits)?;
    Ok(LoadedImage {
        facts: resolved.facts,
        tree: FileTree::from_layers(indexes, opts.limits.max_file_size),
        keep_alive: resolved.keep_alive,
    })
}
