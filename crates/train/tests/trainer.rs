//! The trainer: determinism, learning on a tiny problem, and resuming a killed run from its
//! checkpoint to exactly the result of an uninterrupted one.

use icnet_data::{MultiSet, PIXELS};
use icnet_train::trainer::{train, Progress, TrainConfig, TrainData};
use icnet_train::ModelKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::AssertUnwindSafe;

/// A separable toy set: label 1 says which quadrant band is lit, label 2 its brightness class.
fn toy_set(n: usize, seed: u64) -> MultiSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut images = vec![0u8; n * PIXELS];
    let (mut label1, mut label2) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (a, b) = (rng.random_range(0..10u8), rng.random_range(0..10u8));
        let img = &mut images[i * PIXELS..(i + 1) * PIXELS];
        for r in 0..3 {
            for c in 0..36 {
                img[(a as usize * 3 + r) * 36 + c] = 200;
            }
        }
        for r in 0..36 {
            for c in 0..3 {
                img[r * 36 + b as usize * 3 + c] = img[r * 36 + b as usize * 3 + c].max(120);
            }
        }
        label1.push(a);
        label2.push(b);
    }
    MultiSet {
        n,
        images,
        label1,
        label2,
    }
}

fn config(model: ModelKind, epochs: usize) -> TrainConfig {
    let mut c = TrainConfig::reference(model, 3);
    c.epochs = epochs;
    c.batch = 32;
    c.milestones = vec![];
    c.adam.lr = 1e-3;
    c
}

#[test]
fn training_learns_a_separable_toy_problem_and_is_deterministic() {
    let (train_set, test_set) = (toy_set(320, 1), toy_set(160, 2));
    let data = TrainData {
        train: &train_set,
        test: &test_set,
        noise: None,
    };
    let c = config(ModelKind::LifFc, 4);
    let a = train(&c, data, None, &mut |_| {}).unwrap();
    let b = train(&c, data, None, &mut |_| {}).unwrap();
    let strip = |r: &icnet_train::trainer::TrainRecord| {
        r.curve
            .iter()
            .map(|e| (e.train_loss, e.test_acc1, e.test_acc2))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b), "same seed, same curve");
    let first = a.curve.first().unwrap().train_loss;
    let last = a.curve.last().unwrap();
    assert!(
        last.train_loss < 0.5 * first,
        "loss {first} → {}",
        last.train_loss
    );
    // Chance is 10 %; 40 Adam steps already separate both tasks well.
    assert!(last.test_acc1 > 75.0 && last.test_acc2 > 75.0, "{last:?}");
}

