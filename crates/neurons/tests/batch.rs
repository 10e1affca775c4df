//! `HhBatch` (fast exp, SIMD, rayon) against the scalar reference `hh::step` (forward
//! Euler, std `exp`) with its own threshold-crossing loop, written out here.

use icnet_neurons::batch::{HhBatch, BLOCK};
use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::{Integrator, NeuronError};
use proptest::prelude::*;

/// Spike times (upward crossings of `threshold`, linearly interpolated inside the step)
/// and final state of one neuron under a constant current, by `hh::step` with Euler.
fn scalar_reference(
    params: &HhParams,
    start: HhState,
    current: f64,
    dt: f64,
    steps: usize,
    threshold: f64,
) -> (Vec<f64>, HhState) {
    let mut state = start;
    let mut spikes = Vec::new();
    for step in 0..steps {
        let t = step as f64 * dt;
        let next = hh::step(params, &state, t, dt, Integrator::Euler, |_| current);
        if state.v < threshold && next.v >= threshold {
            spikes.push(t + dt * (threshold - state.v) / (next.v - state.v));
        }
        state = next;
    }
    (spikes, state)
}

/// Runs `currents` as one batch, each current repeated so that the batch spans several
/// blocks with a ragged last one, and checks every copy against the scalar reference.
/// Returns the largest spike-time difference (ms) and the largest scaled state difference.
fn compare(
    params: HhParams,
    start: Option<HhState>,
    currents: &[f64],
    dt: f64,
    steps: usize,
    threshold: f64,
) -> (f64, f64) {
    let copies = BLOCK / currents.len() + 2;
    let batch_currents: Vec<f64> = (0..copies).flat_map(|_| currents.iter().copied()).collect();
    let mut batch = HhBatch::new(params, batch_currents.clone()).unwrap();
    if let Some(state) = start {
        batch = batch.with_state(state);
    }
    let start = start.unwrap_or_else(|| HhState::resting(&params));
    let result = batch.run(dt, steps, Some(threshold)).unwrap();
    assert_eq!(result.spike_counts.len(), batch_currents.len());

    let (mut worst_time, mut worst_state) = (0.0f64, 0.0f64);
    for (k, &current) in currents.iter().enumerate() {
        let (spikes, end) = scalar_reference(&params, start, current, dt, steps, threshold);
        for copy in 0..copies {
            let i = copy * currents.len() + k;
            assert_eq!(
                result.spike_counts[i] as usize,
                spikes.len(),
                "I = {current}, dt = {dt}: spike count (neuron {i})"
            );
            assert_eq!(result.first_spike_ms[i].is_some(), !spikes.is_empty());
            for (a, b) in result.spike_times_ms[i].iter().zip(&spikes) {
                worst_time = worst_time.max((a - b).abs());
            }
            let s = batch.state(i);
            for (a, b) in [(s.v, end.v), (s.m, end.m), (s.h, end.h), (s.n, end.n)] {
                worst_state = worst_state.max((a - b).abs() / b.abs().max(1.0));
            }
        }
    }
    (worst_time, worst_state)
}

const CURRENTS_1952: [f64; 9] = [0.0, 2.0, 5.0, 6.5, 8.0, 10.0, 15.0, 20.0, 50.0];

#[test]
fn reproduces_scalar_spikes_1952_dt_0_01() {
    let (dtime, dstate) = compare(HhParams::hh1952(), None, &CURRENTS_1952, 0.01, 10_000, 50.0);
    println!(
        "1952, dt 0.01, 100 ms: max |Δt_spike| = {dtime:.3e} ms, max state diff = {dstate:.3e}"
    );
    assert!(dtime < 1e-9, "spike times differ by {dtime} ms");
    assert!(dstate < 1e-9, "final states differ by {dstate} (relative)");
}

#[test]
fn reproduces_scalar_spikes_1952_dt_0_001() {
    let (dtime, dstate) = compare(
        HhParams::hh1952(),
        None,
        &CURRENTS_1952,
        0.001,
        100_000,
        50.0,
    );
    println!(
        "1952, dt 0.001, 100 ms: max |Δt_spike| = {dtime:.3e} ms, max state diff = {dstate:.3e}"
    );
    assert!(dtime < 1e-9, "spike times differ by {dtime} ms");
    assert!(dstate < 1e-9, "final states differ by {dstate} (relative)");
}

#[test]
fn reproduces_scalar_spikes_modern_convention() {
    let currents = [0.0, 3.0, 7.0, 10.0, 25.0];
    for (start, dt, steps) in [
        (None, 0.01, 10_000),
        (Some(HhState::modern_reference()), 0.01, 10_000),
        (Some(HhState::modern_reference()), 0.001, 100_000),
    ] {
        let (dtime, dstate) = compare(HhParams::modern(), start, &currents, dt, steps, -40.0);
        println!("modern, dt {dt}: max |Δt_spike| = {dtime:.3e} ms, max state diff = {dstate:.3e}");
        assert!(dtime < 1e-9, "spike times differ by {dtime} ms");
        assert!(dstate < 1e-9, "final states differ by {dstate} (relative)");
    }
}

