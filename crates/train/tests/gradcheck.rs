//! Finite-difference gradient checks of every layer and cell, in f64.
//!
//! Spiking cells are checked with a smooth spike function (see `icnet_train::spike`): the
//! backward pass must then equal the true derivative of the whole recursion — leak, reset
//! through the previous spike, gates, the 3→1 map. With the reference Heaviside forward
//! the true derivative is zero almost everywhere and the surrogate replaces it by design;
//! the surrogate itself is unit-tested in `spike.rs`. Inputs are kept away from the ReLU kink.

use icnet_train::cells::{
    CompartmentGrad, Drive, HhCell, HhGating, HhTape, LifCell, LifTape, RateOut, ReluStep,
    SLif2HhCell, SLif2HhTape, SpikeGrad,
};
use icnet_train::linear::Linear;
use icnet_train::models::{FcModel, ModelKind, Network};
use icnet_train::spike::SpikeFn;
use icnet_train::step::loss_and_grad;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const H: f64 = 1e-6;

fn assert_close(analytic: f64, numeric: f64, tol: f64, what: &str) {
    let scale = 1.0 + analytic.abs().max(numeric.abs());
    assert!(
        (analytic - numeric).abs() <= tol * scale,
        "{what}: backward {analytic:e} vs central difference {numeric:e}"
    );
}

