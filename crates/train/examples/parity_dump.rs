//! Dumps one loss-and-gradient evaluation of a fully-connected model as JSON, for the
//! out-of-CI parity check against an independent PyTorch model (`scripts/parity_torch.py`).
//!
//! Usage:
//! `cargo run --release -p icnet-train --example parity_dump -- --model M --seed S --rows R --out FILE.json`
//! with optional `--first K` (index of the first training composite, default `seed × rows`),
//! `--data DIR` (default `data`) and `--synthetic` (seeded random composite-like images
//! instead of real Multi-MNIST composites; used automatically when the data cannot be loaded),
//! `--steps T` (override the model's T) and `--hh-dt DT` (override the HH Euler step, 0.01 in
//! the reference: at T·dt = 0.15 ms the gates barely move from 0, so a longer simulated span
//! is the way to exercise the ionic-current and gating gradients).
//!
//! The input is on the byte scale (0–255), the reference input of PAPER.md §4. The dump
//! holds the input, the labels, every parameter (value and shape, in the model's order),
//! the HH constant gating rates when the model has them, the loss, every parameter's
//! gradient, the logits, the mean hidden rate and the hidden layer's membrane-potential
//! tape (so that a spike flipped by rounding can be located).

use icnet_data::{load_or_build, DatasetKind};
use icnet_train::cells::HhGating;
use icnet_train::models::{FcModel, Hidden, ModelKind, Network, INPUT_FEATURES};
use icnet_train::step::loss_and_grad;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    model: ModelKind,
    seed: u64,
    rows: usize,
    first: Option<usize>,
    out: PathBuf,
    data: PathBuf,
    synthetic: bool,
    steps: Option<usize>,
    hh_dt: Option<f32>,
}

fn usage() -> ! {
    eprintln!(
        "usage: parity_dump --model M --seed S --rows R --out FILE.json \
         [--first K] [--data DIR] [--synthetic] [--steps T] [--hh-dt DT]\n\
         M: lif-fc, 4lif-fc, hh-fc, hh-vd-fc, slif2hh-fc, ann"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut model = None;
    let mut seed = 0;
    let mut rows = 16;
    let mut first = None;
    let mut out = None;
    let mut data = PathBuf::from("data");
    let mut synthetic = false;
    let mut steps = None;
    let mut hh_dt = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--model" => {
                model = Some(value().parse().unwrap_or_else(|e| {
                    eprintln!("{e}");
                    usage()
                }))
            }
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage()),
            "--rows" => rows = value().parse().unwrap_or_else(|_| usage()),
            "--first" => first = Some(value().parse().unwrap_or_else(|_| usage())),
            "--out" => out = Some(PathBuf::from(value())),
            "--data" => data = PathBuf::from(value()),
            "--synthetic" => synthetic = true,
            "--steps" => steps = Some(value().parse().unwrap_or_else(|_| usage())),
            "--hh-dt" => hh_dt = Some(value().parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    Args {
        model: model.unwrap_or_else(|| usage()),
        seed,
        rows,
        first,
        out: out.unwrap_or_else(|| usage()),
        data,
        synthetic,
        steps,
        hh_dt,
    }
}

/// Seeded composite-like images: about 30 % of the pixels nonzero, integers 1–255.
fn synthetic_batch(rows: usize, seed: u64) -> (Vec<f32>, Vec<u8>, Vec<u8>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5041_5249_5459 ^ seed);
    let x = (0..rows * INPUT_FEATURES)
        .map(|_| {
            if rng.random_bool(0.3) {
                rng.random_range(1..=255u32) as f32
            } else {
                0.0
            }
        })
        .collect();
    let l1 = (0..rows).map(|_| rng.random_range(0..10u8)).collect();
    let l2 = (0..rows).map(|_| rng.random_range(0..10u8)).collect();
    (x, l1, l2)
}

/// A batch: inputs, task-1 labels, task-2 labels, and where it came from.
type Batch = (Vec<f32>, Vec<u8>, Vec<u8>, String);

