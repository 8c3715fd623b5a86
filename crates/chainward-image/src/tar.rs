//! A streaming, bounded tar reader for image layers.
//!
//! Why not the `tar` crate: it reads GNU long names and PAX extension records whole into
//! memory with no bound (`EntryFields::read_all`), so a hostile layer can make it allocate as
//! much as the layer inflates to. This reader caps every metadata record, never allocates
//! from a size field it has not bounded, skips file bodies by seeking when the stream
//! allows, and reports every malformation as a typed error with the byte offset.
//!
//! Formats read: POSIX ustar (with the 155-byte prefix), PAX (`x` local and `g` global
//! records for `path`, `linkpath`, `size`), GNU (`L`/`K` long names, base-256 sizes), and
//! old v7 headers. Follows POSIX.1-2017 `pax` "ustar Interchange Format" and GNU tar's
//! "Basic Tar Format" documentation.

use std::io::{self, BufRead, Read, Seek};
use std::sync::Arc;

const BLOCK: u64 = 512;
/// The largest PAX record block or GNU long name we accept. Linux's PATH_MAX is 4 KiB; PAX
/// records of real images (xattrs, SCHILY.* keys) stay well under this.
pub const MAX_METADATA_RECORD: u64 = 1024 * 1024;

/// What a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    /// A regular file (`0`, NUL, `7`).
    File,
    /// A hard link to an earlier entry (`1`).
    Hardlink,
    /// A symbolic link (`2`).
    Symlink,
    /// A directory (`5`).
    Directory,
    /// A character or block device, FIFO, or a type this reader does not interpret.
    Other(u8),
}

/// One entry's header, with long names and PAX overrides applied.
#[derive(Debug, Clone)]
pub struct TarEntry {
    /// The entry's name as raw bytes (not normalised).
    pub path: Vec<u8>,
    /// The link target for symlinks and hard links.
    pub link: Option<Vec<u8>>,
    /// The entry type.
    pub entry_type: EntryType,
    /// The size of the entry's data in the archive.
    pub size: u64,
    /// Permission bits and file-type bits as stored.
    pub mode: u32,
    /// Byte offset of the entry's data from the start of the tar stream.
    pub data_offset: u64,
}

/// A malformed or over-large tar stream.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    /// Reading the underlying stream failed (this includes decompression errors).
    #[error("reading the tar stream at byte {offset}: {source}")]
    Io {
        /// Byte offset in the tar stream.
        offset: u64,
        /// The IO error.
        source: io::Error,
    },
    /// The stream ended inside a header or an entry's data.
    #[error("tar stream truncated at byte {offset}: expected {expected} more bytes")]
    Truncated {
        /// Byte offset in the tar stream.
        offset: u64,
        /// How many bytes were still expected.
        expected: u64,
    },
    /// A header's checksum does not match its bytes.
    #[error("tar header at byte {offset} has a bad checksum (stored {stored:?}, computed {computed})")]
    BadChecksum {
        /// Byte offset of the header.
        offset: u64,
        /// The checksum field as stored.
        stored: String,
        /// The checksum computed over the header.
        computed: u64,
    },
    /// A numeric header field is not octal or base-256.
    #[error("tar header at byte {offset}: field {field} is not a number ({value:?})")]
    BadNumber {
        /// Byte offset of the header.
        offset: u64,
        /// The field name.
        field: &'static str,
        /// The raw value.
        value: String,
    },
    /// A PAX record or GNU long name is larger than [`MAX_METADATA_RECORD`].
    #[error("tar metadata record at byte {offset} is {size} bytes, over the {limit}-byte bound")]
    MetadataTooLarge {
        /// Byte offset of the header.
        offset: u64,
        /// The record's size.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// A PAX record is not `LEN KEY=VALUE\n`.
    #[error("tar PAX record at byte {offset} is malformed: {reason}")]
    BadPax {
        /// Byte offset of the header.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The stream holds more bytes than the caller's bound (a decompression bomb).
    #[error("tar stream exceeds the size bound of {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: u64,
    },
}

