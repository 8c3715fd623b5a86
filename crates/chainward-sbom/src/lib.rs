//! SBOM writers: CycloneDX 1.6 JSON, SPDX 2.3 JSON and chainward's own versioned JSON, all from
//! one [`SbomInput`].
//!
//! ```
//! use chainward_model::{Ecosystem, ImageFacts, OsRelease, Package};
//! use chainward_sbom::{SbomFormat, SbomInput, ToolInfo};
//!
//! let facts = ImageFacts {
//!     target: "registry:debian:12".into(),
//!     os: Some(OsRelease { id: "debian".into(), version_id: Some("12".into()), ..Default::default() }),
//!     ..Default::default()
//! };
//! let packages = vec![Package::new(Ecosystem::Deb, "bash", "5.2.15-2+b7")];
//! let input = SbomInput {
//!     facts: &facts,
//!     packages: &packages,
//!     tool: ToolInfo::new("chainward", "0.1.0"),
//!     timestamp: "2024-05-01T12:00:00Z".into(),
//!     serial: "3e671687-395b-41f5-a30f-a58921a69b79".into(),
//! };
//! let mut out = Vec::new();
//! SbomFormat::CycloneDxJson.write(&input, &mut out)?;
//! let bom: serde_json::Value = serde_json::from_slice(&out)?;
//! assert_eq!(bom["components"][1]["purl"], "pkg:deb/debian/bash@5.2.15-2%2Bb7?distro=debian-12");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every writer is deterministic: packages are written in one order (see [`SbomInput`]), all
//! identifiers are derived from the input, and the time and serial number are passed in.
//!
//! Licenses are written only as what they can be shown to be: a string that parses as an SPDX
//! license expression over the SPDX License List (matched case-insensitively, SPDX 2.3 Annex D)
//! is written as one; anything else is kept as a license *name* (CycloneDX) or as a
//! `LicenseRef-` with its text in `hasExtractedLicensingInfos` (SPDX). See [`cyclonedx`] and
//! [`spdx`] for the exact rules.
//!
//! The tests validate every written document against the official JSON schemas
//! (`chainward_testkit::schema`).
#![deny(missing_docs)]

pub mod chainward_json;
pub mod cyclonedx;
mod input;
mod license;
mod oci_purl;
pub mod spdx;
mod spdx_license_list;

pub use input::{SbomInput, ToolInfo, purl_context};

/// Why an SBOM could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// [`SbomInput::timestamp`] is not an RFC 3339 date-time.
    #[error("timestamp {value:?} is not an RFC 3339 date-time such as 2024-05-01T12:00:00Z")]
    InvalidTimestamp {
        /// The timestamp as given.
        value: String,
    },
    /// [`SbomInput::serial`] is not a UUID.
    #[error("serial {value:?} is not a UUID (8-4-4-4-12 hex digits, optionally prefixed by urn:uuid:)")]
    InvalidSerial {
        /// The serial as given.
        value: String,
    },
    /// Writing to the output failed (a broken pipe shows up here, with its `ErrorKind`).
    #[error("could not write the SBOM")]
    Io(#[from] std::io::Error),
    /// The document could not be encoded as JSON.
    #[error("could not encode the SBOM as JSON")]
    Encode(#[source] serde_json::Error),
}

impl From<serde_json::Error> for SbomError {
    fn from(e: serde_json::Error) -> Self {
        // serde_json reports the writer's IO errors as its own; give them back their kind so the
        // caller can tell a broken pipe from a bug.
        if e.is_io() { SbomError::Io(std::io::Error::from(e)) } else { SbomError::Encode(e) }
    }
}

/// The SBOM formats this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    /// CycloneDX 1.6, JSON encoding ([`cyclonedx::write`]).
    CycloneDxJson,
    /// SPDX 2.3, JSON encoding ([`spdx::write`]).
    SpdxJson,
    /// chainward's own `chainward.sbom/v1` JSON ([`chainward_json::write`]).
    ChainwardJson,
}

impl SbomFormat {
    /// Writes `input` in this format to `out`.
    pub fn write(self, input: &SbomInput<'_>, out: &mut impl std::io::Write) -> Result<(), SbomError> {
        match self {
            SbomFormat::CycloneDxJson => cyclonedx::write(input, out),
            SbomFormat::SpdxJson => spdx::write(input, out),
            SbomFormat::ChainwardJson => chainward_json::write(input, out),
        }
    }
}

/// Pretty-prints `doc` with a final newline and flushes, so that write errors surface here.
fn write_json(doc: &impl serde::Serialize, out: &mut impl std::io::Write) -> Result<(), SbomError> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
