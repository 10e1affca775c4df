//! Timing of one training step (forward, backward, Adam) — the engine's speed bar.

use crate::linalg::{self, matmul, MatRef};
use crate::models::{build, ModelKind, Network, INPUT_FEATURES};
use crate::optim::{Adam, AdamConfig};
use crate::step::{loss_and_grad, train_step};
use crate::timing;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::time::Instant;

/// What `icnet bench train` reports (milliseconds are medians over the timed steps).
#[derive(Clone, Debug, Serialize)]
pub struct TrainBench {
    /// Model id.
    pub model: String,
    /// Rows per batch.
    pub batch: usize,
    /// Time steps T.
    pub steps_t: usize,
    /// Trainable scalars.
    pub parameters: usize,
    /// Timed training steps.
    pub repeats: usize,
    /// Forward + backward + Adam update of one batch, median.
    pub ms_per_step: f64,
    /// Forward pass alone, median.
    pub forward_ms: f64,
    /// Backward pass (incl. loss) alone: step minus forward minus update, median.
    pub backward_ms: f64,
    /// Adam update alone, median.
    pub update_ms: f64,
    /// Share of the step spent inside dense matrix products.
    pub gemm_share: f64,
    /// Achieved GFLOP/s of those products within the steps.
    pub gemm_gflops: f64,
    /// GFLOP/s of a standalone product of the model's largest shape (batch × 1296 · 1296 × N).
    pub gemm_reference_gflops: f64,
    /// Milliseconds per step in each instrumented phase (the convolutional models': layer-1
    /// and layer-2 cells, the convolutions), mean over the timed steps.
    pub phases_ms: std::collections::BTreeMap<String, f64>,
}

/// Median of `v` (NaN when empty).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A batch shaped like the data: byte-scale composites with ~30 % of pixels lit.
pub fn synthetic_batch(rows: usize, rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<u8>, Vec<u8>) {
    let x = (0..rows * INPUT_FEATURES)
        .map(|_| {
            if rng.random_bool(0.3) {
                rng.random_range(1.0..255.0)
            } else {
                0.0
            }
        })
        .collect();
    let l1 = (0..rows).map(|_| rng.random_range(0..10u8)).collect();
    let l2 = (0..rows).map(|_| rng.random_range(0..10u8)).collect();
    (x, l1, l2)
}

/// A fresh model with its Adam state and a synthetic batch, for timing one inference or one
/// training step at a time (the cost table; [`bench_train`] is the engine's speed bar).
pub struct Harness {
    net: Box<dyn Network<f32>>,
    adam: Adam<f32>,
    lr: f64,
    x: Vec<f32>,
    labels: (Vec<u8>, Vec<u8>),
    rows: usize,
}

impl Harness {
    /// `kind` with the reference initialisation (seed 0), Adam at the reference learning rate,
    /// and a synthetic batch of `rows` rows (seed 1).
    pub fn new(kind: ModelKind, rows: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (x, l1, l2) = synthetic_batch(rows, &mut rng);
        let net = build::<f32>(kind, 0);
        let lens: Vec<usize> = net.params().iter().map(|p| p.len()).collect();
        let h = kind.hyper();
        let adam = Adam::<f32>::new(AdamConfig::new(h.lr, h.weight_decay), &lens);
        Self {
            net,
            adam,
            lr: h.lr,
            x,
            labels: (l1, l2),
            rows,
        }
    }

    /// Wall time in milliseconds of one forward pass of the first `rows` rows of the batch.
    ///
    /// # Panics
    /// If `rows` exceeds the batch.
    pub fn infer_ms(&mut self, rows: usize) -> f64 {
        assert!(rows <= self.rows, "the harness holds {} rows", self.rows);
        let x = &self.x[..rows * INPUT_FEATURES];
        let t0 = Instant::now();
        self.net.forward(x, rows);
        t0.elapsed().as_secs_f64() * 1e3
    }

    /// Wall time in milliseconds of one training step (forward, backward, Adam) of the batch.
    pub fn train_step_ms(&mut self) -> f64 {
        let t0 = Instant::now();
        train_step(
            self.net.as_mut(),
            &mut self.adam,
            &self.x,
            &self.labels.0,
            &self.labels.1,
            self.lr,
        );
        t0.elapsed().as_secs_f64() * 1e3
    }

