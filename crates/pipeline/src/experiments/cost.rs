//! The cost table (ours; PAPER.md §3 "T-cost"): for every model, parameters, bytes of
//! parameters and of neuron state during inference, measured wall time per inference (batch 1
//! and a large batch) and per training step, and the peak heap of a training step; and the
//! s-LIF2HH-vs-HH ratios behind the paper's claim that HH costs less.
//!
//! Counts (parameters, state bytes, operations) are deterministic and come from the
//! instantiated models. Times and peak memory are measurements: one run times every model in
//! turn in its own pool of [`THREADS`] threads (runs of one experiment execute in parallel, so
//! splitting the models over runs would make them compete for the cores), on a synthetic
//! batch shaped like the data (`icnet_train::bench::Harness`). Their metric names end in
//! `_ms…` or `_bytes_peak` and their table columns start with `measured`, which the
//! reproduction tests exclude from the byte-for-byte comparison.

use super::fig5b;
use crate::alloc;
use crate::output::{Cell, OutputWriter, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::{Context, Result};
use icnet_analysis::cost::{CellKind, Convention};
use icnet_train::bench::{median, Harness};
use icnet_train::models::describe::{self, Part};
use icnet_train::ModelKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Experiment id.
pub const ID: &str = "cost";

/// Threads of the timing pool.
pub const THREADS: usize = 2;

/// Bytes per stored number (the engine learns and infers in f32).
pub const BYTES_PER_VALUE: u64 = 4;

/// The HH / s-LIF2HH pairs the paper compares.
pub const PAIRS: [(&str, ModelKind, ModelKind); 2] = [
    ("fc", ModelKind::HhFc, ModelKind::SLif2HhFc),
    ("conv", ModelKind::HhConv, ModelKind::SLif2HhConv),
];

/// How much timing a profile does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Rows of the large inference batch and of the training batch.
    pub batch: usize,
    /// Untimed forward passes at each batch size before timing.
    pub warmup: usize,
    /// Timed forward passes at each batch size (the median is reported).
    pub repeats: usize,
    /// Timed training steps after the first (the median is reported; with none, the first
    /// step's time is).
    pub train_repeats: usize,
}

impl Timing {
    /// The timing of `profile`: smoke is a code-path check at batch 4; quick and paper time the
    /// reference batch of 128, paper with more repeats.
    pub fn of(profile: Profile) -> Self {
        match profile {
            Profile::Smoke => Timing {
                batch: 4,
                warmup: 0,
                repeats: 1,
                train_repeats: 0,
            },
            Profile::Quick => Timing {
                batch: 128,
                warmup: 1,
                repeats: 3,
                train_repeats: 2,
            },
            Profile::Paper => Timing {
                batch: 128,
                warmup: 2,
                repeats: 10,
                train_repeats: 5,
            },
        }
    }
}

/// One model's row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelCost {
    /// Model id.
    pub model: String,
    /// Trainable scalars.
    pub parameters: u64,
    /// Bytes of the parameters (f32).
    pub parameter_bytes: u64,
    /// Bytes of neuron state carried between time steps for one image (f32).
    pub state_bytes: u64,
    /// `[ADD, MUL]` per inference, definition convention (fig5b); absent when not countable.
    pub ops_definition: Option<[u64; 2]>,
    /// `[ADD, MUL]` per inference as executed.
    pub ops_executed: Option<[u64; 2]>,
    /// Median wall time of one forward pass of one image, ms.
    pub infer_ms_b1: f64,
    /// Median wall time of one forward pass of [`Timing::batch`] images, ms.
    pub infer_ms_batch: f64,
    /// Median wall time of one training step of [`Timing::batch`] images, ms.
    pub train_ms: f64,
    /// Highest live heap from just before building the model through its first training
    /// step, bytes; absent when the counting allocator is not installed.
    pub train_peak_bytes: Option<u64>,
}

