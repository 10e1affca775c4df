//! The convolutional models of PAPER.md §4: conv3×3 (1→C), spiking layer, avgpool 2
//! (36→18), conv3×3 (C→C), spiking layer, avgpool 2 (18→9), mean over T, fc C·81→50, two
//! heads. The CNN replaces the spiking layers by ReLU → step(0.5) and has no time.
//!
//! Structure the code exploits:
//! - the image is static, so the first convolution runs once per batch and its weight
//!   gradient is one product with the time-summed drive gradient;
//! - the readout sees `pool(mean_t s₂[t])` — pooling and the time mean commute;
//! - layer 1's output leaves it only pooled, so the LIF and HH layers run band by band
//!   (two image rows at a time, [`layer1`]) with their tape in cache, and the backward pass
//!   recomputes it;
//! - s-LIF2HH-conv applies each layer-2 convolution to each compartment's pooled spikes and
//!   sums; by linearity that is the convolution of the compartments' summed pooled spikes,
//!   one convolution per map instead of four. Its bias is added once per map, to the sum:
//!   read literally ("each conv applied to each compartment, summed"), four biased
//!   convolutions would add it four times. The two are the same model family (b′ = 4b) but
//!   differ in initialisation and gradient scale; this is the once-per-map version (the
//!   parity script, `scripts/parity_torch.py`, computes both). One 3→1 map serves both
//!   layers, as this model is specified.

mod layer1;

use super::{Heads, ModelKind, Network, IMAGE_SIDE, SHARED_FEATURES};
use crate::cells::{
    CompartmentGrad, Drive, HhCell, HhGating, HhTape, LifCell, LifTape, ReluStep, SLif2HhCell,
    SLif2HhTape, SpikeGrad,
};
use crate::conv::{avg_pool2, avg_pool2_backward, Conv2d};
use crate::linear::Linear;
use crate::param::Param;
use crate::scalar::Scalar;
use crate::spike::SpikeFn;
use crate::timing;
use layer1::{BandPool, Layer1};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SIDE1: usize = IMAGE_SIDE;
const SIDE2: usize = IMAGE_SIDE / 2;
const SIDE3: usize = IMAGE_SIDE / 4;

/// Images per block of s-LIF2HH's layer 1 (its states for T steps of 4 images stay in
/// cache).
const LAYER1_BLOCK: usize = 4;

/// A stand-in while the hidden layers are moved out of the model for a pass.
fn placeholder<S: Scalar>() -> ConvHidden<S> {
    ConvHidden::Cnn(ReluStep {
        spike: SpikeFn::rect(0.5, 0.5),
    })
}

/// The two hidden spiking layers of a convolutional model (or the CNN's binary units).
// One value per model, never in a collection: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ConvHidden<S> {
    /// LIF units and layer 2's tape (layer 1 runs band by band and keeps none).
    Lif(LifCell<S>, LifTape<S>),
    /// HH units, one cell per layer (its own constant rates), and layer 2's tape.
    Hh([HhCell<S>; 2], HhTape<S>),
    /// s-LIF2HH units; one 3→1 map `[a₁, a₂, a₃, c]` shared by both layers.
    SLif2Hh(SLif2HhCell<S>, [SLif2HhTape<S>; 2], Param<S>),
    /// ReLU then binary step.
    Cnn(ReluStep<S>),
}

