//! The fully connected network of Supp. Fig. 2.2 (PAPER.md §3, S2.2): 1296 inputs (a 36×36
//! image) → 128 hidden units → 10 output units, as HH and as tv-LIF2HH networks.
//!
//! Hidden unit h receives the constant current I_h = Σ_i W₀₁[i, h]·x_i, x the image scaled
//! to [0, 1]; output unit o receives Σ_h W₁₂[h, o]·s_h(t), s the hidden level spikes
//! ([`super::network`]). 40 ms at dt = 0.001 ms, from rest.
//!
//! **Image**: the caller may pass one ([`build_fc_with_image`]; the pipeline passes a
//! Multi-MNIST test composite from the data crate). Without one the input is a
//! synthetic MultiMNIST-like image ([`synthetic_image`]): two seeded "digit-like" glyphs, each 2–3 anti-aliased
//! strokes (straight segments and elliptical arcs, Gaussian profile of σ = 0.8 px) drawn in
//! a 28×28 box, the first shifted right by 0–3 px and the second by 5–8 px (both by 0–8 px
//! down) in the 36×36 canvas, overlaid by pixel-wise maximum, quantised to bytes 0–255 and
//! divided by 255.
//!
//! **Weights.** All draws come from `ChaCha8Rng::seed_from_u64(seed)`, in the order image
//! (synthetic only), W₀₁, W₁₂. Each layer's weights are W = α·Z + β with Z i.i.d. N(0, 1); α and β are set so
//! that the layer's input currents have a prescribed mean and standard deviation across its
//! units, in units of the HH single-spike rheobase I_rh (the smallest constant current that
//! makes a resting HH neuron fire within the run, found by bisection; ≈ 2.3 µA/cm² for
//! 40 ms): with r = Zᵀx and Σx the summed input, α = σ/sd(r), β = (μ − α·mean(r))/Σx, so
//! Wᵀx = μ + α(r − mean r) exactly. The hidden layer gets μ = 1·I_rh, σ = 2·I_rh, so about
//! half of the hidden units receive more than the rheobase. For the output layer the input
//! x is the hidden units' *mean level* (the fraction of the run each spends above −40 mV,
//! from a calibration run of the HH hidden layer by forward Euler at the run's dt, so the
//! weights are the same for every integrator): the time-averaged output currents get
//! μ = 0 (balanced excitation and inhibition) and σ = 0.3·I_rh. The output current arrives
//! in ≈ 2 ms pulses, many hidden units at once at the onset volley, so its peaks are far
//! larger than its mean; an HH output fires on a strong excitatory pulse and also on the
//! rebound after a strong inhibitory one. With this σ about half of the outputs fire
//! (40–90 % over seeds 1–6, measured; larger σ or a positive mean make all of them fire).

use icnet_neurons::hh::HhParams;
use icnet_neurons::Integrator;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::network::{
    simulate_net, simulate_unit, FeedForwardNet, HhUnit, NetComparison, RunSetting,
};
use super::{invalid, ExactError};

/// The network's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FcSetting {
    /// Seed of the image and the weights.
    pub seed: u64,
    /// Side of the square input image (pixels); the input has side² values.
    pub image_side: usize,
    /// Number of hidden units.
    pub hidden: usize,
    /// Number of output units.
    pub outputs: usize,
    /// Mean hidden current, in rheobases.
    pub hidden_mean_rheobase: f64,
    /// Standard deviation of the hidden currents across units, in rheobases.
    pub hidden_sd_rheobase: f64,
    /// Mean time-averaged output current, in rheobases.
    pub output_mean_rheobase: f64,
    /// Standard deviation of the time-averaged output currents, in rheobases.
    pub output_sd_rheobase: f64,
    /// Time stepping.
    pub run: RunSetting,
}

impl FcSetting {
    /// Supp. Fig. 2.2: 36×36 → 128 → 10, 40 ms at dt = 0.001 ms, the scaling of the module
    /// docs, with `seed` and `integrator`.
    pub fn paper(seed: u64, integrator: Integrator) -> Self {
        FcSetting {
            seed,
            image_side: 36,
            hidden: 128,
            outputs: 10,
            hidden_mean_rheobase: 1.0,
            hidden_sd_rheobase: 2.0,
            output_mean_rheobase: 0.0,
            output_sd_rheobase: 0.3,
            run: RunSetting::paper(integrator),
        }
    }

    fn validate(&self) -> Result<(), ExactError> {
        for (field, n) in [
            ("image_side", self.image_side),
            ("hidden", self.hidden),
            ("outputs", self.outputs),
        ] {
            if n == 0 || n > 4096 {
                return Err(invalid(field, n as f64, "a whole number in 1..=4096"));
            }
        }
        for (field, x) in [
            ("hidden_mean_rheobase", self.hidden_mean_rheobase),
            ("hidden_sd_rheobase", self.hidden_sd_rheobase),
            ("output_mean_rheobase", self.output_mean_rheobase),
            ("output_sd_rheobase", self.output_sd_rheobase),
        ] {
            if !x.is_finite() || (field.ends_with("sd_rheobase") && x < 0.0) {
                return Err(invalid(field, x, "finite (standard deviations ≥ 0)"));
            }
        }
        self.run.steps().map(|_| ())
    }
}

