//! Catalogers: find the packages inside an image's merged file tree.
#![deny(missing_docs)]

pub mod os;
