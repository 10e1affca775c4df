//! A two-layer feed-forward network of HH-type units, simulated once with HH units and once
//! with closed-loop tv-LIF2HH units (modern convention), compared unit by unit.
//!
//! **Network.** Layer 1 receives constant currents I_i (µA/cm²). Layer 2 receives
//! I_j(t) = Σ_i w_ij s_i(t), where s_i is the *level spike* of layer-1 unit i:
//! s_i(t) = 1 while V_i(t) > θ (θ = −40 mV, strictly above), 0 otherwise — a rectangular
//! pulse lasting as long as the action potential stays above θ (≈ 2 ms at 40 µA/cm²).
//!
//! **Time stepping.** Every unit starts at the resting fixed point of the HH membrane
//! (V ≈ −65 mV, gates at steady state), so an undriven unit stays silent. (From the
//! single-neuron reference state V = −70 mV every unit, driven or not, would first fire one
//! rebound spike, which would blur a truth table.) Step k advances from t_k = k·dt to
//! t_{k+1}: layer 1 first, under its constant currents; then layer 2 under the constant
//! current Σ_i w_ij s_i(t_{k+1}), the levels of layer 1 at the end of the step — the order of
//! the authors' scripts, as in [`crate::chain`]. The sum runs over i in ascending order, so
//! equal levels give bit-identical currents in both models.
//!
//! **Evaluation.** The network is feed-forward and layer 2 reads layer 1 only through its
//! levels, so simulating layer 1 over the whole run (each unit independently, in parallel),
//! then layer 2 from the recorded levels, performs exactly the floating-point operations of
//! the step-synchronous loop above (checked bit for bit in `tests/exact_networks.rs`).
//! Each unit is simulated as HH and as tv-LIF2HH side by side, compared at every step, and
//! only its spikes, levels and a decimated trace are kept.

use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::spikes::SpikeDetector;
use icnet_neurons::tvlif2hh::{self, TvLif2HhState};
use icnet_neurons::Integrator;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{invalid, whole_steps, ExactError, PairComparison, SPIKE_THRESHOLD_MV};

/// A unit model a network can be built of: state, rest, output potential and one step
/// under a current held constant over the step.
pub trait UnitModel: Sync {
    /// The state of one unit.
    type State: Copy + Send;
    /// The resting state.
    fn rest(&self) -> Self::State;
    /// The unit's membrane (output) potential (mV).
    fn potential(state: &Self::State) -> f64;
    /// Whether every state variable is finite.
    fn is_finite(state: &Self::State) -> bool;
    /// Advances one step from `t` by `dt` (ms) under the constant current `current`.
    fn step(
        &self,
        state: &Self::State,
        t: f64,
        dt: f64,
        integrator: Integrator,
        current: f64,
    ) -> Self::State;
}

/// HH units ([`hh::step`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HhUnit {
    /// The membrane.
    pub params: HhParams,
}

impl UnitModel for HhUnit {
    type State = HhState;
    fn rest(&self) -> HhState {
        HhState::resting(&self.params)
    }
    fn potential(state: &HhState) -> f64 {
        state.v
    }
    fn is_finite(s: &HhState) -> bool {
        s.v.is_finite() && s.m.is_finite() && s.h.is_finite() && s.n.is_finite()
    }
    #[inline]
    fn step(&self, s: &HhState, t: f64, dt: f64, integrator: Integrator, i: f64) -> HhState {
        hh::step(&self.params, s, t, dt, integrator, |_| i)
    }
}

/// Closed-loop tv-LIF2HH units ([`tvlif2hh::closed_loop_step`]), starting from the network
/// equivalent to the HH resting state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TvLif2HhUnit {
    /// The membrane whose channels the units represent.
    pub params: HhParams,
}

