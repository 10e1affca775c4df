//! The robustness analysis reads Fig. 4c/4h runs: only seeds with a run at every noise
//! amplitude form a curve, and a run's score is the mean accuracy of its two tasks.

use icnet_data::DatasetKind;
use icnet_pipeline::experiments::multitask::{Finished, MultitaskConfig};
use icnet_pipeline::experiments::robustness::{curves, seed_curves};
use icnet_pipeline::registry::{RunRecord, RunSpec};
use icnet_train::trainer::TrainConfig;
use icnet_train::ModelKind;

const AMPLITUDES: [f32; 4] = [0.0, 25.0, 50.0, 75.0];

fn run(model: ModelKind, seed: u64, amplitude: f32, acc1: f64, acc2: f64) -> Finished {
    let config = MultitaskConfig {
        dataset: DatasetKind::MultiFashionMnist,
        source: "test".into(),
        n_train: 10,
        n_test: 10,
        data_seed: 0,
        noise_amplitude: amplitude,
        noise_seed: 0,
        train: TrainConfig::reference(model, seed),
        fresh_noise: Vec::new(),
    };
    let spec = RunSpec {
        experiment: "fig4h".into(),
        label: "test".into(),
        config: serde_json::to_value(&config).unwrap(),
        seed,
        data_checksums: Default::default(),
    };
    Finished {
        config,
        acc1,
        acc2,
        record: RunRecord {
            format: 1,
            hash: "h".into(),
            spec,
            source_hash: "test".into(),
            tool_version: "test".into(),
            wall_time_s: 0.0,
            threads: 1,
            summary: serde_json::json!({}),
            files: vec![],
            dir: Default::default(),
        },
    }
}

#[test]
fn only_complete_sweeps_form_curves_and_scores_average_both_tasks() {
    let mut runs = Vec::new();
    for (i, &a) in AMPLITUDES.iter().enumerate() {
        runs.push(run(ModelKind::HhFc, 0, a, 80.0 - i as f64, 70.0 - i as f64));
        if a != 50.0 {
            // Seed 1 misses A = 50: it must not form a curve.
            runs.push(run(ModelKind::HhFc, 1, a, 90.0, 90.0));
        }
    }
    runs.push(run(ModelKind::LifFc, 0, 0.0, 50.0, 50.0));
    let by_seed = seed_curves(&runs, ModelKind::HhFc, &AMPLITUDES);
    assert_eq!(by_seed.len(), 1, "{by_seed:?}");
    assert_eq!(by_seed[&0], vec![75.0, 74.0, 73.0, 72.0]);
    let all = curves(&runs, &[ModelKind::HhFc, ModelKind::LifFc], &AMPLITUDES);
    assert_eq!(all.len(), 1, "lif-fc has no complete sweep");
    assert_eq!(all[0].model, "hh-fc");
    assert_eq!(all[0].scores, vec![vec![75.0, 74.0, 73.0, 72.0]]);
}

#[test]
fn fresh_noise_curves_start_at_the_clean_score_and_need_every_probe_amplitude() {
    use icnet_pipeline::experiments::robustness::{fresh_curves, fresh_seed_curves};
    let probe = |points: &[(f32, f64, f64)]| {
        serde_json::json!({
            "fresh_noise": points
                .iter()
                .map(|&(amplitude, acc1, acc2)| serde_json::json!({"amplitude": amplitude, "acc1": acc1, "acc2": acc2}))
                .collect::<Vec<_>>()
        })
    };
    let mut complete = run(ModelKind::HhFc, 0, 0.0, 80.0, 60.0);
    complete.record.summary = probe(&[(25.0, 70.0, 50.0), (50.0, 60.0, 40.0), (75.0, 50.0, 30.0)]);
    // Seed 1 lacks A = 75; a run trained with the fixed noise (A = 25) is not a clean model.
    let mut partial = run(ModelKind::HhFc, 1, 0.0, 90.0, 90.0);
    partial.record.summary = probe(&[(25.0, 80.0, 80.0), (50.0, 70.0, 70.0)]);
    let mut noisy = run(ModelKind::HhFc, 2, 25.0, 90.0, 90.0);
    noisy.record.summary = probe(&[(25.0, 80.0, 80.0), (50.0, 70.0, 70.0), (75.0, 1.0, 1.0)]);
    let unprobed = run(ModelKind::LifFc, 0, 0.0, 50.0, 50.0);
    let runs = vec![complete, partial, noisy, unprobed];
    let by_seed = fresh_seed_curves(&runs, ModelKind::HhFc, &AMPLITUDES).unwrap();
    assert_eq!(by_seed.len(), 1, "{by_seed:?}");
    assert_eq!(by_seed[&0], vec![70.0, 60.0, 50.0, 40.0]);
    let all = fresh_curves(&runs, &[ModelKind::HhFc, ModelKind::LifFc], &AMPLITUDES).unwrap();
    assert_eq!(all.len(), 1, "lif-fc ran no probe");
    // A malformed probe record is an error, not a silently missing curve.
    let mut bad = run(ModelKind::LifFc, 0, 0.0, 50.0, 50.0);
    bad.record.summary = serde_json::json!({"fresh_noise": [{"amplitude": "loud"}]});
    assert!(fresh_seed_curves(&[bad], ModelKind::LifFc, &AMPLITUDES).is_err());
}
