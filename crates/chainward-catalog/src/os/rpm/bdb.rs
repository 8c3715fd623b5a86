//! The BerkeleyDB hash database rpm used until 4.16 (`/var/lib/rpm/Packages`).
//!
//! Only reading, and only what rpm stores: a hash database whose keys are 4-byte header
//! numbers and whose values are header blobs. The layout follows BerkeleyDB's
//! `dbinc/db_page.h` and rpm's own read-only reader, `lib/backend/bdb_ro.cc`:
//!
//! - page 0 is the hash metadata page: magic at 12, version at 16, page size at 20,
//!   encryption algorithm at 24, page type at 25, last page number at 32;
//! - every page starts with a 26-byte header: page number at 8, previous/next page at
//!   12/16, entry count at 20, `hf_offset` at 22 (on overflow pages: the data length),
//!   page type at 25;
//! - a hash page (type 2, or 13 since BerkeleyDB 4.6) holds an array of 2-byte item
//!   offsets after its header, in key/value pairs; items grow down from the page end, so
//!   an item's length is the distance to the previous item (`hash_next`);
//! - an item starts with its type: `H_KEYDATA` (1) is inline data, `H_OFFPAGE` (3) is
//!   `{type, 3 unused, pgno: u32, tlen: u32}` pointing to a chain of overflow pages
//!   (type 7) that hold `tlen` bytes in total (`ovfl_get`).
//!
//! The file's byte order is the writer's: a byte-swapped magic means every field is
//! big-endian. Like go-rpmdb (used by Syft and Trivy), pages are walked in file order
//! rather than through the hash buckets, so a damaged bucket table loses nothing;
//! freed pages are marked invalid (type 0) by BerkeleyDB and skipped.
//!
//! Nothing read from the file is trusted: page numbers are checked against the file,
//! item offsets and lengths against the page, an overflow chain's total length against
//! the file, and each overflow page may be read once per database, which stops cycles
//! and bounds the bytes copied to the file's size.

use std::fmt;

use super::{RecordLocation, WarningSink};

/// The hash magic as written by a little-endian host (`DB_HASHMAGIC`).
const HASH_MAGIC: u32 = 0x0006_1561;
/// The hash magic read from a big-endian file.
const HASH_MAGIC_SWAPPED: u32 = 0x6115_0600;
/// Size of every page header (`SIZEOF_PAGE`).
const PAGE_HEADER: usize = 26;
/// Hash versions rpm's reader accepts (`bdb_open`).
const HASH_VERSIONS: std::ops::RangeInclusive<u32> = 8..=10;

/// `P_HASH_UNSORTED`: hash pages written before BerkeleyDB 4.6 (RHEL/CentOS 5).
const P_HASH_UNSORTED: u8 = 2;
/// `P_OVERFLOW`.
const P_OVERFLOW: u8 = 7;
/// `P_HASHMETA`.
const P_HASHMETA: u8 = 8;
/// `P_HASH`: sorted hash pages.
const P_HASH: u8 = 13;

/// `H_KEYDATA`: inline item.
const H_KEYDATA: u8 = 1;
/// `H_OFFPAGE`: item stored on overflow pages.
const H_OFFPAGE: u8 = 3;
/// Size of an `H_OFFPAGE` item (`HOFFPAGE_SIZE`).
const HOFFPAGE_SIZE: usize = 12;

