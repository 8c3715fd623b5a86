//! Reading container images safely and fast: references, image sources, and the merged,
//! read-only view of an image's final filesystem.
#![deny(missing_docs)]

pub mod manifest;
pub mod reference;
pub mod source;

pub use reference::{Reference, ReferenceError};