fn random_vec(rng: &mut ChaCha8Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

fn smooth(threshold: f64) -> SpikeFn<f64> {
    SpikeFn::Sigmoid {
        threshold,
        slope: 3.0,
    }
}

/// A scalar loss of per-step spikes: Σ_t Σ_i w[t,i]·s[t,i].
fn weighted(spikes: &[f64], weights: &[f64]) -> f64 {
    spikes.iter().zip(weights).map(|(s, w)| s * w).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn linear_layer_gradients(rows in 1usize..5, n_in in 1usize..7, n_out in 1usize..6, sparse in any::<bool>(), seed in 0u64..1000) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut layer = Linear::<f64>::new("l", n_in, n_out, 1.0, &mut rng);
        let x = random_vec(&mut rng, rows * n_in, -1.0, 1.0);
        let mut gy = random_vec(&mut rng, rows * n_out, -1.0, 1.0);
        if sparse {
            // Mostly zeros, as behind a spiking layer's surrogate window: exercises the
            // sparse weight-gradient path.
            for (k, g) in gy.iter_mut().enumerate() {
                if k % 7 != 3 {
                    *g = 0.0;
                }
            }
        }
        let loss = |layer: &Linear<f64>, x: &[f64]| {
            let mut y = vec![0.0; rows * n_out];
            layer.forward(x, rows, &mut y);
            weighted(&y, &gy)
        };
        layer.weight.zero_grad();
        layer.bias.zero_grad();
        let mut gx = vec![0.0; rows * n_in];
        layer.backward(&x, &gy, rows, Some(&mut gx));
        for k in 0..x.len() {
            let (mut hi, mut lo) = (x.clone(), x.clone());
            hi[k] += H;
            lo[k] -= H;
            assert_close(gx[k], (loss(&layer, &hi) - loss(&layer, &lo)) / (2.0 * H), 1e-7, "∂/∂x");
        }
        for k in 0..layer.weight.len() {
            let mut p = layer.clone();
            p.weight.value[k] += H;
            let mut m = layer.clone();
            m.weight.value[k] -= H;
            assert_close(layer.weight.grad[k], (loss(&p, &x) - loss(&m, &x)) / (2.0 * H), 1e-7, "∂/∂W");
        }
        for k in 0..layer.bias.len() {
            let mut p = layer.clone();
            p.bias.value[k] += H;
            let mut m = layer.clone();
            m.bias.value[k] -= H;
            assert_close(layer.bias.grad[k], (loss(&p, &x) - loss(&m, &x)) / (2.0 * H), 1e-7, "∂/∂b");
        }
    }

    #[test]
    fn lif_cell_gradients_smooth(len in 1usize..9, steps in 1usize..9, per_step in any::<bool>(), seed in 0u64..1000) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let cell = LifCell { decay: rng.random_range(0.1..0.9), spike: smooth(0.3) };
        let drive = random_vec(&mut rng, if per_step { steps * len } else { len }, -0.5, 1.0);
        let w = random_vec(&mut rng, steps * len, -1.0, 1.0);
        let run = |d: &[f64]| {
            let mut tape = LifTape::default();
            let mut rate = vec![0.0; len];
            let dr = if per_step { Drive::PerStep(d) } else { Drive::Static(d) };
            cell.forward(dr, steps, len, &mut tape, &mut rate);
            (weighted(&tape.s, &w), tape)
        };
        let (_, tape) = run(&drive);
        let mut g = vec![0.0; drive.len()];
        cell.backward(&tape, SpikeGrad::PerStep(&w), &mut g);
        for k in 0..drive.len() {
            let (mut hi, mut lo) = (drive.clone(), drive.clone());
            hi[k] += H;
            lo[k] -= H;
            assert_close(g[k], (run(&hi).0 - run(&lo).0) / (2.0 * H), 1e-6, "LIF ∂/∂I");
        }
    }

    #[test]
    fn hh_cell_gradients(rows in 1usize..4, neurons in 1usize..5, steps in 1usize..10, voltage in any::<bool>(), detach in any::<bool>(), per_step in any::<bool>(), seed in 0u64..1000) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let len = rows * neurons;
        let gating = if voltage {
            HhGating::VoltageDependent
        } else {
            // Rates far above the reference's U(0, 0.01) so the gates, hence G, move.
            HhGating::constant_uniform(neurons, 5.0, &mut rng)
        };
        let mut cell = HhCell::reference(neurons, 0.05, smooth(0.2), gating);
        cell.detach_ionic = detach;
        let drive = random_vec(&mut rng, if per_step { steps * len } else { len }, -20.0, 40.0);
        let w = random_vec(&mut rng, steps * len, -1.0, 1.0);
        let run = |cell: &HhCell<f64>, d: &[f64]| {
            let mut tape = HhTape::default();
            let mut rate = vec![0.0; len];
            let dr = if per_step { Drive::PerStep(d) } else { Drive::Static(d) };
            cell.forward(dr, steps, len, &mut tape, &mut rate);
            // Loss on the spikes s = σ(3(V − 0.2)) recomputed from the recorded V.
            let s: Vec<f64> = tape.v.iter().map(|&v| cell.spike.value(v)).collect();
            (weighted(&s, &w), tape)
        };
        let (_, tape) = run(&cell, &drive);
        let mut g = vec![0.0; drive.len()];
        cell.backward(&tape, SpikeGrad::PerStep(&w), &mut g);
        if detach {
            // "Ionic currents carry no gradient": the detached backward pass is the exact
            // derivative of the forward map in which the Na + K current of every step is
            // frozen at its recorded value and only the leak stays live. Recover that
            // current from the tape: V[k] = V[k−1] + dt/C·(I[k] − g_L(V[k−1] − E_L) − ion[k]).
            let kdt = cell.dt / cell.capacitance;
            let (g_l, e_l) = (cell.conductances[2], cell.reversals[2]);
            let at = |d: &[f64], t: usize, i: usize| if per_step { d[t * len + i] } else { d[i] };
            let mut ion = vec![0.0; steps * len];
            for i in 0..len {
                let mut prev = 0.0;
                for t in 0..steps {
                    let v = tape.v[t * len + i];
                    ion[t * len + i] = at(&drive, t, i) - g_l * (prev - e_l) - (v - prev) / kdt;
                    prev = v;
                }
            }
            let frozen = |d: &[f64]| {
                let mut total = 0.0;
                for i in 0..len {
                    let mut v = 0.0;
                    for t in 0..steps {
                        v += kdt * (at(d, t, i) - g_l * (v - e_l) - ion[t * len + i]);
                        total += w[t * len + i] * cell.spike.value(v);
                    }
                }
                total
            };
            prop_assert!((frozen(&drive) - run(&cell, &drive).0).abs() < 1e-9, "frozen replay reproduces the run");
            for k in 0..drive.len() {
                let (mut hi, mut lo) = (drive.clone(), drive.clone());
                hi[k] += H;
                lo[k] -= H;
                assert_close(g[k], (frozen(&hi) - frozen(&lo)) / (2.0 * H), 1e-5, "HH detached ∂/∂I");
            }
            return Ok(());
        }
        for k in 0..drive.len() {
            let (mut hi, mut lo) = (drive.clone(), drive.clone());
            hi[k] += H;
            lo[k] -= H;
            assert_close(g[k], (run(&cell, &hi).0 - run(&cell, &lo).0) / (2.0 * H), 1e-5, "HH ∂/∂I");
        }
    }

    #[test]
    fn slif2hh_cell_gradients(rows in 1usize..4, neurons in 1usize..5, steps in 1usize..8, per_step in any::<bool>(), seed in 0u64..1000) {
        // Static drives with a mean-rate loss (the FC layer), or per-step drives with a
        // per-step loss on all four compartments' spikes (the conv layers).
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let len = rows * neurons;
        let drive_len = if per_step { steps * len } else { len };
        let cell = SLif2HhCell { decay: rng.random_range(0.1..0.9), spike: smooth(2.0) };
        let drives: Vec<Vec<f64>> = (0..3).map(|_| random_vec(&mut rng, drive_len, -1.0, 3.0)).collect();
        let mix = random_vec(&mut rng, 4, -1.0, 1.0);
        let c = random_vec(&mut rng, 4 * if per_step { steps * len } else { len }, -1.0, 1.0);
        let run = |d: &[Vec<f64>], mix: &[f64]| {
            let mut tape = SLif2HhTape::default();
            let drive = |k: usize| if per_step { Drive::PerStep(&d[k]) } else { Drive::Static(&d[k]) };
            if per_step {
                cell.forward([drive(0), drive(1), drive(2)], mix, steps, len, &mut tape, None);
                (weighted(&tape.s, &c), tape)
            } else {
                let mut rate = vec![0.0; 4 * len];
                cell.forward([drive(0), drive(1), drive(2)], mix, steps, len, &mut tape, Some(RateOut { rate: &mut rate, neurons }));
                (weighted(&rate, &c), tape)
            }
        };
        let (_, tape) = run(&drives, &mix);
        let mut g: Vec<Vec<f64>> = (0..3).map(|_| vec![0.0; drive_len]).collect();
        let mut g_mix = vec![0.0; 4];
        {
            let [a, b, d] = &mut g[..] else { unreachable!() };
            let grad = if per_step {
                let slab = steps * len;
                CompartmentGrad::Spikes(std::array::from_fn(|k| SpikeGrad::PerStep(&c[k * slab..(k + 1) * slab])))
            } else {
                CompartmentGrad::Rate { grad_rate: &c, neurons }
            };
            cell.backward(&tape, &mix, grad, [a, b, d], &mut g_mix);
        }
        for m in 0..3 {
            for k in 0..drive_len {
                let (mut hi, mut lo) = (drives.clone(), drives.clone());
                hi[m][k] += H;
                lo[m][k] -= H;
                assert_close(g[m][k], (run(&hi, &mix).0 - run(&lo, &mix).0) / (2.0 * H), 1e-6, "s-LIF2HH ∂/∂I");
            }
        }
        for k in 0..4 {
            let (mut hi, mut lo) = (mix.clone(), mix.clone());
            hi[k] += H;
            lo[k] -= H;
            assert_close(g_mix[k], (run(&drives, &hi).0 - run(&drives, &lo).0) / (2.0 * H), 1e-6, "s-LIF2HH ∂/∂mix");
        }
    }

    #[test]
    fn relu_step_gradients(len in 1usize..20, seed in 0u64..1000) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let cell = ReluStep { spike: smooth(0.5) };
        // Away from the ReLU kink at 0.
        let x: Vec<f64> = random_vec(&mut rng, len, -2.0, 2.0).into_iter().map(|v| if v.abs() < 0.01 { 0.5 } else { v }).collect();
        let gy = random_vec(&mut rng, len, -1.0, 1.0);
        let run = |x: &[f64]| {
            let mut y = vec![0.0; len];
            cell.forward(x, &mut y);
            weighted(&y, &gy)
        };
        let mut gx = vec![0.0; len];
        cell.backward(&x, &gy, &mut gx);
        for k in 0..len {
            let (mut hi, mut lo) = (x.clone(), x.clone());
            hi[k] += H;
            lo[k] -= H;
            assert_close(gx[k], (run(&hi) - run(&lo)) / (2.0 * H), 1e-7, "ReLU-step ∂/∂x");
        }
    }
}

