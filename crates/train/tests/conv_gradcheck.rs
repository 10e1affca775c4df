//! Finite-difference gradient checks of the convolution, the pooling and the five
//! convolutional models, in f64 (see `gradcheck.rs` for the smooth-spike rationale).

use icnet_train::conv::{avg_pool2, avg_pool2_backward, Conv2d};
use icnet_train::models::{ConvHidden, ConvModel, ModelKind, Network};
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

/// Random values in [lo, hi), each zero with probability `zeros` (sparse inputs take the
/// event-driven paths).
fn random_vec(rng: &mut ChaCha8Rng, n: usize, lo: f64, hi: f64, zeros: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if rng.random_bool(zeros) {
                0.0
            } else {
                rng.random_range(lo..hi)
            }
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn conv_layer_gradients_and_paths_agree(images in 1usize..3, half in 1usize..4, c_in in 1usize..6, c_out in prop::sample::select(vec![1usize, 2, 3, 10, 17]), sparse in any::<bool>(), seed in 0u64..1000) {
        let side = 2 * half;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut conv = Conv2d::<f64>::new("c", c_in, c_out, side, 1.0, &mut rng);
        let x = random_vec(&mut rng, images * conv.in_len(), -1.0, 1.0, if sparse { 0.9 } else { 0.0 });
        let w = random_vec(&mut rng, images * conv.out_len(), -1.0, 1.0, 0.0);
        let mut cols = Vec::new();
        // The reference (im2col + GEMM) and direct paths agree, forward and ∂L/∂W.
        let mut dense = vec![0.0; images * conv.out_len()];
        let mut direct = dense.clone();
        conv.forward_dense(&x, images, &mut dense, &mut cols);
        conv.forward_direct(&x, images, &mut direct);
        for (a, b) in dense.iter().zip(&direct) {
            prop_assert!((a - b).abs() < 1e-12, "dense {a} vs direct {b}");
        }
        let mut reference = conv.clone();
        reference.weight_grad_dense(&x, &w, images, &mut cols);
        let loss = |conv: &Conv2d<f64>, x: &[f64]| {
            let mut y = vec![0.0; images * conv.out_len()];
            conv.forward(x, images, &mut y);
            dot(&y, &w)
        };
        let mut gx = vec![0.0; x.len()];
        conv.backward(&x, &w, images, Some(&mut gx));
        for (a, b) in conv.weight.grad.iter().zip(&reference.weight.grad) {
            prop_assert!((a - b).abs() < 1e-12, "direct ∂L/∂W {a} vs reference {b}");
        }
        for k in 0..x.len() {
            let (mut hi, mut lo) = (x.clone(), x.clone());
            hi[k] += H;
            lo[k] -= H;
            assert_close(gx[k], (loss(&conv, &hi) - loss(&conv, &lo)) / (2.0 * H), 1e-7, "conv ∂/∂x");
        }
        for k in 0..conv.weight.len() {
            let (mut hi, mut lo) = (conv.clone(), conv.clone());
            hi.weight.value[k] += H;
            lo.weight.value[k] -= H;
            assert_close(conv.weight.grad[k], (loss(&hi, &x) - loss(&lo, &x)) / (2.0 * H), 1e-7, "conv ∂/∂W");
        }
        for k in 0..c_out {
            let (mut hi, mut lo) = (conv.clone(), conv.clone());
            hi.bias.value[k] += H;
            lo.bias.value[k] -= H;
            assert_close(conv.bias.grad[k], (loss(&hi, &x) - loss(&lo, &x)) / (2.0 * H), 1e-7, "conv ∂/∂b");
        }
    }

    #[test]
    fn avg_pool_gradients(images in 1usize..3, half in 1usize..4, channels in 1usize..4, seed in 0u64..1000) {
        let side = 2 * half;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = random_vec(&mut rng, images * side * side * channels, -1.0, 1.0, 0.0);
        let w = random_vec(&mut rng, images * half * half * channels, -1.0, 1.0, 0.0);
        let loss = |x: &[f64]| {
            let mut y = vec![0.0; w.len()];
            avg_pool2(x, images, side, channels, &mut y);
            dot(&y, &w)
        };
        let mut gx = vec![0.0; x.len()];
        avg_pool2_backward(&w, images, side, channels, &mut gx);
        for k in 0..x.len() {
            let (mut hi, mut lo) = (x.clone(), x.clone());
            hi[k] += H;
            lo[k] -= H;
            assert_close(gx[k], (loss(&hi) - loss(&lo)) / (2.0 * H), 1e-8, "pool ∂/∂x");
        }
    }
}

