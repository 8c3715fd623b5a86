//! rpm's own "NDB" package database (`/usr/lib/sysimage/rpm/Packages.db`, SUSE).
//!
//! Layout, from rpm's `lib/backend/ndb/rpmpkg.c` (all integers little-endian):
//!
//! - a 32-byte header: magic `RpmP`, version 0, generation, number of slot pages,
//!   next package index (`rpmpkgReadHeader`);
//! - slot pages of 4096 bytes from the start of the file (the header takes the first two
//!   16-byte slots): each slot is `{magic "Slot", pkgidx, blkoff, blkcnt}`, and a slot
//!   with `blkoff == 0` is free (`rpmpkgReadSlots`);
//! - blobs addressed in 16-byte blocks: a 16-byte head `{magic "BlbS", pkgidx,
//!   generation, bloblen}`, the header blob, zero padding, and a 12-byte tail
//!   `{adler32, bloblen, magic "BlbE"}` ending the last block (`rpmpkgReadBlob`).
//!
//! The adler32 checksum is not verified: rpm's own read path skips it too (it checks the
//! checksum only when verifying the database), and the header blob is validated on its
//! own. Slots are read in slot order, as rpm and go-rpmdb list them.
//!
//! Every slot is checked against the file before its blob is touched, and slots whose
//! blocks overlap an earlier slot's are refused, so no byte of the file is parsed twice.

use super::{RecordLocation, WarningSink};

/// `PKGDB_MAGIC`: "RpmP".
const PKGDB_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
/// `PKGDB_VERSION`.
const PKGDB_VERSION: u32 = 0;
/// `SLOT_MAGIC`: "Slot".
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
/// `BLOBHEAD_MAGIC`: "BlbS".
const BLOBHEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
/// `BLOBTAIL_MAGIC`: "BlbE".
const BLOBTAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");

/// `PKGDB_HEADER_SIZE`.
const HEADER_SIZE: usize = 32;
/// `PAGE_SIZE`: slot pages.
const PAGE_SIZE: usize = 4096;
/// `SLOT_SIZE`.
const SLOT_SIZE: usize = 16;
/// `BLK_SIZE`: the unit of blob offsets and counts.
const BLK_SIZE: u64 = 16;
/// `BLOBHEAD_SIZE`.
const BLOBHEAD_SIZE: u64 = 16;
/// `BLOBTAIL_SIZE`.
const BLOBTAIL_SIZE: u64 = 12;
/// `PKGDB_MAX_BLOBSIZE`.
const MAX_BLOB_SIZE: u32 = u32::MAX - (BLOBHEAD_SIZE + BLOBTAIL_SIZE + BLK_SIZE - 1) as u32;

