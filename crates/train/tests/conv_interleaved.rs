//! The image-interleaved convolution paths against the register-blocked direct path and
//! the im2col + GEMM reference: forward bit-identical (same operations in the same
//! order), weight gradients equal to rounding, for batch sizes that fill, split and
//! undershoot the 8-image blocks.

use icnet_train::conv::Conv2d;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Pooled-spike-like inputs (multiples of ¼) or signed reals.
fn inputs(rng: &mut ChaCha8Rng, n: usize, pooled: bool) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if pooled {
                rng.random_range(0..5) as f64 * 0.25
            } else {
                rng.random_range(-1.0..1.0)
            }
        })
        .collect()
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn interleaved_forward_equals_the_direct_path_bit_for_bit(
        images in prop::sample::select(vec![1usize, 3, 8, 9, 17]),
        half in 1usize..5,
        c_in in prop::sample::select(vec![1usize, 2, 3, 10]),
        c_out in prop::sample::select(vec![1usize, 3, 10, 12, 20, 40]),
        pooled in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let side = 2 * half;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let conv64 = Conv2d::<f64>::new("c", c_in, c_out, side, 1.0, &mut rng);
        let x = inputs(&mut rng, images * conv64.in_len(), pooled);
        // f64 (the portable loop) and f32 (the vector loop) against their direct paths.
        let (mut a, mut b) = (vec![0.0; images * conv64.out_len()], vec![1.0; images * conv64.out_len()]);
        conv64.forward_direct(&x, images, &mut a);
        conv64.forward_interleaved(&x, images, &mut b);
        prop_assert!(a == b, "f64 paths differ");
        let mut conv32 = Conv2d::<f32>::new("c", c_in, c_out, side, 1.0, &mut rng);
        conv32.weight.value = to_f32(&conv64.weight.value);
        conv32.bias.value = to_f32(&conv64.bias.value);
        let x32 = to_f32(&x);
        let (mut a, mut b) = (vec![0.0f32; a.len()], vec![1.0f32; b.len()]);
        conv32.forward_direct(&x32, images, &mut a);
        conv32.forward_interleaved(&x32, images, &mut b);
        prop_assert!(a == b, "f32 paths differ");
        // And the reference agrees with both to rounding.
        let (mut dense, mut cols) = (vec![0.0; a.len()], Vec::new());
        conv64.forward_dense(&x, images, &mut dense, &mut cols);
        for (r, &v) in dense.iter().zip(&b) {
            prop_assert!((r - v as f64).abs() <= 1e-5 * (1.0 + r.abs()), "reference {r} vs interleaved {v}");
        }
    }

    #[test]
    fn interleaved_weight_gradient_matches_the_reference(
        images in prop::sample::select(vec![1usize, 3, 8, 9, 17]),
        half in 1usize..5,
        c_in in prop::sample::select(vec![1usize, 2, 3, 10]),
        c_out in prop::sample::select(vec![1usize, 3, 10, 12, 40]),
        seed in 0u64..1000,
    ) {
        let side = 2 * half;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut conv64 = Conv2d::<f64>::new("c", c_in, c_out, side, 1.0, &mut rng);
        let x = inputs(&mut rng, images * conv64.in_len(), true);
        let gy = inputs(&mut rng, images * conv64.out_len(), false);
        let mut conv32 = Conv2d::<f32>::new("c", c_in, c_out, side, 1.0, &mut rng);
        conv32.weight.value = to_f32(&conv64.weight.value);
        // A gradient already there is added to, not overwritten.
        conv32.weight.grad.iter_mut().for_each(|g| *g = 0.5);
        conv64.weight.grad.iter_mut().for_each(|g| *g = 0.5);
        let mut cols = Vec::new();
        conv64.weight_grad_dense(&x, &gy, images, &mut cols);
        let ran = conv32.weight_grad_interleaved(&to_f32(&x), &to_f32(&gy), images);
        prop_assert!(ran || !cfg!(target_feature = "avx2"), "no interleaved path with AVX2");
        if ran {
            let scale = conv64.weight.grad.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (r, &v) in conv64.weight.grad.iter().zip(&conv32.weight.grad) {
                prop_assert!((r - v as f64).abs() <= 1e-5 * scale, "reference {r} vs interleaved {v}");
            }
        }
    }
}

#[test]
fn channel_counts_without_a_pass_size_are_refused_not_miscomputed() {
    // 17 output channels: more than 12 and no divisor from 8 to 12, so no interleaved
    // forward; and no divisor from 1 to 6 other than 1 — the weight gradient takes one
    // channel per pass and still agrees with the direct path.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut conv = Conv2d::<f32>::new("c", 2, 17, 4, 1.0, &mut rng);
    let x: Vec<f32> = (0..2 * conv.in_len())
        .map(|i| (i % 5) as f32 * 0.25)
        .collect();
    let gy: Vec<f32> = (0..2 * conv.out_len())
        .map(|i| ((i % 7) as f32 - 3.0) * 0.1)
        .collect();
    let result = std::panic::catch_unwind(|| {
        let mut y = vec![0.0f32; 2 * conv.out_len()];
        conv.forward_interleaved(&x, 2, &mut y);
    });
    assert!(
        result.is_err(),
        "17 channels must be refused by the interleaved forward"
    );
    let mut direct = conv.clone();
    direct.weight_grad_direct(&x, &gy, 2);
    if conv.weight_grad_interleaved(&x, &gy, 2) {
        for (a, b) in direct.weight.grad.iter().zip(&conv.weight.grad) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "{a} vs {b}");
        }
    }
}