/// A convolutional model of PAPER.md §4.
pub struct ConvModel<S> {
    kind: ModelKind,
    steps: usize,
    channels: usize,
    /// Layer-1 convolutions 1 → C (three for s-LIF2HH).
    pub conv1: Vec<Conv2d<S>>,
    /// Layer-2 convolutions C → C (three for s-LIF2HH).
    pub conv2: Vec<Conv2d<S>>,
    /// The spiking layers.
    pub hidden: ConvHidden<S>,
    /// Pooled rates → 50.
    pub readout: Linear<S>,
    /// 50 → 10, task 1 and task 2.
    pub heads: Heads<S>,
    // Saved activations of the last forward pass.
    rows: usize,
    x: Vec<S>,
    /// Layer-1 drives (static, `rows·36²·C` each).
    drive1: Vec<Vec<S>>,
    /// Layer-1 output after pooling, `T × rows·18²·C` (summed over compartments).
    pooled1: Vec<S>,
    /// Layer-2 drives, `T × rows·18²·C` each (CNN: `rows·18²·C`).
    drive2: Vec<Vec<S>>,
    rate: Vec<S>,
    shared: Vec<S>,
    /// Scratch: s-LIF2HH's ∂L/∂s₁ per step for one layer-1 block, reused across blocks and
    /// batches.
    g_s1: Vec<S>,
    /// CNN scratch reused across batches: two buffers of `len1` and three of `len2`
    /// (activations and their gradients; allocating them per step cost about 15 % of a
    /// CNN step in page faults and zeroing).
    cnn_scratch: [Vec<S>; 5],
    /// Spiking-model backward scratch reused across batches (tens of MB per step at batch
    /// 128): ∂L/∂drive₂ per map (`T × len2`), ∂L/∂pooled₁ (`T × len2`), ∂L/∂drive₁ per map
    /// (`len1`).
    spiking_scratch: (Vec<Vec<S>>, Vec<S>, Vec<Vec<S>>),
    /// Layer-1 and layer-2 scratch reused across blocks and batches (fresh multi-MB
    /// buffers per block cost page faults on every step).
    scratch: Layer1Scratch<S>,
    /// Per-worker band tapes of the LIF and HH layer 1, reused across batches.
    bands: BandPool<S>,
}

/// Scratch buffers of s-LIF2HH's layer-1 blocks and of layer 2's time means.
#[derive(Default)]
struct Layer1Scratch<S> {
    /// Layer 2's mean rates, `len2`.
    rate: Vec<S>,
    /// s-LIF2HH's layer-1 compartments summed, before pooling.
    spikes: Vec<S>,
}

fn lif_spike() -> (f64, f64) {
    (0.3, 0.5)
}

impl<S: Scalar> ConvModel<S> {
    /// A model with the reference initialisation, reproducible from `seed`.
    ///
    /// # Panics
    /// If `kind` is not a convolutional model.
    pub fn new(kind: ModelKind, seed: u64) -> Self {
        assert!(kind.is_conv(), "{kind} is not a convolutional model");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let channels = if kind == ModelKind::FourLifConv {
            40
        } else {
            10
        };
        let maps = if kind == ModelKind::SLif2HhConv { 3 } else { 1 };
        let name = |layer: usize, m: usize| {
            if maps == 1 {
                format!("conv{layer}")
            } else {
                format!("conv{layer}.{}", m + 1)
            }
        };
        let conv1: Vec<Conv2d<S>> = (0..maps)
            .map(|m| Conv2d::new(&name(1, m), 1, channels, SIDE1, 1.0, &mut rng))
            .collect();
        let conv2: Vec<Conv2d<S>> = (0..maps)
            .map(|m| Conv2d::new(&name(2, m), channels, channels, SIDE2, 1.0, &mut rng))
            .collect();
        let (theta, w) = lif_spike();
        let hidden = match kind {
            ModelKind::LifConv | ModelKind::FourLifConv => ConvHidden::Lif(
                LifCell {
                    decay: S::c(0.2),
                    spike: SpikeFn::rect(theta, w),
                },
                Default::default(),
            ),
            ModelKind::HhConv => {
                let cell = |side: usize, rng: &mut ChaCha8Rng| {
                    let neurons = side * side * channels;
                    let mut cell = HhCell::reference(
                        neurons,
                        0.1,
                        SpikeFn::rect(2.3, 0.5),
                        HhGating::constant_uniform(neurons, 0.01, rng),
                    );
                    cell.detach_ionic = true;
                    cell
                };
                let first = cell(SIDE1, &mut rng);
                let second = cell(SIDE2, &mut rng);
                ConvHidden::Hh([first, second], Default::default())
            }
            ModelKind::SLif2HhConv => {
                // nn.Linear(3, 1) initialisation, weights then made non-negative (|w|).
                let bound = 1.0 / 3f64.sqrt();
                let mut mix = Param::zeros("mix", &[4]);
                for (c, v) in mix.value.iter_mut().enumerate() {
                    let w: f64 = rng.random_range(-bound..bound);
                    *v = S::c(if c < 3 { w.abs() } else { w });
                }
                ConvHidden::SLif2Hh(
                    SLif2HhCell {
                        decay: S::c(0.2),
                        spike: SpikeFn::rect(0.3, 0.4),
                    },
                    Default::default(),
                    mix,
                )
            }
            ModelKind::CnnConv => ConvHidden::Cnn(ReluStep {
                spike: SpikeFn::rect(0.5, 0.5),
            }),
            _ => unreachable!("checked above"),
        };
        let compartments = if kind == ModelKind::SLif2HhConv { 4 } else { 1 };
        let features = compartments * SIDE3 * SIDE3 * channels;
        let readout = Linear::new("readout", features, SHARED_FEATURES, 1.0, &mut rng);
        let heads = Heads::new("", SHARED_FEATURES, &mut rng);
        Self {
            kind,
            steps: kind.hyper().steps,
            channels,
            conv1,
            conv2,
            hidden,
            readout,
            heads,
            rows: 0,
            x: Vec::new(),
            drive1: vec![Vec::new(); maps],
            pooled1: Vec::new(),
            drive2: vec![Vec::new(); maps],
            rate: Vec::new(),
            shared: Vec::new(),
            g_s1: Vec::new(),
            cnn_scratch: Default::default(),
            spiking_scratch: Default::default(),
            scratch: Layer1Scratch::default(),
            bands: BandPool::default(),
        }
    }

