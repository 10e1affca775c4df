//! The HH cell of the learning models (PAPER.md §4): Hodgkin–Huxley in the 1952
//! convention, forward Euler with step `dt`, state starting at 0, no reset, spike
//! `H(V − θ)`. Step k = 1…T, with the conductances of the state before the step:
//!
//! `V[k] = V[k−1] + dt/C·(I[k] − G[k−1]·V[k−1] + Ē[k−1])`, `x[k] = x[k−1] + dt·(α_x(1 − x[k−1]) − β_x·x[k−1])`,
//!
//! where `G = ḡ_Na m³h + ḡ_K n⁴ + g_L` and `Ē = ḡ_Na m³h E_Na + ḡ_K n⁴ E_K + g_L E_L`.
//!
//! Gating comes in two forms ([`HhGating`]): the reference's constant rates (six per neuron,
//! drawn U(0, 0.01), independent of V — the gates are then the same for every input and
//! are computed once per neuron) and the true voltage-dependent 1952 rates, where the gates
//! depend on V and backpropagation runs through the full four-variable Euler step.
//! `detach_ionic` stops the gradient through the Na and K currents (the reference's HH-conv:
//! "ionic currents carry no gradient"), leaving only the leak in the V→V Jacobian.

use super::{for_each_chunk, Drive, DriveGradLayout, DriveGradSink, SharedMut, SpikeGrad};
use crate::scalar::Scalar;
use crate::spike::{with_spike_kernel, SpikeFn, SpikeKernel};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How the gating variables evolve.
#[derive(Clone, Debug)]
pub enum HhGating<S> {
    /// Per-neuron constant rates `[α_m, β_m, α_h, β_h, α_n, β_n]`, each a vector over neurons.
    ConstantRates([Vec<S>; 6]),
    /// The 1952 voltage-dependent rates α_x(V), β_x(V).
    VoltageDependent,
}

impl<S: Scalar> HhGating<S> {
    /// The reference's constant rates: each of the six drawn U(0, `max_rate`) per neuron.
    pub fn constant_uniform(neurons: usize, max_rate: f64, rng: &mut ChaCha8Rng) -> Self {
        Self::ConstantRates(std::array::from_fn(|_| {
            (0..neurons)
                .map(|_| S::c(rng.random_range(0.0..max_rate)))
                .collect()
        }))
    }
}

/// A layer of HH units.
#[derive(Clone, Debug)]
pub struct HhCell<S> {
    /// Neurons per row; unit `i` is neuron `i % neurons` (its rates when they are constant).
    pub neurons: usize,
    /// C in µF/cm².
    pub capacitance: S,
    /// ḡ_Na, ḡ_K, g_L in mS/cm².
    pub conductances: [S; 3],
    /// E_Na, E_K, E_L in mV.
    pub reversals: [S; 3],
    /// Euler step in ms.
    pub dt: S,
    /// H(V − θ) and its surrogate.
    pub spike: SpikeFn<S>,
    /// Gating dynamics.
    pub gating: HhGating<S>,
    /// Stop the gradient through the Na and K currents.
    pub detach_ionic: bool,
}

/// What the backward pass of [`HhCell`] needs.
#[derive(Clone, Debug, Default)]
pub struct HhTape<S> {
    /// Number of steps T.
    pub steps: usize,
    /// Number of units.
    pub len: usize,
    /// V[k] after step k = 1…T, stored at index k − 1, time-major.
    pub v: Vec<S>,
    /// Gates after each step (voltage-dependent gating only), time-major: m, h, n.
    pub gates: [Vec<S>; 3],
    /// G[k] before step k + 1 per neuron (constant rates only), `T × neurons`.
    pub conductance: Vec<S>,
}

/// The conductances `G`, `Ē` of constant-rate gating before each step (`T × neurons`).
#[derive(Clone, Debug, Default)]
pub struct HhTable<S> {
    g: Vec<S>,
    e: Vec<S>,
}

