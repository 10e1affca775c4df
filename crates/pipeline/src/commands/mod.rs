//! Implementations of the `icnet` subcommands.

pub mod bench;
pub mod data;
pub mod env;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod list;
pub mod plan;
pub mod reproduce;
pub mod run;
pub mod simulate;
pub mod verify;
