//! Kraskov–Stögbauer–Grassberger estimator (algorithm 1) of I(X;Y) for continuous X, Y.
//!
//! Kraskov, Stögbauer & Grassberger, "Estimating mutual information", Phys. Rev. E 69, 066138
//! (2004). In the joint space Z = (X, Y) with the max-norm ‖z‖ = max(‖x‖_∞, ‖y‖_∞), let εᵢ be
//! the distance from zᵢ to its k-th nearest neighbour, n_x(i) = #{j ≠ i : ‖xⱼ − xᵢ‖ < εᵢ} and
//! n_y(i) likewise. Then
//!
//! Î = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩ (nats; divided by ln 2 for bits).
//!
//! Bias and spread: for independent X, Y the estimate is unbiased to within O(1/N) and may be
//! slightly negative; for strongly dependent or high-dimensional variables it is biased
//! towards 0 (the local-uniformity assumption fails when εᵢ is not small compared with the
//! scale of the density), so it underestimates large MI. Statistical sd is about 1/√N nats
//! times a constant of order 1 that shrinks with k; k = 3–5 is the usual compromise (larger k:
//! less variance, more bias). Cost: brute-force O(N²(d_x + d_y)), parallel over points.

use super::neighbours::{kth_smallest, Points, TieJitter};
use super::KnnMiEstimate;
use crate::error::{check_same_len, AnalysisError};
use crate::special::digamma;
use crate::Result;
use rayon::prelude::*;

/// KSG algorithm-1 estimate of I(X;Y) (see the module documentation).
///
/// `x` holds N rows of `x_dim` values and `y` N rows of `y_dim` values (row-major, row i of
/// each is sample i). `k` ≥ 1 neighbours; N ≥ k + 1. `jitter` breaks ties (needed for count
/// data, see [`TieJitter`]); X and Y get independent jitter streams.
pub fn ksg_mi(
    x: &[f64],
    x_dim: usize,
    y: &[f64],
    y_dim: usize,
    k: usize,
    jitter: Option<&TieJitter>,
) -> Result<KnnMiEstimate> {
    const WHAT: &str = "KSG mutual information";
    let xs = Points::new(WHAT, "x", x, x_dim, jitter, 0)?;
    let ys = Points::new(WHAT, "y", y, y_dim, jitter, 1)?;
    check_same_len(WHAT, "x (rows)", xs.n, "y (rows)", ys.n)?;
    check_k(WHAT, k, xs.n)?;
    let n = xs.n;
    let per_point: Vec<(f64, bool)> = (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0.0; n], vec![0.0; n], vec![0.0; n]),
            |(dx, dy, dz), i| {
                xs.distances_from(i, dx);
                ys.distances_from(i, dy);
                for ((z, a), b) in dz.iter_mut().zip(dx.iter()).zip(dy.iter()) {
                    *z = a.max(*b);
                }
                dz[i] = f64::INFINITY;
                let (eps, tied) = kth_smallest(dz, k);
                let count = |d: &[f64]| {
                    d.iter()
                        .enumerate()
                        .filter(|&(j, &v)| j != i && v < eps)
                        .count()
                };
                let (nx, ny) = (count(dx), count(dy));
                (digamma(nx as f64 + 1.0) + digamma(ny as f64 + 1.0), tied)
            },
        )
        .collect();
    let nf = n as f64;
    let mean_psi = per_point.iter().map(|(p, _)| p).sum::<f64>() / nf;
    let nats = digamma(k as f64) + digamma(nf) - mean_psi;
    Ok(KnnMiEstimate {
        bits: nats / std::f64::consts::LN_2,
        n,
        k,
        tied_points: per_point.iter().filter(|(_, t)| *t).count(),
    })
}

/// k ≥ 1 and at least k + 1 samples.
pub(crate) fn check_k(what: &'static str, k: usize, n: usize) -> Result<()> {
    if k == 0 {
        return Err(AnalysisError::InvalidParameter {
            what,
            field: "k",
            problem: "is 0; the number of neighbours must be at least 1 (3 is usual)".into(),
        });
    }
    if n < k + 1 {
        return Err(AnalysisError::TooFewSamples {
            what,
            field: "x".into(),
            needed: k + 1,
            got: n,
            hint: "a k-nearest-neighbour estimate needs more samples than k; lower k or pass more samples",
        });
    }
    Ok(())
}
