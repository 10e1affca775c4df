//! One neuron: HH against closed-loop and driven tv-LIF2HH (modern convention, reference
//! initial state V = −70 mV, m = 0.0289, h = 0.7541, n = 0.2446) under one stimulus, for
//! every (integrator, dt) of a grid, plus a fine-step RK4 reference of both models for
//! the convergence study.
//!
//! The three models are advanced in lock step with the same drive
//! ([`super::step_drive`]): HH ([`hh::step`]), closed-loop tv-LIF2HH
//! ([`tvlif2hh::closed_loop_step`]) and driven tv-LIF2HH, which takes g_i(t) from a
//! companion HH neuron integrated as one joint ODE so every RK4 stage sees the companion's
//! conductances at the stage time ([`tvlif2hh::driven_by_hh_step`]). |ΔV| is taken at every
//! step; the convergence error of each model is max |V(t) − V_ref(t)| over the samples
//! t = 0, 0.1, …, 80 ms, against the HH solution by RK4 at the reference step.
//!
//! A run is *diverged* from the first step at which any of its state variables is not
//! finite; it is not advanced further and every number that needs it is `None` (printed
//! "diverged"), never NaN.

use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::spikes::SpikeDetector;
use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::tvlif2hh::{self, DrivenByHh, TvLif2HhState, UnitPotentials};
use icnet_neurons::Integrator;
use serde::{Deserialize, Serialize};

use super::{invalid, step_drive, whole_steps, ExactError, PairComparison, SPIKE_THRESHOLD_MV};

/// The time steps of the grid (ms), coarsest first (issue 3).
pub const PAPER_DTS_MS: [f64; 5] = [0.1, 0.05, 0.01, 0.005, 0.001];

/// Step of the convergence reference (ms): RK4 at a quarter of the finest grid step, whose
/// own error (≈ 1e-10 mV, 1/256 of RK4's at 0.001 ms) is at the level of rounding.
pub const REFERENCE_DT_MS: f64 = 0.00025;

/// Duration of each single-neuron simulation (ms), as in Fig. 3d.
pub const DURATION_MS: f64 = 80.0;

/// Interval of the samples the convergence error is measured on (ms); a multiple of every dt.
pub const SAMPLE_INTERVAL_MS: f64 = 0.1;

/// Largest dt included in the fit of the convergence order (ms): coarser steps are outside
/// the asymptotic regime (errors of tens of mV, or divergence).
pub const FIT_MAX_DT_MS: f64 = 0.01;

/// What to simulate for one stimulus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SingleNeuronSetting {
    /// The injected current.
    pub stimulus: Stimulus,
    /// Duration (ms).
    pub duration_ms: f64,
    /// Time steps of the grid (ms); each must divide the sample interval.
    pub dts_ms: Vec<f64>,
    /// Integrators of the grid (forward Euler and RK4; exponential Euler is rejected,
    /// see the module docs of [`super`]).
    pub integrators: Vec<Integrator>,
    /// Step of the RK4 reference (ms); must divide the sample interval.
    pub reference_dt_ms: f64,
    /// Interval of the convergence samples (ms).
    pub sample_interval_ms: f64,
}

impl SingleNeuronSetting {
    /// The setting for `stimulus`: 80 ms, the five dts, Euler and RK4, reference
    /// RK4 at 0.00025 ms, samples every 0.1 ms.
    pub fn paper(stimulus: Stimulus) -> Self {
        SingleNeuronSetting {
            stimulus,
            duration_ms: DURATION_MS,
            dts_ms: PAPER_DTS_MS.to_vec(),
            integrators: vec![Integrator::Euler, Integrator::Rk4],
            reference_dt_ms: REFERENCE_DT_MS,
            sample_interval_ms: SAMPLE_INTERVAL_MS,
        }
    }

    fn validate(&self) -> Result<(), ExactError> {
        self.stimulus.validate()?;
        whole_steps(
            "sample_interval_ms",
            self.sample_interval_ms,
            self.duration_ms,
        )?;
        whole_steps(
            "reference_dt_ms",
            self.reference_dt_ms,
            self.sample_interval_ms,
        )?;
        for &dt in &self.dts_ms {
            whole_steps("dts_ms", dt, self.sample_interval_ms)?;
        }
        if self.integrators.contains(&Integrator::ExpEuler) {
            return Err(ExactError::UnsupportedIntegrator(Integrator::ExpEuler));
        }
        Ok(())
    }
}

