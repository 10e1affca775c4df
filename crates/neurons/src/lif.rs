//! Leaky integrate-and-fire neurons (PAPER.md §2.2).
//!
//! - [`Lif`]: continuous time, τ du/dt = −(u − u_rest) + R·I; spike when u crosses θ
//!   upwards, then u ← u_reset.
//! - [`DiscreteLif`]: the learning form, u[t] = λ·u[t−1]·(1 − s[t−1]) + I[t],
//!   s[t] = H(u[t] − θ), reset by multiplication, no refractory period.
//! - [`TvLif`]: the continuous form with time-varying τ(t), u_rest(t), R(t).

use serde::{Deserialize, Serialize};

use crate::error::{finite, positive, NeuronError};
use crate::impl_ode_state;
use crate::ode::{Integrator, OdeSystem};
use crate::spikes::upward_crossing;

/// Membrane potential of a single-compartment LIF unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LifState {
    /// Membrane potential u.
    pub u: f64,
}
impl_ode_state!(LifState { u });

/// Parameters of the continuous LIF neuron.
///
/// The paper gives no constants for the continuous LIF; the defaults are those of the
/// s-LIF2HH simulation of Fig. 3d written in continuous time: du/dt = −0.1u + I
/// (τ = 10 ms, R = 10, so u settles at 10·I), θ = 70, reset to 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lif {
    /// Membrane time constant τ (ms).
    pub tau: f64,
    /// Resting potential u_rest.
    pub u_rest: f64,
    /// Input resistance R (potential per unit current).
    pub r: f64,
    /// Firing threshold θ.
    pub threshold: f64,
    /// Potential after a spike.
    pub u_reset: f64,
}

impl Default for Lif {
    fn default() -> Self {
        Lif {
            tau: 10.0,
            u_rest: 0.0,
            r: 10.0,
            threshold: 70.0,
            u_reset: 0.0,
        }
    }
}

impl Lif {
    /// Checks that τ > 0 and every parameter is finite.
    pub fn validate(&self) -> Result<(), NeuronError> {
        positive("tau", self.tau)?;
        finite("u_rest", self.u_rest)?;
        finite("R", self.r)?;
        finite("threshold", self.threshold)?;
        finite("u_reset", self.u_reset)?;
        Ok(())
    }

    /// Advances by `dt` from `t`; returns the new state and the interpolated spike time,
    /// if the threshold was crossed (the state is then reset).
    pub fn step(
        &self,
        state: &LifState,
        t: f64,
        dt: f64,
        integrator: Integrator,
        input: impl Fn(f64) -> f64,
    ) -> (LifState, Option<f64>) {
        let next = match integrator {
            Integrator::Euler => Integrator::euler(self, t, dt, state, input),
            Integrator::Rk4 => Integrator::rk4(self, t, dt, state, input),
            Integrator::ExpEuler => {
                let u_inf = self.u_rest + self.r * input(t);
                LifState {
                    u: u_inf + (state.u - u_inf) * (-dt / self.tau).exp(),
                }
            }
        };
        match upward_crossing(t, state.u, t + dt, next.u, self.threshold) {
            Some(ts) => (LifState { u: self.u_reset }, Some(ts)),
            None => (next, None),
        }
    }
}

impl OdeSystem for Lif {
    type State = LifState;
    type Input = f64;
    #[inline(always)]
    fn derivative(&self, _t: f64, s: &LifState, current: f64) -> LifState {
        LifState {
            u: (-(s.u - self.u_rest) + self.r * current) / self.tau,
        }
    }
}

/// The discrete LIF of every learning model: u[t] = λ u[t−1](1 − s[t−1]) + I[t],
/// s[t] = H(u[t] − θ) with H(x) = 1 for x > 0 (strict), else 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiscreteLif {
    /// Decay λ per step (reference 0.2 for LIF-fc).
    pub decay: f64,
    /// Threshold θ (reference 0.3 for LIF-fc).
    pub threshold: f64,
}

impl Default for DiscreteLif {
    fn default() -> Self {
        DiscreteLif {
            decay: 0.2,
            threshold: 0.3,
        }
    }
}

/// State of a discrete LIF unit: potential and last spike.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DiscreteLifState {
    /// Membrane potential u[t].
    pub u: f64,
    /// Spike s[t] ∈ {0, 1}.
    pub s: f64,
}

impl DiscreteLif {
    /// Checks that λ ∈ [0, 1] and θ is finite.
    pub fn validate(&self) -> Result<(), NeuronError> {
        finite("decay", self.decay)?;
        if !(0.0..=1.0).contains(&self.decay) {
            return Err(NeuronError::OutOfRange {
                field: "decay",
                value: self.decay,
                range: "[0, 1]",
            });
        }
        finite("threshold", self.threshold)?;
        Ok(())
    }

