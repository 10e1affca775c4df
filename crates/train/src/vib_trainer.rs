//! Training of the VIB models of Fig. 5d (PAPER.md §6): Adam (lr 10⁻⁴, β₁ 0.5), the
//! learning rate ×0.97 every 2 epochs, an exponential moving average (0.999) of the weights,
//! and after every epoch a test pass with the averaged weights that records accuracy (decoding
//! from z = µ), the cross-entropy of a sampled z (for the I(Z;Y) bound) and the KL (for the
//! I(Z;X) bound). The hidden spike counts of the test images at the epoch of best test
//! accuracy are kept for a second, independent MI estimate.

use crate::checkpoint::{
    f32s, header_json, put_f32s, read_matching, write_container, CheckpointError,
};
use crate::ema::Ema;
use crate::loss::cross_entropy;
use crate::models::{VibEncoder, VibModel, CLASSES, DEFAULT_BETA, Z_DIM};
use crate::optim::{Adam, AdamConfig, ExponentialSchedule};
use crate::trainer::{epoch_order, InputScale, TrainData};
use icnet_data::{MultiSet, PIXELS};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// Everything that defines a VIB training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VibConfig {
    /// The spiking encoder.
    pub encoder: VibEncoder,
    /// Seed of the initialisation, the shuffling and the ε draws.
    pub seed: u64,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch: usize,
    /// Adam (PAPER.md §6: lr 10⁻⁴, β₁ 0.5; β₂ and ε PyTorch's defaults; no weight decay).
    pub adam: AdamConfig,
    /// The learning rate is multiplied by this every `lr_every` epochs (0.97).
    pub lr_gamma: f64,
    /// Epochs per learning-rate decay (2).
    pub lr_every: usize,
    /// Decay of the weight average (0.999).
    pub ema_decay: f64,
    /// β of the KL term (our choice, [`DEFAULT_BETA`]).
    pub beta: f64,
    /// Width of Z (256).
    pub z_dim: usize,
    /// Training composites used per epoch (the first `train_limit`), `None` = all.
    pub train_limit: Option<usize>,
    /// Batches per epoch cap (smoke runs), `None` = all.
    pub max_batches: Option<usize>,
    /// The scale of the pixels the network sees (bytes, as PAPER.md §4).
    pub input_scale: InputScale,
    /// Test images (the first ones) whose hidden spike counts are kept at the best epoch.
    pub count_rows: usize,
}

impl VibConfig {
    /// The reference configuration (PAPER.md §6) of `encoder` with `seed`: 200 epochs,
    /// batch 128, Adam lr 10⁻⁴ with β = (0.5, 0.999), ×0.97 every 2 epochs, EMA 0.999,
    /// β_KL = 10⁻³, |Z| = 256, byte-scale inputs.
    pub fn reference(encoder: VibEncoder, seed: u64) -> Self {
        let mut adam = AdamConfig::new(1e-4, 0.0);
        adam.betas = (0.5, 0.999);
        Self {
            encoder,
            seed,
            epochs: 200,
            batch: 128,
            adam,
            lr_gamma: 0.97,
            lr_every: 2,
            ema_decay: 0.999,
            beta: DEFAULT_BETA,
            z_dim: Z_DIM,
            train_limit: None,
            max_batches: None,
            input_scale: InputScale::Bytes,
            count_rows: 1000,
        }
    }

    /// The learning-rate schedule.
    pub fn schedule(&self) -> ExponentialSchedule {
        ExponentialSchedule {
            lr: self.adam.lr,
            gamma: self.lr_gamma,
            every: self.lr_every,
        }
    }
}

/// One epoch of a VIB learning curve. Test numbers use the averaged (EMA) weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VibEpoch {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Learning rate during the epoch.
    pub lr: f64,
    /// Optimiser steps so far.
    pub steps: u64,
    /// Mean training loss CE₁ + CE₂ + β·KL over the epoch's batches (nats).
    pub train_loss: f64,
    /// Mean training KL (nats).
    pub train_kl_nats: f64,
    /// Test accuracy of task 1 decoding from z = µ, %.
    pub test_acc1: f64,
    /// Test accuracy of task 2 decoding from z = µ, %.
    pub test_acc2: f64,
    /// Test cross-entropy of task 1 with z drawn once per image from q(z|x) (nats).
    pub test_ce1: f64,
    /// Test cross-entropy of task 2 with z drawn once per image from q(z|x) (nats).
    pub test_ce2: f64,
    /// Mean test KL(q(z|x) ‖ N(0, I)) (nats).
    pub test_kl_nats: f64,
    /// Mean hidden spike rate over the test set.
    pub hidden_rate: f64,
    /// Wall-clock seconds of the epoch (training and test).
    pub seconds: f64,
}

