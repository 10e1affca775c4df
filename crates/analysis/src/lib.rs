//! # icnet-analysis
//!
//! Analyses of the trained networks (PAPER.md §6): mutual information, robustness, compute
//! cost and statistics over seeds. Library only: it returns values; the pipeline renders them.
//!
//! - [`mi`]: mutual-information estimators in bits (discrete plug-in with Miller–Madow
//!   correction, Kraskov–Stögbauer–Grassberger for continuous pairs, Ross's nearest-neighbour
//!   estimator for a vector feature against a discrete label) and the variational
//!   information-bottleneck bounds of Fig. 5d.
//! - [`stats`]: summaries over seeds with Student-t confidence intervals, paired t and exact
//!   Wilcoxon signed-rank tests, and verdicts for the directional and equivalence claims of
//!   PAPER.md §3.
//! - [`robustness`]: degradation and normalised area under the accuracy–noise curve per seed,
//!   bootstrap rankings of models (Fig. 4h, 4i), and fresh per-image noise for the probe the
//!   paper did not run.
//! - [`special`]: the special functions the above need (digamma, log-gamma, regularised
//!   incomplete beta), written here so every number is traceable to a tested formula.

#![warn(missing_docs)]

pub mod error;
pub mod mi;
pub mod robustness;
pub mod special;
pub mod stats;

pub use error::AnalysisError;

/// Result type of every fallible function in the crate.
pub type Result<T> = std::result::Result<T, AnalysisError>;