    /// One step of the learning form.
    #[inline(always)]
    pub fn step(&self, state: &DiscreteLifState, input: f64) -> DiscreteLifState {
        let u = self.decay * state.u * (1.0 - state.s) + input;
        DiscreteLifState {
            u,
            s: if u > self.threshold { 1.0 } else { 0.0 },
        }
    }
}

/// The time-varying parameters of a tv-LIF unit at one instant, plus its input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TvLifDrive {
    /// τ(t) (ms).
    pub tau: f64,
    /// u_rest(t).
    pub u_rest: f64,
    /// R(t).
    pub r: f64,
    /// Input current I(t).
    pub current: f64,
}

/// tv-LIF: τ(t) du/dt = −(u − u_rest(t)) + R(t)·I(t), no threshold (the units of
/// tv-LIF2HH never reset; an HH neuron is one tv-LIF with τ = C/g, u_rest =
/// Σ g_i E_i / g, R = 1/g).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TvLif;

impl OdeSystem for TvLif {
    type State = LifState;
    type Input = TvLifDrive;
    #[inline(always)]
    fn derivative(&self, _t: f64, s: &LifState, d: TvLifDrive) -> LifState {
        LifState {
            u: (-(s.u - d.u_rest) + d.r * d.current) / d.tau,
        }
    }
}

impl TvLif {
    /// Advances by `dt` from `t` with the drive sampled by `drive(t)`.
    pub fn step(
        &self,
        state: &LifState,
        t: f64,
        dt: f64,
        integrator: Integrator,
        drive: impl Fn(f64) -> TvLifDrive,
    ) -> LifState {
        match integrator {
            Integrator::Euler => Integrator::euler(self, t, dt, state, drive),
            Integrator::Rk4 => Integrator::rk4(self, t, dt, state, drive),
            Integrator::ExpEuler => {
                let d = drive(t);
                let u_inf = d.u_rest + d.r * d.current;
                LifState {
                    u: u_inf + (state.u - u_inf) * (-dt / d.tau).exp(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discrete_lif_matches_hand_computation() {
        let lif = DiscreteLif::default(); // λ 0.2, θ 0.3
        let mut s = DiscreteLifState::default();
        let inputs = [0.2, 0.2, 0.2, 0.0];
        let mut us = vec![];
        let mut ss = vec![];
        for i in inputs {
            s = lif.step(&s, i);
            us.push(s.u);
            ss.push(s.s);
        }
        // u: 0.2, 0.24, 0.248 (no spike), then 0.0496.
        assert!((us[0] - 0.2).abs() < 1e-15);
        assert!((us[1] - 0.24).abs() < 1e-15);
        assert!((us[2] - 0.248).abs() < 1e-15);
        assert_eq!(ss, vec![0.0, 0.0, 0.0, 0.0]);
        // A spike resets by multiplication: the next potential is just the input.
        let s = lif.step(&DiscreteLifState::default(), 0.5);
        assert_eq!(s.s, 1.0);
        let s = lif.step(&s, 0.1);
        assert!((s.u - 0.1).abs() < 1e-15);
    }

    #[test]
    fn continuous_lif_fires_periodically_at_the_analytic_rate() {
        // u∞ = R I = 100 > θ = 70: period τ ln(u∞ / (u∞ − θ)) = 10 ln(100/30).
        let lif = Lif::default();
        let mut s = LifState { u: 0.0 };
        let dt = 1e-3;
        let mut spikes = vec![];
        for k in 0..100_000 {
            let t = k as f64 * dt;
            let (next, spike) = lif.step(&s, t, dt, Integrator::ExpEuler, |_| 10.0);
            s = next;
            spikes.extend(spike);
        }
        let period = 10.0 * (100.0f64 / 30.0).ln();
        assert!((spikes[0] - period).abs() < 2e-3, "{}", spikes[0]);
        assert!((spikes[1] - spikes[0] - period).abs() < 2e-3);
    }

    #[test]
    fn validation_names_the_field() {
        let lif = Lif {
            tau: -1.0,
            ..Lif::default()
        };
        let msg = lif.validate().unwrap_err().to_string();
        assert!(msg.contains("tau"), "{msg}");
        let d = DiscreteLif {
            decay: 1.5,
            ..DiscreteLif::default()
        };
        assert!(d.validate().unwrap_err().to_string().contains("decay"));
    }
}
