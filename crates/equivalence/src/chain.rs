//! The two-unit chain of PAPER.md §2.4 (Fig. 3d), as HH and as s-LIF2HH.
//!
//! Unit 1 receives the stimulus I(t); unit 2 receives only unit 1's spikes, as the
//! current W·dt·spike with W = 10⁵ (each model with its own dt); neither unit receives
//! anything else. Both models return the spike trains of both units.
//!
//! **HH chain** (1952 convention, forward Euler, dt = 0.001 ms). Each step t_k → t_{k+1}
//! (t_k = k·dt) first advances unit 1 under I(t_k), then reads its *level spike*
//! s₁(t_{k+1}) = [V₁(t_{k+1}) > θ], θ = 70 mV, and advances unit 2 over the same step under
//! the constant current W·dt·s₁(t_{k+1}) (= 100 µA/cm² at the reference dt while V₁ > θ,
//! 0 otherwise). The charge delivered per spike is therefore W·dt × (time V₁ spends above
//! θ), which depends on dt: the coupling is defined at the reference dt. This is the order
//! of the authors' script: unit 2 sees unit 1's potential at the end of the step. A spike
//! *time* is the rising edge of the level: the first sample t_{k+1} with V > θ after a
//! sample with V ≤ θ (so a spike is stamped to within one dt = 1 µs, no interpolation).
//!
//! **s-LIF2HH chain** ([`SLif2HhParams`], reference dt = 1 ms). Step k covers
//! [t_k, t_k + dt]. Unit 1 is driven by the *mean* stimulus over the step (as the
//! authors' script, which integrates I over each step), computed by the midpoint rule on
//! ⌈dt/1 µs⌉ sub-intervals ([`step_mean_currents`]). Its joint spike f₁ ∈ {0, 1} of this
//! step (all four sub-units above θ) drives unit 2 within the same step with the current
//! W·dt·f₁ (10⁵ at dt = 1 ms, so unit 2 fires in the step unit 1 does). The spike is
//! stamped with the start of its step, t_k, by default — the rising edge of the authors'
//! spike raster — or its end, t_k + dt ([`StepStamp`]).

use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::slif2hh::{SLif2HhParams, SLif2HhState};
use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::Integrator;
use serde::{Deserialize, Serialize};

use crate::error::ChainError;
use crate::metrics::{compare, Comparison, MetricParams, SpikeTrain};

/// Duration of the Fig. 3d simulations (ms).
pub const PAPER_DURATION_MS: f64 = 80.0;

/// Coupling W of unit 1 onto unit 2 in the Fig. 3d chain (the current is W·dt·spike).
pub const PAPER_WEIGHT: f64 = 1e5;

/// Largest number of steps a chain simulation accepts (guards against dt typos).
pub const MAX_CHAIN_STEPS: f64 = 1e9;

/// The spike trains of the two units of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainTrains {
    /// Unit 1 (driven by the stimulus).
    pub unit1: SpikeTrain,
    /// Unit 2 (driven by unit 1's spikes).
    pub unit2: SpikeTrain,
}

fn step_count(field: &'static str, dt: f64, duration_ms: f64) -> Result<usize, ChainError> {
    let setting = |field, value| ChainError::InvalidSetting {
        field,
        value,
        expected: "a finite number > 0",
    };
    if !(dt.is_finite() && dt > 0.0) {
        return Err(setting(field, dt));
    }
    if !(duration_ms.is_finite() && duration_ms > 0.0) {
        return Err(setting("duration_ms", duration_ms));
    }
    let steps = (duration_ms / dt).round();
    if steps > MAX_CHAIN_STEPS {
        return Err(ChainError::InvalidSetting {
            field: "duration_ms/dt",
            value: steps,
            expected: "at most 1e9 steps",
        });
    }
    Ok(steps.max(1.0) as usize)
}

fn finite_setting(field: &'static str, value: f64) -> Result<f64, ChainError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ChainError::InvalidSetting {
            field,
            value,
            expected: "a finite number",
        })
    }
}

/// Two HH neurons in a chain (Fig. 3d), forward Euler.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HhChain {
    /// Membrane parameters of both units (default: 1952 convention, E_L = 10.613 mV).
    pub params: HhParams,
    /// Initial state of both units (default: the resting state of `params`).
    pub initial: HhState,
    /// Time step (ms), default 0.001.
    pub dt: f64,
    /// Level-spike threshold θ (mV), default 70.
    pub threshold: f64,
    /// Coupling W (default 10⁵): unit 2 receives W·dt·𝟙(V₁ > θ) µA/cm².
    pub weight: f64,
}

impl Default for HhChain {
    fn default() -> Self {
        let params = HhParams::hh1952();
        HhChain {
            params,
            initial: HhState::resting(&params),
            dt: 0.001,
            threshold: 70.0,
            weight: PAPER_WEIGHT,
        }
    }
}

