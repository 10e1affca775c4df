//! Tests of the nearest-neighbour estimators on distributions with known mutual information.
//!
//! Cross-check done once by hand (not part of the suite, which must not need Python): on
//! N = 1500 samples written from these generators (KSG at ρ = 0.5 and 0.9, Ross on the
//! 1-D and 4-D mixtures at µ = 1, k = 3), the private functions `_compute_mi_cc` and
//! `_compute_mi_cd` of the pip package scikit-learn 1.9.1 (and, for 4-D, the same formula
//! over its Chebyshev `NearestNeighbors`/`KDTree`) gave 0.147982221908, 0.809970336105,
//! 0.370602996321 and 0.306709481072 nats — equal to ours in all 12 printed digits.

use super::*;
use crate::AnalysisError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// N pairs (x, y) of standard normals with correlation ρ: I = −½ log₂(1 − ρ²).
fn correlated_gaussians(n: usize, rho: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let c = (1.0 - rho * rho).sqrt();
    (0..n)
        .map(|_| {
            let a: f64 = rng.sample(StandardNormal);
            let b: f64 = rng.sample(StandardNormal);
            (a, rho * a + c * b)
        })
        .unzip()
}

/// N samples of a label uniform on {0, 1} and x | y ~ N(±µ e₁, I_dim) in `dim` dimensions.
fn gaussian_mixture(n: usize, mu: f64, dim: usize, seed: u64) -> (Vec<f64>, Vec<i64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Vec::with_capacity(n * dim);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let label: i64 = rng.random_range(0..2);
        let sign = if label == 0 { -1.0 } else { 1.0 };
        for d in 0..dim {
            let z: f64 = rng.sample(StandardNormal);
            x.push(if d == 0 { sign * mu + z } else { z });
        }
        y.push(label);
    }
    (x, y)
}

