//! Exactness of tv-LIF2HH (PAPER.md §2.3, Supp. Figs 2.1–2.2, issue 3 §1): one HH neuron,
//! and networks of HH neurons, against the same neurons written as four time-varying LIF
//! units, integrated with the same explicit scheme and time step.
//!
//! - [`single`]: one neuron under a stimulus, HH vs closed-loop and driven tv-LIF2HH, over a
//!   grid of integrators and time steps, with convergence to a fine-step reference;
//! - [`stimuli`]: the seeded family of random stimuli used beside the paper's five;
//! - [`network`]: a two-layer feed-forward network simulated once with HH units and once
//!   with tv-LIF2HH units, unit by unit compared;
//! - [`xor`]: the XOR circuit of Supp. Fig. 2.1;
//! - [`fc`]: the 1296→128→10 fully connected network of Supp. Fig. 2.2.
//!
//! # Why the two models agree to rounding at every time step
//!
//! tv-LIF2HH is an *affine* re-parametrisation of HH: its output is V = F + u₄, and
//! d(F + u₄)/dt equals the HH right-hand side for V whenever the gates agree. An explicit
//! Runge–Kutta step (forward Euler, classical RK4) is a fixed linear combination of
//! right-hand-side evaluations, y ← y + dt·Σ bᵢ kᵢ with stages y + dt·Σ aᵢⱼ kⱼ. Linear
//! combinations commute with the affine map (F, u₄) ↦ F + u₄, so, stage by stage, the
//! network's V-stages equal HH's V-stages and the gate stages, which only see V, are the
//! same numbers too. Hence the identity V = F + u₄ holds for the discrete iterates, not only
//! for the exact solution: the difference of the two simulations is pure floating-point
//! rounding (≈ 1e-10 mV after 10⁵ steps), at *every* dt, even where both are far from the
//! true solution. Both converge to the true solution at the integrator's order, and where
//! one diverges (forward Euler or RK4 outside its stability region), so does the other, at
//! the same step. (Exponential Euler is not a Runge–Kutta method in these variables, so it
//! is not part of this check.)
//!
//! Spikes are upward crossings of −40 mV (modern convention), interpolated inside the step
//! ([`icnet_neurons::spikes`]). A spike *mismatch* is a spike of one train with no spike of
//! the other within one dt ([`spike_mismatches`]).

pub mod fc;
pub mod network;
pub mod single;
pub mod stimuli;
pub mod xor;

use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::{Integrator, NeuronError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::metrics::{coincidences, SpikeTrain};

/// Spike threshold of the modern convention (mV): a spike is an upward crossing of −40 mV.
pub const SPIKE_THRESHOLD_MV: f64 = -40.0;

/// Largest number of time steps one simulation of this module accepts.
pub const MAX_STEPS: f64 = 1e9;

/// Invalid settings of an exactness experiment.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExactError {
    /// The neuron parameters or the stimulus are invalid.
    #[error(transparent)]
    Neuron(#[from] NeuronError),
    /// A setting outside its admissible range.
    #[error("setting `{field}` is {value}, but it must be {expected}")]
    InvalidSetting {
        /// Name of the setting (e.g. `dt_ms`).
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// An integrator for which the exactness argument does not apply.
    #[error("integrator `{0}` is not an explicit Runge–Kutta method in the tv-LIF2HH variables; use euler or rk4")]
    UnsupportedIntegrator(Integrator),
}

pub(crate) fn invalid(field: &'static str, value: f64, expected: &'static str) -> ExactError {
    ExactError::InvalidSetting {
        field,
        value,
        expected,
    }
}

/// The number of steps of `dt_ms` in `duration_ms`, which must be a whole number of steps
/// (to 1e-9 relative), so that every time step of the experiment ends exactly there.
pub fn whole_steps(field: &'static str, dt_ms: f64, duration_ms: f64) -> Result<usize, ExactError> {
    if !(dt_ms.is_finite() && dt_ms > 0.0) {
        return Err(invalid(field, dt_ms, "a finite number > 0 (ms)"));
    }
    if !(duration_ms.is_finite() && duration_ms > 0.0) {
        return Err(invalid(
            "duration_ms",
            duration_ms,
            "a finite number > 0 (ms)",
        ));
    }
    let steps = (duration_ms / dt_ms).round();
    if !(1.0..=MAX_STEPS).contains(&steps) {
        return Err(invalid(field, dt_ms, "at least 1e-9 of the duration"));
    }
    if (steps * dt_ms - duration_ms).abs() > 1e-9 * duration_ms {
        return Err(invalid(
            field,
            dt_ms,
            "a divisor of the duration (a whole number of steps)",
        ));
    }
    Ok(steps as usize)
}

/// The stimulus as seen by the step [t, t + dt]: evaluated at interior stage times as is,
/// and at the step's ends one-sidedly, at t + ε and t + dt − ε with ε = 10⁻⁶·dt.
///
/// The paper's square, sawtooth and noise currents jump, and the triangle has kinks; all of
/// their breakpoints lie on the time grid of every dt ≤ 0.05 ms used here (and of 0.1 ms
/// except the triangle's half-period kinks). A Runge–Kutta step that straddles no
/// breakpoint keeps its order only if it sees the current's left limit at its right end;
/// evaluating exactly at a grid time that is (up to rounding of k·dt) a jump picks either
/// side arbitrarily and costs RK4 its order (measured: order ≈ 1 for the square wave). The
/// nudge changes a smooth current by O(ε·dI/dt), far below every error reported. Both
/// models of a comparison see the same drive, so exactness does not depend on this choice.
pub fn step_drive(stimulus: &Stimulus, t: f64, dt: f64) -> impl Fn(f64) -> f64 + '_ {
    let eps = 1e-6 * dt;
    move |s: f64| {
        if s <= t + 0.25 * dt {
            stimulus.current(t + eps)
        } else if s >= t + 0.75 * dt {
            stimulus.current(t + dt - eps)
        } else {
            stimulus.current(s)
        }
    }
}

/// Spikes present in one train with no spike of the other within ±`window_ms`:
/// n_a + n_b − 2·(number of one-to-one coincidences within the window,
/// [`crate::metrics::coincidences`]). 0 for identical trains; symmetric.
pub fn spike_mismatches(a: &[f64], b: &[f64], window_ms: f64) -> usize {
    match (SpikeTrain::new(a.to_vec()), SpikeTrain::new(b.to_vec())) {
        (Ok(ta), Ok(tb)) => a.len() + b.len() - 2 * coincidences(&ta, &tb, window_ms),
        // A non-finite spike time cannot be matched: every spike counts as a mismatch.
        _ => a.len() + b.len(),
    }
}

/// Largest |a_i − b_i| over spikes paired in order; `None` unless both trains have the
/// same number of spikes (then 0 for two empty trains).
pub fn max_spike_shift(a: &[f64], b: &[f64]) -> Option<f64> {
    (a.len() == b.len()).then(|| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    })
}

