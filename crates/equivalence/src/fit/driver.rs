//! Restarted CMA-ES: several seeded runs of [`crate::cmaes`] on one problem, the best kept.
//!
//! Restart 0 starts from the given point (the hand-tuned parameters, when there are any);
//! every later restart from the best of `screen` uniformly random points of the box (drawn
//! from a `ChaCha8Rng` seeded with the fit's seed, evaluated in parallel, counted in the
//! evaluations). The screening matters because much of the box is a plateau: networks that
//! never fire (or fire every step) all have the same loss, and a CMA-ES started there sees no
//! slope and stops. Restart r runs the CMA-ES with seed `seed + r + 1` and, IPOP
//! style (Auger & Hansen 2005), a population of `population·2^min(⌊r/2⌋, 2)`, so later restarts search
//! more globally. The winner is the lowest *training* loss among every evaluated candidate and
//! the starting point itself (so a fit never returns something worse than where it started);
//! held-out stimuli play no part.

use std::ops::ControlFlow;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::FitError;
use crate::cmaes::{
    minimize_with_observer, CmaesConfig, GenerationReport, Problem, RejectionRecord, Termination,
};

/// How much search a fit may spend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitBudget {
    /// Independent CMA-ES runs (≥ 1).
    pub restarts: usize,
    /// Population λ of restarts 0 and 1 (doubled every second restart, at most 4×).
    pub population: usize,
    /// Generations per restart (an upper bound: a restart also stops on the CMA-ES's own
    /// convergence criteria).
    pub generations: usize,
    /// Initial step size, as a fraction of each parameter's range.
    pub initial_sigma: f64,
    /// Random points screened for the start of each random restart (≥ 1; 1 = no screening).
    pub screen: usize,
}

impl FitBudget {
    /// Upper bound on the generations of the whole fit (for progress bars).
    pub fn total_generations(&self) -> usize {
        self.restarts * self.generations
    }

    /// Population of restart `r`.
    pub fn population_of(&self, restart: usize) -> usize {
        self.population.max(2) << (restart / 2).min(2)
    }

    /// Upper bound on the loss evaluations of the whole fit: every restart's screening and
    /// its full population for every generation (restarts that converge early use fewer).
    pub fn max_evaluations(&self) -> usize {
        (0..self.restarts)
            .map(|r| self.screen.max(1) + self.population_of(r) * self.generations)
            .sum()
    }
}

/// What one restart did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartSummary {
    /// Index of the restart.
    pub restart: usize,
    /// Seed of its CMA-ES.
    pub seed: u64,
    /// Its initial mean.
    pub initial_mean: Vec<f64>,
    /// Its population.
    pub population: usize,
    /// Its best training loss (`None`: every candidate was rejected).
    pub best_cost: Option<f64>,
    /// Generations run.
    pub generations: usize,
    /// Candidates evaluated.
    pub evaluations: usize,
    /// Why it stopped.
    pub termination: Termination,
    /// Candidates rejected.
    pub rejected: usize,
}

/// The outcome of a restarted fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOutcome {
    /// The best parameters found (lowest training loss over all restarts).
    pub best_x: Vec<f64>,
    /// Its training loss.
    pub best_cost: f64,
    /// The restart that found it (0 also when it is the starting point itself).
    pub best_restart: usize,
    /// Whether no candidate beat the starting point, which is then returned.
    pub best_is_start: bool,
    /// The training loss of the starting point, when one was given (`None` also when it
    /// was rejected).
    pub start_cost: Option<f64>,
    /// Every restart.
    pub restarts: Vec<RestartSummary>,
    /// Candidates evaluated in total, screening included.
    pub evaluations: usize,
    /// Candidates rejected in total (diverging simulations, invalid parameters), screening
    /// included.
    pub rejected: usize,
    /// The first rejections with their reasons (at most 20; generation 0: screening).
    pub rejection_examples: Vec<RejectionRecord>,
}

/// The best of a set of points (the first when none is accepted), and the rejected ones
/// (recorded with generation 0).
struct Screened {
    best: Vec<f64>,
    rejections: Vec<RejectionRecord>,
}

