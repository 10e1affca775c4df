//! The network circuits of the exactness experiments on small cases: the layer-by-layer
//! evaluation against a step-synchronous reference loop, the XOR truth table, silent and
//! diverging networks, and the weight scaling rule.

use icnet_equivalence::exact::fc::{build_fc, scaled_weights, synthetic_image, FcSetting};
use icnet_equivalence::exact::network::{
    simulate_net, FeedForwardNet, HhUnit, RunSetting, TvLif2HhUnit, UnitModel,
};
use icnet_equivalence::exact::xor::{run_xor, XorSetting};
use icnet_neurons::hh::HhParams;
use icnet_neurons::spikes::SpikeDetector;
use icnet_neurons::Integrator;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The obvious step-synchronous loop: every step, layer 1 then layer 2, all units in turn.
/// Returns each unit's V at every step and its spikes, layer 1 first.
fn lockstep<M: UnitModel>(
    model: &M,
    net: &FeedForwardNet,
    setting: &RunSetting,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let steps = setting.steps().unwrap();
    let (n1, n2) = (net.layer1_currents.len(), net.layer2_size);
    let mut states = vec![model.rest(); n1 + n2];
    let mut v: Vec<Vec<f64>> = states.iter().map(|s| vec![M::potential(s)]).collect();
    let mut detectors: Vec<SpikeDetector> = states
        .iter()
        .map(|s| {
            let mut d = SpikeDetector::new(setting.threshold_mv);
            d.observe(0.0, M::potential(s));
            d
        })
        .collect();
    let dt = setting.dt_ms;
    for k in 0..steps {
        let t = k as f64 * dt;
        for (state, &current) in states.iter_mut().zip(&net.layer1_currents) {
            *state = model.step(state, t, dt, setting.integrator, current);
        }
        for j in 0..n2 {
            let mut current = 0.0;
            for (i, state) in states[..n1].iter().enumerate() {
                if M::potential(state) > setting.threshold_mv {
                    current += net.weights[i * n2 + j];
                }
            }
            states[n1 + j] = model.step(&states[n1 + j], t, dt, setting.integrator, current);
        }
        for (u, s) in states.iter().enumerate() {
            v[u].push(M::potential(s));
            detectors[u].observe((k + 1) as f64 * dt, M::potential(s));
        }
    }
    (v, detectors.into_iter().map(|d| d.into_spikes()).collect())
}

fn small_net() -> FeedForwardNet {
    FeedForwardNet {
        layer1_currents: vec![0.0, 3.0, 8.0, 15.0, 40.0],
        weights: vec![
            20.0, -20.0, 5.0, //
            -7.0, 12.0, 9.0, //
            15.0, 15.0, -30.0, //
            -4.0, 25.0, 2.0, //
            11.0, -18.0, 8.0,
        ],
        layer2_size: 3,
    }
}

#[test]
fn layered_evaluation_equals_the_step_synchronous_loop_bit_for_bit() {
    let params = HhParams::modern();
    for integrator in [Integrator::Euler, Integrator::Rk4] {
        let setting = RunSetting {
            duration_ms: 15.0,
            dt_ms: 0.005,
            integrator,
            threshold_mv: -40.0,
            record_every: 1,
        };
        let net = small_net();
        let result = simulate_net(&net, &setting, true).unwrap();
        let (v_hh, spikes_hh) = lockstep(&HhUnit { params }, &net, &setting);
        let (v_tv, spikes_tv) = lockstep(&TvLif2HhUnit { params }, &net, &setting);
        let units: Vec<_> = result.layer1.iter().chain(&result.layer2).collect();
        assert_eq!(units.len(), 8);
        for (u, unit) in units.iter().enumerate() {
            assert_eq!(unit.trace_hh, v_hh[u], "{integrator}: HH unit {u}");
            assert_eq!(unit.trace_tv, v_tv[u], "{integrator}: tv-LIF2HH unit {u}");
            assert_eq!(
                unit.spikes_hh, spikes_hh[u],
                "{integrator}: HH spikes of unit {u}"
            );
            assert_eq!(
                unit.spikes_tv, spikes_tv[u],
                "{integrator}: tv spikes of unit {u}"
            );
        }
        // The layer-2 units are driven: some fire, and the two models agree.
        assert!(result.layer2.iter().any(|u| !u.spikes_hh.is_empty()));
        assert!(result.max_abs_dv_mv().unwrap() < 1e-8);
        assert_eq!(result.spike_mismatches(), Some(0));
        assert_eq!(result.trace_times_ms.len(), 3001);
    }
}

#[test]
fn the_xor_truth_table_holds_for_hh_and_tv_lif2hh() {
    let result = run_xor(&XorSetting::paper(Integrator::Euler)).unwrap();
    assert_eq!(result.truth_table_holds(), (true, true));
    let counts: Vec<(usize, usize)> = result.cases.iter().map(|c| c.output_spikes()).collect();
    assert_eq!(counts, vec![(0, 0), (3, 3), (2, 2), (0, 0)]);
    // Inputs that are on fire tonically, inputs that are off stay at rest.
    let on = &result.cases[1].net.layer1[0];
    let off = &result.cases[1].net.layer1[1];
    assert_eq!(on.spikes_hh.len(), 5);
    assert!(off.spikes_hh.is_empty());
    assert!(
        off.trace_hh.iter().all(|v| (v + 65.0).abs() < 0.1),
        "rest ≈ −65 mV"
    );
    let dv = result.max_abs_dv_mv().unwrap();
    assert!(dv > 0.0 && dv < 1e-6, "max |dV| = {dv}");
    assert_eq!(result.spike_mismatches(), Some(0));
}

