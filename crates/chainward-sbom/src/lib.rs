//! SBOM writers. (Being written by a helper.)
#![deny(missing_docs)]
