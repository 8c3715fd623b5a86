//! An index of the members of an uncompressed tar file (the outer tar of an
//! `oci-archive:` or `docker-archive:`), built by reading headers only.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::{BlobFile, SourceError};
use crate::tar::{EntryType, Seeking, TarReader};
use crate::walk::{FileRegion, normalize_path};

/// One member of the archive.
#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, len: u64 },
    Link(String),
}

/// The members of a tar file, by normalised path.
#[derive(Debug)]
pub(crate) struct ArchiveIndex {
    file: Arc<Path>,
    members: BTreeMap<String, Member>,
}

/// The most members an image archive may have (a layout has a handful of files per image).
const MAX_MEMBERS: usize = 1_000_000;

impl ArchiveIndex {
    pub(crate) fn open(path: &Path) -> Result<Self, SourceError> {
        let file = File::open(path).map_err(|source| SourceError::Io { path: path.to_path_buf(), source })?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        let mut tar = TarReader::new(Seeking(BufReader::with_capacity(16 * 1024, file)), len.max(1024));
        let mut members = BTreeMap::new();
        while let Some(e) =
            tar.next_entry().map_err(|source| SourceError::Archive { path: path.to_path_buf(), source })?
        {
            let (name, _) = normalize_path(&String::from_utf8_lossy(&e.path));
            let member = match e.entry_type {
                EntryType::File => Member::File { offset: e.data_offset, len: e.size },
                // `docker save` (before 25) writes repeated layers as symlinks to the first copy.
                EntryType::Symlink | EntryType::Hardlink => {
                    let target = String::from_utf8_lossy(e.link.as_deref().unwrap_or_default()).into_owned();
                    let target = if e.entry_type == EntryType::Symlink && !target.starts_with('/') {
                        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                        normalize_path(&format!("{dir}/{target}")).0
                    } else {
                        normalize_path(&target).0
                    };
                    Member::Link(target)
                }
                _ => continue,
            };
            if members.len() >= MAX_MEMBERS {
                return Err(SourceError::Invalid {
                    what: path.display().to_string(),
                    reason: format!("more than {MAX_MEMBERS} archive members"),
                });
            }
            members.insert(name, member);
        }
        Ok(Self { file: Arc::from(path), members })
    }

    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    fn region(&self, name: &str) -> Option<(u64, u64)> {
        let mut name = normalize_path(name).0;
        for _ in 0..8 {
            match self.members.get(&name)? {
                Member::File { offset, len } => return Some((*offset, *len)),
                Member::Link(t) => name = t.clone(),
            }
        }
        None
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.region(name).is_some()
    }

    /// Reads a small member whole (manifests, configs, index.json).
    pub(crate) fn read_small(&self, name: &str, max: u64) -> Result<Vec<u8>, SourceError> {
        let (offset, len) = self
            .region(name)
            .ok_or_else(|| SourceError::Missing { what: format!("{name} in archive {}", self.file.display()) })?;
        if len > max {
            return Err(SourceError::Invalid {
                what: format!("{name} in archive {}", self.file.display()),
                reason: format!("{len} bytes, over the {max}-byte bound for a metadata document"),
            });
        }
        let mut region = FileRegion::open(&self.file, offset, len)
            .map_err(|source| SourceError::Io { path: self.file.to_path_buf(), source })?;
        let mut buf = Vec::with_capacity(len as usize);
        region.read_to_end(&mut buf).map_err(|source| SourceError::Io { path: self.file.to_path_buf(), source })?;
        Ok(buf)
    }

    pub(crate) fn blob(&self, name: &str) -> Option<BlobFile> {
        let (offset, len) = self.region(name)?;
        Some(BlobFile { path: self.file.clone(), offset, len, verify: None })
    }

    pub(crate) fn path_buf(&self) -> PathBuf {
        self.file.to_path_buf()
    }
}