/// Real Multi-MNIST composites `first..first + rows` of the training set, byte scale.
fn real_batch(dir: &std::path::Path, rows: usize, first: usize) -> Result<Batch, String> {
    // The small cached build (512 train / 256 test) is enough for a batch of composites.
    let n_train = (first + rows).max(512);
    let data =
        load_or_build(dir, DatasetKind::MultiMnist, n_train, 256, 0).map_err(|e| e.to_string())?;
    let indices: Vec<usize> = (first..first + rows).collect();
    let mut x = vec![0f32; rows * INPUT_FEATURES];
    data.train.batch_bytes_f32(&indices, None, &mut x);
    let l1 = indices.iter().map(|&i| data.train.label1[i]).collect();
    let l2 = indices.iter().map(|&i| data.train.label2[i]).collect();
    let what = format!(
        "multi-mnist-{n_train}-256-seed0 train[{first}..{}] ({}), byte scale",
        first + rows,
        data.source
    );
    Ok((x, l1, l2, what))
}

fn main() {
    let args = parse_args();
    let started = Instant::now();
    let first = args.first.unwrap_or(args.seed as usize * args.rows);
    let (x, labels1, labels2, input) = if args.synthetic {
        let (x, a, b) = synthetic_batch(args.rows, args.seed);
        (x, a, b, format!("synthetic seed {}", args.seed))
    } else {
        match real_batch(&args.data, args.rows, first) {
            Ok(batch) => batch,
            Err(e) => {
                eprintln!("parity_dump: no real data ({e}); using synthetic composites");
                let (x, a, b) = synthetic_batch(args.rows, args.seed);
                (x, a, b, format!("synthetic seed {}", args.seed))
            }
        }
    };

    let mut net = FcModel::<f32>::new(args.model, args.seed);
    let steps = args.steps.unwrap_or(args.model.hyper().steps);
    net.set_steps(steps);
    let mut hh_dt = None;
    if let Hidden::Hh(cell, _) = &mut net.hidden {
        if let Some(dt) = args.hh_dt {
            cell.dt = dt;
        }
        hh_dt = Some(cell.dt);
    } else if args.hh_dt.is_some() {
        eprintln!(
            "parity_dump: --hh-dt ignored, {} has no HH layer",
            args.model.id()
        );
    }
    // The logits of the very forward pass that loss_and_grad repeats (deterministic).
    let (logits1, logits2) = {
        let (a, b) = net.forward(&x, args.rows);
        (a.to_vec(), b.to_vec())
    };
    let stats = loss_and_grad(&mut net, &x, &labels1, &labels2);

    let params: Vec<Value> = net
        .params()
        .iter()
        .map(|p| json!({"name": p.name, "shape": p.shape, "value": p.value}))
        .collect();
    let grads: Vec<Value> = net
        .params()
        .iter()
        .map(|p| json!({"name": p.name, "grad": p.grad}))
        .collect();
    // Membrane potentials of the hidden layer, as the tape holds them.
    let (potentials, layout): (Option<&[f32]>, &str) = match &net.hidden {
        Hidden::Lif(_, tape) => (Some(&tape.u), "[T][rows*neurons]"),
        Hidden::Hh(_, tape) => (
            Some(&tape.v),
            "[T][rows*neurons], V after step k at index k-1",
        ),
        Hidden::SLif2Hh(_, tape, _) => (Some(&tape.u), "[4 compartments][T][rows*neurons]"),
        Hidden::Ann(_) => (None, "none"),
    };
    let hh_rates: Option<Vec<Vec<f32>>> = match &net.hidden {
        Hidden::Hh(cell, _) => match &cell.gating {
            HhGating::ConstantRates(r) => Some(r.to_vec()),
            HhGating::VoltageDependent => None,
        },
        _ => None,
    };

    let doc = json!({
        "model": args.model.id(),
        "seed": args.seed,
        "rows": args.rows,
        "steps": steps,
        "neurons": net.neurons(),
        "input": input,
        "x": x,
        "labels1": labels1,
        "labels2": labels2,
        "params": params,
        "hh_dt": hh_dt,
        "hh_rates": hh_rates,
        "hh_rates_order": "alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n",
        "loss": stats.loss,
        "correct1": stats.correct1,
        "correct2": stats.correct2,
        "grads": grads,
        "logits1": logits1,
        "logits2": logits2,
        "hidden_rate": net.hidden_rate(),
        "potentials": potentials,
        "potentials_layout": layout,
    });
    let text = serde_json::to_string(&doc).expect("the dump serialises");
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).expect("create the output folder");
    }
    std::fs::write(&args.out, text).expect("write the dump");
    eprintln!(
        "parity_dump: {} seed {} rows {}: loss {:.6}, hidden rate {:.4}, {} -> {} ({:.2}s)",
        args.model.id(),
        args.seed,
        args.rows,
        stats.loss,
        net.hidden_rate(),
        input,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
}
