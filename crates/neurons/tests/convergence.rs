//! Measured order of convergence of the integrators on HH (modern convention) under a
//! time-varying drive, against a fine RK4 reference: ≈ 1 for forward and exponential
//! Euler, ≈ 4 for classical RK4.

use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::Integrator;

const T_END: f64 = 8.0; // ms: the run covers the upstroke and peak of the first spike

fn final_state(integrator: Integrator, dt: f64) -> HhState {
    let p = HhParams::modern();
    let stim = Stimulus::Sine {
        offset: 12.0,
        amp: 4.0,
        omega: 0.9,
    };
    let steps = (T_END / dt).round() as usize;
    assert!((steps as f64 * dt - T_END).abs() < 1e-9);
    let mut s = HhState::modern_reference();
    for k in 0..steps {
        s = hh::step(&p, &s, k as f64 * dt, dt, integrator, |t| stim.current(t));
    }
    s
}

/// Observed orders log2(e(dt)/e(dt/2)) over successive halvings.
fn observed_orders(integrator: Integrator, dts: &[f64]) -> Vec<f64> {
    let reference = final_state(Integrator::Rk4, 1.0 / 16_000.0);
    let errors: Vec<f64> = dts
        .iter()
        .map(|&dt| (final_state(integrator, dt).v - reference.v).abs())
        .collect();
    eprintln!("{integrator}: dt {dts:?} → |ΔV(T)| {errors:?}");
    errors.windows(2).map(|e| (e[0] / e[1]).log2()).collect()
}

#[test]
fn forward_euler_is_first_order() {
    let orders = observed_orders(Integrator::Euler, &[0.004, 0.002, 0.001, 0.0005]);
    let last = *orders.last().unwrap();
    assert!((last - 1.0).abs() < 0.1, "orders {orders:?}");
}

#[test]
fn exponential_euler_is_first_order() {
    let orders = observed_orders(Integrator::ExpEuler, &[0.004, 0.002, 0.001, 0.0005]);
    let last = *orders.last().unwrap();
    assert!((last - 1.0).abs() < 0.1, "orders {orders:?}");
}

#[test]
fn rk4_is_fourth_order() {
    let orders = observed_orders(Integrator::Rk4, &[0.02, 0.01, 0.005, 0.0025]);
    let last = *orders.last().unwrap();
    assert!((last - 4.0).abs() < 0.3, "orders {orders:?}");
}
