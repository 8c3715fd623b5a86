//! A block cache under `object`'s `ReadCache`, which reads every section name with its own
//! seek and read: an ELF with 30 sections costs 60 system calls. Small reads are served
//! from one aligned block kept in memory; large ones go to the file.

use std::io::{self, Read, Seek, SeekFrom};

const BLOCK: u64 = 16 * 1024;

/// Reads through one cached, block-aligned stretch of `inner`.
pub(crate) struct BlockCache<R> {
    inner: R,
    block: Vec<u8>,
    block_start: u64,
    pos: u64,
    len: Option<u64>,
}

impl<R: Read + Seek> BlockCache<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner, block: Vec::new(), block_start: 0, pos: 0, len: None }
    }

    fn cached(&self) -> Option<&[u8]> {
        let offset = usize::try_from(self.pos.checked_sub(self.block_start)?).ok()?;
        self.block.get(offset..).filter(|rest| !rest.is_empty())
    }
}

impl<R: Read + Seek> Read for BlockCache<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.cached().is_none() {
            if buf.len() as u64 >= BLOCK {
                self.inner.seek(SeekFrom::Start(self.pos))?;
                let n = self.inner.read(buf)?;
                self.pos += n as u64;
                return Ok(n);
            }
            let start = self.pos - self.pos % BLOCK;
            self.inner.seek(SeekFrom::Start(start))?;
            self.block.clear();
            (&mut self.inner).take(BLOCK).read_to_end(&mut self.block)?;
            self.block_start = start;
        }
        let Some(cached) = self.cached() else { return Ok(0) }; // past the end
        let n = cached.len().min(buf.len());
        buf[..n].copy_from_slice(&cached[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for BlockCache<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => {
                let len = match self.len {
                    Some(len) => len,
                    None => *self.len.insert(self.inner.seek(SeekFrom::End(0))?),
                };
                len.checked_add_signed(d)
            }
        };
        self.pos = target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_same_bytes_as_the_file_at_any_offset_and_length() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut cache = BlockCache::new(io::Cursor::new(&data));
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = x % 101_000;
            let len = [1, 7, 256, 4096, 20_000, 70_000][(x >> 40) as usize % 6];
            let expected: Vec<u8> = data.iter().skip(at as usize).take(len).copied().collect();
            cache.seek(SeekFrom::Start(at)).unwrap();
            let mut got = Vec::new();
            (&mut cache).take(len as u64).read_to_end(&mut got).unwrap();
            assert_eq!(got, expected, "{len} bytes at {at}");
        }
        assert_eq!(cache.seek(SeekFrom::End(-10)).unwrap(), 99_990);
        assert!(cache.seek(SeekFrom::Current(-200_000)).is_err());
    }
}
