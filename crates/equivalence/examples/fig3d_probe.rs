//! Probe (issue 3): how much do extra s-LIF2HH parameters (per-unit reset potentials, initial
//! potentials) or another spike stamp change the fit? A self-contained copy of the s-LIF2HH
//! chain (mode `base` reproduces the library's 12-parameter fit bit for bit: loss 3.6260; mode
//! `init` the 16-parameter one: 1.4475), so that variants the library does not implement
//! (per-unit resets) can be measured.
//!
//! `cargo run --release -p icnet-equivalence --example fig3d_probe -- MODE [FIT_SET]`
//!
//! MODE ∈ base | init | reset | both. FIT_SET: omitted = the five training shapes; a held-out
//! stimulus name (e.g. `triangle#3`) or `ALL` = fit on held-out stimuli directly — an upper
//! bound of the model class and search, a diagnostic only, never a result. Environment:
//! `RESTARTS` (10), `SEED` (0), `STAMP` (spike stamp as a fraction of the step, 0 = start),
//! `EXTRA`/`NOISE` (add that many variants per shape / noisy currents, drawn with seed 7, to
//! the training set; the held-out set uses seed 20 240 311), `LCOUNT`/`LVR` (loss weights λ_n,
//! λ_vR; 1 and 0.1), `LEAKMAX` (upper bound of the leak box, 1). Prints Γ per stimulus of the
//! training set, the quick held-out set and the fit set.

use icnet_equivalence::chain::{HhChain, PAPER_WEIGHT};
use icnet_equivalence::cmaes::{Problem, Rejected};
use icnet_equivalence::fit::{
    fit, held_out_stimuli, simulate_targets, training_stimuli, FitBudget, HeldOutSpec, LossWeights,
    Target,
};
use icnet_equivalence::metrics::{coincidence_factor, MetricParams, SpikeTrain};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Base,
    Init,
    Reset,
    Both,
}

struct Probe {
    mode: Mode,
    leak_max: f64,
    loss: LossWeights,
    targets: Vec<Target>,
    stamp: f64,
}

struct P {
    leak: [f64; 4],
    th: f64,
    w: [f64; 3],
    a: [f64; 3],
    dt: f64,
    reset: [f64; 4],
    init: [f64; 4],
}

fn unpack(mode: Mode, x: &[f64]) -> P {
    let mut p = P {
        leak: [x[0], x[1], x[2], x[3]],
        th: x[4],
        w: [x[5], x[6], x[7]],
        a: [x[8], x[9], x[10]],
        dt: x[11],
        reset: [0.0; 4],
        init: [0.0; 4],
    };
    let mut i = 12;
    if matches!(mode, Mode::Reset | Mode::Both) {
        // Units start at rest (0) and reset to their own fitted potential.
        p.reset.copy_from_slice(&x[i..i + 4]);
        i += 4;
    }
    if matches!(mode, Mode::Init | Mode::Both) {
        p.init.copy_from_slice(&x[i..i + 4]);
    }
    p
}

fn step(p: &P, u: &mut [f64; 4], c: f64) -> Option<bool> {
    for ((u_j, leak), gain) in u.iter_mut().zip(&p.leak).zip(&p.a) {
        *u_j += p.dt * (-leak * *u_j + gain * c);
    }
    let d: f64 = (0..3).map(|j| p.w[j] * u[j]).sum();
    u[3] += p.dt * (-p.leak[3] * u[3] + d);
    if !u.iter().all(|v| v.is_finite()) {
        return None;
    }
    if u.iter().all(|&v| v > p.th) {
        *u = p.reset;
        Some(true)
    } else {
        Some(false)
    }
}

fn run(p: &P, t: &Target, stamp: f64) -> Option<SpikeTrain> {
    let steps = (80.0 / p.dt).round() as usize;
    let cur = t.grid().step_means(p.dt, steps);
    let (mut u1, mut u2) = (p.init, p.init);
    let mut out = Vec::new();
    for (k, &c) in cur.iter().enumerate() {
        let f1 = step(p, &mut u1, c)?;
        let f2 = step(p, &mut u2, if f1 { PAPER_WEIGHT * p.dt } else { 0.0 })?;
        if f2 {
            out.push((k as f64 + stamp) * p.dt);
        }
    }
    Some(SpikeTrain::new(out).unwrap())
}

