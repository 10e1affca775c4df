//! The actors under test (PAPER.md §5): a window of the last `window` observations, each
//! repeated `repeat` times (T = window × repeat), drives a hidden layer; its mean spike rate
//! feeds two MLP heads, the mean and the (clamped) log σ of a tanh-squashed Gaussian.
//!
//! The hidden layers are the training engine's cells, configured as in its fully-connected
//! models (`icnet_train::models::fc`): LIF (λ 0.2, θ 0.3, surrogate half-width 0.5), HH
//! (reference constants, dt 0.01, constant gating rates U(0, 0.01), θ 0.2, half-width 0.3)
//! and s-LIF2HH (λ 0.5, θ 2, half-width 0.4, learned non-negative 3→1 map). `4lif` is the LIF
//! layer with four times the units (512). Differences from the image models: the drive changes
//! every `repeat` steps (one observation per block of steps, oldest first), and the HH input
//! map is not scaled by 0.01 (that factor compensates byte-scale images; observations are
//! O(1)). The `ann` actor is an ordinary MLP: the flattened window (no repetition, it has no
//! time) through one ReLU layer of the same width.

use super::gaussian::{clamp_log_std, LOG_STD_RANGE};
use super::mlp::Mlp;
use icnet_train::cells::{
    CompartmentGrad, Drive, DriveGradLayout, HhCell, HhGating, HhTape, LifCell, LifTape, RateOut,
    SLif2HhCell, SLif2HhTape, SpikeGrad,
};
use icnet_train::linalg::serial;
use icnet_train::linear::Linear;
use icnet_train::models::Hidden;
use icnet_train::param::Param;
use icnet_train::spike::SpikeFn;
use icnet_train::Scalar;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Batches of at least this many rows run the two heads on two threads.
const HEADS_SIDE_BY_SIDE_ROWS: usize = 16;

/// Which hidden layer an actor has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ActorKind {
    /// ReLU MLP on the flattened window.
    #[serde(rename = "ann")]
    Ann,
    /// Discrete LIF units.
    #[serde(rename = "lif")]
    Lif,
    /// HH units.
    #[serde(rename = "hh")]
    Hh,
    /// s-LIF2HH units (four LIF compartments each).
    #[serde(rename = "slif2hh")]
    SLif2Hh,
    /// LIF with four times the units.
    #[serde(rename = "4lif")]
    FourLif,
}

impl ActorKind {
    /// Every actor, in the paper's order.
    pub const ALL: [ActorKind; 5] = [
        ActorKind::Ann,
        ActorKind::Lif,
        ActorKind::Hh,
        ActorKind::SLif2Hh,
        ActorKind::FourLif,
    ];

    /// The command-line and output name.
    pub fn id(self) -> &'static str {
        match self {
            ActorKind::Ann => "ann",
            ActorKind::Lif => "lif",
            ActorKind::Hh => "hh",
            ActorKind::SLif2Hh => "slif2hh",
            ActorKind::FourLif => "4lif",
        }
    }

    /// Hidden units for a base width (PAPER.md §5: 128; 4LIF four times that).
    pub fn units(self, base: usize) -> usize {
        if self == ActorKind::FourLif {
            4 * base
        } else {
            base
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An actor name that is not one of the five.
#[derive(Debug, thiserror::Error)]
#[error("unknown actor '{0}'; use one of ann, lif, hh, slif2hh, 4lif")]
pub struct UnknownActor(pub String);

impl FromStr for ActorKind {
    type Err = UnknownActor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActorKind::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| UnknownActor(s.to_string()))
    }
}

/// Shape of an actor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActorShape {
    /// Observation length.
    pub obs_len: usize,
    /// Action length.
    pub action_len: usize,
    /// Observations in the window (5).
    pub window: usize,
    /// Steps per observation (3).
    pub repeat: usize,
    /// Base hidden width (128; `4lif` uses 4×).
    pub units: usize,
    /// Hidden width of each head.
    pub head_hidden: usize,
}

/// A Gaussian actor with one of the hidden layers of [`ActorKind`].
pub struct Actor<S> {
    kind: ActorKind,
    shape: ActorShape,
    neurons: usize,
    /// Input maps (three for s-LIF2HH, one otherwise).
    pub input: Vec<Linear<S>>,
    /// The spiking layer (None for `ann`).
    pub hidden: Option<Hidden<S>>,
    /// Mean head.
    pub mean_head: Mlp<S>,
    /// log σ head.
    pub log_std_head: Mlp<S>,
    rows: usize,
    /// Whether the last pass was [`Actor::forward`] (not [`Actor::infer`]).
    taped: bool,
    /// The input as the input maps see it: the windows (`ann`), or the observations
    /// k-major, `[k][row][obs]` (spiking actors).
    x: Vec<S>,
    /// The input maps' outputs (spiking actors: `[k][row][n]`, the held drive slabs).
    proj: Vec<Vec<S>>,
    features: Vec<S>,
    raw_log_std: Vec<S>,
    log_std: Vec<S>,
    // Scratch of the backward pass, kept to avoid page-faulting fresh buffers every update.
    g_drive: Vec<Vec<S>>,
}

