//! The backward passes' held-slab drive gradient (`DriveGradLayout::Held`) is the per-step
//! drive gradient folded onto the slabs — step by step in ascending order, from zero — bit
//! for bit, for every cell; and the summed layout is unchanged by the sink.

use icnet_train::cells::{
    CompartmentGrad, Drive, DriveGradLayout, HhCell, HhGating, HhTape, LifCell, LifTape,
    SLif2HhCell, SLif2HhTape, SpikeGrad,
};
use icnet_train::spike::SpikeFn;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Per-step gradients `T × len` summed onto slabs of `hold` steps, ascending, from zero.
fn fold(per_step: &[f32], steps: usize, len: usize, hold: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; steps.div_ceil(hold) * len];
    for t in 0..steps {
        let dst = &mut out[t / hold * len..(t / hold + 1) * len];
        for (d, &g) in dst.iter_mut().zip(&per_step[t * len..(t + 1) * len]) {
            *d += g;
        }
    }
    out
}

/// `T × len` values, one element per step summed in reverse time, from zero.
fn sum_reverse(per_step: &[f32], steps: usize, len: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; len];
    for t in (0..steps).rev() {
        for (d, &g) in out.iter_mut().zip(&per_step[t * len..(t + 1) * len]) {
            *d += g;
        }
    }
    out
}

fn random(rng: &mut ChaCha8Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn held_and_summed_drive_gradients_are_folds_of_the_per_step_one(
        neurons in 1usize..12,
        rows in 1usize..4,
        steps in 1usize..10,
        hold in 1usize..5,
        seed in 0u64..1000,
    ) {
        let len = neurons * rows;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let drive = random(&mut rng, steps * len, -1.0, 3.0);
        let g_spikes = random(&mut rng, steps * len, -1.0, 1.0);
        let grad = SpikeGrad::PerStep(&g_spikes);
        let held_len = steps.div_ceil(hold) * len;
        let check = |per_step: &[f32], held: &[f32], summed: &[f32]| {
            assert_eq!(held, &fold(per_step, steps, len, hold)[..]);
            assert_eq!(summed, &sum_reverse(per_step, steps, len)[..]);
        };

        let lif = LifCell { decay: 0.2f32, spike: SpikeFn::rect(0.3, 0.5) };
        let mut tape = LifTape::default();
        lif.forward(Drive::PerStep(&drive), steps, len, &mut tape, &mut vec![0.0; len]);
        let (mut per, mut held, mut sum) = (vec![0.0; steps * len], vec![0.0; held_len], vec![0.0; len]);
        lif.backward(&tape, grad, &mut per);
        lif.backward_into(&tape, grad, DriveGradLayout::Held(hold), &mut held);
        lif.backward(&tape, grad, &mut sum);
        check(&per, &held, &sum);

        for gating in [
            HhGating::constant_uniform(neurons, 0.01, &mut rng),
            HhGating::VoltageDependent,
        ] {
            let hh = HhCell::reference(neurons, 0.01, SpikeFn::rect(0.2, 0.3), gating);
            let mut tape = HhTape::default();
            let big: Vec<f32> = drive.iter().map(|v| 40.0 * v).collect();
            hh.forward(Drive::PerStep(&big), steps, len, &mut tape, &mut vec![0.0; len]);
            let (mut per, mut held, mut sum) = (vec![0.0; steps * len], vec![0.0; held_len], vec![0.0; len]);
            hh.backward(&tape, grad, &mut per);
            hh.backward_into(&tape, grad, DriveGradLayout::Held(hold), &mut held);
            hh.backward(&tape, grad, &mut sum);
            check(&per, &held, &sum);
        }

        let cell = SLif2HhCell { decay: 0.5f32, spike: SpikeFn::rect(1.0, 0.4) };
        let mix = [0.3f32, 0.2, 0.4, 0.1];
        let drives: Vec<Vec<f32>> = (0..3).map(|_| random(&mut rng, steps * len, -1.0, 3.0)).collect();
        let mut tape = SLif2HhTape::default();
        let per_step: [Drive<'_, f32>; 3] = std::array::from_fn(|k| Drive::PerStep(&drives[k]));
        cell.forward(per_step, &mix, steps, len, &mut tape, None);
        let g4: Vec<Vec<f32>> = (0..4).map(|_| random(&mut rng, steps * len, -1.0, 1.0)).collect();
        let spikes: [SpikeGrad<'_, f32>; 4] = std::array::from_fn(|c| SpikeGrad::PerStep(&g4[c]));
        let run = |layout: DriveGradLayout, n: usize| {
            let mut outs = [vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]];
            let mut gmix = vec![0.0f32; 4];
            let [a, b, c] = &mut outs;
            cell.backward_into(
                &tape,
                &mix,
                CompartmentGrad::Spikes(spikes),
                [layout; 3],
                [a, b, c],
                &mut gmix,
            );
            (outs, gmix)
        };
        let (per, gmix_per) = run(DriveGradLayout::PerStep, steps * len);
        let (held, gmix_held) = run(DriveGradLayout::Held(hold), held_len);
        let (sum, gmix_sum) = run(DriveGradLayout::Summed, len);
        for c in 0..3 {
            check(&per[c], &held[c], &sum[c]);
        }
        prop_assert_eq!(&gmix_per, &gmix_held);
        prop_assert_eq!(&gmix_per, &gmix_sum);
    }
}

#[test]
fn a_held_gradient_buffer_of_the_wrong_length_is_a_clear_panic() {
    let lif = LifCell {
        decay: 0.2f32,
        spike: SpikeFn::rect(0.3, 0.5),
    };
    let mut tape = LifTape::default();
    lif.forward(Drive::PerStep(&[1.0; 15]), 5, 3, &mut tape, &mut [0.0; 3]);
    let g = [0.5f32; 3];
    let result = std::panic::catch_unwind(move || {
        let mut out = vec![0.0f32; 5 * 3];
        lif.backward_into(
            &tape,
            SpikeGrad::Uniform(&g),
            DriveGradLayout::Held(2),
            &mut out,
        );
    });
    let message = result.expect_err("3 slabs × 3 units, not 15 values");
    let text = message
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| message.downcast_ref::<&str>().copied())
        .unwrap_or("");
    assert!(
        text.contains("drive-gradient buffer has the wrong length"),
        "{text}"
    );
}