impl Problem for Probe {
    fn dim(&self) -> usize {
        self.bounds().0.len()
    }
    fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let mut lo = vec![
            0.0, 0.0, 0.0, 0.0, 10.0, -1.0, -1.0, -1.0, 0.0, 0.0, 0.0, 0.1,
        ];
        let k = self.leak_max;
        let mut hi = vec![k, k, k, k, 150.0, 1.0, 1.0, 1.0, 4.0, 4.0, 4.0, 1.0];
        let extra = match self.mode {
            Mode::Base => 0,
            Mode::Init | Mode::Reset => 4,
            Mode::Both => 8,
        };
        for _ in 0..extra {
            lo.push(-150.0);
            hi.push(150.0);
        }
        (lo, hi)
    }
    fn cost(&self, x: &[f64]) -> Result<f64, Rejected> {
        let p = unpack(self.mode, x);
        if p.leak.iter().any(|k| k * p.dt > 2.0) {
            return Err(Rejected::new("leak·dt > 2"));
        }
        let m = MetricParams::with_duration(80.0);
        let l = self.loss;
        let mut total = 0.0;
        for t in &self.targets {
            let tr = run(&p, t, self.stamp).ok_or_else(|| Rejected::new("diverged"))?;
            total += l.stimulus_loss(&t.reference.unit2, &tr, &m);
        }
        Ok(total)
    }
}

fn report(name: &str, p: &P, targets: &[Target], stamp: f64) -> (f64, f64) {
    let mut gs = Vec::new();
    for t in targets {
        let tr = run(p, t, stamp).unwrap();
        gs.push(coincidence_factor(&t.reference.unit2, &tr, 2.0, 80.0).unwrap());
    }
    let min = gs.iter().cloned().fold(f64::INFINITY, f64::min);
    let mean = gs.iter().sum::<f64>() / gs.len() as f64;
    println!(
        "{name}: Γ min {min:.3} mean {mean:.3} [{}]",
        gs.iter()
            .map(|g| format!("{g:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    (min, mean)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = match args.get(1).map(String::as_str) {
        Some("init") => Mode::Init,
        Some("reset") => Mode::Reset,
        Some("both") => Mode::Both,
        _ => Mode::Base,
    };
    let stamp: f64 = std::env::var("STAMP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    let restarts: usize = std::env::var("RESTARTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let hh = HhChain::authors_script();
    let train = simulate_targets(&hh, &training_stimuli(), 80.0).unwrap();
    let spec = HeldOutSpec {
        per_shape: 4,
        noise: 5,
        spread: 0.25,
        seed: 20_240_311,
    };
    let held = simulate_targets(&hh, &held_out_stimuli(&spec), 80.0).unwrap();
    let extra: usize = std::env::var("EXTRA")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let noise: usize = std::env::var("NOISE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut fit_targets: Vec<Target> = match args.get(2) {
        Some(name) if name == "ALL" => held.clone(),
        Some(name) => held
            .iter()
            .filter(|t| &t.stimulus.name == name)
            .cloned()
            .collect(),
        None => train.clone(),
    };
    if extra + noise > 0 {
        let spec = HeldOutSpec {
            per_shape: extra,
            noise,
            spread: 0.25,
            seed: 7,
        };
        let more = simulate_targets(&hh, &held_out_stimuli(&spec), 80.0).unwrap();
        fit_targets.extend(more);
    }
    let env = |name: &str, default: f64| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let loss = LossWeights {
        count: env("LCOUNT", 1.0),
        van_rossum: env("LVR", 0.1),
    };
    let probe = Probe {
        mode,
        leak_max: env("LEAKMAX", 1.0),
        loss,
        targets: fit_targets,
        stamp,
    };
    let budget = FitBudget {
        restarts,
        population: 24,
        generations: 500,
        initial_sigma: 0.3,
        screen: 200,
    };
    let mut start = vec![
        0.1,
        0.1,
        0.1,
        0.1,
        70.0,
        1.0 / 3.0,
        1.0 / 3.0,
        1.0 / 3.0,
        1.0,
        1.0,
        1.0,
        1.0,
    ];
    start.resize(probe.dim(), 0.0);
    let t0 = std::time::Instant::now();
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let out = fit(&probe, &budget, seed, Some(&start), |_, _| {
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    println!(
        "mode {} stamp {stamp}: loss {:.4} evals {} in {:.1}s x {:?}",
        args.get(1).map_or("base", String::as_str),
        out.best_cost,
        out.evaluations,
        t0.elapsed().as_secs_f64(),
        out.best_x
            .iter()
            .map(|v| (v * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
    let p = unpack(mode, &out.best_x);
    report("training", &p, &train, stamp);
    report("held-out", &p, &held, stamp);
    report("fit set", &p, &probe.targets, stamp);
}
