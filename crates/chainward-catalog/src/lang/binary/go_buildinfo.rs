//! Go build information, as `go version -m` reads it (Go's `debug/buildinfo`).
//!
//! The linker writes a 32-byte header starting with the magic `\xff Go buildinf:` at a
//! 16-byte-aligned address: in its own section (ELF `.go.buildinfo`, Mach-O
//! `__go_buildinfo`) or near the start of the data (PE `.data`, ELF files without section
//! headers). Byte 14 is the pointer size, byte 15 the flags: bit 0 big-endian, bit 1
//! "strings inline" (Go 1.18 on). With inline strings the toolchain version and the module
//! information follow the header as varint-length strings; before 1.18 the header holds two
//! pointers to Go string headers (`{data pointer, length}`) in the data segment, read here
//! through the segments' virtual addresses. Every length is checked against the bytes that
//! are really there, and against [`MAX_STRING`].
//!
//! The module information (`runtime/debug.BuildInfo.String`) is tab-separated lines:
//! `path`, `mod` (the main module), `dep` (each module in the build), `=>` (the replacement
//! of the module on the line before) and `build` settings.

use super::executable::Image;

/// The build information magic.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// The longest version or module-information string read (Kubernetes binaries carry ~10 KB).
pub const MAX_STRING: u64 = 4 << 20;
/// How far into the data the magic is looked for when there is no build-info section (Go's
/// own reader looks at the first 64 KiB).
const SEARCH_WINDOW: usize = 64 << 10;
/// The most bytes of build information read: the header and two strings of at most
/// [`MAX_STRING`] with their length prefixes.
const MAX_BLOB: u64 = HEADER_LEN as u64 + 2 * (MAX_STRING + 10);
const HEADER_LEN: usize = 32;
const FLAG_BIG_ENDIAN: u8 = 1;
const FLAG_INLINE_STRINGS: u8 = 2;

/// The two strings of a binary's build information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBuildInfo {
    /// The toolchain, e.g. `go1.19.8` or `go1.22.0 X:boringcrypto`.
    pub go_version: String,
    /// The module information, its sentinels removed (empty when built outside a module).
    pub modinfo: String,
}

/// Why build information that was found could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildInfoError {
    /// Fewer bytes than the header after the magic.
    #[error("build info header truncated: {len} bytes, {HEADER_LEN} needed")]
    Truncated {
        /// Bytes available.
        len: usize,
    },
    /// A pointer size other than 4 or 8.
    #[error("build info pointer size {0}, 4 or 8 expected")]
    PointerSize(u8),
    /// An inline string's varint length is malformed.
    #[error("{what}: malformed varint length at offset {offset}")]
    Varint {
        /// Which string.
        what: &'static str,
        /// Its offset in the build info.
        offset: usize,
    },
    /// An inline string runs past the bytes that are there.
    #[error("{what}: length {len} at offset {offset} runs past the end ({available} bytes there)")]
    PastEnd {
        /// Which string.
        what: &'static str,
        /// The claimed length.
        len: u64,
        /// Where the string starts.
        offset: usize,
        /// How many bytes follow.
        available: usize,
    },
    /// A string is longer than [`MAX_STRING`].
    #[error("{what}: length {len} is over the {MAX_STRING}-byte bound")]
    TooLong {
        /// Which string.
        what: &'static str,
        /// The claimed length.
        len: u64,
    },
    /// A pointer (pre-1.18 layout) leads outside the file's mapped data.
    #[error("{what}: {len} bytes at address {address:#x} are not in the file")]
    Address {
        /// Which string.
        what: &'static str,
        /// The address.
        address: u64,
        /// The bytes wanted there.
        len: u64,
    },
    /// The Go version is empty, or not text.
    #[error("no readable Go version")]
    NoVersion,
}