impl UnitModel for TvLif2HhUnit {
    type State = TvLif2HhState;
    fn rest(&self) -> TvLif2HhState {
        TvLif2HhState::from_hh(&HhState::resting(&self.params))
    }
    fn potential(state: &TvLif2HhState) -> f64 {
        state.v()
    }
    fn is_finite(s: &TvLif2HhState) -> bool {
        let u = &s.units;
        [u.u_na, u.u_k, u.u_l, u.f, u.u4, s.m, s.h, s.n]
            .iter()
            .all(|x| x.is_finite())
    }
    #[inline]
    fn step(
        &self,
        s: &TvLif2HhState,
        t: f64,
        dt: f64,
        integrator: Integrator,
        i: f64,
    ) -> TvLif2HhState {
        tvlif2hh::closed_loop_step(&self.params, s, t, dt, integrator, |_| i)
    }
}

/// Time stepping of a network simulation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunSetting {
    /// Duration (ms).
    pub duration_ms: f64,
    /// Time step (ms); must divide the duration.
    pub dt_ms: f64,
    /// Integrator (forward Euler or RK4).
    pub integrator: Integrator,
    /// Level-spike threshold θ (mV); also the spike-detection threshold.
    pub threshold_mv: f64,
    /// Keep every k-th sample of the traces (0: keep none).
    pub record_every: usize,
}

impl RunSetting {
    /// Supp. Figs 2.1–2.2: 40 ms at dt = 0.001 ms, θ = −40 mV, traces every 0.02 ms.
    pub fn paper(integrator: Integrator) -> Self {
        RunSetting {
            duration_ms: 40.0,
            dt_ms: 0.001,
            integrator,
            threshold_mv: SPIKE_THRESHOLD_MV,
            record_every: 20,
        }
    }

    /// Number of steps; checks the setting.
    pub fn steps(&self) -> Result<usize, ExactError> {
        if self.integrator == Integrator::ExpEuler {
            return Err(ExactError::UnsupportedIntegrator(self.integrator));
        }
        if !self.threshold_mv.is_finite() {
            return Err(invalid(
                "threshold_mv",
                self.threshold_mv,
                "a finite number (mV)",
            ));
        }
        whole_steps("dt_ms", self.dt_ms, self.duration_ms)
    }

    /// Times of the recorded trace samples (ms).
    pub fn trace_times_ms(&self) -> Vec<f64> {
        match (self.steps(), self.record_every) {
            (Ok(steps), every) if every > 0 => (0..=steps)
                .step_by(every)
                .map(|k| k as f64 * self.dt_ms)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One unit simulated over a whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRun {
    /// V at t_0 … t_steps (mV); shorter if the unit diverged (ends before the first
    /// non-finite state).
    pub v: Vec<f64>,
    /// Spike times (ms): upward crossings of θ, interpolated within the step.
    pub spikes: Vec<f64>,
    /// Start of the step after which the state was first non-finite (ms).
    pub diverged_at_ms: Option<f64>,
}

impl UnitRun {
    /// The level spike s(t_k) = [V(t_k) > θ] for k = 0 … steps (0 after divergence).
    pub fn levels(&self, threshold_mv: f64, steps: usize) -> Vec<bool> {
        (0..=steps)
            .map(|k| self.v.get(k).is_some_and(|&v| v > threshold_mv))
            .collect()
    }
}

/// Simulates one unit of `model` from rest; the current over step k (from t_k to t_{k+1})
/// is `current(k)`.
pub fn simulate_unit<M: UnitModel>(
    model: &M,
    setting: &RunSetting,
    steps: usize,
    current: impl Fn(usize) -> f64,
) -> UnitRun {
    let dt = setting.dt_ms;
    let mut state = model.rest();
    let mut v = Vec::with_capacity(steps + 1);
    v.push(M::potential(&state));
    let mut detector = SpikeDetector::new(setting.threshold_mv);
    detector.observe(0.0, v[0]);
    let mut diverged_at_ms = None;
    for k in 0..steps {
        let t = k as f64 * dt;
        state = model.step(&state, t, dt, setting.integrator, current(k));
        if !M::is_finite(&state) {
            diverged_at_ms = Some(t);
            break;
        }
        let vk = M::potential(&state);
        detector.observe((k + 1) as f64 * dt, vk);
        v.push(vk);
    }
    UnitRun {
        v,
        spikes: detector.into_spikes(),
        diverged_at_ms,
    }
}

/// The two-layer network (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedForwardNet {
    /// Constant current into each layer-1 unit (µA/cm²).
    pub layer1_currents: Vec<f64>,
    /// w_ij from layer-1 unit i to layer-2 unit j (µA/cm² per unit level), row-major
    /// (index i·n₂ + j).
    pub weights: Vec<f64>,
    /// Number of layer-2 units n₂.
    pub layer2_size: usize,
}

impl FeedForwardNet {
    fn validate(&self) -> Result<(), ExactError> {
        let n1 = self.layer1_currents.len();
        if self.weights.len() != n1 * self.layer2_size {
            return Err(invalid(
                "weights",
                self.weights.len() as f64,
                "n1·n2 entries (one per layer-1/layer-2 pair)",
            ));
        }
        for &x in self.layer1_currents.iter().chain(&self.weights) {
            if !x.is_finite() {
                return Err(invalid("weights/currents", x, "finite numbers (µA/cm²)"));
            }
        }
        Ok(())
    }
}

/// One unit of the network, HH against tv-LIF2HH.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitComparison {
    /// HH spike times (ms).
    pub spikes_hh: Vec<f64>,
    /// tv-LIF2HH spike times (ms).
    pub spikes_tv: Vec<f64>,
    /// |ΔV|, spike mismatches and shifts.
    pub comparison: PairComparison,
    /// HH divergence time (ms), if any.
    pub diverged_hh_at_ms: Option<f64>,
    /// tv-LIF2HH divergence time (ms), if any.
    pub diverged_tv_at_ms: Option<f64>,
    /// HH potential at the trace times (mV); empty unless recorded.
    pub trace_hh: Vec<f64>,
    /// tv-LIF2HH potential at the trace times (mV); empty unless recorded.
    pub trace_tv: Vec<f64>,
}

/// Both networks, unit by unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetComparison {
    /// The time stepping used.
    pub setting: RunSetting,
    /// Number of steps.
    pub steps: usize,
    /// Times of the trace samples (ms).
    pub trace_times_ms: Vec<f64>,
    /// Layer-1 units.
    pub layer1: Vec<UnitComparison>,
    /// Layer-2 units.
    pub layer2: Vec<UnitComparison>,
}