impl<S: Scalar> Actor<S> {
    /// A fresh actor, reproducible from `seed`.
    pub fn new(kind: ActorKind, shape: ActorShape, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let neurons = kind.units(shape.units);
        let maps = if kind == ActorKind::SLif2Hh { 3 } else { 1 };
        let fan_in = if kind == ActorKind::Ann {
            shape.window * shape.obs_len
        } else {
            shape.obs_len
        };
        let input = (0..maps)
            .map(|c| Linear::new(&format!("actor.input{c}"), fan_in, neurons, 1.0, &mut rng))
            .collect();
        let hidden = match kind {
            ActorKind::Ann => None,
            ActorKind::Lif | ActorKind::FourLif => Some(Hidden::Lif(
                LifCell {
                    decay: S::c(0.2),
                    spike: SpikeFn::rect(0.3, 0.5),
                },
                LifTape::default(),
            )),
            ActorKind::Hh => Some(Hidden::Hh(
                HhCell::reference(
                    neurons,
                    0.01,
                    SpikeFn::rect(0.2, 0.3),
                    HhGating::constant_uniform(neurons, 0.01, &mut rng),
                ),
                HhTape::default(),
            )),
            ActorKind::SLif2Hh => {
                let bound = 1.0 / 3f64.sqrt();
                let mut mix = Param::zeros("actor.mix", &[4]);
                for (c, v) in mix.value.iter_mut().enumerate() {
                    let w: f64 = rng.random_range(-bound..bound);
                    *v = S::c(if c < 3 { w.abs() } else { w });
                }
                Some(Hidden::SLif2Hh(
                    SLif2HhCell {
                        decay: S::c(0.5),
                        spike: SpikeFn::rect(2.0, 0.4),
                    },
                    SLif2HhTape::default(),
                    mix,
                ))
            }
        };
        let features = if kind == ActorKind::SLif2Hh {
            4 * neurons
        } else {
            neurons
        };
        let head = [features, shape.head_hidden, shape.action_len];
        let mean_head = Mlp::new("actor.mean", &head, &mut rng);
        let log_std_head = Mlp::new("actor.log_std", &head, &mut rng);
        Self {
            kind,
            shape,
            neurons,
            input,
            hidden,
            mean_head,
            log_std_head,
            rows: 0,
            taped: false,
            x: Vec::new(),
            proj: vec![Vec::new(); maps],
            features: Vec::new(),
            raw_log_std: Vec::new(),
            log_std: Vec::new(),
            g_drive: vec![Vec::new(); maps],
        }
    }

    /// The actor's kind.
    pub fn kind(&self) -> ActorKind {
        self.kind
    }

    /// The actor's shape.
    pub fn shape(&self) -> ActorShape {
        self.shape
    }

    /// Time steps T = window × repeat.
    pub fn steps(&self) -> usize {
        self.shape.window * self.shape.repeat
    }

    /// Length of one input row (window × observation).
    pub fn input_len(&self) -> usize {
        self.shape.window * self.shape.obs_len
    }

    /// Replaces the spike function (gradient checks use a smooth one).
    pub fn set_spike(&mut self, spike: SpikeFn<S>) {
        match &mut self.hidden {
            Some(Hidden::Lif(cell, _)) => cell.spike = spike,
            Some(Hidden::Hh(cell, _)) => cell.spike = spike,
            Some(Hidden::SLif2Hh(cell, _, _)) => cell.spike = spike,
            Some(Hidden::Ann(cell)) => cell.spike = spike,
            None => {}
        }
    }

    /// Mean hidden activity of the last forward pass (spike rate; ReLU output for `ann`).
    pub fn hidden_rate(&self) -> f64 {
        if self.features.is_empty() {
            return 0.0;
        }
        self.features.iter().map(|v| v.f64()).sum::<f64>() / self.features.len() as f64
    }

    /// Forward pass of `rows` windows (`rows × window × obs_len`, oldest observation first),
    /// keeping what [`Actor::backward`] needs; returns `(mean, clamped log σ)`, each
    /// `rows × action_len`.
    pub fn forward(&mut self, windows: &[S], rows: usize) -> (&[S], &[S]) {
        self.run(windows, rows, true)
    }

