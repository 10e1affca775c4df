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
