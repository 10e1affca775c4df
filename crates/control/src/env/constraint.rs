//! MuJoCo's soft joint limits, solved exactly.
//!
//! A limited joint j gets a constraint row on a side once its distance to that end,
//! dist = q_j − lower (row Jacobian +e_j) or upper − q_j (row −e_j), is below the margin.
//! Per row (MuJoCo "Computation: soft constraints", defaults solref (0.02, 1),
//! solimp (0.9, 0.95, 0.001, 0.5, 2)):
//! * impedance d(r) of r = dist − margin: d_min for r ≥ 0 … d_max once |r| ≥ width, between them
//!   the solimp spline (power 2 about the midpoint);
//! * time constant τ = max(solref₀, 2h) (MuJoCo's `refsafe`), ζ = solref₁,
//!   k = 1/(d_max² τ² ζ²), b = 2/(d_max τ), reference acceleration a_ref = −b (J q̇) − k d r;
//! * regulariser R = max(1e-15, (1 − d)/d · A₀), with A₀ = `dof_invweight0` (the diagonal of M⁻¹
//!   at q = 0; MuJoCo's `efc_diagApprox` for joint limits).
//!
//! MuJoCo's Newton solver minimises ½‖q̈ − q̈₀‖²_M + Σ_rows ½ R⁻¹ min(0, J q̈ − a_ref)², whose
//! optimum is f ≥ 0 with f_r = −(J q̈ − a_ref)_r / R_r on the active rows. With at most a few
//! rows the active set is found by enumeration, which solves that problem to rounding error.

// Index loops mirror the matrix formulas (M_ab, A_rs …) they implement; iterator chains over
// two or three arrays at once would hide them.
#![allow(clippy::needless_range_loop)]

use super::dynamics::{cholesky_solve, DofMatrix, DofVector};
use super::model::{CartPoleModel, MAX_DOF};

/// Most limit rows at once: two sides per joint.
const MAX_ROWS: usize = 2 * MAX_DOF;

/// MuJoCo's `mjMINVAL`, the floor of the regulariser.
const MIN_REGULARISER: f64 = 1e-15;

/// The constrained acceleration and the force the limits exert.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LimitSolution {
    /// q̈ = q̈₀ + M⁻¹ Jᵀ f.
    pub qacc: DofVector,
    /// Jᵀ f (MuJoCo's `qfrc_constraint`).
    pub qfrc_constraint: DofVector,
    /// Rows whose distance was below the margin.
    pub active: usize,
}

/// Impedance d(r) of MuJoCo's `solimp` = (d_min, d_max, width, midpoint, power) at r = dist − margin.
pub fn impedance(solimp: &[f64; 5], r: f64) -> f64 {
    let [d_min, d_max, width, mid, power] = *solimp;
    if d_min == d_max || width <= MIN_REGULARISER {
        return 0.5 * (d_min + d_max);
    }
    let x = (r / width).abs();
    if x >= 1.0 {
        return d_max;
    }
    if x <= 0.0 {
        return d_min;
    }
    let y = if power == 1.0 {
        x
    } else if x <= mid {
        x.powf(power) / mid.powf(power - 1.0)
    } else {
        1.0 - (1.0 - x).powf(power) / (1.0 - mid).powf(power - 1.0)
    };
    d_min + y * (d_max - d_min)
}

struct Row {
    joint: usize,
    sign: f64,
    aref: f64,
    regulariser: f64,
}

