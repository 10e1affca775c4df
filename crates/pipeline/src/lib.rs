//! # icnet-pipeline
//!
//! The `icnet` command-line tool that regenerates every figure and table of He et al. (2024)
//! from registered experiments (see `../shared/DESIGN.md`, "showyourwork"):
//!
//! - [`alloc`]: the counting global allocator the binary installs (peak memory of the cost
//!   table);
//! - [`registry`]: the [`registry::Experiment`] trait, run specifications and the
//!   registry with dependency closure;
//! - [`cache`]: the run cache `<cache>/<hash>/record.json`, keyed by code version, config, data
//!   checksums and seed, written atomically;
//! - [`reproduce`]: runs (or reuses) the runs of the selected experiments, renders their outputs
//!   and writes `index.md`, `manifest.json` and `metrics.json`;
//! - [`output`]: the output contract (figures, tables, index, manifest, metrics);
//! - [`experiments`]: the experiments themselves, one module each;
//! - [`commands`]: the subcommands, among them the scale-out trio `plan` (the run list, or a
//!   SLURM job-array script), `run` (one run by hash into a shared cache) and
//!   `reproduce --collect` (render from that cache), and `verify` (is an output directory the
//!   output of the current code?);
//! - [`cli`]: the clap front end (`reproduce`, `plan`, `run`, `verify`, `list`, `simulate`,
//!   `bench`, `data`).

pub mod alloc;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod experiments;
pub mod fsutil;
pub mod hashing;
pub mod output;
pub mod profile;
pub mod progress;
pub mod provenance;
pub mod registry;
pub mod reproduce;

pub use profile::Profile;
pub use registry::{Experiment, Registry, RunSpec};
