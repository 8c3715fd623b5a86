//! Operating-system package databases.

pub mod apk;
mod debian_copyright;
pub mod dpkg;
pub mod rpm;
pub mod rpmdb;
