//! The multi-task trainer: seeded shuffling, Adam with step decay, per-epoch test accuracy
//! of both tasks, learning curves, and checkpoints that resume an interrupted run.

use crate::checkpoint::{self, Checkpoint, CheckpointError};
use crate::models::{build, ModelKind, Network};
use crate::optim::{Adam, AdamConfig, StepSchedule};
use crate::step::{evaluate_batch, train_step, BatchStats};
use icnet_data::{MultiSet, PIXELS};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// Everything that defines a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The model.
    pub model: ModelKind,
    /// Seed of the initialisation and of the shuffling.
    pub seed: u64,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch: usize,
    /// Adam's learning rate and L2 decay.
    pub adam: AdamConfig,
    /// Epochs at which the learning rate is multiplied by 0.1.
    pub milestones: Vec<usize>,
    /// Training composites used per epoch (the first `train_limit` of the set), `None` = all.
    pub train_limit: Option<usize>,
    /// Batches per epoch cap (smoke runs), `None` = all.
    pub max_batches: Option<usize>,
    /// The scale of the pixels the network sees.
    pub input_scale: InputScale,
}

/// What the network's input values are.
///
/// PAPER.md §4 says the pixel intensities are on the 0–255 byte scale and the noise
/// amplitudes A are in those units; the reference loader hands the pickled arrays to the
/// network without normalisation, and the model constants fit that: the HH input weights
/// are scaled by 0.01 and the s-LIF2HH threshold is 2. [`InputScale::Bytes`] is therefore
/// the reference. [`InputScale::Unit`] (divide by 255, the torchvision convention) is an
/// option for studying the dependence on input scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputScale {
    /// pixel + noise, 0–255 (reference).
    Bytes,
    /// (pixel + noise) / 255.
    Unit,
}

impl InputScale {
    /// Writes the network input of composites `indices` into `x`.
    pub fn batch(self, set: &MultiSet, indices: &[usize], noise: Option<&[f32]>, x: &mut [f32]) {
        match self {
            InputScale::Bytes => set.batch_bytes_f32(indices, noise, x),
            InputScale::Unit => set.batch_f32(indices, noise, x),
        }
    }

    /// Network input units per grey level (1 on the byte scale, 1/255 on the unit scale).
    pub fn per_grey_level(self) -> f32 {
        match self {
            InputScale::Bytes => 1.0,
            InputScale::Unit => 1.0 / 255.0,
        }
    }
}

impl TrainConfig {
    /// The reference configuration of `model` (PAPER.md §4) with `seed`.
    pub fn reference(model: ModelKind, seed: u64) -> Self {
        let h = model.hyper();
        Self {
            model,
            seed,
            epochs: h.epochs,
            batch: h.batch,
            adam: AdamConfig::new(h.lr, h.weight_decay),
            milestones: h.milestones,
            train_limit: None,
            max_batches: None,
            input_scale: InputScale::Bytes,
        }
    }

    /// The learning-rate schedule.
    pub fn schedule(&self) -> StepSchedule {
        StepSchedule {
            lr: self.adam.lr,
            milestones: self.milestones.clone(),
            gamma: 0.1,
        }
    }
}

/// One epoch of a learning curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Learning rate during the epoch.
    pub lr: f64,
    /// Optimiser steps so far.
    pub steps: u64,
    /// Mean training loss over the epoch's batches (sum of both heads).
    pub train_loss: f64,
    /// Training accuracy of task 1 over the epoch, %.
    pub train_acc1: f64,
    /// Training accuracy of task 2 over the epoch, %.
    pub train_acc2: f64,
    /// Test loss after the epoch.
    pub test_loss: f64,
    /// Test accuracy of task 1 after the epoch, %.
    pub test_acc1: f64,
    /// Test accuracy of task 2 after the epoch, %.
    pub test_acc2: f64,
    /// Mean hidden-layer spike rate on the last test batch.
    pub hidden_rate: f64,
    /// Wall-clock seconds of the epoch (training and test).
    pub seconds: f64,
}

/// The record of a finished run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainRecord {
    /// The configuration.
    pub config: TrainConfig,
    /// One entry per epoch.
    pub curve: Vec<EpochRecord>,
    /// Trainable scalars of the model.
    pub parameters: usize,
    /// Epochs that were restored from a checkpoint rather than trained in this process.
    pub resumed_epochs: usize,
}