impl HhChain {
    /// The initial state of the authors' Fig. 3d script: V = 0 mV, m = 0.0489,
    /// n = 0.6446, h = 0.1341 (unlike rest, m = 0.0529, h = 0.5961, n = 0.3177: a
    /// strongly potassium-activated, sodium-inactivated state that delays the first spike).
    pub fn reference_script_initial_state() -> HhState {
        HhState {
            v: 0.0,
            m: 0.0489,
            h: 0.1341,
            n: 0.6446,
        }
    }

    /// The chain as the authors' script runs it: the defaults, started from
    /// [`HhChain::reference_script_initial_state`]. Starting from rest instead, a step of
    /// current at t = 0 makes HH fire an onset spike within 2–6 ms that the hand-tuned
    /// s-LIF2HH does not reproduce.
    pub fn authors_script() -> Self {
        HhChain {
            initial: HhChain::reference_script_initial_state(),
            ..HhChain::default()
        }
    }

    /// Simulates the chain under `stimulus` for `duration_ms` and returns both units'
    /// spike times (see the module documentation for the exact update and spike rule).
    pub fn run(&self, stimulus: &Stimulus, duration_ms: f64) -> Result<ChainTrains, ChainError> {
        self.params.validate()?;
        stimulus.validate()?;
        let steps = step_count("dt", self.dt, duration_ms)?;
        let threshold = finite_setting("threshold", self.threshold)?;
        let drive = finite_setting("weight", self.weight)? * self.dt;
        let (p, dt) = (&self.params, self.dt);
        let (mut s1, mut s2) = (self.initial, self.initial);
        let (mut above1, mut above2) = (s1.v > threshold, s2.v > threshold);
        let (mut unit1, mut unit2) = (Vec::new(), Vec::new());
        for k in 0..steps {
            let t = k as f64 * dt;
            let t_next = (k + 1) as f64 * dt;
            s1 = hh::step(p, &s1, t, dt, Integrator::Euler, |tt| stimulus.current(tt));
            if !s1.v.is_finite() {
                return Err(ChainError::Diverged {
                    unit: 1,
                    t_ms: t_next,
                });
            }
            let level1 = s1.v > threshold;
            let current2 = if level1 { drive } else { 0.0 };
            s2 = hh::step(p, &s2, t, dt, Integrator::Euler, |_| current2);
            if !s2.v.is_finite() {
                return Err(ChainError::Diverged {
                    unit: 2,
                    t_ms: t_next,
                });
            }
            let level2 = s2.v > threshold;
            if level1 && !above1 {
                unit1.push(t_next);
            }
            if level2 && !above2 {
                unit2.push(t_next);
            }
            (above1, above2) = (level1, level2);
        }
        Ok(ChainTrains {
            unit1: SpikeTrain::new(unit1)?,
            unit2: SpikeTrain::new(unit2)?,
        })
    }
}

/// Which instant of its time step a discrete-time spike is stamped with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStamp {
    /// t_k, the start of the step (the rising edge of the authors' spike raster).
    Start,
    /// t_k + dt, the instant at which the updated state exists.
    End,
}

/// Two s-LIF2HH units in a chain (Fig. 3d).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SLifChain {
    /// Parameters of both units, including dt (default [`SLif2HhParams::default`]:
    /// leak 0.1, gains 1, weights 1/3, θ = 70, reset 0, dt = 1 ms).
    pub params: SLif2HhParams,
    /// Coupling W (default 10⁵): unit 2 receives W·dt·f₁.
    pub weight: f64,
    /// Spike time stamping (default [`StepStamp::Start`]).
    pub stamp: StepStamp,
}

impl Default for SLifChain {
    fn default() -> Self {
        SLifChain {
            params: SLif2HhParams::default(),
            weight: PAPER_WEIGHT,
            stamp: StepStamp::Start,
        }
    }
}

/// The mean of `stimulus` over each step [k·dt, (k + 1)·dt], k = 0 … steps − 1, by the
/// midpoint rule on ⌈dt/0.001⌉ sub-intervals of each step. Exact for the square wave at
/// integer-aligned steps and for piecewise-linear shapes whose breaks fall on the sub-grid
/// (the paper's sawtooth and triangle at dt = 1 ms); O(h²) otherwise (≈ 1e-6 µA/cm² for the
/// paper's sine at dt = 1 ms). Precompute once when simulating many parameter sets.
pub fn step_mean_currents(stimulus: &Stimulus, dt: f64, steps: usize) -> Vec<f64> {
    let sub = ((dt / 0.001).ceil() as usize).max(1);
    let h = dt / sub as f64;
    (0..steps)
        .map(|k| {
            let t0 = k as f64 * dt;
            (0..sub)
                .map(|j| stimulus.current(t0 + (j as f64 + 0.5) * h))
                .sum::<f64>()
                / sub as f64
        })
        .collect()
}