/// Splits units `start..start + cnt` (unit i is neuron i mod `neurons`) into segments of
/// consecutive neurons: `(a, b, first_neuron)` with a..b relative to `start`.
fn row_segments(
    start: usize,
    cnt: usize,
    neurons: usize,
) -> impl Iterator<Item = (usize, usize, usize)> {
    let mut a = 0;
    std::iter::from_fn(move || {
        if a >= cnt {
            return None;
        }
        let nrn = (start + a) % neurons;
        let b = (a + neurons - nrn).min(cnt);
        let seg = (a, b, nrn);
        a = b;
        Some(seg)
    })
}

/// `y / (eʸ − 1)` and its derivative, accurate in f32 near the removable singularity at 0.
///
/// `eʸ − 1` and the derivative `(eʸ − 1 − y·eʸ)/(eʸ − 1)²` cancel catastrophically for small
/// |y| (the parity check against PyTorch measured a 17 % error of the f32 derivative at
/// |y| = 1e-3). Below |y| = 0.1 the Taylor series is used (truncation error < 1e-10), above
/// it `exp_m1`, which keeps the difference exact.
fn x_over_expm1<S: Scalar>(y: S) -> (S, S) {
    if y.abs() < S::c(0.1) {
        let y2 = y * y;
        let value = S::one() - y / S::c(2.0) + y2 / S::c(12.0) - y2 * y2 / S::c(720.0)
            + y2 * y2 * y2 / S::c(30240.0);
        let slope = S::c(-0.5) + y / S::c(6.0) - y2 * y / S::c(180.0) + y2 * y2 * y / S::c(5040.0);
        (value, slope)
    } else {
        let d = y.exp_m1();
        let e = d + S::one();
        (y / d, (d - y * e) / (d * d))
    }
}

/// The six 1952 rates at V and their derivatives with respect to V:
/// `([α_m, β_m, α_h, β_h, α_n, β_n], [dα_m/dV, …])`.
pub(crate) fn rates_1952<S: Scalar>(v: S) -> ([S; 6], [S; 6]) {
    let tenth = S::c(0.1);
    let (fm, dfm) = x_over_expm1((S::c(25.0) - v) * tenth);
    let (fn_, dfn) = x_over_expm1((S::c(10.0) - v) * tenth);
    let beta_m = S::c(4.0) * (-v / S::c(18.0)).exp();
    let alpha_h = S::c(0.07) * (-v / S::c(20.0)).exp();
    let q = ((S::c(30.0) - v) * tenth).exp();
    let beta_h = S::one() / (q + S::one());
    let beta_n = S::c(0.125) * (-v / S::c(80.0)).exp();
    (
        [fm, beta_m, alpha_h, beta_h, tenth * fn_, beta_n],
        [
            -tenth * dfm,
            -beta_m / S::c(18.0),
            -alpha_h / S::c(20.0),
            q * tenth / ((q + S::one()) * (q + S::one())),
            -S::c(0.01) * dfn,
            -beta_n / S::c(80.0),
        ],
    )
}

impl<S: Scalar> HhCell<S> {
    /// The reference HH of the learning models: 1952 constants (E_L = 10.6), dt, spike at θ.
    pub fn reference(neurons: usize, dt: f64, spike: SpikeFn<S>, gating: HhGating<S>) -> Self {
        Self {
            neurons,
            capacitance: S::one(),
            conductances: [S::c(120.0), S::c(36.0), S::c(0.3)],
            reversals: [S::c(115.0), S::c(-12.0), S::c(10.6)],
            dt: S::c(dt),
            spike,
            gating,
            detach_ionic: false,
        }
    }

    /// `(G, Ē)` for gates m, h, n.
    #[inline(always)]
    fn conductance(&self, m: S, h: S, n: S) -> (S, S) {
        let [g_na, g_k, g_l] = self.conductances;
        let [e_na, e_k, e_l] = self.reversals;
        let (na, k) = (g_na * m * m * m * h, g_k * n * n * n * n);
        (na + k + g_l, na * e_na + k * e_k + g_l * e_l)
    }

