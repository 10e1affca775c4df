//! The whole fitting protocol as one call: HH references, restarted fit, evaluation of the
//! winner (and of a reference parameter set) on the training and held-out stimuli, and the
//! summaries the experiments report.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::driver::{fit, FitBudget, FitOutcome};
use super::problem::{
    evaluate, simulate_targets, ChainFitProblem, LossWeights, StimulusEvaluation, Target,
};
use super::stimuli::{held_out_stimuli, training_stimuli, HeldOutSpec, NamedStimulus};
use super::{FitError, Parameterisation};
use crate::chain::{ChainTrains, HhChain};
use crate::cmaes::GenerationReport;
use crate::error::ChainError;
use crate::topology::LifNetwork;

/// The initial state of both HH units of the reference chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HhInitialState {
    /// The authors' Fig. 3d script state ([`HhChain::authors_script`]): reproduces the paper.
    AuthorsScript,
    /// The resting state ([`HhChain::default`]): an extra onset spike within 2–6 ms.
    Rest,
}

impl HhInitialState {
    /// The reference HH chain with this initial state.
    pub fn chain(self) -> HhChain {
        match self {
            HhInitialState::AuthorsScript => HhChain::authors_script(),
            HhInitialState::Rest => HhChain::default(),
        }
    }
}

/// Everything that determines a fit and its validation, except the model and the seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// Simulation length (ms); the paper's 80.
    pub duration_ms: f64,
    /// Initial state of the HH chain.
    pub hh_initial: HhInitialState,
    /// The held-out stimuli.
    pub held_out: HeldOutSpec,
    /// The loss.
    pub loss: LossWeights,
    /// The search budget.
    pub budget: FitBudget,
}

/// The HH chain's trains under one stimulus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The stimulus.
    pub stimulus: NamedStimulus,
    /// The HH chain's trains (unit 2 is the target).
    pub hh: ChainTrains,
}

/// The targets of a protocol: training shapes and held-out stimuli, HH simulated once each.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The five training shapes.
    pub training: Vec<Target>,
    /// The held-out stimuli.
    pub held_out: Vec<Target>,
}

impl Targets {
    /// Every reference, training first, for storing with a run.
    pub fn references(&self) -> Vec<Reference> {
        self.training
            .iter()
            .chain(&self.held_out)
            .map(|t| Reference {
                stimulus: t.stimulus.clone(),
                hh: t.reference.clone(),
            })
            .collect()
    }
}

/// A parameter set evaluated on every target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEvaluation {
    /// Its network.
    pub network: LifNetwork,
    /// Σ of the loss over the training stimuli.
    pub training_loss: f64,
    /// Per training stimulus.
    pub training: Vec<StimulusEvaluation>,
    /// Per held-out stimulus.
    pub held_out: Vec<StimulusEvaluation>,
}

impl Protocol {
    /// Simulates the HH chain once per training and held-out stimulus (in parallel).
    pub fn targets(&self) -> Result<Targets, ChainError> {
        let hh = self.hh_initial.chain();
        Ok(Targets {
            training: simulate_targets(&hh, &training_stimuli(), self.duration_ms)?,
            held_out: simulate_targets(&hh, &held_out_stimuli(&self.held_out), self.duration_ms)?,
        })
    }

    /// The fitting problem of `parameterisation` on the training targets.
    pub fn problem<P: Parameterisation>(
        &self,
        parameterisation: P,
        targets: &Targets,
    ) -> ChainFitProblem<P> {
        ChainFitProblem::new(
            parameterisation,
            targets.training.clone(),
            self.loss,
            self.duration_ms,
        )
    }

    /// Fits `parameterisation` (restart 0 from `start`, if given) with the protocol's budget.
    pub fn fit<P: Parameterisation>(
        &self,
        problem: &ChainFitProblem<P>,
        seed: u64,
        start: Option<&[f64]>,
        observer: impl FnMut(usize, &GenerationReport<'_>) -> ControlFlow<()>,
    ) -> Result<FitOutcome, FitError> {
        fit(problem, &self.budget, seed, start, observer)
    }

    /// Evaluates the network of `x` on every target. Errors (with the reason) when `x` is
    /// rejected or a simulation diverges.
    pub fn evaluate<P: Parameterisation>(
        &self,
        problem: &ChainFitProblem<P>,
        targets: &Targets,
        x: &[f64],
    ) -> Result<ModelEvaluation, crate::cmaes::Rejected> {
        let network = problem.network(x)?;
        let training = evaluate(&network, &targets.training, &self.loss, self.duration_ms)?;
        let held_out = evaluate(&network, &targets.held_out, &self.loss, self.duration_ms)?;
        Ok(ModelEvaluation {
            training_loss: training.iter().map(|e| e.loss).sum(),
            network,
            training,
            held_out,
        })
    }
}

/// Means of every metric over a set of stimuli (unit 2 against HH).
///
/// Γ, van Rossum, Victor–Purpura and the count error are defined for every pair of trains and
/// averaged over all stimuli. |ΔISI| needs two spikes in each train and the normalised offset
/// equal counts; they are averaged over the stimuli where they are defined, and `*_defined`
/// says on how many (`None` when on none).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Number of stimuli.
    pub stimuli: usize,
    /// Mean |n_HH − n_model|.
    pub count_error: f64,
    /// Σ |n_HH − n_model|.
    pub count_error_total: usize,
    /// Mean |ΔISI| (ms) where defined.
    pub abs_isi_difference_ms: Option<f64>,
    /// Stimuli where ΔISI is defined.
    pub isi_defined: usize,
    /// Mean normalised offset where defined.
    pub normalised_offset: Option<f64>,
    /// Stimuli where the offset is defined.
    pub offset_defined: usize,
    /// Mean Γ.
    pub gamma_mean: f64,
    /// Minimum Γ.
    pub gamma_min: f64,
    /// Mean van Rossum distance.
    pub van_rossum: f64,
    /// Mean Victor–Purpura distance.
    pub victor_purpura: f64,
}

