//! A gzip reader (RFC 1952, any number of members) that leaves out the CRC-32 check, for
//! blobs whose sha256 is verified as they are read.
//!
//! Why: the CRC covers the inflated bytes, which inflating derives deterministically from
//! the compressed ones; once the compressed blob matches the digest that names it, the CRC
//! can tell nothing new, yet computing it costs about 5 % of inflating a layer. Every other
//! check stays: header magic, method and flags, the trailer's length (ISIZE), truncation,
//! and garbage between or after members. Blobs that are not verified by a digest go through
//! flate2's `MultiGzDecoder`, which does check the CRC.

use std::io::{self, BufRead, Read};

use zlib_rs::{Inflate, InflateFlush, Status};

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED_FLAGS: u8 = 0xe0;
/// Bounds the zero-terminated name and comment fields of a header.
const MAX_HEADER_STRING: usize = 64 * 1024;

enum State {
    /// Before a member's header; `first` until one member has been read.
    Header {
        first: bool,
    },
    Body,
    Done,
}

/// Inflates a gzip stream whose compressed bytes are verified elsewhere (see module docs).
pub struct DigestVerifiedGzip<R> {
    inner: Counted<R>,
    inflate: Inflate,
    state: State,
    /// Where to pause for a second thread to take over (see [`crate::split`]).
    stop: Option<Stop>,
    /// An error met after bytes that were returned first.
    pending_error: Option<io::Error>,
}

/// A pause at the end of the block that ends in compressed byte `target` of the first
/// member, if there is one.
struct Stop {
    /// Up to this compressed offset inflate runs freely; past it, block by block.
    blocks_from: u64,
    /// `None` until [`DigestVerifiedGzip::set_stop_target`].
    target: Option<u64>,
    outcome: StopOutcome,
}

/// Where a [`Stop`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopOutcome {
    /// Not there yet.
    Running,
    /// At `blocks_from` with no target set: reads return 0 until one is set.
    NeedsTarget,
    /// Paused after this many bytes of output, at the block end in the target byte.
    Reached(u64),
    /// No block ended in the target byte: the stop is void and reading goes on.
    Missed,
}

/// How far the stop lets inflate look past the target byte for the block end that is in it.
const STOP_LOOKAHEAD: u64 = 4096;