/// Bytes of neuron state of `model` for one image: units × state variables × 4 over its
/// spiking layers (the voltage-dependent HH carries the same V, m, h, n as the constant-rate
/// one).
pub fn state_bytes(model: ModelKind) -> u64 {
    let d = describe::describe(model);
    let mut seen: Vec<&str> = Vec::new();
    d.stages
        .iter()
        .filter_map(|s| match s.part {
            Part::Cells { kind, units } if !seen.contains(&s.name.as_str()) => {
                seen.push(&s.name);
                let vars = fig5b::cell_kind(kind)
                    .unwrap_or(CellKind::HhConstantRates)
                    .state_variables();
                Some(units as u64 * vars * BYTES_PER_VALUE)
            }
            _ => None,
        })
        .sum()
}

/// Measures one model in the current rayon pool.
pub fn measure(model: ModelKind, timing: &Timing) -> ModelCost {
    let before = alloc::live_bytes();
    alloc::reset_peak();
    let mut harness = Harness::new(model, timing.batch);
    let first = harness.train_step_ms();
    let train_peak_bytes =
        alloc::installed().then(|| alloc::peak_bytes().saturating_sub(before) as u64);
    let mut train: Vec<f64> = (0..timing.train_repeats)
        .map(|_| harness.train_step_ms())
        .collect();
    if train.is_empty() {
        train.push(first);
    }
    for _ in 0..timing.warmup {
        harness.infer_ms(1);
        harness.infer_ms(timing.batch);
    }
    let b1 = (0..timing.repeats).map(|_| harness.infer_ms(1)).collect();
    let bn = (0..timing.repeats)
        .map(|_| harness.infer_ms(timing.batch))
        .collect();
    let parameters = harness.parameters() as u64;
    let ops = fig5b::model_ops(model);
    let pair = |c: Convention| {
        ops.as_ref().map(|o| {
            let n = o.count(c);
            [n.add, n.mul]
        })
    };
    ModelCost {
        model: model.id().to_string(),
        parameters,
        parameter_bytes: parameters * BYTES_PER_VALUE,
        state_bytes: state_bytes(model),
        ops_definition: pair(Convention::Definition),
        ops_executed: pair(Convention::Executed),
        infer_ms_b1: median(b1),
        infer_ms_batch: median(bn),
        train_ms: median(train),
        train_peak_bytes,
    }
}

/// The cost table.
pub struct Cost;