/// Finds and reads the build information of one image: `None` when it has none (not a Go
/// binary).
pub fn read<'data, R: object::ReadRef<'data>>(image: &Image<'data, R>) -> Option<Result<RawBuildInfo, BuildInfoError>> {
    let read_at = |address: u64, len: u64| image.read_at(address, len);
    for name in [".go.buildinfo", "__go_buildinfo"] {
        if let Ok(Some(section)) = image.section(name)
            && section.starts_with(MAGIC)
        {
            return Some(parse(section, read_at));
        }
    }
    for section in image.data_sections(SEARCH_WINDOW as u64) {
        let window = section.head;
        // The magic is at a 16-byte-aligned address; the first aligned offset of the section:
        let first = usize::try_from(section.address.wrapping_neg() % 16).unwrap_or(0);
        let mut offset = first;
        while let Some(rest) = window.get(offset..) {
            if rest.len() < MAGIC.len() {
                break;
            }
            if rest.starts_with(MAGIC) {
                // The strings may run past the window: the rest of the section, up to the
                // longest build information read.
                let at = section.address.wrapping_add(offset as u64);
                let len = section.size.saturating_sub(offset as u64).min(MAX_BLOB);
                let blob = image.read_at(at, len).unwrap_or(rest);
                return Some(parse(blob, read_at));
            }
            offset += 16;
        }
    }
    None
}

/// Reads the build information that starts at `blob[0]` (the magic). `read_at(address, len)`
/// gives the file bytes at a virtual address, for the pointer-based layout before Go 1.18.
pub fn parse<'a>(
    blob: &'a [u8],
    read_at: impl Fn(u64, u64) -> Option<&'a [u8]>,
) -> Result<RawBuildInfo, BuildInfoError> {
    let header = blob.get(..HEADER_LEN).ok_or(BuildInfoError::Truncated { len: blob.len() })?;
    let (pointer_size, flags) = (header[14], header[15]);
    let (version, modinfo) = if flags & FLAG_INLINE_STRINGS != 0 {
        let (version, next) = inline_string(blob, HEADER_LEN, "Go version")?;
        let (modinfo, _) = inline_string(blob, next, "module information")?;
        (version, modinfo)
    } else {
        let width = match pointer_size {
            4 | 8 => usize::from(pointer_size),
            other => return Err(BuildInfoError::PointerSize(other)),
        };
        let big_endian = flags & FLAG_BIG_ENDIAN != 0;
        let pointer = |bytes: &[u8]| -> u64 {
            let mut buf = [0u8; 8];
            let bytes = &bytes[..width.min(bytes.len())];
            if big_endian {
                buf[8 - bytes.len()..].copy_from_slice(bytes);
                u64::from_be_bytes(buf)
            } else {
                buf[..bytes.len()].copy_from_slice(bytes);
                u64::from_le_bytes(buf)
            }
        };
        let string = |address: u64, what: &'static str| -> Result<&'a [u8], BuildInfoError> {
            let width_u64 = width as u64;
            let string_header =
                read_at(address, 2 * width_u64).ok_or(BuildInfoError::Address { what, address, len: 2 * width_u64 })?;
            let (data, len) = (pointer(string_header), pointer(string_header.get(width..).unwrap_or_default()));
            if len > MAX_STRING {
                return Err(BuildInfoError::TooLong { what, len });
            }
            if len == 0 {
                return Ok(&[]);
            }
            read_at(data, len).ok_or(BuildInfoError::Address { what, address: data, len })
        };
        let version = string(pointer(&header[16..]), "Go version")?;
        let modinfo = string(pointer(&header[16 + width..]), "module information")?;
        (version, modinfo)
    };
    let go_version = std::str::from_utf8(version).map_err(|_| BuildInfoError::NoVersion)?.trim();
    if go_version.is_empty() || go_version.contains('\0') {
        return Err(BuildInfoError::NoVersion);
    }
    // The module information is framed by two 16-byte sentinels, the second after a newline.
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        String::from_utf8_lossy(&modinfo[16..modinfo.len() - 16]).into_owned()
    } else {
        String::new()
    };
    Ok(RawBuildInfo { go_version: go_version.to_owned(), modinfo })
}

/// A varint-length string at `offset`: the bytes and the offset after them.
fn inline_string<'a>(blob: &'a [u8], offset: usize, what: &'static str) -> Result<(&'a [u8], usize), BuildInfoError> {
    let mut len: u64 = 0;
    let mut at = offset;
    for shift in (0..64).step_by(7) {
        let byte = *blob.get(at).ok_or(BuildInfoError::Varint { what, offset })?;
        at += 1;
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            if len > MAX_STRING {
                return Err(BuildInfoError::TooLong { what, len });
            }
            let available = blob.len() - at;
            let end = usize::try_from(len).ok().and_then(|l| at.checked_add(l)).filter(|&e| e <= blob.len());
            let end = end.ok_or(BuildInfoError::PastEnd { what, len, offset: at, available })?;
            return Ok((&blob[at..end], end));
        }
    }
    Err(BuildInfoError::Varint { what, offset })
}

