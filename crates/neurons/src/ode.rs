//! Explicit one-step integrators for small ODE systems.
//!
//! A model describes its state as a plain struct of `f64` fields and implements
//! [`OdeState`] (linear combinations of states) plus [`OdeSystem`] (the right-hand
//! side). [`Integrator::step`] then advances it by forward Euler or classical RK4.
//! Exponential Euler needs the conductance structure of the model and is therefore
//! implemented by each model that supports it (see [`crate::hh`]).

use std::fmt;
use std::str::FromStr;

use crate::error::NeuronError;

/// A state vector that supports the linear combinations explicit Runge–Kutta
/// methods need: `self + a·other`.
pub trait OdeState: Copy {
    /// Returns `self + a * other`, component-wise.
    fn axpy(&self, a: f64, other: &Self) -> Self;
}

/// A system dy/dt = f(t, y). `input` is the external drive evaluated by the caller
/// at the stage time (current in µA/cm² for conductance models).
pub trait OdeSystem {
    /// The state type.
    type State: OdeState;
    /// The external drive at one instant (e.g. a current, or a current plus
    /// externally supplied conductances).
    type Input: Copy;
    /// The time derivative of the state at time `t` (ms) under drive `input`.
    fn derivative(&self, t: f64, state: &Self::State, input: Self::Input) -> Self::State;
}

/// Implements [`OdeState`] for a struct whose fields are all `f64`.
#[macro_export]
macro_rules! impl_ode_state {
    ($ty:ty { $($field:ident),+ $(,)? }) => {
        impl $crate::ode::OdeState for $ty {
            #[inline(always)]
            fn axpy(&self, a: f64, other: &Self) -> Self {
                Self { $($field: self.$field + a * other.$field),+ }
            }
        }
    };
}

/// The numerical integration scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Integrator {
    /// Forward Euler, global order 1: y ← y + dt·f(t, y).
    Euler,
    /// Classical fourth-order Runge–Kutta, global order 4.
    Rk4,
    /// Exponential Euler: each linear-in-itself variable x with dx/dt = (x∞ − x)/τ
    /// (the gates, Rush–Larsen; and V with τ = C/g) is advanced exactly for frozen
    /// x∞, τ: x ← x∞ + (x − x∞)·exp(−dt/τ). Global order 1, unconditionally stable.
    ExpEuler,
}

impl Integrator {
    /// All integrators, in a stable order.
    pub fn all() -> &'static [Integrator] {
        &[Integrator::Euler, Integrator::Rk4, Integrator::ExpEuler]
    }

    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            Integrator::Euler => "euler",
            Integrator::Rk4 => "rk4",
            Integrator::ExpEuler => "exp-euler",
        }
    }

    /// One forward-Euler step of a generic system.
    #[inline(always)]
    pub fn euler<S: OdeSystem>(
        system: &S,
        t: f64,
        dt: f64,
        state: &S::State,
        input: impl Fn(f64) -> S::Input,
    ) -> S::State {
        let k1 = system.derivative(t, state, input(t));
        state.axpy(dt, &k1)
    }

    /// One classical RK4 step of a generic system. The drive is sampled at t,
    /// t + dt/2 and t + dt, as the method requires.
    #[inline(always)]
    pub fn rk4<S: OdeSystem>(
        system: &S,
        t: f64,
        dt: f64,
        state: &S::State,
        input: impl Fn(f64) -> S::Input,
    ) -> S::State {
        let half = 0.5 * dt;
        let mid_input = input(t + half);
        let k1 = system.derivative(t, state, input(t));
        let k2 = system.derivative(t + half, &state.axpy(half, &k1), mid_input);
        let k3 = system.derivative(t + half, &state.axpy(half, &k2), mid_input);
        let k4 = system.derivative(t + dt, &state.axpy(dt, &k3), input(t + dt));
        // y + dt/6 (k1 + 2 k2 + 2 k3 + k4), accumulated in the order of the tableau.
        let sixth = dt / 6.0;
        state
            .axpy(sixth, &k1)
            .axpy(2.0 * sixth, &k2)
            .axpy(2.0 * sixth, &k3)
            .axpy(sixth, &k4)
    }
}

impl fmt::Display for Integrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Integrator {
    type Err = NeuronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Integrator::all()
            .iter()
            .copied()
            .find(|i| i.name() == s)
            .ok_or_else(|| NeuronError::UnknownName {
                kind: "integrator",
                name: s.to_string(),
                expected: Integrator::all()
                    .iter()
                    .map(|i| i.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}
