//! Plug-in (maximum-likelihood) entropy and mutual information of integer-coded samples, with
//! the Miller–Madow bias correction.
//!
//! Plug-in: p̂(x) = count(x)/N, Ĥ(X) = −Σ p̂ log₂ p̂, Î(X;Y) = Ĥ(X) + Ĥ(Y) − Ĥ(X,Y).
//!
//! Bias: E(Ĥ) = H − (m − 1)/(2N ln 2) + O(N⁻²) bits for m occupied states (Miller 1955), so
//! the plug-in entropy is biased low and the plug-in MI is biased **high**: for independent
//! X, Y with m_X, m_Y states, E(Î) ≈ (m_X − 1)(m_Y − 1)/(2N ln 2) bits (2N ln 2 · Î is then
//! asymptotically χ² with (m_X − 1)(m_Y − 1) degrees of freedom). Miller–Madow adds
//! (m̂ − 1)/(2N ln 2) to each entropy, with m̂ the number of states actually observed, giving
//! Î_MM = Î + (m̂_X + m̂_Y − m̂_XY − 1)/(2N ln 2). It removes the leading bias when every state
//! is well sampled (N ≫ m); when states are undersampled m̂ underestimates m and the
//! correction is too small, and for deterministic pairs on few samples it overshoots (see the
//! tests). Use it for low-cardinality codes, not for 512-dimensional spike vectors.

use crate::error::{check_same_len, AnalysisError};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;

/// Entropy estimate of one discrete variable, in bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscreteEntropy {
    /// Number of samples N.
    pub n: usize,
    /// Number of distinct observed states m̂.
    pub states: usize,
    /// Plug-in estimate −Σ p̂ log₂ p̂.
    pub plugin_bits: f64,
    /// Miller–Madow estimate: plug-in + (m̂ − 1)/(2N ln 2).
    pub miller_madow_bits: f64,
}

/// Mutual-information estimate of two discrete variables, in bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscreteMi {
    /// Number of paired samples N.
    pub n: usize,
    /// Distinct observed states of X.
    pub x_states: usize,
    /// Distinct observed states of Y.
    pub y_states: usize,
    /// Distinct observed joint states (X, Y).
    pub joint_states: usize,
    /// Plug-in Î = Ĥ(X) + Ĥ(Y) − Ĥ(X,Y); always ≥ 0 (up to rounding).
    pub plugin_bits: f64,
    /// Miller–Madow corrected estimate; may be negative for independent variables.
    pub miller_madow_bits: f64,
}

/// Plug-in entropy in bits of a histogram with total `n`.
fn plugin_entropy_bits<K>(counts: &HashMap<K, usize>, n: usize) -> f64 {
    let nf = n as f64;
    -counts
        .values()
        .map(|&c| {
            let p = c as f64 / nf;
            p * p.log2()
        })
        .sum::<f64>()
}

fn histogram<K: Hash + Eq + Copy>(values: impl Iterator<Item = K>) -> HashMap<K, usize> {
    let mut counts = HashMap::new();
    for v in values {
        *counts.entry(v).or_insert(0) += 1;
    }
    counts
}

fn miller_madow_term(states: usize, n: usize) -> f64 {
    (states as f64 - 1.0) / (2.0 * n as f64 * std::f64::consts::LN_2)
}

fn need_samples(what: &'static str, n: usize) -> Result<()> {
    if n == 0 {
        return Err(AnalysisError::TooFewSamples {
            what,
            field: "x".into(),
            needed: 1,
            got: 0,
            hint: "pass at least one sample",
        });
    }
    Ok(())
}

/// Entropy of integer-coded samples `x` (see the module documentation for the bias).
pub fn discrete_entropy(x: &[i64]) -> Result<DiscreteEntropy> {
    need_samples("discrete entropy", x.len())?;
    let counts = histogram(x.iter().copied());
    let plugin = plugin_entropy_bits(&counts, x.len());
    Ok(DiscreteEntropy {
        n: x.len(),
        states: counts.len(),
        plugin_bits: plugin,
        miller_madow_bits: plugin + miller_madow_term(counts.len(), x.len()),
    })
}

