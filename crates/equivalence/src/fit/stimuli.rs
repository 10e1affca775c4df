//! The stimuli of the fitting protocol: the five training shapes of Fig. 3d, seeded held-out
//! families never seen in fitting, and a precomputed integral of each stimulus from which the
//! per-step mean current is read for any time step in O(1).

use icnet_neurons::stimulus::Stimulus;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Grid points per ms of a [`StimulusGrid`] (a 10 µs grid).
pub const GRID_POINTS_PER_MS: usize = 100;

/// Midpoint samples per grid cell (1 µs, the HH time step).
pub const SAMPLES_PER_CELL: usize = 10;

/// A stimulus with a name (`sine`, `sine#3`, `noise#1`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedStimulus {
    /// Name: the shape for the training set, `shape#i` for held-out variants.
    pub name: String,
    /// The current.
    pub stimulus: Stimulus,
}

/// The five training stimuli: the paper's shapes with the paper's parameters.
pub fn training_stimuli() -> Vec<NamedStimulus> {
    Stimulus::paper_shapes()
        .into_iter()
        .map(|(name, stimulus)| NamedStimulus {
            name: name.to_string(),
            stimulus,
        })
        .collect()
}

/// How the held-out stimuli are drawn.
///
/// For each of the five shapes, `per_shape` variants whose every parameter (offset or base,
/// amplitude, period or angular frequency) is the paper's value times an independent factor
/// U(1 − `spread`, 1 + `spread`); and `noise` seeded noisy currents ([`Stimulus::Noise`]) with
/// mean U(8, 14) µA/cm², s.d. U(1, 5) µA/cm² and hold time U(0.5, 2) ms. All draws come from a
/// `ChaCha8Rng` seeded with `seed`, so the set is a pure function of this spec.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeldOutSpec {
    /// Variants per paper shape.
    pub per_shape: usize,
    /// Noisy currents.
    pub noise: usize,
    /// Relative spread of the shape parameters (0.25: ±25 %).
    pub spread: f64,
    /// Seed of every draw.
    pub seed: u64,
}

/// The held-out stimuli of `spec`, shapes first (grouped by shape), then noise.
pub fn held_out_stimuli(spec: &HeldOutSpec) -> Vec<NamedStimulus> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let spread = spec.spread.clamp(0.0, 0.95);
    let factor = |rng: &mut ChaCha8Rng| rng.random_range(1.0 - spread..=1.0 + spread);
    let mut out = Vec::new();
    for (shape, reference) in Stimulus::paper_shapes() {
        for i in 1..=spec.per_shape {
            let stimulus = match reference {
                Stimulus::Constant { amp } => Stimulus::Constant {
                    amp: amp * factor(&mut rng),
                },
                Stimulus::Sine { offset, amp, omega } => Stimulus::Sine {
                    offset: offset * factor(&mut rng),
                    amp: amp * factor(&mut rng),
                    omega: omega * factor(&mut rng),
                },
                Stimulus::Square { base, amp, period } => Stimulus::Square {
                    base: base * factor(&mut rng),
                    amp: amp * factor(&mut rng),
                    period: period * factor(&mut rng),
                },
                Stimulus::Sawtooth {
                    offset,
                    amp,
                    period,
                } => Stimulus::Sawtooth {
                    offset: offset * factor(&mut rng),
                    amp: amp * factor(&mut rng),
                    period: period * factor(&mut rng),
                },
                Stimulus::Triangle {
                    offset,
                    amp,
                    period,
                } => Stimulus::Triangle {
                    offset: offset * factor(&mut rng),
                    amp: amp * factor(&mut rng),
                    period: period * factor(&mut rng),
                },
                other => other,
            };
            out.push(NamedStimulus {
                name: format!("{shape}#{i}"),
                stimulus,
            });
        }
    }
    for i in 1..=spec.noise {
        out.push(NamedStimulus {
            name: format!("noise#{i}"),
            stimulus: Stimulus::Noise {
                mean: rng.random_range(8.0..=14.0),
                sd: rng.random_range(1.0..=5.0),
                hold: rng.random_range(0.5..=2.0),
                seed: rng.random(),
            },
        });
    }
    out
}

