//! A minimal, bounded reader of ZIP archives held in memory (APPNOTE.TXT 6.3.10): the end of
//! central directory record (and its ZIP64 form), the central directory, and the data of one
//! entry, stored or deflated. It never extracts to disk and never trusts a size it has not
//! checked: every offset is checked against the buffer, inflation stops at the size the
//! central directory declares and at the caller's limit, so a lying directory or a zip bomb
//! gives an error instead of memory use.
//!
//! Chosen over the `zip` crate, whose default features pull in bzip2, lzma, zstd, AES and
//! time support, and whose readers take a `Read + Seek` and manage their own bounds: jars
//! only need stored and deflated entries, and the callers here need a byte budget shared by
//! every nested archive of one file (docs/design.md, "Java archives").

use std::io::Read;

/// Why an archive or one of its entries could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    /// No end of central directory record in the last 64 KiB + 22 bytes.
    #[error("not a zip archive (no end of central directory record)")]
    NoEndRecord,
    /// The central directory lies outside the archive.
    #[error("the central directory ({size} bytes at offset {offset}) lies outside the {len}-byte archive")]
    DirectoryOutOfBounds {
        /// Declared offset.
        offset: u64,
        /// Declared size.
        size: u64,
        /// The archive's length.
        len: u64,
    },
    /// A central directory header is missing or cut short.
    #[error("central directory entry {index} is truncated or has a bad signature")]
    BadDirectoryEntry {
        /// Which entry (0-based).
        index: u64,
    },
    /// A local header is missing or cut short.
    #[error("{name}: local header at offset {offset} is truncated or has a bad signature")]
    BadLocalHeader {
        /// The entry.
        name: String,
        /// Its declared offset.
        offset: u64,
    },
    /// The entry's data runs past the end of the archive.
    #[error("{name}: {size} bytes of data at offset {offset} run past the end of the archive")]
    DataOutOfBounds {
        /// The entry.
        name: String,
        /// Where the data starts.
        offset: u64,
        /// Its compressed size.
        size: u64,
    },
    /// Encrypted entries are not read.
    #[error("{name}: encrypted entry")]
    Encrypted {
        /// The entry.
        name: String,
    },
    /// A compression method other than stored (0) and deflate (8).
    #[error("{name}: unsupported compression method {method}")]
    UnsupportedMethod {
        /// The entry.
        name: String,
        /// The method number.
        method: u16,
    },
    /// The entry declares more bytes than the caller allows.
    #[error("{name}: {size} bytes uncompressed is over the {limit}-byte limit")]
    TooLarge {
        /// The entry.
        name: String,
        /// Its declared uncompressed size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The data inflates to more or fewer bytes than the directory declares.
    #[error("{name}: the data does not inflate to the {declared} bytes the central directory declares")]
    SizeMismatch {
        /// The entry.
        name: String,
        /// The declared uncompressed size.
        declared: u64,
    },
    /// The deflate stream is corrupt.
    #[error("{name}: corrupt deflate data: {message}")]
    Corrupt {
        /// The entry.
        name: String,
        /// The inflater's message.
        message: String,
    },
}

/// One central directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// The entry's name (lossy UTF-8; `/` separated).
    pub name: String,
    method: u16,
    flags: u16,
    compressed_size: u64,
    /// The uncompressed size the central directory declares.
    pub uncompressed_size: u64,
    local_offset: u64,
}

/// The central directory of an archive in memory.
#[derive(Debug)]
pub struct ZipArchive<'a> {
    data: &'a [u8],
    /// Bytes before the archive proper (a launcher script prepended to an executable jar):
    /// offsets in the directory are relative to it.
    base: u64,
    /// The entries, in directory order.
    pub entries: Vec<ZipEntry>,
}

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CDH_SIG: u32 = 0x0201_4b50;
const LFH_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;
const CDH_LEN: usize = 46;
const LFH_LEN: usize = 30;

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

