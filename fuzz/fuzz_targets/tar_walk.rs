//! Fuzzes the layer walk and the merged tree with arbitrary bytes as one or two layers' tar
//! streams under small limits: the walk must never panic and must keep its bounds; the tree
//! built from what it read must resolve and read every path (and every link target, and
//! escapes of them) without panicking, without leaving the root and without reading more
//! than the file bound.
//!
//! Input: byte 0 holds flags (bit 0: recompute the header checksum of every 512-byte block,
//! so the fuzzer reaches past the checksum check; bit 1: two layers), bytes 1..3 the
//! length of the first layer when there are two; the rest is the tar data.
#![no_main]

use chainward_image::tar::Streaming;
use chainward_image::tree::{FileTree, NodeKind};
use chainward_image::walk::{Budget, Everything, LayerIndex, Limits, walk_tar};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_file_size: 64 * 1024,
    max_image_size: 4 * 1024 * 1024,
    max_entries: 2_000,
    max_kept_size: 1024 * 1024,
};

fn fix_checksums(data: &mut [u8]) {
    for block in data.chunks_exact_mut(512) {
        block[148..156].copy_from_slice(b"        ");
        let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
        let field = format!("{sum:06o}\0 ");
        block[148..156].copy_from_slice(field.as_bytes());
    }
}

fn walk(data: &[u8], budget: &Budget) -> Option<LayerIndex> {
    let (index, _) = walk_tar(Streaming(data), "fuzz", &Everything, &LIMITS, budget, None).ok()?;
    assert!(index.entries.len() as u64 <= LIMITS.max_entries);
    for e in &index.entries {
        assert!(!e.path.starts_with('/'), "{:?}", e.path);
        assert!(!e.path.split('/').any(|c| c == ".." || c == "."), "{:?}", e.path);
    }
    Some(index)
}

fn exercise(tree: &FileTree, path: &str) {
    match tree.resolve(path) {
        Ok(canonical) => {
            assert!(!canonical.starts_with('/'), "{path:?} → {canonical:?}");
            assert!(!canonical.split('/').any(|c| c == ".."), "{path:?} → {canonical:?}");
        }
        Err(_) => {}
    }
    if let Ok(bytes) = tree.read(path) {
        assert!(bytes.len() as u64 <= LIMITS.max_file_size);
    }
    let _ = tree.read_dir(path);
    let _ = tree.history(path);
    let _ = tree.layer_of(path);
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else { return };
    let mut data = rest.to_vec();
    if flags & 1 != 0 {
        fix_checksums(&mut data);
    }
    let budget = Budget::default();
    let layers: Vec<LayerIndex> = if flags & 2 != 0 && data.len() >= 2 {
        let split = usize::from(u16::from_le_bytes([data[0], data[1]])).min(data.len() - 2);
        let (a, b) = data[2..].split_at(split);
        [a, b].iter().filter_map(|l| walk(l, &budget)).collect()
    } else {
        walk(&data, &budget).into_iter().collect()
    };
    let tree = FileTree::from_layers(layers, LIMITS.max_file_size);
    let paths: Vec<(String, NodeKind)> = tree.iter().map(|(p, n)| (p.to_owned(), n.kind.clone())).collect();
    for (path, kind) in paths.iter().take(200) {
        exercise(&tree, path);
        exercise(&tree, &format!("/../{path}/."));
        if let NodeKind::Symlink(target) | NodeKind::Hardlink(target) = kind {
            exercise(&tree, target);
        }
    }
    exercise(&tree, "");
    exercise(&tree, "etc/os-release");
});
