//! The physical limit of reading an image's layers: inflate the given gzip blobs with the
//! same decoder chainward uses for digest-verified blobs (zlib-rs, gzip CRC left out), on as
//! many threads as there are cores, largest first, and write nothing. Used by `bench/sbom.py` to show how close `chainward
//! sbom` comes to the cost of decompression alone.
//!
//! `cargo run --release -p chainward-image --example inflate_limit -- BLOB...`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufReader, Read};
use std::sync::Mutex;
use std::time::Instant;

fn inflate(path: &str) -> u64 {
    let f = std::fs::File::open(path).expect("open blob");
    let mut dec = chainward_image::gzip::DigestVerifiedGzip::new(BufReader::with_capacity(256 * 1024, f));
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = dec.read(&mut buf).expect("inflate");
        if n == 0 {
            return total;
        }
        total += n as u64;
    }
}

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    files.sort_by_key(|f| std::cmp::Reverse(std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)));
    let queue = Mutex::new(files);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut sum = 0;
                    loop {
                        let next = queue.lock().unwrap().first().cloned();
                        let Some(f) = next else { return sum };
                        queue.lock().unwrap().retain(|x| *x != f);
                        sum += inflate(&f);
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    println!("{:.4} s, {total} bytes inflated", start.elapsed().as_secs_f64());
}
