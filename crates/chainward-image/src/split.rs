//! One large gzip layer inflated and walked on two threads.
//!
//! Inflating a gzip stream is sequential: every block may copy from the 32 KiB before it.
//! A single large layer (debian's base layer: 28 MB compressed, 77 MB inflated) therefore
//! sets the time of a whole image on one core while the other idles. Here the second thread
//! starts in the middle, the way rapidgzip does:
//!
//! 1. It reads from `split_at` on and finds a block start there ([`find_block_start`]),
//!    decodes with markers for the unknown window until 32 KiB of output are free of them
//!    ([`MarkerInflate`]), then hands on to zlib-rs with that window as its dictionary,
//!    started at the exact bit by empty blocks ([`filler`]).
//! 2. It looks for the first tar header in its output and walks the rest of the layer from
//!    there, on its own budget ([`Budget::fork`]), to the gzip trailer at the blob's end.
//! 3. The first thread inflates from the start and pauses at the end of the block that ends
//!    in the byte where the second one started (exact to the bit: see
//!    [`find_block_start`]). It resolves the second thread's markers with its own last
//!    32 KiB and walks on through those first bytes; if its walk reaches the second one's
//!    first header between entries, the second walk's entries follow its own.
//!
//! Anything else—no block start found, a stream that ends early, a header inside a file's
//! body, a PAX global header in the first half, a corrupt second half—falls back to the
//! first thread inflating on alone from where it paused, so the result is always the one a
//! single sequential walk gives, only sooner when the split works.

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use chainward_model::Digest;
use sha2::{Digest as _, Sha256};
use zlib_rs::{Inflate, InflateFlush, Status};

use crate::deflate::{MARKER_BASE, MarkerInflate, Progress, WINDOW, filler, find_block_start};
use crate::gzip::{DigestVerifiedGzip, StopOutcome};
use crate::source::BlobFile;
use crate::tar::{SkipRead, Streaming, is_header};
use crate::walk::{
    Budget, FileRegion, Interest, LayerIndex, Limits, READ_BUFFER, WalkError, drain_after_end, walk_tar,
};

/// Layers smaller than this are inflated by one thread: the second thread's start-up
/// (finding a block, a few hundred KiB decoded with markers) would not pay.
pub(crate) const MIN_SPLIT_LEN: u64 = 8 * 1024 * 1024;
/// The compressed bytes the second thread reads to find its start and leave the markers
/// behind (both take a few tens of KiB in real layers).
const START_READ: u64 = 1024 * 1024;
/// How far past `split_at` a block start is looked for.
const START_SEARCH_BITS: u64 = 512 * 1024 * 8;
/// Bounds the output decoded with markers.
const MAX_MARKER_OUTPUT: usize = 4 * 1024 * 1024;
/// Bounds the output the second thread holds while looking for its first tar header (the
/// rest of a file that straddles the split point).
const MAX_BEFORE_HEADER: usize = 8 * 1024 * 1024;
/// The first thread inflates block by block over this many compressed bytes before the
/// split point (and keeps the last 32 KiB of output there for resolving markers).
const BLOCKS_BEFORE: u64 = 64 * 1024;

