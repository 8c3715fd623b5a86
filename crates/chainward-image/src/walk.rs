//! The layer walk: one pass over each layer's tar stream, in parallel across layers,
//! recording every entry and keeping the contents the catalogers asked for.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use chainward_model::Digest;
use sha2::{Digest as _, Sha256};

use crate::gzip::DigestVerifiedGzip;
use crate::manifest::Compression;
use crate::pipe;
use crate::source::BlobFile;
use crate::tar::{EntryType, Seeking, SkipRead, Streaming, TarError, TarReader};
use crate::tree::{Content, NodeKind};

/// Bounds that keep hostile images from exhausting memory or time.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest file whose content is kept in memory for a cataloger.
    pub max_file_size: u64,
    /// The most bytes all layers together may inflate to (stops decompression bombs).
    pub max_image_size: u64,
    /// The most entries all layers together may hold.
    pub max_entries: u64,
    /// The most bytes of file content kept in memory for the catalogers, every kept file and
    /// every kept earlier version together. Without it only the image bound limits memory:
    /// a layer of a few MB can inflate to many wanted files of nearly `max_file_size` each.
    pub max_kept_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_size: 256 * 1024 * 1024,
            max_image_size: 32 * 1024 * 1024 * 1024,
            max_entries: 4_000_000,
            max_kept_size: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Which files' contents the catalogers want kept (decided from path and size alone,
/// because a compressed layer can be read only once).
pub trait Interest: Sync {
    /// `path` is normalised: relative to the image root, no leading `/`.
    fn wants(&self, path: &str, size: u64) -> bool;

    /// Whether executables not wanted by path are read for [`Interest::extract_executable`].
    fn extracts_executables(&self) -> bool {
        false
    }

    /// For a regular file with an execute bit that [`Interest::wants`] did not keep, in a
    /// layer read as a stream: given its bytes (up to the file-size bound, only when they start
    /// with an executable format's magic, see [`is_executable_format`]), returns what to keep
    /// in place of the file (e.g. a Go binary's build information), or `None` to keep nothing.
    /// The walk holds one such file at a time per layer and keeps only the extract, so a
    /// compressed layer is still read once and no binary is kept whole. Layers that stay
    /// addressable on disk (uncompressed archives, root filesystems) keep their regions
    /// instead: readers extract from those when they need to.
    fn extract_executable(&self, _path: &str, _bytes: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

/// ELF, PE (`MZ`) and Mach-O (32/64-bit, either byte order, and fat) magic numbers: the
/// files worth reading in full for [`Interest::extract_executable`].
pub fn is_executable_format(head: &[u8]) -> bool {
    matches!(
        head,
        [0x7f, b'E', b'L', b'F', ..]
            | [b'M', b'Z', ..]
            | [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..]
            | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..]
            | [0xca, 0xfe, 0xba, 0xbe, ..]
    )
}

/// Wants every file (for tests and small trees).
pub struct Everything;

impl Interest for Everything {
    fn wants(&self, _path: &str, _size: u64) -> bool {
        true
    }
}

/// Why a layer could not be walked.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// The blob file could not be opened or read.
    #[error("layer {layer}: reading {path}: {source}")]
    Io {
        /// The layer's digest or name.
        layer: String,
        /// The file.
        path: String,
        /// The IO error.
        source: io::Error,
    },
    /// The tar stream is malformed or too large.
    #[error("layer {layer}: {source}")]
    Tar {
        /// The layer's digest or name.
        layer: String,
        /// The tar error.
        source: TarError,
    },
    /// The blob's bytes do not hash to the digest its descriptor names.
    #[error("layer blob digest mismatch: the manifest names {expected}, the bytes hash to {actual}")]
    DigestMismatch {
        /// The digest named by the manifest.
        expected: Digest,
        /// The digest of the bytes read.
        actual: Digest,
    },
    /// The blob is verified with an algorithm chainward cannot compute.
    #[error("layer {layer}: cannot verify digest algorithm {algorithm:?} (only sha256)")]
    UnsupportedDigest {
        /// The layer's digest.
        layer: String,
        /// The algorithm.
        algorithm: String,
    },
    /// The layers hold more entries than [`Limits::max_entries`].
    #[error("image has more than {limit} file entries")]
    TooManyEntries {
        /// The bound.
        limit: u64,
    },
    /// The files kept for the catalogers add up to more than [`Limits::max_kept_size`].
    #[error(
        "the files kept in memory for the catalogers add up to more than {limit} bytes (a decompression bomb, or unusually large package databases)"
    )]
    KeptTooLarge {
        /// The bound.
        limit: u64,
    },
    /// The layers inflate to more than [`Limits::max_image_size`].
    #[error(
        "image inflates past the size bound of {limit} bytes (a decompression bomb?); raise --max-image-size if it is genuine"
    )]
    ImageTooLarge {
        /// The bound.
        limit: u64,
    },
}

