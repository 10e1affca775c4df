//! The SAC speed benchmark (issue 6): wall time of one update — critic step, actor step,
//! target update — with batch 64, window 5 × 3, on the double pendulum's observation (9
//! values, 1 action), in `f32`.

use super::actor::ActorKind;
use super::agent::{Sac, SacConfig};
use super::buffer::{Batch, ReplayBuffer};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// Observation length of the benchmark (InvertedDoublePendulum-v5).
pub const OBS_LEN: usize = 9;

/// Result of [`bench_update`].
#[derive(Clone, Debug, Serialize)]
pub struct SacBenchReport {
    /// Actor id.
    pub actor: String,
    /// Mini-batch size.
    pub batch: usize,
    /// Observations per window.
    pub window: usize,
    /// Steps per observation.
    pub repeat: usize,
    /// Hidden units of the actor.
    pub units: usize,
    /// Observation length.
    pub obs_len: usize,
    /// Timed updates.
    pub updates: usize,
    /// Median wall time of one update, ms.
    pub ms_per_update: f64,
    /// Mean wall time of one update, ms.
    pub mean_ms_per_update: f64,
    /// Matrix-product FLOPs per update.
    pub gemm_mflop_per_update: f64,
    /// Share of the wall time spent in matrix products.
    pub gemm_time_fraction: f64,
    /// Achieved GFLOP/s inside the matrix products.
    pub gemm_gflops: f64,
}

/// Times `updates` SAC updates (after a few warm-up ones) on random transitions; reports
/// the median.
pub fn bench_update(kind: ActorKind, config: SacConfig, updates: usize) -> SacBenchReport {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let window_len = config.window * OBS_LEN;
    let mut buffer = ReplayBuffer::new(4096, window_len, 1);
    for _ in 0..4096 {
        let w: Vec<f32> = (0..window_len)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let n: Vec<f32> = (0..window_len)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let a = [rng.random_range(-1.0f32..1.0)];
        buffer.push(
            &w,
            &a,
            rng.random_range(-5.0..5.0),
            &n,
            rng.random_bool(0.05),
        );
    }
    let units = kind.units(config.units);
    let (batch_size, window, repeat) = (config.batch, config.window, config.repeat);
    let mut sac = Sac::<f32>::new(kind, OBS_LEN, 1, config, 1);
    let mut batch = Batch::default();
    for _ in 0..5 {
        buffer.sample(batch_size, &mut rng, &mut batch);
        sac.update(&batch, &mut rng);
    }
    let mut times = Vec::with_capacity(updates);
    icnet_train::linalg::start_counting();
    for _ in 0..updates.max(1) {
        buffer.sample(batch_size, &mut rng, &mut batch);
        let start = Instant::now();
        sac.update(&batch, &mut rng);
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let gemm = icnet_train::linalg::stop_counting();
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let total_ms: f64 = times.iter().sum();
    times.sort_by(f64::total_cmp);
    SacBenchReport {
        actor: kind.id().to_string(),
        batch: batch_size,
        window,
        repeat,
        units,
        obs_len: OBS_LEN,
        updates: times.len(),
        ms_per_update: times[times.len() / 2],
        mean_ms_per_update: mean,
        gemm_mflop_per_update: gemm.flops as f64 / 1e6 / times.len() as f64,
        gemm_time_fraction: gemm.nanos as f64 / 1e6 / total_ms,
        gemm_gflops: gemm.gflops(),
    }
}
