//! The fully-connected models: a static image projected once, a hidden spiking layer
//! unrolled over T steps, the mean rate over time, Linear(→50), two Linear(50→10) heads.
//!
//! PAPER.md §4 puts no nonlinearity between the 50-wide layer and the heads; we follow it.

use super::{Heads, ModelKind, Network, INPUT_FEATURES, SHARED_FEATURES};
use crate::cells::{
    CompartmentGrad, Drive, HhCell, HhGating, HhTape, LifCell, LifTape, RateOut, ReluStep,
    SLif2HhCell, SLif2HhTape, SpikeGrad,
};
use crate::linear::Linear;
use crate::param::Param;
use crate::scalar::Scalar;
use crate::spike::SpikeFn;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The hidden layer of a fully-connected model.
#[derive(Clone, Debug)]
pub enum Hidden<S> {
    /// Discrete LIF units.
    Lif(LifCell<S>, LifTape<S>),
    /// HH units.
    Hh(HhCell<S>, HhTape<S>),
    /// s-LIF2HH units with their shared 3→1 map `[a₁, a₂, a₃, c]`.
    SLif2Hh(SLif2HhCell<S>, SLif2HhTape<S>, Param<S>),
    /// ReLU then binary step (no time).
    Ann(ReluStep<S>),
}

/// A fully-connected model of PAPER.md §4.
pub struct FcModel<S> {
    kind: ModelKind,
    steps: usize,
    neurons: usize,
    /// Input maps 1296 → neurons (three for s-LIF2HH, one otherwise).
    pub input: Vec<Linear<S>>,
    /// The hidden layer.
    pub hidden: Hidden<S>,
    /// Rates → 50.
    pub readout: Linear<S>,
    /// 50 → 10, task 1 and task 2.
    pub heads: Heads<S>,
    // Saved activations of the last forward pass.
    rows: usize,
    x: Vec<S>,
    proj: Vec<Vec<S>>,
    rate: Vec<S>,
    shared: Vec<S>,
}

impl<S: Scalar> FcModel<S> {
    /// A model with the reference initialisation, reproducible from `seed`.
    ///
    /// # Panics
    /// If `kind` is a convolutional model.
    pub fn new(kind: ModelKind, seed: u64) -> Self {
        assert!(!kind.is_conv(), "{kind} is not a fully-connected model");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let neurons = match kind {
            ModelKind::FourLifFc => 2048,
            _ => 512,
        };
        let hyper = kind.hyper();
        let maps = if kind == ModelKind::SLif2HhFc { 3 } else { 1 };
        let scale = match kind {
            ModelKind::HhFc | ModelKind::HhVdFc => 0.01,
            _ => 1.0,
        };
        let input = (0..maps)
            .map(|c| {
                let name = if maps == 1 {
                    "input".to_string()
                } else {
                    format!("input{}", c + 1)
                };
                Linear::new(&name, INPUT_FEATURES, neurons, scale, &mut rng)
            })
            .collect();
        let hidden = match kind {
            ModelKind::LifFc | ModelKind::FourLifFc => Hidden::Lif(
                LifCell {
                    decay: S::c(0.2),
                    spike: SpikeFn::rect(0.3, 0.5),
                },
                LifTape::default(),
            ),
            ModelKind::HhFc | ModelKind::HhVdFc => {
                let gating = if kind == ModelKind::HhFc {
                    HhGating::constant_uniform(neurons, 0.01, &mut rng)
                } else {
                    HhGating::VoltageDependent
                };
                Hidden::Hh(
                    HhCell::reference(neurons, 0.01, SpikeFn::rect(0.2, 0.3), gating),
                    HhTape::default(),
                )
            }
            ModelKind::SLif2HhFc => {
                // nn.Linear(3, 1) initialisation, weights then made non-negative (|w|).
                let bound = 1.0 / 3f64.sqrt();
                let mut mix = Param::zeros("mix", &[4]);
                for (c, v) in mix.value.iter_mut().enumerate() {
                    let w: f64 = rng.random_range(-bound..bound);
                    *v = S::c(if c < 3 { w.abs() } else { w });
                }
                Hidden::SLif2Hh(
                    SLif2HhCell {
                        decay: S::c(0.5),
                        spike: SpikeFn::rect(2.0, 0.4),
                    },
                    SLif2HhTape::default(),
                    mix,
                )
            }
            ModelKind::Ann => Hidden::Ann(ReluStep {
                spike: SpikeFn::rect(0.5, 0.5),
            }),
            conv => unreachable!("{conv} is not a fully-connected model"),
        };
        let features = if kind == ModelKind::SLif2HhFc {
            4 * neurons
        } else {
            neurons
        };
        let readout = Linear::new("readout", features, SHARED_FEATURES, 1.0, &mut rng);
        let heads = Heads::new("", SHARED_FEATURES, &mut rng);
        Self {
            kind,
            steps: hyper.steps,
            neurons,
            input,
            hidden,
            readout,
            heads,
            rows: 0,
            x: Vec::new(),
            proj: vec![Vec::new(); maps],
            rate: Vec::new(),
            shared: Vec::new(),
        }
    }

