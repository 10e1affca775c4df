//! Layer 1 of the LIF and HH convolutional models, band by band.
//!
//! Layer 1 sees a static drive, and what leaves it is only pooled: the forward pass needs
//! `pool(s₁[t])`, and the backward pass receives `∂L/∂pool(s₁[t])`. So each task runs the
//! cell over a band of image-row pairs (the reach of a 2×2 pooling window), keeps the
//! band's `T` steps in a local tape that stays in L2, and pools each step's spikes straight
//! from it. The backward pass recomputes the band's tape instead of storing `T × len1`
//! states (tens of MB per batch): the forward recursion is a few operations per unit-step,
//! cheaper than the memory traffic of writing and re-reading them.
//!
//! The arithmetic per unit is the cells' own ([`LifCell::forward_local`],
//! [`HhCell::forward_local`] and their backward passes), and the pooling is
//! [`pool_band`]'s, so results do not depend on the band size or thread count.

use super::{SIDE1, SIDE2};
use crate::cells::{HhCell, HhTable, LifCell, SharedMut};
use crate::conv::{pool_band, pool_band_backward};
use crate::scalar::Scalar;
use rayon::prelude::*;
use std::sync::Mutex;

/// Units per task, about: enough work to amortise scheduling, a tape that fits in L2.
const TASK_UNITS: usize = 2048;

/// A layer-1 cell whose units can run band by band.
pub(super) enum Layer1<'a, S> {
    Lif(&'a LifCell<S>),
    /// With its constant-rate conductance table.
    Hh(&'a HhCell<S>, HhTable<S>),
}

/// One task's local tape and gradients (`n` units, `T × n` per step-indexed buffer).
#[derive(Debug, Default)]
pub(super) struct Band<S> {
    /// u (LIF) or V (HH), `T × n`.
    state: Vec<S>,
    /// s, `T × n`.
    spikes: Vec<S>,
    /// ∂L/∂s, `T × n`.
    grad: Vec<S>,
    /// Spike counts (LIF) or the adjoint (backward), `n`.
    work: Vec<S>,
    /// Σ_t ∂L/∂I[t], `n`.
    total: Vec<S>,
}

/// One [`Band`] per rayon worker, kept across batches (fresh buffers per task cost page
/// faults).
#[derive(Debug, Default)]
pub(super) struct BandPool<S>(Vec<Mutex<Band<S>>>);

impl<S: Scalar> BandPool<S> {
    fn ensure(&mut self) {
        let threads = rayon::current_num_threads();
        if self.0.len() < threads {
            self.0.resize_with(threads, Default::default);
        }
    }

    /// The calling worker's band: one uncontended lock per task (tasks take tens of µs);
    /// callers outside the pool share band 0.
    fn with<R>(&self, work: impl FnOnce(&mut Band<S>) -> R) -> R {
        let index = rayon::current_thread_index().unwrap_or(0) % self.0.len();
        let mut band = self.0[index].lock().unwrap_or_else(|e| e.into_inner());
        work(&mut band)
    }
}

impl<S: Scalar> Layer1<'_, S> {
    /// Runs units `first..first + drive.len()` for `steps` steps into `band`'s tape.
    fn run(&self, first: usize, drive: &[S], steps: usize, band: &mut Band<S>) {
        let n = drive.len();
        band.state.resize(steps * n, S::zero());
        band.spikes.resize(steps * n, S::zero());
        band.work.resize(n, S::zero());
        match self {
            Layer1::Lif(cell) => {
                cell.forward_local(drive, &mut band.state, &mut band.spikes, &mut band.work)
            }
            Layer1::Hh(cell, table) => {
                cell.forward_local(table, first, drive, &mut band.state, &mut band.spikes)
            }
        }
    }

    /// Backpropagates `band.grad` through `band`'s tape into `band.total`.
    fn back(&self, first: usize, band: &mut Band<S>) {
        let n = band.work.len();
        band.total.resize(n, S::zero());
        // (The LIF backward pass recomputes the spikes from the potentials.)
        let Band {
            state,
            grad,
            work,
            total,
            ..
        } = band;
        match self {
            Layer1::Lif(cell) => cell.backward_local(grad, state, work, total),
            Layer1::Hh(cell, table) => cell.backward_local(table, first, grad, state, work, total),
        }
    }
}

