//! The rpm header blob: the value stored for every package in every rpmdb format.
//!
//! Layout (rpm `lib/header.cc`, `hdrblobInit`; all integers big-endian):
//!
//! ```text
//! il: u32            number of index entries
//! dl: u32            length of the data store
//! il × 16 bytes      index entries {tag, type, offset, count}
//! dl bytes           data store; every entry's offset is relative to its start
//! ```
//!
//! A header written by rpm 4 starts with a *region* entry (`HEADERIMMUTABLE` in the
//! database, `HEADERSIGNATURES`/`HEADERIMAGE` elsewhere) whose data is a 16-byte trailer
//! at the end of the region: the trailer's negated offset says how many index entries
//! (`ril`) belong to the original, signed header. Entries after those are "dribbles"
//! added at install time, and they replace region entries with the same tag
//! (`hdrblobImport`).
//!
//! Validation follows `hdrblobInit` → `hdrblobVerifyRegion` → `hdrblobVerifyInfo`, plus
//! the data-length accounting of `hdrblobImport`/`regionSwab`, so a blob rpm itself would
//! reject is rejected here too, with a named reason. (One difference: rpm checks every
//! known tag's type, this reader the types of the tags in its own table, [`RpmTag`].) Every offset, count and length is
//! checked against the blob before use; parsing borrows the blob and allocates only the
//! strings it returns.

use std::borrow::Cow;
use std::fmt;

/// Most index entries rpm accepts (`HEADER_TAGS_MAX`).
const HEADER_TAGS_MAX: u32 = 0x0000_ffff;
/// Largest data store rpm accepts (`HEADER_DATA_MAX`, 256 MiB - 1).
const HEADER_DATA_MAX: u32 = 0x0fff_ffff;
/// Largest element count of a non-binary entry (`HEADER_ARRAY_MAX`).
const HEADER_ARRAY_MAX: u32 = 0x000f_ffff;
/// Largest whole header rpm accepts (`headerMaxbytes`).
const HEADER_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Size of one index entry (`struct entryInfo_s`), also the region trailer's size and
/// the region entry's required count (`REGION_TAG_COUNT`).
const ENTRY_SIZE: u32 = 16;
/// Tags below this are reserved for regions (`HEADER_I18NTABLE`, `hdrchkTag`).
const HEADER_I18NTABLE: u32 = 100;

/// `RPMTAG_HEADERIMAGE`: a region tag.
const TAG_HEADERIMAGE: u32 = 61;
/// `RPMTAG_HEADERSIGNATURES`: the signature header's region tag.
const TAG_HEADERSIGNATURES: u32 = 62;
/// `RPMTAG_HEADERIMMUTABLE`: the region tag of headers stored in the rpmdb.
const TAG_HEADERIMMUTABLE: u32 = 63;

/// The name of the pseudo-package rpm uses to store imported signing keys. Syft and
/// Trivy skip it: it is not installed software.
pub(crate) const GPG_PUBKEY: &str = "gpg-pubkey";

/// rpm's tag data types (`rpmTagType` in `include/rpm/rpmtag.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagType {
    Null,
    Char,
    Int8,
    Int16,
    Int32,
    Int64,
    String,
    Bin,
    StringArray,
    I18nString,
}

impl TagType {
    /// `RPM_MIN_TYPE..=RPM_MAX_TYPE`; anything else fails `hdrchkType`.
    fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            0 => Self::Null,
            1 => Self::Char,
            2 => Self::Int8,
            3 => Self::Int16,
            4 => Self::Int32,
            5 => Self::Int64,
            6 => Self::String,
            7 => Self::Bin,
            8 => Self::StringArray,
            9 => Self::I18nString,
            _ => return None,
        })
    }

    /// Byte size of one element, `None` for NUL-terminated strings (`typeSizes`).
    fn size(self) -> Option<u32> {
        match self {
            Self::Null => Some(0),
            Self::Char | Self::Int8 | Self::Bin => Some(1),
            Self::Int16 => Some(2),
            Self::Int32 => Some(4),
            Self::Int64 => Some(8),
            Self::String | Self::StringArray | Self::I18nString => None,
        }
    }

    /// Required alignment of the data offset (`typeAlign`).
    fn align(self) -> u32 {
        match self {
            Self::Int16 => 2,
            Self::Int32 => 4,
            Self::Int64 => 8,
            _ => 1,
        }
    }

    /// Padding rpm inserts before data of this type at running length `at` (`alignDiff`).
    fn align_diff(self, at: u64) -> u64 {
        match self.size() {
            Some(size) if size > 1 => {
                let size = u64::from(size);
                let diff = size - at % size;
                if diff == size { 0 } else { diff }
            }
            _ => 0,
        }
    }

    /// `RPM_STRING_CLASS`: rpm lets string tags disagree on which string type they use
    /// (`hdrchkTagType`).
    fn is_string_class(self) -> bool {
        matches!(self, Self::String | Self::StringArray | Self::I18nString)
    }
}

/// The header tags chainward reads (`rpmTag` in rpm's `include/rpm/rpmtag.h`).
///
/// A small table on purpose: each tag has its number and the type rpm declares for it,
/// and adding one is one variant plus one row in each match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RpmTag {
    /// `RPMTAG_NAME` (1000), string.
    Name,
    /// `RPMTAG_VERSION` (1001), string.
    Version,
    /// `RPMTAG_RELEASE` (1002), string.
    Release,
    /// `RPMTAG_EPOCH` (1003), int32; absent when the package has no epoch.
    Epoch,
    /// `RPMTAG_VENDOR` (1011), string.
    Vendor,
    /// `RPMTAG_LICENSE` (1014), string.
    License,
    /// `RPMTAG_ARCH` (1022), string.
    Arch,
    /// `RPMTAG_SOURCERPM` (1044), string: the file name of the source rpm.
    SourceRpm,
}