    /// The conductances of constant-rate gating before each step, `G` and `Ē` (`T × neurons`
    /// each, time-major): the gates do not depend on V, so one trajectory per neuron serves
    /// every row.
    fn gate_table(&self, rates: &[Vec<S>; 6], steps: usize, g: &mut Vec<S>, e: &mut Vec<S>) {
        let nn = self.neurons;
        g.resize(steps * nn, S::zero());
        e.resize(steps * nn, S::zero());
        for j in 0..nn {
            let (mut m, mut h, mut n) = (S::zero(), S::zero(), S::zero());
            for t in 0..steps {
                (g[t * nn + j], e[t * nn + j]) = self.conductance(m, h, n);
                let step =
                    |x: S, a: &Vec<S>, b: &Vec<S>| x + self.dt * (a[j] * (S::one() - x) - b[j] * x);
                (m, h, n) = (
                    step(m, &rates[0], &rates[1]),
                    step(h, &rates[2], &rates[3]),
                    step(n, &rates[4], &rates[5]),
                );
            }
        }
    }

    /// The constant-rate conductance table `(G, Ē)` for `steps` steps, for
    /// [`Self::forward_local`] and [`Self::backward_local`].
    ///
    /// # Panics
    /// With voltage-dependent gating (its conductances depend on each unit's V).
    pub(crate) fn constant_table(&self, steps: usize) -> HhTable<S> {
        let HhGating::ConstantRates(rates) = &self.gating else {
            panic!("a conductance table needs constant-rate gating");
        };
        let mut table = HhTable::default();
        self.gate_table(rates, steps, &mut table.g, &mut table.e);
        table
    }

    /// The forward pass of `n = drive.len()` consecutive units starting at unit `first`
    /// (unit i is neuron i mod `neurons`) on a static drive, serially, into a local tape
    /// (`v`, `s`: `T × n`; the same arithmetic as [`Self::forward`] with constant rates).
    pub(crate) fn forward_local(
        &self,
        table: &HhTable<S>,
        first: usize,
        drive: &[S],
        v: &mut [S],
        s: &mut [S],
    ) {
        let (n, nn) = (drive.len(), self.neurons);
        assert!(n > 0 && v.len().is_multiple_of(n) && s.len() == v.len());
        let steps = v.len() / n;
        assert_eq!(
            table.g.len(),
            steps * nn,
            "conductance table of the wrong length"
        );
        let k = self.dt / self.capacitance;
        let rest = vec![S::zero(); n];
        with_spike_kernel!(self.spike, sk => {
            let mut prev: &[S] = &rest;
            let slabs = v.chunks_exact_mut(n).zip(s.chunks_exact_mut(n));
            for (t, (v_t, s_t)) in slabs.enumerate() {
                for (a, b, nrn) in row_segments(first, n, nn) {
                    let span = t * nn + nrn..t * nn + nrn + (b - a);
                    for (((((v, s), &p), &i), &g), &e) in v_t[a..b]
                        .iter_mut()
                        .zip(&mut s_t[a..b])
                        .zip(&prev[a..b])
                        .zip(&drive[a..b])
                        .zip(&table.g[span.clone()])
                        .zip(&table.e[span])
                    {
                        *v = p + k * (i - g * p + e);
                        *s = sk.value(*v);
                    }
                }
                prev = v_t;
            }
        });
    }

    /// The backward pass of a tape from [`Self::forward_local`] with `g = ∂L/∂s` (`T × n`):
    /// `total` receives `Σ_t ∂L/∂I[t]` (the static drive's gradient), `dv` is scratch.
    pub(crate) fn backward_local(
        &self,
        table: &HhTable<S>,
        first: usize,
        g: &[S],
        v: &[S],
        dv: &mut [S],
        total: &mut [S],
    ) {
        let n = total.len();
        assert!(n > 0 && dv.len() == n && g.len() == v.len() && v.len().is_multiple_of(n));
        let steps = v.len() / n;
        let k = self.dt / self.capacitance;
        dv.iter_mut().for_each(|d| *d = S::zero());
        total.iter_mut().for_each(|a| *a = S::zero());
        with_spike_kernel!(self.spike, sk => {
            for t in (0..steps).rev() {
                let (g_t, v_t) = (&g[t * n..(t + 1) * n], &v[t * n..(t + 1) * n]);
                self.back_slab(sk, &table.g, first, t, steps, g_t, v_t, dv);
                total.iter_mut().zip(&*dv).for_each(|(a, &d)| *a += k * d);
            }
        });
    }

