//! Many models × seeds × amplitudes: per-seed normalised AUC, summaries over seeds, seeded
//! bootstrap confidence intervals and a ranking of models (Fig. 4h, 4i; table `robustness`).

use super::curve::{check_amplitudes, degradation, normalised_auc};
use crate::error::AnalysisError;
use crate::stats::{summarize, Interval, Summary};
use crate::Result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Scores (accuracy or reward) of one model: `scores[seed][amplitude index]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCurves {
    /// Model name, e.g. "hh-fc".
    pub model: String,
    /// One curve per seed, each with one score per amplitude of the sweep.
    pub scores: Vec<Vec<f64>>,
}

/// A noise sweep: the amplitude axis (first 0, strictly increasing) and every model's curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseSweep {
    /// Noise amplitudes A₀ = 0 < A₁ < … (byte scale for images, σ for RL).
    pub amplitudes: Vec<f64>,
    /// The models.
    pub models: Vec<ModelCurves>,
}

/// Settings of the percentile bootstrap over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapConfig {
    /// Number of resamples B (10 000 gives percentiles stable to about ±0.3 % of the spread).
    pub resamples: usize,
    /// Seed of the ChaCha8 generator; model i uses stream i, so adding a model leaves the
    /// others' intervals unchanged.
    pub seed: u64,
}

/// Robustness of one model over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRobustness {
    /// Model name.
    pub model: String,
    /// Normalised AUC of each seed's curve (see [`normalised_auc`]).
    pub auc_per_seed: Vec<f64>,
    /// Mean, s.d. and Student-t 95 % CI of the per-seed AUC.
    pub auc: Summary,
    /// Percentile-bootstrap 95 % CI of the mean AUC; `None` for one seed (no resampling spread).
    pub auc_bootstrap_ci95: Option<Interval>,
    /// Score at each amplitude, summarised over seeds.
    pub score: Vec<Summary>,
    /// Relative drop (s₀ − s(A))/s₀ at each amplitude, summarised over seeds.
    pub relative_drop: Vec<Summary>,
}

/// One row of the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankEntry {
    /// 1 = most robust.
    pub rank: usize,
    /// Model name.
    pub model: String,
    /// Mean normalised AUC over seeds.
    pub mean_auc: f64,
    /// Bootstrap 95 % CI of the mean AUC (`None` for one seed).
    pub bootstrap_ci95: Option<Interval>,
    /// Whether this model's bootstrap interval lies entirely above the next model's, i.e. the
    /// order to the next rank is resolved at this number of seeds; `false` for the last row
    /// and whenever an interval is missing.
    pub separated_from_next: bool,
}

/// Everything the `robustness` table and figures need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustnessReport {
    /// The amplitude axis.
    pub amplitudes: Vec<f64>,
    /// Per-model results, in input order.
    pub models: Vec<ModelRobustness>,
    /// Models by decreasing mean AUC (ties broken by name).
    pub ranking: Vec<RankEntry>,
    /// The bootstrap settings used.
    pub bootstrap: BootstrapConfig,
}

/// Percentile p ∈ [0, 1] of sorted values by linear interpolation between order statistics
/// (Hyndman–Fan type 7, the default of R and NumPy).
pub(crate) fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Percentile-bootstrap 95 % CI of the mean of `values`: B resamples of size n with
/// replacement, the 2.5th and 97.5th percentiles of the resample means. `None` for n < 2.
pub fn bootstrap_mean_ci95(
    values: &[f64],
    resamples: usize,
    rng: &mut ChaCha8Rng,
) -> Option<Interval> {
    let n = values.len();
    if n < 2 || resamples == 0 {
        return None;
    }
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    Some(Interval {
        low: percentile_sorted(&means, 0.025),
        high: percentile_sorted(&means, 0.975),
    })
}

/// Analyses a sweep: per-seed AUC and degradation, summaries, bootstrap CIs, ranking.
///
/// Errors name the model and seed at fault (wrong number of scores, non-positive noise-free
/// score, NaN) and a model without seeds; `resamples` must be ≥ 1.
pub fn analyse_robustness(
    sweep: &NoiseSweep,
    bootstrap: &BootstrapConfig,
) -> Result<RobustnessReport> {
    const WHAT: &str = "robustness sweep";
    check_amplitudes(&sweep.amplitudes)?;
    if bootstrap.resamples == 0 {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "bootstrap.resamples",
            problem: "is 0; use at least 1000 resamples (10 000 is usual)".into(),
        });
    }
    let amps = &sweep.amplitudes;
    let mut models = Vec::with_capacity(sweep.models.len());
    for (index, curves) in sweep.models.iter().enumerate() {
        if curves.scores.is_empty() {
            return Err(AnalysisError::TooFewSamples {
                what: WHAT,
                field: format!("model {}", curves.model),
                needed: 1,
                got: 0,
                hint: "every model needs at least one seed's curve",
            });
        }
        let name_error = |seed: usize, e: AnalysisError| AnalysisError::InvalidParameter {
            what: WHAT,
            field: "models[].scores",
            problem: format!(
                "of model {} seed index {seed} is unusable: {e}",
                curves.model
            ),
        };
        let mut auc_per_seed = Vec::with_capacity(curves.scores.len());
        let mut drops = Vec::with_capacity(curves.scores.len());
        for (seed, scores) in curves.scores.iter().enumerate() {
            auc_per_seed.push(normalised_auc(amps, scores).map_err(|e| name_error(seed, e))?);
            drops.push(degradation(amps, scores).map_err(|e| name_error(seed, e))?);
        }
        let n_seeds = curves.scores.len();
        let over_seeds =
            |f: &dyn Fn(usize) -> f64| summarize(&(0..n_seeds).map(f).collect::<Vec<_>>());
        let score = (0..amps.len())
            .map(|a| over_seeds(&|s| curves.scores[s][a]))
            .collect::<Result<Vec<_>>>()?;
        let relative_drop = (0..amps.len())
            .map(|a| over_seeds(&|s| drops[s][a].relative_drop))
            .collect::<Result<Vec<_>>>()?;
        let mut rng = ChaCha8Rng::seed_from_u64(bootstrap.seed);
        rng.set_stream(index as u64);
        models.push(ModelRobustness {
            model: curves.model.clone(),
            auc: summarize(&auc_per_seed)?,
            auc_bootstrap_ci95: bootstrap_mean_ci95(&auc_per_seed, bootstrap.resamples, &mut rng),
            auc_per_seed,
            score,
            relative_drop,
        });
    }
    let mut order: Vec<&ModelRobustness> = models.iter().collect();
    order.sort_by(|a, b| {
        b.auc
            .mean
            .total_cmp(&a.auc.mean)
            .then_with(|| a.model.cmp(&b.model))
    });
    let ranking = order
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let next = order.get(i + 1);
            let separated_from_next = match (
                m.auc_bootstrap_ci95,
                next.and_then(|n| n.auc_bootstrap_ci95),
            ) {
                (Some(this), Some(below)) => this.low > below.high,
                _ => false,
            };
            RankEntry {
                rank: i + 1,
                model: m.model.clone(),
                mean_auc: m.auc.mean,
                bootstrap_ci95: m.auc_bootstrap_ci95,
                separated_from_next,
            }
        })
        .collect();
    Ok(RobustnessReport {
        amplitudes: amps.clone(),
        models,
        ranking,
        bootstrap: *bootstrap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep() -> NoiseSweep {
        NoiseSweep {
            amplitudes: vec![0.0, 25.0, 50.0, 75.0],
            models: vec![
                ModelCurves {
                    model: "lif".into(),
                    // AUCs 7/9 (hand-worked in curve.rs) and 0.625 (below).
                    scores: vec![vec![0.9, 0.9, 0.6, 0.3], vec![0.8, 0.6, 0.4, 0.2]],
                },
                ModelCurves {
                    model: "hh".into(),
                    scores: vec![vec![0.9, 0.9, 0.9, 0.9], vec![0.8, 0.8, 0.8, 0.8]],
                },
            ],
        }
    }

    const BOOT: BootstrapConfig = BootstrapConfig {
        resamples: 4000,
        seed: 9,
    };

    #[test]
    fn hand_worked_sweep() {
        let r = analyse_robustness(&sweep(), &BOOT).unwrap();
        let lif = &r.models[0];
        // Seed 1: 25·(0.7 + 0.5 + 0.3) = 37.5 over 0.8·75 = 60 → 0.625.
        assert!((lif.auc_per_seed[0] - 7.0 / 9.0).abs() < 1e-14);
        assert!((lif.auc_per_seed[1] - 0.625).abs() < 1e-14);
        assert!((lif.auc.mean - (7.0 / 9.0 + 0.625) / 2.0).abs() < 1e-14);
        // Relative drop at A = 75: 2/3 and 3/4.
        assert!((lif.relative_drop[3].mean - (2.0 / 3.0 + 0.75) / 2.0).abs() < 1e-14);
        assert!((lif.score[1].mean - 0.75).abs() < 1e-14);
        assert_eq!(r.models[1].auc.mean, 1.0);
        assert_eq!(r.models[1].auc.sd, Some(0.0));
        // Ranking: hh (1.0) above lif; hh's interval is the point 1, lif's lies below it.
        assert_eq!(r.ranking[0].model, "hh");
        assert_eq!(r.ranking[0].rank, 1);
        assert!(r.ranking[0].separated_from_next);
        assert!(!r.ranking[1].separated_from_next);
        let hh_ci = r.ranking[0].bootstrap_ci95.unwrap();
        assert_eq!((hh_ci.low, hh_ci.high), (1.0, 1.0));
    }

    #[test]
    fn two_seed_bootstrap_spans_both_values() {
        // With two values the resample means are v₁, (v₁+v₂)/2, v₂ with probabilities ¼, ½, ¼,
        // so the 2.5th and 97.5th percentiles are v₁ and v₂ for any large B.
        let lif = &analyse_robustness(&sweep(), &BOOT).unwrap().models[0];
        let ci = lif.auc_bootstrap_ci95.unwrap();
        assert!((ci.low - 0.625).abs() < 1e-14 && (ci.high - 7.0 / 9.0).abs() < 1e-14);
    }

    #[test]
    fn bootstrap_is_seeded_and_per_model() {
        let values = [0.5, 0.7, 0.6, 0.9, 0.65];
        let draw = |seed, stream| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(stream);
            bootstrap_mean_ci95(&values, 2000, &mut rng).unwrap()
        };
        assert_eq!(draw(1, 0), draw(1, 0));
        assert_ne!(draw(1, 0), draw(2, 0));
        let ci = draw(1, 0);
        // The bootstrap interval of a mean lies inside the data range and around the mean 0.67.
        assert!(ci.low > 0.5 && ci.high < 0.9 && ci.contains(0.67), "{ci:?}");
        // Adding a model does not change the others' intervals: streams by index.
        let mut s = sweep();
        let before = analyse_robustness(&s, &BOOT).unwrap();
        s.models.push(s.models[0].clone());
        s.models[2].model = "copy".into();
        let after = analyse_robustness(&s, &BOOT).unwrap();
        assert_eq!(before.models[0], after.models[0]);
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
    }

    #[test]
    fn single_seed_has_no_interval() {
        let mut s = sweep();
        s.models[0].scores.truncate(1);
        let r = analyse_robustness(&s, &BOOT).unwrap();
        assert_eq!(r.models[0].auc_bootstrap_ci95, None);
        assert_eq!(r.models[0].auc.ci95, None);
    }

    #[test]
    fn errors_name_model_and_seed() {
        let mut s = sweep();
        s.models[1].scores[1].pop();
        let e = analyse_robustness(&s, &BOOT).unwrap_err().to_string();
        assert!(e.contains("model hh seed index 1"), "{e}");
        let mut s = sweep();
        s.models[0].scores.clear();
        let e = analyse_robustness(&s, &BOOT).unwrap_err().to_string();
        assert!(e.contains("model lif"), "{e}");
        let e = analyse_robustness(
            &sweep(),
            &BootstrapConfig {
                resamples: 0,
                seed: 0,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("resamples"));
    }

    #[test]
    fn report_serialises() {
        let r = analyse_robustness(&sweep(), &BOOT).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        let back: RobustnessReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back.ranking, r.ranking);
    }
}
