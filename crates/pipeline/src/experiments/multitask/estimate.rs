//! How long one multi-task training run takes, for `icnet plan` (scheduler time limits and
//! load balancing).
//!
//! A run's work is its training samples (epochs × batches × batch, after `train_limit` and
//! `max_batches`) plus its per-epoch evaluations of the test set, which cost about a third
//! of a training sample each (forward only). The seconds per training sample of each model
//! were measured from the run records of a `quick` reproduction on the 2-core reference
//! machine, where two runs share the machine (one core each): mean run wall time divided by
//! the run's work, evaluation and data composition included. The estimate is that rate times
//! the run's work, with a margin of 1.5 because a scheduler kills a task that overruns.

use super::MultitaskConfig;
use crate::registry::RunSpec;
use icnet_train::ModelKind;

/// Margin over the measured rate.
pub const MARGIN: f64 = 1.5;

/// Relative cost of evaluating one test sample against training on one.
pub const EVAL_COST: f64 = 1.0 / 3.0;

/// Fixed cost of a run (data composition and loading, checkpoints), seconds.
pub const OVERHEAD_S: f64 = 2.0;

/// Measured seconds per training sample on one core (see the module documentation).
pub fn seconds_per_sample(model: ModelKind) -> f64 {
    let microseconds = match model {
        ModelKind::LifFc => 67.0,
        ModelKind::FourLifFc => 290.0,
        ModelKind::HhFc => 85.0,
        ModelKind::HhVdFc => 1_120.0,
        ModelKind::SLif2HhFc => 314.0,
        ModelKind::Ann => 48.0,
        ModelKind::LifConv => 2_730.0,
        ModelKind::FourLifConv => 20_650.0,
        ModelKind::HhConv => 3_340.0,
        ModelKind::SLif2HhConv => 6_560.0,
        ModelKind::CnnConv => 233.0,
    };
    microseconds * 1e-6
}

/// Training samples and evaluated test samples of a run.
pub fn work(config: &MultitaskConfig) -> (usize, usize) {
    let train = &config.train;
    let n_train = train
        .train_limit
        .map_or(config.n_train, |l| l.min(config.n_train));
    let batches = n_train.div_ceil(train.batch.max(1));
    let batches = train.max_batches.map_or(batches, |m| m.min(batches));
    let samples_per_epoch = (batches * train.batch).min(n_train);
    (
        train.epochs * samples_per_epoch,
        train.epochs * config.n_test,
    )
}

/// Estimated wall time of one run on one core, in seconds; `None` when the run's config is
/// not a multi-task config (the caller falls back to the profile's default guess).
pub fn estimated_seconds(run: &RunSpec) -> Option<f64> {
    let config: MultitaskConfig = serde_json::from_value(run.config.clone()).ok()?;
    let (train, test) = work(&config);
    let samples = train as f64 + EVAL_COST * test as f64;
    Some(MARGIN * (OVERHEAD_S + samples * seconds_per_sample(config.train.model)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::multitask::Scale;
    use crate::profile::Profile;
    use icnet_data::DatasetKind;
    use icnet_train::optim::AdamConfig;
    use icnet_train::trainer::{InputScale, TrainConfig};

    /// A run spec like `multitask::config` makes, without needing the raw data.
    fn spec(profile: Profile, model: ModelKind) -> RunSpec {
        let hyper = model.hyper();
        let scale = Scale::for_model(profile, model);
        let config = MultitaskConfig {
            dataset: DatasetKind::MultiMnist,
            source: "test".into(),
            n_train: scale.n_train,
            n_test: scale.n_test,
            data_seed: 0,
            noise_amplitude: 0.0,
            noise_seed: 0,
            train: TrainConfig {
                model,
                seed: 0,
                epochs: scale.epochs,
                batch: scale.batch.unwrap_or(hyper.batch),
                adam: AdamConfig::new(hyper.lr, hyper.weight_decay),
                milestones: scale.milestones,
                train_limit: None,
                max_batches: scale.max_batches,
                input_scale: InputScale::Bytes,
            },
            fresh_noise: Vec::new(),
        };
        RunSpec::new("fig4c", "test", serde_json::to_value(config).unwrap(), 0)
    }

    #[test]
    fn quick_estimates_cover_the_measured_runs_and_paper_is_much_longer() {
        // Mean quick wall times measured on the reference machine (fig4c run records):
        // lif-fc 3.6 s at 5 epochs, 4lif-conv 160 s at 2 × 25 batches; the estimate must
        // exceed them, within the margin (scaled to the profile's epochs: the work is linear
        // in the samples).
        for (model, measured, measured_epochs) in [
            (ModelKind::LifFc, 3.6, 5.0),
            (ModelKind::FourLifConv, 160.0, 2.0),
        ] {
            let epochs = Scale::for_model(Profile::Quick, model).epochs as f64;
            let measured = measured * epochs / measured_epochs;
            let quick = estimated_seconds(&spec(Profile::Quick, model)).unwrap();
            assert!(
                quick > measured && quick < 2.5 * measured,
                "{model:?}: {quick}"
            );
            let paper = estimated_seconds(&spec(Profile::Paper, model)).unwrap();
            assert!(paper > 20.0 * quick, "{model:?}: {paper} vs {quick}");
        }
    }

    #[test]
    fn other_configs_have_no_estimate() {
        let run = RunSpec::new("x", "y", serde_json::json!({"n": 1}), 0);
        assert!(estimated_seconds(&run).is_none());
    }
}