fn screen<Pr: Problem>(problem: &Pr, candidates: &[Vec<f64>]) -> Screened {
    let costs: Vec<Result<f64, String>> = candidates
        .par_iter()
        .map(|x| match problem.cost(x) {
            Ok(c) if c.is_finite() => Ok(c),
            Ok(c) => Err(format!("the cost is {c}")),
            Err(r) => Err(r.reason),
        })
        .collect();
    let best = costs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().ok().map(|&c| (i, c)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map_or(0, |(i, _)| i);
    Screened {
        best: candidates[best].clone(),
        rejections: costs
            .into_iter()
            .zip(candidates)
            .filter_map(|(c, x)| {
                c.err().map(|reason| RejectionRecord {
                    generation: 0,
                    x: x.clone(),
                    reason,
                })
            })
            .collect(),
    }
}

/// Maximum number of rejection records kept in a [`FitOutcome`].
pub const MAX_REJECTION_EXAMPLES: usize = 20;

/// Minimises `problem` with `budget.restarts` CMA-ES runs (see the module documentation).
/// `observer` sees (restart, generation report) after every generation; breaking stops the
/// current restart only. Errors for an invalid budget or box, or when every candidate of
/// every restart was rejected.
pub fn fit<Pr: Problem>(
    problem: &Pr,
    budget: &FitBudget,
    seed: u64,
    start: Option<&[f64]>,
    mut observer: impl FnMut(usize, &GenerationReport<'_>) -> ControlFlow<()>,
) -> Result<FitOutcome, FitError> {
    if budget.restarts == 0 || budget.generations == 0 {
        return Err(FitError::EmptyBudget);
    }
    let (lower, upper) = problem.bounds();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start_cost = start.and_then(|x| problem.cost(x).ok());
    let mut restarts = Vec::with_capacity(budget.restarts);
    let mut best: Option<(Vec<f64>, f64, usize)> = None;
    let (mut evaluations, mut rejected) = (0, 0);
    let mut rejection_examples = Vec::new();
    for restart in 0..budget.restarts {
        // Drawn for every restart, so restart r's start does not depend on `start`.
        let candidates: Vec<Vec<f64>> = (0..budget.screen.max(1))
            .map(|_| {
                lower
                    .iter()
                    .zip(&upper)
                    .map(|(&lo, &hi)| {
                        if hi > lo {
                            rng.random_range(lo..=hi)
                        } else {
                            lo
                        }
                    })
                    .collect()
            })
            .collect();
        let initial_mean = match (restart, start) {
            (0, Some(x)) => x.to_vec(),
            _ => {
                let screened = screen(problem, &candidates);
                evaluations += candidates.len();
                rejected += screened.rejections.len();
                let room = MAX_REJECTION_EXAMPLES.saturating_sub(rejection_examples.len());
                rejection_examples.extend(screened.rejections.into_iter().take(room));
                screened.best
            }
        };
        let population = budget.population_of(restart);
        let config = CmaesConfig {
            initial_mean: Some(initial_mean.clone()),
            initial_sigma: budget.initial_sigma,
            population: Some(population),
            max_generations: budget.generations,
            seed: seed.wrapping_add(restart as u64 + 1),
            max_stored_rejections: MAX_REJECTION_EXAMPLES,
            ..CmaesConfig::default()
        };
        let result = minimize_with_observer(problem, &config, |report| observer(restart, report))?;
        evaluations += result.evaluations;
        rejected += result.rejected_count;
        for record in result.rejections {
            if rejection_examples.len() < MAX_REJECTION_EXAMPLES {
                rejection_examples.push(record);
            }
        }
        if let Some(b) = &result.best {
            if best.as_ref().is_none_or(|(_, cost, _)| b.cost < *cost) {
                best = Some((b.x.clone(), b.cost, restart));
            }
        }
        restarts.push(RestartSummary {
            restart,
            seed: config.seed,
            initial_mean,
            population,
            best_cost: result.best.map(|b| b.cost),
            generations: result.generations,
            evaluations: result.evaluations,
            termination: result.termination,
            rejected: result.rejected_count,
        });
    }
    let mut best_is_start = false;
    if let (Some(x), Some(cost)) = (start, start_cost) {
        if best.as_ref().is_none_or(|(_, c, _)| cost < *c) {
            best = Some((x.to_vec(), cost, 0));
            best_is_start = true;
        }
    }
    let (best_x, best_cost, best_restart) = best.ok_or_else(|| FitError::NothingAccepted {
        evaluations,
        first_reason: rejection_examples
            .first()
            .map_or_else(|| "unknown".to_string(), |r| r.reason.clone()),
    })?;
    Ok(FitOutcome {
        best_x,
        best_cost,
        best_restart,
        best_is_start,
        start_cost,
        restarts,
        evaluations,
        rejected,
        rejection_examples,
    })
}

#[cfg(test)]
mod tests {
    use super::FitBudget;

    #[test]
    fn max_evaluations_counts_screens_and_doubling_populations() {
        let budget = FitBudget {
            restarts: 3,
            population: 4,
            generations: 10,
            initial_sigma: 0.3,
            screen: 5,
        };
        // Populations 4, 4, 8: (5 + 40) + (5 + 40) + (5 + 80).
        assert_eq!(budget.max_evaluations(), 175);
    }
}