impl NetComparison {
    fn units(&self) -> impl Iterator<Item = &UnitComparison> {
        self.layer1.iter().chain(&self.layer2)
    }

    /// Largest |V_HH − V_tvLIF2HH| over every unit and step (mV); `None` if any diverged.
    pub fn max_abs_dv_mv(&self) -> Option<f64> {
        self.units()
            .map(|u| u.comparison.max_abs_dv_mv)
            .try_fold(0.0f64, |acc, d| d.map(|d| acc.max(d)))
    }

    /// Spike mismatches within one dt, summed over every unit; `None` if any diverged.
    pub fn spike_mismatches(&self) -> Option<usize> {
        self.units()
            .map(|u| u.comparison.spike_mismatches)
            .try_fold(0usize, |acc, m| m.map(|m| acc + m))
    }

    /// Whether any unit of either model diverged.
    pub fn diverged(&self) -> bool {
        self.units()
            .any(|u| u.diverged_hh_at_ms.is_some() || u.diverged_tv_at_ms.is_some())
    }
}

/// Fraction of `units` that fire at least once, (HH, tv-LIF2HH).
pub fn fraction_firing(units: &[UnitComparison]) -> (f64, f64) {
    if units.is_empty() {
        return (0.0, 0.0);
    }
    let n = units.len() as f64;
    let hh = units.iter().filter(|u| !u.spikes_hh.is_empty()).count() as f64;
    let tv = units.iter().filter(|u| !u.spikes_tv.is_empty()).count() as f64;
    (hh / n, tv / n)
}