impl RpmTag {
    /// Every tag of the table.
    pub const ALL: &'static [RpmTag] = &[
        Self::Name,
        Self::Version,
        Self::Release,
        Self::Epoch,
        Self::Vendor,
        Self::License,
        Self::Arch,
        Self::SourceRpm,
    ];

    /// The tag number stored in the header's index.
    pub fn id(self) -> u32 {
        match self {
            Self::Name => 1000,
            Self::Version => 1001,
            Self::Release => 1002,
            Self::Epoch => 1003,
            Self::Vendor => 1011,
            Self::License => 1014,
            Self::Arch => 1022,
            Self::SourceRpm => 1044,
        }
    }

    /// rpm's name for the tag, without the `RPMTAG_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            Self::Name => "NAME",
            Self::Version => "VERSION",
            Self::Release => "RELEASE",
            Self::Epoch => "EPOCH",
            Self::Vendor => "VENDOR",
            Self::License => "LICENSE",
            Self::Arch => "ARCH",
            Self::SourceRpm => "SOURCERPM",
        }
    }

    /// The tag with this number, if it is in the table.
    pub fn from_id(id: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.id() == id)
    }

    fn declared_type(self) -> TagType {
        match self {
            Self::Epoch => TagType::Int32,
            Self::Name
            | Self::Version
            | Self::Release
            | Self::Vendor
            | Self::License
            | Self::Arch
            | Self::SourceRpm => TagType::String,
        }
    }
}

impl fmt::Display for RpmTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.id())
    }
}

/// Why one index entry of a header was rejected (the checks of `hdrblobVerifyInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryDefect {
    /// The data starts before the previous entry's data ends (`end > info.offset`).
    Overlap {
        /// Where the previous entry's data ends.
        previous_end: u32,
    },
    /// A tag number below 100 outside the region entry (`hdrchkTag`).
    ReservedTag,
    /// A data type outside 0..=9 (`hdrchkType`).
    UnknownType,
    /// A count of 0 or larger than the data store (`hdrchkCount`).
    CountOutOfRange,
    /// The offset is not aligned for the data type (`hdrchkAlign`).
    Misaligned,
    /// The offset is negative or past the data store (`hdrchkRange`).
    OffsetOutOfRange,
    /// More than 0xfffff elements of a non-binary type (`hdrchkArray`).
    ArrayTooLarge,
    /// A known tag stored with another type than rpm declares (`hdrchkTagType`).
    TypeMismatch {
        /// The type rpm declares for the tag.
        expected: u32,
    },
    /// The data (strings up to their terminating NUL, or count × element size) does
    /// not fit in the data store, or is empty (`dataLength`).
    DataOutOfRange,
    /// The data overlaps the region trailer.
    OverlapsRegionTrailer {
        /// The region's data length, trailer included.
        region_data_len: u32,
    },
}

impl fmt::Display for EntryDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Overlap { previous_end } => {
                write!(f, "data overlaps the previous entry, which ends at {previous_end}")
            }
            Self::ReservedTag => f.write_str("tag number below 100 is reserved for regions"),
            Self::UnknownType => f.write_str("unknown data type"),
            Self::CountOutOfRange => f.write_str("count is 0 or larger than the data store"),
            Self::Misaligned => f.write_str("offset is not aligned for the data type"),
            Self::OffsetOutOfRange => f.write_str("offset is outside the data store"),
            Self::ArrayTooLarge => f.write_str("more than 0xfffff elements"),
            Self::TypeMismatch { expected } => {
                write!(f, "type differs from the declared type {expected}")
            }
            Self::DataOutOfRange => f.write_str("data does not fit in the data store"),
            Self::OverlapsRegionTrailer { region_data_len } => {
                write!(f, "data overlaps the region trailer (region data length {region_data_len})")
            }
        }
    }
}

