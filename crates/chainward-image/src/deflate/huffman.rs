//! Canonical Huffman codes: validation as zlib's `inflate_table` does it, and one-lookup
//! decoding tables.

use super::DeflateError;
use super::bits::Bits;

const MAX_BITS: usize = 15;

/// Which alphabet a code is for: zlib allows an incomplete code only for literal/length and
/// distance codes made of a single code of length one, never for the code-length code.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Alphabet {
    CodeLengths,
    LiteralLength,
    Distance,
}

/// A decoding table indexed by the next `bits` bits of the stream: each entry is
/// `symbol << 4 | code length`, length 0 marking bit patterns that are no code.
pub(super) struct Huffman {
    table: Vec<u16>,
    bits: u32,
}

impl Huffman {
    pub(super) fn build(lengths: &[u8], alphabet: Alphabet) -> Result<Self, DeflateError> {
        let mut count = [0u16; MAX_BITS + 1];
        for &len in lengths {
            if usize::from(len) > MAX_BITS {
                return Err(DeflateError::InvalidCode);
            }
            count[usize::from(len)] += 1;
        }
        count[0] = 0;
        let max = (1..=MAX_BITS).rev().find(|&l| count[l] != 0).unwrap_or(0);
        if max == 0 {
            // No codes at all: zlib accepts it for distances (a block of literals only) and
            // every later distance symbol is then invalid.
            if alphabet == Alphabet::Distance {
                return Ok(Self { table: vec![0; 2], bits: 1 });
            }
            return Err(DeflateError::InvalidCode);
        }
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return Err(DeflateError::InvalidCode); // over-subscribed
            }
        }
        if left > 0 && (alphabet == Alphabet::CodeLengths || max != 1) {
            return Err(DeflateError::InvalidCode); // incomplete
        }
        let mut next_code = [0u32; MAX_BITS + 2];
        let mut code = 0u32;
        for len in 1..=MAX_BITS {
            code = (code + u32::from(count[len - 1])) << 1;
            next_code[len] = code;
        }
        // `count[0]` was zeroed, so the first step above starts the codes at 0.
        let bits = max as u32;
        let mut table = vec![0u16; 1 << bits];
        for (symbol, &len) in lengths.iter().enumerate() {
            if len == 0 {
                continue;
            }
            let len = u32::from(len);
            let code = next_code[len as usize];
            next_code[len as usize] += 1;
            // Codes are sent most significant bit first, the stream is read least
            // significant bit first: index the table by the reversed code.
            let reversed = code.reverse_bits() >> (32 - len);
            let entry = u16::try_from(symbol << 4).map_err(|_| DeflateError::InvalidCode)? | len as u16;
            let mut index = reversed as usize;
            while index < table.len() {
                table[index] = entry;
                index += 1 << len;
            }
        }
        Ok(Self { table, bits })
    }

    #[inline]
    pub(super) fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, DeflateError> {
        let entry = self.table[bits.peek(self.bits) as usize];
        let len = u32::from(entry & 15);
        if len == 0 {
            return Err(DeflateError::InvalidSymbol);
        }
        bits.consume(len)?;
        Ok(entry >> 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_as_zlib_does() {
        // Complete: 1 + 2 + 2 bits.
        assert!(Huffman::build(&[1, 2, 2], Alphabet::CodeLengths).is_ok());
        // Over-subscribed.
        assert_eq!(Huffman::build(&[1, 1, 1], Alphabet::LiteralLength).err(), Some(DeflateError::InvalidCode));
        // Incomplete: allowed only as a single one-bit literal/length or distance code.
        assert!(Huffman::build(&[0, 1], Alphabet::Distance).is_ok());
        assert!(Huffman::build(&[0, 1], Alphabet::LiteralLength).is_ok());
        assert!(Huffman::build(&[0, 1], Alphabet::CodeLengths).is_err());
        assert!(Huffman::build(&[2, 2, 2], Alphabet::Distance).is_err());
        // No codes: only for distances.
        assert!(Huffman::build(&[0, 0], Alphabet::Distance).is_ok());
        assert!(Huffman::build(&[0, 0], Alphabet::LiteralLength).is_err());
    }

    #[test]
    fn decodes_canonical_codes_sent_msb_first() {
        // Lengths 1, 2, 2 give codes 0, 10, 11; sent MSB first and read LSB first, the bit
        // string "0 10 11" is the byte 0b0001_1010 read from bit 0.
        let table = Huffman::build(&[1, 2, 2], Alphabet::CodeLengths).unwrap();
        let data = [0b0001_1010u8];
        let mut bits = Bits::new(&data, 0);
        assert_eq!(table.decode(&mut bits).unwrap(), 0);
        assert_eq!(table.decode(&mut bits).unwrap(), 1);
        assert_eq!(table.decode(&mut bits).unwrap(), 2);
    }
}