/// The record of a finished VIB run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VibRecord {
    /// The configuration.
    pub config: VibConfig,
    /// One entry per epoch.
    pub curve: Vec<VibEpoch>,
    /// Trainable scalars.
    pub parameters: usize,
    /// Epoch (from 1) of the best mean test accuracy of the two tasks (the first on ties).
    pub best_epoch: usize,
}

impl VibRecord {
    /// The entry of the best epoch.
    pub fn best(&self) -> Option<&VibEpoch> {
        self.curve.get(self.best_epoch.checked_sub(1)?)
    }
}

/// A finished run with the hidden spike counts of its best epoch.
#[derive(Clone, Debug)]
pub struct VibOutcome {
    /// The record.
    pub record: VibRecord,
    /// Spike counts over T of every encoder output for the first `count_rows` test images at
    /// the best epoch, row-major `rows × features`.
    pub counts: Vec<f32>,
    /// Encoder outputs per image (512, or 2048 for s-LIF2HH).
    pub features: usize,
}

/// Draws `n` standard normal values.
fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| rng.sample::<f32, _>(StandardNormal))
        .collect()
}

/// Rows per evaluation batch.
const EVAL_BATCH: usize = 256;

struct TestPass {
    correct1: usize,
    correct2: usize,
    ce1: f64,
    ce2: f64,
    kl: f64,
    rate: f64,
    rows: usize,
    counts: Vec<f32>,
}

fn test_pass(
    net: &mut VibModel<f32>,
    set: &MultiSet,
    data: &TrainData<'_>,
    config: &VibConfig,
    steps: f32,
) -> TestPass {
    let zd = net.z_dim();
    // The same ε every epoch, so epochs differ only by the weights.
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(u64::MAX - 1);
    let mut pass = TestPass {
        correct1: 0,
        correct2: 0,
        ce1: 0.0,
        ce2: 0.0,
        kl: 0.0,
        rate: 0.0,
        rows: 0,
        counts: Vec::new(),
    };
    let mut x = Vec::new();
    let indices: Vec<usize> = (0..set.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let rows = chunk.len();
        x.resize(rows * PIXELS, 0.0);
        config.input_scale.batch(set, chunk, data.noise, &mut x);
        let l1: Vec<u8> = chunk.iter().map(|&i| set.label1[i]).collect();
        let l2: Vec<u8> = chunk.iter().map(|&i| set.label2[i]).collect();
        net.encode(&x, rows);
        let (a, b) = net.decode(None);
        pass.correct1 += cross_entropy(a, &l1, CLASSES).correct;
        pass.correct2 += cross_entropy(b, &l2, CLASSES).correct;
        let eps = normals(&mut rng, rows * zd);
        let (a, b) = net.decode(Some(&eps));
        pass.ce1 += cross_entropy(a, &l1, CLASSES).loss * rows as f64;
        pass.ce2 += cross_entropy(b, &l2, CLASSES).loss * rows as f64;
        pass.kl += net.kl_per_row().iter().sum::<f64>();
        let rates = net.hidden_rates();
        pass.rate += rates.iter().map(|&r| r as f64).sum::<f64>() / (rates.len() / rows) as f64;
        let keep = config.count_rows.saturating_sub(pass.rows).min(rows);
        let features = rates.len() / rows;
        pass.counts.extend(
            rates[..keep * features]
                .iter()
                .map(|&r| (r * steps).round()),
        );
        pass.rows += rows;
    }
    pass
}

fn percent(correct: usize, rows: usize) -> f64 {
    if rows == 0 {
        0.0
    } else {
        100.0 * correct as f64 / rows as f64
    }
}

