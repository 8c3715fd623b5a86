//! Streaming a blob out of the registry: bounded by its descriptor, hashed while it streams,
//! written to a sink (a file for layers, memory for configs).

use std::io::Write;
use std::path::{Path, PathBuf};

use chainward_model::Digest;
use futures_util::StreamExt;
use sha2::Digest as _;

use super::{Puller, RegistryError};

/// An incremental hash for the algorithms a [`Digest`] can name and chainward can verify.
pub(super) enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A hasher for `digest`'s algorithm; `None` for one that cannot be verified.
    pub(super) fn for_digest(digest: &Digest) -> Option<Self> {
        match digest.algorithm() {
            "sha256" => Some(Self::Sha256(sha2::Sha256::new())),
            "sha512" => Some(Self::Sha512(sha2::Sha512::new())),
            _ => None,
        }
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything hashed. `None` only if the model's digest parser refused a
    /// well-formed hex digest, which it does not.
    pub(super) fn finish(self) -> Option<Digest> {
        match self {
            Self::Sha256(h) => Some(Digest::sha256_from_bytes(&h.finalize().into())),
            Self::Sha512(h) => {
                use std::fmt::Write as _;
                let mut s = String::with_capacity(7 + 128);
                s.push_str("sha512:");
                for b in h.finalize() {
                    let _ = write!(s, "{b:02x}");
                }
                Digest::parse(&s).ok()
            }
        }
    }
}

/// Hashes `bytes` with `like`'s algorithm (sha256 when `like` is `None`).
pub(super) fn digest_of(bytes: &[u8], like: Option<&Digest>) -> Option<Digest> {
    let mut h = match like {
        Some(d) => Hasher::for_digest(d)?,
        None => Hasher::Sha256(sha2::Sha256::new()),
    };
    h.update(bytes);
    h.finish()
}

/// Where streamed bytes go.
pub(super) trait BlobSink {
    fn write(&mut self, bytes: &[u8]) -> Result<(), RegistryError>;
}

impl BlobSink for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), RegistryError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// A file being downloaded into.
pub(super) struct FileSink {
    path: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
}

impl FileSink {
    pub(super) fn create(path: &Path) -> Result<Self, RegistryError> {
        let file =
            std::fs::File::create_new(path).map_err(|source| RegistryError::Write { path: path.to_owned(), source })?;
        Ok(Self {
            path: path.to_owned(),
            // Big enough that the (blocking) writes to the page cache are few and short.
            file: std::io::BufWriter::with_capacity(1 << 20, file),
        })
    }

    pub(super) fn finish(self) -> Result<(), RegistryError> {
        let Self { path, file } = self;
        // Flushing is enough: the file is read back by this process, never after a crash.
        file.into_inner().map(drop).map_err(|e| RegistryError::Write { path, source: e.into_error() })
    }
}

impl BlobSink for FileSink {
    fn write(&mut self, bytes: &[u8]) -> Result<(), RegistryError> {
        self.file.write_all(bytes).map_err(|source| RegistryError::Write { path: self.path.clone(), source })
    }
}

impl Puller<'_> {
    /// Streams the blob `digest` of `size` bytes into `sink`, refusing a `Content-Length` or a
    /// body that differs from `size`, and checking the digest of what arrived. `on_bytes` sees
    /// every chunk's length (for progress).
    pub(super) async fn stream_blob(
        &self,
        digest: &Digest,
        size: u64,
        what: &str,
        sink: &mut dyn BlobSink,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<(), RegistryError> {
        let mut hasher = Hasher::for_digest(digest)
            .ok_or_else(|| RegistryError::UnsupportedDigest { what: what.to_owned(), digest: digest.clone() })?;
        let digest_str = digest.to_string();
        // Only the digest, never the descriptor's `urls`: foreign-layer URLs would send
        // requests to hosts the user never named.
        let mut stream = self
            .client
            .pull_blob_stream(&self.oci_ref(Some(digest)), digest_str.as_str())
            .await
            .map_err(|e| self.map_oci(e, what))?;
        if let Some(len) = stream.content_length
            && len != size
        {
            return Err(RegistryError::SizeMismatch { what: what.to_owned(), expected: size, actual: len });
        }
        let mut received: u64 = 0;
        let mut client_says_mismatch = None;
        while let Some(chunk) = stream.next().await {
            let bytes = match chunk {
                Ok(b) => b,
                Err(e) => {
                    // oci-client's verifying stream reports a digest mismatch as an IO error at
                    // the end of the body; our own hash below names the digests.
                    if let Some(oci_client::errors::DigestError::VerificationError { expected, actual }) =
                        e.get_ref().and_then(|i| i.downcast_ref())
                    {
                        client_says_mismatch = Some((expected.clone(), actual.clone()));
                        break;
                    }
                    return Err(RegistryError::Transfer {
                        registry: self.registry.clone(),
                        what: what.to_owned(),
                        message: super::error_chain(&e),
                    });
                }
            };
            let len = bytes.len() as u64;
            received = received.saturating_add(len);
            if received > size {
                return Err(RegistryError::SizeMismatch { what: what.to_owned(), expected: size, actual: received });
            }
            hasher.update(&bytes);
            sink.write(&bytes)?;
            on_bytes(len);
        }
        if received != size {
            return Err(RegistryError::SizeMismatch { what: what.to_owned(), expected: size, actual: received });
        }
        let actual = hasher
            .finish()
            .ok_or_else(|| RegistryError::UnsupportedDigest { what: what.to_owned(), digest: digest.clone() })?;
        if actual != *digest {
            return Err(RegistryError::DigestMismatch { what: what.to_owned(), expected: digest.clone(), actual });
        }
        if let Some((expected, actual)) = client_says_mismatch {
            // Our hash matched the descriptor, so the client compared against the registry's
            // `Docker-Content-Digest` header, which names other content.
            return Err(self.digest_error(&format!("{what} (Docker-Content-Digest header)"), &expected, &actual));
        }
        Ok(())
    }
}