/// Solves the soft limits at (q, q̇) given the unconstrained acceleration `qacc_smooth` and the
/// Cholesky factor `chol` of M.
pub fn solve_limits(
    model: &CartPoleModel,
    inv_weight0: &DofVector,
    chol: &DofMatrix,
    qpos: &DofVector,
    qvel: &DofVector,
    qacc_smooth: &DofVector,
) -> LimitSolution {
    let n = model.dof();
    let soft = model.softness;
    let [_, d_max, ..] = soft.solimp;
    let time_const = soft.solref[0].max(2.0 * model.timestep);
    let damp_ratio = soft.solref[1];
    let stiffness = 1.0 / (d_max * d_max * time_const * time_const * damp_ratio * damp_ratio);
    let damping = 2.0 / (d_max * time_const);

    let mut rows: Vec<Row> = Vec::with_capacity(MAX_ROWS);
    for j in 0..n {
        let Some(limit) = model.limits[j] else {
            continue;
        };
        for (sign, dist) in [(1.0, qpos[j] - limit.lower), (-1.0, limit.upper - qpos[j])] {
            if dist < limit.margin {
                let r = dist - limit.margin;
                let imp = impedance(&soft.solimp, r);
                let vel = sign * qvel[j];
                rows.push(Row {
                    joint: j,
                    sign,
                    aref: -damping * vel - stiffness * imp * r,
                    regulariser: ((1.0 - imp) / imp * inv_weight0[j]).max(MIN_REGULARISER),
                });
            }
        }
    }
    let mut solution = LimitSolution {
        qacc: *qacc_smooth,
        qfrc_constraint: [0.0; MAX_DOF],
        active: rows.len(),
    };
    if rows.is_empty() {
        return solution;
    }

    // M⁻¹ columns for the constrained joints, then A = J M⁻¹ Jᵀ and jar₀ = J q̈₀ − a_ref.
    let mut inv_cols = [[0.0; MAX_DOF]; MAX_DOF];
    for j in 0..n {
        let mut e = [0.0; MAX_DOF];
        e[j] = 1.0;
        inv_cols[j] = cholesky_solve(chol, n, &e);
    }
    let m = rows.len();
    let mut a = [[0.0; MAX_ROWS]; MAX_ROWS];
    let mut jar0 = [0.0; MAX_ROWS];
    for (r, row) in rows.iter().enumerate() {
        jar0[r] = row.sign * qacc_smooth[row.joint] - row.aref;
        for (s, other) in rows.iter().enumerate() {
            a[r][s] = row.sign * other.sign * inv_cols[other.joint][row.joint];
        }
    }
    let force = active_set_solve(&a, &jar0, &rows, m);
    for (r, row) in rows.iter().enumerate() {
        solution.qfrc_constraint[row.joint] += row.sign * force[r];
    }
    for j in 0..n {
        for k in 0..n {
            solution.qacc[j] += inv_cols[k][j] * solution.qfrc_constraint[k];
        }
    }
    solution
}

/// Finds f ≥ 0 with (A + R) f + jar₀ = 0 on the active set and A f + jar₀ ≥ 0 elsewhere, by
/// trying every active set (the problem is strictly convex, so exactly one fits). Falls back
/// to the set with the smallest violation if rounding rejects them all.
fn active_set_solve(
    a: &[[f64; MAX_ROWS]; MAX_ROWS],
    jar0: &[f64; MAX_ROWS],
    rows: &[Row],
    m: usize,
) -> [f64; MAX_ROWS] {
    let scale = 1.0 + jar0[..m].iter().fold(0.0_f64, |acc, v| acc.max(v.abs()));
    let mut best = ([0.0; MAX_ROWS], f64::INFINITY);
    for mask in 0u32..(1 << m) {
        let idx: Vec<usize> = (0..m).filter(|r| mask & (1 << r) != 0).collect();
        let k = idx.len();
        let mut sys = [[0.0; MAX_ROWS + 1]; MAX_ROWS];
        for (p, &r) in idx.iter().enumerate() {
            for (q, &s) in idx.iter().enumerate() {
                sys[p][q] = a[r][s] + if r == s { rows[r].regulariser } else { 0.0 };
            }
            sys[p][k] = -jar0[r];
        }
        let Some(sub) = gauss_solve(&mut sys, k) else {
            continue;
        };
        let mut f = [0.0; MAX_ROWS];
        for (p, &r) in idx.iter().enumerate() {
            f[r] = sub[p];
        }
        let mut violation = 0.0_f64;
        for r in 0..m {
            if mask & (1 << r) != 0 {
                violation = violation.max(-f[r]);
            } else {
                let jar: f64 = jar0[r] + (0..m).map(|s| a[r][s] * f[s]).sum::<f64>();
                violation = violation.max(-jar);
            }
        }
        if violation <= 1e-12 * scale {
            return f;
        }
        if violation < best.1 {
            best = (f, violation);
        }
    }
    best.0
}