/// Why a header blob was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Shorter than the 8-byte intro (`hdrblobInit`: "hdr length: BAD").
    #[error("header is {len} bytes, shorter than its 8-byte intro")]
    TooShort {
        /// The blob's length.
        len: usize,
    },
    /// More index entries than rpm allows.
    #[error("header declares {count} index entries, more than {max}")]
    TooManyEntries {
        /// The declared index entry count.
        count: u32,
        /// rpm's limit.
        max: u32,
    },
    /// A data store larger than rpm allows.
    #[error("header declares {len} data bytes, more than {max}")]
    DataTooLarge {
        /// The declared data length.
        len: u32,
        /// rpm's limit.
        max: u32,
    },
    /// A whole header of 256 MiB or more (`headerMaxbytes`).
    #[error("header declares {declared} bytes, rpm's limit is below {max}")]
    TooLarge {
        /// `8 + 16 × il + dl`.
        declared: u64,
        /// rpm's limit.
        max: u64,
    },
    /// `8 + 16 × il + dl` differs from the blob's length (`hdrblobInit`: "blob size BAD").
    #[error("header declares {declared} bytes (8 + 16 × {entries} + {data_len}) but the blob has {actual}")]
    SizeMismatch {
        /// `8 + 16 × il + dl`.
        declared: u64,
        /// The declared index entry count.
        entries: u32,
        /// The declared data length.
        data_len: u32,
        /// The blob's length.
        actual: usize,
    },
    /// No index entries at all (`hdrblobVerifyRegion`: "region: no tags").
    #[error("header has no index entries")]
    NoEntries,
    /// The region entry is not of type BIN with count 16.
    #[error("region entry tag {tag} has type {kind} and count {count}, expected type 7 and count 16")]
    BadRegionEntry {
        /// The region tag.
        tag: u32,
        /// Its type.
        kind: u32,
        /// Its count.
        count: u32,
    },
    /// The region trailer does not fit in the data store.
    #[error("region trailer at offset {offset} does not fit in the {data_len}-byte data store")]
    RegionTrailerOutOfRange {
        /// The region entry's offset (where the trailer starts).
        offset: u32,
        /// The data store's length.
        data_len: u32,
    },
    /// The region trailer is not a copy of the region entry.
    #[error("region trailer tag {tag} type {kind} count {count} does not match region tag {region_tag}")]
    BadRegionTrailer {
        /// The region entry's tag.
        region_tag: u32,
        /// The trailer's tag.
        tag: u32,
        /// The trailer's type.
        kind: u32,
        /// The trailer's count.
        count: u32,
    },
    /// The trailer's (negated) offset does not describe a region inside the header.
    #[error("region size {region_index_len} (index bytes) does not fit {entries} entries and {data_len} data bytes")]
    BadRegionSize {
        /// The trailer's negated offset: 16 × the number of region entries.
        region_index_len: i64,
        /// The header's index entry count.
        entries: u32,
        /// The header's data length.
        data_len: u32,
    },
    /// One index entry failed a check.
    #[error("index entry {index} (tag {tag}, type {kind}, offset {offset}, count {count}): {defect}")]
    BadEntry {
        /// Position of the entry in the index.
        index: u32,
        /// Its tag.
        tag: u32,
        /// Its type.
        kind: u32,
        /// Its offset, as stored (a negative offset shows as a large number).
        offset: u32,
        /// Its count.
        count: u32,
        /// What is wrong with it.
        defect: EntryDefect,
    },
    /// The entries' data lengths (with alignment padding) do not add up to the data
    /// store's length (`hdrblobImport`: `rdlen != blob->dl`).
    #[error("entries account for {accounted} data bytes but the header declares {data_len}")]
    DataLengthMismatch {
        /// The sum computed from the entries.
        accounted: u64,
        /// The declared data length.
        data_len: u32,
    },
    /// A tag every package header has is absent.
    #[error("tag {tag} is missing")]
    MissingTag {
        /// The missing tag.
        tag: RpmTag,
    },
    /// A tag is stored with a type this reader cannot interpret for it.
    #[error("tag {tag} has type {kind}")]
    WrongTagType {
        /// The tag.
        tag: RpmTag,
        /// Its stored type.
        kind: u32,
    },
}

/// The package fields of one rpm header.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RpmHeader {
    /// `NAME`.
    pub name: String,
    /// `EPOCH`, when the header has one.
    pub epoch: Option<u32>,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH`; absent for some pseudo-packages.
    pub arch: Option<String>,
    /// `SOURCERPM`: the source rpm's file name, e.g. `bash-5.1.8-6.el9.src.rpm`.
    pub source_rpm: Option<String>,
    /// `LICENSE`, as written by the packager.
    pub license: Option<String>,
    /// `VENDOR`.
    pub vendor: Option<String>,
}

/// Parses one header blob and extracts its package fields.
///
/// Strings are decoded as UTF-8, with invalid bytes replaced (old packages carry
/// Latin-1 vendor names). `NAME`, `VERSION` and `RELEASE` are required.
///
/// ```
/// use chainward_catalog::os::rpm::{parse_header, HeaderError};
/// assert_eq!(parse_header(&[0, 0, 0]), Err(HeaderError::TooShort { len: 3 }));
/// ```
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, HeaderError> {
    HeaderBlob::parse(blob)?.fields()
}

/// One index entry, converted to host order (`ei2h`).
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A validated header blob, borrowing its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderBlob<'a> {
    /// `il × 16` bytes of index entries.
    index: &'a [u8],
    /// `dl` bytes of data.
    data: &'a [u8],
    /// Number of index entries.
    il: u32,
    /// Index entries `1..region_entries` are inside the region; `region_entries..il` are
    /// dribbles. 0 when the header has no region (a legacy v3 header).
    region_entries: u32,
}

