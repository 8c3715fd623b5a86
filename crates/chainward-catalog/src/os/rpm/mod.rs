//! The rpm database: SQLite, BerkeleyDB and NDB formats, and the header blobs they store.
//!
//! Every rpmdb format is a key/value store whose values are rpm header blobs; this module
//! reads the three formats from bytes ([`read_rpmdb`]), parses the headers
//! ([`parse_header`]) and maps them to chainward's [`Package`](chainward_model::Package)
//! ([`to_package`]).
//!
//! ```
//! use chainward_catalog::os::rpm::{read_rpmdb, RpmDbFormat};
//!
//! let format = RpmDbFormat::from_file_name("Packages.db").unwrap();
//! assert_eq!(format, RpmDbFormat::Ndb);
//! // Not an NDB file: the whole database is refused with a typed error.
//! assert!(read_rpmdb(format, b"not a database").is_err());
//! ```
//!
//! A database whose structure is readable but holds broken records still yields its
//! good headers: each broken record becomes a warning in [`RpmDbRead::warnings`], so one
//! damaged header never hides the rest of an image's packages. rpm's `gpg-pubkey`
//! pseudo-packages (imported signing keys) are left out, as Syft and Trivy do.
//!
//! Formats (see each module's documentation for the layout and its sources):
//! - BerkeleyDB hash, `/var/lib/rpm/Packages`: RHEL/CentOS ≤ 8, Amazon Linux 2, older SUSE.
//! - NDB, `/usr/lib/sysimage/rpm/Packages.db`: SUSE (SLE 15 and openSUSE).
//! - SQLite, `rpmdb.sqlite`: Fedora ≥ 33, RHEL ≥ 9, CBL-Mariner/Azure Linux.

mod bdb;
mod header;
mod ndb;
mod package;
mod sqlite;

use std::fmt;

pub use bdb::BdbError;
pub use header::{EntryDefect, HeaderError, RpmHeader, RpmTag, parse_header};
pub use ndb::NdbError;
pub use package::{parse_source_rpm, to_package};
pub use sqlite::SqliteError;

/// The three on-disk formats of the rpm package database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpmDbFormat {
    /// BerkeleyDB hash database, file `Packages`.
    BerkeleyDb,
    /// rpm's NDB format, file `Packages.db`.
    Ndb,
    /// SQLite, file `rpmdb.sqlite`.
    Sqlite,
}

impl RpmDbFormat {
    /// The format rpm stores under this file name (the last path component), as rpm's
    /// backends name their files (`bdb_ro.cc`, `ndb/glue.cc`, `sqlite.cc`).
    ///
    /// ```
    /// use chainward_catalog::os::rpm::RpmDbFormat;
    /// assert_eq!(RpmDbFormat::from_file_name("Packages"), Some(RpmDbFormat::BerkeleyDb));
    /// assert_eq!(RpmDbFormat::from_file_name("rpmdb.sqlite"), Some(RpmDbFormat::Sqlite));
    /// assert_eq!(RpmDbFormat::from_file_name("Name"), None);
    /// ```
    pub fn from_file_name(name: &str) -> Option<Self> {
        match name {
            "Packages" => Some(Self::BerkeleyDb),
            "Packages.db" => Some(Self::Ndb),
            "rpmdb.sqlite" => Some(Self::Sqlite),
            _ => None,
        }
    }
}

/// Where a record sits in its database, for warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordLocation {
    /// A BerkeleyDB hash page and the value's entry on it.
    Bdb {
        /// The hash page.
        page: u32,
        /// The value's entry index on that page.
        entry: u16,
    },
    /// An NDB slot.
    Ndb {
        /// The slot number (slots 0 and 1 are the file header).
        slot: u32,
        /// The package index the slot names.
        pkg_index: u32,
    },
    /// A row of the SQLite `Packages` table.
    Sqlite {
        /// The row's header number.
        hnum: i64,
    },
}

