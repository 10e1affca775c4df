//! Property tests of the neuron models: gates stay in [0, 1], rest is a fixed point,
//! bounded input never produces NaN, and tv-LIF2HH tracks HH for arbitrary drives.

use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::lif::{DiscreteLif, DiscreteLifState};
use icnet_neurons::ode::OdeSystem;
use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::tvlif2hh::{self, TvLif2HhState};
use icnet_neurons::Integrator;
use proptest::prelude::*;

fn integrator() -> impl Strategy<Value = Integrator> {
    prop_oneof![
        Just(Integrator::Euler),
        Just(Integrator::Rk4),
        Just(Integrator::ExpEuler)
    ]
}

fn params() -> impl Strategy<Value = HhParams> {
    prop_oneof![Just(HhParams::hh1952()), Just(HhParams::modern())]
}

/// Explicit schemes are stable on V for dt < 2C/ḡ_total = 0.0128 ms (gates in [0, 1]
/// bound g by ḡ_Na + ḡ_K + g_L); exponential Euler is stable at any dt.
fn stable_dt(integrator: Integrator) -> impl Strategy<Value = f64> {
    match integrator {
        Integrator::ExpEuler => 0.001f64..0.2,
        _ => 0.001f64..0.01,
    }
}

/// Explicit schemes are also limited by the gate rates: dt·(α + β) must stay below 2
/// (Euler) or 2.78 (RK4). β_m = 4 exp(−V/18) grows without bound as V falls, so a
/// strongly hyperpolarising current (I < −20 µA/cm² holds V near E_L + I/g_L < −57 mV
/// in the 1952 convention) makes them unstable at dt = 0.01 ms. Exponential Euler
/// integrates every gate exactly for frozen rates and has no such limit.
fn bounded_current(integrator: Integrator) -> impl Strategy<Value = f64> {
    match integrator {
        Integrator::ExpEuler => -50.0f64..200.0,
        _ => -20.0f64..200.0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Bounded current, any admissible state and step: gates stay in [0, 1] and
    /// nothing becomes NaN or infinite.
    #[test]
    fn gates_stay_in_unit_interval_and_state_stays_finite(
        (integ, dt, amp) in integrator().prop_flat_map(|i| (Just(i), stable_dt(i), bounded_current(i))),
        p in params(),
        v0 in -30.0f64..130.0,
        gates in (0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0),
    ) {
        let mut s = HhState { v: v0 - p.convention.offset_mv(), m: gates.0, h: gates.1, n: gates.2 };
        let stim = Stimulus::Sine { offset: amp, amp: 0.0, omega: 0.7 };
        let steps = (30.0 / dt) as usize;
        for k in 0..steps {
            s = hh::step(&p, &s, k as f64 * dt, dt, integ, |t| stim.current(t));
            prop_assert!(s.v.is_finite(), "V = {} at step {k}", s.v);
            for x in [s.m, s.h, s.n] {
                prop_assert!((0.0..=1.0).contains(&x), "gate {x} at step {k}");
            }
        }
    }

    /// The resting state has zero derivative, and every integrator keeps it there,
    /// for perturbed membranes too.
    #[test]
    fn rest_is_a_fixed_point(
        (integ, dt) in integrator().prop_flat_map(|i| (Just(i), stable_dt(i))),
        p in params(),
        g_na_scale in 0.8f64..1.2,
        g_k_scale in 0.8f64..1.2,
        e_l_shift in -2.0f64..2.0,
    ) {
        let p = HhParams { g_na: p.g_na * g_na_scale, g_k: p.g_k * g_k_scale, e_l: p.e_l + e_l_shift, ..p };
        let rest = HhState::resting(&p);
        let d = p.derivative(0.0, &rest, 0.0);
        prop_assert!(d.v.abs() < 1e-9 && d.m.abs() < 1e-12 && d.h.abs() < 1e-12 && d.n.abs() < 1e-12,
            "derivative at rest {d:?}");
        let mut s = rest;
        for k in 0..2000 {
            s = hh::step(&p, &s, k as f64 * dt, dt, integ, |_| 0.0);
        }
        prop_assert!((s.v - rest.v).abs() < 1e-8, "drifted from {} to {}", rest.v, s.v);
    }

    /// tv-LIF2HH (closed loop) reproduces HH to rounding level under random drives.
    #[test]
    fn tvlif2hh_matches_hh_for_any_drive(
        integ in prop_oneof![Just(Integrator::Euler), Just(Integrator::Rk4)],
        offset in 0.0f64..40.0,
        amp in 0.0f64..20.0,
        omega in 0.05f64..2.0,
    ) {
        let p = HhParams::modern();
        let stim = Stimulus::Sine { offset, amp, omega };
        let mut h = HhState::modern_reference();
        let mut net = TvLif2HhState::from_hh(&h);
        let dt = 0.01;
        let mut max_dv = 0.0f64;
        for k in 0..3000 {
            let t = k as f64 * dt;
            h = hh::step(&p, &h, t, dt, integ, |t| stim.current(t));
            net = tvlif2hh::closed_loop_step(&p, &net, t, dt, integ, |t| stim.current(t));
            max_dv = max_dv.max((h.v - net.v()).abs());
        }
        prop_assert!(max_dv < 1e-8, "max |ΔV| = {max_dv} mV");
    }

    /// Discrete LIF: spikes are 0/1, a spike means u > θ, and the step after a spike
    /// starts from the input alone (reset by multiplication).
    #[test]
    fn discrete_lif_resets_by_multiplication(
        inputs in prop::collection::vec(-1.0f64..1.0, 1..64),
        decay in 0.0f64..=1.0,
        threshold in 0.0f64..1.0,
    ) {
        let lif = DiscreteLif { decay, threshold };
        let mut s = DiscreteLifState::default();
        for i in inputs {
            let fired = s.s > 0.0;
            let next = lif.step(&s, i);
            prop_assert!(next.s == 0.0 || next.s == 1.0);
            prop_assert_eq!(next.s == 1.0, next.u > threshold);
            if fired {
                prop_assert_eq!(next.u, i);
            }
            s = next;
        }
    }
}