/// One entry of one layer, normalised.
#[derive(Debug, Clone)]
pub struct LayerEntry {
    /// Normalised path (no leading `/`, no `.`/`..` components).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Size of the file's data.
    pub size: u64,
    /// Mode bits.
    pub mode: u32,
    /// Content, when kept or addressable.
    pub content: Content,
}

/// A layer entry's kind, including the OCI whiteouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A node of the final tree.
    Node(NodeKind),
    /// `.wh.NAME`: deletes `path` from lower layers.
    Whiteout,
    /// `.wh..wh..opq`: hides every lower-layer child of the directory `path`.
    OpaqueWhiteout,
}

/// Every entry of one layer, in archive order.
#[derive(Debug, Default)]
pub struct LayerIndex {
    /// The entries.
    pub entries: Vec<LayerEntry>,
    /// Entries whose names had to be clamped inside the root (`..`, absolute names).
    pub clamped_paths: Vec<String>,
}

/// Normalises an archive path inside the image root: strips `/` and `./`, resolves `..`
/// lexically and clamps it at the root, so no name can address anything outside the image
/// (as containerd's `fs.RootPath` does). Returns the path and whether clamping happened.
pub fn normalize_path(raw: &str) -> (String, bool) {
    let mut parts: Vec<&str> = Vec::new();
    let mut clamped = raw.starts_with('/');
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    clamped = true;
                }
            }
            c => parts.push(c),
        }
    }
    (parts.join("/"), clamped)
}

/// Shared counters so that bounds hold across layers walked in parallel.
#[derive(Debug, Default)]
pub struct Budget<'p> {
    bytes: AtomicU64,
    entries: AtomicU64,
    kept: AtomicU64,
    /// For a walk whose result may be thrown away (the second half of a layer inflated on
    /// two threads, see [`Budget::child`]): every charge is made and checked there too.
    parent: Option<&'p Budget<'p>>,
}

impl<'p> Budget<'p> {
    fn charge(&self, limits: &Limits, bytes: u64, entries: u64) -> Result<(), WalkError> {
        let b = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let e = self.entries.fetch_add(entries, Ordering::Relaxed) + entries;
        if let Some(parent) = self.parent {
            return parent.charge(limits, bytes, entries);
        }
        if b > limits.max_image_size {
            return Err(WalkError::ImageTooLarge { limit: limits.max_image_size });
        }
        if e > limits.max_entries {
            return Err(WalkError::TooManyEntries { limit: limits.max_entries });
        }
        Ok(())
    }

    /// Reserves `bytes` of [`Limits::max_kept_size`] before they are read into memory.
    pub(crate) fn keep(&self, limits: &Limits, bytes: u64) -> Result<(), WalkError> {
        let k = self.kept.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
        if let Some(parent) = self.parent {
            return parent.keep(limits, bytes);
        }
        if k > limits.max_kept_size {
            return Err(WalkError::KeptTooLarge { limit: limits.max_kept_size });
        }
        Ok(())
    }