#[test]
fn the_reference_currents_spike_as_expected() {
    // Guards against a vacuous comparison: below rheobase no spikes, above it many.
    let mut batch = HhBatch::new(HhParams::hh1952(), CURRENTS_1952.to_vec()).unwrap();
    let result = batch.run(0.01, 10_000, Some(50.0)).unwrap();
    assert_eq!(result.spike_counts[0], 0);
    assert!(result.spike_counts[5] >= 5, "{:?}", result.spike_counts);
    assert!(result.spike_counts[8] > result.spike_counts[5]);
    let first = result.first_spike_ms[5].unwrap();
    assert!(first > 0.0 && first < 20.0, "first spike at {first} ms");
    assert_eq!(Some(&first), result.spike_times_ms[5].first());
}

#[test]
fn time_continues_across_runs() {
    let currents = vec![8.0, 12.0];
    let mut whole = HhBatch::new(HhParams::hh1952(), currents.clone()).unwrap();
    let all = whole.run(0.01, 6_000, Some(50.0)).unwrap();
    let mut split = HhBatch::new(HhParams::hh1952(), currents).unwrap();
    let first = split.run(0.01, 2_500, Some(50.0)).unwrap();
    let second = split.run(0.01, 3_500, Some(50.0)).unwrap();
    assert!((split.time_ms() - 60.0).abs() < 1e-9);
    for i in 0..2 {
        let joined: Vec<f64> = first.spike_times_ms[i]
            .iter()
            .chain(&second.spike_times_ms[i])
            .copied()
            .collect();
        assert_eq!(joined.len(), all.spike_times_ms[i].len());
        for (a, b) in joined.iter().zip(&all.spike_times_ms[i]) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        assert_eq!(split.state(i), whole.state(i));
    }
}

#[test]
fn no_threshold_records_nothing_and_empty_batches_work() {
    let mut batch = HhBatch::new(HhParams::hh1952(), vec![10.0; 3]).unwrap();
    let result = batch.run(0.01, 2_000, None).unwrap();
    assert_eq!(result.spike_counts, vec![0; 3]);
    assert!(batch.state(0).v.is_finite());
    let mut empty = HhBatch::new(HhParams::hh1952(), Vec::new()).unwrap();
    assert!(empty.is_empty());
    assert_eq!(
        empty.run(0.01, 10, Some(50.0)).unwrap().spike_counts.len(),
        0
    );
}

/// An error message is one sentence that names the offending field.
fn assert_sentence(err: NeuronError, field: &str) {
    let message = err.to_string();
    assert!(
        message.contains(field),
        "`{message}` does not name `{field}`"
    );
    assert!(
        message.contains("must"),
        "`{message}` does not say what is valid"
    );
}

#[test]
fn bad_input_is_rejected_with_a_sentence() {
    let mut batch = HhBatch::new(HhParams::hh1952(), vec![10.0]).unwrap();
    for dt in [0.0, -0.01, f64::NAN, f64::INFINITY] {
        assert_sentence(batch.run(dt, 10, Some(50.0)).unwrap_err(), "dt");
    }
    assert_sentence(
        batch.run(0.01, 10, Some(f64::NAN)).unwrap_err(),
        "threshold",
    );
    assert_eq!(batch.time_ms(), 0.0, "a rejected run must not advance time");

    let err = HhBatch::new(HhParams::hh1952(), vec![1.0, f64::NAN]).unwrap_err();
    assert_sentence(err, "current");
    let err = HhBatch::new(HhParams::hh1952(), vec![f64::INFINITY]).unwrap_err();
    assert_sentence(err, "current");

    let params = HhParams {
        g_na: f64::NAN,
        ..HhParams::hh1952()
    };
    assert_sentence(HhBatch::new(params, vec![1.0]).unwrap_err(), "g_Na");
    let params = HhParams {
        c_m: 0.0,
        ..HhParams::hh1952()
    };
    assert_sentence(HhBatch::new(params, vec![1.0]).unwrap_err(), "C");
    let params = HhParams {
        e_l: f64::NAN,
        ..HhParams::modern()
    };
    assert_sentence(HhBatch::new(params, vec![1.0]).unwrap_err(), "E_L");
}

#[test]
fn an_unstable_step_is_reported_not_returned() {
    // dt·g_max/C ≈ 156·0.5 ≫ 2: forward Euler blows up on the first spike.
    let mut batch = HhBatch::new(HhParams::hh1952(), vec![10.0]).unwrap();
    match batch.run(0.5, 1_000, Some(50.0)) {
        Err(err @ NeuronError::Diverged { .. }) => assert!(err.to_string().contains("dt")),
        other => panic!("expected a divergence error, got {other:?}"),
    }
}

proptest! {
    // Integration tests have no lib.rs next to them for proptest to anchor its regression
    // file on; keep failing cases beside this file instead.
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn gates_stay_in_the_unit_interval(
        currents in prop::collection::vec(-20.0f64..100.0, 1..40),
        modern in any::<bool>(),
    ) {
        let params = if modern { HhParams::modern() } else { HhParams::hh1952() };
        let mut batch = HhBatch::new(params, currents.clone()).unwrap();
        for _ in 0..4 {
            batch.run(0.01, 500, Some(params.convention.default_threshold_mv())).unwrap();
            for (i, current) in currents.iter().enumerate() {
                let s = batch.state(i);
                prop_assert!(s.v.is_finite(), "V = {} for I = {}", s.v, current);
                for gate in [s.m, s.h, s.n] {
                    prop_assert!((0.0..=1.0).contains(&gate), "gate {} for I = {}", gate, current);
                }
            }
        }
    }
}
