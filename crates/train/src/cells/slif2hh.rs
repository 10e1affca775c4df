//! The s-LIF2HH cell (PAPER.md §2.4 as a learning layer): each unit is four discrete LIF
//! compartments. Compartments 1–3 integrate their own input maps; compartment 4 integrates
//! a learned weighted sum of their membrane potentials, through one 3→1 map `(a, c)`
//! shared by the whole layer:
//!
//! `u_c[t] = λ·u_c[t−1]·(1 − s_c[t−1]) + I_c[t]` (c = 1, 2, 3),
//! `u_4[t] = λ·u_4[t−1]·(1 − s_4[t−1]) + a₁u_1[t] + a₂u_2[t] + a₃u_3[t] + c`,
//! `s_c[t] = H(u_c[t] − θ)` for all four; all four spike trains are outputs (4N per row).
//!
//! Backward: compartment 4 is an ordinary LIF with drive `a·u[t] + c`; its adjoint `δu_4[t]`
//! flows into `δu_c[t]` with weight `a_c`, and `∂L/∂a_c = Σ δu_4[t]·u_c[t]`, `∂L/∂c = Σ δu_4[t]`.

use super::lif::step_slab;
use super::{
    for_each_chunk, ordered_sum, Drive, DriveGradLayout, DriveGradSink, SharedMut, SpikeGrad,
};
use crate::scalar::Scalar;
use crate::spike::{with_spike_kernel, SpikeFn, SpikeKernel};

/// A layer of s-LIF2HH units.
#[derive(Clone, Copy, Debug)]
pub struct SLif2HhCell<S> {
    /// λ of all four compartments.
    pub decay: S,
    /// H and its surrogate.
    pub spike: SpikeFn<S>,
}

/// A forward pass's `u` and `s` of the four compartments, each `T × len`, compartment-major
/// (the backward pass reads `u` only and recomputes `s`).
#[derive(Clone, Debug, Default)]
pub struct SLif2HhTape<S> {
    /// Number of steps T.
    pub steps: usize,
    /// Units (rows × neurons).
    pub len: usize,
    /// Membrane potentials, `[4][T][len]`.
    pub u: Vec<S>,
    /// Spikes, `[4][T][len]`.
    pub s: Vec<S>,
}

/// The gradient of the loss with respect to the spikes of an s-LIF2HH layer.
#[derive(Clone, Copy, Debug)]
pub enum CompartmentGrad<'a, S> {
    /// `∂L/∂rate` of a mean-rate readout, laid out as [`SLif2HhCell::forward`] writes the
    /// rates (`[row][compartment][neuron]`); the cell applies the 1/T of the mean itself.
    Rate {
        /// ∂L/∂rate, `4·len`.
        grad_rate: &'a [S],
        /// Neurons per row.
        neurons: usize,
    },
    /// One spike gradient per compartment (each `len`, or `T × len` time-major).
    Spikes([SpikeGrad<'a, S>; 4]),
}

/// Where [`SLif2HhCell::forward`] writes mean rates: `rate[row·4N + c·N + n]` for unit
/// `row·N + n` (`N = neurons`).
pub struct RateOut<'a, S> {
    /// The rate buffer, `4·len`.
    pub rate: &'a mut [S],
    /// Neurons per row.
    pub neurons: usize,
}

