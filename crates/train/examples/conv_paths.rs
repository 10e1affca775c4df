//! Times the two direct convolution paths on the same inputs, interleaved so that a
//! drifting host load affects both alike, and checks that they agree bit for bit.
//!
//! `cargo run --release -p icnet-train --example conv_paths -- [C_IN C_OUT SIDE IMAGES REPS]`
//! (defaults: the layer-2 convolution of lif-conv on one step of a 128-image batch).

use icnet_train::conv::Conv2d;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("arguments are whole numbers"))
        .collect();
    let get = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (c_in, c_out, side, images, reps) =
        (get(0, 10), get(1, 10), get(2, 18), get(3, 128), get(4, 30));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let conv = Conv2d::<f32>::new("c", c_in, c_out, side, 1.0, &mut rng);
    // Pooled spikes: multiples of 1/4.
    let x: Vec<f32> = (0..images * conv.in_len())
        .map(|_| rng.random_range(0..5) as f32 * 0.25)
        .collect();
    let mut a = vec![0.0f32; images * conv.out_len()];
    let mut b = a.clone();
    conv.forward_direct(&x, images, &mut a);
    conv.forward_interleaved(&x, images, &mut b);
    assert!(a == b, "the two paths disagree");
    let (mut direct, mut interleaved) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        conv.forward_direct(&x, images, &mut a);
        direct.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        conv.forward_interleaved(&x, images, &mut b);
        interleaved.push(t.elapsed().as_secs_f64() * 1e3);
    }
    // Weight gradients: the interleaved path (f32) against the direct one.
    let gy: Vec<f32> = (0..images * conv.out_len())
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let (mut wd, mut wi) = (Vec::new(), Vec::new());
    let (mut cd, mut ci) = (conv.clone(), conv.clone());
    for _ in 0..reps {
        let t = Instant::now();
        cd.weight_grad_direct(&x, &gy, images);
        wd.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        assert!(
            ci.weight_grad_interleaved(&x, &gy, images),
            "no interleaved path"
        );
        wi.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let scale = cd.weight.grad.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let worst = cd
        .weight
        .grad
        .iter()
        .zip(&ci.weight.grad)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    println!(
        "weight gradients: max |direct − interleaved| / max |direct| = {:.2e}",
        worst / scale
    );
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (d, i) = (median(&mut direct), median(&mut interleaved));
    let gmac = (images * side * side * c_out * 9 * c_in) as f64 / 1e9;
    println!(
        "{c_in}->{c_out} on {side}x{side}, {images} images: direct {d:.3} ms ({:.1} GMAC/s), interleaved {i:.3} ms ({:.1} GMAC/s), ratio {:.2}",
        gmac / d * 1e3,
        gmac / i * 1e3,
        d / i
    );
    let (d, i) = (median(&mut wd), median(&mut wi));
    println!(
        "weight gradient: direct {d:.3} ms ({:.1} GMAC/s), interleaved {i:.3} ms ({:.1} GMAC/s), ratio {:.2}",
        gmac / d * 1e3,
        gmac / i * 1e3,
        d / i
    );
}