/// Why a BerkeleyDB file, or one record of it, could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BdbError {
    /// Too short for the metadata page.
    #[error("file is {len} bytes, shorter than the {needed}-byte metadata page")]
    TooShort {
        /// The file's length.
        len: usize,
        /// Bytes the metadata page needs.
        needed: usize,
    },
    /// Not a BerkeleyDB hash database (btree and queue databases are not rpm's
    /// `Packages`).
    #[error("magic {magic:#010x} is not a BerkeleyDB hash database")]
    BadMagic {
        /// The magic at offset 12, read little-endian.
        magic: u32,
    },
    /// A hash version rpm does not read.
    #[error("hash version {version} is not supported (8 to 10 are)")]
    UnsupportedVersion {
        /// The version at offset 16.
        version: u32,
    },
    /// A page size that is not a power of two from 512 to 65536.
    #[error("page size {page_size} is not a power of two from 512 to 65536")]
    BadPageSize {
        /// The page size at offset 20.
        page_size: u32,
    },
    /// An encrypted database.
    #[error("database is encrypted (algorithm {algorithm})")]
    Encrypted {
        /// The encryption algorithm at offset 24.
        algorithm: u8,
    },
    /// Page 0 is not a hash metadata page.
    #[error("page 0 has type {page_type}, not the hash metadata type 8")]
    BadMetaPageType {
        /// The type at offset 25.
        page_type: u8,
    },
    /// The metadata says the database has more pages than the file holds; the pages
    /// that are there are still read.
    #[error("metadata names page {last_page} as the last, but the file holds {file_pages} pages")]
    Truncated {
        /// The last page number in the metadata.
        last_page: u32,
        /// Whole pages in the file.
        file_pages: u64,
    },
    /// A page's own number differs from its position (rpm's `bdb_getpage` check).
    #[error("page {page} says it is page {found}")]
    PageNumberMismatch {
        /// The page's position.
        page: u32,
        /// The number in its header.
        found: u32,
    },
    /// A hash page's entry offsets do not fit in the page.
    #[error("page {page} declares {entries} entries, more than its offset table can hold")]
    TooManyEntries {
        /// The hash page.
        page: u32,
        /// The declared entry count.
        entries: u16,
    },
    /// An item's offset or length does not fit its page.
    #[error("page {page} entry {index}: item at offset {offset} with length {len} does not fit the page")]
    ItemOutOfPage {
        /// The hash page.
        page: u32,
        /// The entry's position.
        index: u16,
        /// The item's offset.
        offset: u32,
        /// The item's computed length (negative when offsets are out of order).
        len: i64,
    },
    /// An item type rpm's `Packages` never holds (duplicates, or unknown).
    #[error("page {page} entry {index}: item type {item_type} is not supported")]
    UnsupportedItemType {
        /// The hash page.
        page: u32,
        /// The entry's position.
        index: u16,
        /// The item type byte.
        item_type: u8,
    },
    /// An off-page item that is not 12 bytes.
    #[error("page {page} entry {index}: off-page item is {len} bytes, not 12")]
    BadOffPageItem {
        /// The hash page.
        page: u32,
        /// The entry's position.
        index: u16,
        /// The item's length.
        len: usize,
    },
    /// An off-page item longer than the whole file, or empty.
    #[error("value of {len} bytes cannot come from a {file_len}-byte file")]
    BadValueLength {
        /// The item's declared total length.
        len: u32,
        /// The file's length.
        file_len: usize,
    },
    /// An overflow chain names a page that does not exist (0 ends a chain early).
    #[error("overflow chain names page {target}, outside pages 1 to {last_page}")]
    PageOutOfRange {
        /// The named page.
        target: u32,
        /// The last page that may be read.
        last_page: u32,
    },
    /// An overflow chain leads to a page of another type.
    #[error("overflow chain leads to page {page} of type {page_type}, not 7")]
    NotOverflowPage {
        /// The page.
        page: u32,
        /// Its type.
        page_type: u8,
    },
    /// An overflow page already read: the chain loops, or two items share pages.
    #[error("overflow page {page} is reached a second time (a cycle, or shared by two items)")]
    OverflowPageReused {
        /// The page.
        page: u32,
    },
    /// The value of one record could not be read.
    #[error("value at page {page} entry {entry}: {source}")]
    Value {
        /// The hash page holding the record.
        page: u32,
        /// The value's entry on that page.
        entry: u16,
        /// What went wrong.
        source: Box<BdbError>,
    },
    /// An overflow page holds more bytes than fit, or than the item has left.
    #[error("overflow page {page} holds {chunk} bytes, but the page fits {fits} and the item has {remaining} left")]
    BadOverflowChunk {
        /// The page.
        page: u32,
        /// Its data length (`hf_offset`).
        chunk: u16,
        /// Bytes a page of this size can hold.
        fits: usize,
        /// Bytes the item still expects.
        remaining: u32,
    },
}

