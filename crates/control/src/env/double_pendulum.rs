//! `InvertedDoublePendulum-v5`: a cart on a rail with two poles in a chain.
//!
//! Every constant comes from gymnasium's `inverted_double_pendulum.xml` or
//! `inverted_double_pendulum_v5.py`:
//! * `option`: timestep 0.01 s, integrator RK4, gravity (1e-5, 0, −9.81) (the tiny x component
//!   is in the XML and kept); v5 `frame_skip` = 5 (the XML's custom `frame_skip` 2 is unused),
//!   so one step is 0.05 s.
//! * cart: capsule radius 0.1, half-length 0.1, density 1000 → 10.472 kg; slide joint along x,
//!   range [−1, 1] m, limited with margin 0.01 (so the limit acts from |x| > 0.99).
//! * poles: hinges about y, unlimited; capsules `fromto` (0,0,0)–(0,0,0.6), radius 0.045
//!   → 4.199 kg each, centre 0.3 m up the pole; the second pole's body sits at 0.6 on the first;
//!   the `tip` site 0.6 up the second pole.
//! * joint defaults: damping 0.05 on every joint, armature 0; motor gear 500, ctrlrange [−1, 1].
//! * reset: q uniform in [−0.1, 0.1], q̇ = 0.1 × standard normal (`reset_noise_scale` 0.1).
//! * observation (9): x, sin θ₁, sin θ₂, cos θ₁, cos θ₂, clip(q̇, ±10) (3 values) and
//!   `clip(qfrc_constraint[slider], ±10)` — zero unless the slider limit is active.
//! * termination: tip height y ≤ 1 m.
//! * reward: 10·(not terminated) − (0.01 x_tip² + (y_tip − 2)²) − (1e-3 θ̇₁² + 5e-3 θ̇₂²).
//!   gymnasium reads `site_xpos` and `qfrc_constraint` after `mj_step` without recomputing
//!   them, so they belong to the last RK4 stage evaluation (state x₀ + h·F₂ of the last physics
//!   step), not to the final state; this port does the same. Measured on the committed
//!   fixture: rewards agree to 1.8e-11 this way, and would be off by up to 7.2e-5 with the
//!   final state's tip; the constraint-force component agrees to ~4e-12 in the push episode.
//! * shaped reward (PAPER.md §5): cart-x bound 2, θ₁ bound 0.418 rad, θ₂ bound 0.1 rad.

use super::model::{Capsule, CartPoleModel, JointLimit, Link, Softness};
use super::{
    check_observation, shaped_term, Env, Simulator, Step, SHAPED_POLE_BOUND,
    SHAPED_TERMINATION_PENALTY,
};
use crate::error::ControlError;
use rand::{Rng, RngCore};
use rand_distr::StandardNormal;

/// The task's gymnasium name.
pub const NAME: &str = "InvertedDoublePendulum-v5";

/// Tip height at or below which the episode terminates, m (v5 `step`: `y <= 1`).
pub const TIP_HEIGHT_LIMIT: f64 = 1.0;

/// Reset noise scale: half-width of the uniform q noise and s.d. of the normal q̇ noise.
pub const RESET_NOISE: f64 = 0.1;

/// Velocities and the constraint force are clipped to ±this in the observation.
pub const OBS_CLIP: f64 = 10.0;

/// Alive bonus of the v5 reward (`healthy_reward`).
pub const HEALTHY_REWARD: f64 = 10.0;

/// Cart-x bound of the shaped reward, m (PAPER.md §5: 2 for the double pendulum).
pub const SHAPED_X_BOUND: f64 = 2.0;

/// Second-hinge bound of the shaped reward, rad (PAPER.md §5).
pub const SHAPED_HINGE2_BOUND: f64 = 0.1;

/// The model compiled from `inverted_double_pendulum.xml`.
pub fn model() -> CartPoleModel {
    let cart = Capsule {
        radius: 0.1,
        half_length: 0.1,
    };
    let pole = |origin| Link::capsule(origin, 0.045, [0.0, 0.0], [0.0, 0.6]);
    CartPoleModel {
        cart_mass: cart.mass(),
        links: vec![pole([0.0, 0.0]), pole([0.0, 0.6])],
        gravity: [1e-5, -9.81],
        damping: [0.05; 3],
        armature: [0.0; 3],
        limits: [
            Some(JointLimit {
                lower: -1.0,
                upper: 1.0,
                margin: 0.01,
            }),
            None,
            None,
        ],
        softness: Softness::default(),
        gear: 500.0,
        ctrl_range: (-1.0, 1.0),
        site: Some([0.0, 0.6]),
        timestep: 0.01,
        frame_skip: 5,
    }
}

