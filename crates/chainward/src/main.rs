//! The chainward command line.
fn main() {}