    /// Replaces the spike function of the hidden layers (gradient checks use a smooth one).
    pub fn set_spike(&mut self, spike: SpikeFn<S>) {
        match &mut self.hidden {
            ConvHidden::Lif(cell, _) => cell.spike = spike,
            ConvHidden::Hh(cells, _) => cells.iter_mut().for_each(|c| c.spike = spike),
            ConvHidden::SLif2Hh(cell, _, _) => cell.spike = spike,
            ConvHidden::Cnn(cell) => cell.spike = spike,
        }
    }

    /// Sets the number of time steps T (ignored by the CNN, which has no time).
    pub fn set_steps(&mut self, steps: usize) {
        if self.kind != ModelKind::CnnConv {
            self.steps = steps;
        }
    }

    /// Time steps T (1 for the CNN).
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Channels per convolution.
    pub fn channels(&self) -> usize {
        self.channels
    }

    fn len1(&self) -> usize {
        self.rows * SIDE1 * SIDE1 * self.channels
    }

    fn len2(&self) -> usize {
        self.rows * SIDE2 * SIDE2 * self.channels
    }

    /// Runs each layer-2 convolution on every step's pooled layer-1 output.
    fn convolve_layer2(&mut self) {
        let (steps, rows, len2) = (self.steps, self.rows, self.len2());
        for (conv, drive) in self.conv2.iter().zip(&mut self.drive2) {
            drive.resize(steps * len2, S::zero());
            for t in 0..steps {
                conv.forward(
                    &self.pooled1[t * len2..(t + 1) * len2],
                    rows,
                    &mut drive[t * len2..(t + 1) * len2],
                );
            }
        }
    }

    /// Units of layer 1 per image.
    fn per_image1(&self) -> usize {
        SIDE1 * SIDE1 * self.channels
    }