/// Whether to walk a gzip layer of `len` compressed bytes on two threads.
pub(crate) fn worth_splitting(len: u64) -> bool {
    len >= MIN_SPLIT_LEN && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// How a split walk went: what tests and debug logs look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitOutcome {
    /// The second thread's walk took over at this offset of the inflated stream.
    HandedOff(u64),
    /// The first thread inflated on alone, for this reason.
    Alone(&'static str),
}

/// Walks a gzip layer blob on two threads, the second starting near compressed byte
/// `split_at`; checks the blob's digest (when `blob.verify` is set) on a third.
pub(crate) fn walk_split(
    blob: &BlobFile,
    split_at: u64,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget,
) -> Result<(LayerIndex, SplitOutcome), WalkError> {
    let io_err = |source| WalkError::Io { layer: layer_name.to_owned(), path: blob.path.display().to_string(), source };
    let rendezvous = Rendezvous::default();
    let child = budget.child();
    std::thread::scope(|scope| {
        let hasher = blob.verify.as_ref().map(|_| scope.spawn(|| hash_blob(blob)));
        let second = scope.spawn(|| {
            let _posts_failure_unless_done = FailOnDrop(&rendezvous);
            if let Err(why) = second_half(blob, split_at, &rendezvous, layer_name, interest, limits, &child) {
                tracing::debug!(why, "layer split: the second thread gives up");
                rendezvous.give_up(why);
            }
        });
        let walked = first_half(blob, split_at, &rendezvous, layer_name, interest, limits, budget, &child);
        rendezvous.abandon.store(true, Ordering::Relaxed);
        // The second thread never panics by design; if it did, its half was not used.
        let _ = second.join();
        if let (Some(hasher), Some(expected)) = (hasher, &blob.verify) {
            let actual =
                hasher.join().unwrap_or_else(|_| Err(io::Error::other("the digest thread stopped"))).map_err(io_err)?;
            // A tampered blob often also breaks decompression: name the real cause first.
            if &actual != expected {
                return Err(WalkError::DigestMismatch { expected: expected.clone(), actual });
            }
        }
        walked
    })
}

/// The first thread: inflates from the start, walks, and takes the second walk's entries
/// at the hand-off point, or inflates on alone.
#[allow(clippy::too_many_arguments)] // the walk's context, passed through
fn first_half(
    blob: &BlobFile,
    split_at: u64,
    rendezvous: &Rendezvous,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    budget: &Budget<'_>,
    child: &Budget<'_>,
) -> Result<(LayerIndex, SplitOutcome), WalkError> {
    let blob_path = blob.path.display().to_string();
    let io_err = |source| WalkError::Io { layer: layer_name.to_owned(), path: blob_path.clone(), source };
    let region = FileRegion::open(&blob.path, blob.offset, blob.len).map_err(io_err)?;
    let mut gzip = DigestVerifiedGzip::new(BufReader::with_capacity(READ_BUFFER, region));
    gzip.stop_at_block_end(split_at.saturating_sub(BLOCKS_BEFORE), None);
    let reader = FirstHalf {
        gzip,
        buf: vec![0; READ_BUFFER],
        pos: 0,
        filled: 0,
        offset: 0,
        recent: Vec::with_capacity(WINDOW),
        phase: Phase::First,
        rendezvous,
        budget,
        child,
        refunded: false,
        paused_at: 0,
        second: None,
        handed_over: 0,
        second_gave_up: None,
        alone_because: "the walk ended before the pause",
    };
    let (mut index, mut reader) = walk_tar(reader, layer_name, interest, limits, budget, None)?;
    let Some(second) = reader.second.take() else {
        reader.stop_second();
        drain_after_end(&mut reader, layer_name, &blob_path, limits, budget)?;
        return Ok((index, SplitOutcome::Alone(reader.alone_because)));
    };
    // ISIZE is the whole member's inflated length modulo 2^32.
    if (reader.paused_at + second.inflated) & 0xffff_ffff != u64::from(second.isize) {
        return Err(io_err(io::Error::new(
            io::ErrorKind::InvalidData,
            "gzip trailer length does not match the inflated data",
        )));
    }
    index.entries.extend(second.index.entries);
    index.clamped_paths.extend(second.index.clamped_paths);
    Ok((index, SplitOutcome::HandedOff(reader.paused_at + reader.handed_over)))
}

/// What the second thread hands over before its walk: its first output, up to its first tar
/// header.
struct Handover {
    /// Decoded with markers (see [`MARKER_BASE`]).
    markers: Vec<u16>,
    /// Plain bytes after the markers, up to the header.
    bytes: Vec<u8>,
}

/// The second thread's result.
struct SecondHalf {
    index: LayerIndex,
    /// Bytes it inflated, from its starting bit to the end of the member.
    inflated: u64,
    /// The member trailer's length field.
    isize: u32,
}

/// Where the two threads meet. `Err` in a slot: why the second thread gave up there.
#[derive(Default)]
struct Rendezvous {
    slots: Mutex<Slots>,
    changed: Condvar,
    /// Set when the first thread no longer wants the second one's work.
    abandon: AtomicBool,
}

#[derive(Default)]
struct Slots {
    /// The block start found, as a bit offset in the blob.
    start: Option<Result<u64, &'static str>>,
    handover: Option<Result<Handover, &'static str>>,
    finished: Option<Result<SecondHalf, &'static str>>,
    /// The second thread has ended: it charges nothing more.
    stopped: bool,
}

impl Rendezvous {
    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn post(&self, f: impl FnOnce(&mut Slots)) {
        f(&mut self.lock());
        self.changed.notify_all();
    }

    /// Waits until `f` finds what it looks for.
    fn wait<T>(&self, mut f: impl FnMut(&mut Slots) -> Option<T>) -> T {
        let mut slots = self.lock();
        loop {
            if let Some(found) = f(&mut slots) {
                return found;
            }
            slots = self.changed.wait(slots).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl Rendezvous {
    /// Posts why the second thread gave up in every slot it has not filled.
    fn give_up(&self, why: &'static str) {
        self.post(|slots| {
            slots.start.get_or_insert(Err(why));
            slots.handover.get_or_insert(Err(why));
            slots.finished.get_or_insert(Err(why));
        });
    }
}

/// Gives up in every slot not filled when the second thread ends, however it ends (a panic
/// included), so the first thread never waits in vain.
struct FailOnDrop<'a>(&'a Rendezvous);

impl Drop for FailOnDrop<'_> {
    fn drop(&mut self) {
        self.0.give_up("the second thread stopped");
        self.0.post(|slots| slots.stopped = true);
    }
}

/// The second thread. Returns why it gives up.
#[allow(clippy::too_many_arguments)] // the walk's context, passed through
fn second_half(
    blob: &BlobFile,
    split_at: u64,
    rendezvous: &Rendezvous,
    layer_name: &str,
    interest: &dyn Interest,
    limits: &Limits,
    child: &Budget<'_>,
) -> Result<(), &'static str> {
    const UNREADABLE: &str = "the second thread could not read the blob";
    // The region's cursor ends where `data` ends: zlib reads on from there.
    let left = blob.len.checked_sub(split_at).ok_or(UNREADABLE)?;
    let mut region = FileRegion::open(&blob.path, blob.offset + split_at, left).map_err(|_| UNREADABLE)?;
    let mut data = Vec::new();
    (&mut region).take(START_READ).read_to_end(&mut data).map_err(|_| UNREADABLE)?;
    let start = find_block_start(&data, 0, START_SEARCH_BITS).ok_or("no block start near the split point");
    rendezvous.post(|slots| slots.start = Some(start.map(|bit| split_at * 8 + bit)));
    // Text made of a small vocabulary copies the unknown window on and on: its markers may
    // never fade, and such a layer is inflated by the first thread alone.
    let (markers, progress) = MarkerInflate::run(&data, start?, MAX_MARKER_OUTPUT)
        .map_err(|_| "the output kept markers of the unknown window")?;
    let Progress::MarkerFree { bit } = progress else {
        return Err("the stream ends within the second thread's first blocks");
    };
    let dictionary = markers.window_bytes().ok_or("the output kept markers of the unknown window")?;
    let k = usize::try_from(bit / 8).map_err(|_| UNREADABLE)?;
    let prefix = filler::prefix_for(bit, *data.get(k).ok_or(UNREADABLE)?);
    let prefix_len = prefix.len() as u64;
    let mut rest_of_window = Cursor::new(data);
    rest_of_window.set_position(k as u64 + 1);
    let mut inflate = Inflate::new(false, 15);
    inflate.set_dictionary(&dictionary).map_err(|_| "zlib refused the dictionary")?;
    let mut inflated = Inflated {
        input: BufReader::with_capacity(READ_BUFFER, Cursor::new(prefix).chain(rest_of_window).chain(region)),
        inflate,
        // zlib counts the prefix's last byte as the stream's byte k, the rest as filler.
        end_base: (split_at + k as u64 + 1).checked_sub(prefix_len).ok_or(UNREADABLE)?,
        blob,
        abandon: &rendezvous.abandon,
        isize: None,
    };

    // The first tar header in the output: where this walk starts.
    const NO_HEADER: &str = "no tar header in the second thread's first output";
    let mut pending: Vec<u8> = Vec::new();
    let mut searched = 0usize;
    let header_at = loop {
        let before = pending.len();
        pending.resize(before + 64 * 1024, 0);
        let n = inflated.read(&mut pending[before..]).map_err(|_| "the second half does not inflate")?;
        pending.truncate(before + n);
        while searched + 512 <= pending.len() {
            if pending[searched..searched + 512].try_into().is_ok_and(is_header) {
                break;
            }
            searched += 1;
        }
        if searched + 512 <= pending.len() {
            break searched;
        }
        if n == 0 || pending.len() > MAX_BEFORE_HEADER {
            return Err(NO_HEADER);
        }
    };
    let marked = markers.out.len() as u64;
    let bytes = pending[..header_at].to_vec();
    rendezvous.post(|slots| slots.handover = Some(Ok(Handover { markers: markers.out, bytes })));

    let mut tail = Cursor::new(pending);
    tail.set_position(header_at as u64);
    let reader = Streaming(BufReader::with_capacity(READ_BUFFER, tail.chain(inflated)));
    const WALK_FAILED: &str = "the second thread's walk failed (the first thread meets the cause itself)";
    let (index, Streaming(mut rest)) =
        walk_tar(reader, layer_name, interest, limits, child, None).map_err(|_| WALK_FAILED)?;
    drain_after_end(&mut rest, layer_name, layer_name, limits, child).map_err(|_| WALK_FAILED)?;
    let (_, inflated) = rest.into_inner().into_inner();
    let isize = inflated.isize.ok_or(WALK_FAILED)?;
    let total = marked + inflated.inflate.total_out();
    rendezvous.post(|slots| slots.finished = Some(Ok(SecondHalf { index, inflated: total, isize })));
    Ok(())
}

/// zlib-rs inflating the second half from the marker-free point, to the member's end.
struct Inflated<'a, R> {
    input: BufReader<R>,
    inflate: Inflate,
    /// Adds to zlib's input count to give the blob offset it has read to.
    end_base: u64,
    blob: &'a BlobFile,
    abandon: &'a AtomicBool,
    /// Set at the end of the member: the trailer's length field.
    isize: Option<u32>,
}