/// What a VIB run carries from one epoch to the next besides the model and optimiser.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Progression {
    curve: Vec<VibEpoch>,
    best_epoch: usize,
    /// Best mean test accuracy so far (−∞ before the first epoch: not in a checkpoint).
    best_acc: f64,
    features: usize,
    #[serde(skip)]
    best_counts: Vec<f32>,
}

/// The JSON header of a VIB checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct VibCheckpointHeader {
    config: VibConfig,
    progression: Progression,
    adam_step: u64,
    ema_updates: u64,
    /// Lengths of the f32 blobs: per parameter value, m, v, shadow; then the best counts.
    blobs: Vec<usize>,
}

const VIB_MAGIC: &[u8; 8] = b"ICNETVB1";

/// Every f32 vector of the state, in file order.
fn vib_blobs<'a>(
    net: &'a mut VibModel<f32>,
    adam: &'a mut Adam<f32>,
    ema: &'a mut Ema<f32>,
    best_counts: &'a mut Vec<f32>,
) -> Vec<&'a mut Vec<f32>> {
    let mut out = Vec::new();
    let params = net.params_mut();
    let moments = adam.m.iter_mut().zip(adam.v.iter_mut());
    for ((p, (m, v)), shadow) in params.into_iter().zip(moments).zip(ema.shadow_mut()) {
        out.extend([&mut p.value, m, v, shadow]);
    }
    out.push(best_counts);
    out
}

fn save_vib(
    path: &Path,
    config: &VibConfig,
    state: (&mut VibModel<f32>, &mut Adam<f32>, &mut Ema<f32>),
    progression: &mut Progression,
) -> Result<(), CheckpointError> {
    let (net, adam, ema) = state;
    let (adam_step, ema_updates) = (adam.step, ema.updates);
    let mut counts = std::mem::take(&mut progression.best_counts);
    let mut payload = Vec::new();
    let mut blobs = Vec::new();
    for blob in vib_blobs(net, adam, ema, &mut counts) {
        blobs.push(blob.len());
        put_f32s(&mut payload, blob);
    }
    progression.best_counts = counts;
    let header = VibCheckpointHeader {
        config: config.clone(),
        progression: progression.clone(),
        adam_step,
        ema_updates,
        blobs,
    };
    write_container(path, VIB_MAGIC, &header_json(path, &header)?, &payload)
}

/// Restores a VIB checkpoint of `config` into the fresh state; `None` when there is none.
fn load_vib(
    path: &Path,
    config: &VibConfig,
    state: (&mut VibModel<f32>, &mut Adam<f32>, &mut Ema<f32>),
) -> Result<Option<Progression>, CheckpointError> {
    let Some((header, payload)) = read_matching(path, VIB_MAGIC, |h: &VibCheckpointHeader| {
        h.config == *config
    })?
    else {
        return Ok(None);
    };
    let (net, adam, ema) = state;
    let mut progression = header.progression;
    let total: usize = header.blobs.iter().sum();
    let mut values = f32s(path, &payload, total)?.into_iter();
    let mut counts = Vec::new();
    let targets = vib_blobs(net, adam, ema, &mut counts);
    let last = targets.len() - 1;
    if targets.len() != header.blobs.len()
        || targets
            .iter()
            .zip(&header.blobs)
            .take(last)
            .any(|(t, &n)| t.len() != n)
    {
        return Err(CheckpointError::Invalid {
            path: path.to_path_buf(),
            reason: "its tensors do not match this model".into(),
        });
    }
    for (target, &n) in targets.into_iter().zip(&header.blobs) {
        target.clear();
        target.extend(values.by_ref().take(n));
    }
    adam.step = header.adam_step;
    ema.updates = header.ema_updates;
    progression.best_counts = counts;
    Ok(Some(progression))
}

