//! Dumps one loss-and-gradient evaluation of a fully-connected or convolutional model as
//! JSON, for the out-of-CI parity check against an independent PyTorch model
//! (`scripts/parity_torch.py`).
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
//!
//! Convolutional models (lif-conv, 4lif-conv, hh-conv, slif2hh-conv, cnn) write the same
//! fields plus `channels`, the HH constant rates of both layers (`hh_rates_layers`) and, in
//! `layers`, the potentials of both hidden layers (NHWC, `[compartment][T][rows·side²·C]`;
//! the CNN's pre-activations, T = 1). The model keeps no layer-1 tape (its backward pass
//! recomputes layer 1 band by band, or block by block for s-LIF2HH), so layer 1 is recomputed here from the model's own
//! first convolution and cell on the whole batch (elementwise cells: the same numbers);
//! layer 2 is the model's tape of the evaluated pass. Keep `--rows` small (4–8): the
//! potentials of 4lif-conv are `15 × rows × 51 840` numbers.

use icnet_data::{load_or_build, DatasetKind};
use icnet_train::cells::{Drive, HhGating, HhTape, LifTape, SLif2HhTape};
use icnet_train::conv::avg_pool2;
use icnet_train::models::{
    ConvHidden, ConvModel, FcModel, Hidden, ModelKind, Network, IMAGE_SIDE, INPUT_FEATURES,
};
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
         M: lif-fc, 4lif-fc, hh-fc, hh-vd-fc, slif2hh-fc, ann, \
         lif-conv, 4lif-conv, hh-conv, slif2hh-conv, cnn"
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

    if args.model.is_conv() {
        conv_dump(&args, &x, &labels1, &labels2, &input, started);
        return;
    }
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

/// The HH constant rates of both layers, `[layer][6][neurons]`.
type LayerRates = Vec<Vec<Vec<f32>>>;

/// The HH constant rates of one cell, `[6][neurons]`.
fn constant_rates(gating: &HhGating<f32>) -> Option<Vec<Vec<f32>>> {
    match gating {
        HhGating::ConstantRates(r) => Some(r.to_vec()),
        HhGating::VoltageDependent => None,
    }
}

/// One hidden layer's potentials for the dump.
fn layer_json(name: &str, side: usize, compartments: usize, steps: usize, u: &[f32]) -> Value {
    json!({
        "name": name,
        "side": side,
        "compartments": compartments,
        "steps": steps,
        "layout": "[compartment][T][rows*side*side*C], NHWC (channels innermost)",
        "potentials": u,
    })
}

/// The dump of a convolutional model (see the module documentation).
fn conv_dump(
    args: &Args,
    x: &[f32],
    labels1: &[u8],
    labels2: &[u8],
    input: &str,
    started: Instant,
) {
    let rows = args.rows;
    let mut net = ConvModel::<f32>::new(args.model, args.seed);
    if let Some(steps) = args.steps {
        net.set_steps(steps);
    }
    let steps = net.steps();
    let channels = net.channels();
    let mut hh_dt = None;
    if let ConvHidden::Hh(cells, _) = &mut net.hidden {
        for cell in cells.iter_mut() {
            if let Some(dt) = args.hh_dt {
                cell.dt = dt;
            }
        }
        hh_dt = Some(cells[0].dt);
    } else if args.hh_dt.is_some() {
        eprintln!(
            "parity_dump: --hh-dt ignored, {} has no HH layer",
            args.model.id()
        );
    }
    let (logits1, logits2) = {
        let (a, b) = net.forward(x, rows);
        (a.to_vec(), b.to_vec())
    };
    let stats = loss_and_grad(&mut net, x, labels1, labels2);

    // Layer 1, recomputed on the whole batch with the model's own convolutions and cell.
    let side1 = IMAGE_SIDE;
    let side2 = IMAGE_SIDE / 2;
    let len1 = rows * side1 * side1 * channels;
    let len2 = rows * side2 * side2 * channels;
    let drive1: Vec<Vec<f32>> = net
        .conv1
        .iter()
        .map(|conv| {
            let mut d = vec![0f32; len1];
            conv.forward(x, rows, &mut d);
            d
        })
        .collect();
    let mut rate1 = vec![0f32; len1];
    let (layers, hh_rates_layers): (Vec<Value>, Option<LayerRates>) = match &net.hidden {
        ConvHidden::Lif(cell, tape2) => {
            let mut tape1 = LifTape::default();
            cell.forward(
                Drive::Static(&drive1[0]),
                steps,
                len1,
                &mut tape1,
                &mut rate1,
            );
            (
                vec![
                    layer_json("layer1", side1, 1, steps, &tape1.u),
                    layer_json("layer2", side2, 1, steps, &tape2.u),
                ],
                None,
            )
        }
        ConvHidden::Hh(cells, tape2) => {
            let mut tape1 = HhTape::default();
            cells[0].forward(
                Drive::Static(&drive1[0]),
                steps,
                len1,
                &mut tape1,
                &mut rate1,
            );
            let rates = cells
                .iter()
                .map(|c| constant_rates(&c.gating).expect("HH-conv has constant rates"))
                .collect();
            (
                vec![
                    layer_json("layer1", side1, 1, steps, &tape1.v),
                    layer_json("layer2", side2, 1, steps, &tape2.v),
                ],
                Some(rates),
            )
        }
        ConvHidden::SLif2Hh(cell, [_, tape2], mix) => {
            let mut tape1 = SLif2HhTape::default();
            let d: [Drive<'_, f32>; 3] = std::array::from_fn(|k| Drive::Static(&drive1[k][..]));
            cell.forward(d, &mix.value, steps, len1, &mut tape1, None);
            (
                vec![
                    layer_json("layer1", side1, 4, steps, &tape1.u),
                    layer_json("layer2", side2, 4, steps, &tape2.u),
                ],
                None,
            )
        }
        ConvHidden::Cnn(cell) => {
            // The pre-activations of both layers (H(ReLU(d) − 0.5) decides on d).
            let mut a1 = vec![0f32; len1];
            cell.forward(&drive1[0], &mut a1);
            let mut pooled = vec![0f32; len2];
            avg_pool2(&a1, rows, side1, channels, &mut pooled);
            let mut drive2 = vec![0f32; len2];
            net.conv2[0].forward(&pooled, rows, &mut drive2);
            (
                vec![
                    layer_json("layer1", side1, 1, 1, &drive1[0]),
                    layer_json("layer2", side2, 1, 1, &drive2),
                ],
                None,
            )
        }
    };

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
    let doc = json!({
        "model": args.model.id(),
        "conv": true,
        "seed": args.seed,
        "rows": rows,
        "steps": steps,
        "channels": channels,
        "layout": "images NHWC; conv weight [c_out][ky][kx][c_in] (cross-correlation, pad 1); \
                   readout input per row [compartment][y][x][c] of the 9x9 pooled mean rates",
        "input": input,
        "x": x,
        "labels1": labels1,
        "labels2": labels2,
        "params": params,
        "hh_dt": hh_dt,
        "hh_rates_layers": hh_rates_layers,
        "hh_rates_order": "alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n; \
                           neuron = (y*side + x)*C + c within an image",
        "loss": stats.loss,
        "correct1": stats.correct1,
        "correct2": stats.correct2,
        "grads": grads,
        "logits1": logits1,
        "logits2": logits2,
        "hidden_rate": net.hidden_rate(),
        "layers": layers,
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
        rows,
        stats.loss,
        net.hidden_rate(),
        input,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
}