impl<R: Read> Read for Inflated<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.isize.is_some() || buf.is_empty() {
            return Ok(0);
        }
        if self.abandon.load(Ordering::Relaxed) {
            return Err(io::Error::other("the second half is no longer wanted"));
        }
        loop {
            let input = self.input.fill_buf()?;
            if input.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "gzip stream ends inside the deflate data"));
            }
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(input, buf, InflateFlush::NoFlush)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.as_str()))?;
            let consumed = usize::try_from(self.inflate.total_in() - in_before).unwrap_or(usize::MAX);
            let produced = usize::try_from(self.inflate.total_out() - out_before).unwrap_or(usize::MAX);
            self.input.consume(consumed);
            if status == Status::StreamEnd {
                // zlib has read up to the byte that holds the stream's last bit: the trailer
                // follows it, and must end the blob (further members go the sequential way).
                let end = self.end_base + self.inflate.total_in();
                self.isize = Some(read_final_trailer(self.blob, end)?);
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if consumed == 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "deflate data makes no progress"));
            }
        }
    }
}

/// The length field of the trailer at blob offset `at`, which must be the blob's last 8
/// bytes.
fn read_final_trailer(blob: &BlobFile, at: u64) -> io::Result<u32> {
    if at.checked_add(8) != Some(blob.len) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "the gzip member does not end the blob"));
    }
    let mut trailer = [0u8; 8];
    FileRegion::open(&blob.path, blob.offset + at, 8)?.read_exact(&mut trailer)?;
    Ok(u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]))
}