    /// [`Actor::forward`] for outputs only (acting, the next actions of the critic's target):
    /// the LIF and s-LIF2HH layers then record no tape. The same outputs; a
    /// [`Actor::backward`] must follow a [`Actor::forward`], not this.
    pub fn infer(&mut self, windows: &[S], rows: usize) -> (&[S], &[S]) {
        self.run(windows, rows, false)
    }

    fn run(&mut self, windows: &[S], rows: usize, keep: bool) -> (&[S], &[S]) {
        self.taped = keep;
        assert_eq!(
            windows.len(),
            rows * self.input_len(),
            "actor input has the wrong length"
        );
        self.rows = rows;
        let n = self.neurons;
        let (w, r, o) = (self.shape.window, self.shape.repeat, self.shape.obs_len);
        let steps = w * r;
        let len = rows * n;
        match &mut self.hidden {
            None => {
                self.x.clear();
                self.x.extend_from_slice(windows);
                self.proj[0].resize(len, S::zero());
                self.input[0].forward(windows, rows, &mut self.proj[0]);
                self.features.clear();
                self.features
                    .extend(self.proj[0].iter().map(|v| v.max(S::zero())));
            }
            Some(hidden) => {
                // Project every observation once, laid out k-major ([k][row][n]): slab k is
                // the drive of steps k·repeat … k·repeat + repeat − 1, held, not copied.
                self.x.clear();
                for k in 0..w {
                    for row in 0..rows {
                        let at = (row * w + k) * o;
                        self.x.extend_from_slice(&windows[at..at + o]);
                    }
                }
                for (map, proj) in self.input.iter().zip(&mut self.proj) {
                    proj.resize(w * len, S::zero());
                    map.forward(&self.x, rows * w, proj);
                }
                let held = |k: usize| Drive::Held {
                    slabs: &self.proj[k],
                    hold: r,
                };
                match hidden {
                    Hidden::Lif(cell, _) if !keep => {
                        self.features.resize(len, S::zero());
                        cell.forward_rates(held(0), steps, len, &mut self.features)
                    }
                    Hidden::SLif2Hh(cell, _, mix) if !keep => {
                        self.features.resize(4 * len, S::zero());
                        let rate = RateOut {
                            rate: &mut self.features,
                            neurons: n,
                        };
                        let drives = [held(0), held(1), held(2)];
                        cell.forward_rates(drives, &mix.value, steps, len, rate)
                    }
                    // The backward pass reads the potentials only: no spike tape. (HH
                    // keeps its tape either way.)
                    Hidden::Lif(cell, tape) => {
                        self.features.resize(len, S::zero());
                        cell.forward_potentials(held(0), steps, len, tape, &mut self.features)
                    }
                    Hidden::Hh(cell, tape) => {
                        self.features.resize(len, S::zero());
                        cell.forward(held(0), steps, len, tape, &mut self.features)
                    }
                    Hidden::SLif2Hh(cell, tape, mix) => {
                        self.features.resize(4 * len, S::zero());
                        cell.forward_potentials(
                            [held(0), held(1), held(2)],
                            &mix.value,
                            steps,
                            len,
                            tape,
                            Some(RateOut {
                                rate: &mut self.features,
                                neurons: n,
                            }),
                        )
                    }
                    Hidden::Ann(_) => unreachable!("the ann actor has no spiking layer"),
                }
            }
        }
        let mean_len = rows * self.shape.action_len;
        // The two heads are independent: for a batch, side by side, each with serial
        // products (two 64-row products run faster whole on one core each than split
        // across both); for the few rows of acting, in turn (nothing to gain from a thread).
        let features = &self.features;
        let (mean_head, log_std_head) = (&mut self.mean_head, &mut self.log_std_head);
        let mut mean = || {
            serial(|| mean_head.forward(features, rows));
        };
        let mut log_std = || {
            serial(|| log_std_head.forward(features, rows));
        };
        if rows >= HEADS_SIDE_BY_SIDE_ROWS {
            rayon::join(mean, log_std);
        } else {
            mean();
            log_std();
        }
        self.raw_log_std.clear();
        self.raw_log_std
            .extend_from_slice(self.log_std_head.last_output());
        self.log_std.clear();
        self.log_std
            .extend(self.raw_log_std.iter().map(|&v| clamp_log_std(v)));
        debug_assert_eq!(self.log_std.len(), mean_len);
        self.last_output()
    }

    /// `(mean, clamped log σ)` of the last forward pass.
    pub fn last_output(&self) -> (&[S], &[S]) {
        // The mean head keeps its output from the last forward pass.
        (self.mean_head.last_output(), &self.log_std)
    }