/// Trains a VIB model on `data` (see the module documentation); `progress` gets
/// (epoch from 1, batch from 1, batches, loss) after every batch. With `checkpoint`, the
/// state after every epoch (weights, Adam, the weight average, the curve and the best
/// epoch's counts) is written there, and a run that finds a checkpoint of the same
/// configuration continues after its last finished epoch, exactly as if uninterrupted.
pub fn train_vib(
    config: &VibConfig,
    data: TrainData<'_>,
    checkpoint: Option<&Path>,
    progress: &mut dyn FnMut(usize, usize, usize, f64),
) -> Result<VibOutcome, CheckpointError> {
    let mut net = VibModel::<f32>::new(config.encoder, config.z_dim, config.beta, config.seed);
    let lens: Vec<usize> = net.params().iter().map(|p| p.len()).collect();
    let mut adam = Adam::<f32>::new(config.adam, &lens);
    let mut ema = Ema::new(config.ema_decay, &net.params());
    let mut run = Progression {
        curve: Vec::new(),
        best_epoch: 0,
        best_acc: f64::NEG_INFINITY,
        features: 0,
        best_counts: Vec::new(),
    };
    if let Some(path) = checkpoint {
        if let Some(saved) = load_vib(path, config, (&mut net, &mut adam, &mut ema))? {
            run = saved;
        }
    }
    let schedule = config.schedule();
    let steps = config.encoder.model_kind().hyper().steps as f32;
    let n_train = config
        .train_limit
        .map_or(data.train.len(), |l| l.min(data.train.len()));
    let zd = config.z_dim;
    let mut x = vec![0.0f32; config.batch * PIXELS];
    for epoch in run.curve.len()..config.epochs {
        let started = Instant::now();
        let lr = schedule.lr_at(epoch);
        let order = epoch_order(config.seed, epoch, n_train);
        let mut batches: Vec<&[usize]> = order.chunks(config.batch).collect();
        if let Some(max) = config.max_batches {
            batches.truncate(max);
        }
        // ε of the training samples: its own seeded stream per epoch.
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5649_4245);
        rng.set_stream(epoch as u64);
        let (mut loss_sum, mut kl_sum) = (0.0, 0.0);
        for (b, idx) in batches.iter().enumerate() {
            let rows = idx.len();
            x.resize(rows * PIXELS, 0.0);
            config
                .input_scale
                .batch(data.train, idx, data.noise, &mut x);
            let l1: Vec<u8> = idx.iter().map(|&i| data.train.label1[i]).collect();
            let l2: Vec<u8> = idx.iter().map(|&i| data.train.label2[i]).collect();
            let eps = normals(&mut rng, rows * zd);
            let (a, b2) = net.forward(&x, rows, Some(&eps));
            let (h1, h2) = (
                cross_entropy(a, &l1, CLASSES),
                cross_entropy(b2, &l2, CLASSES),
            );
            let kl = net.kl_mean();
            net.backward(&h1.grad, &h2.grad);
            adam.update_and_clear(&mut net.params_mut(), lr);
            ema.update(&net.params());
            let loss = h1.loss + h2.loss + config.beta * kl;
            loss_sum += loss;
            kl_sum += kl;
            progress(epoch + 1, b + 1, batches.len(), loss);
        }
        ema.swap(&mut net.params_mut());
        let test = test_pass(&mut net, data.test, &data, config, steps);
        ema.swap(&mut net.params_mut());
        let n = test.rows.max(1) as f64;
        let record = VibEpoch {
            epoch: epoch + 1,
            lr,
            steps: adam.step,
            train_loss: loss_sum / batches.len().max(1) as f64,
            train_kl_nats: kl_sum / batches.len().max(1) as f64,
            test_acc1: percent(test.correct1, test.rows),
            test_acc2: percent(test.correct2, test.rows),
            test_ce1: test.ce1 / n,
            test_ce2: test.ce2 / n,
            test_kl_nats: test.kl / n,
            hidden_rate: test.rate / n,
            seconds: started.elapsed().as_secs_f64(),
        };
        let acc = 0.5 * (record.test_acc1 + record.test_acc2);
        if acc > run.best_acc {
            run.best_acc = acc;
            run.best_epoch = epoch + 1;
            run.features = test.counts.len() / config.count_rows.min(test.rows).max(1);
            run.best_counts = test.counts;
        }
        run.curve.push(record);
        if let Some(path) = checkpoint {
            save_vib(path, config, (&mut net, &mut adam, &mut ema), &mut run)?;
        }
    }
    Ok(VibOutcome {
        record: VibRecord {
            config: config.clone(),
            curve: run.curve,
            parameters: lens.iter().sum(),
            best_epoch: run.best_epoch,
        },
        counts: run.best_counts,
        features: run.features,
    })
}
