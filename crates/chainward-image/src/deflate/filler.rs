//! Starting zlib at a bit offset it cannot be told about.
//!
//! zlib's safe Rust API (`zlib_rs::Inflate`) has no `inflatePrime`: it starts at byte
//! boundaries only. To start it at bit `b` of byte `k`, feed it first a few empty deflate
//! blocks that together are `8n + b` bits long: their last `b` bits share byte `k` with the
//! real data's first bits. Empty blocks write nothing and leave the window (set as a
//! dictionary) as it was, and zlib then counts input in the stream's own bytes, so where the
//! stream ends is known to the byte.
//!
//! Two blocks do it: a fixed-Huffman block holding only end-of-block (10 bits), and a
//! dynamic block holding only end-of-block (95 bits, odd, as zlib accepts it: a single
//! one-bit literal/length code and no distance codes). Sums of them reach every residue
//! mod 8.

/// Writes bits least significant first.
pub(super) struct BitWriter {
    pub(super) bytes: Vec<u8>,
    pub(super) bits: u64,
}

impl BitWriter {
    pub(super) fn new() -> Self {
        Self { bytes: Vec::new(), bits: 0 }
    }

    pub(super) fn put(&mut self, value: u32, n: u32) {
        for i in 0..n {
            let byte = usize::try_from(self.bits / 8).unwrap_or(usize::MAX);
            if byte == self.bytes.len() {
                self.bytes.push(0);
            }
            self.bytes[byte] |= (((value >> i) & 1) as u8) << (self.bits % 8);
            self.bits += 1;
        }
    }

    /// A Huffman code, sent most significant bit first.
    pub(super) fn put_code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put((code >> i) & 1, 1);
        }
    }
}

fn empty_fixed_block(w: &mut BitWriter) {
    w.put(0, 1); // not final
    w.put(1, 2); // fixed Huffman
    w.put_code(0, 7); // end of block: symbol 256 is the 7-bit code 0000000
}

fn empty_dynamic_block(w: &mut BitWriter) {
    w.put(0, 1); // not final
    w.put(2, 2); // dynamic Huffman
    w.put(0, 5); // 257 literal/length codes
    w.put(0, 5); // 1 distance code
    w.put(15, 4); // 19 code-length code lengths
    // Code-length code: symbol 18 one bit (code 0), symbols 0 and 1 two bits (10, 11).
    for symbol in [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15] {
        let len = match symbol {
            18 => 1,
            0 | 1 => 2,
            _ => 0,
        };
        w.put(len, 3);
    }
    // 256 zero lengths (138 + 118, symbol 18 with 7 extra bits), length 1 for end-of-block,
    // length 0 for the one distance code.
    w.put_code(0, 1);
    w.put(138 - 11, 7);
    w.put_code(0, 1);
    w.put(118 - 11, 7);
    w.put_code(0b11, 2);
    w.put_code(0b10, 2);
    w.put_code(0, 1); // end of block: the one-bit code 0
}

/// Empty blocks `8n + residue` bits long: returns the bytes (the last one partial when
/// `residue > 0`, its high bits zero) and `n`.
pub fn empty_blocks(residue: u8) -> (Vec<u8>, usize) {
    let mut w = BitWriter::new();
    let residue = residue % 8;
    if residue % 2 == 1 {
        empty_dynamic_block(&mut w); // 95 bits, 7 mod 8
    }
    while w.bits % 8 != u64::from(residue) {
        empty_fixed_block(&mut w); // 10 bits, 2 mod 8
    }
    let whole = usize::try_from(w.bits / 8).unwrap_or(usize::MAX);
    (w.bytes, whole)
}

/// The first bytes to feed zlib so that it starts at bit `bit % 8` of `first`, the byte
/// holding the stream's bit `bit`: empty blocks, their last partial byte merged with
/// `first`'s high bits. Feed the bytes after `first` next.
pub fn prefix_for(bit: u64, first: u8) -> Vec<u8> {
    let residue = (bit % 8) as u8;
    let (mut bytes, whole) = empty_blocks(residue);
    if residue == 0 {
        bytes.push(first);
    } else {
        let low = (1u8 << residue) - 1;
        bytes[whole] = (bytes[whole] & low) | (first & !low);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_residue_is_reached() {
        for residue in 0..8u8 {
            let (bytes, whole) = empty_blocks(residue);
            let partial = usize::from(residue > 0);
            assert_eq!(bytes.len(), whole + partial, "residue {residue}");
        }
        let (bytes, whole) = empty_blocks(7);
        assert_eq!((bytes.len(), whole), (12, 11), "the dynamic block alone is 95 bits");
    }
}