/// The built network, without its 1296×128 input weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FcNetwork {
    /// The input image, row-major bytes 0–255.
    pub image: Vec<u8>,
    /// Single-spike rheobase of the HH neuron for this run length and dt (µA/cm²).
    pub rheobase_ua: f64,
    /// The hidden units' constant currents W₀₁ᵀx (µA/cm²).
    pub hidden_currents_ua: Vec<f64>,
    /// Mean level of each hidden unit in the calibration run (fraction of the run).
    pub hidden_mean_level: Vec<f64>,
    /// The hidden → output layer: currents (µA/cm²) are `net.layer1_currents`.
    pub net: FeedForwardNet,
}

/// Both networks' activity on the image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FcResult {
    /// The settings.
    pub setting: FcSetting,
    /// The network.
    pub network: FcNetwork,
    /// HH vs tv-LIF2HH: `layer1` = hidden, `layer2` = output.
    pub comparison: NetComparison,
}

/// A synthetic 36×36-style input image (see the module docs), `side`² bytes, row-major.
pub fn synthetic_image(rng: &mut ChaCha8Rng, side: usize) -> Vec<u8> {
    let glyph_box = (side as f64 * 28.0 / 36.0).round();
    let slack = (side as f64 - glyph_box).max(0.0);
    let mut strokes: Vec<Vec<(f64, f64)>> = Vec::new();
    for glyph in 0..2 {
        // The first glyph sits towards the left, the second towards the right, so they
        // overlap partially, as the two digits of a MultiMNIST image do.
        let third = slack / 3.0;
        let ox = if glyph == 0 {
            rng.random_range(0.0..=third)
        } else {
            rng.random_range(slack - third..=slack)
        }
        .round();
        let oy = rng.random_range(0.0..=slack).round();
        let lo = glyph_box * 0.15;
        let hi = glyph_box * 0.85;
        for _ in 0..rng.random_range(2..=3usize) {
            let polyline = if rng.random_bool(0.5) {
                let p = |rng: &mut ChaCha8Rng| {
                    (ox + rng.random_range(lo..hi), oy + rng.random_range(lo..hi))
                };
                vec![p(rng), p(rng)]
            } else {
                let cx = ox + rng.random_range(glyph_box * 0.3..glyph_box * 0.7);
                let cy = oy + rng.random_range(glyph_box * 0.3..glyph_box * 0.7);
                let (rx, ry) = (
                    rng.random_range(glyph_box * 0.12..glyph_box * 0.3),
                    rng.random_range(glyph_box * 0.12..glyph_box * 0.3),
                );
                let start = rng.random_range(0.0..std::f64::consts::TAU);
                let sweep = rng.random_range(std::f64::consts::FRAC_PI_2..std::f64::consts::TAU);
                (0..=24)
                    .map(|s| {
                        let a = start + sweep * f64::from(s) / 24.0;
                        (cx + rx * a.cos(), cy + ry * a.sin())
                    })
                    .collect()
            };
            strokes.push(polyline);
        }
    }
    let sigma = 0.8;
    let mut image = Vec::with_capacity(side * side);
    for row in 0..side {
        for col in 0..side {
            let (px, py) = (col as f64 + 0.5, row as f64 + 0.5);
            let d2 = strokes
                .iter()
                .flat_map(|line| line.windows(2))
                .map(|seg| segment_distance2((px, py), seg[0], seg[1]))
                .fold(f64::INFINITY, f64::min);
            let value = (-d2 / (2.0 * sigma * sigma)).exp();
            image.push((255.0 * value).round().clamp(0.0, 255.0) as u8);
        }
    }
    image
}

/// Squared distance from `p` to the segment a–b.
fn segment_distance2(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let s = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.0 + s * dx - p.0, a.1 + s * dy - p.1);
    qx * qx + qy * qy
}

/// The weights α·Z + β (row-major n_in × n_out, Z given) whose currents Wᵀx have mean `mean`
/// and population standard deviation `sd` across the n_out units (module docs). With
/// Σx = 0 no choice of β shifts the currents; β = 0 then.
pub fn scaled_weights(z: &[f64], x: &[f64], n_out: usize, mean: f64, sd: f64) -> Vec<f64> {
    let raw: Vec<f64> = (0..n_out)
        .map(|o| {
            x.iter()
                .enumerate()
                .map(|(i, xi)| z[i * n_out + o] * xi)
                .sum()
        })
        .collect();
    let n = n_out as f64;
    let raw_mean = raw.iter().sum::<f64>() / n;
    let raw_sd = (raw.iter().map(|r| (r - raw_mean).powi(2)).sum::<f64>() / n).sqrt();
    let alpha = if raw_sd > 0.0 { sd / raw_sd } else { 0.0 };
    let total: f64 = x.iter().sum();
    let beta = if total > 0.0 {
        (mean - alpha * raw_mean) / total
    } else {
        0.0
    };
    z.iter().map(|zi| alpha * zi + beta).collect()
}