/// A byte source that can skip forward cheaply when it is seekable.
pub trait SkipRead: Read + Sized {
    /// Skips `n` bytes; the default reads and discards them.
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        io::copy(&mut self.by_ref().take(n), &mut io::sink())
    }

    /// Whether the walk ends before the entry that starts at stream offset `pos`, because
    /// the rest of the stream is walked elsewhere (one layer inflated on two threads, see
    /// `crate::split`). Asked only between entries; the default never hands off.
    fn hands_off_at(&mut self, _pos: u64) -> bool {
        false
    }
}

/// Wraps a seekable reader so that skipping seeks instead of reading.
pub struct Seeking<R>(pub R);

impl<R: Read> Read for Seeking<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + Seek> SkipRead for Seeking<io::BufReader<R>> {
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let delta = i64::try_from(n).map_err(|_| io::Error::other("skip too large"))?;
        // `seek_relative` keeps the buffer when the target is inside it: small files are
        // skipped without a syscall, and a far jump does not read a whole buffer in vain
        // for every 512-byte header (a plain `seek` discards the buffer each time).
        self.0.seek_relative(delta)?;
        Ok(n)
    }
}

/// Wraps a reader that can only skip by reading (decompressors).
pub struct Streaming<R>(pub R);

impl<R: Read> Read for Streaming<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: BufRead> SkipRead for Streaming<R> {
    /// Skips by consuming the reader's own buffer: no copy of the skipped bytes (file bodies
    /// are most of an inflated layer, and nothing reads them).
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let available = match self.0.fill_buf() {
                Ok([]) => break,
                Ok(buf) => buf.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let take = usize::try_from(left).map_or(available, |l| l.min(available));
            self.0.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }
}

/// Reads entries one by one. Call [`TarReader::read_data`] or just the next
/// [`TarReader::next_entry`] (which skips the unread data).
pub struct TarReader<R> {
    inner: R,
    /// Position in the tar stream (bytes consumed or skipped).
    pos: u64,
    /// Bytes of the current entry's data (plus padding) not yet consumed.
    remaining_data: u64,
    remaining_padding: u64,
    /// PAX global overrides (`g` records) that apply to every later entry.
    global_path: Option<Vec<u8>>,
    global_size: Option<u64>,
    limit: u64,
    done: bool,
}