impl<'a> HeaderBlob<'a> {
    /// Validates a blob as `headerImport` does.
    pub(crate) fn parse(blob: &'a [u8]) -> Result<Self, HeaderError> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(HeaderError::TooShort { len: blob.len() });
        };
        // hdrblobVerifyLengths
        if il > HEADER_TAGS_MAX {
            return Err(HeaderError::TooManyEntries { count: il, max: HEADER_TAGS_MAX });
        }
        if dl > HEADER_DATA_MAX {
            return Err(HeaderError::DataTooLarge { len: dl, max: HEADER_DATA_MAX });
        }
        // hdrblobInit: the blob must be exactly intro + index + data, and under the cap.
        let declared = 8 + u64::from(il) * u64::from(ENTRY_SIZE) + u64::from(dl);
        if declared >= HEADER_MAX_BYTES {
            return Err(HeaderError::TooLarge { declared, max: HEADER_MAX_BYTES });
        }
        if declared != blob.len() as u64 {
            return Err(HeaderError::SizeMismatch { declared, entries: il, data_len: dl, actual: blob.len() });
        }
        if il < 1 {
            return Err(HeaderError::NoEntries);
        }
        // The sizes were checked against the blob just above, so both splits succeed.
        let index_end = 8 + il as usize * ENTRY_SIZE as usize;
        let (Some(index), Some(data)) = (blob.get(8..index_end), blob.get(index_end..)) else {
            return Err(HeaderError::TooShort { len: blob.len() });
        };
        let mut header = HeaderBlob { index, data, il, region_entries: 0 };
        let region = header.verify_region()?;
        header.verify_entries(region)?;
        Ok(header)
    }

    fn entry(&self, i: u32) -> Option<Entry> {
        let at = i as usize * ENTRY_SIZE as usize;
        Some(Entry {
            tag: be32(self.index, at)?,
            kind: be32(self.index, at + 4)?,
            offset: be32(self.index, at + 8)?,
            count: be32(self.index, at + 12)?,
        })
    }

    fn dl(&self) -> u32 {
        // data.len() == dl <= HEADER_DATA_MAX, checked in parse.
        u32::try_from(self.data.len()).unwrap_or(u32::MAX)
    }

    /// `hdrblobVerifyRegion` with no expected region tag: returns the region tag and the
    /// region's data length (trailer included), or `None` for a header without region.
    fn verify_region(&mut self) -> Result<Option<(u32, u32)>, HeaderError> {
        let Some(first) = self.entry(0) else {
            return Err(HeaderError::NoEntries);
        };
        if !matches!(first.tag, TAG_HEADERSIGNATURES | TAG_HEADERIMMUTABLE | TAG_HEADERIMAGE) {
            // RPMRC_NOTFOUND: a legacy header without region; hdrblobInit accepts it.
            return Ok(None);
        }
        let region_tag = first.tag;
        if first.kind != TagType::Bin as u32 || first.count != ENTRY_SIZE {
            return Err(HeaderError::BadRegionEntry { tag: first.tag, kind: first.kind, count: first.count });
        }
        let dl = self.dl();
        let trailer_at = first.offset;
        let trailer = trailer_at
            .checked_add(ENTRY_SIZE)
            .filter(|end| *end <= dl)
            .and_then(|_| self.data.get(trailer_at as usize..)?.get(..ENTRY_SIZE as usize))
            .ok_or(HeaderError::RegionTrailerOutOfRange { offset: trailer_at, data_len: dl })?;
        let rdl = trailer_at + ENTRY_SIZE;
        let (Some(mut tag), Some(kind), Some(neg_offset), Some(count)) =
            (be32(trailer, 0), be32(trailer, 4), be32(trailer, 8), be32(trailer, 12))
        else {
            return Err(HeaderError::RegionTrailerOutOfRange { offset: trailer_at, data_len: dl });
        };
        // "Some old packages have HEADERIMAGE in signature region trailer, fix up".
        if region_tag == TAG_HEADERSIGNATURES && tag == TAG_HEADERIMAGE {
            tag = TAG_HEADERSIGNATURES;
        }
        if tag != region_tag || kind != TagType::Bin as u32 || count != ENTRY_SIZE {
            return Err(HeaderError::BadRegionTrailer { region_tag, tag, kind, count });
        }
        // The trailer's offset is the negated size of the region's index entries.
        let region_index_len = -i64::from(neg_offset as i32);
        let ril = region_index_len / i64::from(ENTRY_SIZE);
        // rpm also accepts ril == 0, and then hdrblobImport walks `ril - 1` entries;
        // an empty region cannot even hold its own entry, so it is rejected here.
        if region_index_len % i64::from(ENTRY_SIZE) != 0 || ril < 1 || ril > i64::from(self.il) {
            return Err(HeaderError::BadRegionSize { region_index_len, entries: self.il, data_len: dl });
        }
        // hdrblobImport: a region entry with offset 0 spans the whole header.
        self.region_entries = if first.offset != 0 { u32::try_from(ril).unwrap_or(self.il) } else { self.il };
        Ok(Some((region_tag, rdl)))
    }

    /// `hdrblobVerifyInfo`, then the length accounting of `hdrblobImport`.
    fn verify_entries(&self, region: Option<(u32, u32)>) -> Result<(), HeaderError> {
        let dl = self.dl();
        // Signature headers cannot be type-checked (their tags overlap header tags).
        let typecheck = matches!(region, Some((TAG_HEADERIMMUTABLE | TAG_HEADERIMAGE, _)));
        let first = if region.is_some() { 1 } else { 0 };
        let mut end: u32 = 0;
        // regionSwab's running data length: aligned lengths, region first, then dribbles.
        let mut accounted: u64 = 0;
        for i in first..self.il {
            let Some(e) = self.entry(i) else {
                return Err(HeaderError::NoEntries);
            };
            let bad = |defect| HeaderError::BadEntry {
                index: i,
                tag: e.tag,
                kind: e.kind,
                offset: e.offset,
                count: e.count,
                defect,
            };
            if end > e.offset {
                return Err(bad(EntryDefect::Overlap { previous_end: end }));
            }
            if e.tag < HEADER_I18NTABLE {
                return Err(bad(EntryDefect::ReservedTag));
            }
            let Some(kind) = TagType::from_raw(e.kind) else {
                return Err(bad(EntryDefect::UnknownType));
            };
            if e.count < 1 || e.count > dl {
                return Err(bad(EntryDefect::CountOutOfRange));
            }
            if e.offset % kind.align() != 0 {
                return Err(bad(EntryDefect::Misaligned));
            }
            // Offsets are int32 in rpm; a negative one reads as > dl here.
            if e.offset > dl {
                return Err(bad(EntryDefect::OffsetOutOfRange));
            }
            if kind != TagType::Bin && e.count > HEADER_ARRAY_MAX {
                return Err(bad(EntryDefect::ArrayTooLarge));
            }
            if typecheck && let Some(tag) = RpmTag::from_id(e.tag) {
                let declared = tag.declared_type();
                if kind != declared && !(declared.is_string_class() && kind.is_string_class()) {
                    return Err(bad(EntryDefect::TypeMismatch { expected: declared as u32 }));
                }
            }
            let len = data_len(kind, self.data, e.offset, e.count)
                .filter(|len| *len > 0)
                .ok_or_else(|| bad(EntryDefect::DataOutOfRange))?;
            end = e.offset.checked_add(len).filter(|end| *end <= dl).ok_or_else(|| bad(EntryDefect::DataOutOfRange))?;
            if let Some((_, rdl)) = region {
                // The loop skips the trailer itself, so check no data runs into it.
                if end > rdl - ENTRY_SIZE && e.offset < rdl {
                    return Err(bad(EntryDefect::OverlapsRegionTrailer { region_data_len: rdl }));
                }
            }
            accounted += kind.align_diff(accounted) + u64::from(len);
        }
        if region.is_some() {
            // The region trailer is data too (`rdlen += REGION_TAG_COUNT`).
            accounted += u64::from(ENTRY_SIZE);
        }
        if accounted != u64::from(dl) {
            return Err(HeaderError::DataLengthMismatch { accounted, data_len: dl });
        }
        Ok(())
    }

    /// The entry holding `tag`: a dribble first (dribbles replace region entries with the
    /// same tag, `hdrblobImport`), then the region or legacy entries.
    fn find(&self, tag: RpmTag) -> Option<Entry> {
        let id = tag.id();
        let (main, dribbles) = if self.region_entries > 0 {
            (1..self.region_entries, self.region_entries..self.il)
        } else {
            (0..self.il, self.il..self.il)
        };
        dribbles.chain(main).filter_map(|i| self.entry(i)).find(|e| e.tag == id)
    }

    /// The first string of a string-class tag.
    pub(crate) fn string(&self, tag: RpmTag) -> Result<Option<Cow<'a, str>>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        let wrong = HeaderError::WrongTagType { tag, kind: e.kind };
        if !TagType::from_raw(e.kind).is_some_and(TagType::is_string_class) {
            return Err(wrong);
        }
        // Verified in parse: the entry's strings lie inside the data store.
        let bytes = self.data.get(e.offset as usize..).ok_or(wrong)?;
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        Ok(Some(String::from_utf8_lossy(bytes.get(..end).unwrap_or_default())))
    }

    /// The first value of an int32 tag.
    pub(crate) fn int32(&self, tag: RpmTag) -> Result<Option<u32>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if e.kind != TagType::Int32 as u32 {
            return Err(HeaderError::WrongTagType { tag, kind: e.kind });
        }
        be32(self.data, e.offset as usize).map(Some).ok_or(HeaderError::WrongTagType { tag, kind: e.kind })
    }

    fn required(&self, tag: RpmTag) -> Result<String, HeaderError> {
        self.string(tag)?.map(Cow::into_owned).ok_or(HeaderError::MissingTag { tag })
    }

    fn optional(&self, tag: RpmTag) -> Result<Option<String>, HeaderError> {
        Ok(self.string(tag)?.map(Cow::into_owned))
    }

    /// Whether this is rpm's `gpg-pubkey` pseudo-package.
    pub(crate) fn is_gpg_pubkey(&self) -> bool {
        matches!(self.string(RpmTag::Name), Ok(Some(name)) if name == GPG_PUBKEY)
    }

    pub(crate) fn fields(&self) -> Result<RpmHeader, HeaderError> {
        Ok(RpmHeader {
            name: self.required(RpmTag::Name)?,
            epoch: self.int32(RpmTag::Epoch)?,
            version: self.required(RpmTag::Version)?,
            release: self.required(RpmTag::Release)?,
            arch: self.optional(RpmTag::Arch)?,
            source_rpm: self.optional(RpmTag::SourceRpm)?,
            license: self.optional(RpmTag::License)?,
            vendor: self.optional(RpmTag::Vendor)?,
        })
    }
}

