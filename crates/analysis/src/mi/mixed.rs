//! Ross's nearest-neighbour estimator of I(X;Y) for a continuous (or count) vector X and a
//! discrete label Y — the estimate of I(spike counts; label) on a hidden layer.
//!
//! Ross, "Mutual information between discrete and continuous data sets", PLoS ONE 9, e87357
//! (2014). For each sample i with label yᵢ: N_{yᵢ} = number of samples with that label; dᵢ =
//! max-norm distance from xᵢ to its k-th nearest neighbour **among samples with the same
//! label**; mᵢ = number of samples of **any** label within dᵢ (j ≠ i, ‖xⱼ − xᵢ‖ ≤ dᵢ, so the
//! k-th neighbour itself counts and mᵢ ≥ k). Then
//!
//! Î = ψ(N) − ⟨ψ(N_{yᵢ})⟩ + ψ(k) − ⟨ψ(mᵢ)⟩ (nats; divided by ln 2 for bits).
//!
//! It follows KSG's reasoning (the density ratio p(x|y)/p(x) is read off how many of all
//! samples fall in the ball that holds k samples of the same label) and works in any
//! dimension of X. Bias: near 0 for independent X, Y (may be slightly negative); biased
//! towards 0 when the MI is large or X is high-dimensional, and bounded above by about
//! ψ(N) − ⟨ψ(N_y)⟩ ≈ H(Y) in nats. So for model comparisons use the same N, k and
//! dimension for every model and report the estimator's numbers as a ranking aid, not as
//! absolute information.
//!
//! ## The reduction for a vector feature
//!
//! X is the whole hidden-layer vector (e.g. 512 spike counts per image), used jointly: one
//! point per image in a 512-dimensional max-norm space. Estimating I(Xᵤ; Y) per unit u and
//! summing is wrong because mutual information is not additive over components: by the
//! chain rule I(X;Y) = Σᵤ I(Xᵤ; Y | X₁…Xᵤ₋₁), and I(Xᵤ; Y | X<u) differs from I(Xᵤ; Y) in both
//! directions. Redundant units (many neurons carrying the same class evidence) make the sum
//! count the same bits many times — the sum can exceed H(Y) = log₂ 10 bits, which no
//! representation can carry about one digit label — and synergistic codes (information
//! only in combinations, XOR-like) are invisible unit by unit. The sum equals the joint MI only
//! if the units are independent both marginally and given the label, which trained layers are
//! not. Likewise, a plug-in estimate on the joint vector treated as one discrete symbol is
//! useless at this dimension: with a few thousand images almost every count vector is unique,
//! so the plug-in returns Ĥ(Y) whatever the code.
//!
//! Ties: spike counts are integers, so pass a [`TieJitter`] (see there).

use super::ksg::check_k;
use super::neighbours::{kth_smallest, Points, TieJitter};
use super::KnnMiEstimate;
use crate::error::{check_same_len, AnalysisError};
use crate::special::digamma;
use crate::Result;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Ross's estimate of I(X;Y) in bits for N rows of `x_dim` values in `x` and N labels (see the
/// module documentation). Every label needs at least k + 1 samples.
pub fn mixed_mi(
    x: &[f64],
    x_dim: usize,
    labels: &[i64],
    k: usize,
    jitter: Option<&TieJitter>,
) -> Result<KnnMiEstimate> {
    const WHAT: &str = "discrete-continuous mutual information (Ross)";
    let xs = Points::new(WHAT, "x", x, x_dim, jitter, 0)?;
    check_same_len(WHAT, "x (rows)", xs.n, "labels", labels.len())?;
    check_k(WHAT, k, xs.n)?;
    let mut label_counts: BTreeMap<i64, usize> = BTreeMap::new();
    for &l in labels {
        *label_counts.entry(l).or_insert(0) += 1;
    }
    if let Some((label, &count)) = label_counts.iter().find(|(_, &c)| c < k + 1) {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: format!("label {label}"),
            needed: k + 1,
            got: count,
            hint: "every label needs more than k samples; lower k, pass more samples, or drop the rare label",
        });
    }
    let n = xs.n;
    let per_point: Vec<(f64, bool)> = (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0.0; n], Vec::with_capacity(n)),
            |(dist, same), i| {
                xs.distances_from(i, dist);
                same.clear();
                same.extend(
                    dist.iter()
                        .zip(labels)
                        .enumerate()
                        .filter(|&(j, (_, &l))| j != i && l == labels[i])
                        .map(|(_, (&d, _))| d),
                );
                let (radius, tied) = kth_smallest(same, k);
                let m = dist
                    .iter()
                    .enumerate()
                    .filter(|&(j, &d)| j != i && d <= radius)
                    .count();
                let n_label = label_counts[&labels[i]];
                (digamma(n_label as f64) + digamma(m as f64), tied)
            },
        )
        .collect();
    let nf = n as f64;
    let mean_psi = per_point.iter().map(|(p, _)| p).sum::<f64>() / nf;
    let nats = digamma(nf) + digamma(k as f64) - mean_psi;
    Ok(KnnMiEstimate {
        bits: nats / std::f64::consts::LN_2,
        n,
        k,
        tied_points: per_point.iter().filter(|(_, t)| *t).count(),
    })
}