    /// s-LIF2HH's layer 1 on images `start..start + n` from rest, leaving its tape in
    /// `hidden`, and with `pooled` (`T × len2`, all rows) pools each step's spikes (summed
    /// over compartments) into the block's part of it.
    fn slif2hh_block(
        &self,
        hidden: &mut ConvHidden<S>,
        start: usize,
        n: usize,
        pooled: Option<&mut [S]>,
        scratch: &mut Layer1Scratch<S>,
    ) {
        let ConvHidden::SLif2Hh(cell, [tape1, _], mix) = hidden else {
            unreachable!("LIF and HH run layer 1 band by band")
        };
        let (steps, c, per1) = (self.steps, self.channels, self.per_image1());
        let per2 = per1 / 4;
        let blen = n * per1;
        let span = start * per1..start * per1 + blen;
        let d: [Drive<'_, S>; 3] =
            std::array::from_fn(|k| Drive::Static(&self.drive1[k][span.clone()]));
        cell.forward(d, &mix.value, steps, blen, tape1, None);
        let Some(pooled) = pooled else {
            return;
        };
        let sum = &mut scratch.spikes;
        let slab = steps * blen;
        sum.clear();
        sum.extend_from_slice(&tape1.s[..slab]);
        for part in tape1.s[slab..].chunks_exact(slab) {
            sum.iter_mut().zip(part).for_each(|(a, &b)| *a += b);
        }
        let len2 = self.len2();
        for t in 0..steps {
            avg_pool2(
                &sum[t * blen..(t + 1) * blen],
                n,
                SIDE1,
                c,
                &mut pooled[t * len2 + start * per2..t * len2 + (start + n) * per2],
            );
        }
    }

    /// Layer 1 over the whole batch, writing `pooled1`: band by band for LIF and HH (see
    /// [`layer1`]), in blocks of [`LAYER1_BLOCK`] images for s-LIF2HH. No tape is kept: the
    /// backward pass recomputes it (layer 1 sees a static drive, so recomputing it is
    /// cheaper than storing and re-reading `T × len1` states).
    fn layer1_forward(&mut self, hidden: &mut ConvHidden<S>) {
        let (steps, rows, len2) = (self.steps, self.rows, self.len2());
        let mut pooled = std::mem::take(&mut self.pooled1);
        pooled.resize(steps * len2, S::zero());
        if let Some(layer) = band_layer(hidden, steps) {
            let (c, drive) = (self.channels, &self.drive1[0]);
            layer1::forward(&layer, drive, steps, c, &mut self.bands, &mut pooled);
        } else {
            let mut scratch = std::mem::take(&mut self.scratch);
            for start in (0..rows).step_by(LAYER1_BLOCK) {
                let n = LAYER1_BLOCK.min(rows - start);
                self.slif2hh_block(hidden, start, n, Some(&mut pooled), &mut scratch);
            }
            self.scratch = scratch;
        }
        self.pooled1 = pooled;
    }

    fn forward_spiking(&mut self) {
        let (steps, len2) = (self.steps, self.len2());
        let mut hidden = std::mem::replace(&mut self.hidden, placeholder());
        timing::phase("layer1.forward", || self.layer1_forward(&mut hidden));
        self.convolve_layer2();
        let mut rate = std::mem::take(&mut self.rate);
        let _layer2 = timing::Span::new("layer2.forward");
        match &mut hidden {
            // The LIF and HH cells' own mean rates, Σ_t s[t] summed in step order and then
            // times 1/T, are the time mean the readout pools.
            ConvHidden::Lif(cell, tape2) => {
                let mean = &mut self.scratch.rate;
                mean.resize(len2, S::zero());
                cell.forward(Drive::PerStep(&self.drive2[0]), steps, len2, tape2, mean);
                avg_pool2(mean, self.rows, SIDE2, self.channels, &mut rate);
            }
            ConvHidden::Hh([_, cell2], tape2) => {
                let mean = &mut self.scratch.rate;
                mean.resize(len2, S::zero());
                cell2.forward(Drive::PerStep(&self.drive2[0]), steps, len2, tape2, mean);
                avg_pool2(mean, self.rows, SIDE2, self.channels, &mut rate);
            }
            ConvHidden::SLif2Hh(cell, [_, tape2], mix) => {
                let d = &self.drive2;
                cell.forward(
                    [
                        Drive::PerStep(&d[0]),
                        Drive::PerStep(&d[1]),
                        Drive::PerStep(&d[2]),
                    ],
                    &mix.value,
                    steps,
                    len2,
                    tape2,
                    None,
                );
                let block = SIDE3 * SIDE3 * self.channels;
                let mut part = vec![S::zero(); self.rows * block];
                for (c, s) in tape2.s.chunks_exact(steps * len2).enumerate() {
                    let mean = &mut self.scratch.rate;
                    pooled_mean(s, steps, self.rows, self.channels, mean, &mut part);
                    for (row, src) in part.chunks_exact(block).enumerate() {
                        rate[(row * 4 + c) * block..(row * 4 + c + 1) * block].copy_from_slice(src);
                    }
                }
            }
            ConvHidden::Cnn(_) => unreachable!("the CNN has its own forward pass"),
        }
        self.rate = rate;
        self.hidden = hidden;
    }

    fn forward_cnn(&mut self, cell: &ReluStep<S>) {
        let (rows, c, len1, len2) = (self.rows, self.channels, self.len1(), self.len2());
        let mut scratch = std::mem::take(&mut self.cnn_scratch);
        // Every element of each buffer is overwritten: resizing without clearing is enough.
        let [a1, _, a2, ..] = &mut scratch;
        a1.resize(len1, S::zero());
        cell.forward(&self.drive1[0], a1);
        self.pooled1.resize(len2, S::zero());
        avg_pool2(a1, rows, SIDE1, c, &mut self.pooled1);
        self.drive2[0].resize(len2, S::zero());
        self.conv2[0].forward(&self.pooled1, rows, &mut self.drive2[0]);
        a2.resize(len2, S::zero());
        cell.forward(&self.drive2[0], a2);
        avg_pool2(a2, rows, SIDE2, c, &mut self.rate);
        self.cnn_scratch = scratch;
    }

    fn backward_spiking(&mut self, g_rate: &[S]) {
        let (steps, rows, c) = (self.steps, self.rows, self.channels);
        let (len1, len2) = (self.len1(), self.len2());
        let inv_t = S::one() / S::c(steps as f64);
        let maps = self.conv1.len();
        // ∂L/∂s₂[t] is the same at every step: pool backward of ∂L/∂rate, divided by T.
        let block = SIDE3 * SIDE3 * c;
        let compartments = g_rate.len() / (rows * block);
        let g_s2: Vec<Vec<S>> = (0..compartments)
            .map(|k| {
                let g: Vec<S> = (0..rows)
                    .flat_map(|row| {
                        g_rate
                            [(row * compartments + k) * block..(row * compartments + k + 1) * block]
                            .iter()
                            .map(|&v| v * inv_t)
                    })
                    .collect();
                let mut out = vec![S::zero(); len2];
                avg_pool2_backward(&g, rows, SIDE2, c, &mut out);
                out
            })
            .collect();
        let (mut g_drive2, mut g_pooled1, mut g_drive1) = std::mem::take(&mut self.spiking_scratch);
        // Zeroed, as freshly allocated buffers were (reusing them saves the page faults).
        let zeroed = |buffers: &mut Vec<Vec<S>>, len: usize| {
            buffers.resize_with(maps, Vec::new);
            for b in buffers.iter_mut() {
                b.clear();
                b.resize(len, S::zero());
            }
        };
        zeroed(&mut g_drive2, steps * len2);
        let layer2 = timing::Span::new("layer2.backward");
        let mut hidden = std::mem::replace(&mut self.hidden, placeholder());
        match &mut hidden {
            ConvHidden::Lif(cell, tape2) => {
                cell.backward(tape2, SpikeGrad::Uniform(&g_s2[0]), &mut g_drive2[0])
            }
            ConvHidden::Hh([_, cell2], tape2) => {
                cell2.backward(tape2, SpikeGrad::Uniform(&g_s2[0]), &mut g_drive2[0])
            }
            ConvHidden::SLif2Hh(cell, [_, tape2], mix) => {
                let [a, b, d] = &mut g_drive2[..] else {
                    unreachable!("three maps")
                };
                let grads = std::array::from_fn(|k| SpikeGrad::Uniform(&g_s2[k][..]));
                let mix_value = mix.value.clone();
                cell.backward(
                    tape2,
                    &mix_value,
                    CompartmentGrad::Spikes(grads),
                    [a, b, d],
                    &mut mix.grad,
                );
            }
            ConvHidden::Cnn(_) => unreachable!("the CNN has its own backward pass"),
        }
        drop(layer2);
        // Layer-2 convolutions, step by step; the input gradients of all maps add up.
        g_pooled1.clear();
        g_pooled1.resize(steps * len2, S::zero());
        let mut g_tmp = vec![S::zero(); len2];
        for t in 0..steps {
            let input = &self.pooled1[t * len2..(t + 1) * len2];
            let g_pooled = &mut g_pooled1[t * len2..(t + 1) * len2];
            for (m, conv) in self.conv2.iter_mut().enumerate() {
                let gy = &g_drive2[m][t * len2..(t + 1) * len2];
                if m == 0 {
                    conv.backward(input, gy, rows, Some(g_pooled));
                } else {
                    conv.backward(input, gy, rows, Some(&mut g_tmp));
                    g_pooled.iter_mut().zip(&g_tmp).for_each(|(a, &b)| *a += b);
                }
            }
        }
        zeroed(&mut g_drive1, len1);
        let layer1 = timing::Span::new("layer1.backward");
        if let Some(layer) = band_layer(&hidden, steps) {
            let (drive, g_drive) = (&self.drive1[0], &mut g_drive1[0]);
            layer1::backward(
                &layer,
                drive,
                steps,
                c,
                &mut self.bands,
                &g_pooled1,
                g_drive,
            );
        } else {
            self.slif2hh_backward(&mut hidden, &g_pooled1, &mut g_drive1);
        }
        drop(layer1);
        self.hidden = hidden;
        for (conv, g) in self.conv1.iter_mut().zip(&g_drive1) {
            // The first layer is fed by data: no input gradient needed.
            conv.backward(&self.x, g, rows, None);
        }
        self.spiking_scratch = (g_drive2, g_pooled1, g_drive1);
    }

    /// s-LIF2HH's layer 1, block by block: recompute the block's forward pass, then
    /// backpropagate `∂L/∂pooled₁` into the three drive gradients.
    fn slif2hh_backward(
        &mut self,
        hidden: &mut ConvHidden<S>,
        g_pooled1: &[S],
        g_drive1: &mut [Vec<S>],
    ) {
        let (steps, rows, c, len2) = (self.steps, self.rows, self.channels, self.len2());
        let per1 = self.per_image1();
        let per2 = per1 / 4;
        let mut g_s1 = std::mem::take(&mut self.g_s1);
        let mut scratch = std::mem::take(&mut self.scratch);
        for start in (0..rows).step_by(LAYER1_BLOCK) {
            let n = LAYER1_BLOCK.min(rows - start);
            let blen = n * per1;
            self.slif2hh_block(hidden, start, n, None, &mut scratch);
            // Every element is overwritten: reuse the buffer without clearing it.
            g_s1.resize(steps * blen, S::zero());
            for t in 0..steps {
                avg_pool2_backward(
                    &g_pooled1[t * len2 + start * per2..t * len2 + (start + n) * per2],
                    n,
                    SIDE1,
                    c,
                    &mut g_s1[t * blen..(t + 1) * blen],
                );
            }
            let g_s = &g_s1[..steps * blen];
            let span = start * per1..start * per1 + blen;
            let ConvHidden::SLif2Hh(cell, [tape1, _], mix) = &mut *hidden else {
                unreachable!("LIF and HH run layer 1 band by band")
            };
            // Every compartment's spikes enter the pooled sum with weight one.
            let [a, b, d] = g_drive1 else {
                unreachable!("three maps")
            };
            let grads = [SpikeGrad::PerStep(g_s); 4];
            let mix_value = mix.value.clone();
            cell.backward(
                tape1,
                &mix_value,
                CompartmentGrad::Spikes(grads),
                [&mut a[span.clone()], &mut b[span.clone()], &mut d[span]],
                &mut mix.grad,
            );
        }
        self.scratch = scratch;
        self.g_s1 = g_s1;
    }

    fn backward_cnn(&mut self, cell: &ReluStep<S>, g_rate: &[S]) {
        let (rows, c, len1, len2) = (self.rows, self.channels, self.len1(), self.len2());
        let mut scratch = std::mem::take(&mut self.cnn_scratch);
        let [g_a1, g_d1, g_a2, g_d2, g_p1] = &mut scratch;
        // Every element of each buffer is overwritten: resizing without clearing is enough.
        for (buffer, len) in [(&mut *g_a1, len1), (&mut *g_d1, len1)] {
            buffer.resize(len, S::zero());
        }
        for buffer in [&mut *g_a2, &mut *g_d2, &mut *g_p1] {
            buffer.resize(len2, S::zero());
        }
        avg_pool2_backward(g_rate, rows, SIDE2, c, g_a2);
        cell.backward(&self.drive2[0], g_a2, g_d2);
        self.conv2[0].backward(&self.pooled1, g_d2, rows, Some(g_p1));
        avg_pool2_backward(g_p1, rows, SIDE1, c, g_a1);
        cell.backward(&self.drive1[0], g_a1, g_d1);
        self.conv1[0].backward(&self.x, g_d1, rows, None);
        self.cnn_scratch = scratch;
    }
}

/// `out = pool(mean_t s)` (`rows·9²·C`) for one spike train `s` of `T × rows·18²·C`, with
/// `mean` as scratch.
fn pooled_mean<S: Scalar>(
    spikes: &[S],
    steps: usize,
    rows: usize,
    channels: usize,
    mean: &mut Vec<S>,
    out: &mut [S],
) {
    let len2 = spikes.len() / steps;
    let inv_t = S::one() / S::c(steps as f64);
    mean.clear();
    mean.resize(len2, S::zero());
    for slab in spikes.chunks_exact(len2) {
        mean.iter_mut().zip(slab).for_each(|(m, &s)| *m += s);
    }
    mean.iter_mut().for_each(|m| *m *= inv_t);
    avg_pool2(mean, rows, SIDE2, channels, out);
}

/// Layer 1 of a LIF or HH model, which runs band by band ([`layer1`]); `None` for
/// s-LIF2HH.
fn band_layer<S: Scalar>(hidden: &ConvHidden<S>, steps: usize) -> Option<Layer1<'_, S>> {
    match hidden {
        ConvHidden::Lif(cell, _) => Some(Layer1::Lif(cell)),
        ConvHidden::Hh([cell1, _], _) => Some(Layer1::Hh(cell1, cell1.constant_table(steps))),
        ConvHidden::SLif2Hh(..) => None,
        ConvHidden::Cnn(_) => unreachable!("the CNN has no time steps"),
    }
}