/// One model's run: spikes and divergence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRun {
    /// Spike times (ms): upward crossings of −40 mV, interpolated within the step.
    pub spikes: Vec<f64>,
    /// Start of the step after which the state was first non-finite (ms); `None` if never.
    pub diverged_at_ms: Option<f64>,
}

/// The results of one (integrator, dt) cell of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Integrator.
    pub integrator: Integrator,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Number of steps.
    pub steps: usize,
    /// HH.
    pub hh: ModelRun,
    /// Closed-loop tv-LIF2HH.
    pub closed_loop: ModelRun,
    /// tv-LIF2HH driven by a companion HH neuron's conductances.
    pub driven: ModelRun,
    /// HH vs closed-loop tv-LIF2HH.
    pub closed_loop_vs_hh: PairComparison,
    /// HH vs driven tv-LIF2HH.
    pub driven_vs_hh: PairComparison,
    /// max |V_HH − V_ref| over the samples (mV); `None` if HH diverged.
    pub error_hh_mv: Option<f64>,
    /// max |V_tvLIF2HH − V_ref| over the samples (mV), closed loop; `None` if it diverged.
    pub error_closed_loop_mv: Option<f64>,
}

impl CellResult {
    /// Whether HH and both tv-LIF2HH variants diverged at the same step, or none did.
    pub fn diverged_together(&self) -> bool {
        self.hh.diverged_at_ms == self.closed_loop.diverged_at_ms
            && self.hh.diverged_at_ms == self.driven.diverged_at_ms
    }
}

/// The fine-step reference of one stimulus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRun {
    /// Its step (ms), RK4.
    pub dt_ms: f64,
    /// HH spike times (ms).
    pub spikes: Vec<f64>,
    /// max |V_HH − V_tvLIF2HH| of the two references over the samples (mV).
    pub closed_loop_vs_hh_mv: f64,
}

/// Everything measured for one stimulus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SingleNeuronResult {
    /// The fine-step reference.
    pub reference: ReferenceRun,
    /// One entry per (integrator, dt), integrators outer, dts in the given order.
    pub cells: Vec<CellResult>,
}

impl SingleNeuronResult {
    /// Measured order of `integrator` for (HH, closed-loop tv-LIF2HH): the slopes of
    /// error against dt fitted over the cells with dt ≤ `max_dt_ms` (see [`fitted_order`]).
    pub fn orders(&self, integrator: Integrator, max_dt_ms: f64) -> (Option<f64>, Option<f64>) {
        let cells: Vec<&CellResult> = self
            .cells
            .iter()
            .filter(|c| c.integrator == integrator)
            .collect();
        let hh: Vec<_> = cells.iter().map(|c| (c.dt_ms, c.error_hh_mv)).collect();
        let tv: Vec<_> = cells
            .iter()
            .map(|c| (c.dt_ms, c.error_closed_loop_mv))
            .collect();
        (fitted_order(&hh, max_dt_ms), fitted_order(&tv, max_dt_ms))
    }
}