/// The blob's sha256, read on its own.
fn hash_blob(blob: &BlobFile) -> io::Result<Digest> {
    let mut region = FileRegion::open(&blob.path, blob.offset, blob.len)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = region.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(Digest::sha256_from_bytes(&hasher.finalize().into()))
}

enum Phase {
    /// Inflating from the start towards the pause.
    First,
    /// Serving the second thread's first bytes (markers resolved); its walk takes over at
    /// stream offset `handoff`.
    Prefix { bytes: Vec<u8>, at: usize, handoff: u64 },
    /// Inflating on alone from the pause, dropping `skip` bytes already served.
    Alone { skip: u64 },
    /// The walk ended at the hand-off.
    HandedOff,
}

/// The first thread's view of the layer: a buffered reader that pauses at the split point.
struct FirstHalf<'a, R> {
    gzip: DigestVerifiedGzip<R>,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    /// Stream offset of `buf[filled]`.
    offset: u64,
    /// The last 32 KiB served while approaching the pause.
    recent: Vec<u8>,
    phase: Phase,
    rendezvous: &'a Rendezvous,
    /// The layer's budget, and the second walk's share of it.
    budget: &'a Budget<'a>,
    child: &'a Budget<'a>,
    /// Whether the second walk's share has been taken back.
    refunded: bool,
    /// Stream offset of the pause.
    paused_at: u64,
    second: Option<SecondHalf>,
    /// Bytes of the second thread's output served before the hand-off.
    handed_over: u64,
    /// Why the second thread gave up after handing over, if it did.
    second_gave_up: Option<&'static str>,
    alone_because: &'static str,
}