impl<R: BufRead> DigestVerifiedGzip<R> {
    /// Reads gzip members from `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner: Counted { inner, count: 0 },
            inflate: Inflate::new(false, 15),
            state: State::Header { first: true },
            stop: None,
            pending_error: None,
        }
    }

    /// Pauses inflating the first member at the end of the block that ends in compressed byte
    /// `target` (offsets from the start of the gzip stream), running block by block from
    /// `blocks_from` on. With `target` unknown yet, reads return 0 at `blocks_from` until
    /// [`Self::set_stop_target`]. zlib reports a block's end as the byte that holds its last
    /// bit (fewer than 8 bits unused), so a pause "in byte t" is exact to that byte.
    pub(crate) fn stop_at_block_end(&mut self, blocks_from: u64, target: Option<u64>) {
        self.stop = Some(Stop { blocks_from, target, outcome: StopOutcome::Running });
    }

    /// Sets the target byte of a stop waiting for it.
    pub(crate) fn set_stop_target(&mut self, target: u64) {
        if let Some(stop) = &mut self.stop {
            stop.target = Some(target);
            stop.outcome = StopOutcome::Running;
        }
    }

    /// Where the stop stands (`Missed` when there is none).
    pub(crate) fn stop_outcome(&self) -> StopOutcome {
        self.stop.as_ref().map_or(StopOutcome::Missed, |s| s.outcome)
    }

    /// Whether inflate is running block by block before its stop (output then comes in
    /// small pieces, and the caller keeps the last 32 KiB of it).
    pub(crate) fn in_stop_approach(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.outcome == StopOutcome::Running && self.inner.count >= s.blocks_from)
    }

    /// Drops the stop: reading goes on from wherever inflate stands.
    pub(crate) fn clear_stop(&mut self) {
        self.stop = None;
    }

    /// The input to give inflate next and how, under the stop; `None` while paused.
    fn stop_input_limit(&mut self, available: usize) -> Option<(usize, InflateFlush)> {
        let at = self.inner.count;
        let Some(stop) = &mut self.stop else { return Some((available, InflateFlush::NoFlush)) };
        let limit = |end: u64| usize::try_from(end.saturating_sub(at)).unwrap_or(usize::MAX).min(available);
        match stop.outcome {
            StopOutcome::Reached(_) | StopOutcome::NeedsTarget => None,
            StopOutcome::Missed => Some((available, InflateFlush::NoFlush)),
            StopOutcome::Running if at < stop.blocks_from => Some((limit(stop.blocks_from), InflateFlush::NoFlush)),
            StopOutcome::Running => match stop.target {
                None => {
                    stop.outcome = StopOutcome::NeedsTarget;
                    None
                }
                Some(t) if at >= t + STOP_LOOKAHEAD => {
                    stop.outcome = StopOutcome::Missed;
                    Some((available, InflateFlush::NoFlush))
                }
                Some(t) => Some((limit(t + STOP_LOOKAHEAD), InflateFlush::Block)),
            },
        }
    }

    /// After a block-by-block step: a return with input and output room left is a block end.
    /// (zlib leaves a block-by-block call early only at a block end; a block that ends just
    /// as the input runs out cannot be told apart and is missed, which only voids the stop.)
    fn note_block_end(&mut self, input_left: bool, output_left: bool) {
        let at = self.inner.count;
        let total_out = self.inflate.total_out();
        let Some(stop) = &mut self.stop else { return };
        if !input_left || !output_left {
            return;
        }
        match stop.target {
            Some(t) if at == t => stop.outcome = StopOutcome::Reached(total_out),
            Some(t) if at > t => stop.outcome = StopOutcome::Missed,
            _ => {}
        }
    }

    /// Parses one member header. Returns false at a clean end of input between members.
    fn read_header(&mut self, first: bool) -> io::Result<bool> {
        if !first && self.inner.fill_buf()?.is_empty() {
            return Ok(false);
        }
        // The magic first, so that trailing junk shorter than a header is named as junk.
        let mut fixed = [0u8; 10];
        self.inner.read_exact(&mut fixed[..2]).map_err(|e| truncated(e, "gzip member header"))?;
        if fixed[0] != 0x1f || fixed[1] != 0x8b {
            return Err(invalid(if first {
                "not a gzip stream (bad magic bytes)"
            } else {
                "data after the last gzip member is not another member (bad magic bytes)"
            }));
        }
        self.inner.read_exact(&mut fixed[2..]).map_err(|e| truncated(e, "gzip member header"))?;
        if fixed[2] != 8 {
            return Err(invalid("gzip header names a compression method other than deflate"));
        }
        let flags = fixed[3];
        if flags & RESERVED_FLAGS != 0 {
            return Err(invalid("gzip header sets reserved flag bits"));
        }
        if flags & FEXTRA != 0 {
            let mut len = [0u8; 2];
            self.inner.read_exact(&mut len).map_err(|e| truncated(e, "gzip extra field length"))?;
            let len = u64::from(u16::from_le_bytes(len));
            let skipped = io::copy(&mut (&mut self.inner).take(len), &mut io::sink())?;
            if skipped != len {
                return Err(truncated(io::ErrorKind::UnexpectedEof.into(), "gzip extra field"));
            }
        }
        for (flag, what) in [(FNAME, "gzip file name"), (FCOMMENT, "gzip comment")] {
            if flags & flag != 0 {
                self.skip_zero_terminated(what)?;
            }
        }
        if flags & FHCRC != 0 {
            let mut crc16 = [0u8; 2];
            self.inner.read_exact(&mut crc16).map_err(|e| truncated(e, "gzip header CRC"))?;
        }
        Ok(true)
    }

    fn skip_zero_terminated(&mut self, what: &str) -> io::Result<()> {
        let mut seen = 0usize;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Err(truncated(io::ErrorKind::UnexpectedEof.into(), what));
            }
            if let Some(end) = buf.iter().position(|&b| b == 0) {
                self.inner.consume(end + 1);
                return Ok(());
            }
            seen += buf.len();
            let n = buf.len();
            self.inner.consume(n);
            if seen > MAX_HEADER_STRING {
                return Err(invalid(&format!("{what} is longer than {MAX_HEADER_STRING} bytes")));
            }
        }
    }

    /// Checks the member trailer's length against what was inflated (the CRC is skipped).
    fn read_trailer(&mut self) -> io::Result<()> {
        let mut trailer = [0u8; 8];
        self.inner.read_exact(&mut trailer).map_err(|e| truncated(e, "gzip member trailer"))?;
        let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        // ISIZE is the inflated length modulo 2^32.
        if u64::from(isize) != self.inflate.total_out() & 0xffff_ffff {
            return Err(invalid("gzip trailer length does not match the inflated data"));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for DigestVerifiedGzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header { first } => {
                    if !first {
                        // A stop applies to the first member only.
                        if let Some(stop) = &mut self.stop
                            && stop.outcome == StopOutcome::Running
                        {
                            stop.outcome = StopOutcome::Missed;
                        }
                    }
                    if self.read_header(first)? {
                        self.inflate.reset(false);
                        self.state = State::Body;
                    } else {
                        self.state = State::Done;
                    }
                }
                State::Body => {
                    let available = self.inner.fill_buf()?.len();
                    let Some((take, flush)) = self.stop_input_limit(available) else { return Ok(0) };
                    let input = &self.inner.fill_buf()?[..take];
                    let input_was_empty = input.is_empty();
                    let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
                    let result = self.inflate.decompress(input, buf, flush);
                    let consumed = usize::try_from(self.inflate.total_in() - in_before).unwrap_or(usize::MAX);
                    let produced = usize::try_from(self.inflate.total_out() - out_before).unwrap_or(usize::MAX);
                    self.inner.consume(consumed);
                    let status = match result {
                        Ok(status) => status,
                        Err(e) => {
                            let message = self.inflate.error_message().unwrap_or(e.as_str());
                            let error = invalid(&format!("corrupt deflate data: {message}"));
                            // The bytes inflated before the damage first, the error next: where
                            // a walk meets it must not depend on its read sizes.
                            if produced > 0 {
                                self.pending_error = Some(error);
                                return Ok(produced);
                            }
                            return Err(error);
                        }
                    };
                    if status == Status::StreamEnd {
                        if let Err(error) = self.read_trailer() {
                            if produced > 0 {
                                self.pending_error = Some(error);
                                return Ok(produced);
                            }
                            return Err(error);
                        }
                        self.state = State::Header { first: false };
                    } else {
                        if flush == InflateFlush::Block {
                            self.note_block_end(consumed < take, produced < buf.len());
                        }
                        if produced == 0 && consumed == 0 {
                            return Err(if input_was_empty {
                                truncated(io::ErrorKind::UnexpectedEof.into(), "gzip deflate data")
                            } else {
                                invalid("deflate data makes no progress")
                            });
                        }
                    }
                    if produced > 0 {
                        return Ok(produced);
                    }
                }
            }
        }
    }
}