fn mean(values: impl Iterator<Item = f64>) -> (Option<f64>, usize) {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v, n + 1));
    ((n > 0).then(|| sum / n as f64), n)
}

/// The [`MetricSummary`] of `evaluations` (all zeros and Γ = 1 for an empty set, which no
/// protocol produces).
pub fn summarise(evaluations: &[StimulusEvaluation]) -> MetricSummary {
    let n = evaluations.len();
    let all = |f: fn(&StimulusEvaluation) -> f64| mean(evaluations.iter().map(f)).0.unwrap_or(0.0);
    let (isi, isi_defined) = mean(
        evaluations
            .iter()
            .filter_map(|e| e.unit2.mean_isi_difference_ms.map(f64::abs)),
    );
    let (offset, offset_defined) =
        mean(evaluations.iter().filter_map(|e| e.unit2.normalised_offset));
    MetricSummary {
        stimuli: n,
        count_error: all(|e| e.unit2.count_error as f64),
        count_error_total: evaluations.iter().map(|e| e.unit2.count_error).sum(),
        abs_isi_difference_ms: isi,
        isi_defined,
        normalised_offset: offset,
        offset_defined,
        gamma_mean: if n == 0 { 1.0 } else { all(|e| e.unit2.gamma) },
        gamma_min: evaluations
            .iter()
            .map(|e| e.unit2.gamma)
            .fold(if n == 0 { 1.0 } else { f64::INFINITY }, f64::min),
        van_rossum: all(|e| e.unit2.van_rossum),
        victor_purpura: all(|e| e.unit2.victor_purpura),
    }
}

/// One metric of two models on the same stimuli, and which is better.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricContest {
    /// Metric name.
    pub metric: String,
    /// Mean of model A (e.g. hand-tuned).
    pub a: Option<f64>,
    /// Mean of model B (e.g. fitted).
    pub b: Option<f64>,
    /// Stimuli the means are taken over.
    pub stimuli: usize,
    /// Whether higher is better (Γ) or lower (the rest).
    pub higher_is_better: bool,
    /// Whether B is strictly better than A.
    pub b_wins: bool,
}

/// Compares two models' evaluations on the same stimuli, metric by metric: count error, |ΔISI|,
/// normalised offset, Γ (mean), van Rossum, Victor–Purpura. |ΔISI| and the offset are compared
/// on the stimuli where *both* models have them defined (a paired comparison); B wins such a
/// metric only if it is also defined on at least as many stimuli as A (a model must not win by
/// firing so wrongly that the metric is undefined where it is hard). Panics never; mismatched
/// stimulus lists are compared pairwise up to the shorter.
pub fn contest(a: &[StimulusEvaluation], b: &[StimulusEvaluation]) -> Vec<MetricContest> {
    let pairs: Vec<_> = a.iter().zip(b).collect();
    let n = pairs.len();
    let always = |name: &str, f: fn(&StimulusEvaluation) -> f64, higher: bool| {
        let (ma, _) = mean(pairs.iter().map(|(x, _)| f(x)));
        let (mb, _) = mean(pairs.iter().map(|(_, y)| f(y)));
        let wins = match (ma, mb) {
            (Some(x), Some(y)) => {
                if higher {
                    y > x
                } else {
                    y < x
                }
            }
            _ => false,
        };
        MetricContest {
            metric: name.into(),
            a: ma,
            b: mb,
            stimuli: n,
            higher_is_better: higher,
            b_wins: wins,
        }
    };
    let paired = |name: &str, f: fn(&StimulusEvaluation) -> Option<f64>| {
        let both: Vec<(f64, f64)> = pairs
            .iter()
            .filter_map(|(x, y)| Some((f(x)?, f(y)?)))
            .collect();
        let (ma, _) = mean(both.iter().map(|p| p.0));
        let (mb, _) = mean(both.iter().map(|p| p.1));
        let defined_a = pairs.iter().filter(|(x, _)| f(x).is_some()).count();
        let defined_b = pairs.iter().filter(|(_, y)| f(y).is_some()).count();
        let wins = match (ma, mb) {
            (Some(x), Some(y)) => y < x && defined_b >= defined_a,
            (None, None) => defined_b > defined_a,
            _ => false,
        };
        MetricContest {
            metric: name.into(),
            a: ma,
            b: mb,
            stimuli: both.len(),
            higher_is_better: false,
            b_wins: wins,
        }
    };
    vec![
        always("spike count error", |e| e.unit2.count_error as f64, false),
        paired("|mean ISI difference| (ms)", |e| {
            e.unit2.mean_isi_difference_ms.map(f64::abs)
        }),
        paired("normalised offset", |e| e.unit2.normalised_offset),
        always("coincidence factor Γ", |e| e.unit2.gamma, true),
        always(
            "van Rossum distance (τ 5 ms)",
            |e| e.unit2.van_rossum,
            false,
        ),
        always(
            "Victor–Purpura distance (q 1/ms)",
            |e| e.unit2.victor_purpura,
            false,
        ),
    ]
}
