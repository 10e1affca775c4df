//! Rigid-body dynamics of [`CartPoleModel`]: kinematics, mass matrix, bias forces, forward
//! acceleration (with the soft joint limits of [`super::constraint`]) and MuJoCo's RK4 step.
//!
//! Equations of motion (MuJoCo's convention):
//! M(q) q̈ = τ_act − D q̇ − c(q, q̇) + J_cᵀ f, where
//! M = Σ_links (m Jᵥᵀ Jᵥ + I_y J_ωᵀ J_ω) + m_cart e₀e₀ᵀ + diag(armature),
//! c = Σ m Jᵥᵀ (a⁰ − g) − m_cart g_x e₀ (Coriolis/centripetal and gravity; a⁰ is the centre of
//! mass's acceleration at q̈ = 0), τ_act = gear · clamp(ctrl, ctrlrange) on the slider.
//! In the plane every angular velocity is along y, so the gyroscopic term ω × Iω vanishes and the
//! angular acceleration at q̈ = 0 is zero.

// Index loops mirror the matrix formulas (M_ab, A_rs …) they implement; iterator chains over
// two or three arrays at once would hide them.
#![allow(clippy::needless_range_loop)]

use super::constraint::{solve_limits, LimitSolution};
use super::model::{CartPoleModel, MAX_DOF};

/// A generalised vector (positions, velocities, accelerations or forces); entries past
/// `model.dof()` are zero.
pub type DofVector = [f64; MAX_DOF];

/// A dof × dof matrix (upper-left block used).
pub type DofMatrix = [[f64; MAX_DOF]; MAX_DOF];

/// World positions of one configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Kinematics {
    /// Hinge position of each link, `[x, z]`.
    pub pivots: [[f64; 2]; MAX_DOF],
    /// Centre of mass of each link, `[x, z]`.
    pub coms: [[f64; 2]; MAX_DOF],
    /// Absolute angle of each link (sum of the hinge angles up the chain), rad.
    pub angles: [f64; MAX_DOF],
    /// The model's site (tip) position, `[x, z]`, if it has one.
    pub site: Option<[f64; 2]>,
}

/// Rotation about +y by φ applied to a planar vector `[x, z]`.
pub fn rotate(phi: f64, v: [f64; 2]) -> [f64; 2] {
    let (s, c) = phi.sin_cos();
    [v[0] * c + v[1] * s, -v[0] * s + v[1] * c]
}

fn add(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] + b[0], a[1] + b[1]]
}

fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

/// Forward kinematics: pivots, centres of mass, absolute angles and the site.
pub fn kinematics(model: &CartPoleModel, qpos: &DofVector) -> Kinematics {
    let mut kin = Kinematics::default();
    // The cart frame sits at (x, 0) and never rotates.
    let mut frame_origin = [qpos[0], 0.0];
    let mut frame_angle = 0.0;
    for (k, link) in model.links.iter().enumerate() {
        let pivot = add(frame_origin, rotate(frame_angle, link.origin));
        let angle = frame_angle + qpos[k + 1];
        kin.pivots[k] = pivot;
        kin.angles[k] = angle;
        kin.coms[k] = add(pivot, rotate(angle, link.com));
        frame_origin = pivot;
        frame_angle = angle;
    }
    kin.site = model
        .site
        .map(|local| add(frame_origin, rotate(frame_angle, local)));
    kin
}

/// Linear Jacobian of a point on link `k` at world position `p`: column 0 (slider) is (1, 0);
/// column j + 1 (hinge j ≤ k) is ω̂ × (p − pivot_j) = (p_z − pivot_z, −(p_x − pivot_x)).
fn point_jacobian(kin: &Kinematics, k: usize, p: [f64; 2]) -> [[f64; 2]; MAX_DOF] {
    let mut jac = [[0.0; 2]; MAX_DOF];
    jac[0] = [1.0, 0.0];
    for j in 0..=k {
        let r = sub(p, kin.pivots[j]);
        jac[j + 1] = [r[1], -r[0]];
    }
    jac
}

