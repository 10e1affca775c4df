//! Diagnostics of the Fig. 3d s-LIF2HH fit (issue 3): HH unit-2 trains, unit-1 → unit-2 lags,
//! and the model's unit-2 train, Γ and per-spike offsets (when the counts match) of a
//! 16-parameter vector against HH on the training and held-out stimuli of the quick profile.
//!
//! `cargo run --release -p icnet-equivalence --example fig3d_diagnose -- [x1,x2,…,x16]`
//!
//! Without an argument it shows the quick profile's 12-parameter fit (initial potentials 0).

use icnet_equivalence::chain::{HhChain, StepStamp, PAPER_WEIGHT};
use icnet_equivalence::fit::{
    held_out_stimuli, simulate_targets, training_stimuli, HeldOutSpec, Parameterisation,
    SLif2HhParameterisation, Target,
};
use icnet_equivalence::metrics::coincidence_factor;

fn show(name: &str, targets: &[Target], x: &[f64]) {
    let net = SLif2HhParameterisation.network(x).unwrap();
    let steps = (80.0 / net.dt).round() as usize;
    println!("== {name}");
    for t in targets {
        let r = &t.reference;
        let lags: Vec<String> = r
            .unit1
            .times()
            .iter()
            .zip(r.unit2.times())
            .map(|(a, b)| format!("{:.2}", b - a))
            .collect();
        let currents = t.grid().step_means(net.dt, steps);
        let m = net
            .run_chain(&currents, PAPER_WEIGHT, StepStamp::Start)
            .unwrap();
        let g = coincidence_factor(&r.unit2, &m.unit2, 2.0, 80.0).unwrap();
        let offs: Vec<String> = if m.unit2.len() == r.unit2.len() {
            r.unit2
                .times()
                .iter()
                .zip(m.unit2.times())
                .map(|(a, b)| format!("{:+.1}", b - a))
                .collect()
        } else {
            vec![format!("n {}/{}", m.unit2.len(), r.unit2.len())]
        };
        println!(
            "{:12} hh2 {:?}\n             lags {:?}\n             model {:?} Γ {g:.3} offs {:?}",
            t.stimulus.name,
            r.unit2
                .times()
                .iter()
                .map(|v| (v * 10.0).round() / 10.0)
                .collect::<Vec<_>>(),
            lags,
            m.unit2
                .times()
                .iter()
                .map(|v| (v * 100.0).round() / 100.0)
                .collect::<Vec<_>>(),
            offs
        );
    }
}

fn main() {
    let hh = HhChain::authors_script();
    let train = simulate_targets(&hh, &training_stimuli(), 80.0).unwrap();
    let spec = HeldOutSpec {
        per_shape: 4,
        noise: 5,
        spread: 0.25,
        seed: 20_240_311,
    };
    let held = simulate_targets(&hh, &held_out_stimuli(&spec), 80.0).unwrap();
    // The parameter vector: comma-separated as the first argument, or the 12-parameter fit
    // of the quick profile before initial potentials were fitted (padded with u0 = 0).
    let fitted: Vec<f64> = match std::env::args().nth(1) {
        Some(list) => list.split(',').map(|v| v.trim().parse().unwrap()).collect(),
        None => vec![
            0.1223, 0.5833, 0.5440, 0.7702, 17.5454, 0.5685, -0.8462, -0.3307, 2.2833, 3.3263,
            3.4922, 0.4182, 0.0, 0.0, 0.0, 0.0,
        ],
    };
    show("training, fitted", &train, &fitted);
    show("held-out, fitted", &held, &fitted);
}