fn to_usize(v: u64) -> Option<usize> {
    usize::try_from(v).ok()
}

impl<'a> ZipArchive<'a> {
    /// Reads the central directory. Entries are bounded by the directory's size (each takes
    /// at least 46 bytes), which is bounded by the archive's.
    pub fn new(data: &'a [u8]) -> Result<Self, ZipError> {
        let eocd = find_eocd(data).ok_or(ZipError::NoEndRecord)?;
        let mut count = u64::from(u16_at(data, eocd + 10).ok_or(ZipError::NoEndRecord)?);
        let mut cd_size = u64::from(u32_at(data, eocd + 12).ok_or(ZipError::NoEndRecord)?);
        let mut cd_offset = u64::from(u32_at(data, eocd + 16).ok_or(ZipError::NoEndRecord)?);
        // Where the directory ends: the ZIP64 end record when there is one.
        let mut end = eocd as u64;
        if (count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff)
            && let Some(z) = zip64_end(data, eocd)
        {
            count = u64_at(data, z + 32).ok_or(ZipError::NoEndRecord)?;
            cd_size = u64_at(data, z + 40).ok_or(ZipError::NoEndRecord)?;
            cd_offset = u64_at(data, z + 48).ok_or(ZipError::NoEndRecord)?;
            end = z as u64;
        }
        let out_of_bounds =
            || ZipError::DirectoryOutOfBounds { offset: cd_offset, size: cd_size, len: data.len() as u64 };
        // As Go's archive/zip does: bytes prepended to the archive shift every offset.
        let base = cd_offset.checked_add(cd_size).and_then(|e| end.checked_sub(e)).ok_or_else(out_of_bounds)?;
        let start = to_usize(base + cd_offset).ok_or_else(out_of_bounds)?;
        let stop = to_usize(base + cd_offset + cd_size).ok_or_else(out_of_bounds)?;
        let dir = data.get(start..stop).ok_or_else(out_of_bounds)?;

        let mut entries = Vec::with_capacity(to_usize(count).unwrap_or(0).min(dir.len() / CDH_LEN));
        let mut at = 0usize;
        for index in 0..count {
            let bad = || ZipError::BadDirectoryEntry { index };
            if u32_at(dir, at) != Some(CDH_SIG) {
                return Err(bad());
            }
            let flags = u16_at(dir, at + 8).ok_or_else(bad)?;
            let method = u16_at(dir, at + 10).ok_or_else(bad)?;
            let mut compressed_size = u64::from(u32_at(dir, at + 20).ok_or_else(bad)?);
            let mut uncompressed_size = u64::from(u32_at(dir, at + 24).ok_or_else(bad)?);
            let name_len = usize::from(u16_at(dir, at + 28).ok_or_else(bad)?);
            let extra_len = usize::from(u16_at(dir, at + 30).ok_or_else(bad)?);
            let comment_len = usize::from(u16_at(dir, at + 32).ok_or_else(bad)?);
            let mut local_offset = u64::from(u32_at(dir, at + 42).ok_or_else(bad)?);
            let name_at = at + CDH_LEN;
            let name = dir.get(name_at..name_at + name_len).ok_or_else(bad)?;
            let extra = dir.get(name_at + name_len..name_at + name_len + extra_len).ok_or_else(bad)?;
            // The ZIP64 extended information extra field (0x0001) holds, in this order, the
            // sizes and offset whose 32-bit fields are all ones (APPNOTE 4.5.3).
            let mut e = 0usize;
            while let (Some(id), Some(len)) = (u16_at(extra, e), u16_at(extra, e + 2)) {
                let body = extra.get(e + 4..e + 4 + usize::from(len)).unwrap_or_default();
                if id == 1 {
                    let mut f = 0usize;
                    for field in [&mut uncompressed_size, &mut compressed_size, &mut local_offset] {
                        if *field == 0xffff_ffff
                            && let Some(v) = u64_at(body, f)
                        {
                            *field = v;
                            f += 8;
                        }
                    }
                }
                e += 4 + usize::from(len);
            }
            entries.push(ZipEntry {
                name: String::from_utf8_lossy(name).into_owned(),
                method,
                flags,
                compressed_size,
                uncompressed_size,
                local_offset,
            });
            at = name_at + name_len + extra_len + comment_len;
        }
        Ok(Self { data, base, entries })
    }