/// Joint-space mass matrix M(q) (symmetric, positive definite).
pub fn mass_matrix(model: &CartPoleModel, kin: &Kinematics) -> DofMatrix {
    let n = model.dof();
    let mut m = [[0.0; MAX_DOF]; MAX_DOF];
    m[0][0] = model.cart_mass;
    for (k, link) in model.links.iter().enumerate() {
        let jac = point_jacobian(kin, k, kin.coms[k]);
        for a in 0..n {
            for b in 0..n {
                m[a][b] += link.mass * (jac[a][0] * jac[b][0] + jac[a][1] * jac[b][1]);
            }
        }
        // Angular Jacobian: 1 for every hinge at or below link k.
        for a in 1..=k + 1 {
            for b in 1..=k + 1 {
                m[a][b] += link.inertia_y;
            }
        }
    }
    for (a, row) in m.iter_mut().enumerate().take(n) {
        row[a] += model.armature[a];
    }
    m
}

/// Bias force c(q, q̇) = Coriolis/centripetal + gravity terms (MuJoCo's `qfrc_bias`).
pub fn bias_force(model: &CartPoleModel, kin: &Kinematics, qvel: &DofVector) -> DofVector {
    let n = model.dof();
    let g = model.gravity;
    let mut bias = [0.0; MAX_DOF];
    bias[0] = -model.cart_mass * g[0];
    let mut omega = 0.0;
    // Centripetal acceleration of the current pivot at q̈ = 0, accumulated up the chain.
    let mut pivot_acc = [0.0; 2];
    for (k, link) in model.links.iter().enumerate() {
        omega += qvel[k + 1];
        let w2 = omega * omega;
        let r_com = sub(kin.coms[k], kin.pivots[k]);
        let com_acc = [pivot_acc[0] - w2 * r_com[0], pivot_acc[1] - w2 * r_com[1]];
        let jac = point_jacobian(kin, k, kin.coms[k]);
        let f = [
            link.mass * (com_acc[0] - g[0]),
            link.mass * (com_acc[1] - g[1]),
        ];
        for (a, b) in bias.iter_mut().enumerate().take(n) {
            *b += f[0] * jac[a][0] + f[1] * jac[a][1];
        }
        if k + 1 < model.links.len() {
            let r_next = sub(kin.pivots[k + 1], kin.pivots[k]);
            pivot_acc = [pivot_acc[0] - w2 * r_next[0], pivot_acc[1] - w2 * r_next[1]];
        }
    }
    bias
}

/// Cholesky factor L (M = L Lᵀ) of the leading n × n block.
pub fn cholesky(m: &DofMatrix, n: usize) -> DofMatrix {
    let mut l = [[0.0; MAX_DOF]; MAX_DOF];
    for i in 0..n {
        for j in 0..=i {
            let mut s = m[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                l[i][i] = s.max(f64::MIN_POSITIVE).sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    l
}

/// Solves L Lᵀ x = b for the leading n entries.
pub fn cholesky_solve(l: &DofMatrix, n: usize, b: &DofVector) -> DofVector {
    let mut y = [0.0; MAX_DOF];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * y[k];
        }
        y[i] = s / l[i][i];
    }
    let mut x = [0.0; MAX_DOF];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    x
}

/// Diagonal of M⁻¹ at the reference configuration q = 0: MuJoCo's `dof_invweight0`, which
/// scales the limits' regularisation (their `efc_diagApprox`).
pub fn inverse_weight_at_rest(model: &CartPoleModel) -> DofVector {
    let n = model.dof();
    let kin = kinematics(model, &[0.0; MAX_DOF]);
    let l = cholesky(&mass_matrix(model, &kin), n);
    let mut out = [0.0; MAX_DOF];
    for (i, o) in out.iter_mut().enumerate().take(n) {
        let mut e = [0.0; MAX_DOF];
        e[i] = 1.0;
        *o = cholesky_solve(&l, n, &e)[i];
    }
    out
}

/// One evaluation of the dynamics (MuJoCo's `mj_forward` without sensors).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// Generalised acceleration q̈.
    pub qacc: DofVector,
    /// Constraint force Jᵀf of the active joint limits (MuJoCo's `qfrc_constraint`).
    pub qfrc_constraint: DofVector,
    /// Number of limit rows that were active (distance below margin).
    pub active_limits: usize,
    /// Kinematics of the evaluated configuration.
    pub kinematics: Kinematics,
}

