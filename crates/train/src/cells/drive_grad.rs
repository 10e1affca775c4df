//! Where a cell's backward pass puts `∂L/∂I`: laid out like the forward pass's [`Drive`]
//! (summed over the steps for a static drive, per step, or per held slab), assembled chunk by
//! chunk as the pass walks back in time.
//!
//! [`Drive`]: super::Drive

use super::SharedMut;
use crate::scalar::Scalar;
use std::ops::Range;

/// The layout of a drive gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriveGradLayout {
    /// `len` values, summed over the steps (a static drive).
    Summed,
    /// `T × len` values, time-major (a per-step drive).
    PerStep,
    /// `⌈T / hold⌉ × len` values: slab k sums steps `k·hold … k·hold + hold − 1` (a
    /// [`Drive::Held`](super::Drive::Held) drive).
    Held(usize),
}

impl DriveGradLayout {
    /// The summed or per-step layout a buffer of `got` values stands for.
    ///
    /// # Panics
    /// If `got` is neither `len` nor `steps × len` (a caller bug).
    pub(crate) fn summed_or_per_step(got: usize, steps: usize, len: usize) -> Self {
        if got == len {
            DriveGradLayout::Summed
        } else {
            assert_eq!(
                got,
                steps * len,
                "drive-gradient buffer has the wrong length"
            );
            DriveGradLayout::PerStep
        }
    }

    /// Checks that a drive-gradient buffer of `got` values fits this layout.
    ///
    /// # Panics
    /// If it does not (a caller bug).
    pub(crate) fn check(self, got: usize, steps: usize, len: usize) {
        assert_eq!(
            got,
            self.buffer_len(steps, len),
            "drive-gradient buffer has the wrong length"
        );
    }

    /// Values of a buffer in this layout.
    pub fn buffer_len(self, steps: usize, len: usize) -> usize {
        match self {
            DriveGradLayout::Summed => len,
            DriveGradLayout::PerStep => steps * len,
            DriveGradLayout::Held(hold) => {
                assert!(hold > 0, "a held drive needs at least one step per slab");
                steps.div_ceil(hold) * len
            }
        }
    }
}

/// One chunk's share of a drive gradient: takes the gradient of step t (for t = T−1 … 0)
/// and writes the chunk's units of the output. Sums run in a fixed order: over steps
/// T−1 … 0 for [`DriveGradLayout::Summed`]; over each slab's steps in ascending order,
/// from zero, for [`DriveGradLayout::Held`] (the order of folding per-step gradients onto
/// their slabs afterwards, so either way gives the same numbers).
pub(crate) struct DriveGradSink<S> {
    layout: DriveGradLayout,
    steps: usize,
    len: usize,
    start: usize,
    n: usize,
    /// Summed: the running total; held: the current slab's steps, `hold × n`.
    acc: Vec<S>,
}

impl<S: Scalar> DriveGradSink<S> {
    /// The sink of the units in `range` of a `len`-unit layer run for `steps` steps.
    pub(crate) fn new(
        layout: DriveGradLayout,
        steps: usize,
        len: usize,
        range: Range<usize>,
    ) -> Self {
        let n = range.len();
        let acc = match layout {
            DriveGradLayout::Summed => vec![S::zero(); n],
            DriveGradLayout::PerStep => Vec::new(),
            DriveGradLayout::Held(hold) => vec![S::zero(); hold.min(steps) * n],
        };
        Self {
            layout,
            steps,
            len,
            start: range.start,
            n,
            acc,
        }
    }

    /// Takes step `t`'s gradient of the chunk's units (`n` values). Steps must come in
    /// descending order, each once.
    ///
    /// # Safety
    /// `out` views the whole output buffer (of the layout's length), and no other thread
    /// touches this chunk's units of it while the sink lives.
    #[inline(always)]
    pub(crate) unsafe fn push(&mut self, t: usize, g: &[S], out: &SharedMut<S>) {
        debug_assert_eq!(g.len(), self.n);
        let n = self.n;
        match self.layout {
            DriveGradLayout::Summed => {
                self.acc.iter_mut().zip(g).for_each(|(a, &v)| *a += v);
            }
            DriveGradLayout::PerStep => {
                out.slice(t * self.len + self.start, n).copy_from_slice(g);
            }
            DriveGradLayout::Held(hold) => {
                let (slab, at) = (t / hold, t % hold);
                self.acc[at * n..(at + 1) * n].copy_from_slice(g);
                if at == 0 {
                    // The slab's first step: every step of it is in.
                    let steps_in = hold.min(self.steps - slab * hold);
                    let dst = out.slice(slab * self.len + self.start, n);
                    dst.iter_mut().for_each(|d| *d = S::zero());
                    for part in self.acc[..steps_in * n].chunks_exact(n) {
                        dst.iter_mut().zip(part).for_each(|(d, &v)| *d += v);
                    }
                }
            }
        }
    }

    /// Writes what is left (the summed layout's total).
    ///
    /// # Safety
    /// As for [`DriveGradSink::push`].
    pub(crate) unsafe fn finish(&mut self, out: &SharedMut<S>) {
        if self.layout == DriveGradLayout::Summed {
            out.slice(self.start, self.n).copy_from_slice(&self.acc);
        }
    }

    /// Starts over on the `n` units from `start` (for passes that walk a chunk unit by unit
    /// and [`DriveGradSink::finish`] each: one sink, no allocation per unit).
    pub(crate) fn restart(&mut self, start: usize) {
        self.start = start;
        if self.layout == DriveGradLayout::Summed {
            self.acc.iter_mut().for_each(|a| *a = S::zero());
        }
    }
}