/// Runs the grid and the reference for one stimulus.
pub fn run_single_neuron(setting: &SingleNeuronSetting) -> Result<SingleNeuronResult, ExactError> {
    setting.validate()?;
    let params = HhParams::modern();
    let reference = lockstep(&params, setting, Integrator::Rk4, setting.reference_dt_ms)?;
    if reference.hh.diverged_at_ms.is_some() || reference.closed_loop.diverged_at_ms.is_some() {
        return Err(invalid(
            "reference_dt_ms",
            setting.reference_dt_ms,
            "small enough for RK4 not to diverge",
        ));
    }
    let mut cells = Vec::with_capacity(setting.integrators.len() * setting.dts_ms.len());
    for &integrator in &setting.integrators {
        for &dt in &setting.dts_ms {
            let run = lockstep(&params, setting, integrator, dt)?;
            let error = |samples: &[f64], diverged: Option<f64>| {
                diverged
                    .is_none()
                    .then(|| max_abs_diff(samples, &reference.samples_hh))
            };
            cells.push(CellResult {
                integrator,
                dt_ms: dt,
                steps: run.steps,
                error_hh_mv: error(&run.samples_hh, run.hh.diverged_at_ms),
                error_closed_loop_mv: error(&run.samples_closed, run.closed_loop.diverged_at_ms),
                closed_loop_vs_hh: run.closed_loop_vs_hh,
                driven_vs_hh: run.driven_vs_hh,
                hh: run.hh,
                closed_loop: run.closed_loop,
                driven: run.driven,
            });
        }
    }
    Ok(SingleNeuronResult {
        reference: ReferenceRun {
            dt_ms: setting.reference_dt_ms,
            closed_loop_vs_hh_mv: max_abs_diff(&reference.samples_hh, &reference.samples_closed),
            spikes: reference.hh.spikes,
        },
        cells,
    })
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The three models advanced together at one (integrator, dt).
struct Lockstep {
    steps: usize,
    hh: ModelRun,
    closed_loop: ModelRun,
    driven: ModelRun,
    closed_loop_vs_hh: PairComparison,
    driven_vs_hh: PairComparison,
    samples_hh: Vec<f64>,
    samples_closed: Vec<f64>,
}

fn hh_finite(s: &HhState) -> bool {
    s.v.is_finite() && s.m.is_finite() && s.h.is_finite() && s.n.is_finite()
}

fn units_finite(u: &UnitPotentials) -> bool {
    [u.u_na, u.u_k, u.u_l, u.f, u.u4]
        .iter()
        .all(|x| x.is_finite())
}

/// One model's bookkeeping inside the lock-step loop.
struct Track {
    detector: SpikeDetector,
    diverged_at_ms: Option<f64>,
}

impl Track {
    fn new(v0: f64) -> Self {
        let mut detector = SpikeDetector::new(SPIKE_THRESHOLD_MV);
        detector.observe(0.0, v0);
        Track {
            detector,
            diverged_at_ms: None,
        }
    }

    fn alive(&self) -> bool {
        self.diverged_at_ms.is_none()
    }

    /// Records the state reached at `t_next` after the step that started at `t`.
    fn observe(&mut self, finite: bool, t: f64, t_next: f64, v: f64) {
        if !finite {
            self.diverged_at_ms = Some(t);
        } else {
            self.detector.observe(t_next, v);
        }
    }

    fn finish(self) -> ModelRun {
        ModelRun {
            spikes: self.detector.into_spikes(),
            diverged_at_ms: self.diverged_at_ms,
        }
    }
}

fn lockstep(
    params: &HhParams,
    setting: &SingleNeuronSetting,
    integrator: Integrator,
    dt: f64,
) -> Result<Lockstep, ExactError> {
    let steps = whole_steps("dt_ms", dt, setting.duration_ms)?;
    let every = whole_steps("dt_ms", dt, setting.sample_interval_ms)?;
    let h0 = HhState::modern_reference();
    let (mut hh_state, mut closed, mut driven) = (
        h0,
        TvLif2HhState::from_hh(&h0),
        DrivenByHh {
            hh: h0,
            units: UnitPotentials::at(h0.v),
        },
    );
    let (mut t_hh, mut t_closed, mut t_driven) =
        (Track::new(h0.v), Track::new(h0.v), Track::new(h0.v));
    let samples = steps / every + 1;
    let (mut samples_hh, mut samples_closed) =
        (Vec::with_capacity(samples), Vec::with_capacity(samples));
    samples_hh.push(h0.v);
    samples_closed.push(h0.v);
    let (mut dv_closed, mut dv_driven) = (0.0f64, 0.0f64);
    for k in 0..steps {
        let t = k as f64 * dt;
        let t_next = (k + 1) as f64 * dt;
        let drive = step_drive(&setting.stimulus, t, dt);
        if t_hh.alive() {
            hh_state = hh::step(params, &hh_state, t, dt, integrator, &drive);
            t_hh.observe(hh_finite(&hh_state), t, t_next, hh_state.v);
        }
        if t_closed.alive() {
            closed = tvlif2hh::closed_loop_step(params, &closed, t, dt, integrator, &drive);
            let finite = units_finite(&closed.units)
                && [closed.m, closed.h, closed.n].iter().all(|x| x.is_finite());
            t_closed.observe(finite, t, t_next, closed.v());
        }
        if t_driven.alive() {
            driven = tvlif2hh::driven_by_hh_step(params, &driven, t, dt, integrator, &drive);
            let finite = hh_finite(&driven.hh) && units_finite(&driven.units);
            t_driven.observe(finite, t, t_next, driven.units.v());
        }
        if !(t_hh.alive() || t_closed.alive() || t_driven.alive()) {
            break;
        }
        if t_hh.alive() && t_closed.alive() {
            dv_closed = dv_closed.max((hh_state.v - closed.v()).abs());
        }
        if t_hh.alive() && t_driven.alive() {
            dv_driven = dv_driven.max((hh_state.v - driven.units.v()).abs());
        }
        if (k + 1) % every == 0 {
            samples_hh.push(hh_state.v);
            samples_closed.push(closed.v());
        }
    }
    let (hh_run, closed_run, driven_run) = (t_hh.finish(), t_closed.finish(), t_driven.finish());
    let closed_loop_vs_hh = PairComparison::new(
        dv_closed,
        &hh_run.spikes,
        &closed_run.spikes,
        dt,
        hh_run.diverged_at_ms.is_some() || closed_run.diverged_at_ms.is_some(),
    );
    let driven_vs_hh = PairComparison::new(
        dv_driven,
        &hh_run.spikes,
        &driven_run.spikes,
        dt,
        hh_run.diverged_at_ms.is_some() || driven_run.diverged_at_ms.is_some(),
    );
    Ok(Lockstep {
        steps,
        hh: hh_run,
        closed_loop: closed_run,
        driven: driven_run,
        closed_loop_vs_hh,
        driven_vs_hh,
        samples_hh,
        samples_closed,
    })
}

/// Least-squares slope of log₁₀ error against log₁₀ dt over the points with
/// dt ≤ `max_dt_ms` and a finite, positive error: the measured order of convergence.
/// `None` with fewer than two such points.
pub fn fitted_order(points: &[(f64, Option<f64>)], max_dt_ms: f64) -> Option<f64> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|&(dt, e)| {
            e.filter(|e| e.is_finite() && *e > 0.0 && dt <= max_dt_ms * (1.0 + 1e-12))
                .map(|e| (dt.log10(), e.log10()))
        })
        .collect();
    if logs.len() < 2 {
        return None;
    }
    let n = logs.len() as f64;
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The median of finite values; `None` when there are none.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_order_recovers_a_power_law() {
        let points: Vec<(f64, Option<f64>)> = [0.1, 0.01, 0.005, 0.001]
            .iter()
            .map(|&dt: &f64| (dt, Some(3.0 * dt.powi(4))))
            .collect();
        assert!((fitted_order(&points, 0.01).unwrap() - 4.0).abs() < 1e-12);
        // Points above the cut-off and missing errors are ignored.
        let mut with_gap = points.clone();
        with_gap[0].1 = Some(1e9);
        with_gap[2].1 = None;
        assert!((fitted_order(&with_gap, 0.01).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(fitted_order(&points[..1], 0.1), None);
        assert_eq!(median([3.0, 1.0, f64::NAN, 2.0]), Some(2.0));
        assert_eq!(median([4.0, 1.0]), Some(2.5));
        assert_eq!(median([]), None);
    }

    #[test]
    fn settings_are_checked() {
        let mut s = SingleNeuronSetting::paper(Stimulus::Constant { amp: 10.0 });
        s.dts_ms = vec![0.03];
        assert!(run_single_neuron(&s).is_err(), "0.03 does not divide 0.1");
        let mut s = SingleNeuronSetting::paper(Stimulus::Constant { amp: 10.0 });
        s.integrators = vec![Integrator::ExpEuler];
        assert!(run_single_neuron(&s).is_err());
    }
}
