//! Operating-system package databases.

pub mod rpm;