impl<S: Scalar> SLif2HhCell<S> {
    /// Runs T steps from rest under three drives (`len` units each, static or per step) and
    /// the 3→1 map `mix = [a₁, a₂, a₃, c]`, recording `u` and `s` of the four compartments
    /// on the tape. With `rate`, also writes the mean rates of the four compartments.
    pub fn forward(
        &self,
        drives: [Drive<'_, S>; 3],
        mix: &[S],
        steps: usize,
        len: usize,
        tape: &mut SLif2HhTape<S>,
        rate: Option<RateOut<'_, S>>,
    ) {
        self.forward_taped(drives, mix, steps, len, tape, rate, true);
    }

    /// [`Self::forward`] recording the potentials only (`tape.s` is left empty): all the
    /// backward pass reads. The same arithmetic, so the same rates and potentials.
    pub fn forward_potentials(
        &self,
        drives: [Drive<'_, S>; 3],
        mix: &[S],
        steps: usize,
        len: usize,
        tape: &mut SLif2HhTape<S>,
        rate: Option<RateOut<'_, S>>,
    ) {
        self.forward_taped(drives, mix, steps, len, tape, rate, false);
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_taped(
        &self,
        drives: [Drive<'_, S>; 3],
        mix: &[S],
        steps: usize,
        len: usize,
        tape: &mut SLif2HhTape<S>,
        rate: Option<RateOut<'_, S>>,
        spikes: bool,
    ) {
        tape.steps = steps;
        tape.len = len;
        tape.u.resize(4 * steps * len, S::zero());
        tape.s
            .resize(if spikes { 4 * steps * len } else { 0 }, S::zero());
        let u = SharedMut::new(&mut tape.u);
        let s = spikes.then(|| SharedMut::new(&mut tape.s));
        self.run(drives, mix, steps, len, Some(u), s, rate);
    }

    /// [`Self::forward`] without a tape, for passes that need no gradient: each chunk keeps
    /// only its last step, so nothing of size 4 × T × len is written. The same arithmetic,
    /// so the same rates.
    pub fn forward_rates(
        &self,
        drives: [Drive<'_, S>; 3],
        mix: &[S],
        steps: usize,
        len: usize,
        rate: RateOut<'_, S>,
    ) {
        self.run(drives, mix, steps, len, None, None, Some(rate));
    }

    /// The forward pass into `4 × T × len` tapes of `u` and `s` where given; a chunk keeps
    /// the steps of an absent one in two local slots per compartment (t and t − 1).
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        drives: [Drive<'_, S>; 3],
        mix: &[S],
        steps: usize,
        len: usize,
        u_tape: Option<SharedMut<S>>,
        s_tape: Option<SharedMut<S>>,
        rate: Option<RateOut<'_, S>>,
    ) {
        drives.iter().for_each(|d| d.check(steps, len));
        assert_eq!(mix.len(), 4, "the 3→1 map has three weights and a bias");
        let (r_out, neurons) = match rate {
            Some(out) => {
                assert_eq!(out.rate.len(), 4 * len, "rate buffer has the wrong length");
                assert_eq!(len % out.neurons, 0, "units are not whole rows of neurons");
                (Some(SharedMut::new(out.rate)), out.neurons)
            }
            None => (None, 1),
        };
        let inv_t = S::one() / S::c(steps as f64);
        let decay = self.decay;
        let slab = steps * len;
        with_spike_kernel!(self.spike, k => {
            for_each_chunk(len, |range| {
                let (start, cnt) = (range.start, range.len());
                // The state before step 0: at rest.
                let rest = vec![S::zero(); cnt];
                let mut count: [Vec<S>; 4] = std::array::from_fn(|_| vec![S::zero(); cnt]);
                let mut into_4 = vec![S::zero(); cnt];
                let mut local_u = if u_tape.is_none() { vec![S::zero(); 8 * cnt] } else { Vec::new() };
                let mut local_s = if s_tape.is_none() { vec![S::zero(); 8 * cnt] } else { Vec::new() };
                let on_tape = |c: usize, t: usize| c * slab + t * len + start;
                let in_slots = |c: usize, t: usize| (2 * c + t % 2) * cnt;
                let (u_out, at_u): (SharedMut<S>, &dyn Fn(usize, usize) -> usize) = match &u_tape {
                    Some(u) => (*u, &on_tape),
                    None => (SharedMut::new(&mut local_u), &in_slots),
                };
                let (s_out, at_s): (SharedMut<S>, &dyn Fn(usize, usize) -> usize) = match &s_tape {
                    Some(s) => (*s, &on_tape),
                    None => (SharedMut::new(&mut local_s), &in_slots),
                };
                for t in 0..steps {
                    into_4.iter_mut().for_each(|x| *x = mix[3]);
                    for (c, count) in count.iter_mut().enumerate() {
                        // SAFETY: each chunk owns its unit range in every buffer; step t−1's
                        // and step t's slices are disjoint, and the former is only read.
                        let (u_prev, s_prev): (&[S], &[S]) = if t == 0 {
                            (&rest, &rest)
                        } else {
                            unsafe { (u_out.slice(at_u(c, t - 1), cnt), s_out.slice(at_s(c, t - 1), cnt)) }
                        };
                        let (u, s) = unsafe { (u_out.slice(at_u(c, t), cnt), s_out.slice(at_s(c, t), cnt)) };
                        let drive = if c < 3 { drives[c].slab(t, len, start, cnt) } else { &into_4[..] };
                        step_slab(k, decay, drive, u_prev, s_prev, u, s, count);
                        if c < 3 {
                            let a = mix[c];
                            into_4.iter_mut().zip(u.iter()).for_each(|(x, &u)| *x += a * u);
                        }
                    }
                }
                if let Some(r_out) = r_out {
                    for (j, i) in range.enumerate() {
                        let (row, nrn) = (i / neurons, i % neurons);
                        for (c, nc) in count.iter().enumerate() {
                            // SAFETY: feature (row, c, nrn) belongs to unit i of this chunk.
                            unsafe { r_out.write(row * 4 * neurons + c * neurons + nrn, nc[j] * inv_t) };
                        }
                    }
                }
            });
        });
    }

    /// Backpropagates through time into the gradients of the three drives (each `len`,
    /// summed over steps, for a static drive, or `T × len` per step), and accumulates
    /// `∂L/∂mix` into `grad_mix`.
    pub fn backward(
        &self,
        tape: &SLif2HhTape<S>,
        mix: &[S],
        grad: CompartmentGrad<'_, S>,
        grad_drives: [&mut [S]; 3],
        grad_mix: &mut [S],
    ) {
        let layouts = std::array::from_fn(|c| {
            DriveGradLayout::summed_or_per_step(grad_drives[c].len(), tape.steps, tape.len)
        });
        self.backward_into(tape, mix, grad, layouts, grad_drives, grad_mix);
    }

    /// [`Self::backward`] with each drive's `∂L/∂I` in any [`DriveGradLayout`] (e.g. per
    /// held slab, for [`Drive::Held`] forward drives).
    pub fn backward_into(
        &self,
        tape: &SLif2HhTape<S>,
        mix: &[S],
        grad: CompartmentGrad<'_, S>,
        layouts: [DriveGradLayout; 3],
        grad_drives: [&mut [S]; 3],
        grad_mix: &mut [S],
    ) {
        let (steps, len) = (tape.steps, tape.len);
        if let CompartmentGrad::Rate { grad_rate, .. } = grad {
            assert_eq!(
                grad_rate.len(),
                4 * len,
                "rate-gradient buffer has the wrong length"
            );
        }
        let inv_t = S::one() / S::c(steps as f64);
        for (g, layout) in grad_drives.iter().zip(layouts) {
            layout.check(g.len(), steps, len);
        }
        let outs = grad_drives.map(|g| SharedMut::new(g));
        let decay = self.decay;
        let slab = steps * len;
        let parts = with_spike_kernel!(self.spike, k => {
            for_each_chunk(len, |range| {
                let (start, cnt) = (range.start, range.len());
                // A mean-rate gradient is the same at every step: gather it once.
                let uniform: Option<[Vec<S>; 4]> = match grad {
                    CompartmentGrad::Rate { grad_rate, neurons } => Some(std::array::from_fn(|c| {
                        range
                            .clone()
                            .map(|i| {
                                let (row, nrn) = (i / neurons, i % neurons);
                                grad_rate[row * 4 * neurons + c * neurons + nrn] * inv_t
                            })
                            .collect()
                    })),
                    CompartmentGrad::Spikes(_) => None,
                };
                let mut du: [Vec<S>; 4] = std::array::from_fn(|_| vec![S::zero(); cnt]);
                let mut sinks: [DriveGradSink<S>; 3] =
                    std::array::from_fn(|c| DriveGradSink::new(layouts[c], steps, len, range.clone()));
                let mut gmix = vec![S::zero(); 4];
                for t in (0..steps).rev() {
                    let span = |c: usize| c * slab + t * len + start..c * slab + t * len + start + cnt;
                    let g_t: [&[S]; 4] = std::array::from_fn(|c| match (&uniform, &grad) {
                        (Some(g), _) => &g[c][..],
                        (None, CompartmentGrad::Spikes(g)) => g[c].slab(t, len, start, cnt),
                        (None, CompartmentGrad::Rate { .. }) => unreachable!("rate gradients are gathered"),
                    });
                    // Compartment 4 first: its adjoint feeds the other three at the same t.
                    {
                        // The spikes are recomputed from the potentials (the forward pass's
                        // very function of the very values), not read from the tape.
                        let u4 = &tape.u[span(3)];
                        for ((d, &g), &u) in du[3].iter_mut().zip(g_t[3]).zip(u4) {
                            let gs = g - decay * u * *d;
                            *d = gs * k.grad(u) + decay * (S::one() - k.value(u)) * *d;
                        }
                        gmix[3] += lane_sum(&du[3]);
                    }
                    let [d1, d2, d3, d4] = &mut du;
                    for (c, dc) in [d1, d2, d3].into_iter().enumerate() {
                        let uc = &tape.u[span(c)];
                        let a = mix[c];
                        gmix[c] += lane_dot(d4, uc);
                        for (((d, &g), &u), &d4) in dc.iter_mut().zip(g_t[c]).zip(uc).zip(d4.iter()) {
                            let gs = g - decay * u * *d;
                            *d = gs * k.grad(u) + decay * (S::one() - k.value(u)) * *d + a * d4;
                        }
                        // SAFETY: each chunk owns its unit range of every output.
                        unsafe { sinks[c].push(t, dc, &outs[c]) };
                    }
                }
                for (sink, out) in sinks.iter_mut().zip(&outs) {
                    // SAFETY: as above.
                    unsafe { sink.finish(out) };
                }
                gmix
            })
        });
        for (g, p) in grad_mix.iter_mut().zip(ordered_sum(&parts, 4)) {
            *g += p;
        }
    }
}

/// `Σ aᵢ·bᵢ` in eight interleaved partial sums (term i into partial i mod 8), combined
/// pairwise at the end: the order is fixed, so the result is deterministic, and unlike one
/// running sum (a chain of dependent additions) it vectorises.
#[inline(always)]
fn lane_dot<S: Scalar>(a: &[S], b: &[S]) -> S {
    let mut lanes = [S::zero(); 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    for ((lane, &x), &y) in lanes.iter_mut().zip(ra).zip(rb) {
        *lane += x * y;
    }
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + e) + (c + g)) + ((b + f) + (d + h))
}

/// `Σ aᵢ` in the partial sums of [`lane_dot`].
#[inline(always)]
fn lane_sum<S: Scalar>(a: &[S]) -> S {
    let mut lanes = [S::zero(); 8];
    let chunks = a.chunks_exact(8);
    let rest = chunks.remainder();
    for x in chunks {
        for l in 0..8 {
            lanes[l] += x[l];
        }
    }
    for (lane, &x) in lanes.iter_mut().zip(rest) {
        *lane += x;
    }
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + e) + (c + g)) + ((b + f) + (d + h))
}
