//! What catalogers of binaries (Go build information, cargo-auditable) keep from executables.
//!
//! In a layer read as a stream, the walk hands each executable's bytes to every cataloger's
//! [`Cataloger::extract_executable`] and keeps only their extracts, packed into one blob per
//! file: `[name length: u8][name][extract length: u32 LE][extract]`, repeated. Readers take
//! their own part back with [`CatalogContext::executable_extract`], which extracts on the spot
//! from files whose bytes are still readable (uncompressed archives, root filesystems).

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom};

use crate::{CatalogContext, Cataloger};

/// Packs each cataloger's extract; `None` when no cataloger extracted anything.
pub(crate) fn pack(parts: &[(&str, Vec<u8>)]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for (name, bytes) in parts {
        let (Ok(name_len), Ok(len)) = (u8::try_from(name.len()), u32::try_from(bytes.len())) else { continue };
        out.push(name_len);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(bytes);
    }
    (!out.is_empty()).then_some(out)
}

/// One cataloger's part of a packed blob.
pub(crate) fn unpack<'a>(mut packed: &'a [u8], name: &str) -> Option<&'a [u8]> {
    while let [name_len, rest @ ..] = packed {
        let name_len = usize::from(*name_len);
        let this = rest.get(..name_len)?;
        let len_bytes: [u8; 4] = rest.get(name_len..name_len + 4)?.try_into().ok()?;
        let len = usize::try_from(u32::from_le_bytes(len_bytes)).ok()?;
        let start = name_len + 4;
        let bytes = rest.get(start..start.checked_add(len)?)?;
        if this == name.as_bytes() {
            return Some(bytes);
        }
        packed = &rest[start + len..];
    }
    None
}

impl CatalogContext<'_> {
    /// Regular files with an execute bit (paths without a leading `/`).
    pub fn executables(&self) -> impl Iterator<Item = &str> {
        self.files().filter(|(_, n)| n.mode & 0o111 != 0).map(|(p, _)| p)
    }

    /// `cataloger`'s extract of the executable at `path`: kept by the walk, or extracted now
    /// from the file's bytes when they are readable. `None` when there is none (not an
    /// executable format, nothing of interest, or not kept).
    pub fn executable_extract(&self, cataloger: &dyn Cataloger, path: &str) -> Option<Cow<'_, [u8]>> {
        if let Some(packed) = self.tree.extracted(path) {
            return unpack(packed, cataloger.name()).map(Cow::Borrowed);
        }
        if !self.tree.is_readable(path) {
            return None;
        }
        // Still in a file: the cataloger reads the parts it needs, not the whole executable.
        if let Ok(Some(mut file)) = self.tree.open(path) {
            let mut head = [0u8; 4];
            file.read_exact(&mut head).ok()?;
            if !chainward_image::is_executable_format(&head) {
                return None;
            }
            file.seek(SeekFrom::Start(0)).ok()?;
            return cataloger.extract_executable_from_file(path, &mut file).map(Cow::Owned);
        }
        let bytes = self.tree.read(path).ok()?;
        if !chainward_image::is_executable_format(bytes.get(..4)?) {
            return None;
        }
        cataloger.extract_executable(path, &bytes).map(Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_and_unpack_round_trip_and_reject_garbage() {
        let packed = pack(&[("go-binary", b"go1.22".to_vec()), ("rust-auditable", vec![1, 2, 3])]).unwrap();
        assert_eq!(unpack(&packed, "go-binary"), Some(&b"go1.22"[..]));
        assert_eq!(unpack(&packed, "rust-auditable"), Some(&[1u8, 2, 3][..]));
        assert_eq!(unpack(&packed, "other"), None);
        assert_eq!(pack(&[]), None);
        for cut in 0..packed.len() {
            let _ = unpack(&packed[..cut], "rust-auditable");
        }
        assert_eq!(unpack(&[9, b'x'], "x"), None);
    }
}
