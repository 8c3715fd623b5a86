//! Image sources, selected by a transport prefix as skopeo names them.

use std::path::Path;
use std::sync::Arc;

use chainward_model::{Digest, ImageFacts};

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
