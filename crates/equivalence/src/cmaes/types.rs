//! The public vocabulary of the CMA-ES: the [`Problem`] it minimises, its settings, what
//! the observer sees, and the result.

use serde::{Deserialize, Serialize};

/// Why a candidate could not be evaluated (e.g. its simulation diverged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("candidate rejected: {reason}")]
pub struct Rejected {
    /// One sentence saying what went wrong, e.g. "unit 2 diverged at t = 3 ms".
    pub reason: String,
}

impl Rejected {
    /// A rejection with `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Rejected {
            reason: reason.into(),
        }
    }
}

/// A minimisation problem over a box (argmin style).
pub trait Problem: Sync {
    /// Number of parameters n.
    fn dim(&self) -> usize;
    /// (lower, upper) bounds, each of length n, finite, lower ≤ upper. A parameter with
    /// lower = upper is fixed.
    fn bounds(&self) -> (Vec<f64>, Vec<f64>);
    /// The cost of parameters `x` (within bounds); lower is better. Return
    /// [`Rejected`] for candidates that cannot be evaluated.
    fn cost(&self, x: &[f64]) -> Result<f64, Rejected>;
}

/// Settings of a CMA-ES run. Defaults follow Hansen's tutorial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CmaesConfig {
    /// Initial mean in problem units; `None` = centre of the box.
    pub initial_mean: Option<Vec<f64>>,
    /// Initial step size σ₀ as a fraction of each parameter's range (default 0.3).
    pub initial_sigma: f64,
    /// Population size λ; `None` = 4 + ⌊3 ln n⌋. μ = ⌊λ/2⌋ parents.
    pub population: Option<usize>,
    /// Stop after this many generations (default 10 000).
    pub max_generations: usize,
    /// Stop once this many candidates have been evaluated (default 1 000 000).
    pub max_evaluations: usize,
    /// Stop as soon as a cost ≤ this is found (default none).
    pub target_cost: Option<f64>,
    /// Stop when the best costs of the last 10 + ⌈30n/λ⌉ generations, and all costs of the
    /// current one, span less than this (default 1e-12).
    pub tol_fun: f64,
    /// Stop when σ·√C_ii and σ·|p_c,i| are below this for every i, in unit-box
    /// coordinates (default 1e-12).
    pub tol_x: f64,
    /// Seed of the `ChaCha8Rng` that draws every sample.
    pub seed: u64,
    /// How many rejected candidates to keep in [`CmaesResult::rejections`] (default
    /// 1000); all are counted in [`CmaesResult::rejected_count`].
    pub max_stored_rejections: usize,
}

impl Default for CmaesConfig {
    fn default() -> Self {
        CmaesConfig {
            initial_mean: None,
            initial_sigma: 0.3,
            population: None,
            max_generations: 10_000,
            max_evaluations: 1_000_000,
            target_cost: None,
            tol_fun: 1e-12,
            tol_x: 1e-12,
            seed: 0,
            max_stored_rejections: 1000,
        }
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Termination {
    /// A cost ≤ [`CmaesConfig::target_cost`] was found.
    TargetReached,
    /// The observer returned `ControlFlow::Break`.
    StoppedByObserver,
    /// [`CmaesConfig::max_evaluations`] reached.
    MaxEvaluations,
    /// [`CmaesConfig::max_generations`] reached.
    MaxGenerations,
    /// The search distribution became narrower than [`CmaesConfig::tol_x`].
    TolX,
    /// Costs stopped changing by more than [`CmaesConfig::tol_fun`].
    TolFun,
    /// The covariance matrix's condition number exceeded 1e14.
    ConditionNumber,
    /// Every candidate of 10 + ⌈30n/λ⌉ consecutive generations was rejected.
    AllRejected,
}

/// What the observer sees after each generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationReport<'a> {
    /// Generation number, from 1.
    pub generation: usize,
    /// Candidates evaluated so far (accepted and rejected).
    pub evaluations: usize,
    /// Step size σ after this generation's update (unit-box coordinates).
    pub sigma: f64,
    /// Best cost found so far; `None` while every candidate has been rejected.
    pub best_cost: Option<f64>,
    /// Best cost of this generation; `None` if all of it was rejected.
    pub generation_best_cost: Option<f64>,
    /// Candidates of this generation that were rejected.
    pub rejected: usize,
    /// The distribution mean after the update, in problem units.
    pub mean: &'a [f64],
}

/// A point and its cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestPoint {
    /// Parameters, in problem units.
    pub x: Vec<f64>,
    /// Their cost.
    pub cost: f64,
}

/// One rejected candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectionRecord {
    /// Generation in which it was sampled.
    pub generation: usize,
    /// Its parameters, in problem units.
    pub x: Vec<f64>,
    /// The reason the problem gave.
    pub reason: String,
}

/// Outcome of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CmaesResult {
    /// The best accepted candidate evaluated; `None` if every candidate was rejected.
    pub best: Option<BestPoint>,
    /// The final distribution mean, in problem units.
    pub mean: Vec<f64>,
    /// The final step size σ (unit-box coordinates).
    pub sigma: f64,
    /// Generations run.
    pub generations: usize,
    /// Candidates evaluated.
    pub evaluations: usize,
    /// Why the run stopped.
    pub termination: Termination,
    /// Number of rejected candidates (including non-finite costs).
    pub rejected_count: usize,
    /// The first [`CmaesConfig::max_stored_rejections`] rejections, in order.
    pub rejections: Vec<RejectionRecord>,
}
