//! Fitting LIF networks to the HH neuron (issue 3, §2–§3).
//!
//! The protocol, shared by the s-LIF2HH fit (experiment `fig3d`) and the topology fits
//! (experiment `topology`):
//!
//! 1. **Reference**: the two-unit HH chain of Fig. 3d ([`crate::chain::HhChain`]) is simulated
//!    once per stimulus ([`problem::simulate_targets`]); its unit-2 spike train is the target.
//! 2. **Model**: a [`Parameterisation`] maps a parameter vector in a box ([`bounds`]) to a
//!    [`LifNetwork`]; two copies form the chain, network 2 driven by W·dt·f₁
//!    ([`LifNetwork::run_chain`]), network 1 by the mean stimulus of each step
//!    ([`stimuli::StimulusGrid`]).
//! 3. **Loss**: Σ over the five training shapes of (1 − Γ) + λ_n·|Δn| + λ_vR·D_vR on unit 2
//!    ([`problem::LossWeights`]), a [`crate::cmaes::Problem`] ([`problem::ChainFitProblem`])
//!    whose population the CMA-ES evaluates in parallel; candidates that diverge or are
//!    invalid are rejected with a reason and ranked last.
//! 4. **Search**: restarted, seeded CMA-ES ([`driver::fit`]); the lowest training loss wins.
//! 5. **Validation**: the winner and the hand-tuned parameters on held-out stimuli never seen
//!    in fitting ([`stimuli::held_out_stimuli`]): seeded random amplitudes, offsets and
//!    periods of the five shapes, and seeded noisy currents ([`problem::evaluate`]).
//!
//! # What limits Γ (issue 3 diagnosis, quick profile, measured with `examples/fig3d_probe.rs`
//! and `examples/fig3d_diagnose.rs`)
//!
//! - **Spike stamping is not it.** HH unit 2 fires 0.51–0.67 ms after unit 1 on every
//!   stimulus, well inside ±2 ms, and the fitted dt is 0.2–0.4 ms; stamping spikes at mid-step
//!   instead of the start (fitted u0, seed 0) gave a *worse* training loss (2.83 against 1.45)
//!   and held-out Γ mean (0.256 against 0.299). The misses are offsets of several ms (up to
//!   10 ms with the 12-parameter fit, up to 7.4 ms with fitted u0).
//! - **The initial state was.** With u(0) = reset, the first spike under a constant current
//!   comes one ISI after t = 0, while HH (from the authors' script state) fires earlier; see
//!   [`bounds`]. Fitting u(0) took the training loss from 3.626 to 1.448, the training Γ on
//!   the constant stimulus from 0.467 to 1.0, the held-out Γ mean from 0.055 to 0.299 and the
//!   minimum from −0.667 to −0.462.
//! - **The loss weights are not it** ([`problem::LossWeights`]).
//! - **A richer training set is no clear gain**: adding 2 variants per shape and 3 noisy
//!   currents (seed 7, disjoint from the held-out seed) to the training set (18 stimuli, 3.6×
//!   the cost per evaluation) raised the held-out Γ minimum to −0.333 but lowered the mean to
//!   0.253 (five shapes: −0.462 and 0.299); not adopted, as it would not fit the quick budget.
//! - **The model class is.** Γ ≥ 0.8 on 3–8 spikes needs every spike within ±2 ms (one miss
//!   gives 0.61–0.79; `tests/metric_invariants.rs`). Fitted *directly on the 25 held-out
//!   stimuli* (a diagnostic upper bound, never a result; 10 restarts), the 16-parameter
//!   s-LIF2HH reaches a held-out Γ minimum of only −0.333 (mean 0.381); fitted on `triangle#3`
//!   alone (HH: 3 spikes at 26.7, 54.6, 69.4 ms) it cannot exceed Γ = 0.608 with 12 or 16
//!   parameters. Single other stimuli (`sine#3`, `sawtooth#4`, `noise#2`) are each fitted to
//!   Γ = 1 alone, so the joint fit fails because one set of parameters cannot place the spikes
//!   of all shapes: the held-out misses are offsets of 2–7 ms that persist over every
//!   spike of a stimulus (a different f–I relation and phase locking than HH's), and the
//!   joint reset erases all memory at each spike, so nothing like HH's refractoriness carries
//!   over. Per-unit reset potentials (16 or 20 parameters) did not fit better on the quick
//!   budget (training losses 6.12 and 5.53).

pub mod bounds;
pub mod driver;
pub mod problem;
pub mod protocol;
pub mod stimuli;

pub use bounds::{ParamBox, SLif2HhParameterisation};
pub use driver::{fit, FitBudget, FitOutcome, RestartSummary};
pub use problem::{
    evaluate, simulate_chain, simulate_targets, ChainFitProblem, LossWeights, StimulusEvaluation,
    Target,
};
pub use protocol::{
    contest, summarise, HhInitialState, MetricContest, MetricSummary, ModelEvaluation, Protocol,
    Reference, Targets,
};
pub use stimuli::{held_out_stimuli, training_stimuli, HeldOutSpec, NamedStimulus, StimulusGrid};

use crate::cmaes::Rejected;
use crate::error::CmaesError;
use crate::topology::LifNetwork;

/// A family of LIF networks as a parameter vector in a box.
pub trait Parameterisation: Sync {
    /// One name per parameter, in vector order.
    fn names(&self) -> Vec<String>;
    /// (lower, upper) bounds in vector order.
    fn bounds(&self) -> (Vec<f64>, Vec<f64>);
    /// The network `x` stands for; [`Rejected`] (with the offending parameter named) when `x`
    /// has the wrong length or holds a NaN, an infinity or a value outside the box.
    fn network(&self, x: &[f64]) -> Result<LifNetwork, Rejected>;
}

/// Checks `x` against the names and bounds of a parameterisation: right length, every value
/// finite and within its box. The reason names the first offending parameter.
pub fn check_vector(
    names: &[String],
    (lower, upper): &(Vec<f64>, Vec<f64>),
    x: &[f64],
) -> Result<(), Rejected> {
    if x.len() != names.len() {
        return Err(Rejected::new(format!(
            "the parameter vector has {} entries but the model has {} ({})",
            x.len(),
            names.len(),
            names.join(", ")
        )));
    }
    for (i, &value) in x.iter().enumerate() {
        if !value.is_finite() {
            return Err(Rejected::new(format!(
                "parameter `{}` is {value}; parameters must be finite",
                names[i]
            )));
        }
        if !(lower[i]..=upper[i]).contains(&value) {
            return Err(Rejected::new(format!(
                "parameter `{}` is {value}, outside its box [{}, {}]",
                names[i], lower[i], upper[i]
            )));
        }
    }
    Ok(())
}

/// Why a fit could not produce a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The CMA-ES refused the problem or its settings.
    #[error(transparent)]
    Cmaes(#[from] CmaesError),
    /// No restarts or no generations.
    #[error("the fit budget has no restarts or no generations; give at least one of each")]
    EmptyBudget,
    /// Every candidate of every restart was rejected.
    #[error("all {evaluations} candidates were rejected (first reason: {first_reason}); widen or fix the parameter box")]
    NothingAccepted {
        /// Candidates evaluated.
        evaluations: usize,
        /// The first rejection's reason.
        first_reason: String,
    },
}
