//! Finding a block boundary in the middle of a deflate stream.

use super::DeflateError;
use super::bits::Bits;
use super::markers::{MarkerInflate, dynamic_codes};

/// Bounds the output of one trial block (a zlib block rarely inflates past a few hundred
/// KiB; a false start that runs on is cut here).
const MAX_TRIAL_OUTPUT: usize = 4 * 1024 * 1024;
/// Bounds the output of all trial blocks of one search together: hostile data can make
/// many offsets decode long blocks, and the first thread waits for the search's answer.
/// Real layers need one or two trials (tens of KiB each).
const MAX_SEARCH_OUTPUT: usize = 16 * 1024 * 1024;

/// The first bit offset in `from..to` where a non-final dynamic-Huffman block starts that
/// decodes completely and is followed by a valid block header, and that is the *only*
/// offset in its byte window `8t-7 ..= 8t` (`t = ceil(bit / 8)`) where any block decodes.
/// `None` when there is none, or when the trials together would decode more than
/// `MAX_SEARCH_OUTPUT` symbols. A neighbour that cannot be decided (too long, or running
/// past the end of `data`) counts as a block, so a bound never makes a start look unique.
///
/// Why the uniqueness: zlib reports where a block ended only to the byte (`total_in` after
/// an end-of-block with fewer than 8 unused bits), i.e. the window above. Two real block
/// boundaries are at least 10 bits apart (the shortest block is 10 bits), so the window
/// holds at most one; if the found offset is the only place in it where any block decodes,
/// then a real boundary reported in that window *is* this offset. This is what makes the
/// hand-over exact rather than probable.
pub fn find_block_start(data: &[u8], from: u64, to: u64) -> Option<u64> {
    let to = to.min(data.len() as u64 * 8);
    let mut budget = MAX_SEARCH_OUTPUT;
    // Bit 0's byte window reaches into the byte before `data`, which is not at hand.
    let mut bit = from.max(1);
    while bit < to {
        if starts_dynamic_block(data, bit) && trial(data, bit, &mut budget)? == (Trial::Decodes { next_valid: true }) {
            let t = bit.div_ceil(8);
            let mut unique = true;
            for q in (8 * t).saturating_sub(7)..=8 * t {
                // Any block that decodes here might be the real one, whatever follows it
                // (a stream broken right after a real block must not make a false start
                // look unique), and so might one too long to decide.
                if q != bit && trial(data, q, &mut budget)? != Trial::Fails {
                    unique = false;
                    break;
                }
            }
            if unique {
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

/// What a trial decode of one block found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trial {
    /// A block of some type decodes completely (with markers for the unknown window);
    /// `next_valid`: it is the final block, or a header of a valid type follows it.
    Decodes { next_valid: bool },
    /// It does not.
    Fails,
    /// It cannot be told with the data and bounds at hand (its output passed
    /// `MAX_TRIAL_OUTPUT`, or it runs past the end of the data): it may be a real block.
    Undecided,
}

/// Decodes one block at `bit`. `None` once the search's output budget is spent.
fn trial(data: &[u8], bit: u64, budget: &mut usize) -> Option<Trial> {
    let limit = MAX_TRIAL_OUTPUT.min(*budget);
    let mut trial = MarkerInflate::new(limit);
    let mut bits = Bits::new(data, bit);
    let result = trial.block(&mut bits);
    *budget -= trial.out.len();
    Some(match result {
        Ok(block) if block.last => Trial::Decodes { next_valid: true },
        Ok(_) => match bits.take(3) {
            Ok(header) => Trial::Decodes { next_valid: header >> 1 != 3 },
            // The next header lies past the data at hand.
            Err(_) => Trial::Undecided,
        },
        // Cut by the search's budget rather than by the trial's own bound: give up.
        Err(DeflateError::OutputBound) if limit < MAX_TRIAL_OUTPUT => return None,
        // Too long, or running past the data at hand (the stream goes on beyond it).
        Err(DeflateError::OutputBound | DeflateError::Truncated) => Trial::Undecided,
        Err(_) => Trial::Fails,
    })
}