impl fmt::Display for RecordLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bdb { page, entry } => write!(f, "page {page} entry {entry}"),
            Self::Ndb { slot, pkg_index } => write!(f, "slot {slot} (package {pkg_index})"),
            Self::Sqlite { hnum } => write!(f, "hnum {hnum}"),
        }
    }
}

/// Why a database, or one of its records, could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpmDbError {
    /// The BerkeleyDB structure.
    #[error("BerkeleyDB: {source}")]
    Bdb {
        /// What went wrong.
        #[from]
        source: BdbError,
    },
    /// The NDB structure.
    #[error("NDB: {source}")]
    Ndb {
        /// What went wrong.
        #[from]
        source: NdbError,
    },
    /// The SQLite database.
    #[error("SQLite: {source}")]
    Sqlite {
        /// What went wrong.
        #[from]
        source: SqliteError,
    },
    /// A record's header blob.
    #[error("header at {record}: {source}")]
    Header {
        /// Where the record is.
        record: RecordLocation,
        /// What is wrong with the header.
        source: HeaderError,
    },
    /// More warnings than are kept; the first ones are in the list.
    #[error("{dropped} more warnings were dropped")]
    TooManyWarnings {
        /// How many were dropped.
        dropped: usize,
    },
}

/// The headers of a database, and the records that could not be read.
#[derive(Debug, Default)]
pub struct RpmDbRead {
    /// The package headers, in database order (BerkeleyDB: file order; NDB: slot
    /// order; SQLite: `hnum` order), without `gpg-pubkey`.
    pub headers: Vec<RpmHeader>,
    /// One entry per record that was skipped, at most [`MAX_WARNINGS`] of them followed
    /// by [`RpmDbError::TooManyWarnings`].
    pub warnings: Vec<RpmDbError>,
}

/// The most warnings [`read_rpmdb`] keeps: a hostile file could otherwise make one per
/// 16 bytes.
pub const MAX_WARNINGS: usize = 1000;

/// Collects warnings up to [`MAX_WARNINGS`].
#[derive(Debug, Default)]
pub(crate) struct WarningSink {
    warnings: Vec<RpmDbError>,
    dropped: usize,
}

impl WarningSink {
    pub(crate) fn push(&mut self, warning: impl Into<RpmDbError>) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning.into());
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn into_vec(mut self) -> Vec<RpmDbError> {
        if self.dropped > 0 {
            self.warnings.push(RpmDbError::TooManyWarnings { dropped: self.dropped });
        }
        self.warnings
    }
}

/// Reads every package header of an rpm database held in `bytes`.
///
/// An error means the database itself is unreadable (wrong magic, unsupported version,
/// an impossible page size, SQLite refusing the file); broken records are skipped and
/// reported in [`RpmDbRead::warnings`]. SQLite databases are copied to a temporary file
/// first, which is the only IO this function does.
pub fn read_rpmdb(format: RpmDbFormat, bytes: &[u8]) -> Result<RpmDbRead, RpmDbError> {
    let mut warnings = WarningSink::default();
    let mut records = Vec::new();
    {
        let mut visit = |record: RecordLocation, blob: &[u8]| {
            records.push(
                header::HeaderBlob::parse(blob)
                    .and_then(|h| if h.is_gpg_pubkey() { Ok(None) } else { h.fields().map(Some) })
                    .map_err(|source| RpmDbError::Header { record, source }),
            );
        };
        match format {
            RpmDbFormat::BerkeleyDb => bdb::for_each_blob(bytes, &mut warnings, &mut visit)?,
            RpmDbFormat::Ndb => ndb::for_each_blob(bytes, &mut warnings, &mut visit)?,
            RpmDbFormat::Sqlite => sqlite::for_each_blob(bytes, &mut warnings, &mut visit)?,
        }
    }
    let mut headers = Vec::new();
    for record in records {
        match record {
            Ok(Some(h)) => headers.push(h),
            Ok(None) => {}
            Err(e) => warnings.push(e),
        }
    }
    Ok(RpmDbRead { headers, warnings: warnings.into_vec() })
}

