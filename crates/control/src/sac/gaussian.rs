//! The tanh-squashed Gaussian policy: `u = μ + σ·ε`, `a = tanh(u)`, and its log-density
//! with the change-of-variables correction, written in the numerically stable form
//! `log(1 − tanh²u) = 2·(log 2 − u − softplus(−2u))` (no ε fudge inside the log).
//!
//! Gradients are reparameterised (ε held fixed): `∂a/∂u = 1 − a²`,
//! `∂ log π/∂u = 2·tanh(u)` (from the correction term; the Gaussian term is constant in u for
//! fixed ε), `∂u/∂μ = 1`, `∂u/∂ log σ = σ·ε`, and `∂ log π/∂ log σ` has the extra −1 of
//! the Gaussian's normaliser.

use icnet_train::Scalar;

/// Bounds of log σ (PAPER.md §5: clamped to [−20, 2]).
pub const LOG_STD_RANGE: (f64, f64) = (-20.0, 2.0);

/// `½·log(2π)`.
const HALF_LOG_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// `softplus(x) = log(1 + eˣ)`, without overflow.
pub fn softplus<S: Scalar>(x: S) -> S {
    if x > S::zero() {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `log(1 − tanh²u)`, stable for large |u|.
pub fn log_one_minus_tanh_sq<S: Scalar>(u: S) -> S {
    S::c(2.0) * (S::c(std::f64::consts::LN_2) - u - softplus(S::c(-2.0) * u))
}

/// The log σ actually used: clamped to [`LOG_STD_RANGE`].
pub fn clamp_log_std<S: Scalar>(raw: S) -> S {
    raw.max(S::c(LOG_STD_RANGE.0)).min(S::c(LOG_STD_RANGE.1))
}

/// One draw of a tanh-Gaussian for one action component.
#[derive(Clone, Copy, Debug)]
pub struct Draw<S> {
    /// `u = μ + σ·ε`.
    pub u: S,
    /// `a = tanh(u)`.
    pub a: S,
    /// This component's term of log π(a).
    pub log_prob: S,
}

/// Draws `a = tanh(μ + e^{log σ}·ε)` and its log-density term, for given noise ε.
/// `log_std` must already be clamped.
pub fn draw<S: Scalar>(mean: S, log_std: S, eps: S) -> Draw<S> {
    let u = mean + log_std.exp() * eps;
    let a = u.tanh();
    let log_prob =
        S::c(-0.5) * eps * eps - log_std - S::c(HALF_LOG_TWO_PI) - log_one_minus_tanh_sq(u);
    Draw { u, a, log_prob }
}

/// The log-density of a tanh-Gaussian at action `a` ∈ (−1, 1) (no noise needed).
pub fn log_prob_at<S: Scalar>(mean: S, log_std: S, a: S) -> S {
    let u = ((S::one() + a) / (S::one() - a)).ln() * S::c(0.5);
    let eps = (u - mean) / log_std.exp();
    draw(mean, log_std, eps).log_prob
}

/// Backpropagates `g_a = ∂L/∂a` and `g_logp = ∂L/∂ log π` of one draw into
/// `(∂L/∂μ, ∂L/∂ log σ)` (the clamped log σ; the caller masks the clamp).
pub fn backward<S: Scalar>(d: &Draw<S>, log_std: S, eps: S, g_a: S, g_logp: S) -> (S, S) {
    let g_u = g_a * (S::one() - d.a * d.a) + g_logp * S::c(2.0) * d.a;
    (g_u, g_u * log_std.exp() * eps - g_logp)
}
