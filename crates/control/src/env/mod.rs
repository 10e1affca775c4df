//! The two control tasks of PAPER.md §5, re-implemented from the MuJoCo model descriptions
//! that ship with gymnasium (`inverted_pendulum.xml`, `inverted_double_pendulum.xml`) and the
//! v5 environment code: same bodies, integrator, frame skip, reset noise, observation,
//! termination and reward. `scripts/gym_fixture.py` records reference episodes from gymnasium
//! and [`crate::replay`] checks these environments against them.
//!
//! The API follows the Norse style of DESIGN.md: the environment is explicit state, every
//! random draw comes from the RNG passed in.

pub mod constraint;
pub mod double_pendulum;
pub mod dynamics;
pub mod model;
pub mod pendulum;

pub use double_pendulum::InvertedDoublePendulum;
pub use pendulum::InvertedPendulum;

use crate::error::ControlError;
use dynamics::{rk4_step, DofVector, Evaluation};
use model::{CartPoleModel, MAX_DOF};
use rand::RngCore;

/// The result of one environment step.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Observation after the step (4 values single, 9 double; see each task).
    pub obs: Vec<f64>,
    /// The task's own v5 reward for this step.
    pub reward: f64,
    /// The task's v5 termination condition.
    pub terminated: bool,
}

/// A control task: reset, step, and the paper's shaped reward.
pub trait Env {
    /// The gymnasium name of the task, e.g. `InvertedPendulum-v5`.
    fn name(&self) -> &'static str;
    /// Length of the observation vector.
    fn observation_len(&self) -> usize;
    /// Number of actuators (1 for both tasks).
    fn action_len(&self) -> usize;
    /// The control range `(low, high)`; actions outside are clamped as MuJoCo does.
    fn action_range(&self) -> (f64, f64);
    /// Duration of one step, s (frame_skip × timestep).
    fn dt(&self) -> f64;
    /// Generalised positions (nq) and velocities (nv) of the task.
    fn dof(&self) -> usize;
    /// Draws the v5 initial state around q = 0, q̇ = 0 and returns the first observation.
    fn reset(&mut self, rng: &mut dyn RngCore) -> Vec<f64>;
    /// Sets an exact state (e.g. a recorded reference state) and returns its observation.
    fn reset_to(&mut self, qpos: &[f64], qvel: &[f64]) -> Result<Vec<f64>, ControlError>;
    /// Applies `action` for frame_skip physics steps.
    fn step(&mut self, action: &[f64]) -> Result<Step, ControlError>;
    /// The shaped reward of PAPER.md §5 for an observation (see [`shaped_term`]).
    /// Fails if `obs` does not have [`Env::observation_len`] values.
    fn shaped_reward(&self, obs: &[f64], terminated: bool) -> Result<f64, ControlError>;
    /// Joint-limit constraint rows active at the last dynamics evaluation (diagnostic: shows
    /// when MuJoCo's soft limits are shaping the motion).
    fn limit_rows(&self) -> usize;
    /// Current generalised positions.
    fn qpos(&self) -> Vec<f64>;
    /// Current generalised velocities.
    fn qvel(&self) -> Vec<f64>;
}

/// One term of the shaped reward of PAPER.md §5: −10·|q|/q_b + 5 while |q| ≤ q_b, and −5 once
/// |q| > q_b (the two agree at the bound).
pub fn shaped_term(q: f64, bound: f64) -> f64 {
    if q.abs() > bound {
        -5.0
    } else {
        -10.0 * q.abs() / bound + 5.0
    }
}

/// Checks that an observation passed in has the task's length.
pub(crate) fn check_observation(
    task: &'static str,
    obs: &[f64],
    expected: usize,
) -> Result<(), ControlError> {
    if obs.len() == expected {
        Ok(())
    } else {
        Err(ControlError::ObservationLength {
            task,
            expected,
            found: obs.len(),
        })
    }
}

/// The extra shaped reward at termination (PAPER.md §5: "−10 more at termination").
pub const SHAPED_TERMINATION_PENALTY: f64 = -10.0;

/// Pole-angle bound of the shaped reward, rad (PAPER.md §5).
pub const SHAPED_POLE_BOUND: f64 = 0.418;

/// Shared simulator state: the model and (q, q̇), advanced by MuJoCo's RK4 step.
#[derive(Clone, Debug)]
pub(crate) struct Simulator {
    pub model: CartPoleModel,
    pub inv_weight0: DofVector,
    pub qpos: DofVector,
    pub qvel: DofVector,
    /// The last dynamics evaluation: what MuJoCo leaves in `mjData` (constraint force, site).
    pub last: Evaluation,
}

impl Simulator {
    pub fn new(model: CartPoleModel) -> Self {
        let inv_weight0 = dynamics::inverse_weight_at_rest(&model);
        let mut sim = Self {
            model,
            inv_weight0,
            qpos: [0.0; MAX_DOF],
            qvel: [0.0; MAX_DOF],
            last: Evaluation::default(),
        };
        sim.refresh();
        sim
    }

    /// MuJoCo's `mj_forward` after `set_state`: evaluates the dynamics at the current state.
    /// The control is 0, as in gymnasium's reset (`mj_resetData` zeroes `ctrl` before
    /// `set_state`); the double pendulum's reset observation reads the constraint force.
    pub fn refresh(&mut self) {
        self.last = dynamics::forward(&self.model, &self.inv_weight0, &self.qpos, &self.qvel, 0.0);
    }

    /// Sets the state after checking lengths and finiteness.
    pub fn set_state(
        &mut self,
        task: &'static str,
        qpos: &[f64],
        qvel: &[f64],
    ) -> Result<(), ControlError> {
        let n = self.model.dof();
        for (field, values) in [("qpos", qpos), ("qvel", qvel)] {
            if values.len() != n {
                return Err(ControlError::BadState {
                    task,
                    field,
                    problem: format!("has {} values", values.len()),
                    expected: n,
                });
            }
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(ControlError::BadState {
                    task,
                    field,
                    problem: format!("value {i} is {}", values[i]),
                    expected: n,
                });
            }
        }
        self.qpos = [0.0; MAX_DOF];
        self.qvel = [0.0; MAX_DOF];
        self.qpos[..n].copy_from_slice(qpos);
        self.qvel[..n].copy_from_slice(qvel);
        self.refresh();
        Ok(())
    }

    /// Sets a state the caller built itself (reset noise): lengths already right, values finite.
    pub fn set_state_unchecked(&mut self, qpos: &[f64], qvel: &[f64]) {
        let n = self.model.dof();
        self.qpos = [0.0; MAX_DOF];
        self.qvel = [0.0; MAX_DOF];
        self.qpos[..n].copy_from_slice(&qpos[..n]);
        self.qvel[..n].copy_from_slice(&qvel[..n]);
        self.refresh();
    }

    /// Checks the action and runs frame_skip RK4 steps with it held constant.
    pub fn advance(&mut self, task: &'static str, action: &[f64]) -> Result<(), ControlError> {
        if action.len() != 1 {
            return Err(ControlError::ActionLength {
                task,
                expected: 1,
                found: action.len(),
            });
        }
        if !action[0].is_finite() {
            return Err(ControlError::NonFiniteAction {
                task,
                index: 0,
                value: action[0],
            });
        }
        for _ in 0..self.model.frame_skip {
            self.last = rk4_step(
                &self.model,
                &self.inv_weight0,
                &mut self.qpos,
                &mut self.qvel,
                action[0],
            );
        }
        Ok(())
    }
}