/// What the format tests collect: the blobs with their locations, or the error, and the
/// warnings as text.
#[cfg(test)]
pub(crate) type Collected<E> = (Result<Vec<(RecordLocation, Vec<u8>)>, E>, Vec<String>);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::os::rpm::bdb::tests::BdbBuilder;
    use crate::os::rpm::header::tests::HeaderBuilder;
    use crate::os::rpm::ndb::tests::{ndb_file, ndb_packages};
    use crate::os::rpm::sqlite::tests::{RPM_SCHEMA, sqlite_file};

    fn names(read: &RpmDbRead) -> Vec<&str> {
        read.headers.iter().map(|h| h.name.as_str()).collect()
    }

    #[test]
    fn all_formats_read_the_same_packages() {
        let names_in = ["bash", "zlib", "openssl-libs"];
        let rows: Vec<(i64, Vec<u8>)> =
            names_in.iter().enumerate().map(|(i, n)| (i as i64 + 1, HeaderBuilder::package(n).build())).collect();
        for (format, bytes) in [
            (RpmDbFormat::BerkeleyDb, BdbBuilder::packages(4096, false, &names_in)),
            (RpmDbFormat::BerkeleyDb, BdbBuilder::packages(512, true, &names_in)),
            (RpmDbFormat::Ndb, ndb_packages(&names_in)),
            (RpmDbFormat::Sqlite, sqlite_file(RPM_SCHEMA, &rows)),
        ] {
            let read = read_rpmdb(format, &bytes).unwrap();
            assert_eq!(names(&read), names_in, "{format:?}");
            assert!(read.warnings.is_empty(), "{format:?}: {:?}", read.warnings);
        }
    }

    #[test]
    fn a_broken_header_is_a_warning_and_gpg_pubkey_is_skipped() {
        let mut broken = HeaderBuilder::package("broken").build();
        broken[9] ^= 0xff;
        let pubkey =
            HeaderBuilder::new().string(1000, "gpg-pubkey").string(1001, "fd431d51").string(1002, "4ae0493b").build();
        let blobs = vec![
            (1, HeaderBuilder::package("good").build()),
            (2, broken),
            (3, pubkey),
            (4, HeaderBuilder::package("after").build()),
        ];
        let read = read_rpmdb(RpmDbFormat::Ndb, &ndb_file(&blobs)).unwrap();
        assert_eq!(names(&read), ["good", "after"]);
        assert_eq!(read.warnings.len(), 1);
        assert!(
            matches!(
                read.warnings[0],
                RpmDbError::Header { record: RecordLocation::Ndb { slot: 3, pkg_index: 2 }, .. }
            ),
            "{:?}",
            read.warnings
        );
        assert!(read.warnings[0].to_string().starts_with("header at slot 3 (package 2): "));
    }

    #[test]
    fn empty_and_random_inputs_are_errors_not_panics() {
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for format in [RpmDbFormat::BerkeleyDb, RpmDbFormat::Ndb, RpmDbFormat::Sqlite] {
            assert!(read_rpmdb(format, &[]).is_err(), "{format:?}");
            for len in [1usize, 31, 32, 511, 512, 4096, 8192] {
                let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                assert!(read_rpmdb(format, &bytes).is_err(), "{format:?} {len}");
            }
        }
    }

    #[test]
    fn warnings_are_capped() {
        // 254 bad slots per slot page, five pages: more than MAX_WARNINGS.
        let mut file = vec![0u8; 4096 * 5];
        file[0..4].copy_from_slice(b"RpmP");
        file[12..16].copy_from_slice(&5u32.to_le_bytes());
        let read = read_rpmdb(RpmDbFormat::Ndb, &file).unwrap();
        assert_eq!(read.warnings.len(), MAX_WARNINGS + 1);
        let dropped = 5 * 256 - 2 - MAX_WARNINGS;
        assert!(matches!(read.warnings.last(), Some(RpmDbError::TooManyWarnings { dropped: d }) if *d == dropped));
    }
}