/// Why an NDB file, or one slot of it, could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NdbError {
    /// Too short for the 32-byte header.
    #[error("file is {len} bytes, shorter than the 32-byte NDB header")]
    TooShort {
        /// The file's length.
        len: usize,
    },
    /// Not an NDB package database.
    #[error("magic {magic:#010x} is not the NDB magic \"RpmP\"")]
    BadMagic {
        /// The magic at offset 0.
        magic: u32,
    },
    /// A format version other than 0.
    #[error("NDB version {version} is not supported (only 0 is)")]
    UnsupportedVersion {
        /// The version at offset 4.
        version: u32,
    },
    /// No slot pages, or more than the file holds.
    #[error("header declares {slot_pages} slot pages, but the {len}-byte file holds {available}")]
    BadSlotPageCount {
        /// The declared number of slot pages.
        slot_pages: u32,
        /// Whole 4096-byte pages in the file.
        available: usize,
        /// The file's length.
        len: usize,
    },
    /// A slot without the slot magic.
    #[error("slot {slot} has magic {magic:#010x}, not \"Slot\"")]
    BadSlotMagic {
        /// The slot number (the header takes slots 0 and 1).
        slot: u32,
        /// The magic found.
        magic: u32,
    },
    /// A used slot with package index 0, no blocks, or blocks inside the slot pages.
    #[error(
        "slot {slot} (package {pkg_index}) has {blk_count} blocks at block {blk_offset}, inside the slot pages or empty"
    )]
    BadSlot {
        /// The slot number.
        slot: u32,
        /// The package index.
        pkg_index: u32,
        /// The first block.
        blk_offset: u32,
        /// The number of blocks.
        blk_count: u32,
    },
    /// A slot whose blocks run past the end of the file.
    #[error(
        "slot {slot} (package {pkg_index}) has {blk_count} blocks at block {blk_offset}, past the file's {file_blocks} blocks"
    )]
    SlotPastEnd {
        /// The slot number.
        slot: u32,
        /// The package index.
        pkg_index: u32,
        /// The first block.
        blk_offset: u32,
        /// The number of blocks.
        blk_count: u32,
        /// Whole blocks in the file.
        file_blocks: u64,
    },
    /// A slot whose blocks overlap the blocks of another slot.
    #[error("slot {slot} (package {pkg_index}) overlaps the blocks of slot {other}")]
    OverlappingSlot {
        /// The slot number.
        slot: u32,
        /// The package index.
        pkg_index: u32,
        /// The slot whose blocks it overlaps.
        other: u32,
    },
    /// A blob head without the head magic.
    #[error("slot {slot}: blob head magic {magic:#010x} is not \"BlbS\"")]
    BadBlobMagic {
        /// The slot number.
        slot: u32,
        /// The magic found.
        magic: u32,
    },
    /// A blob head naming another package than its slot.
    #[error("slot {slot}: blob belongs to package {found}, not {expected}")]
    BlobPackageMismatch {
        /// The slot number.
        slot: u32,
        /// The slot's package index.
        expected: u32,
        /// The blob head's package index.
        found: u32,
    },
    /// A blob length that does not match the slot's block count.
    #[error("slot {slot}: blob of {blob_len} bytes does not fill exactly {blk_count} blocks")]
    BlobLengthMismatch {
        /// The slot number.
        slot: u32,
        /// The blob length from the head.
        blob_len: u32,
        /// The slot's block count.
        blk_count: u32,
    },
    /// A blob tail with the wrong magic or length.
    #[error("slot {slot}: blob tail has length {tail_len} and magic {magic:#010x}, expected {blob_len} and \"BlbE\"")]
    BadBlobTail {
        /// The slot number.
        slot: u32,
        /// The length from the blob head.
        blob_len: u32,
        /// The length from the tail.
        tail_len: u32,
        /// The tail's magic.
        magic: u32,
    },
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// A used slot that passed the checks against the file.
#[derive(Debug, Clone, Copy)]
struct Slot {
    slot: u32,
    pkg_index: u32,
    blk_offset: u32,
    blk_count: u32,
}

/// Calls `visit` with every header blob of the database, in slot order. Problems with
/// single slots go to `warnings`; only an unreadable NDB header is an error.
pub(crate) fn for_each_blob(
    bytes: &[u8],
    warnings: &mut WarningSink,
    visit: &mut dyn FnMut(RecordLocation, &[u8]),
) -> Result<(), NdbError> {
    if bytes.len() < HEADER_SIZE {
        return Err(NdbError::TooShort { len: bytes.len() });
    }
    let field = |at| le32(bytes, at).unwrap_or(0);
    let magic = field(0);
    if magic != PKGDB_MAGIC {
        return Err(NdbError::BadMagic { magic });
    }
    let version = field(4);
    if version != PKGDB_VERSION {
        return Err(NdbError::UnsupportedVersion { version });
    }
    let slot_pages = field(12);
    let available = bytes.len() / PAGE_SIZE;
    // rpm itself creates one slot page with the database; 0 means a broken header.
    if slot_pages == 0 || slot_pages as usize > available {
        return Err(NdbError::BadSlotPageCount { slot_pages, available, len: bytes.len() });
    }
    let file_blocks = bytes.len() as u64 / BLK_SIZE;
    // Blobs start after the slot pages (`minblkoff`).
    let min_blk = u64::from(slot_pages) * (PAGE_SIZE as u64 / BLK_SIZE);

    let mut slots = Vec::new();
    let slot_area = bytes.get(..slot_pages as usize * PAGE_SIZE).unwrap_or_default();
    let first_slot = (HEADER_SIZE / SLOT_SIZE) as u32;
    for (slot, raw) in (first_slot..).zip(slot_area.chunks_exact(SLOT_SIZE).skip(first_slot as usize)) {
        let field = |at| le32(raw, at).unwrap_or(0);
        let magic = field(0);
        if magic != SLOT_MAGIC {
            warnings.push(NdbError::BadSlotMagic { slot, magic });
            continue;
        }
        let (pkg_index, blk_offset, blk_count) = (field(4), field(8), field(12));
        if blk_offset == 0 {
            continue; // a free slot
        }
        let end = u64::from(blk_offset) + u64::from(blk_count);
        if end > file_blocks {
            warnings.push(NdbError::SlotPastEnd { slot, pkg_index, blk_offset, blk_count, file_blocks });
            continue;
        }
        if pkg_index == 0 || blk_count == 0 || u64::from(blk_offset) < min_blk {
            warnings.push(NdbError::BadSlot { slot, pkg_index, blk_offset, blk_count });
            continue;
        }
        slots.push(Slot { slot, pkg_index, blk_offset, blk_count });
    }

    let overlapping = overlapping_slots(&slots);
    for (s, overlaps) in slots.iter().zip(overlapping) {
        if let Some(other) = overlaps {
            warnings.push(NdbError::OverlappingSlot { slot: s.slot, pkg_index: s.pkg_index, other });
            continue;
        }
        match blob(bytes, s) {
            Ok(blob) => visit(RecordLocation::Ndb { slot: s.slot, pkg_index: s.pkg_index }, blob),
            Err(e) => warnings.push(e),
        }
    }
    Ok(())
}