    /// Runs T steps from the zero state; records the tape and writes mean spike rates.
    pub fn forward(
        &self,
        drive: Drive<'_, S>,
        steps: usize,
        len: usize,
        tape: &mut HhTape<S>,
        rate: &mut [S],
    ) {
        drive.check(steps, len);
        assert_eq!(rate.len(), len, "rate buffer has the wrong length");
        assert_eq!(len % self.neurons, 0, "units are not whole rows of neurons");
        tape.steps = steps;
        tape.len = len;
        tape.v.resize(steps * len, S::zero());
        let inv_t = S::one() / S::c(steps as f64);
        let k = self.dt / self.capacitance;
        match &self.gating {
            HhGating::ConstantRates(rates) => {
                // Gates do not depend on V: one trajectory per neuron serves every row.
                let nn = self.neurons;
                let mut reversal = Vec::new();
                self.gate_table(rates, steps, &mut tape.conductance, &mut reversal);
                let (v_out, r_out) = (SharedMut::new(&mut tape.v), SharedMut::new(rate));
                let g_all = &tape.conductance;
                with_spike_kernel!(self.spike, sk => {
                    for_each_chunk(len, |range| {
                        let (start, cnt) = (range.start, range.len());
                        let mut v = vec![S::zero(); cnt];
                        // SAFETY: each chunk owns its unit range in every buffer.
                        let count = unsafe { r_out.slice(start, cnt) };
                        count.iter_mut().for_each(|c| *c = S::zero());
                        for t in 0..steps {
                            let drive_t = drive.slab(t, len, start, cnt);
                            for (a, b, nrn) in row_segments(start, cnt, nn) {
                                let g_t = &g_all[t * nn + nrn..t * nn + nrn + (b - a)];
                                let e_t = &reversal[t * nn + nrn..t * nn + nrn + (b - a)];
                                for ((((v, c), &i), &g), &e) in v[a..b]
                                    .iter_mut()
                                    .zip(&mut count[a..b])
                                    .zip(&drive_t[a..b])
                                    .zip(g_t)
                                    .zip(e_t)
                                {
                                    *v = *v + k * (i - g * *v + e);
                                    *c += sk.value(*v);
                                }
                            }
                            // SAFETY: as above.
                            unsafe { v_out.slice(t * len + start, cnt).copy_from_slice(&v) };
                        }
                        count.iter_mut().for_each(|c| *c *= inv_t);
                    });
                });
            }
            HhGating::VoltageDependent => {
                for g in &mut tape.gates {
                    g.resize(steps * len, S::zero());
                }
                let [gm, gh, gn] = &mut tape.gates;
                let outs = [
                    SharedMut::new(&mut tape.v),
                    SharedMut::new(gm),
                    SharedMut::new(gh),
                    SharedMut::new(gn),
                ];
                let r_out = SharedMut::new(rate);
                for_each_chunk(len, |range| {
                    for i in range {
                        let (mut v, mut m, mut h, mut n) =
                            (S::zero(), S::zero(), S::zero(), S::zero());
                        let mut count = S::zero();
                        for t in 0..steps {
                            let (g, e) = self.conductance(m, h, n);
                            let (r, _) = rates_1952(v);
                            let v_next = v + k * (drive.at(t, len, i) - g * v + e);
                            m += self.dt * (r[0] * (S::one() - m) - r[1] * m);
                            h += self.dt * (r[2] * (S::one() - h) - r[3] * h);
                            n += self.dt * (r[4] * (S::one() - n) - r[5] * n);
                            v = v_next;
                            count += self.spike.value(v);
                            for (out, x) in outs.iter().zip([v, m, h, n]) {
                                // SAFETY: unit i belongs to this chunk only.
                                unsafe { out.write(t * len + i, x) };
                            }
                        }
                        // SAFETY: as above.
                        unsafe { r_out.write(i, count * inv_t) };
                    }
                });
            }
        }
    }

