//! A CMA-ES for box-bounded, derivative-free minimisation, written from Hansen's
//! tutorial (N. Hansen, *The CMA Evolution Strategy: A Tutorial*, arXiv:1604.00772,
//! "Algorithm summary" with default parameters): (μ/μ_w, λ) recombination with positive
//! log-weights, rank-one and rank-μ covariance updates, cumulative step-size adaptation.
//!
//! - **Problem** (argmin style): a [`Problem`] gives its dimension, box bounds and a cost;
//!   a candidate whose simulation diverges returns [`Rejected`] with a reason. Rejected
//!   candidates (and costs that come back NaN/±inf) are ranked after every accepted one,
//!   in sampling order, and recorded; a fit never stops because of them.
//! - **Coordinates**: the search runs in the unit box u ∈ [0, 1]ⁿ, x = lower + u·(upper −
//!   lower), so one global step size σ fits parameters of very different scales; the
//!   initial σ and the x-tolerance are fractions of each parameter's range.
//! - **Bounds by reflection**: a sample m + σy that leaves [0, 1] is folded back
//!   (u ↦ u mod 2, then 2 − u if u > 1), which keeps the sampling density smooth at the
//!   walls (clipping would pile mass onto them). The update is Lamarckian: it uses the
//!   reflected point's step y = (u − m)/σ, so the mean, a convex combination of evaluated
//!   points, always stays inside the box and every evaluated x is within bounds.
//! - **Determinism**: all random numbers are drawn on the calling thread from a
//!   `ChaCha8Rng` seeded with [`CmaesConfig::seed`]; only the cost evaluations run in
//!   parallel (rayon), their results collected in sampling order; ties in cost are broken
//!   by sampling index. The result is therefore bit-identical for any thread count.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use crate::error::CmaesError;
use crate::linalg::symmetric_eigen;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

mod types;
pub use types::{
    BestPoint, CmaesConfig, CmaesResult, GenerationReport, Problem, Rejected, RejectionRecord,
    Termination,
};

/// The default strategy parameters of Hansen's tutorial for dimension n and population λ.
#[derive(Debug, Clone)]
struct Strategy {
    mu: usize,
    weights: Vec<f64>,
    mu_eff: f64,
    c_sigma: f64,
    d_sigma: f64,
    c_c: f64,
    c_1: f64,
    c_mu: f64,
    /// E‖N(0, I)‖ ≈ √n (1 − 1/(4n) + 1/(21n²)).
    chi_n: f64,
}

