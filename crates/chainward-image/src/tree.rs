//! The merged, read-only view of an image's final filesystem: layers applied in order with
//! OCI whiteout semantics (image-spec layer.md "Whiteouts"), never unpacked to disk.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::walk::FileRegion;
use crate::walk::{EntryKind, LayerIndex, normalize_path};

/// The kind of a node in the merged tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link with its raw target.
    Symlink(String),
    /// A hard link to another path of the tree (normalised).
    Hardlink(String),
    /// A device, FIFO or other special file.
    Other,
}

/// Where a file's bytes can be had.
#[derive(Debug, Clone)]
pub enum Content {
    /// Nothing kept (not wanted, in a compressed layer).
    None,
    /// Wanted, but larger than the file-size bound.
    TooLarge,
    /// Kept in memory.
    Captured(Arc<[u8]>),
    /// A region of an uncompressed layer on disk.
    Region {
        /// The file.
        path: Arc<Path>,
        /// Where the data starts.
        offset: u64,
        /// Its length.
        len: u64,
    },
    /// A file of an unpacked root filesystem.
    Disk(PathBuf),
    /// Not the file, but what [`crate::Interest::extract_executable`] derived from it.
    Extracted(Arc<[u8]>),
}

/// A node of the merged tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// File size.
    pub size: u64,
    /// Mode bits.
    pub mode: u32,
    /// Index of the layer that last wrote it (into the image's layer list).
    pub layer: Option<usize>,
    content: Content,
    /// Earlier kept versions of this file from lower layers, oldest first, back to the
    /// last time the path was deleted. Package databases are rewritten by every layer that
    /// installs something; their history tells which layer introduced each package.
    earlier: Vec<(usize, Arc<[u8]>)>,
}

/// Why a file of the tree could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No such path in the final filesystem.
    #[error("{path}: no such file in the image")]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// The path is a directory or special file.
    #[error("{path}: not a regular file")]
    NotAFile {
        /// The path asked for.
        path: String,
    },
    /// Symlinks nest deeper than 40 hops (Linux's MAXSYMLINKS), or loop.
    #[error("{path}: too many levels of symbolic links (a loop?)")]
    SymlinkLoop {
        /// The path asked for.
        path: String,
    },
    /// The path, a link target on the way, or the path they resolve to is longer than
    /// [`MAX_PATH`] bytes, or resolving it walks more than [`MAX_RESOLVE_STEPS`] components.
    #[error(
        "{path}: the path or a link on the way is too long to resolve (over {MAX_PATH} bytes or {MAX_RESOLVE_STEPS} components)"
    )]
    NameTooLong {
        /// The path asked for.
        path: String,
    },
    /// The file's content was not kept during the walk (no cataloger asked for it).
    #[error("{path}: content not kept during the layer walk")]
    NotCaptured {
        /// The path asked for.
        path: String,
    },
    /// The file is larger than the file-size bound.
    #[error("{path}: {size} bytes is over the {limit}-byte file-size bound (raise --max-file-size)")]
    TooLarge {
        /// The path asked for.
        path: String,
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// Reading from disk failed.
    #[error("{path}: {source}")]
    Io {
        /// The path asked for.
        path: String,
        /// The IO error.
        source: io::Error,
    },
}

const MAX_SYMLINK_HOPS: usize = 40;

/// Linux's PATH_MAX: the longest path or link target [`FileTree::resolve`] takes, and the
/// longest path it resolves to (Linux refuses longer ones with ENAMETOOLONG).
pub const MAX_PATH: usize = 4096;

/// The most components one [`FileTree::resolve`] walks through, links' targets included: a
/// PATH_MAX path of one-letter names and a few links stay far below it.
pub const MAX_RESOLVE_STEPS: usize = 8192;

/// One version of a file: the layer that wrote it (none for a rootfs) and its bytes.
pub type FileVersion<'a> = (Option<usize>, Cow<'a, [u8]>);

/// The merged filesystem.
#[derive(Debug, Default)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
    max_file_size: u64,
    /// Paths clamped inside the root while walking, for warnings.
    pub clamped_paths: Vec<String>,
}

fn remove_subtree(nodes: &mut BTreeMap<String, Node>, dir: &str, include_self: bool) {
    if include_self {
        nodes.remove(dir);
    }
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let doomed: Vec<String> =
        nodes.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect();
    for k in doomed {
        nodes.remove(&k);
    }
}

