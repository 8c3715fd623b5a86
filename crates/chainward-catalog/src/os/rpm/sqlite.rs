//! rpm's SQLite database (`/var/lib/rpm/rpmdb.sqlite`, rpm 4.16 and later).
//!
//! rpm's `lib/backend/sqlite.cc` creates the table
//! `Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)` and lists it
//! with `SELECT hnum, blob FROM 'Packages'`; every other table is an index.
//!
//! SQLite needs a file, so the bytes are copied to a private temporary file that is
//! opened read-only and `immutable=1` (no locks, no journal or WAL lookups, nothing
//! written next to it). The database is still hostile input: the connection runs in
//! defensive mode with an untrusted schema, and `Packages` must be a plain table whose
//! `blob` column is stored rather than computed.

use std::io::Write;
use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::types::{Type, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::{RecordLocation, WarningSink};

/// The first 16 bytes of every SQLite 3 database (fileformat.html, section 1.3.1).
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Why an rpm SQLite database, or one row of it, could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// The bytes do not start with the SQLite 3 magic.
    #[error("file does not start with the SQLite 3 magic")]
    BadMagic,
    /// The temporary copy could not be written.
    #[error("writing the database to a temporary file: {source}")]
    TempFile {
        /// The IO error.
        source: std::io::Error,
    },
    /// SQLite refused to open the database or configure the connection.
    #[error("opening the database: {source}")]
    Open {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// There is no `Packages` table.
    #[error("the database has no Packages table")]
    NoPackagesTable,
    /// `Packages` is a view, a virtual table, or computes its `blob` column.
    #[error("Packages is not a plain table with a stored blob column")]
    UntrustedPackagesTable,
    /// Reading `Packages` failed.
    #[error("reading the Packages table: {source}")]
    Query {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A row whose `blob` is not a blob.
    #[error("Packages row hnum {hnum} holds a {found} value, not a blob")]
    NotABlob {
        /// The row's header number.
        hnum: i64,
        /// The SQLite type found.
        found: Type,
    },
}

/// Calls `visit` with every header blob of the database, in `hnum` order.
pub(crate) fn for_each_blob(
    bytes: &[u8],
    warnings: &mut WarningSink,
    visit: &mut dyn FnMut(RecordLocation, &[u8]),
) -> Result<(), SqliteError> {
    if !bytes.starts_with(SQLITE_MAGIC) {
        return Err(SqliteError::BadMagic);
    }
    let mut file = tempfile::NamedTempFile::new().map_err(|source| SqliteError::TempFile { source })?;
    file.write_all(bytes).and_then(|()| file.flush()).map_err(|source| SqliteError::TempFile { source })?;
    // The connection is dropped before the file: `conn` is declared after `file`.
    let conn = open_read_only(file.path()).map_err(|source| SqliteError::Open { source })?;
    check_packages_table(&conn)?;
    let query = |source| SqliteError::Query { source };
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").map_err(query)?;
    let mut rows = stmt.query([]).map_err(query)?;
    while let Some(row) = rows.next().map_err(query)? {
        let hnum: i64 = row.get(0).map_err(query)?;
        match row.get_ref(1).map_err(query)? {
            // rpm binds the blob as a blob; go-rpmdb also accepts text.
            ValueRef::Blob(blob) | ValueRef::Text(blob) => visit(RecordLocation::Sqlite { hnum }, blob),
            other => warnings.push(SqliteError::NotABlob { hnum, found: other.data_type() }),
        }
    }
    Ok(())
}

fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match path.to_str().map(file_uri) {
        // immutable=1 needs the URI form (sqlite.org/uri.html, "immutable").
        Some(uri) => Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?,
        // A path that is not UTF-8: plain read-only, still our private copy.
        None => Connection::open_with_flags(path, flags)?,
    };
    // Defensive mode and an untrusted schema stop the file from running SQL functions
    // with side effects from views, triggers or generated columns (sqlite.org/security.html).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    Ok(conn)
}

/// `file:` URI for a path, with every byte outside the unreserved set percent-encoded
/// (RFC 3986 section 2.3; sqlite.org/uri.html decodes `%HH`).
fn file_uri(path: &str) -> String {
    let mut uri = String::from("file:");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

fn check_packages_table(conn: &Connection) -> Result<(), SqliteError> {
    let query = |source| SqliteError::Query { source };
    let mut stmt =
        conn.prepare("SELECT type, sql FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE").map_err(query)?;
    let mut rows = stmt.query([]).map_err(query)?;
    let Some(row) = rows.next().map_err(query)? else {
        return Err(SqliteError::NoPackagesTable);
    };
    let kind: String = row.get(0).map_err(query)?;
    let sql: Option<String> = row.get(1).map_err(query)?;
    let is_virtual = sql.as_deref().is_some_and(|s| s.trim_start().to_ascii_uppercase().starts_with("CREATE VIRTUAL"));
    if kind != "table" || is_virtual {
        return Err(SqliteError::UntrustedPackagesTable);
    }
    // table_xinfo's `hidden` is 2 or 3 for generated columns.
    let mut stmt =
        conn.prepare("SELECT hidden FROM pragma_table_xinfo('Packages') WHERE name = 'blob'").map_err(query)?;
    let mut rows = stmt.query([]).map_err(query)?;
    let Some(row) = rows.next().map_err(query)? else {
        return Err(SqliteError::UntrustedPackagesTable);
    };
    let hidden: i64 = row.get(0).map_err(query)?;
    if hidden != 0 {
        return Err(SqliteError::UntrustedPackagesTable);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
pub(crate) mod tests {
    use super::*;
    use crate::os::rpm::Collected;
    use crate::os::rpm::header::tests::HeaderBuilder;

    /// Builds an rpm-style SQLite database from `(hnum, blob)` rows, with extra SQL run
    /// first (to build hostile schemas).
    pub(crate) fn sqlite_file(setup: &str, rows: &[(i64, Vec<u8>)]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(setup).unwrap();
            for (hnum, blob) in rows {
                conn.execute("INSERT INTO Packages (hnum, blob) VALUES (?1, ?2)", (hnum, blob)).unwrap();
            }
        }
        std::fs::read(&path).unwrap()
    }

    pub(crate) const RPM_SCHEMA: &str =
        "CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);";

    fn read(bytes: &[u8]) -> Collected<SqliteError> {
        let mut sink = WarningSink::default();
        let mut out = Vec::new();
        let r = for_each_blob(bytes, &mut sink, &mut |loc, blob| out.push((loc, blob.to_vec())));
        let warnings = sink.into_vec().iter().map(|w| w.to_string()).collect();
        (r.map(|()| out), warnings)
    }

    #[test]
    fn reads_rows_in_hnum_order() {
        let a = HeaderBuilder::package("a").build();
        let b = HeaderBuilder::package("b").build();
        let bytes = sqlite_file(RPM_SCHEMA, &[(9, b.clone()), (3, a.clone())]);
        let (r, w) = read(&bytes);
        assert_eq!(r.unwrap(), vec![(RecordLocation::Sqlite { hnum: 3 }, a), (RecordLocation::Sqlite { hnum: 9 }, b)]);
        assert!(w.is_empty());
    }

    #[test]
    fn non_blob_rows_are_warnings() {
        let bytes = sqlite_file(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob);
             INSERT INTO Packages VALUES (1, 42);",
            &[],
        );
        let (r, w) = read(&bytes);
        assert!(r.unwrap().is_empty());
        assert_eq!(w, vec!["SQLite: Packages row hnum 1 holds a Integer value, not a blob"]);
    }

    #[test]
    fn hostile_databases_are_errors() {
        assert!(matches!(read(b"").0, Err(SqliteError::BadMagic)));
        assert!(read(b"SQLite format 3\0garbage").0.is_err());
        let no_table = sqlite_file("CREATE TABLE Other (x);", &[]);
        assert!(matches!(read(&no_table).0, Err(SqliteError::NoPackagesTable)));
        let view = sqlite_file("CREATE VIEW Packages AS SELECT 1 AS hnum, zeroblob(10) AS blob;", &[]);
        assert!(matches!(read(&view).0, Err(SqliteError::UntrustedPackagesTable)));
        let generated =
            sqlite_file("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, x, blob AS (zeroblob(100000000)));", &[]);
        assert!(matches!(read(&generated).0, Err(SqliteError::UntrustedPackagesTable)));
        let good = sqlite_file(RPM_SCHEMA, &[(1, HeaderBuilder::package("a").build())]);
        assert!(read(&good[..good.len() / 2]).0.is_err());
    }

    #[test]
    fn uri_escapes_everything_but_unreserved_bytes() {
        assert_eq!(file_uri("/tmp/a b?c#d%e/.tmpX_1~"), "file:/tmp/a%20b%3Fc%23d%25e/.tmpX_1~?mode=ro&immutable=1");
    }
}
