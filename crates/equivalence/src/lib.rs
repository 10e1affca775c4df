//! # icnet-equivalence
//!
//! How closely LIF networks reproduce the Hodgkin–Huxley neuron (He et al. 2024, PAPER.md
//! §2.3–§2.4, issue 3):
//!
//! - [`metrics`]: spike-train metrics — spike-count error, mean ISI difference, normalised
//!   spike-time offset, coincidence factor Γ, van Rossum and Victor–Purpura distances;
//! - [`cmaes`]: a seeded, box-bounded CMA-ES over a [`cmaes::Problem`], evaluating each
//!   generation in parallel and ranking diverging candidates last;
//! - [`chain`]: the two-unit chain of Fig. 3d as HH and as s-LIF2HH under the paper's
//!   stimuli, and the paper's comparison of the two;
//! - [`linalg`]: the symmetric eigensolver the CMA-ES needs;
//! - [`error`]: error types.
//!
//! Times in ms, potentials in mV, currents in µA/cm². The crate does no I/O.

pub mod chain;
pub mod cmaes;
pub mod error;
pub mod exact;
pub mod fit;
pub mod linalg;
pub mod metrics;
pub mod topology;

pub use cmaes::{Problem, Rejected};
pub use error::{ChainError, CmaesError, MetricError};
pub use metrics::{Comparison, MetricParams, SpikeTrain};