impl Node {
    /// Whether anything of the file is at hand: its bytes (kept in memory, or on disk), an
    /// extract, or the fact that it was too large to keep. False for what a compressed layer
    /// streamed past unkept.
    pub fn has_content(&self) -> bool {
        !matches!(self.content, Content::None)
    }
}

impl FileTree {
    /// Applies layer indexes bottom first. Whiteouts of a layer hide only lower layers'
    /// entries, wherever they appear in the layer's archive (image-spec layer.md).
    pub fn from_layers(layers: Vec<LayerIndex>, max_file_size: u64) -> Self {
        let mut tree = FileTree { max_file_size, ..Default::default() };
        for (layer_no, layer) in layers.into_iter().enumerate() {
            tree.clamped_paths.extend(layer.clamped_paths);
            for e in &layer.entries {
                match e.kind {
                    EntryKind::Whiteout => remove_subtree(&mut tree.nodes, &e.path, true),
                    EntryKind::OpaqueWhiteout => remove_subtree(&mut tree.nodes, &e.path, false),
                    EntryKind::Node(_) => {}
                }
            }
            for e in layer.entries {
                let EntryKind::Node(kind) = e.kind else { continue };
                if kind != NodeKind::Dir {
                    // A file over a directory (listed or implicit) removes what it held.
                    remove_subtree(&mut tree.nodes, &e.path, false);
                }
                let mut earlier = Vec::new();
                if let (Content::Captured(_), Some(old)) = (&e.content, tree.nodes.get_mut(&e.path))
                    && let (Content::Captured(old_bytes), Some(old_layer)) = (&old.content, old.layer)
                {
                    earlier = std::mem::take(&mut old.earlier);
                    earlier.push((old_layer, old_bytes.clone()));
                }
                tree.nodes.insert(
                    e.path,
                    Node { kind, size: e.size, mode: e.mode, layer: Some(layer_no), content: e.content, earlier },
                );
            }
        }
        tree
    }

    /// A tree built node by node (the rootfs source).
    pub(crate) fn from_nodes(nodes: BTreeMap<String, Node>, max_file_size: u64) -> Self {
        FileTree { nodes, max_file_size, clamped_paths: Vec::new() }
    }

    pub(crate) fn disk_node(kind: NodeKind, size: u64, mode: u32, content_path: Option<PathBuf>) -> Node {
        Node {
            kind,
            size,
            mode,
            layer: None,
            content: content_path.map_or(Content::None, Content::Disk),
            earlier: Vec::new(),
        }
    }