/// The byte order of the file.
#[derive(Debug, Clone, Copy)]
enum Order {
    Little,
    Big,
}

impl Order {
    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u16::from_le_bytes(b),
            Self::Big => u16::from_be_bytes(b),
        })
    }

    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u32::from_le_bytes(b),
            Self::Big => u32::from_be_bytes(b),
        })
    }
}

/// An opened database: the checked metadata and the file.
struct Db<'a> {
    bytes: &'a [u8],
    order: Order,
    page_size: usize,
    /// The last page that may be read: the metadata's last page, capped by the file.
    last_page: u32,
    /// Overflow pages already read (one flag per page of the file).
    seen: Vec<bool>,
}

impl fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("page_size", &self.page_size)
            .field("last_page", &self.last_page)
            .finish_non_exhaustive()
    }
}

/// Calls `visit` with every header blob of the database, in file order. Problems with
/// single records go to `warnings`; only an unreadable metadata page is an error.
pub(crate) fn for_each_blob(
    bytes: &[u8],
    warnings: &mut WarningSink,
    visit: &mut dyn FnMut(RecordLocation, &[u8]),
) -> Result<(), BdbError> {
    let mut db = Db::open(bytes, warnings)?;
    for page in 1..=db.last_page {
        db.read_hash_page(page, warnings, visit);
    }
    Ok(())
}

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8], warnings: &mut WarningSink) -> Result<Self, BdbError> {
        // BerkeleyDB's smallest page is 512 bytes; rpm reads that much first too.
        const META_MIN: usize = 512;
        if bytes.len() < META_MIN {
            return Err(BdbError::TooShort { len: bytes.len(), needed: META_MIN });
        }
        let magic = Order::Little.u32(bytes, 12).unwrap_or(0);
        let order = match magic {
            HASH_MAGIC => Order::Little,
            HASH_MAGIC_SWAPPED => Order::Big,
            _ => return Err(BdbError::BadMagic { magic }),
        };
        let version = order.u32(bytes, 16).unwrap_or(0);
        if !HASH_VERSIONS.contains(&version) {
            return Err(BdbError::UnsupportedVersion { version });
        }
        let page_size = order.u32(bytes, 20).unwrap_or(0);
        if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
            return Err(BdbError::BadPageSize { page_size });
        }
        let algorithm = bytes.get(24).copied().unwrap_or(0);
        if algorithm != 0 {
            return Err(BdbError::Encrypted { algorithm });
        }
        let page_type = bytes.get(25).copied().unwrap_or(0);
        if page_type != P_HASHMETA {
            return Err(BdbError::BadMetaPageType { page_type });
        }
        let page_size = page_size as usize;
        if bytes.len() < page_size {
            return Err(BdbError::TooShort { len: bytes.len(), needed: page_size });
        }
        let meta_last = order.u32(bytes, 32).unwrap_or(0);
        let file_pages = bytes.len() / page_size;
        // Page numbers are u32; a file with more pages than that is read up to u32::MAX.
        let file_last = u32::try_from(file_pages - 1).unwrap_or(u32::MAX);
        if meta_last > file_last {
            warnings.push(BdbError::Truncated { last_page: meta_last, file_pages: file_pages as u64 });
        }
        let last_page = meta_last.min(file_last);
        Ok(Db { bytes, order, page_size, last_page, seen: vec![false; last_page as usize + 1] })
    }

    /// Page `n` with its number checked; `None` when it is outside the readable range.
    fn page(&self, n: u32) -> Option<&'a [u8]> {
        if n == 0 || n > self.last_page {
            return None;
        }
        let start = (n as usize).checked_mul(self.page_size)?;
        self.bytes.get(start..start.checked_add(self.page_size)?)
    }

    fn page_number_matches(&self, n: u32, page: &[u8], warnings: &mut WarningSink) -> bool {
        let found = self.order.u32(page, 8).unwrap_or(0);
        if found != n {
            warnings.push(BdbError::PageNumberMismatch { page: n, found });
            return false;
        }
        true
    }

    /// Reads the key/value pairs of page `n` if it is a hash page (`hash_next`).
    fn read_hash_page(&mut self, n: u32, warnings: &mut WarningSink, visit: &mut dyn FnMut(RecordLocation, &[u8])) {
        let Some(page) = self.page(n) else { return };
        let page_type = page.get(25).copied().unwrap_or(0);
        if page_type != P_HASH && page_type != P_HASH_UNSORTED {
            // Metadata, overflow, free (0) and other pages hold no pairs to start from.
            return;
        }
        if !self.page_number_matches(n, page, warnings) {
            return;
        }
        let entries = self.order.u16(page, 20).unwrap_or(0);
        let table_end = PAGE_HEADER + 2 * usize::from(entries);
        if table_end > self.page_size {
            warnings.push(BdbError::TooManyEntries { page: n, entries });
            return;
        }
        let order = self.order;
        let offset = |i: u16| order.u16(page, PAGE_HEADER + 2 * usize::from(i)).map(usize::from);
        // Pairs: even entries are keys, odd ones values. A trailing odd entry has no
        // value and is ignored, as rpm's cursor does (`idx + 1 >= numidx`).
        let mut i: u16 = 0;
        while i + 1 < entries {
            let (Some(key_off), Some(value_off)) = (offset(i), offset(i + 1)) else {
                return;
            };
            // Items grow down from the page end: the first key reaches the end, every
            // other item reaches the start of the item before it.
            let key_end = if i == 0 { Some(self.page_size) } else { offset(i - 1) };
            let Some(key_end) = key_end else { return };
            let hash_page = HashPage { n, bytes: page, table_end };
            let key = self.item(&hash_page, i, key_off, key_end as i64 - key_off as i64, warnings);
            let value_len = key_off as i64 - value_off as i64;
            let value = self.item(&hash_page, i + 1, value_off, value_len, warnings);
            i += 2;
            let (Some(key), Some(value)) = (key, value) else {
                continue;
            };
            // Header number 0 holds rpm's next-instance counter, not a header
            // (`rpmdbNextIterator` skips offset 0).
            if matches!(key, Item::Inline(k) if k.iter().all(|b| *b == 0)) {
                continue;
            }
            let location = RecordLocation::Bdb { page: n, entry: i - 1 };
            match value {
                Item::Inline(bytes) => visit(location, bytes),
                Item::OffPage { pgno, len } => match self.read_overflow(pgno, len) {
                    Ok(blob) => visit(location, &blob),
                    Err(e) => warnings.push(BdbError::Value { page: n, entry: i - 1, source: Box::new(e) }),
                },
            }
        }
    }

    /// Checks one item's bounds and type (`hash_getkv`).
    fn item(
        &self,
        page: &HashPage<'a>,
        index: u16,
        offset: usize,
        len: i64,
        warnings: &mut WarningSink,
    ) -> Option<Item<'a>> {
        let (n, table_end) = (page.n, page.table_end);
        let out_of_page = || BdbError::ItemOutOfPage { page: n, index, offset: offset as u32, len };
        if len <= 0 || offset < table_end || offset as i64 + len > self.page_size as i64 {
            warnings.push(out_of_page());
            return None;
        }
        let Some(bytes) = page.bytes.get(offset..offset + len as usize) else {
            warnings.push(out_of_page());
            return None;
        };
        match bytes.first().copied() {
            Some(H_KEYDATA) => Some(Item::Inline(bytes.get(1..).unwrap_or_default())),
            Some(H_OFFPAGE) if bytes.len() == HOFFPAGE_SIZE => Some(Item::OffPage {
                pgno: self.order.u32(bytes, 4).unwrap_or(0),
                len: self.order.u32(bytes, 8).unwrap_or(0),
            }),
            Some(H_OFFPAGE) => {
                warnings.push(BdbError::BadOffPageItem { page: n, index, len: bytes.len() });
                None
            }
            item_type => {
                warnings.push(BdbError::UnsupportedItemType { page: n, index, item_type: item_type.unwrap_or(0) });
                None
            }
        }
    }

    /// Follows an overflow chain and copies `len` bytes (`ovfl_get`).
    fn read_overflow(&mut self, first: u32, len: u32) -> Result<Vec<u8>, BdbError> {
        if len == 0 || len as usize > self.bytes.len() {
            return Err(BdbError::BadValueLength { len, file_len: self.bytes.len() });
        }
        let mut out = Vec::with_capacity(len as usize);
        let mut remaining = len;
        let mut n = first;
        while remaining > 0 {
            let page = self.page(n).ok_or(BdbError::PageOutOfRange { target: n, last_page: self.last_page })?;
            let seen = self
                .seen
                .get_mut(n as usize)
                .ok_or(BdbError::PageOutOfRange { target: n, last_page: self.last_page })?;
            if *seen {
                return Err(BdbError::OverflowPageReused { page: n });
            }
            *seen = true;
            let found = self.order.u32(page, 8).unwrap_or(0);
            if found != n {
                return Err(BdbError::PageNumberMismatch { page: n, found });
            }
            let page_type = page.get(25).copied().unwrap_or(0);
            if page_type != P_OVERFLOW {
                return Err(BdbError::NotOverflowPage { page: n, page_type });
            }
            // On overflow pages hf_offset is the number of data bytes (`OV_LEN`).
            let chunk = self.order.u16(page, 22).unwrap_or(0);
            let fits = self.page_size - PAGE_HEADER;
            let data = page
                .get(PAGE_HEADER..PAGE_HEADER + usize::from(chunk))
                .filter(|_| u32::from(chunk) <= remaining)
                .ok_or(BdbError::BadOverflowChunk { page: n, chunk, fits, remaining })?;
            out.extend_from_slice(data);
            remaining -= u32::from(chunk);
            n = self.order.u32(page, 16).unwrap_or(0);
        }
        Ok(out)
    }
}

