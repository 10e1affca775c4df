//! Bounds of the variational information bottleneck (Fig. 5d, PAPER.md §6).
//!
//! The encoder maps an image x to q(z|x) = N(µ(x), diag σ(x)²) over a 256-dimensional Z, with
//! σ = softplus(s − 5) of a pre-activation s; task heads decode q(y|z).
//!
//! - I(Z;Y) ≥ H(Y) − E[−log₂ q(y|z)] = log₂ C − CE/ln 2 for C balanced classes and the
//!   cross-entropy CE in nats (Barber–Agakov bound). For two tasks with independent balanced
//!   labels, q(y₁, y₂|z) = q(y₁|z) q(y₂|z) is a valid decoder and H(Y₁, Y₂) = 2 log₂ C, so the
//!   per-task bounds add.
//! - I(Z;X) ≤ E_x[KL(q(z|x) ‖ r(z))] for any prior r; with r = N(0, I) this is the KL below,
//!   averaged over images.

use crate::error::{check_finite, check_same_len, AnalysisError};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::f64::consts::LN_2;

/// Shift inside the softplus of PAPER.md §6: σ = softplus(s − 5), so an untrained s ≈ 0 gives
/// σ ≈ 0.0067 (a nearly deterministic encoder at the start of training).
pub const SIGMA_SHIFT: f64 = 5.0;

/// Lower bound on I(Z;Y) in bits for one task: log₂ C − CE/ln 2, with `ce_nats_per_task` the
/// mean cross-entropy (nats) of that task's head and `n_classes` = C ≥ 2. Assumes balanced
/// labels (H(Y) = log₂ C); the bound may be negative for an untrained head (CE > ln C), which
/// is reported as is rather than clipped.
pub fn izy_lower_bound_bits(ce_nats_per_task: f64, n_classes: usize) -> Result<f64> {
    const WHAT: &str = "I(Z;Y) lower bound";
    check_finite(WHAT, "ce_nats_per_task", &[ce_nats_per_task])?;
    if ce_nats_per_task < 0.0 {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "ce_nats_per_task",
            problem: format!("is {ce_nats_per_task}; a cross-entropy is never negative (pass the mean loss in nats)"),
        });
    }
    if n_classes < 2 {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "n_classes",
            problem: format!("is {n_classes}; a classification task has at least 2 classes (10 for the MultiMNIST tasks)"),
        });
    }
    Ok((n_classes as f64).log2() - ce_nats_per_task / LN_2)
}

/// softplus(t) = ln(1 + eᵗ), computed as max(t, 0) + ln1p(e^{−|t|}) to avoid overflow.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// Logistic σ(t) = 1/(1 + e^{−t}) = softplus′(t).
fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// σ = softplus(s − 5) (PAPER.md §6).
pub fn sigma_from_pre_softplus(s: f64) -> f64 {
    softplus(s - SIGMA_SHIFT)
}

/// KL divergence of one diagonal Gaussian from N(0, I), in bits, with its gradients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianKl {
    /// KL(N(µ, diag σ²) ‖ N(0, I)) in bits.
    pub bits: f64,
    /// ∂KL/∂µᵢ in bits = µᵢ/ln 2.
    pub grad_mu: Vec<f64>,
    /// ∂KL/∂sᵢ in bits = (σᵢ − 1/σᵢ)·sigmoid(sᵢ − 5)/ln 2.
    pub grad_s: Vec<f64>,
}