    /// Backward pass of the last forward: accumulates parameter gradients from `∂L/∂μ` and
    /// `∂L/∂ log σ` (of the clamped value; the clamp passes no gradient outside its range).
    pub fn backward(&mut self, g_mean: &[S], g_log_std: &[S]) {
        assert!(
            self.taped,
            "Actor::backward needs the tape of Actor::forward, and the last pass was Actor::infer"
        );
        let rows = self.rows;
        let (lo, hi) = (S::c(LOG_STD_RANGE.0), S::c(LOG_STD_RANGE.1));
        let g_ls: Vec<S> = g_log_std
            .iter()
            .zip(&self.raw_log_std)
            .map(|(&g, &raw)| if raw < lo || raw > hi { S::zero() } else { g })
            .collect();
        let mut g_feat = vec![S::zero(); self.features.len()];
        let mut g_tmp = vec![S::zero(); self.features.len()];
        let (mean_head, log_std_head) = (&mut self.mean_head, &mut self.log_std_head);
        rayon::join(
            || serial(|| mean_head.backward(g_mean, Some(&mut g_feat))),
            || serial(|| log_std_head.backward(&g_ls, Some(&mut g_tmp))),
        );
        g_feat.iter_mut().zip(&g_tmp).for_each(|(a, &b)| *a += b);
        let n = self.neurons;
        let (w, r) = (self.shape.window, self.shape.repeat);
        let steps = w * r;
        let len = rows * n;
        match &mut self.hidden {
            None => {
                let g_proj: Vec<S> = g_feat
                    .iter()
                    .zip(&self.proj[0])
                    .map(|(&g, &p)| if p > S::zero() { g } else { S::zero() })
                    .collect();
                self.input[0].backward(&self.x, &g_proj, rows, None);
            }
            Some(hidden) => {
                let inv_t = S::one() / S::c(steps as f64);
                // The gradient of each held slab, summed over its `repeat` steps: the
                // gradient of the observation projection it came from.
                let held = DriveGradLayout::Held(r);
                // Every element is overwritten by the backward pass.
                let mut g_drive = std::mem::take(&mut self.g_drive);
                g_drive
                    .iter_mut()
                    .for_each(|g| g.resize(w * len, S::zero()));
                match hidden {
                    Hidden::Lif(cell, tape) => {
                        g_feat.iter_mut().for_each(|g| *g *= inv_t);
                        let grad = SpikeGrad::Uniform(&g_feat);
                        cell.backward_into(tape, grad, held, &mut g_drive[0]);
                    }
                    Hidden::Hh(cell, tape) => {
                        g_feat.iter_mut().for_each(|g| *g *= inv_t);
                        let grad = SpikeGrad::Uniform(&g_feat);
                        cell.backward_into(tape, grad, held, &mut g_drive[0]);
                    }
                    Hidden::SLif2Hh(cell, tape, mix) => {
                        let [a, b, c] = &mut g_drive[..] else {
                            unreachable!("s-LIF2HH has three input maps")
                        };
                        let mix_value = mix.value.clone();
                        cell.backward_into(
                            tape,
                            &mix_value,
                            CompartmentGrad::Rate {
                                grad_rate: &g_feat,
                                neurons: n,
                            },
                            [held; 3],
                            [a, b, c],
                            &mut mix.grad,
                        );
                    }
                    Hidden::Ann(_) => unreachable!("the ann actor has no spiking layer"),
                }
                for (map, g) in self.input.iter_mut().zip(&g_drive) {
                    map.backward(&self.x, g, rows * w, None);
                }
                self.g_drive = g_drive;
            }
        }
    }

    /// Every parameter, in a fixed order.
    pub fn params(&self) -> Vec<&Param<S>> {
        let mut out: Vec<&Param<S>> = self.input.iter().flat_map(|l| l.params()).collect();
        if let Some(Hidden::SLif2Hh(_, _, mix)) = &self.hidden {
            out.push(mix);
        }
        out.extend(self.mean_head.params());
        out.extend(self.log_std_head.params());
        out
    }

    /// Every parameter, in the order of [`Actor::params`].
    pub fn params_mut(&mut self) -> Vec<&mut Param<S>> {
        let mut out: Vec<&mut Param<S>> =
            self.input.iter_mut().flat_map(|l| l.params_mut()).collect();
        if let Some(Hidden::SLif2Hh(_, _, mix)) = &mut self.hidden {
            out.push(mix);
        }
        out.extend(self.mean_head.params_mut());
        out.extend(self.log_std_head.params_mut());
        out
    }
}