    /// Reads an entry's data, at most `limit` bytes uncompressed: the declared size is
    /// checked against `limit` first, and inflation stops one byte past the declared size.
    pub fn read(&self, entry: &ZipEntry, limit: u64) -> Result<Vec<u8>, ZipError> {
        let name = || entry.name.clone();
        if entry.flags & 1 != 0 {
            return Err(ZipError::Encrypted { name: name() });
        }
        if entry.uncompressed_size > limit {
            return Err(ZipError::TooLarge { name: name(), size: entry.uncompressed_size, limit });
        }
        let bad_local = || ZipError::BadLocalHeader { name: name(), offset: entry.local_offset };
        let header =
            to_usize(self.base.checked_add(entry.local_offset).ok_or_else(bad_local)?).ok_or_else(bad_local)?;
        if u32_at(self.data, header) != Some(LFH_SIG) {
            return Err(bad_local());
        }
        let name_len = usize::from(u16_at(self.data, header + 26).ok_or_else(bad_local)?);
        let extra_len = usize::from(u16_at(self.data, header + 28).ok_or_else(bad_local)?);
        let start = header + LFH_LEN + name_len + extra_len;
        let out_of_bounds =
            || ZipError::DataOutOfBounds { name: name(), offset: start as u64, size: entry.compressed_size };
        let stop = to_usize(entry.compressed_size).and_then(|s| start.checked_add(s)).ok_or_else(out_of_bounds)?;
        let raw = self.data.get(start..stop).ok_or_else(out_of_bounds)?;
        let declared = entry.uncompressed_size;
        let mismatch = || ZipError::SizeMismatch { name: name(), declared };
        match entry.method {
            0 => {
                if raw.len() as u64 != declared {
                    return Err(mismatch());
                }
                Ok(raw.to_vec())
            }
            8 => {
                let mut out = Vec::with_capacity(to_usize(declared).unwrap_or(0).min(raw.len().saturating_mul(4)));
                flate2::read::DeflateDecoder::new(raw)
                    .take(declared + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| ZipError::Corrupt { name: name(), message: e.to_string() })?;
                if out.len() as u64 != declared {
                    return Err(mismatch());
                }
                Ok(out)
            }
            method => Err(ZipError::UnsupportedMethod { name: name(), method }),
        }
    }
}

/// The end of central directory record: searched backwards over the last 22 + 65535 bytes
/// (the record plus the longest comment); the first candidate whose comment length reaches
/// no further than the end of the data wins.
fn find_eocd(data: &[u8]) -> Option<usize> {
    let last = data.len().checked_sub(EOCD_LEN)?;
    let first = last.saturating_sub(0xffff);
    (first..=last).rev().find(|&at| {
        u32_at(data, at) == Some(EOCD_SIG)
            && u16_at(data, at + 20).is_some_and(|c| at + EOCD_LEN + usize::from(c) <= data.len())
    })
}