/// `dataLength` for on-disk data: the byte length of `count` elements of `kind` at
/// `offset`, or `None` when they do not fit in `data`.
fn data_len(kind: TagType, data: &[u8], offset: u32, count: u32) -> Option<u32> {
    let rest = data.get(offset as usize..)?;
    match kind {
        // A STRING entry always holds exactly one string.
        TagType::String if count != 1 => None,
        TagType::String | TagType::StringArray | TagType::I18nString => {
            // strtaglen: `count` NUL-terminated strings, all inside the data store.
            let mut len = 0usize;
            let mut left = rest;
            for _ in 0..count {
                let nul = left.iter().position(|b| *b == 0)?;
                len += nul + 1;
                left = left.get(nul + 1..)?;
            }
            u32::try_from(len).ok()
        }
        _ => {
            let len = kind.size()?.checked_mul(count)?;
            (len as usize <= rest.len()).then_some(len)
        }
    }
}

/// A big-endian u32 at `at`, if the bytes are there.
fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
pub(crate) mod tests {
    use super::*;

    /// Builds headers for tests: entries in order, data laid out with rpm's alignment.
    #[derive(Default)]
    pub(crate) struct HeaderBuilder {
        entries: Vec<(u32, u32, Vec<u8>, u32)>,
        region: bool,
    }