impl<R: SkipRead> TarReader<R> {
    /// A reader that refuses streams longer than `limit` bytes.
    pub fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            pos: 0,
            remaining_data: 0,
            remaining_padding: 0,
            global_path: None,
            global_size: None,
            limit,
            done: false,
        }
    }

    /// Bytes consumed or skipped so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Gives back the underlying reader (to drain or finish a digest).
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn advance(&mut self, n: u64) -> Result<(), TarError> {
        self.pos = self.pos.saturating_add(n);
        if self.pos > self.limit {
            return Err(TarError::TooLarge { limit: self.limit });
        }
        Ok(())
    }

    fn read_exact_at(&mut self, buf: &mut [u8]) -> Result<bool, TarError> {
        // Returns false on a clean EOF before the first byte.
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => {
                    return Err(TarError::Truncated {
                        offset: self.pos + filled as u64,
                        expected: (buf.len() - filled) as u64,
                    });
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(TarError::Io { offset: self.pos + filled as u64, source });
                }
            }
        }
        self.advance(buf.len() as u64)?;
        Ok(true)
    }

    fn skip_bytes(&mut self, n: u64) -> Result<(), TarError> {
        if n == 0 {
            return Ok(());
        }
        // Check the bound before skipping so a huge size field cannot make us seek past it.
        if self.pos.saturating_add(n) > self.limit {
            return Err(TarError::TooLarge { limit: self.limit });
        }
        let skipped = self.inner.skip(n).map_err(|source| TarError::Io { offset: self.pos, source })?;
        if skipped < n {
            return Err(TarError::Truncated { offset: self.pos + skipped, expected: n - skipped });
        }
        self.advance(n)
    }

    fn finish_current(&mut self) -> Result<(), TarError> {
        // Saturating: a PAX or base-256 size may be near u64::MAX; skip_bytes then refuses it.
        let n = self.remaining_data.saturating_add(self.remaining_padding);
        self.remaining_data = 0;
        self.remaining_padding = 0;
        self.skip_bytes(n)
    }

    /// Reads up to `max` bytes of the current entry's data. Returns `None` when the
    /// entry is larger than `max` (nothing is read then, the data is skipped later).
    pub fn read_data(&mut self, max: u64) -> Result<Option<Vec<u8>>, TarError> {
        let Some(len) = self.data_len(max)? else { return Ok(None) };
        let mut buf = vec![0u8; len];
        self.fill_data(&mut buf)?;
        Ok(Some(buf))
    }

    /// Like [`TarReader::read_data`], into shared memory allocated once at its final size
    /// (`Arc::from(Vec)` copies, which doubles the peak memory of a large file).
    pub fn read_data_shared(&mut self, max: u64) -> Result<Option<Arc<[u8]>>, TarError> {
        let Some(len) = self.data_len(max)? else { return Ok(None) };
        // `repeat_n` is TrustedLen: collecting makes one allocation of exactly `len` bytes.
        let mut buf: Arc<[u8]> = std::iter::repeat_n(0u8, len).collect();
        let Some(slice) = Arc::get_mut(&mut buf) else {
            // A fresh Arc has no other owner; kept as an error rather than a panic.
            return Err(TarError::Io { offset: self.pos, source: io::Error::other("shared buffer is not unique") });
        };
        self.fill_data(slice)?;
        Ok(Some(buf))
    }

    /// The current entry's data length, or `None` when it is over `max`.
    fn data_len(&self, max: u64) -> Result<Option<usize>, TarError> {
        if self.remaining_data > max {
            return Ok(None);
        }
        // Refuse before allocating: data that would cross the stream bound must not be
        // inflated into memory first (the file bound can be larger than what is left).
        if self.pos.saturating_add(self.remaining_data) > self.limit {
            return Err(TarError::TooLarge { limit: self.limit });
        }
        usize::try_from(self.remaining_data).map(Some).map_err(|_| TarError::TooLarge { limit: max })
    }

    fn fill_data(&mut self, buf: &mut [u8]) -> Result<(), TarError> {
        if !buf.is_empty() && !self.read_exact_at(buf)? {
            return Err(TarError::Truncated { offset: self.pos, expected: buf.len() as u64 });
        }
        self.remaining_data = 0;
        Ok(())
    }

    /// A reader over the current entry's data (for archives inside archives). What it
    /// does not read is skipped by the next [`TarReader::next_entry`].
    pub fn data_reader(&mut self) -> EntryData<'_, R> {
        EntryData { tar: self }
    }

    fn read_metadata_record(&mut self, size: u64, header_offset: u64) -> Result<Vec<u8>, TarError> {
        if size > MAX_METADATA_RECORD {
            return Err(TarError::MetadataTooLarge { offset: header_offset, size, limit: MAX_METADATA_RECORD });
        }
        self.remaining_data = size;
        self.remaining_padding = padding(size);
        let data = self.read_data(size)?.unwrap_or_default();
        self.finish_current()?;
        Ok(data)
    }

    /// The next entry, or `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, TarError> {
        if self.done {
            return Ok(None);
        }
        self.finish_current()?;
        // A hand-off is only sound where no earlier record shapes later entries: PAX
        // global headers do, and the second walk would not have seen them.
        if self.global_path.is_none() && self.global_size.is_none() && self.inner.hands_off_at(self.pos) {
            self.done = true;
            return Ok(None);
        }
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pax = PaxOverrides::default();
        loop {
            let header_offset = self.pos;
            let mut block = [0u8; BLOCK as usize];
            if !self.read_exact_at(&mut block)? {
                // EOF without the two zero blocks: accept, as GNU tar does with a warning.
                self.done = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            verify_checksum(&block, header_offset)?;
            let typeflag = block[156];
            let size = parse_number(&block[124..136], header_offset, "size")?;
            match typeflag {
                b'L' => {
                    long_name = Some(trim_nul(self.read_metadata_record(size, header_offset)?));
                    continue;
                }
                b'K' => {
                    long_link = Some(trim_nul(self.read_metadata_record(size, header_offset)?));
                    continue;
                }
                b'x' => {
                    let data = self.read_metadata_record(size, header_offset)?;
                    pax.merge(parse_pax(&data, header_offset)?);
                    continue;
                }
                b'g' => {
                    let data = self.read_metadata_record(size, header_offset)?;
                    let global = parse_pax(&data, header_offset)?;
                    if global.path.is_some() {
                        self.global_path = global.path;
                    }
                    if global.size.is_some() {
                        self.global_size = global.size;
                    }
                    continue;
                }
                _ => {}
            }
            let entry_type = match typeflag {
                b'0' | 0 | b'7' => EntryType::File,
                b'1' => EntryType::Hardlink,
                b'2' => EntryType::Symlink,
                b'5' => EntryType::Directory,
                other => EntryType::Other(other),
            };
            let mode = parse_number(&block[100..108], header_offset, "mode")? as u32;
            let path =
                long_name.or(pax.path).or_else(|| self.global_path.clone()).unwrap_or_else(|| header_name(&block));
            let link = match entry_type {
                EntryType::Hardlink | EntryType::Symlink => {
                    Some(long_link.or(pax.linkpath).unwrap_or_else(|| trim_nul(block[157..257].to_vec())))
                }
                _ => None,
            };
            let size = pax.size.or(self.global_size).unwrap_or(size);
            // Links and directories carry no data whatever their size field says (POSIX
            // pax: "size ... shall be ignored" for types 1, 2 and 5 in practice).
            let size = match entry_type {
                EntryType::Hardlink | EntryType::Symlink | EntryType::Directory => 0,
                _ => size,
            };
            self.remaining_data = size;
            self.remaining_padding = padding(size);
            return Ok(Some(TarEntry { path, link, entry_type, size, mode, data_offset: self.pos }));
        }
    }
}

