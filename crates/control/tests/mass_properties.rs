//! Bodies' masses and inertias from the capsule geometry, and the joint-space quantities built
//! from them, against the numbers MuJoCo compiles from the same XMLs.
//!
//! Reference values printed with gymnasium 1.4.0 / mujoco 4.0.0 (scripts/.venv-gym):
//! `env.unwrapped.model.body_mass`, `.body_inertia`, `.body_ipos` and `.dof_invweight0` for
//! `gym.make("InvertedPendulum-v5")` and `gym.make("InvertedDoublePendulum-v5")`.

use icnet_control::env::dynamics::{bias_force, inverse_weight_at_rest, kinematics, mass_matrix};
use icnet_control::env::model::Capsule;
use icnet_control::env::{double_pendulum, pendulum};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

fn assert_all_close(port: &[f64], mujoco: &[f64], what: &str) {
    assert_eq!(port.len(), mujoco.len(), "{what}");
    for (i, (&p, &m)) in port.iter().zip(mujoco).enumerate() {
        assert!(
            close(p, m, 1e-12),
            "{what}[{i}]: port {p:e} vs MuJoCo {m:e}"
        );
    }
}

// MuJoCo: body_mass[1], body_inertia[1] (the cart, same in both XMLs).
const CART_MASS: f64 = 10.47197551196598;
const CART_INERTIA: [f64; 3] = [
    0.12671090369478838,
    0.12671090369478838,
    0.04817108735504351,
];

#[test]
fn cart_capsule_matches_mujoco() {
    let cart = Capsule {
        radius: 0.1,
        half_length: 0.1,
    };
    assert_all_close(&[cart.mass()], &[CART_MASS], "cart mass");
    assert_all_close(&cart.inertia(), &CART_INERTIA, "cart inertia");
    assert_all_close(&[pendulum::model().cart_mass], &[CART_MASS], "single cart");
    assert_all_close(
        &[double_pendulum::model().cart_mass],
        &[CART_MASS],
        "double cart",
    );
}

#[test]
fn single_pole_matches_mujoco() {
    // MuJoCo: body_mass[2], body_inertia[2], body_ipos[2] of InvertedPendulum-v5.
    let (capsule, centre) = Capsule::from_to(0.049, [0.0, 0.0], [0.001, 0.6]);
    assert_all_close(&[capsule.mass()], &[5.018591641363306], "pole mass");
    assert_all_close(
        &capsule.inertia(),
        &[0.1887497668730885, 0.1887497668730885, 0.00590649630984607],
        "pole inertia",
    );
    assert_eq!(centre, [0.0005, 0.3]);
    let link = pendulum::model().links[0];
    assert_eq!(link.mass, capsule.mass());
    assert_eq!(link.com, [0.0005, 0.3]);
    assert_eq!(link.inertia_y, capsule.inertia()[0]);
}

#[test]
fn double_poles_match_mujoco() {
    // MuJoCo: body_mass[2..4], body_inertia[2..4], body_ipos[2..4], body_pos[3] of
    // InvertedDoublePendulum-v5.
    let model = double_pendulum::model();
    for link in &model.links {
        assert_all_close(&[link.mass], &[4.1987385815227585], "pole mass");
        assert_all_close(&[link.inertia_y], &[0.15497066975016235], "pole I_y");
        assert_eq!(link.com, [0.0, 0.3]);
    }
    let (capsule, _) = Capsule::from_to(0.045, [0.0, 0.0], [0.0, 0.6]);
    assert_all_close(
        &[capsule.inertia()[2]],
        &[0.00417392785354103],
        "pole axial",
    );
    assert_eq!(model.links[1].origin, [0.0, 0.6]);
}

#[test]
fn inverse_weights_at_rest_match_mujoco_dof_invweight0() {
    let single = inverse_weight_at_rest(&pendulum::model());
    assert_all_close(
        &single[..2],
        &[0.08367433805859587, 2.023912919848819],
        "single dof_invweight0",
    );
    let double = inverse_weight_at_rest(&double_pendulum::model());
    assert_all_close(
        &double,
        &[0.08467261918769675, 1.3837110638769503, 8.45892623863961],
        "double dof_invweight0",
    );
}

#[test]
fn single_pendulum_mass_matrix_and_bias_by_hand() {
    // q = (x, θ) = (0.3, 0.2), q̇ = (0.5, −1.5). Pole centre c = (0.0005, 0.3) in the pole
    // frame; at angle θ its offset from the hinge is r = (cx cosθ + cz sinθ, −cx sinθ + cz cosθ).
    // M = [[m_c + m_p, m_p r_z], [m_p r_z, I + m_p |c|²]]
    let model = pendulum::model();
    let (mc, pole) = (model.cart_mass, model.links[0]);
    let (x, th, xd, thd) = (0.3, 0.2_f64, 0.5, -1.5);
    let q = [x, th, 0.0];
    let v = [xd, thd, 0.0];
    let kin = kinematics(&model, &q);
    let m = mass_matrix(&model, &kin);
    let (cx, cz) = (pole.com[0], pole.com[1]);
    let rx = cx * th.cos() + cz * th.sin();
    let rz = -cx * th.sin() + cz * th.cos();
    let i_h = pole.inertia_y + pole.mass * (cx * cx + cz * cz);
    let expected_m = [[mc + pole.mass, pole.mass * rz], [pole.mass * rz, i_h]];
    for a in 0..2 {
        for b in 0..2 {
            assert!(
                close(m[a][b], expected_m[a][b], 1e-13),
                "M[{a}][{b}] {} vs {}",
                m[a][b],
                expected_m[a][b]
            );
        }
    }
    // Centre-of-mass acceleration at q̈ = 0: −θ̇² r. Generalised bias c_a = m_p (a⁰ − g)·J_a with
    // J_x = (1, 0), J_θ = (r_z, −r_x), g = (0, −9.81).
    let g = 9.81;
    let a0 = [-thd * thd * rx, -thd * thd * rz];
    let f = [pole.mass * a0[0], pole.mass * (a0[1] + g)];
    let expected_bias = [f[0], f[0] * rz - f[1] * rx];
    let bias = bias_force(&model, &kin, &v);
    for a in 0..2 {
        assert!(
            close(bias[a], expected_bias[a], 1e-13),
            "bias[{a}] {} vs {}",
            bias[a],
            expected_bias[a]
        );
    }
    // Sanity of the sign: with the pole leaning to +x (θ > 0) and at rest, gravity's
    // generalised force −bias_θ is positive (the pole falls further towards +x).
    let rest = bias_force(&model, &kin, &[0.0; 3]);
    assert!(-rest[1] > 0.0);
}