impl<S: Scalar> Network<S> for ConvModel<S> {
    fn kind(&self) -> ModelKind {
        self.kind
    }

    fn forward(&mut self, x: &[S], rows: usize) -> (&[S], &[S]) {
        assert_eq!(
            x.len(),
            rows * SIDE1 * SIDE1,
            "input batch has the wrong length"
        );
        self.rows = rows;
        self.x.clear();
        self.x.extend_from_slice(x);
        let len1 = self.len1();
        // The image is the same at every step: convolve it once.
        for (conv, drive) in self.conv1.iter().zip(&mut self.drive1) {
            drive.resize(len1, S::zero());
            conv.forward(x, rows, drive);
        }
        self.rate.resize(rows * self.readout.inputs(), S::zero());
        if let ConvHidden::Cnn(cell) = self.hidden {
            self.forward_cnn(&cell);
        } else {
            self.forward_spiking();
        }
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
        if let ConvHidden::Cnn(cell) = self.hidden {
            self.backward_cnn(&cell, &g_rate);
        } else {
            self.backward_spiking(&g_rate);
        }
    }

    fn params(&self) -> Vec<&Param<S>> {
        let mut out: Vec<&Param<S>> = self
            .conv1
            .iter()
            .chain(&self.conv2)
            .flat_map(|l| l.params())
            .collect();
        if let ConvHidden::SLif2Hh(_, _, mix) = &self.hidden {
            out.push(mix);
        }
        out.extend(self.readout.params());
        out.extend(self.heads.params());
        out
    }

    fn params_mut(&mut self) -> Vec<&mut Param<S>> {
        let mut out: Vec<&mut Param<S>> = self
            .conv1
            .iter_mut()
            .chain(self.conv2.iter_mut())
            .flat_map(|l| l.params_mut())
            .collect();
        if let ConvHidden::SLif2Hh(_, _, mix) = &mut self.hidden {
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
        // Mean layer-2 rate (pooling preserves the mean; compartments averaged).
        self.rate.iter().map(|r| r.f64()).sum::<f64>() / self.rate.len() as f64
    }
}