    impl HeaderBuilder {
        pub(crate) fn new() -> Self {
            Self { entries: Vec::new(), region: true }
        }

        pub(crate) fn legacy() -> Self {
            Self { entries: Vec::new(), region: false }
        }

        pub(crate) fn string(mut self, tag: u32, s: &str) -> Self {
            let mut v = s.as_bytes().to_vec();
            v.push(0);
            self.entries.push((tag, 6, v, 1));
            self
        }

        pub(crate) fn int32(mut self, tag: u32, n: u32) -> Self {
            self.entries.push((tag, 4, n.to_be_bytes().to_vec(), 1));
            self
        }

        pub(crate) fn raw(mut self, tag: u32, kind: u32, data: &[u8], count: u32) -> Self {
            self.entries.push((tag, kind, data.to_vec(), count));
            self
        }

        pub(crate) fn package(name: &str) -> Self {
            Self::new()
                .string(1000, name)
                .string(1001, "1.2.3")
                .string(1002, "4.el9")
                .string(1011, "Example Vendor")
                .string(1014, "MIT")
                .string(1022, "x86_64")
                .string(1044, &format!("{name}-1.2.3-4.el9.src.rpm"))
                // DESCRIPTION, long enough that the header needs several 512-byte pages.
                .raw(1005, 9, format!("{}\0", "The package description. ".repeat(40)).as_bytes(), 1)
        }

        pub(crate) fn build(&self) -> Vec<u8> {
            let mut index = Vec::new();
            let mut data: Vec<u8> = Vec::new();
            let align = |kind: u32| match kind {
                3 => 2,
                4 => 4,
                5 => 8,
                _ => 1,
            };
            for (tag, kind, bytes, count) in &self.entries {
                while !data.len().is_multiple_of(align(*kind)) {
                    data.push(0);
                }
                for v in [*tag, *kind, data.len() as u32, *count] {
                    index.extend_from_slice(&v.to_be_bytes());
                }
                data.extend_from_slice(bytes);
            }
            let mut il = self.entries.len() as u32;
            if self.region {
                let ril = il + 1;
                let trailer_at = data.len() as u32;
                for v in [63u32, 7, (-(ril as i32 * 16)) as u32, 16] {
                    data.extend_from_slice(&v.to_be_bytes());
                }
                let mut with_region = Vec::new();
                for v in [63u32, 7, trailer_at, 16] {
                    with_region.extend_from_slice(&v.to_be_bytes());
                }
                with_region.extend_from_slice(&index);
                index = with_region;
                il = ril;
            }
            let mut out = Vec::new();
            out.extend_from_slice(&il.to_be_bytes());
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            out.extend_from_slice(&index);
            out.extend_from_slice(&data);
            out
        }
    }

