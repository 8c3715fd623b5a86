//! Reading a byte slice as deflate's LSB-first bit stream, at any bit offset.

use super::DeflateError;

/// A cursor over `data` in bits: bit 0 is the least significant bit of `data[0]`.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    pos: u64,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8], pos: u64) -> Self {
        Self { data, pos }
    }

    pub(super) fn position(&self) -> u64 {
        self.pos
    }

    fn len_bits(&self) -> u64 {
        self.data.len() as u64 * 8
    }

    /// The next up to 32 bits without consuming them; bits past the end read as zero (a
    /// later [`Bits::consume`] past the end fails).
    #[inline]
    pub(super) fn peek(&self, n: u32) -> u32 {
        debug_assert!(n <= 32);
        let byte = usize::try_from(self.pos / 8).unwrap_or(usize::MAX);
        let shift = (self.pos % 8) as u32;
        let mut word = [0u8; 8];
        if let Some(rest) = self.data.get(byte..) {
            let take = rest.len().min(8);
            word[..take].copy_from_slice(&rest[..take]);
        }
        let value = u64::from_le_bytes(word) >> shift;
        (value & ((1u64 << n) - 1)) as u32
    }

    #[inline]
    pub(super) fn consume(&mut self, n: u32) -> Result<(), DeflateError> {
        let next = self.pos + u64::from(n);
        if next > self.len_bits() {
            return Err(DeflateError::Truncated);
        }
        self.pos = next;
        Ok(())
    }

    #[inline]
    pub(super) fn take(&mut self, n: u32) -> Result<u32, DeflateError> {
        let v = self.peek(n);
        self.consume(n)?;
        Ok(v)
    }

    /// Skips to the next byte boundary (stored blocks).
    pub(super) fn align_to_byte(&mut self) -> Result<(), DeflateError> {
        let pad = (8 - self.pos % 8) % 8;
        self.consume(pad as u32)
    }

    /// The next `n` whole bytes; the cursor must be byte-aligned.
    pub(super) fn take_bytes(&mut self, n: usize) -> Result<&'a [u8], DeflateError> {
        let start = usize::try_from(self.pos / 8).map_err(|_| DeflateError::Truncated)?;
        let bytes = start.checked_add(n).and_then(|end| self.data.get(start..end)).ok_or(DeflateError::Truncated)?;
        self.pos += n as u64 * 8;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lsb_first_across_bytes_and_stops_at_the_end() {
        let data = [0b1010_1100u8, 0b0000_0011];
        let mut bits = Bits::new(&data, 2);
        assert_eq!(bits.take(3).unwrap(), 0b011);
        assert_eq!(bits.take(5).unwrap(), 0b1_1101);
        assert_eq!(bits.take(2).unwrap(), 0b00);
        assert_eq!(bits.peek(16), 0, "bits past the end read as zero");
        assert_eq!(bits.take(7), Err(DeflateError::Truncated));
        assert_eq!(bits.position(), 12, "a failed take does not move");
    }
}
