//! The variational-information-bottleneck (VIB) model of Fig. 5d (PAPER.md §6).
//!
//! A spiking encoder — the input maps and hidden layer of the fully-connected model
//! ([`FcModel`], 1296 → 512 LIF, HH or s-LIF2HH units over T steps) — gives the mean spike
//! rate r over T of every hidden output; one linear readout maps r to the mean µ and the
//! pre-activation s of the standard deviation of a Gaussian q(z|x) = N(µ, diag σ²) over a
//! `z_dim`-dimensional Z (256 in the paper), with σ = softplus(s − 5). Training draws
//! z = µ + σ·ε, ε ~ N(0, I) (the reparameterisation; ε is supplied by the caller from a
//! seeded RNG), and two linear heads decode the two 10-class tasks from z. The loss is
//!
//! L = CE₁ + CE₂ + β · (1/B) Σ_b KL(q(z|x_b) ‖ N(0, I)),
//!
//! with KL = ½ Σᵢ (µᵢ² + σᵢ² − 1 − ln σᵢ²) in nats. PAPER.md does not give β; we use
//! [`DEFAULT_BETA`] = 10⁻³ (the value Alemi et al. 2017 found best on MNIST).
//!
//! [`VibModel::forward`] with `eps = None` decodes from z = µ (the deterministic prediction
//! used for test accuracy); with `Some(ε)` it decodes from a sample (training, and the
//! test cross-entropy that enters the I(Z;Y) bound, which needs z ~ q(z|x)).

use super::{FcModel, Heads, ModelKind};
use crate::linear::Linear;
use crate::param::Param;
use crate::scalar::Scalar;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Width of Z in the paper.
pub const Z_DIM: usize = 256;
/// The shift inside σ = softplus(s − 5) (PAPER.md §6).
pub const SIGMA_SHIFT: f64 = 5.0;
/// β of the KL term. PAPER.md §6 does not state it; 10⁻³ is our choice (Alemi et al. 2017).
pub const DEFAULT_BETA: f64 = 1e-3;

/// The spiking encoders of Fig. 5d.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VibEncoder {
    /// 1296 → 512 LIF (as `lif-fc`).
    Lif,
    /// 1296 → 512 HH with constant random gating rates (as `hh-fc`).
    Hh,
    /// Three 1296 → 512 maps into 512 s-LIF2HH units, 2048 outputs (as `slif2hh-fc`).
    SLif2Hh,
}

impl VibEncoder {
    /// Every encoder, in the paper's order.
    pub const ALL: [VibEncoder; 3] = [VibEncoder::Lif, VibEncoder::Hh, VibEncoder::SLif2Hh];

    /// The id used on the command line and in metric keys.
    pub fn id(self) -> &'static str {
        match self {
            VibEncoder::Lif => "lif",
            VibEncoder::Hh => "hh",
            VibEncoder::SLif2Hh => "slif2hh",
        }
    }

    /// The fully-connected model whose encoder this is.
    pub fn model_kind(self) -> ModelKind {
        match self {
            VibEncoder::Lif => ModelKind::LifFc,
            VibEncoder::Hh => ModelKind::HhFc,
            VibEncoder::SLif2Hh => ModelKind::SLif2HhFc,
        }
    }
}

impl fmt::Display for VibEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An unknown encoder name.
#[derive(Debug, thiserror::Error)]
#[error("unknown VIB encoder `{0}`; expected one of lif, hh, slif2hh")]
pub struct UnknownEncoder(pub String);

impl FromStr for VibEncoder {
    type Err = UnknownEncoder;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VibEncoder::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| UnknownEncoder(s.to_string()))
    }
}

/// softplus(t) = ln(1 + eᵗ) without overflow.
fn softplus<S: Scalar>(t: S) -> S {
    t.max(S::zero()) + (-t.abs()).exp().ln_1p()
}

/// Logistic function, softplus′.
fn sigmoid<S: Scalar>(t: S) -> S {
    S::one() / (S::one() + (-t).exp())
}

