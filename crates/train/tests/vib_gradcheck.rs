//! Finite-difference gradient check of the whole VIB model (Fig. 5d) for each spiking
//! encoder, in f64: loss CE₁ + CE₂ + β·mean KL with a fixed ε, smooth spike function (see
//! `gradcheck.rs` for why), T = 4, a small Z, sampled coordinates of every parameter tensor.

use icnet_train::loss::cross_entropy;
use icnet_train::models::{VibEncoder, VibModel, CLASSES, SIGMA_SHIFT};
use icnet_train::spike::SpikeFn;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

const H: f64 = 1e-6;

fn loss_and_grad(net: &mut VibModel<f64>, x: &[f64], eps: &[f64], l1: &[u8], l2: &[u8]) -> f64 {
    for p in net.params_mut() {
        p.zero_grad();
    }
    let rows = l1.len();
    let (a, b) = net.forward(x, rows, Some(eps));
    let (h1, h2) = (cross_entropy(a, l1, CLASSES), cross_entropy(b, l2, CLASSES));
    let loss = h1.loss + h2.loss + net.beta() * net.kl_mean();
    net.backward(&h1.grad, &h2.grad);
    loss
}

#[test]
fn whole_vib_models_gradients() {
    let rows = 3;
    let z_dim = 5;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x: Vec<f64> = (0..rows * 1296)
        .map(|_| rng.random_range(0.0..1.0))
        .collect();
    let eps: Vec<f64> = (0..rows * z_dim)
        .map(|_| rng.sample(StandardNormal))
        .collect();
    let l1 = [2u8, 8, 5];
    let l2 = [1u8, 1, 6];
    for encoder in VibEncoder::ALL {
        // σ ≈ 0.007 at initialisation (s ≈ 0), and σ ≈ 1 (s ≈ 5 + ln(e − 1)): both regimes of
        // the softplus and of the KL's ln σ term.
        for unit_sigma in [false, true] {
            // A large β so the KL term's gradient is not lost next to the cross-entropies.
            let mut net = VibModel::<f64>::new(encoder, z_dim, 0.3, 17);
            if unit_sigma {
                let s1 = SIGMA_SHIFT + (std::f64::consts::E - 1.0).ln();
                for b in &mut net.stats.bias.value[z_dim..] {
                    *b += s1;
                }
            }
            let threshold = match encoder {
                VibEncoder::SLif2Hh => 2.0,
                VibEncoder::Hh => 0.2,
                VibEncoder::Lif => 0.3,
            };
            net.encoder.set_spike(SpikeFn::Sigmoid {
                threshold,
                slope: 2.0,
            });
            net.encoder.set_steps(4);
            loss_and_grad(&mut net, &x, &eps, &l1, &l2);
            let grads: Vec<Vec<f64>> = net.params().iter().map(|p| p.grad.clone()).collect();
            let names: Vec<String> = net.params().iter().map(|p| p.name.clone()).collect();
            let mut sampler = ChaCha8Rng::seed_from_u64(9);
            for (pi, name) in names.iter().enumerate() {
                let n = grads[pi].len();
                for _ in 0..6 {
                    let k = sampler.random_range(0..n);
                    let eval = |net: &mut VibModel<f64>, delta: f64| {
                        net.params_mut()[pi].value[k] += delta;
                        let loss = loss_and_grad(net, &x, &eps, &l1, &l2);
                        net.params_mut()[pi].value[k] -= delta;
                        loss
                    };
                    let fd = (eval(&mut net, H) - eval(&mut net, -H)) / (2.0 * H);
                    let g = grads[pi][k];
                    let scale = 1.0 + g.abs().max(fd.abs());
                    assert!(
                        (g - fd).abs() <= 1e-5 * scale,
                        "{encoder} (σ≈1: {unit_sigma}) {name}[{k}]: backward {g:e} vs central difference {fd:e}"
                    );
                }
            }
        }
    }
}

#[test]
fn kl_gradient_alone_matches_central_differences() {
    // Heads zeroed → the cross-entropies are constant (ln 10 each) and only β·KL moves.
    let rows = 2;
    let z_dim = 4;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let x: Vec<f64> = (0..rows * 1296)
        .map(|_| rng.random_range(0.0..1.0))
        .collect();
    let eps: Vec<f64> = (0..rows * z_dim)
        .map(|_| rng.sample(StandardNormal))
        .collect();
    let mut net = VibModel::<f64>::new(VibEncoder::Lif, z_dim, 1.0, 3);
    net.encoder.set_spike(SpikeFn::Sigmoid {
        threshold: 0.3,
        slope: 2.0,
    });
    net.encoder.set_steps(3);
    for head in [&mut net.heads.head1, &mut net.heads.head2] {
        head.weight.value.iter_mut().for_each(|w| *w = 0.0);
    }
    let (l1, l2) = ([0u8, 4], [9u8, 3]);
    loss_and_grad(&mut net, &x, &eps, &l1, &l2);
    let grad = net.stats.bias.grad.clone();
    for (k, &g) in grad.iter().enumerate() {
        let eval = |net: &mut VibModel<f64>, d: f64| {
            net.stats.bias.value[k] += d;
            let l = loss_and_grad(net, &x, &eps, &l1, &l2);
            net.stats.bias.value[k] -= d;
            l
        };
        let fd = (eval(&mut net, H) - eval(&mut net, -H)) / (2.0 * H);
        assert!(
            (g - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
            "stats.bias[{k}]: {g} vs {fd}"
        );
        assert!(g != 0.0, "the KL term has a gradient on every µ and s");
    }
}