impl<R: BufRead> FirstHalf<'_, R> {
    fn refill(&mut self) -> io::Result<()> {
        self.pos = 0;
        self.filled = 0;
        loop {
            match &mut self.phase {
                Phase::First => {
                    let approaching = self.gzip.in_stop_approach();
                    let n = self.gzip.read(&mut self.buf)?;
                    if n > 0 {
                        if approaching || self.gzip.in_stop_approach() {
                            keep_last_window(&mut self.recent, &self.buf[..n]);
                        }
                        self.serve(0, n);
                        if self.gzip.stop_outcome() == StopOutcome::Missed {
                            self.go_alone(0, "no block of the first half ends where the second thread started");
                        }
                        return Ok(());
                    }
                    match self.gzip.stop_outcome() {
                        StopOutcome::NeedsTarget => match self.rendezvous.wait(|slots| slots.start) {
                            Ok(bit) => self.gzip.set_stop_target(bit.div_ceil(8)),
                            Err(why) => self.go_alone(0, why),
                        },
                        StopOutcome::Reached(paused_at) => self.take_handover(paused_at),
                        // The end of the stream, before any pause.
                        StopOutcome::Running | StopOutcome::Missed => {
                            self.go_alone(0, "the stream ended before the pause");
                            return Ok(());
                        }
                    }
                }
                Phase::Prefix { bytes, at, .. } => {
                    if *at < bytes.len() {
                        let n = (bytes.len() - *at).min(self.buf.len());
                        self.buf[..n].copy_from_slice(&bytes[*at..*at + n]);
                        *at += n;
                        self.serve(0, n);
                        return Ok(());
                    }
                    // The walk needs bytes past the hand-off point: it did not land on the
                    // second walk's first header, so the second walk is of no use.
                    let skip = bytes.len() as u64;
                    let why =
                        self.second_gave_up.unwrap_or("the walk did not land on the second thread's first header");
                    self.go_alone(skip, why);
                }
                Phase::Alone { skip } => {
                    let n = self.gzip.read(&mut self.buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    let dropped = usize::try_from(*skip).unwrap_or(usize::MAX).min(n);
                    *skip -= dropped as u64;
                    if dropped < n {
                        self.serve(dropped, n);
                        return Ok(());
                    }
                }
                Phase::HandedOff => return Ok(()),
            }
        }
    }

    /// Stops the second thread and takes back what its walk charged, so that walking on
    /// alone meets the bounds exactly as one thread would. (It stops within one read once
    /// abandoned; its earlier steps are bounded.)
    fn stop_second(&mut self) {
        self.rendezvous.abandon.store(true, Ordering::Relaxed);
        if !self.refunded {
            self.rendezvous.wait(|slots| slots.stopped.then_some(()));
            self.budget.refund(self.child);
            self.refunded = true;
        }
    }

    fn serve(&mut self, from: usize, to: usize) {
        self.pos = from;
        self.filled = to;
        self.offset += (to - from) as u64;
    }

    fn go_alone(&mut self, skip: u64, why: &'static str) {
        tracing::debug!(why, offset = self.offset, "layer split: the first thread inflates on alone");
        self.alone_because = why;
        self.stop_second();
        self.gzip.clear_stop();
        self.phase = Phase::Alone { skip };
    }

    /// At the pause: takes the second thread's first bytes and resolves their markers.
    fn take_handover(&mut self, paused_at: u64) {
        self.paused_at = paused_at;
        let handover = match self.rendezvous.wait(|slots| slots.handover.take()) {
            Ok(handover) => handover,
            Err(why) => return self.go_alone(0, why),
        };
        let resolved = Some(handover).and_then(|h| {
            // Everything inflated so far has been served; the markers index the 32 KiB
            // before the pause.
            if paused_at != self.offset {
                return None;
            }
            let missing = WINDOW - self.recent.len().min(WINDOW);
            let mut bytes = Vec::with_capacity(h.markers.len() + h.bytes.len());
            for symbol in h.markers {
                bytes.push(match symbol.checked_sub(MARKER_BASE) {
                    None => symbol as u8,
                    Some(index) => *self.recent.get(usize::from(index).checked_sub(missing)?)?,
                });
            }
            bytes.extend_from_slice(&h.bytes);
            Some(bytes)
        });
        match resolved {
            Some(bytes) => {
                let handoff = paused_at + bytes.len() as u64;
                self.handed_over = bytes.len() as u64;
                self.phase = Phase::Prefix { bytes, at: 0, handoff };
            }
            None => self.go_alone(0, "the markers reach before the first thread's output"),
        }
    }
}

/// Keeps the last [`WINDOW`] bytes of what passes.
fn keep_last_window(recent: &mut Vec<u8>, chunk: &[u8]) {
    if chunk.len() >= WINDOW {
        recent.clear();
        recent.extend_from_slice(&chunk[chunk.len() - WINDOW..]);
    } else {
        recent.extend_from_slice(chunk);
        if recent.len() > WINDOW {
            recent.drain(..recent.len() - WINDOW);
        }
    }
}

impl<R: BufRead> Read for FirstHalf<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for FirstHalf<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            self.refill()?;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.filled);
    }
}

