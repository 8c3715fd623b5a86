//! Language-ecosystem catalogers: application packages installed in an image or listed by
//! the lockfiles of a source tree. Parsers read files as data; nothing is executed.

pub mod binary;
pub mod dotnet;
pub(crate) mod file_walk;
pub mod go;
pub mod java;
pub mod javascript;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;