/// Mutual information of paired integer-coded samples (see the module documentation).
pub fn discrete_mi(x: &[i64], y: &[i64]) -> Result<DiscreteMi> {
    const WHAT: &str = "discrete mutual information";
    check_same_len(WHAT, "x", x.len(), "y", y.len())?;
    need_samples(WHAT, x.len())?;
    let n = x.len();
    let hx = histogram(x.iter().copied());
    let hy = histogram(y.iter().copied());
    let hxy = histogram(x.iter().copied().zip(y.iter().copied()));
    let plugin = (plugin_entropy_bits(&hx, n) + plugin_entropy_bits(&hy, n)
        - plugin_entropy_bits(&hxy, n))
    .max(0.0);
    let correction = miller_madow_term(hx.len(), n) + miller_madow_term(hy.len(), n)
        - miller_madow_term(hxy.len(), n);
    Ok(DiscreteMi {
        n,
        x_states: hx.len(),
        y_states: hy.len(),
        joint_states: hxy.len(),
        plugin_bits: plugin,
        miller_madow_bits: plugin + correction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn hand_worked_pair() {
        // x = 0,0,0,1; y = 0,0,1,1: joint (0,0)×2, (0,1), (1,1) → H(X,Y) = 1.5 bits;
        // H(X) = h(¼) = 0.811278 bits; H(Y) = 1 bit; I = 0.311278 bits. Miller–Madow adds
        // (2 + 2 − 3 − 1)/(8 ln 2) = 0.
        let mi = discrete_mi(&[0, 0, 0, 1], &[0, 0, 1, 1]).unwrap();
        let h_quarter = -(0.25f64 * 0.25f64.log2() + 0.75 * 0.75f64.log2());
        assert!((mi.plugin_bits - (h_quarter + 1.0 - 1.5)).abs() < 1e-14);
        assert_eq!(mi.plugin_bits, mi.miller_madow_bits);
        assert_eq!((mi.x_states, mi.y_states, mi.joint_states), (2, 2, 3));
    }

    #[test]
    fn deterministic_pair_gives_the_entropy() {
        // Y = (3X + 1) mod 8 is a bijection of X uniform on 8 states: I = H(X) = 3 bits,
        // exactly for the plug-in on the sample frequencies.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let x: Vec<i64> = (0..4000).map(|_| rng.random_range(0..8)).collect();
        let y: Vec<i64> = x.iter().map(|v| (3 * v + 1) % 8).collect();
        let mi = discrete_mi(&x, &y).unwrap();
        let hx = discrete_entropy(&x).unwrap();
        assert!((mi.plugin_bits - hx.plugin_bits).abs() < 1e-12);
        // Sample entropy of 4000 uniform draws over 8 states: within 0.01 bit of 3 (its bias is
        // 7/(8000 ln 2) = 0.0013 bits, its spread far smaller than 0.01).
        assert!((hx.plugin_bits - 3.0).abs() < 0.01);
        assert!((hx.miller_madow_bits - 3.0).abs() < 0.003);
        // Tiny sample: y = x on 0..4 → plug-in 2 bits, Miller–Madow overshoots by 3/(8 ln 2).
        let small = discrete_mi(&[0, 1, 2, 3], &[0, 1, 2, 3]).unwrap();
        assert!((small.plugin_bits - 2.0).abs() < 1e-14);
        let over = 3.0 / (8.0 * std::f64::consts::LN_2);
        assert!((small.miller_madow_bits - 2.0 - over).abs() < 1e-14);
    }

    #[test]
    fn independent_pair_is_near_zero_and_miller_madow_removes_the_bias() {
        // X, Y independent uniform on 4 states, N = 20000. Plug-in: 2N ln2·Î ~ χ²₉, so its
        // mean is 9/(2N ln 2) = 3.25e-4 bits and sd √18/(2N ln 2) = 1.53e-4 bits. Average over
        // 10 seeds: sd 4.8e-5; allow 4 sd around the predicted mean.
        let n = 20_000;
        let scale = 2.0 * n as f64 * std::f64::consts::LN_2;
        let (mut plugin, mut mm) = (0.0, 0.0);
        for seed in 0..10 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let x: Vec<i64> = (0..n).map(|_| rng.random_range(0..4)).collect();
            let y: Vec<i64> = (0..n).map(|_| rng.random_range(0..4)).collect();
            let mi = discrete_mi(&x, &y).unwrap();
            plugin += mi.plugin_bits / 10.0;
            mm += mi.miller_madow_bits / 10.0;
        }
        let sd_mean = 18f64.sqrt() / scale / 10f64.sqrt();
        assert!(
            (plugin - 9.0 / scale).abs() < 4.0 * sd_mean,
            "plug-in {plugin}"
        );
        assert!(mm.abs() < 4.0 * sd_mean, "Miller–Madow {mm}");
    }

    #[test]
    fn bad_input() {
        assert!(matches!(
            discrete_mi(&[1, 2], &[1]),
            Err(AnalysisError::LengthMismatch { .. })
        ));
        assert!(matches!(
            discrete_entropy(&[]),
            Err(AnalysisError::TooFewSamples { .. })
        ));
    }

    proptest! {
        #[test]
        fn symmetric_bounded_and_relabelling_invariant(
            pairs in prop::collection::vec((0i64..5, 0i64..4), 1..200)
        ) {
            let (x, y): (Vec<i64>, Vec<i64>) = pairs.into_iter().unzip();
            let xy = discrete_mi(&x, &y).unwrap();
            let yx = discrete_mi(&y, &x).unwrap();
            prop_assert!((xy.plugin_bits - yx.plugin_bits).abs() < 1e-12);
            let hx = discrete_entropy(&x).unwrap().plugin_bits;
            let hy = discrete_entropy(&y).unwrap().plugin_bits;
            prop_assert!(xy.plugin_bits >= 0.0 && xy.plugin_bits <= hx.min(hy) + 1e-12);
            let relabelled: Vec<i64> = x.iter().map(|v| 100 - 7 * v).collect();
            let r = discrete_mi(&relabelled, &y).unwrap();
            prop_assert!((r.plugin_bits - xy.plugin_bits).abs() < 1e-12);
        }
    }
}