impl TrainRecord {
    /// Test accuracies (task 1, task 2) after the last epoch, %.
    pub fn final_accuracy(&self) -> (f64, f64) {
        self.curve
            .last()
            .map(|e| (e.test_acc1, e.test_acc2))
            .unwrap_or((0.0, 0.0))
    }
}

/// The data a run trains and tests on: composites and an optional fixed noise image added
/// to every image (Fig. 4h).
#[derive(Clone, Copy, Debug)]
pub struct TrainData<'a> {
    /// Training composites.
    pub train: &'a MultiSet,
    /// Test composites.
    pub test: &'a MultiSet,
    /// The fixed noise image (byte scale), if any.
    pub noise: Option<&'a [f32]>,
}

/// Progress reported to the caller (for a progress bar).
#[derive(Clone, Copy, Debug)]
pub enum Progress {
    /// Batch `batch` of `batches` of epoch `epoch` (from 1) done, with its loss.
    Batch {
        /// Epoch, from 1.
        epoch: usize,
        /// Batch, from 1.
        batch: usize,
        /// Batches in the epoch.
        batches: usize,
        /// Loss of the batch.
        loss: f64,
    },
    /// Epoch `epoch` finished with these test accuracies (%).
    Epoch {
        /// Epoch, from 1.
        epoch: usize,
        /// Task-1 test accuracy.
        acc1: f64,
        /// Task-2 test accuracy.
        acc2: f64,
    },
}

/// Rows per evaluation batch (forward only; bigger batches amortise the products).
const EVAL_BATCH: usize = 256;

/// Accuracy of `net` on `set`, in batches.
pub fn evaluate(
    net: &mut dyn Network<f32>,
    set: &MultiSet,
    noise: Option<&[f32]>,
    scale: InputScale,
) -> BatchStats {
    evaluate_with(net, set, &mut |chunk, x| scale.batch(set, chunk, noise, x))
}

/// Accuracy of `net` on `set` when every test image gets its own noise: `noise(i, buf)` adds
/// the noise of composite `i` (grey levels, 1296 values) to `buf`, which starts at zero; it
/// is added to the image as a fixed noise image would be (scaled with it on the unit scale).
/// This is the fresh-noise robustness probe: a pattern the network cannot have learned.
pub fn evaluate_per_image_noise(
    net: &mut dyn Network<f32>,
    set: &MultiSet,
    scale: InputScale,
    noise: &mut dyn FnMut(usize, &mut [f32]),
) -> BatchStats {
    let per_grey = scale.per_grey_level();
    let mut buf = vec![0.0f32; PIXELS];
    evaluate_with(net, set, &mut |chunk, x| {
        scale.batch(set, chunk, None, x);
        for (&i, row) in chunk.iter().zip(x.chunks_exact_mut(PIXELS)) {
            buf.fill(0.0);
            noise(i, &mut buf);
            for (v, n) in row.iter_mut().zip(&buf) {
                *v += n * per_grey;
            }
        }
    })
}

/// The evaluation loop: `fill(chunk, x)` writes the inputs of composites `chunk` into `x`.
fn evaluate_with(
    net: &mut dyn Network<f32>,
    set: &MultiSet,
    fill: &mut dyn FnMut(&[usize], &mut [f32]),
) -> BatchStats {
    let mut total = BatchStats::default();
    let mut x = Vec::new();
    let indices: Vec<usize> = (0..set.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        x.resize(chunk.len() * PIXELS, 0.0);
        fill(chunk, &mut x);
        let l1: Vec<u8> = chunk.iter().map(|&i| set.label1[i]).collect();
        let l2: Vec<u8> = chunk.iter().map(|&i| set.label2[i]).collect();
        let s = evaluate_batch(net, &x, &l1, &l2);
        total.loss += s.loss * s.rows as f64;
        total.rows += s.rows;
        total.correct1 += s.correct1;
        total.correct2 += s.correct2;
    }
    if total.rows > 0 {
        total.loss /= total.rows as f64;
    }
    total
}