impl Experiment for Cost {
    fn id(&self) -> &'static str {
        ID
    }
    fn paper_ref(&self) -> &'static str {
        "Table cost (ours)"
    }
    fn title(&self) -> &'static str {
        "measured cost of every model: parameters, state memory, time per inference and training step, peak memory"
    }
    fn estimated_seconds(&self, profile: Profile, _run: &RunSpec) -> f64 {
        match profile {
            Profile::Smoke => 30.0,
            Profile::Quick => 120.0,
            Profile::Paper => 600.0,
        }
    }

    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
        let models: Vec<&str> = ModelKind::ALL.iter().map(|m| m.id()).collect();
        Ok(vec![RunSpec::new(
            ID,
            "all models",
            json!({ "models": models, "timing": Timing::of(profile), "threads": THREADS }),
            0,
        )])
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        let timing: Timing = serde_json::from_value(run.config["timing"].clone())
            .context("the cost run has no valid timing settings")?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(THREADS)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the {THREADS}-thread timing pool: {e}"))?;
        ctx.progress.set_total(ModelKind::ALL.len() as u64);
        let mut rows = Vec::new();
        for model in ModelKind::ALL {
            ctx.progress.set_message(model.id());
            rows.push(pool.install(|| measure(model, &timing)));
            ctx.progress.inc(1);
        }
        ctx.write_json("costs.json", &rows)?;
        Ok(json!({ "models": rows.len() }))
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let run = ctx
            .runs
            .first()
            .context("cost has no finished run; rerun it")?;
        let rows: Vec<ModelCost> = run.read_json("costs.json")?;
        let timing = Timing::of(ctx.profile);
        let b = timing.batch;
        let mut table = Table::new([
            "model".to_string(),
            "parameters".into(),
            "parameter bytes".into(),
            "state bytes per image".into(),
            "ADD per inference (M)".into(),
            "MUL per inference (M)".into(),
            "measured inference b1 (ms)".into(),
            format!("measured inference b{b} (ms)"),
            format!("measured training step b{b} (ms)"),
            format!("measured training peak heap b{b} (MiB)"),
        ]);
        let mut metrics = Vec::new();
        let mib = |v: u64| v as f64 / (1024.0 * 1024.0);
        for r in &rows {
            table.push_row(vec![
                Cell::text(&r.model),
                Cell::Int(r.parameters as i64),
                Cell::Int(r.parameter_bytes as i64),
                Cell::Int(r.state_bytes as i64),
                r.ops_definition
                    .map_or(Cell::Missing, |o| Cell::float(o[0] as f64 / 1e6, 3)),
                r.ops_definition
                    .map_or(Cell::Missing, |o| Cell::float(o[1] as f64 / 1e6, 3)),
                Cell::float(r.infer_ms_b1, 3),
                Cell::float(r.infer_ms_batch, 2),
                Cell::float(r.train_ms, 2),
                r.train_peak_bytes
                    .map_or(Cell::Missing, |p| Cell::float(mib(p), 1)),
            ])?;
            let m = &r.model;
            metrics.push((format!("{m}.params"), r.parameters as f64));
            metrics.push((format!("{m}.param_bytes"), r.parameter_bytes as f64));
            metrics.push((format!("{m}.state_bytes"), r.state_bytes as f64));
            metrics.push((format!("{m}.infer_ms_b1"), r.infer_ms_b1));
            metrics.push((format!("{m}.infer_ms_b{b}"), r.infer_ms_batch));
            metrics.push((format!("{m}.train_ms_b{b}"), r.train_ms));
            if let Some(p) = r.train_peak_bytes {
                metrics.push((format!("{m}.train_bytes_peak"), p as f64));
            }
        }
        let find = |kind: ModelKind| {
            rows.iter()
                .find(|r| r.model == kind.id())
                .with_context(|| format!("the cost run has no row for {kind}; rerun it"))
        };
        let mut ratios = Table::new([
            "pair".to_string(),
            "parameters".into(),
            "state bytes".into(),
            "ADD (definition)".into(),
            "MUL (definition)".into(),
            "MUL (executed)".into(),
            "neurons".into(),
            "measured inference b1".into(),
            format!("measured inference b{b}"),
            format!("measured training step b{b}"),
            format!("measured training peak heap b{b}"),
        ]);
        let ratio = |a: f64, h: f64| if h > 0.0 { a / h } else { f64::NAN };
        for (name, hh, slif) in PAIRS {
            let (h, s) = (find(hh)?, find(slif)?);
            let ops = |r: &ModelCost, i: usize, def: bool| {
                (if def {
                    r.ops_definition
                } else {
                    r.ops_executed
                })
                .map_or(f64::NAN, |o| o[i] as f64)
            };
            let neurons =
                |k: ModelKind| fig5b::model_ops(k).map_or(f64::NAN, |o| o.neurons() as f64);
            let values = [
                ratio(s.parameters as f64, h.parameters as f64),
                ratio(s.state_bytes as f64, h.state_bytes as f64),
                ratio(ops(s, 0, true), ops(h, 0, true)),
                ratio(ops(s, 1, true), ops(h, 1, true)),
                ratio(ops(s, 1, false), ops(h, 1, false)),
                ratio(neurons(slif), neurons(hh)),
                ratio(s.infer_ms_b1, h.infer_ms_b1),
                ratio(s.infer_ms_batch, h.infer_ms_batch),
                ratio(s.train_ms, h.train_ms),
                match (s.train_peak_bytes, h.train_peak_bytes) {
                    (Some(a), Some(c)) => ratio(a as f64, c as f64),
                    _ => f64::NAN,
                },
            ];
            let mut row = vec![Cell::text(format!("{slif} / {hh}"))];
            row.extend(values.iter().map(|&v| {
                if v.is_finite() {
                    Cell::float(v, 2)
                } else {
                    Cell::Missing
                }
            }));
            ratios.push_row(row)?;
            let keys = [
                "params".to_string(),
                "state_bytes".into(),
                "add_m".into(),
                "mul_m".into(),
                "mul_m_executed".into(),
                "neurons".into(),
                "infer_ms_b1".into(),
                format!("infer_ms_b{b}"),
                format!("train_ms_b{b}"),
                "train_bytes_peak".into(),
            ];
            for (key, v) in keys.iter().zip(values) {
                if v.is_finite() {
                    metrics.push((format!("{name}.slif2hh_over_hh.{key}"), v));
                }
            }
        }
        let how = format!(
            "Cost of every model. Parameters and their bytes (f32); state bytes = f32 state \
             variables each unit carries from one time step to the next for one image (LIF u \
             and s; HH V m h n; s-LIF2HH u and s of four compartments; the tapes kept for \
             backpropagation during training are not included); ADD and MUL per inference of \
             one image under the definition convention (see fig5b, whose counts table also \
             lists the voltage-dependent HH's exponentials and divisions, left out here). \
             Measured columns: wall time of one forward pass (batch 1 and batch \
             {b}) and of one training step (forward + backward + Adam; batch {b}) on a \
             synthetic batch shaped like the data; medians of {} forward passes after {} \
             warm-ups and of {} training steps after the first; f32; a rayon pool of {THREADS} \
             threads on a machine whose 2 cores other processes may share; so the times are \
             indicative and vary between runs. Peak heap = highest live heap bytes from just \
             before the model is built through its first training step (model, Adam moments, \
             batch, tapes and temporaries), counted by the icnet binary's allocator.",
            timing.repeats,
            timing.warmup,
            timing.train_repeats.max(1),
        );
        let mut outputs = vec![out.table(ID, &how, &table)?.deviation(
            "Our table: the paper reports operation counts (Fig. 5b) and a secondary source quotes 'memory use reduced 4x, speed 2x' without a measured table.",
        )];
        outputs.push(out.table(
            "cost_ratios",
            "s-LIF2HH over HH for the fully-connected and the convolutional pair (values above 1: \
             s-LIF2HH costs more). Counted columns from the models' shapes; measured columns \
             from the cost table's timings and peak heap (indicative, see the cost caption). \
             Neurons = spike trains of the spiking layers.",
            &ratios,
        )?);
        Ok(Rendered { outputs, metrics })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_bytes_follow_the_cells() {
        assert_eq!(state_bytes(ModelKind::LifFc), 512 * 2 * 4);
        assert_eq!(state_bytes(ModelKind::HhFc), 512 * 4 * 4);
        assert_eq!(state_bytes(ModelKind::HhVdFc), 512 * 4 * 4);
        assert_eq!(state_bytes(ModelKind::SLif2HhFc), 512 * 8 * 4);
        assert_eq!(state_bytes(ModelKind::Ann), 0);
        // Two layers: 36²·10 and 18²·10 units.
        assert_eq!(state_bytes(ModelKind::LifConv), (12_960 + 3_240) * 2 * 4);
    }

    #[test]
    fn smoke_timing_is_tiny() {
        let t = Timing::of(Profile::Smoke);
        assert!(t.batch <= 8 && t.repeats == 1 && t.warmup == 0);
        assert_eq!(Timing::of(Profile::Quick).batch, 128);
    }
}
