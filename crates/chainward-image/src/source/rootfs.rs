//! `rootfs:DIR`: an unpacked root filesystem, read in place. Symlinks are recorded, never
//! followed while walking; contents are read lazily with `O_NOFOLLOW`.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::source::SourceError;
use crate::tree::{FileTree, NodeKind};
use crate::walk::Limits;

/// Walks `root` into a tree (no file contents are read here).
pub(crate) fn load(root: &Path, limits: &Limits) -> Result<FileTree, SourceError> {
    let meta = std::fs::metadata(root).map_err(|source| SourceError::Io { path: root.to_path_buf(), source })?;
    if !meta.is_dir() {
        return Err(SourceError::Invalid {
            what: root.display().to_string(),
            reason: "rootfs: needs a directory".into(),
        });
    }
    let mut nodes = BTreeMap::new();
    // Iterative depth-first walk: no recursion depth to exhaust on deep trees.
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let read = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            // An unreadable directory is skipped (as Syft and Trivy do) rather than failing the scan.
            Err(e) => {
                tracing::warn!("rootfs: cannot read {}: {e}", dir.display());
                continue;
            }
        };
        for entry in read {
            let entry = entry.map_err(|source| SourceError::Io { path: dir.clone(), source })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path_rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let full = entry.path();
            let Ok(md) = std::fs::symlink_metadata(&full) else { continue };
            let ft = md.file_type();
            let kind = if ft.is_dir() {
                stack.push((full.clone(), path_rel.clone()));
                NodeKind::Dir
            } else if ft.is_symlink() {
                let target = std::fs::read_link(&full).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
                NodeKind::Symlink(target)
            } else if ft.is_file() {
                NodeKind::File
            } else {
                // Devices, FIFOs and sockets: recorded, never read.
                NodeKind::Other
            };
            let content = (kind == NodeKind::File).then(|| full.clone());
            nodes.insert(path_rel, FileTree::disk_node(kind, md.len(), md.mode(), content));
            if nodes.len() as u64 > limits.max_entries {
                return Err(SourceError::Invalid {
                    what: root.display().to_string(),
                    reason: format!("more than {} entries", limits.max_entries),
                });
            }
        }
    }
    Ok(FileTree::from_nodes(nodes, limits.max_file_size))
}