/// A hash page being read.
#[derive(Debug, Clone, Copy)]
struct HashPage<'a> {
    /// Its page number.
    n: u32,
    bytes: &'a [u8],
    /// Where the offset table ends: items must start after it.
    table_end: usize,
}

/// A checked hash item.
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    /// `H_KEYDATA`: the bytes after the type byte.
    Inline(&'a [u8]),
    /// `H_OFFPAGE`: the first overflow page and the total length.
    OffPage { pgno: u32, len: u32 },
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
pub(crate) mod tests {
    use super::*;
    use crate::os::rpm::Collected;
    use crate::os::rpm::header::tests::HeaderBuilder;

    /// Writes BerkeleyDB hash files for tests, in either byte order.
    pub(crate) struct BdbBuilder {
        pub(crate) page_size: usize,
        pub(crate) big_endian: bool,
        pub(crate) pages: Vec<Vec<u8>>,
    }

    impl BdbBuilder {
        pub(crate) fn new(page_size: usize, big_endian: bool) -> Self {
            let mut b = Self { page_size, big_endian, pages: Vec::new() };
            let mut meta = vec![0u8; page_size];
            b.put32(&mut meta, 12, HASH_MAGIC);
            b.put32(&mut meta, 16, 9);
            b.put32(&mut meta, 20, page_size as u32);
            meta[25] = P_HASHMETA;
            b.pages.push(meta);
            b
        }

        pub(crate) fn put16(&self, page: &mut [u8], at: usize, v: u16) {
            let b = if self.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            page[at..at + 2].copy_from_slice(&b);
        }

        pub(crate) fn put32(&self, page: &mut [u8], at: usize, v: u32) {
            let b = if self.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            page[at..at + 4].copy_from_slice(&b);
        }

        fn new_page(&mut self, page_type: u8) -> u32 {
            let n = self.pages.len() as u32;
            let mut page = vec![0u8; self.page_size];
            self.put32(&mut page, 8, n);
            page[25] = page_type;
            self.pages.push(page);
            n
        }

        /// Stores `value` on a chain of overflow pages; returns the first page.
        pub(crate) fn overflow(&mut self, value: &[u8]) -> u32 {
            let fits = self.page_size - PAGE_HEADER;
            let chunks: Vec<&[u8]> = value.chunks(fits).collect();
            let first = self.pages.len() as u32;
            for (i, chunk) in chunks.iter().enumerate() {
                let n = self.new_page(P_OVERFLOW);
                let next = if i + 1 < chunks.len() { n + 1 } else { 0 };
                let mut page = std::mem::take(&mut self.pages[n as usize]);
                self.put32(&mut page, 16, next);
                self.put16(&mut page, 22, chunk.len() as u16);
                page[PAGE_HEADER..PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
                self.pages[n as usize] = page;
            }
            first
        }

        /// A hash page with the given (key, value) items, each already encoded.
        pub(crate) fn hash_page(&mut self, items: &[(Vec<u8>, Vec<u8>)]) -> u32 {
            let n = self.new_page(P_HASH);
            let mut page = std::mem::take(&mut self.pages[n as usize]);
            let mut top = self.page_size;
            let mut offsets = Vec::new();
            for (key, value) in items {
                top -= key.len();
                page[top..top + key.len()].copy_from_slice(key);
                offsets.push(top as u16);
                top -= value.len();
                page[top..top + value.len()].copy_from_slice(value);
                offsets.push(top as u16);
            }
            self.put16(&mut page, 20, offsets.len() as u16);
            for (i, off) in offsets.iter().enumerate() {
                self.put16(&mut page, PAGE_HEADER + 2 * i, *off);
            }
            self.pages[n as usize] = page;
            n
        }

        pub(crate) fn key(&self, hnum: u32) -> Vec<u8> {
            let mut k = vec![H_KEYDATA, 0, 0, 0, 0];
            self.put32(&mut k, 1, hnum);
            k
        }

        pub(crate) fn offpage(&self, pgno: u32, len: u32) -> Vec<u8> {
            let mut v = vec![H_OFFPAGE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            self.put32(&mut v, 4, pgno);
            self.put32(&mut v, 8, len);
            v
        }

        pub(crate) fn build(&mut self) -> Vec<u8> {
            let last = self.pages.len() as u32 - 1;
            let mut meta = std::mem::take(&mut self.pages[0]);
            self.put32(&mut meta, 32, last);
            self.pages[0] = meta;
            self.pages.concat()
        }

        /// A database like rpm's: the counter record, then one header per package.
        pub(crate) fn packages(page_size: usize, big_endian: bool, names: &[&str]) -> Vec<u8> {
            let mut b = Self::new(page_size, big_endian);
            let counter = (b.key(0), {
                let mut v = vec![H_KEYDATA, 0, 0, 0, 0];
                b.put32(&mut v, 1, names.len() as u32 + 1);
                v
            });
            b.hash_page(&[counter]);
            for (i, name) in names.iter().enumerate() {
                let blob = HeaderBuilder::package(name).build();
                let first = b.overflow(&blob);
                let item = (b.key(i as u32 + 1), b.offpage(first, blob.len() as u32));
                b.hash_page(&[item]);
            }
            b.build()
        }
    }

    fn read(bytes: &[u8]) -> Collected<BdbError> {
        let mut sink = WarningSink::default();
        let mut out = Vec::new();
        let r = for_each_blob(bytes, &mut sink, &mut |loc, blob| out.push((loc, blob.to_vec())));
        let warnings = sink.into_vec().iter().map(|w| w.to_string()).collect();
        (r.map(|()| out), warnings)
    }

    #[test]
    fn reads_both_byte_orders_and_multi_page_values() {
        for big in [false, true] {
            for page_size in [512, 4096] {
                let bytes = BdbBuilder::packages(page_size, big, &["bash", "zlib"]);
                let (r, warnings) = read(&bytes);
                let blobs = r.unwrap();
                assert!(warnings.is_empty(), "{warnings:?}");
                assert_eq!(blobs.len(), 2);
                let expected = HeaderBuilder::package("zlib").build();
                assert_eq!(blobs[1].1, expected);
                if page_size == 512 {
                    assert!(expected.len() > 512, "the value must span pages");
                }
            }
        }
    }

    #[test]
    fn inline_values_are_read() {
        let mut b = BdbBuilder::new(4096, false);
        let blob = HeaderBuilder::package("small").build();
        let mut value = vec![H_KEYDATA];
        value.extend_from_slice(&blob);
        let key = b.key(7);
        b.hash_page(&[(key, value)]);
        let (r, w) = read(&b.build());
        assert_eq!(r.unwrap()[0].1, blob);
        assert!(w.is_empty());
    }

    #[test]
    fn bad_metadata_is_an_error() {
        assert_eq!(read(&[]).0, Err(BdbError::TooShort { len: 0, needed: 512 }));
        let good = BdbBuilder::packages(512, false, &["a"]);
        let mut bad = good.clone();
        bad[12] = 0x62;
        assert!(matches!(read(&bad).0, Err(BdbError::BadMagic { .. })));
        let mut bad = good.clone();
        bad[16] = 7;
        assert_eq!(read(&bad).0, Err(BdbError::UnsupportedVersion { version: 7 }));
        for size in [0u32, 256, 1000, 131072] {
            let mut bad = good.clone();
            bad[20..24].copy_from_slice(&size.to_le_bytes());
            assert_eq!(read(&bad).0, Err(BdbError::BadPageSize { page_size: size }));
        }
        let mut bad = good.clone();
        bad[24] = 1;
        assert_eq!(read(&bad).0, Err(BdbError::Encrypted { algorithm: 1 }));
        let mut bad = good.clone();
        bad[25] = 9;
        assert_eq!(read(&bad).0, Err(BdbError::BadMetaPageType { page_type: 9 }));
        // Page size 4096 in a 512-byte file.
        let mut bad = good[..512].to_vec();
        bad[20..24].copy_from_slice(&4096u32.to_le_bytes());
        assert_eq!(read(&bad).0, Err(BdbError::TooShort { len: 512, needed: 4096 }));
    }

    #[test]
    fn truncated_file_keeps_the_records_that_are_there() {
        let mut b = BdbBuilder::new(4096, false);
        let (a, z) = (HeaderBuilder::package("a").build(), HeaderBuilder::package("z").build());
        let first_a = b.overflow(&a);
        // z's overflow page comes after the hash page, as the last page of the file.
        let first_z = b.pages.len() as u32 + 1;
        let items = [(b.key(1), b.offpage(first_a, a.len() as u32)), (b.key(2), b.offpage(first_z, z.len() as u32))];
        b.hash_page(&items);
        assert_eq!(b.overflow(&z), first_z);
        let bytes = b.build();
        let (r, warnings) = read(&bytes[..bytes.len() - 4096]);
        assert_eq!(r.unwrap(), vec![(RecordLocation::Bdb { page: 2, entry: 1 }, a)]);
        assert_eq!(
            warnings,
            vec![
                format!("BerkeleyDB: {}", BdbError::Truncated { last_page: 3, file_pages: 3 }),
                "BerkeleyDB: value at page 2 entry 3: overflow chain names page 3, outside pages 1 to 2".to_string(),
            ]
        );
    }

    #[test]
    fn overflow_cycles_are_detected() {
        let mut b = BdbBuilder::new(512, false);
        let blob = HeaderBuilder::package("loop").build();
        let first = b.overflow(&blob);
        let count = b.pages.len() as u32 - first;
        assert!(count >= 2);
        // Point the last overflow page back at the first, and claim a longer value.
        let last = (first + count - 1) as usize;
        let mut page = std::mem::take(&mut b.pages[last]);
        b.put32(&mut page, 16, first);
        let full = (512 - PAGE_HEADER) as u16;
        b.put16(&mut page, 22, full);
        b.pages[last] = page;
        let item = (b.key(1), b.offpage(first, 100_000));
        b.hash_page(&[item]);
        let bytes = b.build();
        let (r, warnings) = read(&bytes);
        assert!(r.unwrap().is_empty());
        // The claimed length is larger than the file: rejected before the walk.
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("cannot come from"), "{warnings:?}");

        // Same cycle with a length that fits the file: the walk meets page `first` again.
        let mut b2 = BdbBuilder { page_size: 512, big_endian: false, pages: b.pages.clone() };
        b2.pages.pop();
        let item = (b2.key(1), b2.offpage(first, (bytes.len() - 1) as u32));
        b2.hash_page(&[item]);
        let (r, warnings) = read(&b2.build());
        assert!(r.unwrap().is_empty());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].ends_with(&BdbError::OverflowPageReused { page: first }.to_string()));
    }

    #[test]
    fn two_items_sharing_an_overflow_chain_read_it_once() {
        let mut b = BdbBuilder::new(512, false);
        let blob = HeaderBuilder::package("shared").build();
        let first = b.overflow(&blob);
        let one = (b.key(1), b.offpage(first, blob.len() as u32));
        let two = (b.key(2), b.offpage(first, blob.len() as u32));
        b.hash_page(&[one, two]);
        let (r, warnings) = read(&b.build());
        assert_eq!(r.unwrap().len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].ends_with(&BdbError::OverflowPageReused { page: first }.to_string()));
    }

    #[test]
    fn hostile_items_are_skipped_with_warnings() {
        let mut b = BdbBuilder::new(512, true);
        let blob = HeaderBuilder::package("ok").build();
        let first = b.overflow(&blob);
        let good = (b.key(1), b.offpage(first, blob.len() as u32));
        let past_end = (b.key(2), b.offpage(60_000, 10));
        let zero = (b.key(3), b.offpage(0, 10));
        let dup = (b.key(4), vec![2u8, 0, 0, 0]);
        let short = (b.key(5), vec![H_OFFPAGE, 0, 0]);
        b.hash_page(&[good, past_end, zero, dup, short]);
        // A page whose entry count overruns the page.
        let n = b.hash_page(&[]);
        let mut page = std::mem::take(&mut b.pages[n as usize]);
        b.put16(&mut page, 20, 0xffff);
        b.pages[n as usize] = page;
        // A page whose offsets point into the header, past the end, and backwards.
        let n = b.hash_page(&[(b.key(6), b.key(6)), (b.key(7), b.key(7))]);
        let mut page = std::mem::take(&mut b.pages[n as usize]);
        b.put16(&mut page, PAGE_HEADER, 3);
        b.put16(&mut page, PAGE_HEADER + 6, 511);
        b.pages[n as usize] = page;
        // A hash page that claims another number.
        let n = b.hash_page(&[(b.key(8), b.key(8))]);
        let mut page = std::mem::take(&mut b.pages[n as usize]);
        b.put32(&mut page, 8, 99);
        b.pages[n as usize] = page;
        let (r, warnings) = read(&b.build());
        assert_eq!(r.unwrap().len(), 1);
        let expected = [
            "outside pages",
            "outside pages",
            "item type 2",
            "off-page item is 3 bytes",
            "more than its offset table",
            "does not fit the page",
            "does not fit the page",
            "does not fit the page",
            "says it is page 99",
        ];
        assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
        for (w, e) in warnings.iter().zip(expected) {
            assert!(w.contains(e), "{w} should contain {e}");
        }
    }

    #[test]
    fn random_and_mutated_files_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let good = BdbBuilder::packages(512, false, &["a", "b", "c"]);
        for _ in 0..3_000 {
            let mut bytes = good.clone();
            for _ in 0..(next() % 8 + 1) {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            let _ = read(&bytes);
            let mut random: Vec<u8> = (0..1024).map(|_| next() as u8).collect();
            random[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
            random[16..20].copy_from_slice(&9u32.to_le_bytes());
            random[20..24].copy_from_slice(&512u32.to_le_bytes());
            random[24] = 0;
            random[25] = P_HASHMETA;
            let _ = read(&random);
        }
    }
}