/// The running integral P(t) = ∫₀ᵗ I of a stimulus, tabulated every 10 µs, from which the mean
/// current over any interval is read: the mean over [a, b] is (P(b) − P(a))/(b − a).
///
/// Each 10 µs cell is integrated by the midpoint rule on ten 1 µs sub-intervals, so at every
/// multiple of 10 µs P equals the 1 µs midpoint rule of [`crate::chain::step_mean_currents`]
/// (to rounding): step means for dt = 1, 0.5, 0.25, 0.1 ms… are those of the s-LIF2HH chain.
/// Between grid points P is interpolated linearly: an error ≤ (10 µs)²·max|I′|/8 in P (≈ 3e-4
/// µA/cm²·ms for the paper's sine, whose |I′| ≤ 22.8 /ms) where I is smooth, and ≤ the jump ×
/// 10 µs inside the one cell holding a discontinuity that is not on the grid (the paper's
/// square wave jumps at whole ms, on the grid). Why 10 µs and not 1 µs: five training
/// stimuli then take 330 KB instead of 3.3 MB, and the look-ups of every candidate stay in
/// the L2 cache (2.5× faster fits). Built once per stimulus; each candidate then pays
/// O(steps) for its own dt.
#[derive(Debug, Clone, PartialEq)]
pub struct StimulusGrid {
    /// P at k·10 µs, k = 0 … n.
    prefix: Vec<f64>,
}

impl StimulusGrid {
    /// The grid of `stimulus` over [0, `duration_ms`] plus a 2 ms margin (a step may end a
    /// little after the duration: ⌊duration/dt⌉ steps).
    pub fn new(stimulus: &Stimulus, duration_ms: f64) -> Self {
        let cells = ((duration_ms.max(0.0) + 2.0) * GRID_POINTS_PER_MS as f64).ceil() as usize;
        let h = 1.0 / (GRID_POINTS_PER_MS * SAMPLES_PER_CELL) as f64;
        let mut prefix = Vec::with_capacity(cells + 1);
        let mut total = 0.0;
        prefix.push(0.0);
        for i in 0..cells {
            let cell: f64 = (0..SAMPLES_PER_CELL)
                .map(|j| {
                    let sub = (i * SAMPLES_PER_CELL + j) as f64;
                    stimulus.current((sub + 0.5) * h)
                })
                .sum();
            total += cell * h;
            prefix.push(total);
        }
        StimulusGrid { prefix }
    }

    /// P(t) = ∫₀ᵗ I (µA/cm²·ms), linear between grid points, constant beyond the grid.
    pub fn integral(&self, t_ms: f64) -> f64 {
        let p = t_ms.max(0.0) * GRID_POINTS_PER_MS as f64;
        // Truncation is floor for p ≥ 0, and a single instruction (f64::floor and round are
        // library calls on baseline x86-64, which made this look-up the fit's bottleneck).
        let mut i = p as usize;
        let mut frac = p - i as f64;
        // Steps that are whole multiples of 10 µs land exactly on grid points.
        if frac > 1.0 - 1e-9 {
            i += 1;
            frac = 0.0;
        } else if frac < 1e-9 {
            frac = 0.0;
        }
        let last = self.prefix.len() - 1;
        if i >= last {
            return self.prefix[last];
        }
        self.prefix[i] + frac * (self.prefix[i + 1] - self.prefix[i])
    }

    /// The mean current over each step [k·dt, (k + 1)·dt], k = 0 … steps − 1, into `out`.
    pub fn step_means_into(&self, dt: f64, steps: usize, out: &mut Vec<f64>) {
        out.clear();
        let mut previous = self.integral(0.0);
        for k in 0..steps {
            let next = self.integral((k + 1) as f64 * dt);
            out.push((next - previous) / dt);
            previous = next;
        }
    }

    /// [`StimulusGrid::step_means_into`] into a new vector.
    pub fn step_means(&self, dt: f64, steps: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(steps);
        self.step_means_into(dt, steps, &mut out);
        out
    }
}

/// Number of steps of a simulation of `duration_ms` with step `dt`: ⌊duration/dt⌉, at least 1
/// (the convention of [`crate::chain::SLifChain::run`]).
pub fn step_count(duration_ms: f64, dt: f64) -> usize {
    ((duration_ms / dt).round().max(1.0)) as usize
}
