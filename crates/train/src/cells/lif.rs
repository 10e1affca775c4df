//! The discrete LIF cell of every learning model (PAPER.md §2.2):
//! `u[t] = λ·u[t−1]·(1 − s[t−1]) + I[t]`, `s[t] = H(u[t] − θ)`, `u[−1] = s[−1] = 0`.
//!
//! Backward (the reset's dependence on the previous spike is differentiated too, as in the
//! reference, not detached):
//! `δu[t] = (∂L/∂s[t] − λ·u[t]·δu[t+1])·H'(u[t]) + λ·(1 − s[t])·δu[t+1]`, and
//! `∂L/∂I[t] = δu[t]`.

use super::{for_each_chunk, Drive, DriveGradLayout, DriveGradSink, SharedMut, SpikeGrad};
use crate::scalar::Scalar;
use crate::spike::{with_spike_kernel, SpikeFn, SpikeKernel};

/// A layer of discrete LIF units.
#[derive(Clone, Copy, Debug)]
pub struct LifCell<S> {
    /// λ, the membrane decay per step.
    pub decay: S,
    /// H and its surrogate.
    pub spike: SpikeFn<S>,
}

/// A forward pass's membrane potentials and spikes, `T × len` (the backward pass reads the
/// potentials only).
#[derive(Clone, Debug, Default)]
pub struct LifTape<S> {
    /// Number of steps T.
    pub steps: usize,
    /// Number of units.
    pub len: usize,
    /// u[t], time-major.
    pub u: Vec<S>,
    /// s[t], time-major.
    pub s: Vec<S>,
}

/// One time step of a slab of units, `u ← λ·u_prev·(1 − s_prev) + I`, `s ← H(u − θ)`,
/// written straight into the tape's step-t slices (`u`, `s`) from step t−1's.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn step_slab<S: Scalar, K: SpikeKernel<S>>(
    k: K,
    decay: S,
    drive: &[S],
    u_prev: &[S],
    s_prev: &[S],
    u: &mut [S],
    s: &mut [S],
    count: &mut [S],
) {
    for (((((u, s), c), &i), &up), &sp) in u
        .iter_mut()
        .zip(s.iter_mut())
        .zip(count.iter_mut())
        .zip(drive)
        .zip(u_prev)
        .zip(s_prev)
    {
        *u = decay * up * (S::one() - sp) + i;
        *s = k.value(*u);
        *c += *s;
    }
}

/// One backward step of a slab: updates the adjoint `du` (∂L/∂u[t+1] on entry, ∂L/∂u[t]
/// on exit). The spike `s[t] = H(u[t] − θ)` is recomputed from `u[t]` (the forward pass's
/// very function of the very value, so the same number) rather than read from a tape: half
/// the memory traffic of the backward pass.
#[inline(always)]
fn back_slab<S: Scalar, K: SpikeKernel<S>>(k: K, decay: S, g: &[S], u: &[S], du: &mut [S]) {
    for ((d, &g), &u) in du.iter_mut().zip(g).zip(u) {
        let gs = g - decay * u * *d;
        *d = gs * k.grad(u) + decay * (S::one() - k.value(u)) * *d;
    }
}

impl<S: Scalar> LifCell<S> {
    /// Runs `steps` steps from rest; records the tape and writes the mean spike rate
    /// `Σ_t s[t] / T` of each unit into `rate` (length `len`).
    pub fn forward(
        &self,
        drive: Drive<'_, S>,
        steps: usize,
        len: usize,
        tape: &mut LifTape<S>,
        rate: &mut [S],
    ) {
        self.forward_taped(drive, steps, len, tape, rate, true);
    }

    /// [`Self::forward`] recording the potentials only (`tape.s` is left empty): all the
    /// backward pass reads, for callers that need the rates and the gradient but not the
    /// spikes themselves. The same arithmetic, so the same rates and potentials.
    pub fn forward_potentials(
        &self,
        drive: Drive<'_, S>,
        steps: usize,
        len: usize,
        tape: &mut LifTape<S>,
        rate: &mut [S],
    ) {
        self.forward_taped(drive, steps, len, tape, rate, false);
    }

    fn forward_taped(
        &self,
        drive: Drive<'_, S>,
        steps: usize,
        len: usize,
        tape: &mut LifTape<S>,
        rate: &mut [S],
        spikes: bool,
    ) {
        tape.steps = steps;
        tape.len = len;
        tape.u.resize(steps * len, S::zero());
        tape.s
            .resize(if spikes { steps * len } else { 0 }, S::zero());
        let u = SharedMut::new(&mut tape.u);
        let s = spikes.then(|| SharedMut::new(&mut tape.s));
        self.run(drive, steps, len, Some(u), s, rate);
    }

    /// [`Self::forward`] without a tape, for passes that need no gradient: each chunk keeps
    /// only its last step, so nothing of size T × len is written. The same arithmetic, so the
    /// same rates.
    pub fn forward_rates(&self, drive: Drive<'_, S>, steps: usize, len: usize, rate: &mut [S]) {
        self.run(drive, steps, len, None, None, rate);
    }

