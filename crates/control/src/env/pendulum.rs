//! `InvertedPendulum-v5`: a cart on a rail with one hinged pole.
//!
//! Every constant comes from gymnasium's `inverted_pendulum.xml` or `inverted_pendulum_v5.py`:
//! * `option`: timestep 0.02 s, integrator RK4, gravity (0, 0, −9.81); v5 `frame_skip` = 2, so
//!   one step is 0.04 s.
//! * cart: capsule radius 0.1, half-length 0.1 (axis along x), density 1000 → 10.472 kg; slide
//!   joint along x, range [−1, 1] m (limited, margin 0), damping 1.
//! * pole: body at the cart origin, hinge about y, range ±90° (limited; never reached before
//!   termination at 0.2 rad), damping 1; capsule `fromto` (0,0,0)–(0.001,0,0.6), radius 0.049
//!   → 5.019 kg, centre (0.0005, 0.3). The 1 mm tilt is in the XML and kept.
//! * joint defaults: armature 0; the motor: gear 100, ctrlrange [−3, 3] (clamped).
//! * reset: q and q̇ each uniform in [−0.01, 0.01] (`reset_noise_scale`).
//! * observation: (x, θ, ẋ, θ̇). Terminated when a value is not finite or |θ| > 0.2.
//! * reward: 1 while not terminated, 0 on the terminating step (v5 fixed the v4 bug).
//! * shaped reward (PAPER.md §5): cart-x bound 1, pole-angle bound 0.418 rad.

use super::model::{CartPoleModel, JointLimit, Link, Softness};
use super::{
    check_observation, shaped_term, Env, Simulator, Step, SHAPED_POLE_BOUND,
    SHAPED_TERMINATION_PENALTY,
};
use crate::error::ControlError;
use rand::{Rng, RngCore};

/// The task's gymnasium name.
pub const NAME: &str = "InvertedPendulum-v5";

/// |θ| above which the episode terminates, rad (v5 `step`).
pub const ANGLE_LIMIT: f64 = 0.2;

/// Half-width of the uniform reset noise on q and q̇ (v5 `reset_noise_scale`).
pub const RESET_NOISE: f64 = 0.01;

/// Cart-x bound of the shaped reward, m (PAPER.md §5: 1 for the single pendulum).
pub const SHAPED_X_BOUND: f64 = 1.0;

/// The model compiled from `inverted_pendulum.xml`.
pub fn model() -> CartPoleModel {
    let cart = super::model::Capsule {
        radius: 0.1,
        half_length: 0.1,
    };
    let quarter_turn = 90f64.to_radians();
    CartPoleModel {
        cart_mass: cart.mass(),
        links: vec![Link::capsule([0.0, 0.0], 0.049, [0.0, 0.0], [0.001, 0.6])],
        gravity: [0.0, -9.81],
        damping: [1.0, 1.0, 0.0],
        armature: [0.0; 3],
        limits: [
            Some(JointLimit {
                lower: -1.0,
                upper: 1.0,
                margin: 0.0,
            }),
            Some(JointLimit {
                lower: -quarter_turn,
                upper: quarter_turn,
                margin: 0.0,
            }),
            None,
        ],
        softness: Softness::default(),
        gear: 100.0,
        ctrl_range: (-3.0, 3.0),
        site: None,
        timestep: 0.02,
        frame_skip: 2,
    }
}

/// The single inverted pendulum (see the module documentation for every constant).
#[derive(Clone, Debug)]
pub struct InvertedPendulum {
    sim: Simulator,
}

impl Default for InvertedPendulum {
    fn default() -> Self {
        Self::new()
    }
}

impl InvertedPendulum {
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

    fn observation(&self) -> Vec<f64> {
        let (q, v) = (self.sim.qpos, self.sim.qvel);
        vec![q[0], q[1], v[0], v[1]]
    }
}

impl Env for InvertedPendulum {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observation_len(&self) -> usize {
        4
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
        2
    }

    fn reset(&mut self, rng: &mut dyn RngCore) -> Vec<f64> {
        let mut draw = || rng.random_range(-RESET_NOISE..RESET_NOISE);
        let qpos = [draw(), draw()];
        let qvel = [draw(), draw()];
        self.sim.set_state_unchecked(&qpos, &qvel);
        self.observation()
    }

    fn reset_to(&mut self, qpos: &[f64], qvel: &[f64]) -> Result<Vec<f64>, ControlError> {
        self.sim.set_state(NAME, qpos, qvel)?;
        Ok(self.observation())
    }

    fn step(&mut self, action: &[f64]) -> Result<Step, ControlError> {
        self.sim.advance(NAME, action)?;
        let obs = self.observation();
        let terminated = obs.iter().any(|v| !v.is_finite()) || obs[1].abs() > ANGLE_LIMIT;
        Ok(Step {
            reward: if terminated { 0.0 } else { 1.0 },
            obs,
            terminated,
        })
    }

    fn shaped_reward(&self, obs: &[f64], terminated: bool) -> Result<f64, ControlError> {
        check_observation(NAME, obs, 4)?;
        let base = shaped_term(obs[0], SHAPED_X_BOUND) + shaped_term(obs[1], SHAPED_POLE_BOUND);
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
        self.sim.qpos[..2].to_vec()
    }

    fn qvel(&self) -> Vec<f64> {
        self.sim.qvel[..2].to_vec()
    }
}