/// The double inverted pendulum (see the module documentation for every constant).
#[derive(Clone, Debug)]
pub struct InvertedDoublePendulum {
    sim: Simulator,
}

impl Default for InvertedDoublePendulum {
    fn default() -> Self {
        Self::new()
    }
}

impl InvertedDoublePendulum {
    /// The task at q = 0, q̇ = 0 (call [`Env::reset`] before an episode).
    pub fn new() -> Self {
        Self {
            sim: Simulator::new(model()),
        }
    }

    /// The compiled model (masses, inertias, limits …).
    pub fn model(&self) -> &CartPoleModel {
        &self.sim.model
    }

    /// Tip position `[x, y]` as gymnasium reads it (`site_xpos` of the last evaluation).
    pub fn tip(&self) -> [f64; 2] {
        self.sim.last.kinematics.site.unwrap_or([0.0, 0.0])
    }

    fn observation(&self) -> Vec<f64> {
        let (q, v) = (self.sim.qpos, self.sim.qvel);
        let clip = |x: f64| x.clamp(-OBS_CLIP, OBS_CLIP);
        vec![
            q[0],
            q[1].sin(),
            q[2].sin(),
            q[1].cos(),
            q[2].cos(),
            clip(v[0]),
            clip(v[1]),
            clip(v[2]),
            clip(self.sim.last.qfrc_constraint[0]),
        ]
    }
}

impl Env for InvertedDoublePendulum {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observation_len(&self) -> usize {
        9
    }

    fn action_len(&self) -> usize {
        1
    }

    fn action_range(&self) -> (f64, f64) {
        self.sim.model.ctrl_range
    }

    fn dt(&self) -> f64 {
        self.sim.model.dt()
    }

    fn dof(&self) -> usize {
        3
    }

    fn reset(&mut self, rng: &mut dyn RngCore) -> Vec<f64> {
        let qpos: Vec<f64> = (0..3)
            .map(|_| rng.random_range(-RESET_NOISE..RESET_NOISE))
            .collect();
        let qvel: Vec<f64> = (0..3)
            .map(|_| RESET_NOISE * rng.sample::<f64, _>(StandardNormal))
            .collect();
        self.sim.set_state_unchecked(&qpos, &qvel);
        self.observation()
    }

    fn reset_to(&mut self, qpos: &[f64], qvel: &[f64]) -> Result<Vec<f64>, ControlError> {
        self.sim.set_state(NAME, qpos, qvel)?;
        Ok(self.observation())
    }

    fn step(&mut self, action: &[f64]) -> Result<Step, ControlError> {
        self.sim.advance(NAME, action)?;
        let [x, y] = self.tip();
        let terminated = y <= TIP_HEIGHT_LIMIT;
        let (v1, v2) = (self.sim.qvel[1], self.sim.qvel[2]);
        let distance_penalty = 0.01 * x * x + (y - 2.0).powi(2);
        let velocity_penalty = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
        let alive = if terminated { 0.0 } else { HEALTHY_REWARD };
        Ok(Step {
            obs: self.observation(),
            reward: alive - distance_penalty - velocity_penalty,
            terminated,
        })
    }

    fn shaped_reward(&self, obs: &[f64], terminated: bool) -> Result<f64, ControlError> {
        check_observation(NAME, obs, 9)?;
        let theta1 = obs[1].atan2(obs[3]);
        let theta2 = obs[2].atan2(obs[4]);
        let base = shaped_term(obs[0], SHAPED_X_BOUND)
            + shaped_term(theta1, SHAPED_POLE_BOUND)
            + shaped_term(theta2, SHAPED_HINGE2_BOUND);
        Ok(if terminated {
            base + SHAPED_TERMINATION_PENALTY
        } else {
            base
        })
    }

    fn limit_rows(&self) -> usize {
        self.sim.last.active_limits
    }

    fn qpos(&self) -> Vec<f64> {
        self.sim.qpos.to_vec()
    }

    fn qvel(&self) -> Vec<f64> {
        self.sim.qvel.to_vec()
    }
}