    /// The forward pass into `T × len` tapes of `u` and `s` where given; a chunk keeps the
    /// steps of an absent one in two local slots (t and t − 1).
    fn run(
        &self,
        drive: Drive<'_, S>,
        steps: usize,
        len: usize,
        u_tape: Option<SharedMut<S>>,
        s_tape: Option<SharedMut<S>>,
        rate: &mut [S],
    ) {
        drive.check(steps, len);
        assert_eq!(rate.len(), len, "rate buffer has the wrong length");
        let r_out = SharedMut::new(rate);
        let inv_t = S::one() / S::c(steps as f64);
        let decay = self.decay;
        with_spike_kernel!(self.spike, k => {
            for_each_chunk(len, |range| {
                let (start, n) = (range.start, range.len());
                // The state before step 0: at rest.
                let rest = vec![S::zero(); n];
                let mut local_u = if u_tape.is_none() { vec![S::zero(); 2 * n] } else { Vec::new() };
                let mut local_s = if s_tape.is_none() { vec![S::zero(); 2 * n] } else { Vec::new() };
                let on_tape = |t: usize| t * len + start;
                let in_slots = |t: usize| t % 2 * n;
                let (u_out, at_u): (SharedMut<S>, &dyn Fn(usize) -> usize) = match &u_tape {
                    Some(u) => (*u, &on_tape),
                    None => (SharedMut::new(&mut local_u), &in_slots),
                };
                let (s_out, at_s): (SharedMut<S>, &dyn Fn(usize) -> usize) = match &s_tape {
                    Some(s) => (*s, &on_tape),
                    None => (SharedMut::new(&mut local_s), &in_slots),
                };
                // SAFETY: each chunk owns its unit range in every buffer.
                let count = unsafe { r_out.slice(start, n) };
                count.iter_mut().for_each(|c| *c = S::zero());
                for t in 0..steps {
                    // SAFETY: as above; step t−1's and step t's slices are disjoint, and the
                    // former is only read.
                    let (u_prev, s_prev): (&[S], &[S]) = if t == 0 {
                        (&rest, &rest)
                    } else {
                        unsafe { (u_out.slice(at_u(t - 1), n), s_out.slice(at_s(t - 1), n)) }
                    };
                    let (u, s) = unsafe { (u_out.slice(at_u(t), n), s_out.slice(at_s(t), n)) };
                    step_slab(k, decay, drive.slab(t, len, start, n), u_prev, s_prev, u, s, count);
                }
                count.iter_mut().for_each(|c| *c *= inv_t);
            });
        });
    }

    /// The forward pass of `n = drive.len()` units on a static drive, serially, into a local
    /// tape (`u`, `s`: `T × n`; the same arithmetic as [`Self::forward`]); `count` receives
    /// `Σ_t s[t]`. For callers that parallelise over units themselves and keep the tape in
    /// cache.
    pub(crate) fn forward_local(&self, drive: &[S], u: &mut [S], s: &mut [S], count: &mut [S]) {
        let n = drive.len();
        assert!(n > 0 && u.len().is_multiple_of(n) && s.len() == u.len() && count.len() == n);
        let rest = vec![S::zero(); n];
        count.iter_mut().for_each(|c| *c = S::zero());
        with_spike_kernel!(self.spike, k => {
            let (mut u_prev, mut s_prev): (&[S], &[S]) = (&rest, &rest);
            for (u_t, s_t) in u.chunks_exact_mut(n).zip(s.chunks_exact_mut(n)) {
                step_slab(k, self.decay, drive, u_prev, s_prev, u_t, s_t, count);
                (u_prev, s_prev) = (u_t, s_t);
            }
        });
    }

    /// The backward pass of the potentials `u` of a tape from [`Self::forward_local`] with
    /// `g = ∂L/∂s` (`T × n`): `total` receives `Σ_t ∂L/∂I[t]` (the static drive's gradient),
    /// `du` is scratch.
    pub(crate) fn backward_local(&self, g: &[S], u: &[S], du: &mut [S], total: &mut [S]) {
        let n = total.len();
        assert!(n > 0 && du.len() == n && g.len() == u.len());
        du.iter_mut().for_each(|d| *d = S::zero());
        total.iter_mut().for_each(|a| *a = S::zero());
        with_spike_kernel!(self.spike, k => {
            for t in (0..u.len() / n).rev() {
                let span = t * n..(t + 1) * n;
                back_slab(k, self.decay, &g[span.clone()], &u[span], du);
                total.iter_mut().zip(&*du).for_each(|(a, &d)| *a += d);
            }
        });
    }

    /// Backpropagates through time. `grad_drive` receives `∂L/∂I`: length `len` (summed
    /// over steps) for a static drive, `T × len` for a per-step drive.
    pub fn backward(&self, tape: &LifTape<S>, grad: SpikeGrad<'_, S>, grad_drive: &mut [S]) {
        let layout = DriveGradLayout::summed_or_per_step(grad_drive.len(), tape.steps, tape.len);
        self.backward_into(tape, grad, layout, grad_drive);
    }

    /// [`Self::backward`] with `∂L/∂I` in any [`DriveGradLayout`] (e.g. per held slab, for a
    /// [`Drive::Held`] forward pass).
    pub fn backward_into(
        &self,
        tape: &LifTape<S>,
        grad: SpikeGrad<'_, S>,
        layout: DriveGradLayout,
        grad_drive: &mut [S],
    ) {
        let (steps, len) = (tape.steps, tape.len);
        layout.check(grad_drive.len(), steps, len);
        let out = SharedMut::new(grad_drive);
        let decay = self.decay;
        with_spike_kernel!(self.spike, k => {
            for_each_chunk(len, |range| {
                let (start, n) = (range.start, range.len());
                let mut du = vec![S::zero(); n];
                let mut sink = DriveGradSink::new(layout, steps, len, range);
                for t in (0..steps).rev() {
                    let span = t * len + start..t * len + start + n;
                    back_slab(k, decay, grad.slab(t, len, start, n), &tape.u[span], &mut du);
                    // SAFETY: each chunk owns its unit range of the output.
                    unsafe { sink.push(t, &du, &out) };
                }
                // SAFETY: as above.
                unsafe { sink.finish(&out) };
            });
        });
    }
}
