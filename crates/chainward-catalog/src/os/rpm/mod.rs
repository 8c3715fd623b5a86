//! The rpm database: SQLite, BerkeleyDB and NDB formats, and the header blobs they store.
//! (Being written by a helper.)