impl SLifChain {
    /// Simulates the chain under `stimulus` for `duration_ms` (⌊duration/dt⌉ steps).
    pub fn run(&self, stimulus: &Stimulus, duration_ms: f64) -> Result<ChainTrains, ChainError> {
        stimulus.validate()?;
        self.params.validate()?;
        let steps = step_count("dt", self.params.dt, duration_ms)?;
        self.run_currents(&step_mean_currents(stimulus, self.params.dt, steps))
    }

    /// Simulates the chain with unit 1 driven by `currents[k]` during step k (e.g. from
    /// [`step_mean_currents`]); one step per entry.
    pub fn run_currents(&self, currents: &[f64]) -> Result<ChainTrains, ChainError> {
        self.params.validate()?;
        let dt = self.params.dt;
        let drive = finite_setting("weight", self.weight)? * dt;
        let offset = match self.stamp {
            StepStamp::Start => 0.0,
            StepStamp::End => dt,
        };
        let (mut s1, mut s2) = (SLif2HhState::default(), SLif2HhState::default());
        let (mut unit1, mut unit2) = (Vec::new(), Vec::new());
        for (k, &current) in currents.iter().enumerate() {
            let t = k as f64 * dt;
            if !pre_reset_finite(&self.params, &s1, current) {
                return Err(ChainError::Diverged {
                    unit: 1,
                    t_ms: t + dt,
                });
            }
            let (next1, fired1) = self.params.step(&s1, current);
            let current2 = if fired1 { drive } else { 0.0 };
            if !pre_reset_finite(&self.params, &s2, current2) {
                return Err(ChainError::Diverged {
                    unit: 2,
                    t_ms: t + dt,
                });
            }
            let (next2, fired2) = self.params.step(&s2, current2);
            if fired1 {
                unit1.push(t + offset);
            }
            if fired2 {
                unit2.push(t + offset);
            }
            (s1, s2) = (next1, next2);
        }
        Ok(ChainTrains {
            unit1: SpikeTrain::new(unit1)?,
            unit2: SpikeTrain::new(unit2)?,
        })
    }
}

/// Whether the potentials of one s-LIF2HH step are finite *before* the reset. The reset
/// would otherwise hide an overflow: +inf exceeds θ, so an overflowing unit "fires" and
/// returns to rest. Mirrors the update of [`SLif2HhParams::step`].
fn pre_reset_finite(p: &SLif2HhParams, s: &SLif2HhState, current: f64) -> bool {
    let mut u = s.u;
    for ((u, k), a) in u.iter_mut().zip(p.leak).zip(p.input_gain) {
        *u += p.dt * (-k * *u + a * current);
    }
    let drive: f64 = (0..3).map(|j| p.weights[j] * u[j]).sum();
    u[3] += p.dt * (-p.leak[3] * u[3] + drive);
    u.iter().all(|x| x.is_finite())
}

/// One stimulus shape of Fig. 3d: both chains' trains and the metrics of the s-LIF2HH
/// trains against the HH ones, per unit (the paper reports unit 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeComparison {
    /// Stimulus name (`constant`, `sine`, `square`, `sawtooth`, `triangle`).
    pub shape: String,
    /// The stimulus.
    pub stimulus: Stimulus,
    /// Spike trains of the HH chain.
    pub hh: ChainTrains,
    /// Spike trains of the s-LIF2HH chain.
    pub slif: ChainTrains,
    /// s-LIF2HH unit 1 against HH unit 1.
    pub unit1: Comparison,
    /// s-LIF2HH unit 2 against HH unit 2 (the paper's comparison).
    pub unit2: Comparison,
}

/// Runs both chains under each stimulus and compares them with `metric`. The recording
/// length for Γ is `duration_ms`, whatever `metric.duration_ms` says.
pub fn compare_chains(
    hh: &HhChain,
    slif: &SLifChain,
    stimuli: &[(&str, Stimulus)],
    duration_ms: f64,
    metric: &MetricParams,
) -> Result<Vec<ShapeComparison>, ChainError> {
    let metric = MetricParams {
        duration_ms,
        ..*metric
    };
    stimuli
        .iter()
        .map(|(name, stimulus)| {
            let hh_trains = hh.run(stimulus, duration_ms)?;
            let slif_trains = slif.run(stimulus, duration_ms)?;
            Ok(ShapeComparison {
                shape: name.to_string(),
                stimulus: *stimulus,
                unit1: compare(&hh_trains.unit1, &slif_trains.unit1, &metric)?,
                unit2: compare(&hh_trains.unit2, &slif_trains.unit2, &metric)?,
                hh: hh_trains,
                slif: slif_trains,
            })
        })
        .collect()
}

