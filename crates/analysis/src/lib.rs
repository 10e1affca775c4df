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
//! - [`cost`]: analytic additions and multiplications per inference (Fig. 5b) from a
//!   layer-by-layer description of a model, under our engine's execution and under the
//!   model definition's step-by-step convention, and the bytes of neuron state.
//! - [`special`]: the special functions the above need (digamma, log-gamma, regularised
//!   incomplete beta), written here so every number is traceable to a tested formula.
//!
//! ```
//! use icnet_analysis::mi::{mixed_mi, TieJitter};
//! use icnet_analysis::robustness::{analyse_robustness, BootstrapConfig, ModelCurves, NoiseSweep};
//! use icnet_analysis::stats::{claim_greater, Verdict};
//!
//! // A claim over paired seeds: accuracy of two models, seed i in position i.
//! let hh = [0.91, 0.92, 0.90];
//! let lif = [0.85, 0.86, 0.86];
//! let claim = claim_greater(&hh, &lif, 0.05)?;
//! assert_eq!(claim.verdict, Verdict::Supported); // t = 8.0, ν = 2, p = 0.015
//!
//! // Robustness: one curve per seed over A = 0, 25, 50, 75.
//! let sweep = NoiseSweep {
//!     amplitudes: vec![0.0, 25.0, 50.0, 75.0],
//!     models: vec![ModelCurves {
//!         model: "hh-fc".into(),
//!         scores: vec![vec![0.9, 0.9, 0.6, 0.3], vec![0.8, 0.6, 0.4, 0.2]],
//!     }],
//! };
//! let report = analyse_robustness(&sweep, &BootstrapConfig { resamples: 1000, seed: 0 })?;
//! assert!((report.models[0].auc_per_seed[0] - 7.0 / 9.0).abs() < 1e-12);
//!
//! // I(hidden spike counts; label): rows of counts (here 2 units), labels, k = 3. The two
//! // labels' points are far apart, so every ball holding 3 same-label neighbours holds nothing
//! // else (mᵢ = k) and the estimate is ψ(8) − ψ(4) nats = (1/4 + 1/5 + 1/6 + 1/7)/ln 2 bits —
//! // a little above H(Y) = 1 bit, the small-sample bias of ψ(N) − ψ(N_y) against ln(N/N_y).
//! let counts = [0.0, 1.0, 0.0, 2.0, 1.0, 1.0, 0.0, 0.0, 5.0, 4.0, 6.0, 4.0, 5.0, 5.0, 6.0, 6.0];
//! let labels = [0, 0, 0, 0, 1, 1, 1, 1];
//! let mi = mixed_mi(&counts, 2, &labels, 3, Some(&TieJitter::new(1)))?;
//! let expected = (1.0 / 4.0 + 1.0 / 5.0 + 1.0 / 6.0 + 1.0 / 7.0) / std::f64::consts::LN_2;
//! assert!((mi.bits - expected).abs() < 1e-9);
//! # Ok::<(), icnet_analysis::AnalysisError>(())
//! ```

#![warn(missing_docs)]

pub mod cost;
pub mod error;
pub mod mi;
pub mod robustness;
pub mod special;
pub mod stats;

pub use error::AnalysisError;

/// Result type of every fallible function in the crate.
pub type Result<T> = std::result::Result<T, AnalysisError>;