/// One module of the module information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// The module path.
    pub path: String,
    /// Its version (`(devel)` for a main module built from a checkout).
    pub version: String,
    /// What replaced it (`=>` line), if anything.
    pub replace: Option<Box<Module>>,
}

/// The parsed module information.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModInfo {
    /// The main package's import path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line).
    pub main: Option<Module>,
    /// The other modules of the build (`dep` lines), in order.
    pub deps: Vec<Module>,
    /// Lines that could not be read: (line number, what is wrong).
    pub problems: Vec<(usize, String)>,
}

/// Parses module information text (Go's `debug.ParseBuildInfo` lines after the version).
pub fn parse_modinfo(text: &str) -> ModInfo {
    #[derive(Clone, Copy)]
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut info = ModInfo::default();
    let mut last = Last::None;
    for (i, line) in text.lines().enumerate() {
        let Some((key, rest)) = line.split_once('\t') else {
            if !line.is_empty() {
                info.problems.push((i + 1, "no tab after the line's keyword".to_owned()));
            }
            last = Last::None;
            continue;
        };
        let module = || -> Result<Module, String> {
            let fields: Vec<&str> = rest.splitn(4, '\t').collect();
            match fields[..] {
                [path, version] | [path, version, _] if !path.is_empty() => {
                    Ok(Module { path: path.to_owned(), version: version.to_owned(), replace: None })
                }
                _ => Err(format!("`{key}` line: a module path, a version and an optional checksum expected")),
            }
        };
        match key {
            "path" => info.path = Some(rest.to_owned()),
            "mod" | "dep" | "=>" => match module() {
                Err(e) => {
                    info.problems.push((i + 1, e));
                    last = Last::None;
                }
                Ok(m) if key == "mod" => {
                    info.main = Some(m);
                    last = Last::Main;
                }
                Ok(m) if key == "dep" => {
                    info.deps.push(m);
                    last = Last::Dep;
                }
                Ok(m) => {
                    let target = match last {
                        Last::Main => info.main.as_mut(),
                        Last::Dep => info.deps.last_mut(),
                        Last::None => None,
                    };
                    match target {
                        Some(t) => t.replace = Some(Box::new(m)),
                        None => info.problems.push((i + 1, "a replacement with no module on the line before".into())),
                    }
                    last = Last::None;
                }
            },
            _ => last = Last::None,
        }
    }
    info
}

