//! Invariants of the dynamics: energy is conserved without damping or drive, dissipated with
//! damping, and the equations are mirror-symmetric (x → −x, angles → −angles, u → −u) once the
//! XMLs' deliberate asymmetries (the single pole's 1 mm tilt, the double's 1e-5 m/s² sideways
//! gravity) are removed.

use icnet_control::env::dynamics::{
    inverse_weight_at_rest, kinematics, mass_matrix, rk4_step, DofVector,
};
use icnet_control::env::model::{CartPoleModel, Link, MAX_DOF};
use icnet_control::env::{double_pendulum, pendulum};
use proptest::prelude::*;

/// Total energy ½ q̇ᵀ M q̇ − Σ m g·p (cart and every pole's centre of mass).
fn energy(model: &CartPoleModel, q: &DofVector, v: &DofVector) -> f64 {
    let n = model.dof();
    let kin = kinematics(model, q);
    let m = mass_matrix(model, &kin);
    let mut kinetic = 0.0;
    for a in 0..n {
        for b in 0..n {
            kinetic += 0.5 * v[a] * m[a][b] * v[b];
        }
    }
    let g = model.gravity;
    let mut potential = -model.cart_mass * g[0] * q[0];
    for (k, link) in model.links.iter().enumerate() {
        potential -= link.mass * (g[0] * kin.coms[k][0] + g[1] * kin.coms[k][1]);
    }
    kinetic + potential
}

/// A model with no damping, no limits and a fine timestep.
fn conservative(mut model: CartPoleModel) -> CartPoleModel {
    model.damping = [0.0; MAX_DOF];
    model.limits = [None; MAX_DOF];
    model.timestep = 1e-3;
    model
}

/// The single pendulum without its 1 mm pole tilt, and the double without sideways gravity.
fn symmetric(double: bool) -> CartPoleModel {
    if double {
        let mut m = double_pendulum::model();
        m.gravity = [0.0, -9.81];
        m
    } else {
        let mut m = pendulum::model();
        m.links[0] = Link::capsule([0.0, 0.0], 0.049, [0.0, 0.0], [0.0, 0.6]);
        m
    }
}

fn simulate(model: &CartPoleModel, q: &mut DofVector, v: &mut DofVector, ctrl: f64, steps: usize) {
    let w = inverse_weight_at_rest(model);
    for _ in 0..steps {
        rk4_step(model, &w, q, v, ctrl);
    }
}

fn state(
    double: bool,
    x: f64,
    angles: [f64; 2],
    xd: f64,
    rates: [f64; 2],
) -> (DofVector, DofVector) {
    if double {
        ([x, angles[0], angles[1]], [xd, rates[0], rates[1]])
    } else {
        ([x, angles[0], 0.0], [xd, rates[0], 0.0])
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn energy_is_conserved_without_damping_or_drive(
        double in any::<bool>(),
        x in -0.5..0.5f64,
        a1 in -0.5..0.5f64, a2 in -0.5..0.5f64,
        xd in -1.0..1.0f64,
        r1 in -1.0..1.0f64, r2 in -1.0..1.0f64,
    ) {
        let model = conservative(if double { double_pendulum::model() } else { pendulum::model() });
        let (mut q, mut v) = state(double, x, [a1, a2], xd, [r1, r2]);
        let e0 = energy(&model, &q, &v);
        // 0.3 s at h = 1 ms: RK4's local error O(h⁵) keeps the drift near rounding.
        simulate(&model, &mut q, &mut v, 0.0, 300);
        let e1 = energy(&model, &q, &v);
        // |E| is tens of joules (poles' potential); 1e-7 J is ~1e-9 relative.
        prop_assert!((e1 - e0).abs() < 1e-7, "E0 {e0} E1 {e1}");
    }

    #[test]
    fn damping_only_removes_energy(
        double in any::<bool>(),
        a1 in -0.3..0.3f64, a2 in -0.3..0.3f64,
        r1 in -2.0..2.0f64, r2 in -2.0..2.0f64,
    ) {
        let mut model = if double { double_pendulum::model() } else { pendulum::model() };
        model.limits = [None; MAX_DOF];
        model.timestep = 1e-3;
        let (mut q, mut v) = state(double, 0.0, [a1, a2], 0.5, [r1, r2]);
        let mut last = energy(&model, &q, &v);
        for _ in 0..20 {
            simulate(&model, &mut q, &mut v, 0.0, 10);
            let e = energy(&model, &q, &v);
            prop_assert!(e <= last + 1e-9, "energy rose from {last} to {e}");
            last = e;
        }
    }

    #[test]
    fn mirror_symmetry_including_the_soft_limits(
        double in any::<bool>(),
        x in 0.95..1.005f64,
        a1 in -0.2..0.2f64, a2 in -0.1..0.1f64,
        xd in -0.5..1.0f64,
        r1 in -1.0..1.0f64, r2 in -1.0..1.0f64,
        ctrl in -1.0..1.0f64,
    ) {
        let model = symmetric(double);
        let (mut q, mut v) = state(double, x, [a1, a2], xd, [r1, r2]);
        let (mut qm, mut vm) = (q.map(|c| -c), v.map(|c| -c));
        for _ in 0..5 {
            simulate(&model, &mut q, &mut v, ctrl, 1);
            simulate(&model, &mut qm, &mut vm, -ctrl, 1);
            for a in 0..model.dof() {
                prop_assert!((q[a] + qm[a]).abs() < 1e-12, "q[{a}] {} vs {}", q[a], qm[a]);
                prop_assert!((v[a] + vm[a]).abs() < 1e-10, "v[{a}] {} vs {}", v[a], vm[a]);
            }
        }
    }
}
