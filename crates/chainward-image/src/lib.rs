//! Reading container images safely and fast: references, image sources, and the merged,
//! read-only view of an image's final filesystem.
//!
//! The flow: a [`source`] resolves a target to a manifest, config and layer blobs; the
//! [`walk`] reads each layer's tar stream once (in parallel), keeping what the catalogers
//! asked for; the [`tree`] applies the layers in order with OCI whiteouts.
#![deny(missing_docs)]

pub mod deflate;
pub mod gzip;
pub mod manifest;
mod pipe;
pub mod reference;
pub mod source;
mod split;
pub mod tar;
pub mod tree;
pub mod walk;

// Named only to enable its "std" feature (runtime CPU detection); see Cargo.toml.
use zlib_rs as _;

pub use reference::{Reference, ReferenceError};
pub use tree::{FileTree, Node, NodeKind, ReadError};
pub use walk::{Interest, Limits, is_executable_format};