    /// One backward step (index `t` of `steps`) of constant-rate units `first..first + n`
    /// (unit i is neuron i mod `neurons`): `dv` holds ∂L/∂V[t+1] on entry and ∂L/∂V[t] on
    /// exit. V[t+1] depends on V[t] through 1 − (dt/C)·G[t+1] (`g_table`, `T × neurons`), or
    /// through the leak alone with detached ionic currents.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn back_slab<K: SpikeKernel<S>>(
        &self,
        sk: K,
        g_table: &[S],
        first: usize,
        t: usize,
        steps: usize,
        g_t: &[S],
        v_t: &[S],
        dv: &mut [S],
    ) {
        let (nn, k, g_leak) = (
            self.neurons,
            self.dt / self.capacitance,
            self.conductances[2],
        );
        for (a, b, nrn) in row_segments(first, dv.len(), nn) {
            for j in a..b {
                let carry = if t + 1 < steps {
                    let g = if self.detach_ionic {
                        g_leak
                    } else {
                        g_table[(t + 1) * nn + nrn + (j - a)]
                    };
                    (S::one() - k * g) * dv[j]
                } else {
                    S::zero()
                };
                dv[j] = g_t[j] * sk.grad(v_t[j]) + carry;
            }
        }
    }

    /// Backpropagates through time; `grad_drive` as for [`super::LifCell::backward`].
    pub fn backward(&self, tape: &HhTape<S>, grad: SpikeGrad<'_, S>, grad_drive: &mut [S]) {
        let layout = DriveGradLayout::summed_or_per_step(grad_drive.len(), tape.steps, tape.len);
        self.backward_into(tape, grad, layout, grad_drive);
    }

    /// [`Self::backward`] with `∂L/∂I` in any [`DriveGradLayout`] (e.g. per held slab, for a
    /// [`Drive::Held`] forward pass).
    pub fn backward_into(
        &self,
        tape: &HhTape<S>,
        grad: SpikeGrad<'_, S>,
        layout: DriveGradLayout,
        grad_drive: &mut [S],
    ) {
        let (steps, len) = (tape.steps, tape.len);
        layout.check(grad_drive.len(), steps, len);
        let out = SharedMut::new(grad_drive);
        let k = self.dt / self.capacitance;
        let g_leak = self.conductances[2];
        match &self.gating {
            HhGating::ConstantRates(_) => {
                with_spike_kernel!(self.spike, sk => {
                    for_each_chunk(len, |range| {
                        let (start, cnt) = (range.start, range.len());
                        // dv holds ∂L/∂V[k+1] on entry to step index t (V[k], k = t + 1)
                        // and ∂L/∂V[k] on exit.
                        let mut dv = vec![S::zero(); cnt];
                        // ∂L/∂I[t] = (dt/C)·∂L/∂V[t + 1].
                        let mut di = vec![S::zero(); cnt];
                        let mut sink = DriveGradSink::new(layout, steps, len, range);
                        for t in (0..steps).rev() {
                            let g_t = grad.slab(t, len, start, cnt);
                            let v_t = &tape.v[t * len + start..t * len + start + cnt];
                            self.back_slab(sk, &tape.conductance, start, t, steps, g_t, v_t, &mut dv);
                            di.iter_mut().zip(&dv).for_each(|(o, &d)| *o = k * d);
                            // SAFETY: each chunk owns its unit range of the output.
                            unsafe { sink.push(t, &di, &out) };
                        }
                        // SAFETY: as above.
                        unsafe { sink.finish(&out) };
                    });
                });
            }
            HhGating::VoltageDependent => {
                let [g_na, g_k, _] = self.conductances;
                let [e_na, e_k, _] = self.reversals;
                let dt = self.dt;
                for_each_chunk(len, |range| {
                    let mut sink =
                        DriveGradSink::new(layout, steps, len, range.start..range.start + 1);
                    for i in range {
                        sink.restart(i);
                        // Adjoint of the state after step k, (V, m, h, n).
                        let (mut av, mut am, mut ah, mut an) =
                            (S::zero(), S::zero(), S::zero(), S::zero());
                        for t in (0..steps).rev() {
                            let at = |buf: &Vec<S>, t: usize| buf[t * len + i];
                            // The spike at this step reads V after the step.
                            av += grad.at(t, len, i) * self.spike.grad(at(&tape.v, t));
                            // SAFETY: unit i belongs to this chunk only.
                            unsafe { sink.push(t, &[k * av], &out) };
                            // State before the step (zeros before the first).
                            let (v, m, h, n) = if t == 0 {
                                (S::zero(), S::zero(), S::zero(), S::zero())
                            } else {
                                (
                                    at(&tape.v, t - 1),
                                    at(&tape.gates[0], t - 1),
                                    at(&tape.gates[1], t - 1),
                                    at(&tape.gates[2], t - 1),
                                )
                            };
                            let (r, dr) = rates_1952(v);
                            let (g, _) = self.conductance(m, h, n);
                            let one = S::one();
                            // Jacobian of the Euler step, transposed, applied to the adjoint.
                            let (dv_dv, dv_dm, dv_dh, dv_dn) = if self.detach_ionic {
                                (one - k * g_leak, S::zero(), S::zero(), S::zero())
                            } else {
                                (
                                    one - k * g,
                                    -k * g_na * S::c(3.0) * m * m * h * (v - e_na),
                                    -k * g_na * m * m * m * (v - e_na),
                                    -k * g_k * S::c(4.0) * n * n * n * (v - e_k),
                                )
                            };
                            let gate_dv = |x: S, a: usize| dt * (dr[a] * (one - x) - dr[a + 1] * x);
                            let gate_dx = |a: usize| one - dt * (r[a] + r[a + 1]);
                            let (gm_dv, gh_dv, gn_dv) = if self.detach_ionic {
                                (S::zero(), S::zero(), S::zero())
                            } else {
                                (gate_dv(m, 0), gate_dv(h, 2), gate_dv(n, 4))
                            };
                            let new_av = av * dv_dv + am * gm_dv + ah * gh_dv + an * gn_dv;
                            let new_am = av * dv_dm + am * gate_dx(0);
                            let new_ah = av * dv_dh + ah * gate_dx(2);
                            let new_an = av * dv_dn + an * gate_dx(4);
                            (av, am, ah, an) = (new_av, new_am, new_ah, new_an);
                        }
                        // SAFETY: as above.
                        unsafe { sink.finish(&out) };
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_derivatives_match_central_differences_including_the_removable_singularities() {
        for &v in &[
            -30.0, 0.0, 9.9995, 10.0, 10.0004, 24.9999, 25.0, 40.0, 100.0,
        ] {
            let (_, d) = rates_1952::<f64>(v);
            let h = 1e-5;
            let (hi, _) = rates_1952::<f64>(v + h);
            let (lo, _) = rates_1952::<f64>(v - h);
            for a in 0..6 {
                let fd = (hi[a] - lo[a]) / (2.0 * h);
                assert!(
                    (fd - d[a]).abs() < 1e-7 * (1.0 + d[a].abs()),
                    "rate {a} at V = {v}: {fd} vs {}",
                    d[a]
                );
            }
        }
        // f32 against f64 near the singularities (where cancellation used to hurt).
        for &v in &[9.99f64, 9.999, 10.001, 10.3, 24.99, 25.001, 25.2, 26.0] {
            let (r32, d32) = rates_1952::<f32>(v as f32);
            let (r64, d64) = rates_1952::<f64>(v as f32 as f64);
            for a in 0..6 {
                assert!(
                    ((r32[a] as f64) - r64[a]).abs() <= 1e-6 * r64[a].abs().max(1e-3),
                    "rate {a} at {v}"
                );
                assert!(
                    ((d32[a] as f64) - d64[a]).abs() <= 1e-5 * d64[a].abs().max(1e-3),
                    "slope {a} at {v}"
                );
            }
        }
        let (r, _) = rates_1952::<f64>(10.0);
        assert!((r[4] - 0.1).abs() < 1e-15, "α_n(10) = 0.1");
        let (r, _) = rates_1952::<f64>(25.0);
        assert!((r[0] - 1.0).abs() < 1e-15, "α_m(25) = 1");
    }
}
