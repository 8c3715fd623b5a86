//! Decoding deflate blocks without the window that came before them.

use super::DeflateError;
use super::bits::Bits;
use super::huffman::{Alphabet, Huffman};

/// Deflate's window: the furthest a copy can reach back.
pub const WINDOW: usize = 32 * 1024;

/// Output symbols below 256 are bytes; `256 + i` stands for byte `i` of the unknown
/// 32 KiB that came before the starting point (`i = 0` the oldest).
pub const MARKER_BASE: u16 = 256;

const LENGTH_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/// The order in which code-length code lengths are sent.
const CODE_LENGTH_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// How a run of [`MarkerInflate::run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// At the block boundary at this bit offset the last [`WINDOW`] output symbols are all
    /// bytes: everything after it can be inflated with them as the dictionary.
    MarkerFree {
        /// Where the next block starts.
        bit: u64,
    },
    /// The final block ended at this bit offset (exclusive).
    End {
        /// One past the final block's last bit.
        bit: u64,
    },
}

/// Output of a decode that started without its window.
pub struct MarkerInflate {
    /// Bytes and markers, see [`MARKER_BASE`].
    pub out: Vec<u16>,
    /// One past the last marker in `out` (0: none yet).
    last_marker_end: usize,
    max_out: usize,
}

/// What one block was.
pub(super) struct Block {
    pub(super) last: bool,
}

impl MarkerInflate {
    /// An empty output that refuses to grow past `max_out` symbols.
    pub fn new(max_out: usize) -> Self {
        Self { out: Vec::new(), last_marker_end: 0, max_out }
    }

    /// Decodes whole blocks from bit `start` of `data` until the output has been free of
    /// markers for a whole window at a block boundary, or the final block ends.
    pub fn run(data: &[u8], start: u64, max_out: usize) -> Result<(Self, Progress), DeflateError> {
        let mut this = Self::new(max_out);
        let mut bits = Bits::new(data, start);
        loop {
            let block = this.block(&mut bits)?;
            if block.last {
                return Ok((this, Progress::End { bit: bits.position() }));
            }
            if this.out.len() - this.last_marker_end >= WINDOW {
                return Ok((this, Progress::MarkerFree { bit: bits.position() }));
            }
        }
    }

    /// The last [`WINDOW`] symbols as bytes, when none of them is a marker.
    pub fn window_bytes(&self) -> Option<Vec<u8>> {
        let tail = self.out.get(self.out.len().checked_sub(WINDOW)?..)?;
        tail.iter().map(|&s| u8::try_from(s).ok()).collect()
    }

    /// Decodes one block at the cursor.
    pub(super) fn block(&mut self, bits: &mut Bits<'_>) -> Result<Block, DeflateError> {
        let header = bits.take(3)?;
        let last = header & 1 == 1;
        match header >> 1 {
            0 => self.stored(bits)?,
            1 => {
                let (lit, dist) = fixed_codes();
                self.codes(bits, &lit, &dist)?;
            }
            2 => {
                let (lit, dist) = dynamic_codes(bits)?;
                self.codes(bits, &lit, &dist)?;
            }
            _ => return Err(DeflateError::InvalidBlockType),
        }
        Ok(Block { last })
    }

    fn stored(&mut self, bits: &mut Bits<'_>) -> Result<(), DeflateError> {
        bits.align_to_byte()?;
        let len = bits.take(16)?;
        let nlen = bits.take(16)?;
        if len != !nlen & 0xffff {
            return Err(DeflateError::StoredLength);
        }
        let bytes = bits.take_bytes(len as usize)?;
        self.reserve(bytes.len())?;
        self.out.extend(bytes.iter().map(|&b| u16::from(b)));
        Ok(())
    }

    fn reserve(&self, n: usize) -> Result<(), DeflateError> {
        if self.out.len().saturating_add(n) > self.max_out {
            return Err(DeflateError::OutputBound);
        }
        Ok(())
    }