#[test]
fn a_network_without_input_is_silent() {
    let setting = RunSetting {
        duration_ms: 10.0,
        ..RunSetting::paper(Integrator::Rk4)
    };
    let net = FeedForwardNet {
        layer1_currents: vec![0.0; 4],
        weights: vec![0.0; 8],
        layer2_size: 2,
    };
    let result = simulate_net(&net, &setting, false).unwrap();
    for unit in result.layer1.iter().chain(&result.layer2) {
        assert!(unit.spikes_hh.is_empty() && unit.spikes_tv.is_empty());
    }
    assert!(
        result.layer1[0].trace_hh.is_empty(),
        "layer-1 traces not kept"
    );
    assert_eq!(result.layer2[0].trace_hh.len(), 501);
    assert!(result.max_abs_dv_mv().unwrap() < 1e-10);

    // The FC builder with zero-mean, zero-spread currents gives the same silence.
    let mut fc = FcSetting::paper(1, Integrator::Euler);
    fc.image_side = 8;
    fc.hidden = 6;
    fc.outputs = 3;
    fc.hidden_mean_rheobase = 0.0;
    fc.hidden_sd_rheobase = 0.0;
    fc.run.duration_ms = 10.0;
    let network = build_fc(&fc).unwrap();
    assert!(network.hidden_currents_ua.iter().all(|i| i.abs() < 1e-9));
    assert!(network.hidden_mean_level.iter().all(|&s| s == 0.0));
    let result = simulate_net(&network.net, &fc.run, false).unwrap();
    assert!(result
        .layer1
        .iter()
        .chain(&result.layer2)
        .all(|u| u.spikes_hh.is_empty() && u.spikes_tv.is_empty()));
}

#[test]
fn divergence_is_reported_for_both_models_never_as_nan() {
    // RK4 at dt = 0.1 ms leaves its stability region on the first spike.
    let setting = RunSetting {
        duration_ms: 20.0,
        dt_ms: 0.1,
        integrator: Integrator::Rk4,
        threshold_mv: -40.0,
        record_every: 1,
    };
    let net = FeedForwardNet {
        layer1_currents: vec![40.0],
        weights: vec![1.0],
        layer2_size: 1,
    };
    let result = simulate_net(&net, &setting, true).unwrap();
    let unit = &result.layer1[0];
    assert!(unit.diverged_hh_at_ms.is_some());
    assert_eq!(unit.diverged_hh_at_ms, unit.diverged_tv_at_ms, "same step");
    assert!(result.diverged());
    assert_eq!(result.max_abs_dv_mv(), None);
    assert_eq!(result.spike_mismatches(), None);
    assert!(unit
        .trace_hh
        .iter()
        .chain(&unit.trace_tv)
        .all(|v| v.is_finite()));
    assert!(unit
        .spikes_hh
        .iter()
        .chain(&unit.spikes_tv)
        .all(|t| t.is_finite()));
    assert!(
        unit.trace_hh.len() < result.trace_times_ms.len(),
        "trace stops"
    );
}

#[test]
fn weight_scaling_sets_the_mean_and_spread_of_the_currents_exactly() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x: Vec<f64> = synthetic_image(&mut rng, 12)
        .iter()
        .map(|&b| f64::from(b) / 255.0)
        .collect();
    let n_out = 7;
    let z: Vec<f64> = (0..x.len() * n_out)
        .map(|k| ((k * 7919) % 101) as f64 / 50.0 - 1.0)
        .collect();
    let w = scaled_weights(&z, &x, n_out, 2.5, 4.0);
    let currents: Vec<f64> = (0..n_out)
        .map(|o| {
            x.iter()
                .enumerate()
                .map(|(i, xi)| w[i * n_out + o] * xi)
                .sum()
        })
        .collect();
    let mean = currents.iter().sum::<f64>() / n_out as f64;
    let sd = (currents.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / n_out as f64).sqrt();
    assert!((mean - 2.5).abs() < 1e-9, "mean {mean}");
    assert!((sd - 4.0).abs() < 1e-9, "sd {sd}");
    // A silent input leaves nothing to scale.
    assert!(scaled_weights(&z, &vec![0.0; x.len()], n_out, 2.5, 4.0)
        .iter()
        .all(|w| *w == 0.0));
}

#[test]
fn the_synthetic_image_is_seeded_and_sparse() {
    let image = |seed| synthetic_image(&mut ChaCha8Rng::seed_from_u64(seed), 36);
    let a = image(2024);
    assert_eq!(a.len(), 36 * 36);
    assert_eq!(a, image(2024));
    assert_ne!(a, image(2025));
    let ink = a.iter().filter(|&&b| b > 128).count();
    assert!((60..600).contains(&ink), "{ink} dark pixels");
    assert!(a.iter().any(|&b| b > 240), "the strokes reach full ink");
    // The border rows are empty: the glyphs sit inside the canvas.
    assert!(a[..36].iter().all(|&b| b == 0));
}

#[test]
fn a_given_image_replaces_the_synthetic_one_and_a_wrong_size_is_an_error() {
    use icnet_equivalence::exact::fc::build_fc_with_image;
    let mut fc = FcSetting::paper(1, Integrator::Euler);
    fc.run.duration_ms = 2.0;
    fc.run.dt_ms = 0.01;
    let image: Vec<u8> = (0..36 * 36).map(|i| ((i * 37) % 256) as u8).collect();
    let net = build_fc_with_image(&fc, Some(&image)).unwrap();
    assert_eq!(net.image, image);
    let err = build_fc_with_image(&fc, Some(&image[..100]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("image"), "{err}");
}