/// The ZIP64 end of central directory record, found through its locator just before the
/// classic record.
fn zip64_end(data: &[u8], eocd: usize) -> Option<usize> {
    let locator = eocd.checked_sub(20)?;
    if u32_at(data, locator)? != ZIP64_LOCATOR_SIG {
        return None;
    }
    // The locator's offset is relative to the archive's start; try it as is, then as if the
    // record sat just before the locator (prepended bytes).
    let declared = to_usize(u64_at(data, locator + 8)?)?;
    [Some(declared), locator.checked_sub(56)]
        .into_iter()
        .flatten()
        .find(|&at| u32_at(data, at) == Some(ZIP64_EOCD_SIG) && at + 56 <= locator)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A zip writer for tests: stored or deflated entries, optionally with lies.
    pub(crate) fn build(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, deflate) in entries {
            let offset = out.len() as u32;
            let (method, body) = if *deflate {
                let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(data).unwrap();
                (8u16, enc.finish().unwrap())
            } else {
                (0u16, data.to_vec())
            };
            let mut local = Vec::new();
            local.extend_from_slice(&LFH_SIG.to_le_bytes());
            local.extend_from_slice(&[20, 0, 0, 0]);
            local.extend_from_slice(&method.to_le_bytes());
            local.extend_from_slice(&[0; 4]); // time, date
            local.extend_from_slice(&[0; 4]); // crc (not checked)
            local.extend_from_slice(&(body.len() as u32).to_le_bytes());
            local.extend_from_slice(&(data.len() as u32).to_le_bytes());
            local.extend_from_slice(&(name.len() as u16).to_le_bytes());
            local.extend_from_slice(&[0, 0]);
            local.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&local);
            out.extend_from_slice(&body);
            central.extend_from_slice(&CDH_SIG.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&(body.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn stored_and_deflated_entries_round_trip() {
        let z = build(&[("a.txt", b"hello", false), ("b/c.txt", &b"x".repeat(10_000), true)]);
        let a = ZipArchive::new(&z).unwrap();
        assert_eq!(a.entries.len(), 2);
        assert_eq!(a.read(&a.entries[0], 100).unwrap(), b"hello");
        assert_eq!(a.read(&a.entries[1], 10_000).unwrap().len(), 10_000);
        assert!(matches!(a.read(&a.entries[1], 9_999), Err(ZipError::TooLarge { .. })));
    }

    #[test]
    fn prepended_launcher_script_shifts_offsets() {
        let mut z = b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n".to_vec();
        z.extend(build(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", true)]));
        let a = ZipArchive::new(&z).unwrap();
        assert_eq!(a.read(&a.entries[0], 1 << 20).unwrap(), b"Manifest-Version: 1.0\n");
    }

    #[test]
    fn a_lying_uncompressed_size_stops_inflation() {
        let mut z = build(&[("bomb", &vec![0u8; 1 << 20], true)]);
        // Declare 10 bytes uncompressed in the central directory.
        let cd = z.len() - EOCD_LEN - (CDH_LEN + 4);
        z[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
        let a = ZipArchive::new(&z).unwrap();
        assert!(matches!(a.read(&a.entries[0], 1 << 30), Err(ZipError::SizeMismatch { declared: 10, .. })));
    }

    #[test]
    fn lying_directory_offsets_are_errors() {
        let mut z = build(&[("a", b"a", false)]);
        let n = z.len();
        z[n - 6..n - 2].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        assert!(matches!(ZipArchive::new(&z), Err(ZipError::DirectoryOutOfBounds { .. })));
        let mut z = build(&[("a", b"a", false)]);
        let n = z.len();
        z[n - 12..n - 10].copy_from_slice(&0xfffeu16.to_le_bytes()); // more entries than there are
        assert!(matches!(ZipArchive::new(&z), Err(ZipError::BadDirectoryEntry { index: 1 })));
        let mut z = build(&[("a", b"a", false)]);
        let cd = z.len() - EOCD_LEN - (CDH_LEN + 1);
        z[cd + 42..cd + 46].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
        let a = ZipArchive::new(&z).unwrap();
        assert!(matches!(a.read(&a.entries[0], 10), Err(ZipError::BadLocalHeader { .. })));
    }

    #[test]
    fn truncated_and_empty_inputs() {
        let z = build(&[("a", b"abc", false)]);
        for cut in 0..z.len() {
            if let Ok(a) = ZipArchive::new(&z[..cut]) {
                for e in &a.entries {
                    let _ = a.read(e, 10);
                }
            }
        }
        assert_eq!(ZipArchive::new(b"").unwrap_err(), ZipError::NoEndRecord);
    }
}