fn percent(correct: usize, rows: usize) -> f64 {
    if rows == 0 {
        0.0
    } else {
        100.0 * correct as f64 / rows as f64
    }
}

/// The order of the training composites in `epoch` (0-based): a permutation drawn from
/// (seed, epoch) alone, so a resumed run shuffles exactly as an uninterrupted one.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Stream 0 is the model initialisation's (models::build seeds the same way).
    rng.set_stream(epoch as u64 + 1);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    order
}

/// Trains `config.model` on `data`. With `checkpoint`, the state after every epoch is
/// written there (atomically) and a run that finds a checkpoint of the same configuration
/// resumes after its last finished epoch.
pub fn train(
    config: &TrainConfig,
    data: TrainData<'_>,
    checkpoint_path: Option<&Path>,
    progress: &mut dyn FnMut(Progress),
) -> Result<TrainRecord, CheckpointError> {
    train_network(config, data, checkpoint_path, progress).map(|(record, _)| record)
}

/// [`train`], also handing back the trained network (for probes after training).
pub fn train_network(
    config: &TrainConfig,
    data: TrainData<'_>,
    checkpoint_path: Option<&Path>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(TrainRecord, Box<dyn Network<f32>>), CheckpointError> {
    let mut net = build::<f32>(config.model, config.seed);
    let lens: Vec<usize> = net.params().iter().map(|p| p.len()).collect();
    let mut adam = Adam::<f32>::new(config.adam, &lens);
    let mut curve = Vec::new();
    if let Some(path) = checkpoint_path {
        if let Some(ck) = checkpoint::load(path, config)? {
            ck.restore(net.as_mut(), &mut adam)?;
            curve = ck.curve;
        }
    }
    let resumed_epochs = curve.len();
    let schedule = config.schedule();
    let n_train = config
        .train_limit
        .map_or(data.train.len(), |l| l.min(data.train.len()));
    let mut x = vec![0.0f32; config.batch * PIXELS];
    for epoch in curve.len()..config.epochs {
        let started = Instant::now();
        let lr = schedule.lr_at(epoch);
        let order = epoch_order(config.seed, epoch, n_train);
        let mut batches: Vec<&[usize]> = order.chunks(config.batch).collect();
        if let Some(max) = config.max_batches {
            batches.truncate(max);
        }
        let mut seen = BatchStats::default();
        let mut loss_sum = 0.0;
        for (b, idx) in batches.iter().enumerate() {
            x.resize(idx.len() * PIXELS, 0.0);
            config
                .input_scale
                .batch(data.train, idx, data.noise, &mut x);
            let l1: Vec<u8> = idx.iter().map(|&i| data.train.label1[i]).collect();
            let l2: Vec<u8> = idx.iter().map(|&i| data.train.label2[i]).collect();
            let s = train_step(net.as_mut(), &mut adam, &x, &l1, &l2, lr);
            loss_sum += s.loss;
            seen.rows += s.rows;
            seen.correct1 += s.correct1;
            seen.correct2 += s.correct2;
            progress(Progress::Batch {
                epoch: epoch + 1,
                batch: b + 1,
                batches: batches.len(),
                loss: s.loss,
            });
        }
        let test = evaluate(net.as_mut(), data.test, data.noise, config.input_scale);
        let record = EpochRecord {
            epoch: epoch + 1,
            lr,
            steps: adam.step,
            train_loss: loss_sum / batches.len().max(1) as f64,
            train_acc1: percent(seen.correct1, seen.rows),
            train_acc2: percent(seen.correct2, seen.rows),
            test_loss: test.loss,
            test_acc1: percent(test.correct1, test.rows),
            test_acc2: percent(test.correct2, test.rows),
            hidden_rate: net.hidden_rate(),
            seconds: started.elapsed().as_secs_f64(),
        };
        progress(Progress::Epoch {
            epoch: epoch + 1,
            acc1: record.test_acc1,
            acc2: record.test_acc2,
        });
        curve.push(record);
        if let Some(path) = checkpoint_path {
            Checkpoint::capture(config, net.as_ref(), &adam, &curve).save(path)?;
        }
    }
    let record = TrainRecord {
        config: config.clone(),
        curve,
        parameters: lens.iter().sum(),
        resumed_epochs,
    };
    Ok((record, net))
}