/// How a batch's layer 1 splits into bands (two image rows each) and tasks.
struct Bands {
    /// Layer-1 units per band.
    band: usize,
    /// Pooled units per band.
    out_band: usize,
    /// Bands per task.
    per_task: usize,
    /// Pooled units per step, all bands.
    len2: usize,
}

impl Bands {
    /// The bands of a static `drive` of `channels` channels, checking that it is whole
    /// bands and that the pooled buffer `pooled` (named `what`) holds `steps` steps of
    /// their pooled output.
    fn new(drive: usize, channels: usize, steps: usize, pooled: usize, what: &str) -> Self {
        let band = 2 * SIDE1 * channels;
        let out_band = SIDE2 * channels;
        let bands = drive / band;
        assert_eq!(drive, bands * band, "layer-1 drive is not whole bands");
        assert_eq!(
            pooled,
            steps * bands * out_band,
            "{what} has the wrong length"
        );
        Self {
            band,
            out_band,
            per_task: (TASK_UNITS / band).max(1),
            len2: bands * out_band,
        }
    }
}

/// Layer 1 on the static `drive` (`rows·36²·C`) for `steps` steps, writing its pooled
/// spikes into `pooled` (`T × rows·18²·C`).
pub(super) fn forward<S: Scalar>(
    layer: &Layer1<'_, S>,
    drive: &[S],
    steps: usize,
    channels: usize,
    pool: &mut BandPool<S>,
    pooled: &mut [S],
) {
    let Bands {
        band,
        out_band,
        per_task,
        len2,
    } = Bands::new(drive.len(), channels, steps, pooled.len(), "pooled buffer");
    pool.ensure();
    let out = SharedMut::new(pooled);
    let pool = &*pool;
    drive
        .par_chunks(per_task * band)
        .enumerate()
        .for_each(|(task, drive)| {
            let (b0, n) = (task * per_task, drive.len());
            pool.with(|local| {
                layer.run(b0 * band, drive, steps, local);
                for t in 0..steps {
                    for (j, spikes) in local.spikes[t * n..(t + 1) * n]
                        .chunks_exact(band)
                        .enumerate()
                    {
                        // SAFETY: band b0 + j's pooled row at step t belongs to this task only.
                        let dst = unsafe { out.slice(t * len2 + (b0 + j) * out_band, out_band) };
                        pool_band(spikes, channels, dst);
                    }
                }
            })
        });
}

