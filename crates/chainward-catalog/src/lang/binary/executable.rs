//! Sections and virtual addresses of ELF, PE and Mach-O files (thin or fat), through the
//! `object` crate: every read is a bounds-checked slice of the input, so a lying section
//! table or an offset past the end gives an error or nothing, never a panic, and nothing is
//! allocated at a size the file claims.
//!
//! The input is any `ReadRef`: a byte slice (an executable read from a stream), or
//! `object`'s `ReadCache` over a file still on disk, which reads only the headers and the
//! sections asked for instead of the whole executable.

use object::{FileKind, Object, ObjectSection, ObjectSegment, ReadRef, SectionKind};

/// The most architectures read from one fat Mach-O (real ones carry two or three).
const MAX_FAT_ARCHES: usize = 8;

/// Why an executable could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutableError {
    /// The format was recognised but its headers are inconsistent (e.g. a section table
    /// past the end of the file).
    #[error("unreadable {format} headers: {reason}")]
    Headers {
        /// ELF, PE or Mach-O.
        format: &'static str,
        /// What the reader found wrong.
        reason: String,
    },
}

/// The most data sections looked at for build information.
pub const MAX_DATA_SECTIONS: usize = 64;

/// The start of a data section, see [`Image::data_sections`].
pub struct DataSection<'data> {
    /// Its virtual address.
    pub address: u64,
    /// Its size in the file.
    pub size: u64,
    /// Its first bytes.
    pub head: &'data [u8],
}

/// One image of an executable (a fat Mach-O has one per architecture).
pub struct Image<'data, R: ReadRef<'data> = &'data [u8]> {
    file: object::File<'data, R>,
}

/// Whether `data` is a fat (multi-architecture) Mach-O: its images are slices of it, so a
/// reader over a file reads it whole for them.
pub fn is_fat<'data, R: ReadRef<'data>>(data: R) -> bool {
    matches!(FileKind::parse(data), Ok(FileKind::MachOFat32 | FileKind::MachOFat64))
}

/// The image of a thin executable: `Ok(None)` when `data` is no ELF, PE or thin Mach-O.
pub fn thin_image<'data, R: ReadRef<'data>>(data: R) -> Result<Option<Image<'data, R>>, ExecutableError> {
    let Ok(kind) = FileKind::parse(data) else { return Ok(None) };
    let format = match kind {
        FileKind::Elf32 | FileKind::Elf64 => "ELF",
        FileKind::Pe32 | FileKind::Pe64 => "PE",
        FileKind::MachO32 | FileKind::MachO64 => "Mach-O",
        _ => return Ok(None),
    };
    object::File::parse(data)
        .map(|file| Some(Image { file }))
        .map_err(|e| ExecutableError::Headers { format, reason: e.to_string() })
}

/// The images of an executable: `Ok(empty)` when `bytes` is no ELF, PE or Mach-O.
pub fn images(bytes: &[u8]) -> Result<Vec<Image<'_>>, ExecutableError> {
    let Ok(kind) = FileKind::parse(bytes) else { return Ok(Vec::new()) };
    let format = match kind {
        FileKind::Elf32 | FileKind::Elf64 => "ELF",
        FileKind::Pe32 | FileKind::Pe64 => "PE",
        FileKind::MachO32 | FileKind::MachO64 => "Mach-O",
        // 0xcafebabe is also a Java class file's magic: a fat header that does not parse is
        // taken for one and skipped silently.
        FileKind::MachOFat32 => return Ok(fat::<object::macho::FatArch32>(bytes)),
        FileKind::MachOFat64 => return Ok(fat::<object::macho::FatArch64>(bytes)),
        _ => return Ok(Vec::new()),
    };
    object::File::parse(bytes)
        .map(|file| vec![Image { file }])
        .map_err(|e| ExecutableError::Headers { format, reason: e.to_string() })
}

