//! Fuzzes the mid-stream deflate decoder that lets one gzip layer inflate on two threads.
//!
//! Input: byte 0 selects the mode. Even: the rest is arbitrary bits; finding a block start
//! and decoding with markers from any bit must not panic and must keep the output bound.
//! Odd: the rest is data to deflate (level from byte 1); a block start found in the
//! compressed stream must be a true block boundary, and its markers must resolve, with the
//! true window, to the true bytes.
#![no_main]

use std::io::Write;

use chainward_image::deflate::{MARKER_BASE, MarkerInflate, WINDOW, find_block_start};
use libfuzzer_sys::fuzz_target;

const BOUND: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        let bits = rest.len() as u64 * 8;
        let _ = find_block_start(rest, 0, bits);
        for start in [0, 1, 7, bits / 2] {
            if let Ok((out, _)) = MarkerInflate::run(rest, start, BOUND) {
                assert!(out.out.len() <= BOUND);
            }
        }
        return;
    }
    let Some((&level, plain)) = rest.split_first() else { return };
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(u32::from(level % 10)));
    encoder.write_all(plain).unwrap();
    let stream = encoder.finish().unwrap();
    let bits = stream.len() as u64 * 8;
    let Some(start) = find_block_start(&stream, bits / 3, bits) else { return };
    // The truth: every block boundary and the output length there, from the start.
    let (truth, _) = MarkerInflate::run(&stream, 0, usize::MAX).expect("zlib's own stream decodes");
    assert!(truth.out.iter().all(|&s| s < MARKER_BASE));
    let plain_out: Vec<u8> = truth.out.iter().map(|&s| s as u8).collect();
    assert_eq!(plain_out, plain);
    // Where the found start lies in the output: decode from it and compare the tail.
    let Ok((from, _)) = MarkerInflate::run(&stream, start, usize::MAX) else {
        panic!("a block start found at bit {start} does not decode to the end");
    };
    let offset = plain.len().checked_sub(from.out.len()).expect("no longer than the whole");
    for (k, &symbol) in from.out.iter().enumerate() {
        let expected = plain[offset + k];
        if symbol < MARKER_BASE {
            assert_eq!(symbol as u8, expected, "byte {k} after the start");
        } else {
            let index = usize::from(symbol - MARKER_BASE);
            let absolute = (offset + index).checked_sub(WINDOW).expect("markers stay inside the window");
            assert_eq!(plain[absolute], expected, "marker {k} after the start");
        }
    }
});