    /// Replaces the spike function of the hidden layer (gradient checks use a smooth one).
    pub fn set_spike(&mut self, spike: SpikeFn<S>) {
        match &mut self.hidden {
            Hidden::Lif(cell, _) => cell.spike = spike,
            Hidden::Hh(cell, _) => cell.spike = spike,
            Hidden::SLif2Hh(cell, _, _) => cell.spike = spike,
            Hidden::Ann(cell) => cell.spike = spike,
        }
    }

    /// Sets the number of time steps T.
    pub fn set_steps(&mut self, steps: usize) {
        self.steps = steps;
    }

    /// Time steps T.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Hidden units per row (512, or 2048 for 4LIF).
    pub fn neurons(&self) -> usize {
        self.neurons
    }

    /// Width of the readout's input (neurons, or 4 × neurons for s-LIF2HH).
    pub fn features(&self) -> usize {
        self.readout.inputs()
    }

    /// The encoder's forward pass (input maps and hidden layer over T steps): returns the
    /// readout's input, the mean spike rate over T of every hidden output (`rows × features`).
    /// Shared with the VIB model of Fig. 5d, which puts its own layers on these rates.
    pub fn encode(&mut self, x: &[S], rows: usize) -> &[S] {
        assert_eq!(
            x.len(),
            rows * INPUT_FEATURES,
            "input batch has the wrong length"
        );
        self.rows = rows;
        self.x.clear();
        self.x.extend_from_slice(x);
        let len = rows * self.neurons;
        // The image is the same at every step: project it once.
        for (map, proj) in self.input.iter().zip(&mut self.proj) {
            proj.resize(len, S::zero());
            map.forward(x, rows, proj);
        }
        self.rate.resize(rows * self.features(), S::zero());
        let steps = self.steps;
        match &mut self.hidden {
            Hidden::Lif(cell, tape) => cell.forward(
                Drive::Static(&self.proj[0]),
                steps,
                len,
                tape,
                &mut self.rate,
            ),
            Hidden::Hh(cell, tape) => cell.forward(
                Drive::Static(&self.proj[0]),
                steps,
                len,
                tape,
                &mut self.rate,
            ),
            Hidden::SLif2Hh(cell, tape, mix) => cell.forward(
                [
                    Drive::Static(&self.proj[0]),
                    Drive::Static(&self.proj[1]),
                    Drive::Static(&self.proj[2]),
                ],
                &mix.value,
                steps,
                len,
                tape,
                Some(RateOut {
                    rate: &mut self.rate,
                    neurons: self.neurons,
                }),
            ),
            Hidden::Ann(cell) => cell.forward(&self.proj[0], &mut self.rate),
        }
        &self.rate
    }