#[test]
fn pooling_averages_each_two_by_two_block_per_channel() {
    // One 2×2 image, two channels: channel 0 = 1, 2, 3, 4; channel 1 = 10, 0, 0, 0.
    let x = [1.0, 10.0, 2.0, 0.0, 3.0, 0.0, 4.0, 0.0];
    let mut y = [0.0; 2];
    avg_pool2(&x, 1, 2, 2, &mut y);
    assert_eq!(y, [2.5, 2.5]);
}

#[test]
fn conv_of_a_single_pixel_is_the_flipped_kernel_plus_bias() {
    // A unit impulse at (1, 1) of a 4×4 single-channel image: output (y, x) reads input
    // (y + ky − 1, x + kx − 1), so it sees the impulse through tap (ky, kx) = (2 − y, 2 − x)
    // (the kernel rotated by 180°), and nothing beyond one pixel away.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let conv = Conv2d::<f64>::new("c", 1, 1, 4, 1.0, &mut rng);
    let mut x = vec![0.0; 16];
    x[4 + 1] = 1.0; // (1, 1)
    let mut y = vec![0.0; 16];
    conv.forward_direct(&x, 1, &mut y);
    let (w, b) = (&conv.weight.value, conv.bias.value[0]);
    for yo in 0..3 {
        for xo in 0..3 {
            // Output (yo, xo) reads input (yo + ky − 1, xo + kx − 1) = (1, 1).
            let (ky, kx) = (2 - yo, 2 - xo);
            assert!((y[yo * 4 + xo] - (w[ky * 3 + kx] + b)).abs() < 1e-15);
        }
    }
    assert_eq!(y[3 * 4 + 3], b, "out of the impulse's reach: bias only");
}

#[test]
fn whole_conv_models_gradients() {
    // Five rows: more than one block of layer 1 (the model processes 4 images at a time and
    // recomputes each block in the backward pass).
    let rows = 5;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x = random_vec(&mut rng, rows * 1296, 0.0, 1.0, 0.5);
    let l1 = [1u8, 7, 3, 3, 0];
    let l2 = [0u8, 9, 2, 5, 5];
    for kind in ModelKind::CONV {
        let mut net = ConvModel::<f64>::new(kind, 11);
        let threshold = match kind {
            ModelKind::HhConv => 2.3,
            ModelKind::CnnConv => 0.5,
            _ => 0.3,
        };
        net.set_spike(SpikeFn::Sigmoid {
            threshold,
            slope: 2.0,
        });
        net.set_steps(3);
        if let ConvHidden::Hh(cells, _) = &mut net.hidden {
            // The detached backward pass is checked against its own frozen-current
            // forward map in gradcheck.rs; here the whole model's chain rule is checked.
            cells.iter_mut().for_each(|c| c.detach_ionic = false);
        }
        loss_and_grad(&mut net, &x, &l1, &l2);
        let grads: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
        let names: Vec<String> = net.params().iter().map(|p| p.name.clone()).collect();
        let mut sampler = ChaCha8Rng::seed_from_u64(3);
        for (pi, name) in names.iter().enumerate() {
            let n = grads[pi].len();
            for _ in 0..3 {
                let k = sampler.random_range(0..n);
                let eval = |net: &mut ConvModel<f64>, delta: f64| {
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
