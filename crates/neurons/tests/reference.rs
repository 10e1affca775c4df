//! HH firing under constant current (1952 convention) against an independent reference:
//! Brian2 (RK4, dt 1 µs) and SciPy (DOP853, rtol 1e-10), recorded by
//! `scripts/hh_reference.py` in `fixtures/hh1952_constant_current.json`. The two peer
//! tools agree to < 1e-6 ms on every spike; here we require our integrators to match
//! the SciPy spike times (the more accurate of the two) to their own accuracy.

use icnet_neurons::batch::HhBatch;
use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::spikes::SpikeDetector;
use icnet_neurons::Integrator;
use serde_json::Value;

struct Case {
    current: f64,
    spikes: Vec<f64>,
}

struct Fixture {
    params: HhParams,
    initial: HhState,
    threshold: f64,
    duration: f64,
    cases: Vec<Case>,
}

fn number(v: &Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("fixture field {path} missing or not a number"))
}

fn fixture() -> Fixture {
    let text = include_str!("fixtures/hh1952_constant_current.json");
    let v: Value = serde_json::from_str(text).expect("fixture is valid JSON");
    let params = HhParams {
        c_m: number(&v, "/model/c_m"),
        g_na: number(&v, "/model/g_na"),
        g_k: number(&v, "/model/g_k"),
        g_l: number(&v, "/model/g_l"),
        e_na: number(&v, "/model/e_na"),
        e_k: number(&v, "/model/e_k"),
        e_l: number(&v, "/model/e_l"),
        convention: hh::Convention::Hh1952,
    };
    let initial = HhState {
        v: number(&v, "/initial_state/v"),
        m: number(&v, "/initial_state/m"),
        h: number(&v, "/initial_state/h"),
        n: number(&v, "/initial_state/n"),
    };
    let cases = v["cases"]
        .as_array()
        .expect("cases array")
        .iter()
        .map(|c| Case {
            current: number(c, "/current"),
            spikes: c["scipy"]["spike_times_ms"]
                .as_array()
                .expect("spike_times_ms")
                .iter()
                .map(|t| t.as_f64().expect("spike time"))
                .collect(),
        })
        .collect();
    Fixture {
        params,
        initial,
        threshold: number(&v, "/threshold_mv"),
        duration: number(&v, "/duration_ms"),
        cases,
    }
}

fn scalar_spikes(f: &Fixture, current: f64, integrator: Integrator, dt: f64) -> Vec<f64> {
    let steps = (f.duration / dt).round() as usize;
    let mut s = f.initial;
    let mut detector = SpikeDetector::new(f.threshold);
    detector.observe(0.0, s.v);
    for k in 0..steps {
        let t = k as f64 * dt;
        s = hh::step(&f.params, &s, t, dt, integrator, |_| current);
        detector.observe(t + dt, s.v);
    }
    detector.into_spikes()
}

/// Largest spike-time difference; panics with the case if the counts differ.
fn max_shift(ours: &[f64], reference: &[f64], what: &str) -> f64 {
    assert_eq!(
        ours.len(),
        reference.len(),
        "{what}: {} spikes, reference {}: ours {ours:?} vs {reference:?}",
        ours.len(),
        reference.len()
    );
    ours.iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn our_resting_state_is_the_reference_one() {
    let f = fixture();
    let rest = HhState::resting(&f.params);
    assert!(
        (rest.v - f.initial.v).abs() < 1e-9,
        "{} vs {}",
        rest.v,
        f.initial.v
    );
    assert!((rest.m - f.initial.m).abs() < 1e-9);
    assert!((rest.h - f.initial.h).abs() < 1e-9);
    assert!((rest.n - f.initial.n).abs() < 1e-9);
}

#[test]
fn rk4_matches_the_reference_spike_times() {
    let f = fixture();
    let mut worst = 0.0f64;
    for case in &f.cases {
        let ours = scalar_spikes(&f, case.current, Integrator::Rk4, 0.001);
        worst = worst.max(max_shift(
            &ours,
            &case.spikes,
            &format!("RK4, I = {}", case.current),
        ));
    }
    eprintln!("RK4 dt 0.001 ms: max spike-time shift {worst:.3e} ms");
    assert!(worst < 1e-5, "max shift {worst} ms");
}

#[test]
fn first_order_schemes_match_to_their_accuracy() {
    let f = fixture();
    for integrator in [Integrator::Euler, Integrator::ExpEuler] {
        let mut worst_first = 0.0f64;
        let mut worst_any = 0.0f64;
        for case in &f.cases {
            let ours = scalar_spikes(&f, case.current, integrator, 0.001);
            let what = format!("{integrator}, I = {}", case.current);
            worst_any = worst_any.max(max_shift(&ours, &case.spikes, &what));
            if let (Some(a), Some(b)) = (ours.first(), case.spikes.first()) {
                worst_first = worst_first.max((a - b).abs());
            }
        }
        eprintln!(
            "{integrator} dt 0.001 ms: first spike within {worst_first:.3e} ms, any spike within {worst_any:.3e} ms"
        );
        assert!(
            worst_first < 1e-2,
            "{integrator}: first spike off by {worst_first} ms"
        );
        // Later spikes near the 1→2-spike boundary (I = 6, 0.03 above it) move ~0.2 ms
        // per 0.01 µA/cm² of current (fixture notes), so they amplify the O(dt) error.
        assert!(
            worst_any < 0.1,
            "{integrator}: a spike off by {worst_any} ms"
        );
    }
}

/// The batched kernel (fast vectorised exp) must leave the spike times of the scalar
/// forward-Euler reference unchanged.
#[test]
fn batched_kernel_keeps_the_reference_spike_times() {
    let f = fixture();
    let currents: Vec<f64> = f.cases.iter().map(|c| c.current).collect();
    let dt = 0.001;
    let steps = (f.duration / dt).round() as usize;
    let mut batch = HhBatch::new(f.params, currents.clone())
        .expect("valid batch")
        .with_state(f.initial);
    let result = batch.run(dt, steps, Some(f.threshold)).expect("batch runs");
    let mut worst = 0.0f64;
    for (i, case) in f.cases.iter().enumerate() {
        let scalar = scalar_spikes(&f, case.current, Integrator::Euler, dt);
        let what = format!("batch vs scalar, I = {}", case.current);
        worst = worst.max(max_shift(&result.spike_times_ms[i], &scalar, &what));
        assert_eq!(result.spike_counts[i] as usize, case.spikes.len());
    }
    eprintln!("batched Euler vs scalar Euler: max spike-time shift {worst:.3e} ms");
    assert!(worst < 1e-9, "max shift {worst} ms");
}