/// Whole models, end to end (cross-entropy of both heads): the gradient of sampled
/// coordinates of every parameter tensor against central differences.
#[test]
fn whole_fc_models_gradients() {
    let rows = 3;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = random_vec(&mut rng, rows * 1296, 0.0, 1.0);
    let l1 = [1u8, 7, 3];
    let l2 = [0u8, 9, 3];
    for kind in ModelKind::FC {
        let mut net = FcModel::<f64>::new(kind, 11);
        let threshold = match kind {
            ModelKind::SLif2HhFc => 2.0,
            ModelKind::HhFc | ModelKind::HhVdFc => 0.2,
            ModelKind::Ann => 0.5,
            _ => 0.3,
        };
        net.set_spike(SpikeFn::Sigmoid {
            threshold,
            slope: 2.0,
        });
        if kind != ModelKind::Ann {
            net.set_steps(4);
        }
        loss_and_grad(&mut net, &x, &l1, &l2);
        let grads: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
        let names: Vec<String> = net.params().iter().map(|p| p.name.clone()).collect();
        let mut sampler = ChaCha8Rng::seed_from_u64(3);
        for (pi, name) in names.iter().enumerate() {
            let n = grads[pi].len();
            for _ in 0..6 {
                let k = sampler.random_range(0..n);
                let eval = |net: &mut FcModel<f64>, delta: f64| {
                    net.params_mut()[pi].value[k] += delta;
                    let loss = loss_and_grad(net, &x, &l1, &l2).loss;
                    net.params_mut()[pi].value[k] -= delta;
                    loss
                };
                let fd = (eval(&mut net, H) - eval(&mut net, -H)) / (2.0 * H);
                assert_close(grads[pi][k], fd, 1e-5, &format!("{kind} {name}[{k}]"));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A held drive (each slab repeated for `hold` steps) is the per-step drive with the
    /// slabs copied out, bit for bit, for every cell; the tape-free forward passes give the
    /// taped passes' rates; and the potentials-only tapes give the same rates and gradients.
    #[test]
    fn held_drive_is_the_copied_per_step_drive(len in 1usize..40, steps in 1usize..12, hold in 1usize..5, seed in 0u64..1000) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let slabs_n = steps.div_ceil(hold);
        let slabs: Vec<Vec<f32>> = (0..3)
            .map(|_| (0..slabs_n * len).map(|_| rng.random_range(-1.0f32..3.0)).collect())
            .collect();
        let copied: Vec<Vec<f32>> = slabs
            .iter()
            .map(|s| (0..steps).flat_map(|t| s[t / hold * len..(t / hold + 1) * len].iter().copied()).collect())
            .collect();
        let held = |k: usize| Drive::Held { slabs: &slabs[k], hold };
        let lif = LifCell { decay: 0.2f32, spike: SpikeFn::rect(0.3, 0.5) };
        let (mut a, mut b) = (LifTape::default(), LifTape::default());
        let (mut ra, mut rb) = (vec![0.0; len], vec![0.0; len]);
        lif.forward(held(0), steps, len, &mut a, &mut ra);
        lif.forward(Drive::PerStep(&copied[0]), steps, len, &mut b, &mut rb);
        prop_assert_eq!(&a.u, &b.u);
        prop_assert_eq!(&ra, &rb);
        // Without a tape: the same rates.
        let mut rc = vec![0.0; len];
        lif.forward_rates(held(0), steps, len, &mut rc);
        prop_assert_eq!(&ra, &rc);
        // Potentials only: the same potentials, rates and gradient.
        let mut p = LifTape::default();
        let mut rp = vec![0.0; len];
        lif.forward_potentials(held(0), steps, len, &mut p, &mut rp);
        prop_assert_eq!(&a.u, &p.u);
        prop_assert!(p.s.is_empty());
        prop_assert_eq!(&ra, &rp);
        let g: Vec<f32> = (0..steps * len).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let (mut ga, mut gp) = (vec![0.0; steps * len], vec![0.0; steps * len]);
        lif.backward(&a, SpikeGrad::PerStep(&g), &mut ga);
        lif.backward(&p, SpikeGrad::PerStep(&g), &mut gp);
        prop_assert_eq!(&ga, &gp);
        let cell = SLif2HhCell { decay: 0.5f32, spike: SpikeFn::rect(1.0, 0.4) };
        let mix = [0.3f32, 0.2, 0.4, 0.1];
        let (mut a, mut b) = (SLif2HhTape::default(), SLif2HhTape::default());
        let (mut ra, mut rb) = (vec![0.0; 4 * len], vec![0.0; 4 * len]);
        let out = RateOut { rate: &mut ra, neurons: len };
        cell.forward([held(0), held(1), held(2)], &mix, steps, len, &mut a, Some(out));
        let per_step: [Drive<'_, f32>; 3] = std::array::from_fn(|k| Drive::PerStep(&copied[k]));
        cell.forward(per_step, &mix, steps, len, &mut b, None);
        prop_assert_eq!(&a.u, &b.u);
        prop_assert_eq!(&a.s, &b.s);
        // Without a tape: the same rates.
        let out = RateOut { rate: &mut rb, neurons: len };
        cell.forward_rates([held(0), held(1), held(2)], &mix, steps, len, out);
        prop_assert_eq!(&ra, &rb);
        // Potentials only: the same potentials, rates and gradients.
        let mut p = SLif2HhTape::default();
        let mut rp = vec![0.0; 4 * len];
        let out = RateOut { rate: &mut rp, neurons: len };
        cell.forward_potentials([held(0), held(1), held(2)], &mix, steps, len, &mut p, Some(out));
        prop_assert_eq!(&a.u, &p.u);
        prop_assert!(p.s.is_empty());
        prop_assert_eq!(&ra, &rp);
        let g: Vec<f32> = (0..4 * len).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let grads = |tape: &SLif2HhTape<f32>| {
            let mut d: [Vec<f32>; 3] = std::array::from_fn(|_| vec![0.0; len]);
            let mut gmix = vec![0.0f32; 4];
            let [d0, d1, d2] = &mut d;
            let grad = CompartmentGrad::Rate { grad_rate: &g, neurons: len };
            cell.backward(tape, &mix, grad, [d0, d1, d2], &mut gmix);
            (d, gmix)
        };
        prop_assert_eq!(grads(&a), grads(&p));
    }
}
