//! The shared nouns of chainward: what every other crate talks about.
//!
//! ```
//! use chainward_model::{Ecosystem, Package, PurlContext};
//! let mut pkg = Package::new(Ecosystem::Deb, "openssl", "3.0.15-1~deb12u1");
//! pkg.arch = Some("amd64".into());
//! let ctx = PurlContext { distro_id: Some("debian".into()), distro_version: Some("12".into()) };
//! assert_eq!(
//!     pkg.purl(&ctx),
//!     "pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&distro=debian-12"
//! );
//! ```
#![deny(missing_docs)]

mod digest;
mod image;
mod package;
mod purl;

pub use digest::{Digest, DigestError};
pub use image::{ImageFacts, LayerFacts, OsRelease, Platform, PlatformError};
pub use package::{Ecosystem, Evidence, Location, Package, Relationship, SourcePackage};
pub use purl::PurlContext;