    fn codes(&mut self, bits: &mut Bits<'_>, lit: &Huffman, dist: &Huffman) -> Result<(), DeflateError> {
        loop {
            let symbol = lit.decode(bits)?;
            match symbol {
                0..=255 => {
                    self.reserve(1)?;
                    self.out.push(symbol);
                }
                256 => return Ok(()),
                257..=285 => {
                    let i = usize::from(symbol - 257);
                    let len = usize::from(LENGTH_BASE[i]) + bits.take(u32::from(LENGTH_EXTRA[i]))? as usize;
                    let d = usize::from(dist.decode(bits)?);
                    if d >= DIST_BASE.len() {
                        return Err(DeflateError::InvalidSymbol);
                    }
                    let distance = usize::from(DIST_BASE[d]) + bits.take(u32::from(DIST_EXTRA[d]))? as usize;
                    self.copy(len, distance)?;
                }
                _ => return Err(DeflateError::InvalidSymbol),
            }
        }
    }

    /// Copies `len` symbols from `distance` back; before the start, markers.
    fn copy(&mut self, len: usize, distance: usize) -> Result<(), DeflateError> {
        self.reserve(len)?;
        let start = self.out.len();
        if distance <= start {
            let from = start - distance;
            if distance >= len {
                self.out.extend_from_within(from..from + len);
            } else {
                // Overlapping: each symbol may be one this copy just wrote.
                for k in 0..len {
                    let s = self.out[from + k];
                    self.out.push(s);
                }
            }
            if from < self.last_marker_end && self.out[start..].iter().any(|&s| s >= MARKER_BASE) {
                self.last_marker_end = self.out.len();
            }
        } else {
            // Reaches before the start: `distance <= WINDOW` always (the largest deflate
            // distance is 32768), so the index stays inside the unknown window.
            for k in 0..len {
                let s = match (start + k).checked_sub(distance) {
                    Some(i) => self.out[i],
                    None => MARKER_BASE + (WINDOW + start + k - distance) as u16,
                };
                self.out.push(s);
            }
            self.last_marker_end = self.out.len();
        }
        Ok(())
    }
}

fn fixed_codes() -> (Huffman, Huffman) {
    let mut lit = [0u8; 288];
    lit[..144].fill(8);
    lit[144..256].fill(9);
    lit[256..280].fill(7);
    lit[280..].fill(8);
    // Both tables are complete, so they always build.
    let lit = Huffman::build(&lit, Alphabet::LiteralLength).unwrap_or_else(|_| unreachable!());
    let dist = Huffman::build(&[5u8; 32], Alphabet::Distance).unwrap_or_else(|_| unreachable!());
    (lit, dist)
}

/// Reads a dynamic block's header: the code-length code, then the two codes.
pub(super) fn dynamic_codes(bits: &mut Bits<'_>) -> Result<(Huffman, Huffman), DeflateError> {
    let nlen = bits.take(5)? as usize + 257;
    let ndist = bits.take(5)? as usize + 1;
    let ncode = bits.take(4)? as usize + 4;
    if nlen > 286 || ndist > 30 {
        return Err(DeflateError::TooManySymbols);
    }
    let mut code_lengths = [0u8; 19];
    for &symbol in &CODE_LENGTH_ORDER[..ncode] {
        code_lengths[symbol] = bits.take(3)? as u8;
    }
    let code = Huffman::build(&code_lengths, Alphabet::CodeLengths)?;
    let mut lengths = [0u8; 286 + 30];
    let total = nlen + ndist;
    let mut n = 0;
    while n < total {
        let symbol = code.decode(bits)?;
        let (value, repeat) = match symbol {
            0..=15 => (symbol as u8, 1),
            16 => {
                let previous = n.checked_sub(1).map(|p| lengths[p]).ok_or(DeflateError::InvalidRepeat)?;
                (previous, 3 + bits.take(2)? as usize)
            }
            17 => (0, 3 + bits.take(3)? as usize),
            _ => (0, 11 + bits.take(7)? as usize),
        };
        if n + repeat > total {
            return Err(DeflateError::InvalidRepeat);
        }
        lengths[n..n + repeat].fill(value);
        n += repeat;
    }
    if lengths[256] == 0 {
        return Err(DeflateError::MissingEndOfBlock);
    }
    let lit = Huffman::build(&lengths[..nlen], Alphabet::LiteralLength)?;
    let dist = Huffman::build(&lengths[nlen..total], Alphabet::Distance)?;
    Ok((lit, dist))
}
