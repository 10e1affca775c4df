//! s-LIF2HH in its simulation form (PAPER.md §2.4): four constant-parameter LIF units
//! with the tv-LIF2HH topology.
//!
//! Units 1–3 integrate the input current, each with its own gain; unit 4 integrates a
//! weighted sum of the potentials of units 1–3. With the Fig. 3d reference step
//! (dt = 1 ms, du = −0.1u + I, i.e. decay 0.9 per step):
//!
//! u_j ← u_j + dt(−k_j u_j + a_j I(t)),   j = 1, 2, 3
//! u₄  ← u₄ + dt(−k₄ u₄ + Σ_j w_j u_j)    (with the updated u_j of this step)
//!
//! All four fire together when all four exceed θ = 70 and then all reset to 0. The paper
//! does not list the hand-tuned gains a_j and weights w_j; we take a_j = 1 and
//! w_j = 1/3, so unit 4 is a leaky average of units 1–3 (issue 3 fits them).

use serde::{Deserialize, Serialize};

use crate::error::{finite, positive, NeuronError};

/// Parameters of one s-LIF2HH unit (simulation form).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SLif2HhParams {
    /// Leak rates k₁…k₄ (1/ms); the reference 0.1 gives decay 0.9 per 1 ms step.
    pub leak: [f64; 4],
    /// Input gains a₁…a₃ of units 1–3.
    pub input_gain: [f64; 3],
    /// The 3→1 weights w₁…w₃ onto unit 4.
    pub weights: [f64; 3],
    /// Common threshold θ (reference 70).
    pub threshold: f64,
    /// Potential of all four units after a spike (reference 0).
    pub reset: f64,
    /// Time step (ms), reference 1.
    pub dt: f64,
}

impl Default for SLif2HhParams {
    fn default() -> Self {
        SLif2HhParams {
            leak: [0.1; 4],
            input_gain: [1.0; 3],
            weights: [1.0 / 3.0; 3],
            threshold: 70.0,
            reset: 0.0,
            dt: 1.0,
        }
    }
}

/// The four potentials u₁…u₄.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SLif2HhState {
    /// u₁, u₂, u₃ (input units) and u₄ (integrating unit).
    pub u: [f64; 4],
}

impl SLif2HhParams {
    /// Checks finiteness, dt > 0 and leaks with 0 ≤ k·dt ≤ 2 (otherwise the explicit
    /// update amplifies instead of decaying).
    pub fn validate(&self) -> Result<(), NeuronError> {
        positive("dt", self.dt)?;
        for &k in &self.leak {
            finite("leak", k)?;
            if !(0.0..=2.0).contains(&(k * self.dt)) {
                return Err(NeuronError::OutOfRange {
                    field: "leak·dt",
                    value: k * self.dt,
                    range: "[0, 2]",
                });
            }
        }
        for &a in self.input_gain.iter().chain(&self.weights) {
            finite("input_gain/weights", a)?;
        }
        finite("threshold", self.threshold)?;
        finite("reset", self.reset)?;
        Ok(())
    }

    /// One step under input current `current`; returns the new state and whether the
    /// unit fired (all four units above θ, then all reset).
    #[inline]
    pub fn step(&self, state: &SLif2HhState, current: f64) -> (SLif2HhState, bool) {
        let dt = self.dt;
        let mut u = state.u;
        for ((u_j, leak), gain) in u.iter_mut().zip(&self.leak).zip(&self.input_gain) {
            *u_j += dt * (-leak * *u_j + gain * current);
        }
        let drive: f64 = self.weights.iter().zip(&u).map(|(w, u_j)| w * u_j).sum();
        u[3] += dt * (-self.leak[3] * u[3] + drive);
        if u.iter().all(|&x| x > self.threshold) {
            (SLif2HhState { u: [self.reset; 4] }, true)
        } else {
            (SLif2HhState { u }, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_when_all_four_exceed_threshold() {
        let p = SLif2HhParams::default();
        let mut s = SLif2HhState::default();
        let mut fired_at = None;
        for k in 0..40 {
            let (next, spike) = p.step(&s, 9.0);
            s = next;
            if spike {
                fired_at = Some(k);
                break;
            }
        }
        // u₁ = 90(1 − 0.9^(k+1)) first exceeds 70 at k + 1 = 15 (u = 71.5); unit 4,
        // a leaky integral of their mean, is already far above.
        assert_eq!(fired_at, Some(14));
        assert_eq!(s.u, [0.0; 4]);
    }

    #[test]
    fn unit_four_gates_firing_when_its_weights_are_small() {
        let p = SLif2HhParams {
            weights: [0.0; 3],
            ..SLif2HhParams::default()
        };
        let mut s = SLif2HhState::default();
        for _ in 0..1000 {
            let (next, spike) = p.step(&s, 9.0);
            assert!(!spike);
            s = next;
        }
    }

    #[test]
    fn validation_rejects_unstable_leak() {
        let p = SLif2HhParams {
            leak: [3.0, 0.1, 0.1, 0.1],
            ..SLif2HhParams::default()
        };
        assert!(p.validate().unwrap_err().to_string().contains("leak"));
    }
}