/// The current entry's data as a reader.
pub struct EntryData<'a, R> {
    tar: &'a mut TarReader<R>,
}

impl<R: SkipRead> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.tar.remaining_data;
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let got = self.tar.inner.read(&mut buf[..n])?;
        if got == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("archive member truncated: {left} bytes missing"),
            ));
        }
        self.tar.remaining_data -= got as u64;
        self.tar.pos = self.tar.pos.saturating_add(got as u64);
        if self.tar.pos > self.tar.limit {
            return Err(io::Error::other(TarError::TooLarge { limit: self.tar.limit }));
        }
        Ok(got)
    }
}

fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    if let Some(end) = v.iter().position(|&b| b == 0) {
        v.truncate(end);
    }
    v
}

fn header_name(block: &[u8; 512]) -> Vec<u8> {
    let name = trim_nul(block[0..100].to_vec());
    // POSIX ustar ("ustar\0" + "00") has a 155-byte prefix; GNU ("ustar  \0") uses that
    // space for other fields, so only the POSIX magic enables the prefix.
    if &block[257..263] == b"ustar\0" {
        let prefix = trim_nul(block[345..500].to_vec());
        if !prefix.is_empty() {
            let mut full = prefix;
            full.push(b'/');
            full.extend_from_slice(&name);
            return full;
        }
    }
    name
}

/// Whether a 512-byte block is a ustar/GNU header with a valid checksum: where a walk can
/// start in the middle of a tar stream.
pub(crate) fn is_header(block: &[u8; 512]) -> bool {
    &block[257..262] == b"ustar" && verify_checksum(block, 0).is_ok()
}

fn verify_checksum(block: &[u8; 512], offset: u64) -> Result<(), TarError> {
    let stored_field = &block[148..156];
    let stored = parse_octal(stored_field).ok_or_else(|| TarError::BadNumber {
        offset,
        field: "chksum",
        value: String::from_utf8_lossy(stored_field).into_owned(),
    })?;
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    // Some historic writers summed signed chars; GNU tar accepts both.
    if stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed) {
        Ok(())
    } else {
        Err(TarError::BadChecksum {
            offset,
            stored: String::from_utf8_lossy(stored_field).into_owned(),
            computed: unsigned,
        })
    }
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let s = field.iter().copied().skip_while(|&b| b == b' ' || b == 0).take_while(|&b| b != b' ' && b != 0);
    let mut value: u64 = 0;
    let mut any = false;
    for b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
        any = true;
    }
    // An all-blank field is zero (v7 writers leave unused fields empty).
    let _ = any;
    Some(value)
}