impl Strategy {
    fn new(n: usize, lambda: usize) -> Self {
        let nf = n as f64;
        let mu = lambda / 2;
        let raw: Vec<f64> = (1..=mu)
            .map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln())
            .collect();
        let total: f64 = raw.iter().sum();
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let mu_eff = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let c_sigma = (mu_eff + 2.0) / (nf + mu_eff + 5.0);
        let d_sigma = 1.0 + 2.0 * (((mu_eff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + c_sigma;
        let c_c = (4.0 + mu_eff / nf) / (nf + 4.0 + 2.0 * mu_eff / nf);
        let c_1 = 2.0 / ((nf + 1.3).powi(2) + mu_eff);
        let c_mu =
            (1.0 - c_1).min(2.0 * (mu_eff - 2.0 + 1.0 / mu_eff) / ((nf + 2.0).powi(2) + mu_eff));
        let chi_n = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
        Strategy {
            mu,
            weights,
            mu_eff,
            c_sigma,
            d_sigma,
            c_c,
            c_1,
            c_mu,
            chi_n,
        }
    }
}

/// Folds u into [0, 1] by reflection at the walls: u ↦ u mod 2, then 2 − u above 1.
#[inline]
pub fn reflect_into_unit(u: f64) -> f64 {
    let v = u.rem_euclid(2.0);
    if v > 1.0 {
        2.0 - v
    } else {
        v
    }
}

/// The validated box: lower bounds and widths.
struct UnitBox {
    lower: Vec<f64>,
    upper: Vec<f64>,
    width: Vec<f64>,
}

impl UnitBox {
    fn to_problem(&self, u: &[f64]) -> Vec<f64> {
        (0..u.len())
            .map(|i| (self.lower[i] + u[i] * self.width[i]).clamp(self.lower[i], self.upper[i]))
            .collect()
    }
}

fn validate<P: Problem>(
    problem: &P,
    config: &CmaesConfig,
) -> Result<(UnitBox, Vec<f64>), CmaesError> {
    let n = problem.dim();
    if n == 0 {
        return Err(CmaesError::EmptyProblem);
    }
    let (lower, upper) = problem.bounds();
    for (field, v) in [("lower bounds", &lower), ("upper bounds", &upper)] {
        if v.len() != n {
            return Err(CmaesError::DimensionMismatch {
                field,
                got: v.len(),
                dim: n,
            });
        }
    }
    for i in 0..n {
        if !(lower[i].is_finite() && upper[i].is_finite() && lower[i] <= upper[i]) {
            return Err(CmaesError::InvalidBounds {
                index: i,
                lower: lower[i],
                upper: upper[i],
            });
        }
    }
    let setting = |field, value: f64, ok: bool, expected| {
        if ok {
            Ok(())
        } else {
            Err(CmaesError::InvalidSetting {
                field,
                value,
                expected,
            })
        }
    };
    let s = config.initial_sigma;
    setting(
        "initial_sigma",
        s,
        s.is_finite() && s > 0.0,
        "a finite number > 0",
    )?;
    let lambda = config
        .population
        .unwrap_or(4 + (3.0 * (n as f64).ln()).floor() as usize);
    setting("population", lambda as f64, lambda >= 2, "at least 2")?;
    for (field, v) in [("tol_fun", config.tol_fun), ("tol_x", config.tol_x)] {
        setting(field, v, v.is_finite() && v >= 0.0, "a finite number ≥ 0")?;
    }
    if let Some(t) = config.target_cost {
        setting("target_cost", t, !t.is_nan(), "a number (not NaN)")?;
    }
    let width: Vec<f64> = (0..n).map(|i| upper[i] - lower[i]).collect();
    let mean_u = match &config.initial_mean {
        None => vec![0.5; n],
        Some(x0) => {
            if x0.len() != n {
                return Err(CmaesError::DimensionMismatch {
                    field: "initial mean",
                    got: x0.len(),
                    dim: n,
                });
            }
            (0..n)
                .map(|i| {
                    if !(lower[i] <= x0[i] && x0[i] <= upper[i]) {
                        Err(CmaesError::InitialMeanOutOfBounds {
                            index: i,
                            value: x0[i],
                            lower: lower[i],
                            upper: upper[i],
                        })
                    } else if width[i] > 0.0 {
                        Ok((x0[i] - lower[i]) / width[i])
                    } else {
                        Ok(0.5)
                    }
                })
                .collect::<Result<_, _>>()?
        }
    };
    Ok((
        UnitBox {
            lower,
            upper,
            width,
        },
        mean_u,
    ))
}

/// Minimises `problem` with `config`; see [`minimize_with_observer`].
pub fn minimize<P: Problem>(problem: &P, config: &CmaesConfig) -> Result<CmaesResult, CmaesError> {
    minimize_with_observer(problem, config, |_| ControlFlow::Continue(()))
}

/// Minimises `problem` with `config`, calling `observer` on the calling thread after every
/// generation (e.g. to advance a progress bar); the observer stops the run by returning
/// `ControlFlow::Break(())`. Errors only for an invalid problem box or configuration.
pub fn minimize_with_observer<P: Problem>(
    problem: &P,
    config: &CmaesConfig,
    mut observer: impl FnMut(&GenerationReport<'_>) -> ControlFlow<()>,
) -> Result<CmaesResult, CmaesError> {
    let (unit_box, mut mean) = validate(problem, config)?;
    let n = mean.len();
    let lambda = config
        .population
        .unwrap_or(4 + (3.0 * (n as f64).ln()).floor() as usize);
    let st = Strategy::new(n, lambda);
    let history_len = 10 + (30 * n).div_ceil(lambda);

    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut sigma = config.initial_sigma;
    let mut cov = identity(n);
    let mut basis = identity(n); // B: eigenvectors of C as columns
    let mut scales = vec![1.0; n]; // D: square roots of the eigenvalues of C
    let mut p_sigma = vec![0.0; n];
    let mut p_c = vec![0.0; n];

    let mut best: Option<BestPoint> = None;
    let mut rejections = Vec::new();
    let (mut rejected_count, mut evaluations, mut generation) = (0, 0, 0);
    let mut best_history: VecDeque<f64> = VecDeque::with_capacity(history_len);
    let mut all_rejected_streak = 0;

    let termination = loop {
        generation += 1;
        // Sample λ steps y = B·D·z, reflect the points into the box, keep the reflected step.
        let mut steps = Vec::with_capacity(lambda);
        let mut points = Vec::with_capacity(lambda);
        for _ in 0..lambda {
            let z: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
            let u: Vec<f64> = (0..n)
                .map(|i| {
                    let y: f64 = (0..n).map(|j| basis[i * n + j] * scales[j] * z[j]).sum();
                    reflect_into_unit(mean[i] + sigma * y)
                })
                .collect();
            steps.push(
                (0..n)
                    .map(|i| (u[i] - mean[i]) / sigma)
                    .collect::<Vec<f64>>(),
            );
            points.push(unit_box.to_problem(&u));
        }
        let costs: Vec<Result<f64, Rejected>> = points
            .par_iter()
            .map(|x| match problem.cost(x) {
                Ok(c) if !c.is_finite() => Err(Rejected::new(format!("the cost is {c}"))),
                other => other,
            })
            .collect();
        evaluations += lambda;

        // Rank: accepted by cost (ties by index), then rejected by index.
        let mut order: Vec<usize> = (0..lambda).collect();
        order.sort_by(|&a, &b| match (&costs[a], &costs[b]) {
            (Ok(x), Ok(y)) => x.total_cmp(y).then(a.cmp(&b)),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(&b),
        });
        let mut rejected_now = 0;
        for (k, cost) in costs.iter().enumerate() {
            if let Err(r) = cost {
                rejected_now += 1;
                if rejections.len() < config.max_stored_rejections {
                    rejections.push(RejectionRecord {
                        generation,
                        x: points[k].clone(),
                        reason: r.reason.clone(),
                    });
                }
            }
        }
        rejected_count += rejected_now;
        let generation_best = costs[order[0]].as_ref().ok().copied();
        if let Some(c) = generation_best {
            if best.as_ref().is_none_or(|b| c < b.cost) {
                best = Some(BestPoint {
                    x: points[order[0]].clone(),
                    cost: c,
                });
            }
        }

        // Recombination: m ← m + σ·y_w (c_m = 1).
        let mut y_w = vec![0.0; n];
        for (w, &k) in st.weights.iter().zip(&order[..st.mu]) {
            for i in 0..n {
                y_w[i] += w * steps[k][i];
            }
        }
        for i in 0..n {
            mean[i] = (mean[i] + sigma * y_w[i]).clamp(0.0, 1.0);
        }

        // Step-size path: p_σ ← (1 − c_σ)p_σ + √(c_σ(2 − c_σ)μ_eff)·C^{−1/2}y_w.
        let bt_yw: Vec<f64> = (0..n)
            .map(|j| (0..n).map(|i| basis[i * n + j] * y_w[i]).sum::<f64>() / scales[j])
            .collect();
        let whitened: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| basis[i * n + j] * bt_yw[j]).sum())
            .collect();
        let ps_coef = (st.c_sigma * (2.0 - st.c_sigma) * st.mu_eff).sqrt();
        for i in 0..n {
            p_sigma[i] = (1.0 - st.c_sigma) * p_sigma[i] + ps_coef * whitened[i];
        }
        let ps_norm = p_sigma.iter().map(|x| x * x).sum::<f64>().sqrt();
        // Stall p_c while p_σ is long (h_σ = 0), to avoid a too fast increase of C's axes.
        let ps_unbiased = ps_norm / (1.0 - (1.0 - st.c_sigma).powi(2 * generation as i32)).sqrt();
        let h_sigma = ps_unbiased < (1.4 + 2.0 / (n as f64 + 1.0)) * st.chi_n;
        let pc_coef = if h_sigma {
            (st.c_c * (2.0 - st.c_c) * st.mu_eff).sqrt()
        } else {
            0.0
        };
        for i in 0..n {
            p_c[i] = (1.0 - st.c_c) * p_c[i] + pc_coef * y_w[i];
        }
        let delta_h = if h_sigma {
            0.0
        } else {
            st.c_c * (2.0 - st.c_c)
        };

        // C ← (1 − c₁ − c_μ)C + c₁(p_c p_cᵀ + δ(h_σ)C) + c_μ Σ w_i y_i y_iᵀ  (Σ w_i = 1).
        let keep = 1.0 - st.c_1 - st.c_mu + st.c_1 * delta_h;
        for i in 0..n {
            for j in i..n {
                let rank_mu: f64 = st
                    .weights
                    .iter()
                    .zip(&order[..st.mu])
                    .map(|(w, &k)| w * steps[k][i] * steps[k][j])
                    .sum();
                let c = keep * cov[i * n + j] + st.c_1 * p_c[i] * p_c[j] + st.c_mu * rank_mu;
                cov[i * n + j] = c;
                cov[j * n + i] = c;
            }
        }
        // σ ← σ·exp((c_σ/d_σ)(‖p_σ‖/E‖N(0, I)‖ − 1)), the exponent capped at 1 per generation.
        sigma *= ((st.c_sigma / st.d_sigma) * (ps_norm / st.chi_n - 1.0))
            .min(1.0)
            .exp();

        let eigen = symmetric_eigen(&cov, n);
        let max_eigen = eigen
            .values
            .iter()
            .cloned()
            .fold(f64::MIN_POSITIVE, f64::max);
        // Rounding can make a tiny eigenvalue negative; floor it far below the largest.
        scales = eigen
            .values
            .iter()
            .map(|&v| v.max(max_eigen * 1e-20).sqrt())
            .collect();
        basis = eigen.vectors;

        let mean_x = unit_box.to_problem(&mean);
        let report = GenerationReport {
            generation,
            evaluations,
            sigma,
            best_cost: best.as_ref().map(|b| b.cost),
            generation_best_cost: generation_best,
            rejected: rejected_now,
            mean: &mean_x,
        };
        let stop = observer(&report).is_break();

        // Termination criteria, most specific first.
        if let (Some(target), Some(b)) = (config.target_cost, &best) {
            if b.cost <= target {
                break Termination::TargetReached;
            }
        }
        if stop {
            break Termination::StoppedByObserver;
        }
        if evaluations >= config.max_evaluations {
            break Termination::MaxEvaluations;
        }
        if generation >= config.max_generations {
            break Termination::MaxGenerations;
        }
        let widest = (0..n).map(|i| cov[i * n + i].sqrt()).fold(0.0, f64::max);
        let longest_path = p_c.iter().map(|x| x.abs()).fold(0.0, f64::max);
        if sigma * widest < config.tol_x && sigma * longest_path < config.tol_x {
            break Termination::TolX;
        }
        if let Some(c) = generation_best {
            all_rejected_streak = 0;
            if best_history.len() == history_len {
                best_history.pop_front();
            }
            best_history.push_back(c);
            let spread = |it: &mut dyn Iterator<Item = f64>| {
                let (lo, hi) = it.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(x), hi.max(x))
                });
                hi - lo
            };
            let generation_spread =
                spread(&mut costs.iter().filter_map(|c| c.as_ref().ok().copied()));
            if best_history.len() == history_len
                && rejected_now == 0
                && spread(&mut best_history.iter().copied()) < config.tol_fun
                && generation_spread < config.tol_fun
            {
                break Termination::TolFun;
            }
        } else {
            all_rejected_streak += 1;
            if all_rejected_streak >= history_len {
                break Termination::AllRejected;
            }
        }
        let (lo, hi) = scales.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &d| {
            (lo.min(d), hi.max(d))
        });
        if (hi / lo).powi(2) > 1e14 {
            break Termination::ConditionNumber;
        }
    };

    Ok(CmaesResult {
        best,
        mean: unit_box.to_problem(&mean),
        sigma,
        generations: generation,
        evaluations,
        termination,
        rejected_count,
        rejections,
    })
}

fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflection_folds_into_the_unit_interval() {
        assert_eq!(reflect_into_unit(0.25), 0.25);
        assert_eq!(reflect_into_unit(1.25), 0.75);
        assert_eq!(reflect_into_unit(-0.25), 0.25);
        assert_eq!(reflect_into_unit(2.5), 0.5);
        assert_eq!(reflect_into_unit(-1.75), 0.25);
        assert_eq!(reflect_into_unit(1.0), 1.0);
    }

    #[test]
    fn default_strategy_parameters_match_the_tutorial() {
        // n = 10: λ = 4 + ⌊3 ln 10⌋ = 10, μ = 5, μ_eff = 3.16730 (weights ln 5.5 − ln i, normalised).
        let st = Strategy::new(10, 10);
        assert_eq!(st.mu, 5);
        assert!((st.weights.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!((st.mu_eff - 3.167_299_28).abs() < 1e-8, "{}", st.mu_eff);
        assert!(st.weights.windows(2).all(|w| w[0] > w[1]));
        // c_σ = (μ_eff + 2)/(n + μ_eff + 5) = 5.16730/18.16730 = 0.284429.
        assert!((st.c_sigma - 0.284_428_59).abs() < 1e-8);
        assert!(st.c_1 + st.c_mu <= 1.0);
    }
}
