//! Robustness to noise (Fig. 4h, 4i; table `robustness`): degradation and normalised area
//! under the score–noise curve per seed, summaries and bootstrap intervals over seeds, a
//! ranking of models, and fresh per-image test noise for the probe the paper did not run.

pub mod curve;
pub mod noise;
pub mod sweep;

pub use curve::{degradation, normalised_auc, Degradation};
pub use noise::{add_fresh_gaussian_noise_batch, fresh_gaussian_noise, IMAGE_PIXELS};
pub use sweep::{
    analyse_robustness, bootstrap_mean_ci95, BootstrapConfig, ModelCurves, ModelRobustness,
    NoiseSweep, RankEntry, RobustnessReport,
};