/// How two simulations of the same system (HH and a tv-LIF2HH variant) compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairComparison {
    /// Largest |V_HH − V_variant| over every step (mV); `None` when either diverged.
    pub max_abs_dv_mv: Option<f64>,
    /// [`spike_mismatches`] within one dt; `None` when either diverged.
    pub spike_mismatches: Option<usize>,
    /// [`max_spike_shift`] (ms); `None` when either diverged or the counts differ.
    pub max_spike_shift_ms: Option<f64>,
}

impl PairComparison {
    /// Compares two runs from their spike trains and the largest potential difference
    /// observed while both were finite; `diverged` marks that either run diverged.
    pub fn new(
        max_abs_dv_mv: f64,
        spikes_a: &[f64],
        spikes_b: &[f64],
        dt_ms: f64,
        diverged: bool,
    ) -> Self {
        if diverged {
            return PairComparison {
                max_abs_dv_mv: None,
                spike_mismatches: None,
                max_spike_shift_ms: None,
            };
        }
        PairComparison {
            max_abs_dv_mv: Some(max_abs_dv_mv),
            spike_mismatches: Some(spike_mismatches(spikes_a, spikes_b, dt_ms)),
            max_spike_shift_ms: max_spike_shift(spikes_a, spikes_b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_steps_accepts_divisors_only() {
        assert_eq!(whole_steps("dt_ms", 0.001, 40.0).unwrap(), 40_000);
        assert_eq!(whole_steps("dt_ms", 0.1, 80.0).unwrap(), 800);
        assert!(whole_steps("dt_ms", 0.3, 1.0).is_err());
        assert!(whole_steps("dt_ms", 0.0, 1.0).is_err());
        assert!(whole_steps("dt_ms", f64::NAN, 1.0).is_err());
        assert!(whole_steps("dt_ms", 0.1, -1.0).is_err());
    }

    #[test]
    fn step_drive_sees_one_sided_limits_at_the_step_ends() {
        let step = Stimulus::Step {
            amp: 10.0,
            onset: 1.0,
        };
        // The step [0.9, 1.0] ends on the jump: its right end sees the left limit 0.
        let drive = step_drive(&step, 0.9, 0.1);
        assert_eq!(drive(0.9), 0.0);
        assert_eq!(drive(0.95), 0.0);
        assert_eq!(drive(1.0), 0.0);
        // The next step starts on it and sees the right limit.
        let drive = step_drive(&step, 1.0, 0.1);
        assert_eq!(drive(1.0), 10.0);
        // Even when k·dt rounds to just below the jump.
        let drive = step_drive(&step, 1.0 - 1e-15, 0.1);
        assert_eq!(drive(1.0 - 1e-15), 10.0);
    }

    #[test]
    fn mismatches_count_unmatched_spikes_within_one_dt() {
        assert_eq!(spike_mismatches(&[1.0, 5.0], &[1.0, 5.0], 0.001), 0);
        assert_eq!(spike_mismatches(&[], &[], 0.001), 0);
        // Within one dt is a match, beyond is two mismatches (one in each train).
        assert_eq!(spike_mismatches(&[1.0], &[1.0009], 0.001), 0);
        assert_eq!(spike_mismatches(&[1.0], &[1.0011], 0.001), 2);
        // An extra spike is one mismatch.
        assert_eq!(spike_mismatches(&[1.0, 2.0], &[1.0], 0.001), 1);
        assert_eq!(spike_mismatches(&[1.0], &[f64::NAN], 0.001), 2);
    }

    #[test]
    fn spike_shift_pairs_in_order_when_counts_match() {
        assert_eq!(max_spike_shift(&[1.0, 2.0], &[1.5, 2.25]), Some(0.5));
        assert_eq!(max_spike_shift(&[], &[]), Some(0.0));
        assert_eq!(max_spike_shift(&[1.0], &[]), None);
        let diverged = PairComparison::new(1.0, &[1.0], &[1.0], 0.1, true);
        assert_eq!(diverged.max_abs_dv_mv, None);
        let fine = PairComparison::new(1e-12, &[1.0], &[1.0], 0.1, false);
        assert_eq!(fine.spike_mismatches, Some(0));
    }
}