    /// How many nodes the tree holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node at `path` without following symlinks.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(normalize_path(path).0.as_str())
    }

    /// Every node, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The direct children of a directory (after resolving symlinks in `dir`).
    pub fn read_dir(&self, dir: &str) -> Result<Vec<(&str, &Node)>, ReadError> {
        let dir = self.resolve(dir)?;
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        Ok(self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(k, v)| (k.as_str(), v))
            .collect())
    }

    /// Resolves symlinks in every component of `path` (and hard links at the end) and
    /// returns the canonical path of an existing node. Resolution never leaves the root:
    /// absolute targets start at the image root and `..` stops there.
    ///
    /// It is bounded as Linux path lookup is: no path, link target or resolved path longer
    /// than PATH_MAX, at most 40 links ([`ReadError::NameTooLong`],
    /// [`ReadError::SymlinkLoop`]), and at most [`MAX_RESOLVE_STEPS`] components walked, so a
    /// hostile link to a megabyte-deep path costs no more than a real one.
    pub fn resolve(&self, path: &str) -> Result<String, ReadError> {
        let original = path;
        let too_long = || ReadError::NameTooLong { path: original.to_owned() };
        if path.len() > MAX_PATH {
            return Err(too_long());
        }
        let mut pending: Vec<&str> = path.split('/').rev().filter(|c| !c.is_empty()).collect();
        // The path resolved so far, built in place (joining a component list at every step
        // made deep paths quadratic), and where each of its components starts.
        let mut current = String::new();
        let mut starts: Vec<usize> = Vec::new();
        let mut hops = 0;
        let mut steps = 0;
        while let Some(comp) = pending.pop() {
            match comp {
                "." => continue,
                ".." => {
                    if let Some(start) = starts.pop() {
                        current.truncate(start);
                    }
                    continue;
                }
                _ => {}
            }
            steps += 1;
            if steps > MAX_RESOLVE_STEPS {
                return Err(too_long());
            }
            starts.push(current.len());
            if !current.is_empty() {
                current.push('/');
            }
            current.push_str(comp);
            if current.len() > MAX_PATH {
                return Err(too_long());
            }
            let Some(node) = self.nodes.get(current.as_str()) else {
                // Implicit directories (layers need not list parents) resolve fine.
                if self.has_children(&current) {
                    continue;
                }
                return Err(ReadError::NotFound { path: original.to_owned() });
            };
            let link = match &node.kind {
                NodeKind::Symlink(target) => Some((target.as_str(), false)),
                NodeKind::Hardlink(target) if pending.is_empty() => Some((target.as_str(), true)),
                _ => None,
            };
            if let Some((target, absolute_always)) = link {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(ReadError::SymlinkLoop { path: original.to_owned() });
                }
                if target.len() > MAX_PATH {
                    return Err(too_long());
                }
                if let Some(start) = starts.pop() {
                    current.truncate(start);
                }
                if absolute_always || target.starts_with('/') {
                    current.clear();
                    starts.clear();
                }
                pending.extend(target.split('/').rev().filter(|c| !c.is_empty()));
            }
        }
        Ok(current)
    }

    fn has_children(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.nodes.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    /// The node `path` leads to after resolving links (an implicit directory, one that
    /// only its children's names imply, is reported as a plain directory).
    pub fn lookup(&self, path: &str) -> Result<(String, &Node), ReadError> {
        static IMPLICIT_DIR: Node = Node {
            kind: NodeKind::Dir,
            size: 0,
            mode: 0o755,
            layer: None,
            content: Content::None,
            earlier: Vec::new(),
        };
        let canonical = self.resolve(path)?;
        let node = self.nodes.get(&canonical).unwrap_or(&IMPLICIT_DIR);
        Ok((canonical, node))
    }

    /// What the walk extracted from an executable in place of its bytes
    /// ([`crate::Interest::extract_executable`]), following links; `None` when the file's
    /// bytes are readable instead (an addressable layer or root filesystem: [`FileTree::read`]
    /// them) or nothing was kept.
    pub fn extracted(&self, path: &str) -> Option<&[u8]> {
        match &self.lookup(path).ok()?.1.content {
            Content::Extracted(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Whether the file's bytes can be read ([`FileTree::read`]): kept in memory, or on disk.
    pub fn is_readable(&self, path: &str) -> bool {
        self.lookup(path)
            .is_ok_and(|(_, n)| matches!(n.content, Content::Captured(_) | Content::Region { .. } | Content::Disk(_)))
    }

    /// Reads a regular file, following links, within the file-size bound.
    pub fn read(&self, path: &str) -> Result<Cow<'_, [u8]>, ReadError> {
        let (_, node) = self.lookup(path)?;
        if node.kind != NodeKind::File {
            return Err(ReadError::NotAFile { path: path.to_owned() });
        }
        let too_large = || ReadError::TooLarge { path: path.to_owned(), size: node.size, limit: self.max_file_size };
        let io_err = |source| ReadError::Io { path: path.to_owned(), source };
        match &node.content {
            Content::Captured(bytes) => Ok(Cow::Borrowed(&bytes[..])),
            // The file itself was not kept, only what was extracted from it.
            Content::None | Content::Extracted(_) => Err(ReadError::NotCaptured { path: path.to_owned() }),
            Content::TooLarge => Err(too_large()),
            Content::Region { path: file, offset, len } => {
                if *len > self.max_file_size {
                    return Err(too_large());
                }
                let mut region = FileRegion::open(file, *offset, *len).map_err(io_err)?;
                let mut buf = Vec::with_capacity(usize::try_from(*len).unwrap_or(0));
                region.read_to_end(&mut buf).map_err(io_err)?;
                Ok(Cow::Owned(buf))
            }
            Content::Disk(file) => {
                if node.size > self.max_file_size {
                    return Err(too_large());
                }
                let f = open_no_follow(file).map_err(io_err)?;
                let mut buf = Vec::new();
                // Bound the read too: the file may have grown since the walk.
                f.take(self.max_file_size + 1).read_to_end(&mut buf).map_err(io_err)?;
                if buf.len() as u64 > self.max_file_size {
                    return Err(too_large());
                }
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// A reader over a regular file (following links) whose bytes are still in a file on disk
    /// (an uncompressed archive's region, a root filesystem), for readers that need only parts
    /// of it; `Ok(None)` when its bytes are in memory (read them with [`FileTree::read`]).
    pub fn open(&self, path: &str) -> Result<Option<FileRegion>, ReadError> {
        let (_, node) = self.lookup(path)?;
        if node.kind != NodeKind::File {
            return Err(ReadError::NotAFile { path: path.to_owned() });
        }
        let too_large = || ReadError::TooLarge { path: path.to_owned(), size: node.size, limit: self.max_file_size };
        let io_err = |source| ReadError::Io { path: path.to_owned(), source };
        match &node.content {
            Content::Captured(_) => Ok(None),
            Content::None | Content::Extracted(_) => Err(ReadError::NotCaptured { path: path.to_owned() }),
            Content::TooLarge => Err(too_large()),
            Content::Region { .. } | Content::Disk(_) if node.size > self.max_file_size => Err(too_large()),
            Content::Region { path: file, offset, len } => {
                FileRegion::open(file, *offset, *len).map(Some).map_err(io_err)
            }
            Content::Disk(file) => {
                let f = open_no_follow(file).map_err(io_err)?;
                FileRegion::from_file(f, 0, node.size).map(Some).map_err(io_err)
            }
        }
    }

    /// Every kept version of a file (after resolving links), oldest first, each with the
    /// layer that wrote it; the last is the current content. Versions not kept in memory
    /// (rootfs, file regions) have no history: only the current one is returned.
    pub fn history(&self, path: &str) -> Result<Vec<FileVersion<'_>>, ReadError> {
        let (_, node) = self.lookup(path)?;
        let mut out: Vec<FileVersion<'_>> =
            node.earlier.iter().map(|(l, b)| (Some(*l), Cow::Borrowed(&b[..]))).collect();
        out.push((node.layer, self.read(path)?));
        Ok(out)
    }

    /// The layer index that last wrote `path` (after resolving links).
    pub fn layer_of(&self, path: &str) -> Option<usize> {
        self.lookup(path).ok().and_then(|(_, n)| n.layer)
    }
}

fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NOFOLLOW: if the last component was swapped for a symlink after the walk, refuse
    // it instead of reading outside the root.
    std::fs::OpenOptions::new().read(true).custom_flags(libc_o_nofollow()).open(path)
}

#[cfg(target_os = "linux")]
fn libc_o_nofollow() -> i32 {
    // O_NOFOLLOW on Linux (asm-generic/fcntl.h: 0400000 on x86 and arm64).
    0o400000
}

#[cfg(not(target_os = "linux"))]
fn libc_o_nofollow() -> i32 {
    0x0100 // BSD and macOS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tar::{Streaming, tests::archive};
    use crate::walk::{Budget, Everything, Limits, walk_tar};

    fn layer(entries: &[(&str, u8, &[u8], &str)]) -> LayerIndex {
        let bytes = archive(entries);
        walk_tar(Streaming(&bytes[..]), "test", &Everything, &Limits::default(), &Budget::default(), None).unwrap().0
    }

    #[test]
    fn whiteouts_hide_lower_layers_only() {
        let l0 = layer(&[
            ("site/", b'5', b"", ""),
            ("site/old-1.0.dist-info/METADATA", b'0', b"old", ""),
            ("site/pkg/a.py", b'0', b"a", ""),
            ("site/pkg/b.py", b'0', b"b", ""),
        ]);
        // The opaque marker comes after a new file of the same layer: that file must stay.
        let l1 = layer(&[
            ("site/.wh.old-1.0.dist-info", b'0', b"", ""),
            ("site/pkg/c.py", b'0', b"c", ""),
            ("site/pkg/.wh..wh..opq", b'0', b"", ""),
        ]);
        let t = FileTree::from_layers(vec![l0, l1], 1 << 20);
        assert!(t.get("site/old-1.0.dist-info/METADATA").is_none());
        assert!(t.get("site/old-1.0.dist-info").is_none());
        assert!(t.get("site/pkg/a.py").is_none());
        assert_eq!(&*t.read("site/pkg/c.py").unwrap(), b"c");
        assert_eq!(t.layer_of("site/pkg/c.py"), Some(1));
    }

    #[test]
    fn history_keeps_versions_until_a_delete() {
        let l0 = layer(&[("db", b'0', b"v0", "")]);
        let l1 = layer(&[("db", b'0', b"v1", "")]);
        let l2 = layer(&[("other", b'0', b"x", "")]);
        let l3 = layer(&[("db", b'0', b"v3", "")]);
        let t = FileTree::from_layers(vec![l0, l1, l2, l3], 1 << 20);
        let h: Vec<(Option<usize>, Vec<u8>)> =
            t.history("db").unwrap().into_iter().map(|(l, b)| (l, b.into_owned())).collect();
        assert_eq!(h, vec![(Some(0), b"v0".to_vec()), (Some(1), b"v1".to_vec()), (Some(3), b"v3".to_vec())]);
        let l4 = layer(&[(".wh.db", b'0', b"", "")]);
        let l5 = layer(&[("db", b'0', b"v5", "")]);
        let t = FileTree::from_layers(vec![layer(&[("db", b'0', b"v0", "")]), l4, l5], 1 << 20);
        assert_eq!(t.history("db").unwrap().len(), 1);
    }

    #[test]
    fn symlinks_resolve_inside_root_and_loops_stop() {
        let l0 = layer(&[
            ("usr/lib/os-release", b'0', b"ID=debian\n", ""),
            ("etc/os-release", b'2', b"", "../usr/lib/os-release"),
            ("escape", b'2', b"", "../../../../usr/lib/os-release"),
            ("abs", b'2', b"", "/usr/lib/os-release"),
            ("loop1", b'2', b"", "loop2"),
            ("loop2", b'2', b"", "loop1"),
            ("hard", b'1', b"", "usr/lib/os-release"),
            ("lib", b'2', b"", "usr/lib"),
        ]);
        let t = FileTree::from_layers(vec![l0], 1 << 20);
        for p in ["etc/os-release", "escape", "abs", "hard", "lib/os-release", "/etc/../lib/os-release"] {
            assert_eq!(&*t.read(p).unwrap(), b"ID=debian\n", "{p}");
        }
        assert!(matches!(t.read("loop1"), Err(ReadError::SymlinkLoop { .. })));
        assert!(matches!(t.read("nope"), Err(ReadError::NotFound { .. })));
        assert!(matches!(t.read("usr/lib"), Err(ReadError::NotAFile { .. })));
    }

    #[test]
    fn deep_paths_are_bounded_not_quadratic() {
        // A 200 000-component path and a link to it took minutes (the resolved components
        // were joined again at every step); now they are refused at PATH_MAX at once.
        let file = |kind| FileTree::disk_node(kind, 0, 0o644, None);
        let deep = "a/".repeat(200_000) + "x";
        let fine = "b/".repeat(2000) + "y"; // 4001 bytes, under PATH_MAX
        let mut nodes = BTreeMap::new();
        nodes.insert(deep.clone(), file(NodeKind::File));
        nodes.insert("link".to_owned(), file(NodeKind::Symlink(format!("/{deep}"))));
        nodes.insert(fine.clone(), file(NodeKind::File));
        nodes.insert("fine-link".to_owned(), file(NodeKind::Symlink(fine.clone())));
        // 40 links of 800 `a/..` pairs each: every target is short, the walk is not.
        for i in 0..40 {
            let target = "a/../".repeat(800) + &format!("walk{}", i + 1);
            nodes.insert(format!("walk{i}"), file(NodeKind::Symlink(target)));
        }
        nodes.insert("walk40".to_owned(), file(NodeKind::File));
        let t = FileTree::from_nodes(nodes, 1 << 20);
        let start = std::time::Instant::now();
        for p in [deep.as_str(), "link", "walk0"] {
            assert!(matches!(t.resolve(p), Err(ReadError::NameTooLong { .. })), "{}", &p[..10.min(p.len())]);
        }
        assert_eq!(t.resolve("fine-link").unwrap(), fine);
        assert_eq!(t.resolve("walk39").unwrap(), "walk40");
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
    }

    #[test]
    fn file_replacing_directory_drops_children() {
        let l0 = layer(&[("a/b", b'0', b"x", "")]);
        let l1 = layer(&[("a", b'0', b"file", "")]);
        let t = FileTree::from_layers(vec![l0, l1], 1 << 20);
        assert!(t.get("a/b").is_none());
        assert_eq!(&*t.read("a").unwrap(), b"file");
    }
}