/// The backward pass of [`forward`]: recomputes each band's tape, takes `∂L/∂s₁` from
/// `g_pooled` (`T × rows·18²·C`) and writes the time-summed `∂L/∂drive` into `g_drive`.
pub(super) fn backward<S: Scalar>(
    layer: &Layer1<'_, S>,
    drive: &[S],
    steps: usize,
    channels: usize,
    pool: &mut BandPool<S>,
    g_pooled: &[S],
    g_drive: &mut [S],
) {
    let Bands {
        band,
        out_band,
        per_task,
        len2,
    } = Bands::new(
        drive.len(),
        channels,
        steps,
        g_pooled.len(),
        "pooled gradient",
    );
    assert_eq!(
        g_drive.len(),
        drive.len(),
        "drive gradient has the wrong length"
    );
    pool.ensure();
    let pool = &*pool;
    g_drive
        .par_chunks_mut(per_task * band)
        .zip(drive.par_chunks(per_task * band))
        .enumerate()
        .for_each(|(task, (g_drive, drive))| {
            let (b0, n) = (task * per_task, drive.len());
            pool.with(|local| {
                layer.run(b0 * band, drive, steps, local);
                local.grad.resize(steps * n, S::zero());
                for t in 0..steps {
                    let grads = local.grad[t * n..(t + 1) * n].chunks_exact_mut(band);
                    for (j, g) in grads.enumerate() {
                        let src = t * len2 + (b0 + j) * out_band;
                        pool_band_backward(&g_pooled[src..src + out_band], channels, g);
                    }
                }
                layer.back(b0 * band, local);
                g_drive.copy_from_slice(&local.total);
            })
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::{Drive, HhGating, HhTape, LifTape, SpikeGrad};
    use crate::conv::{avg_pool2, avg_pool2_backward};
    use crate::spike::SpikeFn;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The whole-batch reference: the cell's own chunked passes, then pooling.
    enum Reference {
        Lif(LifCell<f32>),
        Hh(HhCell<f32>),
    }

    impl Reference {
        fn run(&self, drive: &[f32], steps: usize, c: usize, g_pooled: &[f32]) -> [Vec<f32>; 2] {
            let (len, rows) = (drive.len(), drive.len() / (SIDE1 * SIDE1 * c));
            let len2 = len / 4;
            let mut rate = vec![0.0; len];
            let spikes: Vec<f32> = match self {
                Reference::Lif(cell) => {
                    let mut tape = LifTape::default();
                    cell.forward(Drive::Static(drive), steps, len, &mut tape, &mut rate);
                    tape.s
                }
                Reference::Hh(cell) => {
                    let mut tape = HhTape::default();
                    cell.forward(Drive::Static(drive), steps, len, &mut tape, &mut rate);
                    tape.v.iter().map(|&v| cell.spike.value(v)).collect()
                }
            };
            let mut pooled = vec![0.0; steps * len2];
            for t in 0..steps {
                let out = &mut pooled[t * len2..(t + 1) * len2];
                avg_pool2(&spikes[t * len..(t + 1) * len], rows, SIDE1, c, out);
            }
            let mut g_s = vec![0.0; steps * len];
            for t in 0..steps {
                let src = &g_pooled[t * len2..(t + 1) * len2];
                avg_pool2_backward(src, rows, SIDE1, c, &mut g_s[t * len..(t + 1) * len]);
            }
            let mut g_drive = vec![0.0; len];
            match self {
                Reference::Lif(cell) => {
                    let mut tape = LifTape::default();
                    cell.forward(Drive::Static(drive), steps, len, &mut tape, &mut rate);
                    cell.backward(&tape, SpikeGrad::PerStep(&g_s), &mut g_drive);
                }
                Reference::Hh(cell) => {
                    let mut tape = HhTape::default();
                    cell.forward(Drive::Static(drive), steps, len, &mut tape, &mut rate);
                    cell.backward(&tape, SpikeGrad::PerStep(&g_s), &mut g_drive);
                }
            }
            [pooled, g_drive]
        }
    }

    #[test]
    fn bands_reproduce_the_whole_batch_passes_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // 7 channels: 4 bands per task, so tasks straddle images (HH neuron indices wrap).
        for (c, rows, steps) in [(10, 3, 15), (7, 3, 6), (40, 2, 4)] {
            let len = rows * SIDE1 * SIDE1 * c;
            let drive: Vec<f32> = (0..len).map(|_| rng.random_range(-0.2..0.9)).collect();
            let g_pooled: Vec<f32> = (0..steps * len / 4)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let lif = LifCell {
                decay: 0.2,
                spike: SpikeFn::rect(0.3, 0.5),
            };
            let neurons = SIDE1 * SIDE1 * c;
            let mut hh = HhCell::reference(
                neurons,
                0.1,
                SpikeFn::rect(0.05, 0.1),
                HhGating::constant_uniform(neurons, 0.5, &mut rng),
            );
            let hh_drive: Vec<f32> = drive.iter().map(|&d| 40.0 * d).collect();
            for detach in [true, false] {
                hh.detach_ionic = detach;
                let cases = [
                    (Reference::Lif(lif), Layer1::Lif(&lif), &drive),
                    (
                        Reference::Hh(hh.clone()),
                        Layer1::Hh(&hh, hh.constant_table(steps)),
                        &hh_drive,
                    ),
                ];
                for (reference, layer, drive) in cases {
                    let [pooled_ref, g_ref] = reference.run(drive, steps, c, &g_pooled);
                    let mut pool = BandPool::default();
                    let mut pooled = vec![f32::NAN; pooled_ref.len()];
                    forward(&layer, drive, steps, c, &mut pool, &mut pooled);
                    let mut g_drive = vec![f32::NAN; len];
                    backward(&layer, drive, steps, c, &mut pool, &g_pooled, &mut g_drive);
                    let partial = pooled.iter().filter(|&&p| p > 0.0 && p < 1.0).count();
                    assert!(
                        partial > pooled.len() / 10,
                        "c {c}: {partial} partial windows"
                    );
                    assert!(g_drive.iter().any(|&g| g != 0.0), "c {c}: zero gradient");
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&pooled), bits(&pooled_ref), "pooled spikes, c {c}");
                    assert_eq!(bits(&g_drive), bits(&g_ref), "drive gradient, c {c}");
                }
            }
        }
    }
}