/// One unit as HH and as tv-LIF2HH, compared; returns the comparison and both level
/// sequences.
fn unit_pair(
    params: &HhParams,
    setting: &RunSetting,
    steps: usize,
    current_hh: impl Fn(usize) -> f64,
    current_tv: impl Fn(usize) -> f64,
) -> (UnitComparison, Vec<bool>, Vec<bool>) {
    let hh = simulate_unit(&HhUnit { params: *params }, setting, steps, current_hh);
    let tv = simulate_unit(
        &TvLif2HhUnit { params: *params },
        setting,
        steps,
        current_tv,
    );
    let dv =
        hh.v.iter()
            .zip(&tv.v)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
    let diverged = hh.diverged_at_ms.is_some() || tv.diverged_at_ms.is_some();
    let trace = |v: &[f64]| -> Vec<f64> {
        if setting.record_every == 0 {
            return Vec::new();
        }
        // Diverged samples are left out (a shorter trace), never stored as NaN.
        v.iter().step_by(setting.record_every).copied().collect()
    };
    let levels = (
        hh.levels(setting.threshold_mv, steps),
        tv.levels(setting.threshold_mv, steps),
    );
    let comparison = UnitComparison {
        comparison: PairComparison::new(dv, &hh.spikes, &tv.spikes, setting.dt_ms, diverged),
        trace_hh: trace(&hh.v),
        trace_tv: trace(&tv.v),
        spikes_hh: hh.spikes,
        spikes_tv: tv.spikes,
        diverged_hh_at_ms: hh.diverged_at_ms,
        diverged_tv_at_ms: tv.diverged_at_ms,
    };
    (comparison, levels.0, levels.1)
}

/// Layer-2 currents over each step, `[j][k]` = Σ_i w_ij s_i(t_{k+1}) (ascending i).
fn layer2_currents(net: &FeedForwardNet, levels: &[Vec<bool>], steps: usize) -> Vec<Vec<f64>> {
    let n2 = net.layer2_size;
    let mut currents = vec![vec![0.0; steps]; n2];
    let mut sum = vec![0.0; n2];
    for k in 0..steps {
        sum.iter_mut().for_each(|c| *c = 0.0);
        for (i, s) in levels.iter().enumerate() {
            if s[k + 1] {
                let row = &net.weights[i * n2..(i + 1) * n2];
                for (c, w) in sum.iter_mut().zip(row) {
                    *c += w;
                }
            }
        }
        for (column, &c) in currents.iter_mut().zip(&sum) {
            column[k] = c;
        }
    }
    currents
}

/// Simulates `net` with HH units and with tv-LIF2HH units (modern convention) and compares
/// them unit by unit. Traces are kept for layer 2 always and for layer 1 when
/// `trace_layer1` (if `setting.record_every > 0`).
pub fn simulate_net(
    net: &FeedForwardNet,
    setting: &RunSetting,
    trace_layer1: bool,
) -> Result<NetComparison, ExactError> {
    net.validate()?;
    let steps = setting.steps()?;
    let params = HhParams::modern();
    let layer1_setting = RunSetting {
        record_every: if trace_layer1 {
            setting.record_every
        } else {
            0
        },
        ..*setting
    };
    let layer1: Vec<(UnitComparison, Vec<bool>, Vec<bool>)> = net
        .layer1_currents
        .par_iter()
        .map(|&i| unit_pair(&params, &layer1_setting, steps, |_| i, |_| i))
        .collect();
    let n1 = layer1.len();
    let (mut units1, mut levels_hh, mut levels_tv) = (
        Vec::with_capacity(n1),
        Vec::with_capacity(n1),
        Vec::with_capacity(n1),
    );
    for (unit, hh, tv) in layer1 {
        units1.push(unit);
        levels_hh.push(hh);
        levels_tv.push(tv);
    }
    let (currents_hh, currents_tv) = rayon::join(
        || layer2_currents(net, &levels_hh, steps),
        || layer2_currents(net, &levels_tv, steps),
    );
    drop((levels_hh, levels_tv));
    let layer2: Vec<UnitComparison> = (0..net.layer2_size)
        .into_par_iter()
        .map(|j| {
            let (hh, tv) = (&currents_hh[j], &currents_tv[j]);
            unit_pair(&params, setting, steps, |k| hh[k], |k| tv[k]).0
        })
        .collect();
    Ok(NetComparison {
        setting: *setting,
        steps,
        trace_times_ms: setting.trace_times_ms(),
        layer1: units1,
        layer2,
    })
}
