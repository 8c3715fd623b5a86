//! A small deflate decoder (RFC 1951) for starting in the middle of a stream, so that one
//! large gzip layer can be inflated on two cores (see [`crate::split`]).
//!
//! zlib-rs inflates from the start of a stream only: every block may copy from the 32 KiB
//! that came before it. This decoder starts at a block boundary found by search
//! ([`find_block_start`]) without those 32 KiB: a copy that reaches before the start writes
//! a *marker* (the index of the unknown byte in the missing window) instead of a byte, and
//! markers travel on through later copies. Once 32 KiB of output hold no marker, every
//! later byte is known, and zlib-rs can take over from that boundary with the last 32 KiB as
//! its dictionary ([`filler`] starts it at a bit offset). The markers are resolved when the
//! first half's last 32 KiB are known.
//!
//! It only ever decodes a few hundred KiB of a layer, so it is written for clarity and
//! bounds first: every read is bounds-checked, every table is validated as zlib does, and
//! it never allocates more than its caller's output bound.

mod bits;
pub mod filler;
mod huffman;
mod markers;
mod search;

pub use markers::{MARKER_BASE, MarkerInflate, Progress, WINDOW};
pub use search::find_block_start;

/// Why a stretch of deflate data does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeflateError {
    /// The data ends inside a block.
    #[error("the deflate data ends inside a block")]
    Truncated,
    /// Block type 3 (reserved).
    #[error("invalid deflate block type")]
    InvalidBlockType,
    /// A stored block whose length and its complement disagree.
    #[error("invalid stored block lengths")]
    StoredLength,
    /// More than 286 literal/length or 30 distance codes.
    #[error("too many length or distance symbols")]
    TooManySymbols,
    /// A Huffman code with more codes than its lengths allow, or one left incomplete where
    /// zlib does not allow it.
    #[error("invalid Huffman code lengths")]
    InvalidCode,
    /// A code-length repeat with nothing to repeat or running past the end.
    #[error("invalid code length repeat")]
    InvalidRepeat,
    /// The literal/length code has no end-of-block symbol.
    #[error("missing end-of-block code")]
    MissingEndOfBlock,
    /// Bits that match no code, or the unused symbols 286/287 and 30/31.
    #[error("invalid literal/length or distance code")]
    InvalidSymbol,
    /// The caller's output bound was reached.
    #[error("output bound reached")]
    OutputBound,
}

#[cfg(test)]
mod tests;
