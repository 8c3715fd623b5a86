//! Finding a block boundary in the middle of a deflate stream.

use super::bits::Bits;
use super::markers::{MarkerInflate, dynamic_codes};

/// Bounds the output of one trial block (a zlib block rarely inflates past a few hundred
/// KiB; a false start that runs on is cut here).
const MAX_TRIAL_OUTPUT: usize = 4 * 1024 * 1024;

/// The first bit offset in `from..to` where a non-final dynamic-Huffman block starts that
/// decodes completely and is followed by a valid block header, and that is the *only*
/// offset in its byte window `8t-7 ..= 8t` (`t = ceil(bit / 8)`) where any block decodes.
///
/// Why the uniqueness: zlib reports where a block ended only to the byte (`total_in` after
/// an end-of-block with fewer than 8 unused bits), i.e. the window above. Two real block
/// boundaries are at least 10 bits apart (the shortest block is 10 bits), so the window
/// holds at most one; if the found offset is the only place in it where any block decodes,
/// then a real boundary reported in that window *is* this offset. This is what makes the
/// hand-over exact rather than probable.
pub fn find_block_start(data: &[u8], from: u64, to: u64) -> Option<u64> {
    let to = to.min(data.len() as u64 * 8);
    let mut bit = from;
    while bit < to {
        if starts_dynamic_block(data, bit) && block_decodes(data, bit) {
            let t = bit.div_ceil(8);
            let window = (8 * t).saturating_sub(7)..=8 * t;
            if window.filter(|&q| q != bit).all(|q| !block_decodes(data, q)) {
                return Some(bit);
            }
        }
        bit += 1;
    }
    None
}

/// Cheap filter: a non-final dynamic header whose code tables build.
fn starts_dynamic_block(data: &[u8], bit: u64) -> bool {
    let mut bits = Bits::new(data, bit);
    // BFINAL = 0, BTYPE = 2: the three bits read 0b100.
    if bits.peek(3) != 0b100 {
        return false;
    }
    bits.take(3).is_ok() && dynamic_codes(&mut bits).is_ok()
}

/// Whether a block of any type decodes completely at `bit` (with markers for the unknown
/// window) and, unless it is the final block, is followed by a header of a valid type.
fn block_decodes(data: &[u8], bit: u64) -> bool {
    let mut trial = MarkerInflate::new(MAX_TRIAL_OUTPUT);
    let mut bits = Bits::new(data, bit);
    match trial.block(&mut bits) {
        Ok(block) if block.last => true,
        Ok(_) => bits.take(3).is_ok_and(|header| header >> 1 != 3),
        Err(_) => false,
    }
}
