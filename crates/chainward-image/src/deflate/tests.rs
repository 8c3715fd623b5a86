//! The decoder against zlib-rs on real deflate streams: same bytes from the start, true
//! block boundaries found mid-stream, markers that resolve to the true bytes, zlib's
//! block-end reports within the byte window, and zlib started mid-stream by empty blocks.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use zlib_rs::{Inflate, InflateFlush, Status};

use super::bits::Bits;
use super::markers::MARKER_BASE;
use super::*;

/// Text and binary data that compresses the way layers do: this crate's sources, a
/// pseudo-random stretch, then the sources again (long-distance repeats).
fn corpus() -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut text = Vec::new();
    let mut paths: Vec<_> = walk(&dir);
    paths.sort();
    for p in paths {
        text.extend(std::fs::read(p).unwrap());
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 7) as u8 + b'a'
        })
        .collect();
    let mut data = text.clone();
    data.extend(noise);
    data.extend(text);
    data
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::new(level));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Every block start of a stream decoded from its beginning, with the output length there.
fn boundaries(stream: &[u8]) -> (Vec<(u64, usize)>, Vec<u16>) {
    let mut inflate = MarkerInflate::new(usize::MAX);
    let mut bits = Bits::new(stream, 0);
    let mut out = vec![(0, 0)];
    loop {
        let block = inflate.block(&mut bits).unwrap();
        out.push((bits.position(), inflate.out.len()));
        if block.last {
            return (out, inflate.out);
        }
    }
}

#[test]
fn decodes_from_the_start_exactly_as_zlib() {
    let data = corpus();
    for level in [1, 6, 9] {
        let stream = deflate(&data, level);
        let (marks, out) = boundaries(&stream);
        // zlib-rs's level 1 ("quick") writes one long fixed-Huffman block.
        assert!(level == 1 || marks.len() > 3, "level {level}: several blocks");
        assert!(out.iter().all(|&s| s < MARKER_BASE), "nothing precedes the start");
        let bytes: Vec<u8> = out.iter().map(|&s| s as u8).collect();
        assert!(bytes == data, "level {level}: same bytes as the input");
    }
}

#[test]
fn a_block_found_mid_stream_is_a_true_boundary_and_its_markers_resolve() {
    let data = corpus();
    let stream = deflate(&data, 6);
    let (marks, _) = boundaries(&stream);
    let len_bits = stream.len() as u64 * 8;
    for from in [len_bits / 3, len_bits / 2, len_bits * 2 / 3] {
        let start = find_block_start(&stream, from, len_bits).expect("a block start");
        let Some(&(_, offset)) = marks.iter().find(|(bit, _)| *bit == start) else {
            panic!("{start} is not a true block boundary ({from})");
        };
        let (inflate, progress) = MarkerInflate::run(&stream, start, usize::MAX).unwrap();
        let window = &data[offset - WINDOW..offset];
        let resolved: Vec<u8> = inflate
            .out
            .iter()
            .map(|&s| if s < MARKER_BASE { s as u8 } else { window[usize::from(s - MARKER_BASE)] })
            .collect();
        assert!(resolved == data[offset..offset + resolved.len()], "markers resolve to the true bytes");
        if let Progress::MarkerFree { bit } = progress {
            assert!(marks.iter().any(|(b, _)| *b == bit), "marker-free at a true boundary");
            assert_eq!(
                inflate.window_bytes().unwrap(),
                data[offset + resolved.len() - WINDOW..offset + resolved.len()]
            );
        }
    }
}

#[test]
fn zlib_reports_each_block_end_within_its_byte_window() {
    let data = corpus();
    let stream = deflate(&data, 6);
    let (marks, _) = boundaries(&stream);
    let mut inflate = Inflate::new(false, 15);
    let mut out = vec![0u8; 1 << 20];
    let mut events = Vec::new();
    loop {
        let consumed = inflate.total_in() as usize;
        let input = &stream[consumed..];
        let before = inflate.total_out();
        let status = inflate.decompress(input, &mut out, InflateFlush::Block).unwrap();
        let used_in = inflate.total_in() as usize - consumed;
        let produced = (inflate.total_out() - before) as usize;
        if status == Status::StreamEnd {
            break;
        }
        if used_in < input.len() && produced < out.len() {
            events.push((inflate.total_in(), inflate.total_out()));
        }
    }
    let expected: Vec<(u64, u64)> =
        marks[1..marks.len() - 1].iter().map(|&(bit, offset)| (bit.div_ceil(8), offset as u64)).collect();
    assert_eq!(events, expected, "one report per block end: byte = ceil(bit / 8), same output length");
}

#[test]
fn empty_blocks_start_zlib_at_any_bit_with_the_window_as_dictionary() {
    let data = corpus();
    let mut residues_seen = [false; 8];
    for level in 2..=9 {
        let stream = deflate(&data, level);
        let (marks, _) = boundaries(&stream);
        for &(bit, offset) in &marks[1..marks.len() - 1] {
            let residue = (bit % 8) as usize;
            if residues_seen[residue] || offset < WINDOW {
                continue;
            }
            residues_seen[residue] = true;
            let k = (bit / 8) as usize;
            let prefix = filler::prefix_for(bit, stream[k]);
            let mut input = prefix.clone();
            input.extend_from_slice(&stream[k + 1..]);
            let mut inflate = Inflate::new(false, 15);
            inflate.set_dictionary(&data[offset - WINDOW..offset]).unwrap();
            let mut out = vec![0u8; data.len() - offset + 1];
            let status = inflate.decompress(&input, &mut out, InflateFlush::Finish).unwrap();
            assert_eq!(status, Status::StreamEnd, "residue {residue}");
            assert!(out[..inflate.total_out() as usize] == data[offset..], "residue {residue}: the true rest");
            let end = inflate.total_in() as usize - prefix.len() + k + 1;
            assert_eq!(end, stream.len(), "residue {residue}: input counted in the stream's own bytes");
        }
    }
    assert_eq!(residues_seen, [true; 8], "every residue met");
}

#[test]
fn hostile_bits_give_errors_not_panics() {
    let mut x: u32 = 1;
    for len in [0usize, 1, 7, 64, 4096] {
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8
            })
            .collect();
        for start in 0..16.min(len as u64 * 8) {
            let _ = MarkerInflate::run(&data, start, 1 << 20);
        }
        let _ = find_block_start(&data, 0, len as u64 * 8);
    }
    assert_eq!(MarkerInflate::run(&[0b110], 0, 10).err(), Some(DeflateError::InvalidBlockType));
}
