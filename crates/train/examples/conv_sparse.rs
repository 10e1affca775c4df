//! Measures an event-driven (scatter) layer-2 convolution against the dense interleaved path
//! on pooled spikes of a given density, to decide whether layer 2's sparsity is worth a path
//! of its own (PAPER.md §4: the pooled layer-1 spikes take five values and are often zero).
//!
//! `cargo run --release -p icnet-train --example conv_sparse -- [C SIDE IMAGES DENSITY_PERCENT REPS]`
//! (defaults: 40 channels on 18², 128 images, 30 % non-zero, 20 repetitions). The scatter
//! path walks the non-zero inputs and adds each one's 3×3×C weights into its output
//! neighbourhood (output channels in the vector lanes); it sums in another order than the
//! dense path, so the two are compared to a relative tolerance.

use icnet_train::conv::Conv2d;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::time::Instant;

/// `y = conv(x) + b` by scattering every non-zero input; `wt` is `[ky][kx][c_in][c_out]`.
fn scatter_forward(wt: &[f32], bias: &[f32], x: &[f32], c: usize, side: usize, y: &mut [f32]) {
    let (in_len, out_len) = (side * side * c, side * side * c);
    y.par_chunks_mut(out_len)
        .zip(x.par_chunks(in_len))
        .for_each(|(out, img)| {
            for pos in out.chunks_exact_mut(c) {
                pos.copy_from_slice(bias);
            }
            for yi in 0..side {
                for xi in 0..side {
                    let pixel = &img[(yi * side + xi) * c..][..c];
                    for (ci, &v) in pixel.iter().enumerate() {
                        if v == 0.0 {
                            continue;
                        }
                        for ky in 0..3 {
                            // Input row yi reaches output row yo = yi + 1 − ky.
                            let Some(yo) = (yi + 1).checked_sub(ky).filter(|&r| r < side) else {
                                continue;
                            };
                            for kx in 0..3 {
                                let Some(xo) = (xi + 1).checked_sub(kx).filter(|&q| q < side)
                                else {
                                    continue;
                                };
                                let w = &wt[((ky * 3 + kx) * c + ci) * c..][..c];
                                let o = &mut out[(yo * side + xo) * c..][..c];
                                o.iter_mut().zip(w).for_each(|(o, &w)| *o += v * w);
                            }
                        }
                    }
                }
            }
        });
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("arguments are whole numbers"))
        .collect();
    let get = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (c, side, images, density, reps) =
        (get(0, 40), get(1, 18), get(2, 128), get(3, 30), get(4, 20));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let conv = Conv2d::<f32>::new("c", c, c, side, 1.0, &mut rng);
    // Pooled spikes: zero with probability 1 − density, else one of 1/4 … 1.
    let p = density as f64 / 100.0;
    let x: Vec<f32> = (0..images * conv.in_len())
        .map(|_| {
            if rng.random_bool(p) {
                rng.random_range(1..5) as f32 * 0.25
            } else {
                0.0
            }
        })
        .collect();
    // [c_out][ky][kx][c_in] → [ky][kx][c_in][c_out].
    let mut wt = vec![0.0f32; 9 * c * c];
    for co in 0..c {
        for k in 0..9 {
            for ci in 0..c {
                wt[(k * c + ci) * c + co] = conv.weight.value[(co * 9 + k) * c + ci];
            }
        }
    }
    let mut dense = vec![0.0f32; images * conv.out_len()];
    let mut sparse = dense.clone();
    conv.forward(&x, images, &mut dense);
    scatter_forward(&wt, &conv.bias.value, &x, c, side, &mut sparse);
    let scale = dense.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let worst = dense
        .iter()
        .zip(&sparse)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        worst <= 1e-5 * scale,
        "scatter disagrees: {worst} of {scale}"
    );
    let (mut td, mut ts) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        conv.forward(&x, images, &mut dense);
        td.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        scatter_forward(&wt, &conv.bias.value, &x, c, side, &mut sparse);
        ts.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let nonzero = x.iter().filter(|&&v| v != 0.0).count() as f64 / x.len() as f64;
    let (d, s) = (median(td), median(ts));
    println!(
        "{c}→{c} on {side}², {images} images, {:.1} % non-zero: dense {d:.3} ms, scatter {s:.3} ms, scatter/dense {:.2} (max |Δ| {worst:.1e} of {scale:.1e})",
        100.0 * nonzero,
        s / d
    );
}