/// The VIB model (see the module documentation).
pub struct VibModel<S> {
    encoder_kind: VibEncoder,
    z_dim: usize,
    beta: f64,
    /// The spiking encoder; only its input maps and hidden layer are used (its own readout and
    /// heads are not part of this model and not in [`VibModel::params`]).
    pub encoder: FcModel<S>,
    /// Rates → [µ | s], `2·z_dim` outputs: µ first, then the pre-softplus s.
    pub stats: Linear<S>,
    /// z → 10, task 1 and task 2.
    pub heads: Heads<S>,
    // Saved activations of the last forward pass.
    rows: usize,
    rate: Vec<S>,
    stats_out: Vec<S>,
    eps: Option<Vec<S>>,
    z: Vec<S>,
}

impl<S: Scalar> VibModel<S> {
    /// A model with the reference initialisation of the encoder (as [`FcModel::new`] with the
    /// same seed) and PyTorch-default linear layers, reproducible from `seed`.
    pub fn new(encoder_kind: VibEncoder, z_dim: usize, beta: f64, seed: u64) -> Self {
        let encoder = FcModel::new(encoder_kind.model_kind(), seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Stream 0 initialised the encoder; the VIB layers draw from their own stream.
        rng.set_stream(u64::MAX);
        let stats = Linear::new("vib.stats", encoder.features(), 2 * z_dim, 1.0, &mut rng);
        let heads = Heads::new("vib.", z_dim, &mut rng);
        Self {
            encoder_kind,
            z_dim,
            beta,
            encoder,
            stats,
            heads,
            rows: 0,
            rate: Vec::new(),
            stats_out: Vec::new(),
            eps: None,
            z: Vec::new(),
        }
    }

    /// Which encoder this is.
    pub fn encoder_kind(&self) -> VibEncoder {
        self.encoder_kind
    }

    /// Width of Z.
    pub fn z_dim(&self) -> usize {
        self.z_dim
    }

    /// β of the KL term.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Forward pass of `rows` images; decodes from z = µ + σ·ε with `eps` (`rows × z_dim`
    /// standard normal draws) or from z = µ when `eps` is `None`. Returns both heads' logits.
    pub fn forward(&mut self, x: &[S], rows: usize, eps: Option<&[S]>) -> (&[S], &[S]) {
        self.encode(x, rows);
        self.decode(eps)
    }

    /// The encoder and the [µ | s] readout only (evaluation decodes twice from one encoding).
    pub fn encode(&mut self, x: &[S], rows: usize) {
        self.rows = rows;
        let rate = self.encoder.encode(x, rows);
        self.rate.clear();
        self.rate.extend_from_slice(rate);
        self.stats_out.resize(rows * 2 * self.z_dim, S::zero());
        self.stats.forward(&self.rate, rows, &mut self.stats_out);
    }

    /// Decodes the last encoding from z = µ + σ·ε (or µ when `eps` is `None`).
    pub fn decode(&mut self, eps: Option<&[S]>) -> (&[S], &[S]) {
        let (rows, zd) = (self.rows, self.z_dim);
        self.z.resize(rows * zd, S::zero());
        let shift = S::c(SIGMA_SHIFT);
        if let Some(e) = eps {
            assert_eq!(e.len(), rows * zd, "ε has the wrong length");
        }
        for r in 0..rows {
            let row = &self.stats_out[r * 2 * zd..(r + 1) * 2 * zd];
            let (mu, s) = row.split_at(zd);
            for i in 0..zd {
                self.z[r * zd + i] = match eps {
                    Some(e) => mu[i] + softplus(s[i] - shift) * e[r * zd + i],
                    None => mu[i],
                };
            }
        }
        self.eps = eps.map(<[S]>::to_vec);
        self.heads.forward(&self.z, rows)
    }

    /// KL(q(z|x) ‖ N(0, I)) in nats of every row of the last forward pass.
    pub fn kl_per_row(&self) -> Vec<f64> {
        let zd = self.z_dim;
        self.stats_out
            .chunks_exact(2 * zd)
            .take(self.rows)
            .map(|row| {
                let (mu, s) = row.split_at(zd);
                mu.iter()
                    .zip(s)
                    .map(|(&m, &si)| {
                        let t = si.f64() - SIGMA_SHIFT;
                        let sigma = softplus(t);
                        // softplus(t) = eᵗ(1 + O(eᵗ)): ln σ = t below −30 avoids ln 0.
                        let ln_sigma = if t < -30.0 { t } else { sigma.ln() };
                        0.5 * (m.f64() * m.f64() + sigma * sigma - 1.0) - ln_sigma
                    })
                    .sum()
            })
            .collect()
    }

    /// Mean KL over the rows of the last forward pass, in nats.
    pub fn kl_mean(&self) -> f64 {
        let kl = self.kl_per_row();
        kl.iter().sum::<f64>() / kl.len().max(1) as f64
    }

    /// Mean hidden spike rate over T of every encoder output in the last forward pass
    /// (`rows × features`); × T gives spike counts.
    pub fn hidden_rates(&self) -> &[S] {
        &self.rate
    }

    /// Backward pass of L = CE₁ + CE₂ + β·mean KL given `∂L/∂logits` of both heads (the
    /// cross-entropy part); adds the KL term's gradient itself. Accumulates into every
    /// parameter's `grad`.
    pub fn backward(&mut self, grad1: &[S], grad2: &[S]) {
        let (rows, zd) = (self.rows, self.z_dim);
        let g_z = self.heads.backward(&self.z, grad1, grad2, rows);
        let beta = S::c(self.beta / rows as f64);
        let shift = S::c(SIGMA_SHIFT);
        let mut g_stats = vec![S::zero(); rows * 2 * zd];
        for r in 0..rows {
            let row = &self.stats_out[r * 2 * zd..(r + 1) * 2 * zd];
            let (mu, s) = row.split_at(zd);
            let (g_mu, g_s) = g_stats[r * 2 * zd..(r + 1) * 2 * zd].split_at_mut(zd);
            for i in 0..zd {
                let gz = g_z[r * zd + i];
                let t = s[i] - shift;
                let sigma = softplus(t);
                let dsigma = sigmoid(t);
                // ∂KL/∂σ = σ − 1/σ; σ′/σ → 1 as t → −∞ (σ ≈ eᵗ).
                let dsig_over_sigma = if t.f64() < -30.0 {
                    S::one()
                } else {
                    dsigma / sigma
                };
                let e = self.eps.as_ref().map_or(S::zero(), |e| e[r * zd + i]);
                g_mu[i] = gz + beta * mu[i];
                g_s[i] = gz * e * dsigma + beta * (sigma * dsigma - dsig_over_sigma);
            }
        }
        let mut g_rate = vec![S::zero(); self.rate.len()];
        self.stats
            .backward(&self.rate, &g_stats, rows, Some(&mut g_rate));
        self.encoder.encode_backward(g_rate);
    }

    /// Parameters in a fixed order: the encoder's, then [µ | s] readout, head 1, head 2.
    pub fn params(&self) -> Vec<&Param<S>> {
        let mut out = self.encoder.encoder_params();
        out.extend(self.stats.params());
        out.extend(self.heads.params());
        out
    }

    /// Parameters in the same order, mutably.
    pub fn params_mut(&mut self) -> Vec<&mut Param<S>> {
        let mut out = self.encoder.encoder_params_mut();
        out.extend(self.stats.params_mut());
        out.extend(self.heads.params_mut());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_is_zero_at_the_standard_normal_and_half_mu_squared_at_unit_sigma() {
        let mut net = VibModel::<f64>::new(VibEncoder::Lif, 2, 1.0, 0);
        // σ = 1 ⇔ softplus(s − 5) = 1 ⇔ s = 5 + ln(e − 1).
        let s1 = SIGMA_SHIFT + (std::f64::consts::E - 1.0).ln();
        net.rows = 1;
        net.stats_out = vec![0.0, 0.0, s1, s1];
        assert!(net.kl_mean().abs() < 1e-12);
        net.stats_out = vec![3.0, -1.0, s1, s1];
        assert!((net.kl_mean() - 5.0).abs() < 1e-12, "½(9 + 1) nats");
    }

    #[test]
    fn encoder_names_round_trip() {
        for e in VibEncoder::ALL {
            assert_eq!(e.id().parse::<VibEncoder>().unwrap(), e);
        }
        assert!("ann".parse::<VibEncoder>().is_err());
    }
}