/// I(X;Y) in bits for Y uniform on {±1}, X | Y ~ N(Yµ, 1), by Simpson's rule:
/// I = ∫ φ(x − µ) log₂(2 / (1 + e^{−2µx})) dx (by symmetry of the two components).
fn mixture_reference_bits(mu: f64) -> f64 {
    let (lo, hi, m) = (mu - 12.0, mu + 12.0, 4000);
    let h = (hi - lo) / m as f64;
    let f = |x: f64| {
        let phi = (-(x - mu) * (x - mu) / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        phi * (2.0 / (1.0 + (-2.0 * mu * x).exp())).log2()
    };
    let mut sum = f(lo) + f(hi);
    for i in 1..m {
        sum += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

#[test]
fn mixture_reference_limits() {
    // µ = 0: independent, 0 bits; µ large: the label is read off x exactly, 1 bit.
    assert!(mixture_reference_bits(0.0).abs() < 1e-12);
    assert!((mixture_reference_bits(8.0) - 1.0).abs() < 1e-9);
    let one = mixture_reference_bits(1.0);
    assert!(one > 0.3 && one < 0.7, "{one}");
}

/// Mean and sd of an estimator over `seeds`, to justify the tolerances below.
#[allow(dead_code)]
fn spread(f: impl Fn(u64) -> f64, seeds: u64) -> (f64, f64) {
    let v: Vec<f64> = (0..seeds).map(f).collect();
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt();
    (m, s)
}

#[test]
#[ignore = "exploration: prints the spread over seeds that the tolerances rest on"]
fn print_spreads() {
    for rho in [0.0, 0.5, 0.9, 0.99] {
        let (m, s) = spread(
            |seed| {
                let (x, y) = correlated_gaussians(2000, rho, seed);
                ksg_mi(&x, 1, &y, 1, 3, None).unwrap().bits
            },
            20,
        );
        let truth = -0.5 * (1.0 - rho * rho).log2();
        println!("KSG rho {rho}: truth {truth:.4} mean {m:.4} sd {s:.4}");
    }
    for (mu, dim, n) in [
        (0.0, 1, 2000),
        (1.0, 1, 2000),
        (1.0, 4, 2000),
        (1.0, 4, 4000),
        (2.0, 1, 2000),
    ] {
        let (m, s) = spread(
            |seed| {
                let (x, y) = gaussian_mixture(n, mu, dim, seed);
                mixed_mi(&x, dim, &y, 3, None).unwrap().bits
            },
            20,
        );
        let truth = mixture_reference_bits(mu);
        println!("Ross n {n} mu {mu} dim {dim}: truth {truth:.4} mean {m:.4} sd {s:.4}");
    }
    let (m, s) = spread(
        |seed| {
            let (x, y) = independent_blocks(2000, seed);
            ksg_mi(&x, 2, &y, 2, 3, None).unwrap().bits
        },
        10,
    );
    println!("KSG 2+2 blocks: truth 1.0589 mean {m:.4} sd {s:.4}");
}

// Spread measured with `print_spreads` (20 seeds each, N = 2000, k = 3, bits; the dev profile):
// KSG ρ = 0: mean −0.0012, sd 0.023; ρ = 0.5 (truth 0.2075): 0.2030, sd 0.033;
// ρ = 0.9 (truth 1.1980): 1.2002, sd 0.037; ρ = 0.99 (truth 2.8255, 10 seeds): 2.8414, sd 0.037;
// 2+2-dimensional blocks (truth 1.0589, 10 seeds): 1.0470, sd 0.034.
// Ross µ = 0: −0.0027, sd 0.015; µ = 1 (truth 0.4859): 0.4849, sd 0.022; µ = 2 (truth
// 0.9128): 0.9145, sd 0.013; µ = 1 in 4 dimensions (3 pure-noise): 0.5122, sd 0.023 at
// N = 2000 (10 seeds) and 0.5009, sd 0.009 at N = 4000 — a finite-sample bias that shrinks with N.
// The tests average 4 seeds (sd of the mean = sd/2) and allow 3 such sd plus, in 4 dimensions,
// the measured bias.

/// Mean estimate over seeds 100..100+count (seeds distinct from the exploration's).
fn mean_over_seeds(count: u64, f: impl Fn(u64) -> f64) -> f64 {
    (100..100 + count).map(f).sum::<f64>() / count as f64
}

/// Asserts that KSG on 4 seeds of N = 2000 correlated Gaussians is within `tol` bits of
/// −½ log₂(1 − ρ²).
fn check_ksg_gaussian(rho: f64, tol: f64) {
    let truth = -0.5 * (1.0 - rho * rho).log2();
    let est = mean_over_seeds(4, |seed| {
        let (x, y) = correlated_gaussians(2000, rho, seed);
        ksg_mi(&x, 1, &y, 1, 3, None).unwrap().bits
    });
    assert!((est - truth).abs() < tol, "ρ {rho}: {est} vs {truth}");
}

#[test]
fn ksg_independent_gaussians_give_zero() {
    check_ksg_gaussian(0.0, 0.035);
}

#[test]
fn ksg_gaussians_at_rho_one_half() {
    check_ksg_gaussian(0.5, 0.05);
}

#[test]
fn ksg_gaussians_at_rho_nine_tenths() {
    check_ksg_gaussian(0.9, 0.056);
}

/// X = (x₁, x₂), Y = (y₁, y₂) with (x₁, y₁) at ρ = 0.8 and (x₂, y₂) at ρ = 0.6, the blocks
/// independent (seeds 2·seed and 2·seed + 1).
fn independent_blocks(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let (x1, y1) = correlated_gaussians(n, 0.8, 2 * seed);
    let (x2, y2) = correlated_gaussians(n, 0.6, 2 * seed + 1);
    let x = x1.iter().zip(&x2).flat_map(|(a, b)| [*a, *b]).collect();
    let y = y1.iter().zip(&y2).flat_map(|(a, b)| [*a, *b]).collect();
    (x, y)
}

#[test]
fn ksg_adds_over_independent_blocks() {
    // I = ½log₂(1/0.36) + ½log₂(1/0.64) = 1.0589 bits. Measured over 10 seeds at N = 2000:
    // mean 1.0470, sd 0.034 (bias −0.012); 4 seeds → sd of the mean 0.017; allow bias + 3 sd.
    let truth = -0.5 * (0.36f64.log2() + 0.64f64.log2());
    let est = mean_over_seeds(4, |seed| {
        let (x, y) = independent_blocks(2000, seed);
        let e = ksg_mi(&x, 2, &y, 2, 3, None).unwrap();
        assert_eq!(e.tied_points, 0);
        e.bits
    });
    assert!((est - truth).abs() < 0.065, "{est} vs {truth}");
}

/// Asserts that Ross's estimator on 4 seeds of N = 2000 mixture samples is within `tol` bits
/// of the numerically integrated truth.
fn check_mixture(mu: f64, dim: usize, tol: f64) {
    let truth = mixture_reference_bits(mu);
    let est = mean_over_seeds(4, |seed| {
        let (x, y) = gaussian_mixture(2000, mu, dim, seed);
        mixed_mi(&x, dim, &y, 3, None).unwrap().bits
    });
    assert!(
        (est - truth).abs() < tol,
        "µ {mu} dim {dim}: {est} vs {truth}"
    );
}

#[test]
fn mixed_independent_label_gives_zero() {
    check_mixture(0.0, 1, 0.025);
}

#[test]
fn mixed_overlapping_mixture() {
    check_mixture(1.0, 1, 0.035);
}

#[test]
fn mixed_separated_mixture() {
    check_mixture(2.0, 1, 0.02);
}

#[test]
fn mixed_mixture_with_three_noise_dimensions() {
    // Measured bias +0.026 at N = 2000 plus 3 sd of a 4-seed mean (0.012).
    check_mixture(1.0, 4, 0.065);
}

#[test]
fn mixed_on_count_data_needs_and_uses_jitter() {
    // Counts: label 0 → Binomial(15, 0.2) per unit, label 1 → Binomial(15, 0.6), 3 units.
    // Without jitter most neighbourhoods are ties; with it the estimate is finite, seeded, and
    // close to the plug-in MI of the (few-valued) first unit's code as a lower bound check:
    // the vector carries at least as much as one unit, and at most H(Y) = 1 bit.
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let n = 1500;
    let mut x = Vec::with_capacity(3 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let label: i64 = rng.random_range(0..2);
        let p = if label == 0 { 0.2 } else { 0.6 };
        for _ in 0..3 {
            x.push((0..15).filter(|_| rng.random::<f64>() < p).count() as f64);
        }
        y.push(label);
    }
    let raw = mixed_mi(&x, 3, &y, 3, None).unwrap();
    assert!(raw.tied_points > n / 2, "counts tie: {}", raw.tied_points);
    let jitter = TieJitter::new(4);
    let a = mixed_mi(&x, 3, &y, 3, Some(&jitter)).unwrap();
    let b = mixed_mi(&x, 3, &y, 3, Some(&jitter)).unwrap();
    assert_eq!(a, b, "seeded jitter is reproducible");
    assert_eq!(a.tied_points, 0);
    let first: Vec<i64> = x.iter().step_by(3).map(|v| *v as i64).collect();
    let one_unit = discrete_mi(&first, &y).unwrap().miller_madow_bits;
    assert!(
        a.bits > one_unit - 0.05 && a.bits < 1.0 + 0.05,
        "{} vs one unit {one_unit}",
        a.bits
    );
}

#[test]
fn estimates_do_not_depend_on_the_thread_count() {
    let (x, y) = correlated_gaussians(600, 0.7, 3);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| ksg_mi(&x, 1, &y, 1, 4, None).unwrap())
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn knn_input_errors_say_what_to_fix() {
    let e = ksg_mi(&[1.0, 2.0, 3.0], 1, &[1.0, 2.0], 1, 1, None).unwrap_err();
    assert!(matches!(e, AnalysisError::LengthMismatch { .. }), "{e}");
    let e = ksg_mi(&[1.0, 2.0, 3.0], 1, &[1.0, 2.0, 3.0], 1, 3, None).unwrap_err();
    assert!(e.to_string().contains("lower k"), "{e}");
    let e = ksg_mi(&[1.0], 1, &[1.0], 1, 0, None).unwrap_err();
    assert!(e.to_string().contains("k is 0"), "{e}");
    let e = mixed_mi(&[1.0, 2.0, 3.0, 4.0, 5.0], 1, &[0, 0, 0, 1, 1], 2, None).unwrap_err();
    assert!(e.to_string().contains("label 1"), "{e}");
    let e = mixed_mi(&[1.0, f64::NAN], 1, &[0, 0], 1, None).unwrap_err();
    assert!(
        matches!(e, AnalysisError::NonFinite { index: 1, .. }),
        "{e}"
    );
}

#[test]
#[ignore = "timing at the hidden-layer size"]
fn time_mixed_on_a_hidden_layer() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for n in [1000usize, 2000] {
        let dim = 512;
        let y: Vec<i64> = (0..n).map(|_| rng.random_range(0..10)).collect();
        let x: Vec<f64> = (0..n * dim)
            .map(|i| {
                (0..15)
                    .filter(|_| rng.random::<f64>() < 0.1 + 0.02 * y[i / dim] as f64)
                    .count() as f64
            })
            .collect();
        let t = std::time::Instant::now();
        let e = mixed_mi(&x, dim, &y, 3, Some(&TieJitter::new(0))).unwrap();
        println!(
            "n {n} dim {dim}: {:.3} bits in {:.2} s",
            e.bits,
            t.elapsed().as_secs_f64()
        );
    }
}