#[test]
fn a_killed_run_resumes_from_its_checkpoint_to_the_uninterrupted_result() {
    let (train_set, test_set) = (toy_set(192, 5), toy_set(64, 6));
    let data = TrainData {
        train: &train_set,
        test: &test_set,
        noise: None,
    };
    let c = config(ModelKind::SLif2HhFc, 3);
    let whole = train(&c, data, None, &mut |_| {}).unwrap();

    let dir = std::env::temp_dir().join(format!("icnet-ck-test-{}", std::process::id()));
    let path = dir.join("run.ck");
    let _ = std::fs::remove_file(&path);
    // "Kill" the run in the middle of epoch 2 (after epoch 1's checkpoint was written).
    let killed = std::panic::catch_unwind(AssertUnwindSafe(|| {
        train(&c, data, Some(&path), &mut |p| {
            if let Progress::Batch {
                epoch: 2, batch: 3, ..
            } = p
            {
                panic!("simulated kill");
            }
        })
    }));
    assert!(killed.is_err());
    assert!(path.exists(), "epoch 1 left a checkpoint");
    let resumed = train(&c, data, Some(&path), &mut |p| {
        if let Progress::Batch { epoch, .. } = p {
            assert!(epoch >= 2, "epoch 1 is not trained again");
        }
    })
    .unwrap();
    assert_eq!(resumed.resumed_epochs, 1);
    let strip = |r: &icnet_train::trainer::TrainRecord| {
        r.curve
            .iter()
            .map(|e| (e.train_loss, e.test_loss, e.test_acc1, e.test_acc2, e.steps))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(&whole),
        strip(&resumed),
        "resumed run equals the uninterrupted one"
    );

    // A checkpoint of another configuration is ignored, a corrupt one is a clear error.
    let mut other = c.clone();
    other.seed += 1;
    let fresh = train(&other, data, Some(&path), &mut |_| {}).unwrap();
    assert_eq!(fresh.resumed_epochs, 0);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = train(&other, data, Some(&path), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("corrupt") && err.contains("delete it"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The per-image noise evaluator agrees with the fixed-noise one when every image gets the
/// same pattern (on both input scales), and the network `train_network` hands back scores
/// what the last epoch of its record reports.
#[test]
fn per_image_noise_evaluation_matches_fixed_noise_and_the_returned_network_is_the_trained_one() {
    use icnet_train::trainer::{evaluate, evaluate_per_image_noise, train_network, InputScale};
    let (train_set, test_set) = (toy_set(160, 11), toy_set(300, 12));
    let data = TrainData {
        train: &train_set,
        test: &test_set,
        noise: None,
    };
    let c = config(ModelKind::LifFc, 2);
    let (record, mut net) = train_network(&c, data, None, &mut |_| {}).unwrap();
    let last = record.curve.last().unwrap();
    let clean = evaluate(net.as_mut(), &test_set, None, c.input_scale);
    assert_eq!(clean.rows, 300);
    assert_eq!(100.0 * clean.correct1 as f64 / 300.0, last.test_acc1);
    assert_eq!(100.0 * clean.correct2 as f64 / 300.0, last.test_acc2);
    let pattern = icnet_data::fixed_noise(60.0, 4);
    for scale in [InputScale::Bytes, InputScale::Unit] {
        let fixed = evaluate(net.as_mut(), &test_set, Some(&pattern), scale);
        let mut seen = Vec::new();
        let per_image = evaluate_per_image_noise(net.as_mut(), &test_set, scale, &mut |i, buf| {
            assert!(buf.iter().all(|&v| v == 0.0), "buffer starts at zero");
            seen.push(i);
            buf.copy_from_slice(&pattern);
        });
        assert_eq!(
            seen,
            (0..300).collect::<Vec<_>>(),
            "each image once, in order"
        );
        assert_eq!(
            (fixed.correct1, fixed.correct2),
            (per_image.correct1, per_image.correct2),
            "{scale:?}"
        );
        assert!((fixed.loss - per_image.loss).abs() <= 1e-9 * fixed.loss.abs().max(1.0));
    }
    // Noise that differs per image changes the result (the probe is not a no-op).
    let loud = evaluate_per_image_noise(net.as_mut(), &test_set, c.input_scale, &mut |i, buf| {
        buf.copy_from_slice(&icnet_data::fixed_noise(150.0, i as u64));
    });
    assert!(loud.loss > clean.loss, "{} vs {}", loud.loss, clean.loss);
}

/// A VIB run killed during epoch 3 resumes from the checkpoint of epoch 2 to exactly the
/// record and best-epoch spike counts of an uninterrupted run (weights, Adam and the weight
/// average all restored); a checkpoint of another configuration is ignored.
#[test]
fn a_killed_vib_run_resumes_from_its_checkpoint_to_the_uninterrupted_result() {
    use icnet_train::models::VibEncoder;
    use icnet_train::vib_trainer::{train_vib, VibConfig};
    let (train_set, test_set) = (toy_set(96, 21), toy_set(48, 22));
    let data = TrainData {
        train: &train_set,
        test: &test_set,
        noise: None,
    };
    for encoder in [VibEncoder::Lif, VibEncoder::SLif2Hh] {
        let mut c = VibConfig::reference(encoder, 4);
        c.epochs = 4;
        c.batch = 32;
        c.z_dim = 16;
        c.count_rows = 20;
        let whole = train_vib(&c, data, None, &mut |_, _, _, _| {}).unwrap();
        let dir = std::env::temp_dir().join(format!("icnet-vib-ck-{}", std::process::id()));
        let path = dir.join(format!("{encoder:?}.ckpt"));
        let _ = std::fs::remove_file(&path);
        let killed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            train_vib(&c, data, Some(&path), &mut |epoch, batch, _, _| {
                if epoch == 3 && batch == 2 {
                    panic!("killed");
                }
            })
        }));
        assert!(killed.is_err());
        let mut first_epoch = None;
        let resumed = train_vib(&c, data, Some(&path), &mut |epoch, _, _, _| {
            first_epoch.get_or_insert(epoch);
        })
        .unwrap();
        assert_eq!(first_epoch, Some(3), "{encoder:?}");
        let strip = |r: &icnet_train::vib_trainer::VibRecord| {
            r.curve
                .iter()
                .map(|e| {
                    (
                        e.train_loss,
                        e.test_acc1,
                        e.test_acc2,
                        e.test_ce1,
                        e.test_kl_nats,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&resumed.record), strip(&whole.record), "{encoder:?}");
        assert_eq!(resumed.record.best_epoch, whole.record.best_epoch);
        assert_eq!(resumed.counts, whole.counts, "{encoder:?}");
        assert_eq!(resumed.features, whole.features);
        // Another configuration's checkpoint is not used.
        let mut other = c.clone();
        other.epochs = 2;
        let mut first = None;
        train_vib(&other, data, Some(&path), &mut |epoch, _, _, _| {
            first.get_or_insert(epoch);
        })
        .unwrap();
        assert_eq!(first, Some(1));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