fn parse_number(field: &[u8], offset: u64, name: &'static str) -> Result<u64, TarError> {
    let bad = || TarError::BadNumber { offset, field: name, value: String::from_utf8_lossy(field).into_owned() };
    match field.first() {
        // GNU base-256: the high bit of the first byte set, big-endian two's complement.
        Some(&first) if first & 0x80 != 0 => {
            if first & 0x40 != 0 {
                return Err(bad()); // negative
            }
            let mut value: u64 = u64::from(first & 0x3f);
            for &b in &field[1..] {
                value = value.checked_mul(256).ok_or_else(bad)?.checked_add(u64::from(b)).ok_or_else(bad)?;
            }
            Ok(value)
        }
        _ => parse_octal(field).ok_or_else(bad),
    }
}

#[derive(Default)]
struct PaxOverrides {
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
    size: Option<u64>,
}

impl PaxOverrides {
    fn merge(&mut self, other: PaxOverrides) {
        if other.path.is_some() {
            self.path = other.path;
        }
        if other.linkpath.is_some() {
            self.linkpath = other.linkpath;
        }
        if other.size.is_some() {
            self.size = other.size;
        }
    }
}

fn parse_pax(mut data: &[u8], offset: u64) -> Result<PaxOverrides, TarError> {
    let bad = |reason| TarError::BadPax { offset, reason };
    let mut out = PaxOverrides::default();
    while !data.is_empty() {
        // Tolerate NUL padding after the last record (some writers pad the block).
        if data.iter().all(|&b| b == 0) {
            break;
        }
        let space = data.iter().position(|&b| b == b' ').ok_or_else(|| bad("no length field"))?;
        let len: usize = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("length is not a decimal number"))?;
        if len <= space + 1 || len > data.len() {
            return Err(bad("record length out of range"));
        }
        let record = &data[space + 1..len];
        let record = record.strip_suffix(b"\n").ok_or_else(|| bad("record does not end in a newline"))?;
        let eq = record.iter().position(|&b| b == b'=').ok_or_else(|| bad("record has no '='"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        match key {
            b"path" => out.path = Some(value.to_vec()),
            b"linkpath" => out.linkpath = Some(value.to_vec()),
            b"size" => {
                let size = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("size is not a decimal number"))?;
                out.size = Some(size);
            }
            _ => {}
        }
        data = &data[len..];
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A whole entry for tests: header (with `mode` and a fresh checksum), data, padding.
    pub(crate) fn entry(name: &str, typeflag: u8, data: &[u8], mode: u32, link: &str) -> Vec<u8> {
        let mut h = header(name, typeflag, data.len() as u64, link);
        h[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let mut out = h.to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    /// Builds a ustar header block for tests.
    pub(crate) fn header(name: &str, typeflag: u8, size: u64, link: &str) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..name.len().min(100)].copy_from_slice(&name.as_bytes()[..name.len().min(100)]);
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        let size_field = format!("{size:011o}\0");
        h[124..136].copy_from_slice(size_field.as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = typeflag;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        let chk = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(chk.as_bytes());
        h
    }

    /// Builds a tar archive from (name, typeflag, data, link) tuples.
    pub(crate) fn archive(entries: &[(&str, u8, &[u8], &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, t, data, link) in entries {
            out.extend_from_slice(&header(name, *t, data.len() as u64, link));
            out.extend_from_slice(data);
            out.resize(out.len() + padding(data.len() as u64) as usize, 0);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    type EntryWithData = (TarEntry, Option<Vec<u8>>);

    fn read_all(bytes: &[u8]) -> Result<Vec<EntryWithData>, TarError> {
        let mut r = TarReader::new(Streaming(bytes), u64::MAX);
        let mut out = Vec::new();
        while let Some(e) = r.next_entry()? {
            let d = r.read_data(1 << 20)?;
            out.push((e, d));
        }
        Ok(out)
    }

    #[test]
    fn reads_files_links_and_dirs() {
        let tar = archive(&[
            ("etc/", b'5', b"", ""),
            ("etc/os-release", b'0', b"ID=debian\n", ""),
            ("etc/link", b'2', b"", "os-release"),
            ("etc/hard", b'1', b"", "etc/os-release"),
        ]);
        let got = read_all(&tar).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[1].0.path, b"etc/os-release");
        assert_eq!(got[1].1.as_deref(), Some(&b"ID=debian\n"[..]));
        assert_eq!(got[2].0.entry_type, EntryType::Symlink);
        assert_eq!(got[2].0.link.as_deref(), Some(&b"os-release"[..]));
        assert_eq!(got[3].0.entry_type, EntryType::Hardlink);
    }

    #[test]
    fn gnu_long_name_and_pax_path() {
        let long = "a/".repeat(80) + "file";
        let mut lname = long.clone().into_bytes();
        lname.push(0);
        let pax_rec = {
            let body = "path=pax/name\n";
            let len = body.len() + 3; // "NN " prefix
            format!("{len} {body}")
        };
        let tar = archive(&[
            ("././@LongLink", b'L', &lname, ""),
            ("short", b'0', b"x", ""),
            ("PaxHeaders/x", b'x', pax_rec.as_bytes(), ""),
            ("ignored", b'0', b"y", ""),
        ]);
        let got = read_all(&tar).unwrap();
        assert_eq!(got[0].0.path, long.as_bytes());
        assert_eq!(got[1].0.path, b"pax/name");
    }

    #[test]
    fn truncated_and_bad_checksum_are_errors() {
        let tar = archive(&[("f", b'0', b"hello world", "")]);
        assert!(matches!(read_all(&tar[..600]), Err(TarError::Truncated { .. })));
        let mut bad = tar.clone();
        bad[0] = b'g';
        assert!(matches!(read_all(&bad), Err(TarError::BadChecksum { offset: 0, .. })));
    }

    #[test]
    fn huge_metadata_record_is_refused_without_allocating() {
        // A GNU long-name header claiming 4 GiB: must fail on the bound, not allocate.
        let mut h = header("././@LongLink", b'L', 0, "");
        let size = format!("{:011o}\0", 4u64 << 30);
        h[124..136].copy_from_slice(size.as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert!(matches!(read_all(&h), Err(TarError::MetadataTooLarge { .. })));
    }

    #[test]
    fn size_bound_stops_a_bomb() {
        let data = vec![0u8; 10_000];
        let tar = archive(&[("big", b'0', &data, "")]);
        let mut r = TarReader::new(Streaming(&tar[..]), 4096);
        let first = r.next_entry().unwrap();
        assert!(first.is_some());
        assert!(matches!(r.next_entry(), Err(TarError::TooLarge { limit: 4096 })));
    }

    #[test]
    fn size_near_u64_max_is_refused_not_overflowed() {
        // A PAX size of u64::MAX: skipping it used to overflow adding the block padding.
        let rec = "29 size=18446744073709551615\n";
        let tar = archive(&[("PaxHeaders/big", b'x', rec.as_bytes(), ""), ("big", b'0', b"", "")]);
        let mut r = TarReader::new(Streaming(&tar[..]), 1 << 20);
        assert_eq!(r.next_entry().unwrap().map(|e| e.size), Some(u64::MAX));
        assert!(matches!(r.next_entry(), Err(TarError::TooLarge { limit: 1048576 })));
    }

    #[test]
    fn read_data_past_the_bound_is_refused_before_reading() {
        let data = vec![7u8; 10_000];
        let tar = archive(&[("big", b'0', &data, "")]);
        let mut r = TarReader::new(Streaming(&tar[..]), 4096);
        assert!(r.next_entry().unwrap().is_some());
        assert!(matches!(r.read_data(1 << 20), Err(TarError::TooLarge { limit: 4096 })));
        assert_eq!(r.position(), 512, "nothing of the data was read");
    }

    #[test]
    fn shared_and_owned_reads_agree() {
        let tar = archive(&[("a", b'0', b"hello", ""), ("empty", b'0', b"", "")]);
        let mut owned = TarReader::new(Streaming(&tar[..]), u64::MAX);
        let mut shared = TarReader::new(Streaming(&tar[..]), u64::MAX);
        for _ in 0..2 {
            assert!(owned.next_entry().unwrap().is_some() && shared.next_entry().unwrap().is_some());
            assert_eq!(
                owned.read_data(1 << 20).unwrap().as_deref(),
                shared.read_data_shared(1 << 20).unwrap().as_deref()
            );
        }
        assert!(shared.next_entry().unwrap().is_none());
    }

    #[test]
    fn base256_size() {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[11] = 5;
        assert_eq!(parse_number(&f, 0, "size").unwrap(), 5);
        f[0] = 0xff;
        assert!(parse_number(&f, 0, "size").is_err());
    }
}