    /// A budget that charges this one as it goes (so the bounds hold live across both
    /// walks, as across layers) and records its own share, which [`Budget::refund`] takes
    /// back if its walk's result is thrown away.
    pub(crate) fn child(&'p self) -> Budget<'p> {
        Budget { parent: Some(self), ..Budget::default() }
    }

    /// Takes back everything `child` charged (its walk's result was not used). Call it once
    /// the child's walk has stopped.
    pub(crate) fn refund(&self, child: &Budget<'_>) {
        for (mine, theirs) in [(&self.bytes, &child.bytes), (&self.entries, &child.entries), (&self.kept, &child.kept)]
        {
            mine.fetch_sub(theirs.swap(0, Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    /// Bytes, entries and kept bytes charged so far.
    #[cfg(test)]
    pub(crate) fn used(&self) -> [u64; 3] {
        [&self.bytes, &self.entries, &self.kept].map(|c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn remaining_bytes(&self, limits: &Limits) -> u64 {
        match self.parent {
            Some(parent) => parent.remaining_bytes(limits),
            None => limits.max_image_size.saturating_sub(self.bytes.load(Ordering::Relaxed)),
        }
    }
}

/// Where an uncompressed tar stream's data lives, so content can be read later by offset.
#[derive(Debug, Clone)]
pub struct Addressable {
    /// The file.
    pub path: Arc<Path>,
    /// Offset of the tar stream within the file.
    pub base: u64,
}

/// Walks one tar stream. `addressable` is set when the stream is an uncompressed region of
/// a file, so that entries not kept can still be read later by offset.
pub fn walk_tar<R: SkipRead>(
    reader: R,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget,
    addressable: Option<&Addressable>,
) -> Result<(LayerIndex, R), WalkError> {
    // The tar reader's bound is what is left of the image bound: crossing it, whether
    // skipping or capturing, is the image being too large.
    let tar_err = |source| match source {
        TarError::TooLarge { .. } => WalkError::ImageTooLarge { limit: limits.max_image_size },
        source => WalkError::Tar { layer: layer_name.to_owned(), source },
    };
    let mut tar = TarReader::new(reader, budget.remaining_bytes(limits));
    let mut index = LayerIndex::default();
    let mut charged: u64 = 0;
    // One buffer for every executable of the layer: fresh allocations of a few MB each would
    // be mapped, faulted in and unmapped per file.
    let mut scratch: Vec<u8> = Vec::new();
    while let Some(entry) = tar.next_entry().map_err(tar_err)? {
        budget.charge(limits, 0, 1)?;
        let raw = String::from_utf8_lossy(&entry.path);
        let (path, clamped) = normalize_path(&raw);
        if clamped {
            index.clamped_paths.push(raw.into_owned());
        }
        if path.is_empty() {
            continue; // the root directory itself
        }
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (d, b),
            None => ("", path.as_str()),
        };
        if base == ".wh..wh..opq" {
            index.entries.push(LayerEntry {
                path: dir.to_owned(),
                kind: EntryKind::OpaqueWhiteout,
                size: 0,
                mode: 0,
                content: Content::None,
            });
            continue;
        }
        if let Some(hidden) = base.strip_prefix(".wh.") {
            // `.wh.`, `.wh..` and `.wh...` would name the directory itself or its parent
            // (the whole tree, at the root): no valid whiteout names those, so ignore them.
            if matches!(hidden, "" | "." | "..") {
                continue;
            }
            let target = if dir.is_empty() { hidden.to_owned() } else { format!("{dir}/{hidden}") };
            index.entries.push(LayerEntry {
                path: target,
                kind: EntryKind::Whiteout,
                size: 0,
                mode: 0,
                content: Content::None,
            });
            continue;
        }
        let link = entry.link.as_deref().map(|l| String::from_utf8_lossy(l).into_owned());
        let kind = match entry.entry_type {
            EntryType::File => NodeKind::File,
            EntryType::Directory => NodeKind::Dir,
            EntryType::Symlink => NodeKind::Symlink(link.unwrap_or_default()),
            EntryType::Hardlink => {
                let (target, clamped) = normalize_path(&link.unwrap_or_default());
                if clamped {
                    index.clamped_paths.push(format!("{path} (hard link target)"));
                }
                NodeKind::Hardlink(target)
            }
            EntryType::Other(_) => NodeKind::Other,
        };
        let mut content = Content::None;
        if kind == NodeKind::File {
            if interest.wants(&path, entry.size) {
                if entry.size > limits.max_file_size {
                    content = Content::TooLarge;
                } else {
                    budget.keep(limits, entry.size)?;
                    if let Some(data) = tar.read_data_shared(limits.max_file_size).map_err(tar_err)? {
                        content = Content::Captured(data);
                    }
                }
            } else if let Some(a) = addressable {
                content = Content::Region { path: a.path.clone(), offset: a.base + entry.data_offset, len: entry.size };
            } else if entry.mode & 0o111 != 0
                && entry.size >= 4
                && entry.size <= limits.max_file_size
                && interest.extracts_executables()
            {
                content = extract_executable(&mut tar, &path, entry.size, interest, limits, budget, &mut scratch)
                    .map_err(tar_err)?;
            }
        }
        index.entries.push(LayerEntry {
            path,
            kind: EntryKind::Node(kind),
            size: entry.size,
            mode: entry.mode,
            content,
        });
        // Charge the shared byte budget as we go so parallel layers see each other's use.
        let pos = tar.position();
        budget.charge(limits, pos - charged, 0)?;
        charged = pos;
    }
    let pos = tar.position();
    budget.charge(limits, pos.saturating_sub(charged), 0)?;
    Ok((index, tar.into_inner()))
}

/// Reads an executable's bytes when they start with an executable format's magic, and keeps
/// what the interest extracts from them. What is not read is skipped by the next entry.
fn extract_executable<R: SkipRead>(
    tar: &mut TarReader<R>,
    path: &str,
    size: u64,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget,
    bytes: &mut Vec<u8>,
) -> Result<Content, TarError> {
    let offset = tar.position();
    let tar_io = |e: io::Error| match e.get_ref().and_then(|inner| inner.downcast_ref::<TarError>()) {
        // The image bound, crossed while reading the body: keep its meaning.
        Some(TarError::TooLarge { limit }) => TarError::TooLarge { limit: *limit },
        _ => TarError::Io { offset, source: e },
    };
    let mut data = tar.data_reader();
    let mut head = [0u8; 4];
    if read_up_to(&mut data, &mut head).map_err(tar_io)? < head.len() || !is_executable_format(&head) {
        return Ok(Content::None);
    }
    bytes.clear();
    bytes.reserve(usize::try_from(size).unwrap_or(0));
    bytes.extend_from_slice(&head);
    data.read_to_end(bytes).map_err(tar_io)?;
    let Some(extract) = interest.extract_executable(path, bytes) else { return Ok(Content::None) };
    // Only the extract is kept; the buffer is reused for the next executable.
    if budget.keep(limits, extract.len() as u64).is_err() {
        return Ok(Content::None);
    }
    Ok(Content::Extracted(Arc::from(extract)))
}

/// A reader over the bytes `offset..offset+len` of a file.
pub struct FileRegion {
    file: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl FileRegion {
    /// Opens the region.
    pub fn open(path: &Path, offset: u64, len: u64) -> io::Result<Self> {
        Self::from_file(File::open(path)?, offset, len)
    }

    /// The region of a file already open.
    pub fn from_file(mut file: File, offset: u64, len: u64) -> io::Result<Self> {
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self { file, start: offset, len, pos: 0 })
    }
}

impl Read for FileRegion {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.pos;
        if left == 0 {
            return Ok(0);
        }
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let got = self.file.read(&mut buf[..n])?;
        self.pos += got as u64;
        Ok(got)
    }
}

impl Seek for FileRegion {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start of region"))?;
        // Seeking past the end is allowed (reads then return EOF), as for files.
        self.file.seek(SeekFrom::Start(self.start + target))?;
        self.pos = target.min(self.len);
        Ok(self.pos)
    }
}

pub(crate) const READ_BUFFER: usize = 256 * 1024;
/// Buffer for uncompressed layers walked by seeking: most reads are one 512-byte header
/// followed by a jump, so a large buffer would be filled in vain; 16 KiB still holds the
/// headers and bodies of runs of small files.
const SEEKING_BUFFER: usize = 16 * 1024;

/// Walks one layer blob stored in a file: sniffs its compression, inflates it, and checks
/// its digest while reading when `blob.verify` is set.
pub fn walk_blob(
    blob: &BlobFile,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget,
) -> Result<LayerIndex, WalkError> {
    walk_blob_with(blob, layer_name, interest, limits, budget, crate::split::worth_splitting(blob.len))
}

/// [`walk_blob`], splitting a gzip layer over two threads only when `split` is set.
pub(crate) fn walk_blob_with(
    blob: &BlobFile,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget,
    split: bool,
) -> Result<LayerIndex, WalkError> {
    let io_err = |source| WalkError::Io { layer: layer_name.to_owned(), path: blob.path.display().to_string(), source };
    let mut region = FileRegion::open(&blob.path, blob.offset, blob.len).map_err(io_err)?;
    let mut head = [0u8; 4];
    let n = read_up_to(&mut region, &mut head).map_err(io_err)?;
    region.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let compression = Compression::sniff(&head[..n]);
    if let Some(d) = &blob.verify
        && d.algorithm() != "sha256"
    {
        return Err(WalkError::UnsupportedDigest { layer: layer_name.to_owned(), algorithm: d.algorithm().to_owned() });
    }

    let blob_path = blob.path.display().to_string();
    match (compression, &blob.verify) {
        (Compression::None, None) => {
            // Uncompressed and trusted: seek over bodies, keep every file addressable.
            let addressable = Addressable { path: blob.path.clone(), base: blob.offset };
            let reader = Seeking(BufReader::with_capacity(SEEKING_BUFFER, region));
            walk_tar(reader, layer_name, interest, limits, budget, Some(&addressable)).map(|(i, _)| i)
        }
        (Compression::Gzip, _) if split => {
            crate::split::walk_split(blob, blob.len / 2, layer_name, interest, limits, budget).map(|(index, _)| index)
        }
        (compression, None) => {
            // Already verified (a registry download is hashed as it streams to disk).
            let reader = BufReader::with_capacity(READ_BUFFER, region);
            walk_compressed(reader, compression, Verified::ByDigest, &blob_path, layer_name, interest, limits, budget)
        }
        (compression, Some(expected)) => {
            // Hash on a second thread while this one inflates: the digest costs no wall time
            // when a core is free, and it covers every byte of the blob, including any after
            // the end of the compressed stream.
            let (reader, hasher) = pipe::spawn(region, BlobHasher(Sha256::new()));
            let walked = walk_compressed(
                reader,
                compression,
                Verified::ByDigest,
                &blob_path,
                layer_name,
                interest,
                limits,
                budget,
            );
            let actual = hasher.finish().map_err(io_err)?;
            // A tampered blob often also breaks decompression: name the real cause first.
            if &actual != expected {
                return Err(WalkError::DigestMismatch { expected: expected.clone(), actual });
            }
            walked
        }
    }
}

/// Whether a layer's compressed bytes are checked against a digest (as they are read, or
/// when they were downloaded).
#[derive(Clone, Copy)]
enum Verified {
    /// The sha256 covers every compressed byte, so gzip's CRC-32 is left out (see
    /// [`crate::gzip`]).
    ByDigest,
    /// Nothing else checks the bytes: gzip's CRC-32 must.
    No,
}

/// Inflates (or not) and walks one layer stream, then reads the stream to its end so that
/// truncation or trailing garbage after the tar is an error, not silently ignored.
#[allow(clippy::too_many_arguments)] // the walk's context, passed through
fn walk_compressed<R: BufRead>(
    reader: R,
    compression: Compression,
    verified: Verified,
    path: &str,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget,
) -> Result<LayerIndex, WalkError> {
    let io_err = |source| WalkError::Io { layer: layer_name.to_owned(), path: path.to_owned(), source };
    let decoder: Box<dyn Read + '_> = match (compression, verified) {
        (Compression::Gzip, Verified::ByDigest) => Box::new(DigestVerifiedGzip::new(reader)),
        (Compression::Gzip, Verified::No) => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        (Compression::Zstd, _) => Box::new(zstd::stream::read::Decoder::with_buffer(reader).map_err(io_err)?),
        (Compression::None, _) => {
            return Ok(walk_tar(Streaming(reader), layer_name, interest, limits, budget, None)?.0);
        }
    };
    let (index, Streaming(mut rest)) = walk_tar(
        Streaming(BufReader::with_capacity(READ_BUFFER, decoder)),
        layer_name,
        interest,
        limits,
        budget,
        None,
    )?;
    drain_after_end(&mut rest, layer_name, path, limits, budget)?;
    Ok(index)
}

/// Hashes the blob's bytes as they pass its reading stage.
struct BlobHasher(Sha256);

impl pipe::Observer for BlobHasher {
    type Output = Digest;
    fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(self) -> Digest {
        Digest::sha256_from_bytes(&self.0.finalize().into())
    }
}

/// Walks a layer from a non-seekable stream (a member of a compressed archive): sniffs the
/// compression from the first bytes and inflates as needed. No digest check.
pub fn walk_reader<R: Read>(
    reader: R,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget,
) -> Result<LayerIndex, WalkError> {
    let io_err = |source| WalkError::Io { layer: layer_name.to_owned(), path: layer_name.to_owned(), source };
    let mut buffered = BufReader::with_capacity(READ_BUFFER, reader);
    let head = buffered.fill_buf().map_err(io_err)?;
    let compression = Compression::sniff(&head[..head.len().min(4)]);
    walk_compressed(buffered, compression, Verified::No, layer_name, layer_name, interest, limits, budget)
}

/// Inflates whatever follows the tar's end-of-archive marker to its end, so that a
/// truncated or corrupt compressed stream (a cut or wrong gzip trailer, a broken zstd
/// frame) is an error, as it is for Docker and containerd, which drain the stream after the
/// tar ends. The bytes count against the image bound: trailing data can be a bomb too.
pub(crate) fn drain_after_end(
    rest: &mut impl Read,
    layer_name: &str,
    path: &str,
    limits: &Limits,
    budget: &Budget,
) -> Result<(), WalkError> {
    let bound = budget.remaining_bytes(limits);
    let n = io::copy(&mut rest.take(bound.saturating_add(1)), &mut io::sink()).map_err(|source| WalkError::Io {
        layer: layer_name.to_owned(),
        path: path.to_owned(),
        source,
    })?;
    if n > bound {
        return Err(WalkError::ImageTooLarge { limit: limits.max_image_size });
    }
    budget.charge(limits, n, 0)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Walks several layer blobs on up to `available_parallelism` threads, keeping the order.
pub fn walk_blobs_parallel(
    blobs: &[(BlobFile, String)],
    interest: &dyn Interest,
    limits: &Limits,
) -> Result<Vec<LayerIndex>, WalkError> {
    let budget = Budget::default();
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(blobs.len().max(1));
    // Largest blobs first, so the long pole starts at once.
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(blobs[i].0.len));
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<LayerIndex, WalkError>>> = (0..blobs.len()).map(|_| None).collect();
    let slots: Vec<std::sync::Mutex<Option<Result<LayerIndex, WalkError>>>> =
        (0..blobs.len()).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = order.get(k) else { break };
                    let (blob, name) = &blobs[i];
                    let r = walk_blob(blob, name, interest, limits, &budget);
                    let failed = r.is_err();
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(r);
                    }
                    if failed {
                        // Stop handing out work; the first error is reported.
                        next.store(usize::MAX / 2, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    for (i, slot) in slots.into_iter().enumerate() {
        results[i] = slot.into_inner().ok().flatten();
    }
    let mut out = Vec::with_capacity(blobs.len());
    let mut first_err = None;
    for r in results {
        match r {
            Some(Ok(index)) => out.push(index),
            Some(Err(e)) => {
                first_err.get_or_insert(e);
            }
            None => {}
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_clamps_inside_root() {
        assert_eq!(normalize_path("./etc/passwd"), ("etc/passwd".into(), false));
        assert_eq!(normalize_path("/etc/passwd"), ("etc/passwd".into(), true));
        assert_eq!(normalize_path("../../etc/passwd"), ("etc/passwd".into(), true));
        assert_eq!(normalize_path("a/b/../../../c"), ("c".into(), true));
        assert_eq!(normalize_path("a/./b//c/"), ("a/b/c".into(), false));
    }

    fn blob_file(dir: &std::path::Path, bytes: &[u8], verify: bool) -> BlobFile {
        let path = dir.join("blob");
        std::fs::write(&path, bytes).unwrap();
        let digest = Digest::sha256_from_bytes(&Sha256::digest(bytes).into());
        BlobFile {
            path: Arc::from(path.as_path()),
            offset: 0,
            len: bytes.len() as u64,
            verify: verify.then_some(digest),
        }
    }

    /// A one-file tar entry with the given mode.
    fn entry_with_mode(name: &str, data: &[u8], mode: u32) -> Vec<u8> {
        crate::tar::tests::entry(name, b'0', data, mode, "")
    }

    struct ExtractLength;
    impl Interest for ExtractLength {
        fn wants(&self, path: &str, _size: u64) -> bool {
            path == "etc/os-release"
        }
        fn extracts_executables(&self) -> bool {
            true
        }
        fn extract_executable(&self, path: &str, bytes: &[u8]) -> Option<Vec<u8>> {
            (!path.ends_with("skip")).then(|| bytes.len().to_string().into_bytes())
        }
    }

    #[test]
    fn executables_in_streamed_layers_keep_only_their_extract() {
        use std::io::Write;
        let elf = [&b"\x7fELF"[..], &[7u8; 3000]].concat();
        let mut tar = Vec::new();
        tar.extend(entry_with_mode("usr/bin/app", &elf, 0o755));
        tar.extend(entry_with_mode("usr/bin/script", b"#!/bin/sh\necho hi\n", 0o755));
        tar.extend(entry_with_mode("usr/lib/plain.so", &elf, 0o644));
        tar.extend(entry_with_mode("usr/bin/skip", &elf, 0o755));
        tar.extend(entry_with_mode("etc/os-release", b"ID=x\n", 0o644));
        tar.extend_from_slice(&[0u8; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let blob = blob_file(dir.path(), &gz.finish().unwrap(), true);
        let index = walk_blob(&blob, "layer", &ExtractLength, &Limits::default(), &Budget::default()).unwrap();
        let content = |p: &str| &index.entries.iter().find(|e| e.path == p).unwrap().content;
        assert!(matches!(content("usr/bin/app"), Content::Extracted(b) if &b[..] == b"3004"));
        assert!(matches!(content("usr/bin/script"), Content::None), "not an executable format");
        assert!(matches!(content("usr/lib/plain.so"), Content::None), "no execute bit");
        assert!(matches!(content("usr/bin/skip"), Content::None), "nothing extracted");
        // The entries after the executables are still read right.
        assert!(matches!(content("etc/os-release"), Content::Captured(b) if &b[..] == b"ID=x\n"));
        // Uncompressed, addressable layers keep the region instead.
        let blob = blob_file(dir.path(), &tar, false);
        let index = walk_blob(&blob, "layer", &ExtractLength, &Limits::default(), &Budget::default()).unwrap();
        assert!(matches!(index.entries[0].content, Content::Region { .. }));
    }

    #[test]
    fn zstd_and_gzip_layers_walk_and_verify_on_the_piped_hasher() {
        use std::io::Write;
        let tar =
            crate::tar::tests::archive(&[("etc/os-release", b'0', b"ID=alpine\n", ""), ("bin/sh", b'0', b"x", "")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::stream::encode_all(&tar[..], 3).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [("gzip", gz), ("zstd", zst)] {
            for verify in [true, false] {
                let blob = blob_file(dir.path(), &bytes, verify);
                let index = walk_blob(&blob, name, &Everything, &Limits::default(), &Budget::default()).unwrap();
                let paths: Vec<&str> = index.entries.iter().map(|e| e.path.as_str()).collect();
                assert_eq!(paths, ["etc/os-release", "bin/sh"], "{name}");
                assert!(matches!(&index.entries[0].content, Content::Captured(b) if &b[..] == b"ID=alpine\n"));
            }
            // One flipped byte in the compressed blob: the digest names the tampering.
            let mut tampered = bytes.clone();
            let mid = tampered.len() / 2;
            tampered[mid] ^= 0x55;
            let mut blob = blob_file(dir.path(), &tampered, true);
            blob.verify = Some(Digest::sha256_from_bytes(&Sha256::digest(&bytes).into()));
            let err = walk_blob(&blob, name, &Everything, &Limits::default(), &Budget::default()).unwrap_err();
            assert!(matches!(err, WalkError::DigestMismatch { .. }), "{name}: {err}");
        }
    }
}