    /// The encoder's backward pass given `∂L/∂rate` of the last [`FcModel::encode`]:
    /// accumulates into the input maps' (and the s-LIF2HH 3→1 map's) gradients.
    pub fn encode_backward(&mut self, mut g_rate: Vec<S>) {
        let rows = self.rows;
        let len = rows * self.neurons;
        let inv_t = S::one() / S::c(self.steps as f64);
        let mut g_proj: Vec<Vec<S>> = self.proj.iter().map(|_| vec![S::zero(); len]).collect();
        match &mut self.hidden {
            Hidden::Lif(cell, tape) => {
                // rate = Σ_t s[t] / T, so every step's spikes get ∂L/∂rate / T.
                g_rate.iter_mut().for_each(|g| *g *= inv_t);
                cell.backward(tape, SpikeGrad::Uniform(&g_rate), &mut g_proj[0]);
            }
            Hidden::Hh(cell, tape) => {
                g_rate.iter_mut().for_each(|g| *g *= inv_t);
                cell.backward(tape, SpikeGrad::Uniform(&g_rate), &mut g_proj[0]);
            }
            Hidden::SLif2Hh(cell, tape, mix) => {
                let [a, b, c] = &mut g_proj[..] else {
                    unreachable!("s-LIF2HH has three input maps")
                };
                let mix_value = mix.value.clone();
                cell.backward(
                    tape,
                    &mix_value,
                    CompartmentGrad::Rate {
                        grad_rate: &g_rate,
                        neurons: self.neurons,
                    },
                    [a, b, c],
                    &mut mix.grad,
                );
            }
            Hidden::Ann(cell) => cell.backward(&self.proj[0], &g_rate, &mut g_proj[0]),
        }
        for (map, g) in self.input.iter_mut().zip(&g_proj) {
            // The first layer is fed by data: no input gradient needed.
            map.backward(&self.x, g, rows, None);
        }
    }

    /// The encoder's parameters (input maps, and the s-LIF2HH 3→1 map), in [`Network::params`] order.
    pub fn encoder_params(&self) -> Vec<&Param<S>> {
        let mut out: Vec<&Param<S>> = self.input.iter().flat_map(|l| l.params()).collect();
        if let Hidden::SLif2Hh(_, _, mix) = &self.hidden {
            out.push(mix);
        }
        out
    }

    /// The encoder's parameters, mutably, in the same order.
    pub fn encoder_params_mut(&mut self) -> Vec<&mut Param<S>> {
        let mut out: Vec<&mut Param<S>> =
            self.input.iter_mut().flat_map(|l| l.params_mut()).collect();
        if let Hidden::SLif2Hh(_, _, mix) = &mut self.hidden {
            out.push(mix);
        }
        out
    }
}

impl<S: Scalar> Network<S> for FcModel<S> {
    fn kind(&self) -> ModelKind {
        self.kind
    }

    fn forward(&mut self, x: &[S], rows: usize) -> (&[S], &[S]) {
        self.encode(x, rows);
        self.shared.resize(rows * SHARED_FEATURES, S::zero());
        self.readout.forward(&self.rate, rows, &mut self.shared);
        self.heads.forward(&self.shared, rows)
    }

    fn backward(&mut self, grad1: &[S], grad2: &[S]) {
        let rows = self.rows;
        let g_shared = self.heads.backward(&self.shared, grad1, grad2, rows);
        let mut g_rate = vec![S::zero(); self.rate.len()];
        self.readout
            .backward(&self.rate, &g_shared, rows, Some(&mut g_rate));
        self.encode_backward(g_rate);
    }

    fn params(&self) -> Vec<&Param<S>> {
        let mut out: Vec<&Param<S>> = self.input.iter().flat_map(|l| l.params()).collect();
        if let Hidden::SLif2Hh(_, _, mix) = &self.hidden {
            out.push(mix);
        }
        out.extend(self.readout.params());
        out.extend(self.heads.params());
        out
    }

    fn params_mut(&mut self) -> Vec<&mut Param<S>> {
        let mut out: Vec<&mut Param<S>> =
            self.input.iter_mut().flat_map(|l| l.params_mut()).collect();
        if let Hidden::SLif2Hh(_, _, mix) = &mut self.hidden {
            out.push(mix);
        }
        out.extend(self.readout.params_mut());
        out.extend(self.heads.params_mut());
        out
    }

    fn hidden_rate(&self) -> f64 {
        if self.rate.is_empty() {
            return 0.0;
        }
        self.rate.iter().map(|r| r.f64()).sum::<f64>() / self.rate.len() as f64
    }
}
