//! Implementations of the `icnet` subcommands.

pub mod bench;
pub mod data;
pub mod list;
pub mod reproduce;
pub mod simulate;
