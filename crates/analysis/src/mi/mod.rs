//! Mutual-information estimators, all reporting bits.
//!
//! - [`discrete`]: plug-in and Miller–Madow for integer-coded pairs.
//! - [`ksg`]: Kraskov–Stögbauer–Grassberger (algorithm 1) for continuous X, Y.
//! - [`mixed`]: Ross's estimator for a vector feature (spike counts of a hidden layer) against
//!   a discrete label, with the reasoning for using the vector jointly.
//! - [`vib`]: the variational-information-bottleneck bounds of Fig. 5d (PAPER.md §6).

pub mod discrete;
pub mod ksg;
pub mod mixed;
mod neighbours;
pub mod vib;

pub use discrete::{discrete_entropy, discrete_mi, DiscreteEntropy, DiscreteMi};
pub use ksg::ksg_mi;
pub use mixed::mixed_mi;
pub use neighbours::TieJitter;
pub use vib::{
    izy_lower_bound_bits, kl_to_standard_normal_bits, sigma_from_pre_softplus, GaussianKl,
};

use serde::{Deserialize, Serialize};

/// A nearest-neighbour estimate of mutual information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnMiEstimate {
    /// The estimate in bits (may be slightly negative for independent variables).
    pub bits: f64,
    /// Number of samples N.
    pub n: usize,
    /// Number of neighbours k.
    pub k: usize,
    /// Points whose k-th neighbour distance was zero or tied with the (k+1)-th; nonzero means
    /// the data have ties and a [`TieJitter`] should be used.
    pub tied_points: usize,
}

#[cfg(test)]
mod knn_tests;
