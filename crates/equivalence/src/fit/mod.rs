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