    /// Trainable scalars of the model.
    pub fn parameters(&self) -> usize {
        self.net.params().iter().map(|p| p.len()).sum()
    }
}

/// Times `repeats` training steps of `kind` at `batch` rows (after 3 warm-up steps) in the
/// current rayon pool.
pub fn bench_train(kind: ModelKind, batch: usize, repeats: usize) -> TrainBench {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (x, l1, l2) = synthetic_batch(batch, &mut rng);
    let mut net = build::<f32>(kind, 0);
    let lens: Vec<usize> = net.params().iter().map(|p| p.len()).collect();
    let h = kind.hyper();
    let mut adam = Adam::<f32>::new(AdamConfig::new(h.lr, h.weight_decay), &lens);
    let step = |net: &mut Box<dyn Network<f32>>, adam: &mut Adam<f32>| {
        let t0 = Instant::now();
        net.forward(&x, batch);
        let t1 = Instant::now();
        loss_and_grad(net.as_mut(), &x, &l1, &l2);
        let t2 = Instant::now();
        adam.update(&mut net.params_mut(), h.lr);
        let t3 = Instant::now();
        (t1 - t0, t2 - t1, t3 - t2)
    };
    for _ in 0..3 {
        step(&mut net, &mut adam);
    }
    let (mut total, mut fwd, mut bwd, mut upd) = (vec![], vec![], vec![], vec![]);
    let mut gemm = linalg::GemmStats::default();
    let mut step_nanos = 0u128;
    let mut phases = std::collections::BTreeMap::new();
    for _ in 0..repeats {
        // The timed step is the trainer's `train_step` (forward, backward, Adam); the calls
        // above it only split the time into its parts.
        let (f, fb, u) = step(&mut net, &mut adam);
        for p in net.params_mut() {
            p.zero_grad();
        }
        linalg::start_counting();
        timing::start();
        let t0 = Instant::now();
        train_step(net.as_mut(), &mut adam, &x, &l1, &l2, h.lr);
        let elapsed = t0.elapsed();
        for (name, nanos) in timing::stop() {
            *phases.entry(name.to_string()).or_insert(0.0) += nanos as f64 / 1e6 / repeats as f64;
        }
        let stats = linalg::stop_counting();
        gemm.flops += stats.flops;
        gemm.nanos += stats.nanos;
        step_nanos += elapsed.as_nanos();
        total.push(elapsed.as_secs_f64() * 1e3);
        fwd.push(f.as_secs_f64() * 1e3);
        bwd.push((fb - f.min(fb)).as_secs_f64() * 1e3);
        upd.push(u.as_secs_f64() * 1e3);
    }
    // Standalone product of the largest shape.
    let neurons = match kind {
        ModelKind::FourLifFc => 2048,
        _ => 512,
    };
    let w: Vec<f32> = (0..neurons * INPUT_FEATURES)
        .map(|i| (i % 7) as f32 * 0.01)
        .collect();
    let mut y = vec![0.0f32; batch * neurons];
    let t0 = Instant::now();
    let reps = 10;
    for _ in 0..reps {
        matmul(
            &mut y,
            MatRef::new(&x, batch, INPUT_FEATURES),
            MatRef::new(&w, neurons, INPUT_FEATURES).t(),
            false,
        );
    }
    let secs = t0.elapsed().as_secs_f64() / reps as f64;
    let reference = 2.0 * (batch * INPUT_FEATURES * neurons) as f64 / secs / 1e9;
    TrainBench {
        model: kind.id().to_string(),
        batch,
        steps_t: h.steps,
        parameters: lens.iter().sum(),
        repeats,
        ms_per_step: median(total),
        forward_ms: median(fwd),
        backward_ms: median(bwd),
        update_ms: median(upd),
        gemm_share: gemm.nanos as f64 / step_nanos.max(1) as f64,
        gemm_gflops: gemm.gflops(),
        gemm_reference_gflops: reference,
        phases_ms: phases,
    }
}