impl<R: BufRead> SkipRead for FirstHalf<'_, R> {
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let available = self.fill_buf()?.len();
            if available == 0 {
                break;
            }
            let take = usize::try_from(left).map_or(available, |l| l.min(available));
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }

    fn hands_off_at(&mut self, pos: u64) -> bool {
        let drained = self.pos == self.filled;
        // An entry that starts right at the pause: move on to the second thread's bytes now.
        if drained
            && matches!(self.phase, Phase::First)
            && let StopOutcome::Reached(paused_at) = self.gzip.stop_outcome()
        {
            self.take_handover(paused_at);
        }
        let Phase::Prefix { handoff, .. } = self.phase else { return false };
        if pos != handoff || !drained {
            return false;
        }
        match self.rendezvous.wait(|slots| slots.finished.take()) {
            Ok(second) => {
                tracing::debug!(at = pos, "layer split: the second thread's walk takes over");
                self.second = Some(second);
                self.phase = Phase::HandedOff;
                true
            }
            Err(why) => {
                self.second_gave_up = Some(why);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;

    use super::*;
    use crate::tar::tests::entry;
    use crate::walk::walk_blob_with;

    /// Keeps files named `*.wanted` and dpkg's status, and extracts executables, as the
    /// catalogers do.
    struct Catalogers;
    impl Interest for Catalogers {
        fn wants(&self, path: &str, _size: u64) -> bool {
            path.ends_with(".wanted") || path == "var/lib/dpkg/status"
        }
        fn extracts_executables(&self) -> bool {
            true
        }
        fn extract_executable(&self, path: &str, bytes: &[u8]) -> Option<Vec<u8>> {
            Some(format!("{path}: {} bytes, last {:?}", bytes.len(), bytes.last()).into_bytes())
        }
    }

    fn file(name: &str, data: &[u8]) -> Vec<u8> {
        entry(name, b'0', data, 0o644, "")
    }

    /// Text that compresses as documents do: a vocabulary of a few thousand words used
    /// with a skewed frequency. (A tiny vocabulary would be all copies and no literals, and
    /// markers never fade from such output: see `Alone("no hand-over …")`.)
    fn words(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            let r = next() % 4096;
            let word = r * r / 4096; // frequent words first
            let mut w = word.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            for _ in 0..2 + word % 8 {
                out.push(b'a' + (w % 26) as u8);
                w /= 26;
            }
            out.push(if next() % 13 == 0 { b'\n' } else { b' ' });
        }
        out.truncate(len);
        out
    }

    /// Bytes that barely compress, as binaries' code does.
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// A layer like a distribution's base: directories, executables, compressed documents,
    /// text, links, whiteouts, wanted files spread through it.
    fn base_layer() -> Vec<u8> {
        let mut tar = entry("usr/", b'5', b"", 0o755, "");
        for i in 0..600u64 {
            let dir = ["usr/share/doc/p", "usr/lib/x86_64-linux-gnu/l", "etc/c"][(i % 3) as usize];
            let size = (i * 7919 % 24_000) as usize;
            match i % 10 {
                0 | 5 => {
                    // Executables of 20-80 KB: runs of output with no copy from 32 KiB back,
                    // where markers fade (in a layer of small files only, copies from header
                    // to header carry them on forever; `text_only_layers_…` below).
                    let elf = [b"\x7fELF", &noise(i, 20_000 + (i * 7919) as usize % 60_000)[..]].concat();
                    tar.extend(entry(&format!("usr/bin/tool{i}"), b'0', &elf, 0o755, ""));
                }
                1 => tar.extend(file(&format!("{dir}{i}/status.wanted"), &words(i, size / 4))),
                2 => tar.extend(entry(&format!("usr/bin/link{i}"), b'2', b"", 0o777, &format!("tool{}", i - 2))),
                3 => {
                    tar.extend(entry(&format!("usr/bin/hard{i}"), b'1', b"", 0o755, &format!("usr/bin/tool{}", i - 3)))
                }
                4 => tar.extend(file(&format!("{dir}{i}/.wh.gone"), b"")),
                6 | 7 => {
                    let gz: Vec<u8> = noise(i, size).iter().map(|b| b.wrapping_mul(7)).collect();
                    tar.extend(file(&format!("{dir}{i}/changelog.gz"), &gz));
                }
                _ => tar.extend(file(&format!("{dir}{i}/file"), &words(i, size / 4))),
            }
        }
        tar.extend_from_slice(&[0u8; 1024]);
        tar
    }

    fn gzip(data: &[u8], level: u32) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    fn blob(dir: &std::path::Path, bytes: &[u8], verify: bool) -> BlobFile {
        let path = dir.join(format!("blob-{}", bytes.len()));
        std::fs::write(&path, bytes).unwrap();
        let digest = Digest::sha256_from_bytes(&Sha256::digest(bytes).into());
        BlobFile {
            path: Arc::from(path.as_path()),
            offset: 0,
            len: bytes.len() as u64,
            verify: verify.then_some(digest),
        }
    }

    type Walked = Result<(String, [u64; 3]), String>;

    /// Every entry as text, and the budget used.
    fn show(result: Result<LayerIndex, WalkError>, budget: &Budget) -> Walked {
        let index = result.map_err(|e| e.to_string())?;
        Ok((format!("{:#?}\n{:?}", index.entries, index.clamped_paths), budget.used()))
    }

    /// The layer walked by one thread (the blob is below the split size) and split at
    /// `split_at`.
    fn both(blob: &BlobFile, split_at: u64) -> (Walked, Walked, Option<SplitOutcome>) {
        let limits = Limits::default();
        let one = Budget::default();
        let sequential = show(walk_blob_with(blob, "layer", &Catalogers, &limits, &one, false), &one);
        let two = Budget::default();
        let split = walk_split(blob, split_at, "layer", &Catalogers, &limits, &two);
        let outcome = split.as_ref().ok().map(|(_, o)| *o);
        (sequential, show(split.map(|(i, _)| i), &two), outcome)
    }

    #[test]
    fn a_split_layer_is_walked_exactly_as_by_one_thread_at_any_split_point() {
        let dir = tempfile::tempdir().unwrap();
        let tar = base_layer();
        for level in [6, 9] {
            let gz = gzip(&tar, level);
            let blob = blob(dir.path(), &gz, true);
            let mut handed_off = 0;
            let points = 16;
            for k in 1..points {
                let split_at = blob.len * k / points;
                let (sequential, split, outcome) = both(&blob, split_at);
                assert!(sequential.is_ok(), "{sequential:?}");
                assert!(split == sequential, "level {level}, split at {split_at}: {outcome:?}");
                if matches!(outcome, Some(SplitOutcome::HandedOff(_))) {
                    handed_off += 1;
                }
            }
            // Points near the end leave too little for a block start and the markers; a
            // point inside a large executable can put its header search past it.
            assert!(handed_off >= points * 2 / 3, "level {level}: only {handed_off} of {} split", points - 1);
        }
    }

    #[test]
    fn the_debian_base_layer_is_split_and_walked_exactly_as_by_one_thread() {
        let Some(shared) = chainward_testkit::shared_dir() else { return };
        // The largest blob of the corpus layout: debian 12's base layer (28 MB of gzip).
        let blobs = shared.join("images/oci/blobs/sha256");
        let largest = std::fs::read_dir(&blobs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .max_by_key(|p| std::fs::metadata(p).unwrap().len())
            .unwrap();
        let bytes_len = std::fs::metadata(&largest).unwrap().len();
        let digest = format!("sha256:{}", largest.file_name().unwrap().to_string_lossy());
        let blob = BlobFile {
            path: Arc::from(largest.as_path()),
            offset: 0,
            len: bytes_len,
            verify: Some(digest.parse().unwrap()),
        };
        assert!(worth_splitting(blob.len), "{} bytes", blob.len);
        for split_at in [blob.len / 3, blob.len / 2, blob.len * 3 / 4] {
            let (sequential, split, outcome) = both(&blob, split_at);
            assert!(sequential.as_ref().is_ok_and(|(s, _)| s.contains("var/lib/dpkg/status")), "{sequential:?}");
            assert!(split == sequential, "split at {split_at}: {outcome:?}");
            assert!(matches!(outcome, Some(SplitOutcome::HandedOff(_))), "split at {split_at}: {outcome:?}");
        }
    }

    #[test]
    fn text_only_layers_of_small_files_fall_back_to_one_thread() {
        // Every header copies fields of the one before it, less than 32 KiB back: the markers
        // of the unknown window never fade, and the first thread inflates on alone.
        let mut tar = Vec::new();
        for i in 0..8000u64 {
            tar.extend(file(&format!("node_modules/p{}/index{i}.js", i % 97), &words(i, 2000)));
        }
        tar.extend_from_slice(&[0u8; 1024]);
        let dir = tempfile::tempdir().unwrap();
        let blob = blob(dir.path(), &gzip(&tar, 6), true);
        let (sequential, split, outcome) = both(&blob, blob.len / 2);
        assert!(sequential.is_ok(), "{sequential:?}");
        assert!(split == sequential);
        assert_eq!(outcome, Some(SplitOutcome::Alone("the output kept markers of the unknown window")));
    }

    #[test]
    fn a_tar_inside_a_file_across_the_split_point_is_not_taken_for_the_layer() {
        // The second thread's first header is a header of the archive inside the file; the
        // first walk skips the file's body past it and so never lands there.
        let tar = a_tar_inside_a_file();
        let dir = tempfile::tempdir().unwrap();
        let gz = gzip(&tar, 6);
        let blob = blob(dir.path(), &gz, true);
        let (sequential, split, outcome) = both(&blob, blob.len / 2);
        assert!(sequential.as_ref().is_ok_and(|(s, _)| !s.contains("inner/")), "{sequential:?}");
        assert!(split == sequential);
        assert_eq!(outcome, Some(SplitOutcome::Alone("the walk did not land on the second thread's first header")));
    }

    /// A layer whose middle is one file holding a tar archive of its own (wanted files, no
    /// copies between them, so the second thread's output is free of markers there).
    fn a_tar_inside_a_file() -> Vec<u8> {
        let mut inner = Vec::new();
        for i in 0..60u64 {
            inner.extend(file(&format!("inner/{i}.wanted"), &noise(i, 40_000)));
        }
        inner.extend_from_slice(&[0u8; 1024]);
        let mut tar = file("before.wanted", &words(1, 20_000));
        tar.extend(file("archive.tar", &inner));
        tar.extend(file("after.wanted", &words(2, 20_000)));
        tar.extend_from_slice(&[0u8; 1024]);
        tar
    }

    #[test]
    fn a_fallback_meets_the_bounds_as_one_thread_does() {
        // The second thread walks the archive inside the file (entries and kept files that
        // are not the layer's) before the first thread falls back: what it charged is taken
        // back, so bounds set to exactly the one-thread walk's use still hold.
        let tar = a_tar_inside_a_file();
        let dir = tempfile::tempdir().unwrap();
        let blob = blob(dir.path(), &gzip(&tar, 6), true);
        let one = Budget::default();
        let sequential = show(walk_blob_with(&blob, "layer", &Catalogers, &Limits::default(), &one, false), &one);
        let [bytes, entries, kept] = one.used();
        let limits = Limits { max_image_size: bytes, max_entries: entries, max_kept_size: kept, ..Limits::default() };
        let two = Budget::default();
        let split = walk_split(&blob, blob.len / 2, "layer", &Catalogers, &limits, &two);
        let outcome = split.as_ref().ok().map(|(_, o)| *o);
        assert!(matches!(outcome, Some(SplitOutcome::Alone(_))), "{outcome:?}");
        assert!(show(split.map(|(i, _)| i), &two) == sequential);
    }

    #[test]
    fn a_pax_global_header_keeps_the_walk_on_one_thread() {
        // A global `path` renames every later entry; the second walk would not know it.
        let mut tar = entry("pax_global_header", b'g', b"23 path=renamed.wanted\n", 0o644, "");
        tar.extend(base_layer());
        let dir = tempfile::tempdir().unwrap();
        let gz = gzip(&tar, 6);
        let blob = blob(dir.path(), &gz, true);
        let (sequential, split, outcome) = both(&blob, blob.len / 2);
        assert!(sequential.as_ref().is_ok_and(|(s, _)| s.contains("renamed.wanted")), "{sequential:?}");
        assert!(split == sequential);
        assert!(matches!(outcome, Some(SplitOutcome::Alone(_))), "{outcome:?}");
    }

    #[test]
    fn several_gzip_members_are_walked_alone_and_alike() {
        let tar = base_layer();
        let cut = tar.len() / 3 / 512 * 512;
        let mut gz = gzip(&tar[..cut], 6);
        gz.extend(gzip(&tar[cut..], 6));
        let dir = tempfile::tempdir().unwrap();
        let blob = blob(dir.path(), &gz, true);
        for split_at in [blob.len / 5, blob.len / 2] {
            let (sequential, split, outcome) = both(&blob, split_at);
            assert!(sequential.is_ok(), "{sequential:?}");
            assert!(split == sequential, "split at {split_at}");
            assert!(matches!(outcome, Some(SplitOutcome::Alone(_))), "{outcome:?}");
        }
    }

    #[test]
    fn damage_anywhere_gives_the_one_thread_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = gzip(&base_layer(), 6);
        let len = good.len();
        let mut flipped = good.clone();
        for at in [len * 3 / 4, len * 3 / 4 + 1000, len * 3 / 4 + 2000] {
            flipped[at] ^= 0x55;
        }
        // A stretch of 0xff in the middle of the second half: a stored block's bytes or a
        // broken block, by where it falls.
        let mut overwritten = good.clone();
        for b in &mut overwritten[len * 3 / 4..len * 3 / 4 + 64] {
            *b = 0xff;
        }
        let mut wrong_length = good.clone();
        wrong_length[len - 1] ^= 1;
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk");
        // Unverified and without the CRC (see `crate::gzip`), a flipped byte may inflate to
        // other bytes without an error: the split must give those same bytes.
        for (what, bytes) in [("flipped", flipped), ("overwritten", overwritten)] {
            let damaged = blob(dir.path(), &bytes, false);
            let (sequential, split, _) = both(&damaged, damaged.len / 2);
            assert_eq!(split, sequential, "{what}");
        }
        for (what, bytes) in
            [("truncated", good[..len * 7 / 8].to_vec()), ("wrong length", wrong_length), ("trailing", trailing)]
        {
            // Unverified (a registry download is checked before the walk): the damage
            // reaches the inflater.
            let blob = blob(dir.path(), &bytes, false);
            let (sequential, split, outcome) = both(&blob, blob.len / 2);
            // The same cause; where it is named may differ (the split checks the trailer's
            // length once both halves are in, naming the blob rather than a tar offset).
            let cause = |r: &Walked| r.as_ref().err().and_then(|e| e.rsplit(": ").next()).map(str::to_owned);
            assert!(cause(&sequential).is_some(), "{what}: {sequential:?}");
            assert_eq!(cause(&split), cause(&sequential), "{what}: {outcome:?}");
        }
        // Verified: the digest is named.
        let mut tampered = blob(dir.path(), &good, true);
        tampered.verify = Some(Digest::sha256_from_bytes(&[7; 32]));
        let (_, split, _) = both(&tampered, tampered.len / 2);
        assert!(split.unwrap_err().contains("digest"));
    }

    #[test]
    fn bounds_hold_across_both_threads() {
        let dir = tempfile::tempdir().unwrap();
        let tar = base_layer();
        let blob = blob(dir.path(), &gzip(&tar, 6), true);
        let entries = 601; // the directory and 600 entries
        for max_entries in [entries, entries - 1] {
            let limits = Limits { max_entries, ..Limits::default() };
            let split = walk_split(&blob, blob.len / 2, "layer", &Catalogers, &limits, &Budget::default());
            match split {
                Ok((_, outcome)) => {
                    assert_eq!(max_entries, entries);
                    assert!(matches!(outcome, SplitOutcome::HandedOff(_)), "{outcome:?}");
                }
                Err(e) => {
                    assert_eq!(max_entries, entries - 1);
                    assert!(matches!(e, WalkError::TooManyEntries { .. }), "{e}");
                }
            }
        }
    }
}
