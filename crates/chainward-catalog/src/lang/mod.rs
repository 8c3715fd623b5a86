//! Language-ecosystem catalogers: application packages installed in an image or listed by
//! the lockfiles of a source tree. Parsers read files as data; nothing is executed.

pub mod python;