/// For each slot, the slot at a lower block offset whose blocks it overlaps, if any
/// (one sort, so a file full of slots naming the same blocks stays linear-logarithmic).
fn overlapping_slots(slots: &[Slot]) -> Vec<Option<u32>> {
    let mut by_offset: Vec<usize> = (0..slots.len()).collect();
    by_offset.sort_by_key(|i| slots.get(*i).map(|s| (s.blk_offset, s.slot)));
    let mut overlapping = vec![None; slots.len()];
    let mut kept: Option<&Slot> = None;
    for i in by_offset {
        let Some(s) = slots.get(i) else { continue };
        match kept {
            Some(k) if u64::from(s.blk_offset) < u64::from(k.blk_offset) + u64::from(k.blk_count) => {
                if let Some(o) = overlapping.get_mut(i) {
                    *o = Some(k.slot);
                }
            }
            _ => kept = Some(s),
        }
    }
    overlapping
}

/// The header blob of one slot (`rpmpkgReadBlob` without the checksum).
fn blob<'a>(bytes: &'a [u8], s: &Slot) -> Result<&'a [u8], NdbError> {
    let slot = s.slot;
    // The slot was checked against the file: start + blk_count × 16 <= len.
    let start = u64::from(s.blk_offset) * BLK_SIZE;
    let size = u64::from(s.blk_count) * BLK_SIZE;
    let area = usize::try_from(start)
        .ok()
        .zip(usize::try_from(size).ok())
        .and_then(|(start, size)| bytes.get(start..start.checked_add(size)?))
        .unwrap_or_default();
    let field = |at| le32(area, at).unwrap_or(0);
    let magic = field(0);
    if magic != BLOBHEAD_MAGIC {
        return Err(NdbError::BadBlobMagic { slot, magic });
    }
    let found = field(4);
    if found != s.pkg_index {
        return Err(NdbError::BlobPackageMismatch { slot, expected: s.pkg_index, found });
    }
    let blob_len = field(12);
    let needed_blocks = (BLOBHEAD_SIZE + u64::from(blob_len) + BLOBTAIL_SIZE).div_ceil(BLK_SIZE);
    if blob_len > MAX_BLOB_SIZE || needed_blocks != u64::from(s.blk_count) {
        return Err(NdbError::BlobLengthMismatch { slot, blob_len, blk_count: s.blk_count });
    }
    let tail_at = area.len().saturating_sub(BLOBTAIL_SIZE as usize);
    let (tail_len, tail_magic) = (field(tail_at + 4), field(tail_at + 8));
    if tail_len != blob_len || tail_magic != BLOBTAIL_MAGIC {
        return Err(NdbError::BadBlobTail { slot, blob_len, tail_len, magic: tail_magic });
    }
    let head = BLOBHEAD_SIZE as usize;
    area.get(head..head + blob_len as usize).ok_or(NdbError::BlobLengthMismatch {
        slot,
        blob_len,
        blk_count: s.blk_count,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
pub(crate) mod tests {
    use super::*;
    use crate::os::rpm::Collected;
    use crate::os::rpm::header::tests::HeaderBuilder;

    /// Writes NDB files for tests: one slot page, blobs appended in order.
    pub(crate) fn ndb_file(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut file = vec![0u8; PAGE_SIZE];
        file[0..4].copy_from_slice(b"RpmP");
        file[12..16].copy_from_slice(&1u32.to_le_bytes());
        for slot in 2..PAGE_SIZE / SLOT_SIZE {
            file[slot * SLOT_SIZE..slot * SLOT_SIZE + 4].copy_from_slice(b"Slot");
        }
        for (i, (pkg_index, blob)) in blobs.iter().enumerate() {
            let blk_offset = (file.len() / 16) as u32;
            let mut area = Vec::new();
            area.extend_from_slice(b"BlbS");
            area.extend_from_slice(&pkg_index.to_le_bytes());
            area.extend_from_slice(&0u32.to_le_bytes());
            area.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            area.extend_from_slice(blob);
            while (area.len() + 12) % 16 != 0 {
                area.push(0);
            }
            area.extend_from_slice(&0u32.to_le_bytes());
            area.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            area.extend_from_slice(b"BlbE");
            let blk_count = (area.len() / 16) as u32;
            let slot = (2 + i) * SLOT_SIZE;
            file[slot + 4..slot + 8].copy_from_slice(&pkg_index.to_le_bytes());
            file[slot + 8..slot + 12].copy_from_slice(&blk_offset.to_le_bytes());
            file[slot + 12..slot + 16].copy_from_slice(&blk_count.to_le_bytes());
            file.extend_from_slice(&area);
        }
        file
    }

    pub(crate) fn ndb_packages(names: &[&str]) -> Vec<u8> {
        let blobs: Vec<(u32, Vec<u8>)> =
            names.iter().enumerate().map(|(i, n)| (i as u32 + 1, HeaderBuilder::package(n).build())).collect();
        ndb_file(&blobs)
    }

    fn read(bytes: &[u8]) -> Collected<NdbError> {
        let mut sink = WarningSink::default();
        let mut out = Vec::new();
        let r = for_each_blob(bytes, &mut sink, &mut |loc, blob| out.push((loc, blob.to_vec())));
        let warnings = sink.into_vec().iter().map(|w| w.to_string()).collect();
        (r.map(|()| out), warnings)
    }

    fn set_slot(file: &mut [u8], slot: usize, field: usize, v: u32) {
        let at = slot * SLOT_SIZE + field * 4;
        file[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn reads_blobs_in_slot_order() {
        let (r, warnings) = read(&ndb_packages(&["b", "a"]));
        let blobs = r.unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(blobs.len(), 2);
        assert_eq!(blobs[0].0, RecordLocation::Ndb { slot: 2, pkg_index: 1 });
        assert_eq!(blobs[0].1, HeaderBuilder::package("b").build());
    }

    #[test]
    fn bad_headers_are_errors() {
        assert_eq!(read(&[]).0, Err(NdbError::TooShort { len: 0 }));
        let good = ndb_packages(&["a"]);
        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(matches!(read(&bad).0, Err(NdbError::BadMagic { .. })));
        let mut bad = good.clone();
        bad[4] = 1;
        assert_eq!(read(&bad).0, Err(NdbError::UnsupportedVersion { version: 1 }));
        for pages in [0u32, 2, u32::MAX] {
            let mut bad = good.clone();
            bad[12..16].copy_from_slice(&pages.to_le_bytes());
            assert!(matches!(read(&bad).0, Err(NdbError::BadSlotPageCount { .. })), "{pages}");
        }
        assert!(matches!(read(&good[..100]).0, Err(NdbError::BadSlotPageCount { .. })));
    }

    #[test]
    fn slot_pointing_past_the_file_is_skipped() {
        let mut file = ndb_packages(&["a", "b", "c"]);
        set_slot(&mut file, 3, 2, 0x7fff_ffff);
        set_slot(&mut file, 4, 3, 0xffff_ffff);
        let (r, warnings) = read(&file);
        assert_eq!(r.unwrap().len(), 1);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings.iter().all(|w| w.contains("past the file")), "{warnings:?}");
    }

    #[test]
    fn hostile_slots_and_blobs_are_skipped() {
        let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
        let good = ndb_packages(&names);
        let mut file = good.clone();
        // slot 2: bad magic; 3: package 0; 4: offset inside the slot page;
        // 5: overlaps slot 6 (same blocks); 7: blob for another package;
        // 8: wrong blob length; 9: wrong tail.
        file[2 * SLOT_SIZE] = b'X';
        set_slot(&mut file, 3, 1, 0);
        set_slot(&mut file, 4, 2, 5);
        let slot6_offset = u32::from_le_bytes(file[6 * 16 + 8..6 * 16 + 12].try_into().unwrap());
        let slot6_count = u32::from_le_bytes(file[6 * 16 + 12..6 * 16 + 16].try_into().unwrap());
        set_slot(&mut file, 5, 2, slot6_offset);
        set_slot(&mut file, 5, 3, slot6_count);
        set_slot(&mut file, 7, 1, 77);
        let blob8 = u32::from_le_bytes(file[8 * 16 + 8..8 * 16 + 12].try_into().unwrap()) as usize * 16;
        file[blob8 + 12] ^= 0x40;
        let count9 = u32::from_le_bytes(file[9 * 16 + 12..9 * 16 + 16].try_into().unwrap()) as usize;
        let blob9 = u32::from_le_bytes(file[9 * 16 + 8..9 * 16 + 12].try_into().unwrap()) as usize * 16;
        file[blob9 + count9 * 16 - 1] = b'X';
        let (r, warnings) = read(&file);
        let blobs = r.unwrap();
        // Slots 5 and 6 share blocks: slot 5 sorts first, so slot 6 is refused, and
        // slot 5 then finds package 5's blob where package 4's should be.
        assert_eq!(blobs.len(), 0, "{blobs:?}");
        let expected = [
            "slot 2 has magic",
            "slot 3 (package 0)",
            "slot 4 (package 3)",
            "slot 6 (package 5) overlaps the blocks of slot 5",
            "slot 5: blob belongs to package 5, not 4",
            "slot 7: blob belongs to package 6, not 77",
            "slot 8: blob of",
            "slot 9: blob tail",
        ];
        let mut sorted = warnings.clone();
        sorted.sort();
        let mut exp: Vec<&str> = expected.to_vec();
        exp.sort();
        assert_eq!(sorted.len(), exp.len(), "{warnings:#?}");
        for (w, e) in sorted.iter().zip(exp) {
            assert!(w.contains(e), "{w} should contain {e}");
        }
    }

    #[test]
    fn slots_naming_the_same_blocks_are_read_once() {
        let mut file = ndb_file(&[(1, HeaderBuilder::package("a").build())]);
        let first: [u8; 16] = file[2 * SLOT_SIZE..3 * SLOT_SIZE].try_into().unwrap();
        for slot in 3..PAGE_SIZE / SLOT_SIZE {
            file[slot * SLOT_SIZE..(slot + 1) * SLOT_SIZE].copy_from_slice(&first);
        }
        let (r, warnings) = read(&file);
        assert_eq!(r.unwrap().len(), 1);
        assert_eq!(warnings.len(), PAGE_SIZE / SLOT_SIZE - 3);
        assert!(warnings.iter().all(|w| w.ends_with("overlaps the blocks of slot 2")));
    }

    #[test]
    fn random_and_mutated_files_never_panic() {
        let mut state = 0xdead_beef_cafe_f00du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let good = ndb_packages(&["a", "b", "c"]);
        for _ in 0..3_000 {
            let mut bytes = good.clone();
            for _ in 0..(next() % 8 + 1) {
                // Mostly the slots and blob heads, where the structure is.
                let at = if next() % 2 == 0 { 32 + (next() as usize) % 64 } else { (next() as usize) % bytes.len() };
                bytes[at] = next() as u8;
            }
            let _ = read(&bytes);
            let cut = (next() as usize) % bytes.len();
            let _ = read(&bytes[..cut]);
        }
    }
}
