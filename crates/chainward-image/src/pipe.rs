//! A reader on its own thread: the stage that reads and hashes a layer blob while another
//! thread inflates and walks it.
//!
//! Inflating is the slow part of reading a compressed layer; hashing on the second core
//! keeps the digest check off its path. (A third stage, walking the tar apart from the
//! inflater, was measured and gained nothing: the walk costs ~4 % of the inflate, less than
//! the extra wake-ups.) Chunks are recycled through a return channel: fresh 256 KiB buffers
//! would be mapped, faulted in and zeroed for every chunk.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Size of the chunks passed between stages.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight: how far a stage may run ahead of the next.
const DEPTH: usize = 4;

/// Watches every byte that passes a stage (e.g. hashes it).
pub(crate) trait Observer: Send + 'static {
    /// What the observer reports once the source is exhausted.
    type Output: Send + 'static;
    /// Sees the next bytes of the source.
    fn update(&mut self, bytes: &[u8]);
    /// Reports after the last byte.
    fn finish(self) -> Self::Output;
}

/// The thread of one stage; `finish` joins it.
pub(crate) struct Stage<T> {
    handle: JoinHandle<io::Result<T>>,
}

impl<T> Stage<T> {
    /// Waits for the stage to read its source to the end.
    pub(crate) fn finish(self) -> io::Result<T> {
        match self.handle.join() {
            Ok(result) => result,
            Err(_) => Err(io::Error::other("a layer reading thread panicked")),
        }
    }
}

/// Starts a stage that reads `source` to its end on its own thread. When the reader goes
/// away before the end, the stage still reads on for the observer: a digest is checked even
/// after a failed walk, and a mismatch is the better explanation of the failure.
pub(crate) fn spawn<S, O>(mut source: S, mut observer: O) -> (ChunkReader, Stage<O::Output>)
where
    S: Read + Send + 'static,
    O: Observer,
{
    let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
    let (recycle_tx, recycle_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
    let handle = std::thread::spawn(move || {
        let mut consumer_gone = false;
        loop {
            // A recycled chunk keeps its length, so it is not zeroed again.
            let mut buf = recycle_rx.try_recv().unwrap_or_default();
            buf.resize(CHUNK, 0);
            let n = match fill(&mut source, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    let copy = io::Error::new(e.kind(), e.to_string());
                    let _ = tx.send(Err(e));
                    return Err(copy);
                }
            };
            if n == 0 {
                return Ok(observer.finish());
            }
            buf.truncate(n);
            observer.update(&buf);
            if !consumer_gone && tx.send(Ok(buf)).is_err() {
                consumer_gone = true;
            }
        }
    });
    let reader = ChunkReader { rx, recycle: recycle_tx, chunk: Vec::new(), pos: 0 };
    (reader, Stage { handle })
}

/// Reads until `buf` is full or the source ends.
fn fill(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The consuming end of a stage: reads straight from the received chunks, without a copy.
pub(crate) struct ChunkReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    recycle: SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(next)) => {
                    let used = std::mem::replace(&mut self.chunk, next);
                    if used.capacity() > 0 {
                        let _ = self.recycle.try_send(used);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The stage is done: end of stream.
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.chunk.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Count(u64);
    impl Observer for Count {
        type Output = u64;
        fn update(&mut self, bytes: &[u8]) {
            self.0 += bytes.len() as u64;
        }
        fn finish(self) -> u64 {
            self.0
        }
    }

    #[test]
    fn passes_every_byte_in_order_and_reports_the_observer() {
        let data: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 253) as u8).collect();
        let (mut reader, stage) = spawn(io::Cursor::new(data.clone()), Count(0));
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(stage.finish().unwrap(), data.len() as u64);
    }

    #[test]
    fn an_abandoned_stage_still_reads_to_the_end_for_its_observer() {
        let data = vec![7u8; 40 * CHUNK];
        let (mut reader, stage) = spawn(io::Cursor::new(data.clone()), Count(0));
        let mut first = [0u8; 10];
        reader.read_exact(&mut first).unwrap();
        drop(reader);
        assert_eq!(stage.finish().unwrap(), data.len() as u64);
    }

    #[test]
    fn a_source_error_reaches_the_reader_and_the_stage() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt deflate data"));
                }
                let n = buf.len().min(self.0);
                self.0 -= n;
                Ok(n)
            }
        }
        let (mut reader, stage) = spawn(Failing(CHUNK + 5), Count(0));
        let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("corrupt deflate"), "{err}");
        assert!(stage.finish().unwrap_err().to_string().contains("corrupt deflate"));
    }
}