/// KL(N(µ, diag σ²) ‖ N(0, I)) = ½ Σᵢ (µᵢ² + σᵢ² − 1 − ln σᵢ²) nats, divided by ln 2 for bits,
/// with σᵢ = softplus(sᵢ − 5) and its gradients wrt µ and s (see [`GaussianKl`]).
///
/// ln σ is computed as (s − 5) when s − 5 < −30 (softplus(t) = eᵗ(1 − eᵗ/2 + …), relative
/// error < 1e-13) so that a collapsed σ gives a large finite KL instead of −ln 0; the factor
/// sigmoid(t)/softplus(t) in the gradient likewise tends to 1 there.
pub fn kl_to_standard_normal_bits(mu: &[f64], s: &[f64]) -> Result<GaussianKl> {
    const WHAT: &str = "KL to N(0, I)";
    check_same_len(WHAT, "mu", mu.len(), "s", s.len())?;
    check_finite(WHAT, "mu", mu)?;
    check_finite(WHAT, "s", s)?;
    let mut nats = 0.0;
    let mut grad_s = Vec::with_capacity(s.len());
    for (&m, &si) in mu.iter().zip(s) {
        let t = si - SIGMA_SHIFT;
        let sigma = softplus(t);
        let (ln_sigma, sig_over_sigma) = if t < -30.0 {
            (t, 1.0)
        } else {
            (sigma.ln(), sigmoid(t) / sigma)
        };
        nats += 0.5 * (m * m + sigma * sigma - 1.0) - ln_sigma;
        // ∂/∂s [½σ² − ln σ] = (σ − 1/σ)·σ′ with σ′ = sigmoid(t).
        grad_s.push((sigma * sigmoid(t) - sig_over_sigma) / LN_2);
    }
    Ok(GaussianKl {
        bits: nats / LN_2,
        grad_mu: mu.iter().map(|m| m / LN_2).collect(),
        grad_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn izy_bound_hand_worked() {
        // A perfect head (CE 0) gives log₂ 10; a uniform head (CE ln 10) gives 0.
        assert!((izy_lower_bound_bits(0.0, 10).unwrap() - 10f64.log2()).abs() < 1e-15);
        assert!(izy_lower_bound_bits(10f64.ln(), 10).unwrap().abs() < 1e-15);
        // CE = 0.5 nats on 10 classes: 3.321928 − 0.721348 = 2.600580 bits.
        assert!((izy_lower_bound_bits(0.5, 10).unwrap() - 2.600_580).abs() < 1e-6);
        assert!(izy_lower_bound_bits(-0.1, 10).is_err());
        assert!(izy_lower_bound_bits(0.1, 1).is_err());
        assert!(izy_lower_bound_bits(f64::NAN, 10).is_err());
    }

    #[test]
    fn kl_closed_forms() {
        // σ = 1 needs softplus(s − 5) = 1 → s = 5 + ln(e − 1); then KL = ½Σµ² nats.
        let s_unit = SIGMA_SHIFT + (std::f64::consts::E - 1.0).ln();
        assert!((sigma_from_pre_softplus(s_unit) - 1.0).abs() < 1e-14);
        let kl = kl_to_standard_normal_bits(&[0.0, 0.0], &[s_unit, s_unit]).unwrap();
        assert!(kl.bits.abs() < 1e-14);
        let kl = kl_to_standard_normal_bits(&[1.0, -2.0], &[s_unit, s_unit]).unwrap();
        assert!((kl.bits - 2.5 / LN_2).abs() < 1e-13);
        // µ = 0, σ = ½: ½(¼ − 1 − ln ¼) = 0.318147 nats.
        let s_half = SIGMA_SHIFT + (0.5f64.exp() - 1.0).ln();
        let kl = kl_to_standard_normal_bits(&[0.0], &[s_half]).unwrap();
        assert!((kl.bits * LN_2 - 0.5 * (0.25 - 1.0 - 0.25f64.ln())).abs() < 1e-13);
        // Collapsed σ (s − 5 = −100): KL ≈ −ln σ − ½ = 100 − ½ nats, finite.
        let kl = kl_to_standard_normal_bits(&[0.0], &[-95.0]).unwrap();
        assert!((kl.bits * LN_2 - 99.5).abs() < 1e-9);
        assert!((kl.grad_s[0] * LN_2 + 1.0).abs() < 1e-9);
        assert!(kl_to_standard_normal_bits(&[0.0], &[0.0, 1.0]).is_err());
    }

    #[test]
    fn kl_gradients_match_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mu: Vec<f64> = (0..16).map(|_| rng.random_range(-2.0..2.0)).collect();
        let s: Vec<f64> = (0..16).map(|_| rng.random_range(-3.0..9.0)).collect();
        let kl = kl_to_standard_normal_bits(&mu, &s).unwrap();
        let h = 1e-6;
        for i in 0..mu.len() {
            let bump = |v: &[f64], d: f64| {
                let mut w = v.to_vec();
                w[i] += d;
                w
            };
            let num_mu = (kl_to_standard_normal_bits(&bump(&mu, h), &s).unwrap().bits
                - kl_to_standard_normal_bits(&bump(&mu, -h), &s).unwrap().bits)
                / (2.0 * h);
            let num_s = (kl_to_standard_normal_bits(&mu, &bump(&s, h)).unwrap().bits
                - kl_to_standard_normal_bits(&mu, &bump(&s, -h)).unwrap().bits)
                / (2.0 * h);
            // Central differences: truncation O(h²·f‴) ≈ 1e-12 plus rounding ≈ 1e-16·KL/h;
            // 1e-6 relative is far above both and far below any formula mistake.
            assert!(
                (num_mu - kl.grad_mu[i]).abs() < 1e-6 * (1.0 + num_mu.abs()),
                "mu {i}"
            );
            assert!(
                (num_s - kl.grad_s[i]).abs() < 1e-6 * (1.0 + num_s.abs()),
                "s {i}: {num_s} vs {}",
                kl.grad_s[i]
            );
        }
    }
}