/// [`compare_chains`] on the five Fig. 3d stimuli for 80 ms with default metrics.
pub fn compare_paper_shapes(
    hh: &HhChain,
    slif: &SLifChain,
) -> Result<Vec<ShapeComparison>, ChainError> {
    compare_chains(
        hh,
        slif,
        &Stimulus::paper_shapes(),
        PAPER_DURATION_MS,
        &MetricParams::with_duration(PAPER_DURATION_MS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_means_by_hand() {
        let constant = Stimulus::Constant { amp: 9.0 };
        assert!(step_mean_currents(&constant, 1.0, 3)
            .iter()
            .all(|&c| (c - 9.0).abs() < 1e-12));
        // Square: ⌊t⌋ is constant on each 1 ms step, so the mean is the value at its start.
        let square = Stimulus::default_for("square").unwrap();
        for (k, c) in step_mean_currents(&square, 1.0, 20).iter().enumerate() {
            assert!((c - square.current(k as f64)).abs() < 1e-12, "step {k}");
        }
        // Sine: mean of 11.5 − 19 sin(1.2t) over [k, k + 1] = 11.5 + (19/1.2)(cos 1.2(k+1) − cos 1.2k).
        let sine = Stimulus::default_for("sine").unwrap();
        for (k, c) in step_mean_currents(&sine, 1.0, 10).iter().enumerate() {
            let (a, b) = (1.2 * k as f64, 1.2 * (k + 1) as f64);
            let exact = 11.5 + 19.0 / 1.2 * (b.cos() - a.cos());
            assert!((c - exact).abs() < 1e-5, "step {k}: {c} vs {exact}");
        }
    }

    #[test]
    fn slif_unit_two_fires_in_the_step_of_unit_one() {
        let trains = SLifChain::default()
            .run(&Stimulus::Constant { amp: 9.0 }, 80.0)
            .unwrap();
        // u₁ = 90(1 − 0.9^(k+1)) > 70 first at k = 14, then every 15 steps after reset.
        assert_eq!(trains.unit1.times(), &[14.0, 29.0, 44.0, 59.0, 74.0]);
        assert_eq!(trains.unit1, trains.unit2);
        let end = SLifChain {
            stamp: StepStamp::End,
            ..SLifChain::default()
        };
        let shifted = end.run(&Stimulus::Constant { amp: 9.0 }, 80.0).unwrap();
        assert_eq!(shifted.unit1.times()[0], 15.0);
    }

    #[test]
    fn hh_unit_two_follows_unit_one_within_a_few_ms() {
        let trains = HhChain::default()
            .run(&Stimulus::Constant { amp: 9.0 }, 40.0)
            .unwrap();
        assert!(!trains.unit1.is_empty());
        assert_eq!(trains.unit1.len(), trains.unit2.len());
        for (t1, t2) in trains.unit1.times().iter().zip(trains.unit2.times()) {
            let lag = t2 - t1;
            assert!(lag > 0.0 && lag < 3.0, "lag {lag} ms");
        }
        // Without the coupling unit 2 stays silent.
        let uncoupled = HhChain {
            weight: 0.0,
            ..HhChain::default()
        };
        assert!(uncoupled
            .run(&Stimulus::Constant { amp: 9.0 }, 40.0)
            .unwrap()
            .unit2
            .is_empty());
    }

    #[test]
    fn divergence_and_bad_settings_are_errors() {
        let stiff = HhChain {
            params: HhParams {
                c_m: 1e-3,
                ..HhParams::hh1952()
            },
            dt: 0.1,
            ..HhChain::default()
        };
        // Euler with dt·g_L/C = 30 amplifies any deviation from rest 29-fold per step.
        let e = stiff
            .run(&Stimulus::Constant { amp: 9.0 }, 80.0)
            .unwrap_err();
        assert!(matches!(e, ChainError::Diverged { .. }), "{e}");
        let huge = SLifChain {
            params: SLif2HhParams {
                input_gain: [1e308; 3],
                ..SLif2HhParams::default()
            },
            ..SLifChain::default()
        };
        let e = huge
            .run(&Stimulus::Constant { amp: 9.0 }, 80.0)
            .unwrap_err();
        assert!(
            matches!(e, ChainError::Diverged { unit: 1, t_ms } if t_ms == 1.0),
            "{e}"
        );
        let zero_dt = HhChain {
            dt: 0.0,
            ..HhChain::default()
        };
        assert!(zero_dt
            .run(&Stimulus::Constant { amp: 9.0 }, 80.0)
            .unwrap_err()
            .to_string()
            .contains("dt"));
        assert!(HhChain::default()
            .run(&Stimulus::Constant { amp: 9.0 }, f64::NAN)
            .is_err());
    }
}