/// Clamps a control to `ctrlrange`, as MuJoCo does for `ctrllimited` actuators.
pub fn clamp_ctrl(model: &CartPoleModel, ctrl: f64) -> f64 {
    ctrl.clamp(model.ctrl_range.0, model.ctrl_range.1)
}

/// Forward dynamics at (q, q̇) with control `ctrl` (one actuator, on the slider).
pub fn forward(
    model: &CartPoleModel,
    inv_weight0: &DofVector,
    qpos: &DofVector,
    qvel: &DofVector,
    ctrl: f64,
) -> Evaluation {
    let n = model.dof();
    let kin = kinematics(model, qpos);
    let mass = mass_matrix(model, &kin);
    let bias = bias_force(model, &kin, qvel);
    let mut smooth = [0.0; MAX_DOF];
    for a in 0..n {
        smooth[a] = -model.damping[a] * qvel[a] - bias[a];
    }
    smooth[0] += model.gear * clamp_ctrl(model, ctrl);
    let l = cholesky(&mass, n);
    let qacc_smooth = cholesky_solve(&l, n, &smooth);
    let LimitSolution {
        qacc,
        qfrc_constraint,
        active,
    } = solve_limits(model, inv_weight0, &l, qpos, qvel, &qacc_smooth);
    Evaluation {
        qacc,
        qfrc_constraint,
        active_limits: active,
        kinematics: kin,
    }
}

/// One MuJoCo RK4 step of length h with constant control: classical Runge–Kutta on
/// x = (q, q̇), ẋ = (q̇, q̈(q, q̇)), stages at 0, h/2, h/2, h, weights (1, 2, 2, 1)/6 for both
/// position and velocity. Returns the last stage's evaluation (at x₀ + h·F₂): MuJoCo leaves
/// `qfrc_constraint` and the kinematics (`site_xpos`) of that stage in `mjData` after `mj_step`.
pub fn rk4_step(
    model: &CartPoleModel,
    inv_weight0: &DofVector,
    qpos: &mut DofVector,
    qvel: &mut DofVector,
    ctrl: f64,
) -> Evaluation {
    let n = model.dof();
    let h = model.timestep;
    let (q0, v0) = (*qpos, *qvel);
    let mut dq_sum = [0.0; MAX_DOF];
    let mut dv_sum = [0.0; MAX_DOF];
    let mut stage_q = q0;
    let mut stage_v = v0;
    let mut last = Evaluation::default();
    for (stage, (weight, next_scale)) in [(1.0, 0.5), (2.0, 0.5), (2.0, 1.0), (1.0, 0.0)]
        .into_iter()
        .enumerate()
    {
        last = forward(model, inv_weight0, &stage_q, &stage_v, ctrl);
        let f_q = stage_v;
        let f_v = last.qacc;
        for a in 0..n {
            dq_sum[a] += weight * f_q[a];
            dv_sum[a] += weight * f_v[a];
        }
        if stage < 3 {
            for a in 0..n {
                stage_q[a] = q0[a] + next_scale * h * f_q[a];
                stage_v[a] = v0[a] + next_scale * h * f_v[a];
            }
        }
    }
    for a in 0..n {
        qpos[a] = q0[a] + h * dq_sum[a] / 6.0;
        qvel[a] = v0[a] + h * dv_sum[a] / 6.0;
    }
    last
}