/// The smallest constant current (µA/cm², to 0.005) that makes a resting modern-convention
/// HH neuron fire at least once within `setting` (forward Euler), by bisection on [0, 20].
pub fn single_spike_rheobase(setting: &RunSetting) -> Result<f64, ExactError> {
    let steps = setting.steps()?;
    let euler = RunSetting {
        integrator: Integrator::Euler,
        record_every: 0,
        ..*setting
    };
    let unit = HhUnit {
        params: HhParams::modern(),
    };
    let fires = |i: f64| !simulate_unit(&unit, &euler, steps, |_| i).spikes.is_empty();
    let (mut lo, mut hi) = (0.0, 20.0);
    if !fires(hi) {
        return Err(invalid(
            "duration_ms",
            setting.duration_ms,
            "long enough for 20 µA/cm² to elicit a spike",
        ));
    }
    while hi - lo > 0.005 {
        let mid = 0.5 * (lo + hi);
        if fires(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// Builds the network of `setting` (synthetic image, rheobase, both weight layers).
pub fn build_fc(setting: &FcSetting) -> Result<FcNetwork, ExactError> {
    build_fc_with_image(setting, None)
}

/// Builds the network of `setting` on `image` (`image_side`² bytes, row-major, 0–255), or on
/// the synthetic image when `None`.
pub fn build_fc_with_image(
    setting: &FcSetting,
    image: Option<&[u8]>,
) -> Result<FcNetwork, ExactError> {
    setting.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(setting.seed);
    let image = match image {
        Some(bytes) => {
            let want = setting.image_side * setting.image_side;
            if bytes.len() != want {
                return Err(invalid(
                    "image",
                    bytes.len() as f64,
                    "image_side² bytes (1296 for a 36×36 image)",
                ));
            }
            bytes.to_vec()
        }
        None => synthetic_image(&mut rng, setting.image_side),
    };
    let x: Vec<f64> = image.iter().map(|&b| f64::from(b) / 255.0).collect();
    let mut normal =
        |n: usize| -> Vec<f64> { (0..n).map(|_| StandardNormal.sample(&mut rng)).collect() };
    let z01 = normal(x.len() * setting.hidden);
    let z12 = normal(setting.hidden * setting.outputs);
    let rheobase = single_spike_rheobase(&setting.run)?;
    let w01 = scaled_weights(
        &z01,
        &x,
        setting.hidden,
        setting.hidden_mean_rheobase * rheobase,
        setting.hidden_sd_rheobase * rheobase,
    );
    let hidden_currents: Vec<f64> = (0..setting.hidden)
        .map(|h| {
            x.iter()
                .enumerate()
                .map(|(i, xi)| w01[i * setting.hidden + h] * xi)
                .sum()
        })
        .collect();
    // Calibration: mean level of each hidden unit as HH under forward Euler.
    let steps = setting.run.steps()?;
    let calibration = RunSetting {
        integrator: Integrator::Euler,
        record_every: 0,
        ..setting.run
    };
    let unit = HhUnit {
        params: HhParams::modern(),
    };
    let mean_level: Vec<f64> = hidden_currents
        .par_iter()
        .map(|&i| {
            let run = simulate_unit(&unit, &calibration, steps, |_| i);
            let levels = run.levels(calibration.threshold_mv, steps);
            levels[1..].iter().filter(|&&s| s).count() as f64 / steps as f64
        })
        .collect();
    let w12 = scaled_weights(
        &z12,
        &mean_level,
        setting.outputs,
        setting.output_mean_rheobase * rheobase,
        setting.output_sd_rheobase * rheobase,
    );
    Ok(FcNetwork {
        image,
        rheobase_ua: rheobase,
        hidden_currents_ua: hidden_currents.clone(),
        hidden_mean_level: mean_level,
        net: FeedForwardNet {
            layer1_currents: hidden_currents,
            weights: w12,
            layer2_size: setting.outputs,
        },
    })
}

/// Builds the network and simulates it as HH and as tv-LIF2HH; output traces are kept.
pub fn run_fc(setting: &FcSetting) -> Result<FcResult, ExactError> {
    run_fc_with_image(setting, None)
}

/// [`run_fc`] on a given image (see [`build_fc_with_image`]).
pub fn run_fc_with_image(
    setting: &FcSetting,
    image: Option<&[u8]>,
) -> Result<FcResult, ExactError> {
    let network = build_fc_with_image(setting, image)?;
    let comparison = simulate_net(&network.net, &setting.run, false)?;
    Ok(FcResult {
        setting: *setting,
        network,
        comparison,
    })
}