/// Whether a replacement is a directory (`./greeter`, `../x`, `/abs`, `C:\x`), not a module:
/// the code then comes from the replaced module's checkout and the original module path and
/// version are what it is known by.
pub fn is_local_replacement(m: &Module) -> bool {
    let p = &m.path;
    p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p == "."
        || p == ".."
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || p.as_bytes().get(1..3) == Some(b":\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(modinfo: &str) -> Vec<u8> {
        [&[b'0'; 16][..], modinfo.as_bytes(), &[b'1'; 16]].concat()
    }

    fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut blob = MAGIC.to_vec();
        blob.extend([8, FLAG_INLINE_STRINGS]);
        blob.resize(HEADER_LEN, 0);
        for s in [version.as_bytes(), modinfo] {
            let mut n = s.len();
            while n >= 0x80 {
                blob.push((n as u8) | 0x80);
                n >>= 7;
            }
            blob.push(n as u8);
            blob.extend_from_slice(s);
        }
        blob
    }

    const MODINFO: &str = "path\texample.com/cwgodemo\nmod\texample.com/cwgodemo\t(devel)\t\ndep\texample.com/greeter\tv0.3.1\n=>\t./greeter\t(devel)\t\nbuild\t-compiler=gc\n";

    #[test]
    fn inline_strings_of_go_1_18_and_later() {
        let blob = inline_blob("go1.19.8", &framed(MODINFO));
        let info = parse(&blob, |_, _| None).unwrap();
        assert_eq!(info.go_version, "go1.19.8");
        assert_eq!(info.modinfo, MODINFO);
        // No framing: no module information (built outside a module).
        let info = parse(&inline_blob("go1.20", b"short"), |_, _| None).unwrap();
        assert_eq!(info.modinfo, "");
    }

    #[test]
    fn pointers_of_older_go_read_through_addresses() {
        for (width, big) in [(4usize, false), (8, false), (4, true), (8, true)] {
            // A memory image at 0x1000: header, then two string headers, then the strings.
            let base = 0x1000u64;
            let put = |v: u64| -> Vec<u8> {
                if big { v.to_be_bytes()[8 - width..].to_vec() } else { v.to_le_bytes()[..width].to_vec() }
            };
            let modinfo = framed(MODINFO);
            let version = b"go1.16.15";
            let headers_at = base + HEADER_LEN as u64;
            let strings_at = headers_at + 4 * width as u64;
            let mut mem = MAGIC.to_vec();
            mem.extend([width as u8, if big { FLAG_BIG_ENDIAN } else { 0 }]);
            mem.extend(put(headers_at));
            mem.extend(put(headers_at + 2 * width as u64));
            mem.resize(HEADER_LEN, 0);
            mem.extend(put(strings_at));
            mem.extend(put(version.len() as u64));
            mem.extend(put(strings_at + version.len() as u64));
            mem.extend(put(modinfo.len() as u64));
            mem.extend_from_slice(version);
            mem.extend_from_slice(&modinfo);
            let read_at = |address: u64, len: u64| {
                let start = usize::try_from(address.checked_sub(base)?).ok()?;
                mem.get(start..start.checked_add(usize::try_from(len).ok()?)?)
            };
            let info = parse(&mem, read_at).unwrap();
            assert_eq!(info.go_version, "go1.16.15");
            assert_eq!(info.modinfo, MODINFO);
        }
    }

    #[test]
    fn lying_lengths_and_pointers_are_errors() {
        let mut blob = inline_blob("go1.21.0", &framed(MODINFO));
        blob.truncate(blob.len() - 40);
        assert!(matches!(parse(&blob, |_, _| None), Err(BuildInfoError::PastEnd { .. })));
        let mut huge = MAGIC.to_vec();
        huge.extend([8, FLAG_INLINE_STRINGS]);
        huge.resize(HEADER_LEN, 0);
        huge.extend([0xff; 9]);
        huge.push(0x01);
        assert!(matches!(parse(&huge, |_, _| None), Err(BuildInfoError::TooLong { .. })));
        let mut endless = huge[..HEADER_LEN].to_vec();
        endless.extend([0xff; 12]);
        assert!(matches!(parse(&endless, |_, _| None), Err(BuildInfoError::Varint { .. })));
        let mut old = MAGIC.to_vec();
        old.extend([8, 0]);
        old.extend(0xdead_beefu64.to_le_bytes());
        old.extend(0xdead_beefu64.to_le_bytes());
        assert!(matches!(parse(&old, |_, _| None), Err(BuildInfoError::Address { address: 0xdead_beef, .. })));
        old[14] = 3;
        assert_eq!(parse(&old, |_, _| None), Err(BuildInfoError::PointerSize(3)));
        assert!(matches!(parse(&old[..20], |_, _| None), Err(BuildInfoError::Truncated { len: 20 })));
        assert_eq!(parse(&inline_blob("", b""), |_, _| None), Err(BuildInfoError::NoVersion));
    }

    #[test]
    fn module_information_lines() {
        let info = parse_modinfo(MODINFO);
        assert_eq!(info.path.as_deref(), Some("example.com/cwgodemo"));
        let main = info.main.unwrap();
        assert_eq!((main.path.as_str(), main.version.as_str()), ("example.com/cwgodemo", "(devel)"));
        assert_eq!(info.deps.len(), 1);
        let dep = &info.deps[0];
        assert_eq!((dep.path.as_str(), dep.version.as_str()), ("example.com/greeter", "v0.3.1"));
        let replace = dep.replace.as_ref().unwrap();
        assert_eq!(replace.path, "./greeter");
        assert!(is_local_replacement(replace));
        assert!(info.problems.is_empty());

        let info = parse_modinfo("mod\tm\tv1\n=>\tfork.example/m\tv1.1.0\th1:x=\n=>\tagain\tv2\nnoise\ndep\t\tv1\n");
        assert_eq!(info.main.unwrap().replace.unwrap().path, "fork.example/m");
        assert_eq!(info.problems.iter().map(|p| p.0).collect::<Vec<_>>(), [3, 4, 5]);
    }
}
