//! Spiking cells unrolled over T time steps, with explicit backpropagation through time.
//!
//! Every cell is elementwise: `len` independent units (batch rows × neurons), each with a
//! scalar recursion over time. Buffers are laid out time-major (`T × len`), so the inner
//! loop runs over contiguous units and vectorises; rayon splits the units into chunks,
//! each chunk walks all T steps (its slice of every time slab stays in cache).
//!
//! Each cell's forward pass records what its backward pass needs on a tape; the backward
//! pass takes the gradient of the loss with respect to the cell's spikes — one per step,
//! or one shared by every step when the readout is a mean over time — and returns the
//! gradient with respect to the cell's drive. A static drive (the same input current at
//! every step, as with direct encoding of an image) gets the time-summed gradient, so the
//! weights that produced it need a single product (PAPER.md §4: the projection of a static
//! input is computed once, not T times).

mod drive_grad;
mod hh;
mod lif;
mod relu_step;
mod slif2hh;

pub use drive_grad::DriveGradLayout;
pub(crate) use drive_grad::DriveGradSink;
pub use hh::{HhCell, HhGating, HhTable, HhTape};
pub use lif::{LifCell, LifTape};
pub use relu_step::ReluStep;
pub use slif2hh::{CompartmentGrad, RateOut, SLif2HhCell, SLif2HhTape};

use crate::scalar::Scalar;
use rayon::prelude::*;
use std::ops::Range;

/// The input current of a cell over time.
#[derive(Clone, Copy, Debug)]
pub enum Drive<'a, S> {
    /// The same `len` currents at every step.
    Static(&'a [S]),
    /// `T × len` currents, time-major.
    PerStep(&'a [S]),
    /// `⌈T / hold⌉ × len` currents, each held for `hold` consecutive steps: step t sees
    /// slab `t / hold` (an input repeated over steps, stored once).
    Held {
        /// The slabs, time-major.
        slabs: &'a [S],
        /// Steps per slab (≥ 1).
        hold: usize,
    },
}

impl<S: Copy> Drive<'_, S> {
    /// The current of unit `i` at step `t`.
    #[inline(always)]
    pub(crate) fn at(&self, t: usize, len: usize, i: usize) -> S {
        match *self {
            Drive::Static(x) => x[i],
            Drive::PerStep(x) => x[t * len + i],
            Drive::Held { slabs, hold } => slabs[t / hold * len + i],
        }
    }

    pub(crate) fn check(&self, steps: usize, len: usize) {
        let want = match *self {
            Drive::Static(_) => len,
            Drive::PerStep(_) => steps * len,
            Drive::Held { hold, .. } => {
                assert!(hold > 0, "a held drive needs at least one step per slab");
                steps.div_ceil(hold) * len
            }
        };
        let got = match self {
            Drive::Static(x) | Drive::PerStep(x) | Drive::Held { slabs: x, .. } => x.len(),
        };
        assert_eq!(got, want, "drive buffer has the wrong length");
    }
}

/// The gradient of the loss with respect to a cell's spikes.
#[derive(Clone, Copy, Debug)]
pub enum SpikeGrad<'a, S> {
    /// The same `len` gradients at every step (a mean-over-time readout gives `g/T`).
    Uniform(&'a [S]),
    /// `T × len` gradients, time-major.
    PerStep(&'a [S]),
}

impl<S: Copy> Drive<'_, S> {
    /// The currents of units `start..start + n` at step `t`.
    #[inline(always)]
    pub(crate) fn slab(&self, t: usize, len: usize, start: usize, n: usize) -> &[S] {
        match *self {
            Drive::Static(x) => &x[start..start + n],
            Drive::PerStep(x) => &x[t * len + start..t * len + start + n],
            Drive::Held { slabs, hold } => {
                let at = t / hold * len + start;
                &slabs[at..at + n]
            }
        }
    }
}

impl<S: Copy> SpikeGrad<'_, S> {
    /// The gradients of units `start..start + n` at step `t`.
    #[inline(always)]
    pub(crate) fn slab(&self, t: usize, len: usize, start: usize, n: usize) -> &[S] {
        match *self {
            SpikeGrad::Uniform(g) => &g[start..start + n],
            SpikeGrad::PerStep(g) => &g[t * len + start..t * len + start + n],
        }
    }

    #[inline(always)]
    pub(crate) fn at(&self, t: usize, len: usize, i: usize) -> S {
        match *self {
            SpikeGrad::Uniform(g) => g[i],
            SpikeGrad::PerStep(g) => g[t * len + i],
        }
    }
}

/// Units per parallel chunk: big enough to amortise scheduling, small enough that a chunk's
/// T slices stay in L2.
pub(crate) const CHUNK: usize = 2048;

/// A raw view that lets parallel chunks write disjoint index ranges of one buffer.
#[derive(Clone, Copy)]
pub(crate) struct SharedMut<S> {
    ptr: *mut S,
    len: usize,
}

// SAFETY: `SharedMut` is only used by `for_each_chunk`, whose chunks write disjoint
// index ranges of the underlying buffer; S itself is Send + Sync.
unsafe impl<S: Send> Send for SharedMut<S> {}
unsafe impl<S: Sync> Sync for SharedMut<S> {}

impl<S> SharedMut<S> {
    pub(crate) fn new(buffer: &mut [S]) -> Self {
        Self {
            ptr: buffer.as_mut_ptr(),
            len: buffer.len(),
        }
    }

    /// The `n` elements starting at `start`, mutably.
    ///
    /// # Safety
    /// The range must lie in the buffer and be touched by no one else while the slice lives.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn slice(&self, start: usize, n: usize) -> &mut [S] {
        debug_assert!(start + n <= self.len);
        std::slice::from_raw_parts_mut(self.ptr.add(start), n)
    }

    /// Writes `value` at `index`.
    ///
    /// # Safety
    /// No two threads may write the same index, and no one may read it concurrently.
    #[inline(always)]
    pub(crate) unsafe fn write(&self, index: usize, value: S) {
        debug_assert!(index < self.len);
        *self.ptr.add(index) = value;
    }
}

/// Runs `work` on disjoint unit ranges covering `0..len`, in parallel, and returns the
/// per-chunk results in chunk order (so reductions over them are deterministic).
pub(crate) fn for_each_chunk<R: Send>(
    len: usize,
    work: impl Fn(Range<usize>) -> R + Sync + Send,
) -> Vec<R> {
    let chunks = len.div_ceil(CHUNK);
    (0..chunks)
        .into_par_iter()
        .map(|c| work(c * CHUNK..((c + 1) * CHUNK).min(len)))
        .collect()
}

/// Sums per-chunk partial results in chunk order.
pub(crate) fn ordered_sum<S: Scalar>(parts: &[Vec<S>], width: usize) -> Vec<S> {
    let mut total = vec![S::zero(); width];
    for part in parts {
        for (t, &p) in total.iter_mut().zip(part) {
            *t += p;
        }
    }
    total
}
