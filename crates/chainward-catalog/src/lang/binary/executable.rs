//! Sections and virtual addresses of ELF, PE and Mach-O files (thin or fat), through the
//! `object` crate: every read is a bounds-checked slice of the input, so a lying section
//! table or an offset past the end gives an error or nothing, never a panic, and nothing is
//! allocated at a size the file claims.

use object::{FileKind, Object, ObjectSection, ObjectSegment, SectionKind};

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

/// One image of an executable (a fat Mach-O has one per architecture).
pub struct Image<'data> {
    file: object::File<'data>,
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

impl<'data> Image<'data> {
    /// The file bytes of the first section named `name` (`Ok(None)`: no such section).
    pub fn section(&self, name: &str) -> Result<Option<&'data [u8]>, String> {
        match self.file.section_by_name(name) {
            None => Ok(None),
            Some(s) => s.data().map(Some).map_err(|e| format!("section {name}: {e}")),
        }
    }

    /// The file bytes of the writable data sections, with their addresses, in file order
    /// (where Go puts its build information when it has no section of its own).
    pub fn data_sections(&self) -> Vec<(u64, &'data [u8])> {
        let sections: Vec<_> = self
            .file
            .sections()
            .filter(|s| s.kind() == SectionKind::Data)
            .filter_map(|s| Some((s.address(), s.data().ok()?)))
            .filter(|(_, d)| !d.is_empty())
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
            .filter_map(|s| Some((s.address(), s.data().ok()?)))
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
