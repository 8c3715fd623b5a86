//! cargo-auditable's dependency list: the `.dep-v0` section (ELF, PE, Mach-O `__DATA,.dep-v0`)
//! holds zlib-compressed JSON, `{"packages":[{"name","version","source","kind","dependencies",
//! "root"}]}` (the `auditable-serde` format; `kind` is `runtime` when absent, `dependencies`
//! are indexes into `packages`). It is inflated within [`MAX_JSON`] bytes, so a zlib bomb
//! costs at most that much memory and time.

use std::io::Read;

/// The largest compressed section kept from a binary (real ones are a few KB).
pub const MAX_COMPRESSED: usize = 4 << 20;
/// The most JSON inflated from a section.
pub const MAX_JSON: u64 = 8 << 20;

/// Whether a crate is compiled into the binary or only ran at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrateKind {
    /// Linked into the binary.
    Runtime,
    /// A build script or proc-macro dependency: ran while building, not in the binary.
    Build,
}

/// One crate of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditableCrate {
    /// Crate name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Where it came from: `crates.io`, `git`, `local`, `registry`, …
    pub source: String,
    /// Runtime or build.
    pub kind: CrateKind,
    /// Whether it is the crate the binary was built from.
    pub root: bool,
    /// Indexes of the crates it depends on (all in range).
    pub dependencies: Vec<usize>,
}

/// Why a `.dep-v0` section could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditableError {
    /// The compressed section is over [`MAX_COMPRESSED`].
    #[error(".dep-v0: {len} compressed bytes is over the {MAX_COMPRESSED}-byte bound")]
    CompressedTooLarge {
        /// Its size.
        len: usize,
    },
    /// Not a zlib stream, or a truncated one.
    #[error(".dep-v0: not zlib data: {0}")]
    Inflate(String),
    /// It inflates to more than [`MAX_JSON`] bytes.
    #[error(".dep-v0: inflates to more than {MAX_JSON} bytes; not read")]
    TooLarge,
    /// Not the JSON expected.
    #[error(".dep-v0: {0}")]
    Json(String),
    /// A dependency index outside the package list.
    #[error(".dep-v0: package {package} depends on index {index}, but there are {count} packages")]
    DependencyIndex {
        /// The package's index.
        package: usize,
        /// The index it names.
        index: usize,
        /// How many packages there are.
        count: usize,
    },
}

#[derive(serde::Deserialize)]
struct VersionInfo {
    packages: Vec<RawCrate>,
}

#[derive(serde::Deserialize)]
struct RawCrate {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// Inflates a `.dep-v0` section within [`MAX_JSON`] bytes.
pub fn inflate(compressed: &[u8]) -> Result<Vec<u8>, AuditableError> {
    if compressed.len() > MAX_COMPRESSED {
        return Err(AuditableError::CompressedTooLarge { len: compressed.len() });
    }
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| AuditableError::Inflate(e.to_string()))?;
    if json.len() as u64 > MAX_JSON {
        return Err(AuditableError::TooLarge);
    }
    Ok(json)
}

/// Parses the inflated JSON.
pub fn parse_json(json: &[u8]) -> Result<Vec<AuditableCrate>, AuditableError> {
    let info: VersionInfo = serde_json::from_slice(json).map_err(|e| AuditableError::Json(e.to_string()))?;
    let count = info.packages.len();
    info.packages
        .into_iter()
        .enumerate()
        .map(|(package, c)| {
            if let Some(&index) = c.dependencies.iter().find(|&&i| i >= count) {
                return Err(AuditableError::DependencyIndex { package, index, count });
            }
            Ok(AuditableCrate {
                name: c.name,
                version: c.version,
                source: c.source,
                // auditable-serde knows `runtime` and `build`; anything else is kept as runtime
                // rather than dropped, so nothing linked goes unreported.
                kind: if c.kind.as_deref() == Some("build") { CrateKind::Build } else { CrateKind::Runtime },
                root: c.root,
                dependencies: c.dependencies,
            })
        })
        .collect()
}

/// Inflates and parses a `.dep-v0` section.
pub fn parse(compressed: &[u8]) -> Result<Vec<AuditableCrate>, AuditableError> {
    parse_json(&inflate(compressed)?)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn reads_kinds_roots_and_dependencies() {
        let json = br#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
            {"name":"serde","version":"1.0.200","source":"crates.io","dependencies":[2]},
            {"name":"serde_derive","version":"1.0.200","source":"crates.io","kind":"build"}],"format":1}"#;
        let crates = parse(&zlib(json)).unwrap();
        assert_eq!(crates.len(), 3);
        assert!(crates[0].root);
        assert_eq!(crates[0].dependencies, [1, 2]);
        assert_eq!(crates[1].kind, CrateKind::Runtime);
        assert_eq!(crates[2].kind, CrateKind::Build);
        assert_eq!(crates[1].source, "crates.io");
    }

    #[test]
    fn bad_input_is_a_named_error() {
        assert!(matches!(parse(b"not zlib"), Err(AuditableError::Inflate(_))));
        let z = zlib(br#"{"packages":[{"name":"a","version":"1"}]}"#);
        assert!(matches!(parse(&z[..z.len() / 2]), Err(AuditableError::Inflate(_))));
        assert!(matches!(parse(&zlib(b"{\"packages\":7}")), Err(AuditableError::Json(_))));
        let out_of_range = zlib(br#"{"packages":[{"name":"a","version":"1","dependencies":[5]}]}"#);
        assert_eq!(parse(&out_of_range), Err(AuditableError::DependencyIndex { package: 0, index: 5, count: 1 }));
        let nested = zlib(&[b'['; 10_000]);
        assert!(matches!(parse(&nested), Err(AuditableError::Json(_))));
    }

    #[test]
    fn a_zlib_bomb_stops_at_the_bound() {
        // 64 MiB of spaces compress to ~64 KB; inflation stops after MAX_JSON + 1 bytes.
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..64 {
            enc.write_all(&chunk).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 1 << 20);
        assert_eq!(parse(&bomb), Err(AuditableError::TooLarge));
        assert!(matches!(parse(&vec![0u8; MAX_COMPRESSED + 1]), Err(AuditableError::CompressedTooLarge { .. })));
    }
}