fn fat<A: object::read::macho::FatArch>(bytes: &[u8]) -> Vec<Image<'_>> {
    let Ok(fat) = object::read::macho::MachOFatFile::<A>::parse(bytes) else { return Vec::new() };
    fat.arches()
        .iter()
        .take(MAX_FAT_ARCHES)
        .filter_map(|arch| arch.data(bytes).ok())
        .filter(|data| matches!(FileKind::parse(*data), Ok(FileKind::MachO32 | FileKind::MachO64)))
        .filter_map(|data| object::File::parse(data).ok())
        .map(|file| Image { file })
        .collect()
}

impl<'data, R: ReadRef<'data>> Image<'data, R> {
    /// The file bytes of the first section named `name` (`Ok(None)`: no such section).
    pub fn section(&self, name: &str) -> Result<Option<&'data [u8]>, String> {
        match self.file.section_by_name(name) {
            None => Ok(None),
            Some(s) => s.data().map(Some).map_err(|e| format!("section {name}: {e}")),
        }
    }

    /// The writable data sections (where Go puts its build information when it has no section
    /// of its own), in file order: each one's address, file-backed size and first `head_len`
    /// bytes. At most [`MAX_DATA_SECTIONS`]: a hostile section table cannot make a reader over
    /// a file read the same bytes once per section.
    pub fn data_sections(&self, head_len: u64) -> Vec<DataSection<'data>> {
        let sections: Vec<_> = self
            .file
            .sections()
            .filter(|s| s.kind() == SectionKind::Data)
            .filter_map(|s| {
                let (_, size) = s.file_range()?;
                let head = s.data_range(s.address(), size.min(head_len)).ok()??;
                Some(DataSection { address: s.address(), size, head })
            })
            .filter(|d| !d.head.is_empty())
            .take(MAX_DATA_SECTIONS)
            .collect();
        if !sections.is_empty() || self.file.format() != object::BinaryFormat::Elf {
            return sections;
        }
        // An ELF without section headers: the writable, non-executable PT_LOAD segments.
        self.file
            .segments()
            .filter(|s| match s.flags() {
                object::SegmentFlags::Elf { p_flags, .. } => {
                    p_flags & (object::elf::PF_W | object::elf::PF_X) == object::elf::PF_W
                }
                _ => false,
            })
            .filter_map(|s| {
                let (_, size) = s.file_range();
                let head = s.data_range(s.address(), size.min(head_len)).ok()??;
                Some(DataSection { address: s.address(), size, head })
            })
            .filter(|d| !d.head.is_empty())
            .take(MAX_DATA_SECTIONS)
            .collect()
    }

    /// `len` bytes at virtual address `address`, from the file-backed part of a segment (or a
    /// section, for files whose segments say nothing); `None` when they are not all there.
    pub fn read_at(&self, address: u64, len: u64) -> Option<&'data [u8]> {
        for segment in self.file.segments() {
            if let Ok(Some(bytes)) = segment.data_range(address, len) {
                return Some(bytes);
            }
        }
        for section in self.file.sections() {
            if let Ok(Some(bytes)) = section.data_range(address, len) {
                return Some(bytes);
            }
        }
        None
    }

    /// Whether the file is big-endian.
    pub fn is_big_endian(&self) -> bool {
        !self.file.is_little_endian()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_executables_are_no_images() {
        assert!(images(b"").unwrap().is_empty());
        assert!(images(b"#!/bin/sh\necho hello world\n").unwrap().is_empty());
        // A Java class file shares the fat Mach-O magic.
        let class = [&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34][..], &[0u8; 64]].concat();
        assert!(images(&class).unwrap().is_empty());
    }

    #[test]
    fn an_elf_with_a_section_table_past_the_end_is_an_error() {
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2; // 64-bit
        elf[5] = 1; // little-endian
        elf[6] = 1; // version
        elf[16] = 2; // ET_EXEC
        elf[20] = 1;
        elf[40..48].copy_from_slice(&0xffff_ff00u64.to_le_bytes()); // e_shoff
        elf[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        elf[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
        elf[60..62].copy_from_slice(&0xffffu16.to_le_bytes()); // e_shnum
        let err = images(&elf).err().unwrap();
        assert!(matches!(err, ExecutableError::Headers { format: "ELF", .. }), "{err}");
    }
}