/// Counts the bytes consumed from a reader: the compressed offset a stop is set in.
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.count += amount as u64;
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

fn truncated(error: io::Error, what: &str) -> io::Error {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(io::ErrorKind::UnexpectedEof, format!("gzip stream ends inside the {what}"))
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn inflate(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        DigestVerifiedGzip::new(io::BufReader::with_capacity(7, bytes)).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn inflates_like_flate2_across_tiny_buffers_and_members() {
        let a: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let mut two = gzip(&a);
        two.extend(gzip(b"second member"));
        let mut expected = a.clone();
        expected.extend_from_slice(b"second member");
        assert_eq!(inflate(&two).unwrap(), expected);
    }

    #[test]
    fn reads_optional_header_fields() {
        let mut e = flate2::GzBuilder::new()
            .filename("layer.tar")
            .comment("c")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::fast());
        e.write_all(b"hello").unwrap();
        assert_eq!(inflate(&e.finish().unwrap()).unwrap(), b"hello");
    }

    #[test]
    fn truncation_garbage_and_wrong_length_are_errors() {
        let good = gzip(b"some layer bytes, some layer bytes");
        for cut in [3, 12, good.len() - 5, good.len() - 1] {
            let err = inflate(&good[..cut]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}: {err}");
        }
        let mut garbage = good.clone();
        garbage.extend_from_slice(b"junk");
        assert!(inflate(&garbage).unwrap_err().to_string().contains("after the last gzip member"));
        let mut wrong_len = good.clone();
        let n = wrong_len.len();
        wrong_len[n - 1] ^= 1;
        assert!(inflate(&wrong_len).unwrap_err().to_string().contains("length"));
        assert!(inflate(b"PK\x03\x04not gzip").unwrap_err().to_string().contains("magic"));
    }

    /// Reads until the error with reads of `chunk` bytes: the bytes delivered first.
    fn delivered_before_error(bytes: &[u8], chunk: usize) -> Option<usize> {
        let mut gz = DigestVerifiedGzip::new(io::BufReader::with_capacity(chunk, bytes));
        let mut buf = vec![0u8; chunk];
        let mut total = 0;
        loop {
            match gz.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => total += n,
                Err(_) => return Some(total),
            }
        }
    }

    #[test]
    fn bytes_before_damage_come_first_whatever_the_read_size() {
        // Text-like bytes: a few hundred KiB of deflate with copies and literals.
        let data: Vec<u8> =
            (0..300_000u32).map(|i| b'a' + ((i.wrapping_mul(2_654_435_761) >> 13) % 23) as u8).collect();
        let good = gzip(&data);
        let mut checked = 0;
        for at in (good.len() / 3..good.len() - 16).step_by(good.len() / 90) {
            let mut bad = good.clone();
            bad[at] ^= 0xa5;
            let Some(small) = delivered_before_error(&bad, 61) else { continue };
            assert_eq!(delivered_before_error(&bad, 1 << 20), Some(small), "damage at {at}");
            checked += 1;
        }
        assert!(checked > 10, "only {checked} damaged streams failed to inflate");
    }

    #[test]
    fn a_wrong_crc_is_not_checked_because_the_digest_covers_it() {
        let mut bad_crc = gzip(b"abc");
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 0xff;
        assert_eq!(inflate(&bad_crc).unwrap(), b"abc");
    }
}