/// Gaussian elimination with partial pivoting on a k × (k+1) augmented system.
fn gauss_solve(sys: &mut [[f64; MAX_ROWS + 1]; MAX_ROWS], k: usize) -> Option<[f64; MAX_ROWS]> {
    for col in 0..k {
        let pivot = (col..k).max_by(|&x, &y| sys[x][col].abs().total_cmp(&sys[y][col].abs()))?;
        if sys[pivot][col].abs() < 1e-300 {
            return None;
        }
        sys.swap(col, pivot);
        for row in col + 1..k {
            let factor = sys[row][col] / sys[col][col];
            for c in col..=k {
                sys[row][c] -= factor * sys[col][c];
            }
        }
    }
    let mut x = [0.0; MAX_ROWS];
    for row in (0..k).rev() {
        let mut s = sys[row][k];
        for c in row + 1..k {
            s -= sys[row][c] * x[c];
        }
        x[row] = s / sys[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLIMP: [f64; 5] = [0.9, 0.95, 0.001, 0.5, 2.0];

    #[test]
    fn impedance_follows_the_solimp_spline() {
        // x = |r| / width; y = x²/mid below the midpoint, 1 − (1 − x)²/(1 − mid) above it;
        // d = 0.9 + 0.05 y.
        let cases = [
            (0.0, 0.9),
            (-0.00025, 0.9 + 0.05 * 0.125),
            (-0.0005, 0.925),
            (-0.00075, 0.9 + 0.05 * 0.875),
            (-0.001, 0.95),
            (-0.3, 0.95),
            (0.0005, 0.925),
        ];
        for (r, expected) in cases {
            assert!(
                (impedance(&SOLIMP, r) - expected).abs() < 1e-15,
                "r = {r}: {} vs {expected}",
                impedance(&SOLIMP, r)
            );
        }
    }

    #[test]
    fn flat_impedance_when_d_min_equals_d_max() {
        assert_eq!(impedance(&[0.8, 0.8, 0.001, 0.5, 2.0], -0.0004), 0.8);
    }

    #[test]
    fn active_set_solution_of_one_row_is_the_clamped_ratio() {
        // One row: f = max(0, −jar₀ / (A + R)).
        let rows = [Row {
            joint: 0,
            sign: 1.0,
            aref: 0.0,
            regulariser: 0.5,
        }];
        let mut a = [[0.0; MAX_ROWS]; MAX_ROWS];
        a[0][0] = 2.0;
        let mut jar0 = [0.0; MAX_ROWS];
        jar0[0] = -5.0;
        assert!((active_set_solve(&a, &jar0, &rows, 1)[0] - 2.0).abs() < 1e-15);
        jar0[0] = 5.0;
        assert_eq!(active_set_solve(&a, &jar0, &rows, 1)[0], 0.0);
    }

    #[test]
    fn two_coupled_rows_satisfy_the_complementarity_conditions() {
        let rows: Vec<Row> = (0..2)
            .map(|joint| Row {
                joint,
                sign: 1.0,
                aref: 0.0,
                regulariser: 0.1,
            })
            .collect();
        let mut a = [[0.0; MAX_ROWS]; MAX_ROWS];
        a[0][0] = 1.0;
        a[1][1] = 1.0;
        a[0][1] = 0.9;
        a[1][0] = 0.9;
        let mut jar0 = [0.0; MAX_ROWS];
        jar0[0] = -1.0;
        jar0[1] = 0.5;
        // Row 0 alone: f₀ = 1/1.1; row 1 then sees jar = 0.5 + 0.9/1.1 > 0, so it stays off.
        let f = active_set_solve(&a, &jar0, &rows, 2);
        assert!((f[0] - 1.0 / 1.1).abs() < 1e-14, "{f:?}");
        assert_eq!(f[1], 0.0);
        // Both pressed: [[1.1, 0.9], [0.9, 1.1]] f = [1, 1] gives f = (0.5, 0.5).
        jar0[1] = -1.0;
        let f = active_set_solve(&a, &jar0, &rows, 2);
        assert!(
            (f[0] - 0.5).abs() < 1e-14 && (f[1] - 0.5).abs() < 1e-14,
            "{f:?}"
        );
    }
}