    fn set_be32(blob: &mut [u8], at: usize, v: u32) {
        blob[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }

    #[test]
    fn reads_a_package_header() {
        let blob = HeaderBuilder::package("bash").int32(1003, 1).build();
        let h = parse_header(&blob).unwrap();
        assert_eq!(h.name, "bash");
        assert_eq!(h.epoch, Some(1));
        assert_eq!(h.version, "1.2.3");
        assert_eq!(h.release, "4.el9");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(h.source_rpm.as_deref(), Some("bash-1.2.3-4.el9.src.rpm"));
        assert_eq!(h.license.as_deref(), Some("MIT"));
        assert_eq!(h.vendor.as_deref(), Some("Example Vendor"));
    }

    #[test]
    fn reads_a_legacy_header_without_region() {
        let blob = HeaderBuilder::legacy().string(1000, "old").string(1001, "1").string(1002, "1").build();
        let h = parse_header(&blob).unwrap();
        assert_eq!((h.name.as_str(), h.epoch, h.arch), ("old", None, None));
    }

    #[test]
    fn dribble_entries_replace_region_entries() {
        // Build a header with a region of NAME..RELEASE, then append a dribble VENDOR
        // and a dribble RELEASE after the trailer.
        let region = HeaderBuilder::package("pkg").build();
        let il = u32::from_be_bytes(region[0..4].try_into().unwrap());
        let dl = u32::from_be_bytes(region[4..8].try_into().unwrap());
        let index = &region[8..8 + il as usize * 16];
        let mut data = region[8 + il as usize * 16..].to_vec();
        let mut extra = Vec::new();
        for (tag, s) in [(1002u32, "9.dribble"), (1011, "Installer")] {
            for v in [tag, 6, data.len() as u32, 1] {
                extra.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(il + 2).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(index);
        blob.extend_from_slice(&extra);
        blob.extend_from_slice(&data);
        assert!(data.len() as u32 > dl);
        let h = parse_header(&blob).unwrap();
        assert_eq!(h.release, "9.dribble");
        assert_eq!(h.vendor.as_deref(), Some("Installer"));
        assert_eq!(h.name, "pkg");
    }

    #[test]
    fn string_arrays_and_i18n_strings_give_their_first_string() {
        let blob = HeaderBuilder::new()
            .string(1000, "n")
            .string(1001, "v")
            .string(1002, "r")
            .raw(1014, 9, b"GPLv2\0GPL-2.0\0", 2)
            .build();
        assert_eq!(parse_header(&blob).unwrap().license.as_deref(), Some("GPLv2"));
    }

    #[test]
    fn non_utf8_strings_are_replaced_not_rejected() {
        let blob = HeaderBuilder::package("p").raw(1011, 6, b"Soci\xe9t\xe9\0", 1).build();
        // The later VENDOR is a second region entry; the first one wins.
        assert_eq!(parse_header(&blob).unwrap().vendor.as_deref(), Some("Example Vendor"));
        let blob = HeaderBuilder::new()
            .string(1000, "n")
            .string(1001, "v")
            .string(1002, "r")
            .raw(1011, 6, b"Soci\xe9t\xe9\0", 1)
            .build();
        assert_eq!(parse_header(&blob).unwrap().vendor.as_deref(), Some("Soci\u{fffd}t\u{fffd}"));
    }

    #[test]
    fn missing_required_tags_are_named() {
        let blob = HeaderBuilder::new().string(1000, "n").string(1001, "v").build();
        assert_eq!(parse_header(&blob), Err(HeaderError::MissingTag { tag: RpmTag::Release }));
    }

    #[test]
    fn typed_tags_with_the_wrong_type_are_rejected() {
        let blob = HeaderBuilder::new().string(1000, "n").string(1001, "v").string(1002, "r").string(1003, "1").build();
        assert!(matches!(
            parse_header(&blob),
            Err(HeaderError::BadEntry { tag: 1003, defect: EntryDefect::TypeMismatch { expected: 4 }, .. })
        ));
    }

    #[test]
    fn truncated_blobs_are_rejected_at_every_length() {
        let blob = HeaderBuilder::package("bash").int32(1003, 2).build();
        for len in 0..blob.len() {
            let err = parse_header(&blob[..len]).unwrap_err();
            if len < 8 {
                assert_eq!(err, HeaderError::TooShort { len });
            } else {
                assert!(matches!(err, HeaderError::SizeMismatch { .. }), "{len}: {err:?}");
            }
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert!(matches!(parse_header(&longer), Err(HeaderError::SizeMismatch { .. })));
    }

    #[test]
    fn index_count_past_the_end() {
        let mut blob = HeaderBuilder::package("bash").build();
        set_be32(&mut blob, 0, 0x0000_ffff);
        assert!(matches!(parse_header(&blob), Err(HeaderError::SizeMismatch { entries: 0xffff, .. })));
        set_be32(&mut blob, 0, 0x1000_0000);
        assert!(matches!(parse_header(&blob), Err(HeaderError::TooManyEntries { .. })));
        let mut blob = HeaderBuilder::package("bash").build();
        set_be32(&mut blob, 0, 0xffff);
        set_be32(&mut blob, 4, 0x0fff_ffff);
        assert!(matches!(parse_header(&blob), Err(HeaderError::TooLarge { .. })));
        set_be32(&mut blob, 4, 0xffff_ffff);
        assert!(matches!(parse_header(&blob), Err(HeaderError::DataTooLarge { .. })));
    }

    #[test]
    fn empty_index_is_rejected() {
        assert_eq!(parse_header(&[0; 8]), Err(HeaderError::NoEntries));
    }

    /// The EPOCH entry of `HeaderBuilder::package(..).int32(1003, ..)`: after the
    /// region entry, seven strings and DESCRIPTION.
    const EPOCH: usize = 9;

    /// Offset of index entry `i`'s field `field` (0 tag, 1 type, 2 offset, 3 count).
    fn field(i: usize, field: usize) -> usize {
        8 + i * 16 + field * 4
    }

    #[test]
    fn offsets_out_of_range_are_rejected() {
        let good = HeaderBuilder::package("bash").build();
        for bad_offset in [0x7fff_fff0u32, 0xffff_fff0, 0x10_0000] {
            let mut blob = good.clone();
            // Entry 7 is the last one (SOURCERPM): moving it keeps the order check quiet.
            set_be32(&mut blob, field(7, 2), bad_offset);
            let err = parse_header(&blob).unwrap_err();
            assert!(
                matches!(err, HeaderError::BadEntry { index: 7, defect: EntryDefect::OffsetOutOfRange, .. }),
                "{err:?}"
            );
        }
        // An offset that runs into the region trailer.
        let mut blob = good.clone();
        let dl = u32::from_be_bytes(blob[4..8].try_into().unwrap());
        set_be32(&mut blob, field(7, 2), dl - 10);
        let err = parse_header(&blob).unwrap_err();
        assert!(
            matches!(err, HeaderError::BadEntry { index: 7, defect: EntryDefect::OverlapsRegionTrailer { .. }, .. }),
            "{err:?}"
        );
        // A string with no NUL before the end of the data store.
        let mut blob = HeaderBuilder::legacy().string(1000, "n").string(1001, "v").string(1002, "rel").build();
        *blob.last_mut().unwrap() = b'x';
        let err = parse_header(&blob).unwrap_err();
        assert!(matches!(err, HeaderError::BadEntry { index: 2, defect: EntryDefect::DataOutOfRange, .. }), "{err:?}");
    }

    #[test]
    fn overlapping_and_misaligned_entries_are_rejected() {
        let good = HeaderBuilder::package("bash").int32(1003, 1).build();
        let mut blob = good.clone();
        set_be32(&mut blob, field(2, 2), 0);
        assert!(matches!(
            parse_header(&blob),
            Err(HeaderError::BadEntry { index: 2, defect: EntryDefect::Overlap { .. }, .. })
        ));
        let mut blob = good.clone();
        let epoch_offset = u32::from_be_bytes(blob[field(EPOCH, 2)..field(EPOCH, 2) + 4].try_into().unwrap());
        set_be32(&mut blob, field(EPOCH, 2), epoch_offset + 1);
        assert!(matches!(
            parse_header(&blob),
            Err(HeaderError::BadEntry { index: 9, defect: EntryDefect::Misaligned, .. })
        ));
    }

    #[test]
    fn counts_and_types_out_of_range_are_rejected() {
        let good = HeaderBuilder::package("bash").int32(1003, 1).build();
        for count in [0u32, 0xffff_ffff] {
            let mut blob = good.clone();
            set_be32(&mut blob, field(EPOCH, 3), count);
            let err = parse_header(&blob).unwrap_err();
            assert!(
                matches!(err, HeaderError::BadEntry { index: 9, defect: EntryDefect::CountOutOfRange, .. }),
                "{err:?}"
            );
        }
        // Two int32s run into the trailer; sixteen run past the data store.
        let mut blob = good.clone();
        set_be32(&mut blob, field(EPOCH, 3), 2);
        assert!(matches!(
            parse_header(&blob),
            Err(HeaderError::BadEntry { index: 9, defect: EntryDefect::OverlapsRegionTrailer { .. }, .. })
        ));
        let mut blob = good.clone();
        set_be32(&mut blob, field(EPOCH, 3), 16);
        assert!(matches!(
            parse_header(&blob),
            Err(HeaderError::BadEntry { index: 9, defect: EntryDefect::DataOutOfRange, .. })
        ));
        let mut blob = good.clone();
        set_be32(&mut blob, field(1, 1), 10);
        assert!(matches!(parse_header(&blob), Err(HeaderError::BadEntry { defect: EntryDefect::UnknownType, .. })));
        let mut blob = good.clone();
        set_be32(&mut blob, field(1, 0), 99);
        assert!(matches!(parse_header(&blob), Err(HeaderError::BadEntry { defect: EntryDefect::ReservedTag, .. })));
    }

    #[test]
    fn broken_regions_are_rejected() {
        let good = HeaderBuilder::package("bash").build();
        let dl = u32::from_be_bytes(good[4..8].try_into().unwrap());
        // Trailer offset past the data store.
        let mut blob = good.clone();
        set_be32(&mut blob, field(0, 2), dl);
        assert!(matches!(parse_header(&blob), Err(HeaderError::RegionTrailerOutOfRange { .. })));
        let mut blob = good.clone();
        set_be32(&mut blob, field(0, 2), u32::MAX - 3);
        assert!(matches!(parse_header(&blob), Err(HeaderError::RegionTrailerOutOfRange { .. })));
        // Region entry with the wrong count.
        let mut blob = good.clone();
        set_be32(&mut blob, field(0, 3), 15);
        assert!(matches!(parse_header(&blob), Err(HeaderError::BadRegionEntry { .. })));
        // Trailer claiming more entries than the index has, or none, or a positive size.
        let trailer = blob.len() - 16;
        for neg in [(-(1000 * 16)) as u32, 0, 16, (-17i32) as u32, i32::MIN as u32] {
            let mut blob = good.clone();
            set_be32(&mut blob, trailer + 8, neg);
            let err = parse_header(&blob).unwrap_err();
            assert!(matches!(err, HeaderError::BadRegionSize { .. }), "{neg:#x}: {err:?}");
        }
        // Trailer with another tag.
        let mut blob = good.clone();
        set_be32(&mut blob, trailer, 62);
        assert!(matches!(parse_header(&blob), Err(HeaderError::BadRegionTrailer { .. })));
    }

    #[test]
    fn data_gaps_are_rejected() {
        // A 4-byte gap between two strings passes the per-entry checks but not rpm's
        // length accounting.
        let mut blob =
            HeaderBuilder::legacy().string(1000, "n").string(1001, "v").raw(1002, 6, b"\0\0\0\0r\0", 1).build();
        // Move RELEASE 4 bytes on, to "r": still inside the data and NUL-terminated,
        // but the 4 bytes before it belong to no entry.
        let off = u32::from_be_bytes(blob[field(2, 2)..field(2, 2) + 4].try_into().unwrap());
        set_be32(&mut blob, field(2, 2), off + 4);
        assert!(matches!(parse_header(&blob), Err(HeaderError::DataLengthMismatch { accounted: 6, data_len: 10 })));
    }

    #[test]
    fn random_and_mutated_blobs_never_panic() {
        // A small xorshift generator: deterministic, no dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let good = HeaderBuilder::package("bash").int32(1003, 7).build();
        for _ in 0..20_000 {
            let mut blob = good.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % blob.len();
                blob[at] = next() as u8;
            }
            let _ = parse_header(&blob);
            let len = (next() as usize) % 64;
            let random: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = parse_header(&random);
        }
    }

    #[test]
    fn tag_table_round_trips() {
        for tag in RpmTag::ALL {
            assert_eq!(RpmTag::from_id(tag.id()), Some(*tag));
        }
        assert_eq!(RpmTag::SourceRpm.to_string(), "SOURCERPM (1044)");
        assert_eq!(RpmTag::from_id(1), None);
    }
}
