//! One entry point that runs any model of this crate under any stimulus and integrator
//! and returns the recorded trace — what `icnet simulate` prints and plots.
//!
//! Every trace has a column `V`, the model's output potential: the membrane potential of
//! HH, u of the LIF models, F + u₄ of tv-LIF2HH, u₄ of s-LIF2HH.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{positive, NeuronError};
use crate::hh::{self, Convention, HhParams, HhState};
use crate::lif::{DiscreteLif, DiscreteLifState, Lif, LifState, TvLif, TvLifDrive};
use crate::ode::Integrator;
use crate::slif2hh::{SLif2HhParams, SLif2HhState};
use crate::spikes::SpikeDetector;
use crate::stimulus::Stimulus;
use crate::tvlif2hh::{self, DrivenByHh, TvLif2HhState, UnitPotentials};

/// The models `simulate` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// HH, 1952 convention, starting at rest; spikes at 50 mV.
    Hh1952,
    /// HH, modern convention, from the reference initial state; spikes at −40 mV.
    HhModern,
    /// Continuous LIF with the Fig. 3d constants ([`Lif::default`]).
    Lif,
    /// Discrete learning-form LIF (λ 0.2, θ 0.3); one step per `dt`, input I(t_k).
    LifDiscrete,
    /// One tv-LIF whose τ(t) = C/g(t), u_rest(t) = Σ g_i E_i / g, R(t) = 1/g come from a
    /// companion modern-convention HH neuron: HH written as a single tv-LIF.
    TvLif,
    /// Closed-loop tv-LIF2HH, modern convention.
    TvLif2Hh,
    /// tv-LIF2HH driven by the conductances of a companion HH neuron, modern convention.
    TvLif2HhDriven,
    /// s-LIF2HH simulation form with the Fig. 3d constants (its own dt from `dt`).
    SLif2Hh,
}

impl ModelKind {
    /// All models, in a stable order.
    pub fn all() -> &'static [ModelKind] {
        &[
            ModelKind::Hh1952,
            ModelKind::HhModern,
            ModelKind::Lif,
            ModelKind::LifDiscrete,
            ModelKind::TvLif,
            ModelKind::TvLif2Hh,
            ModelKind::TvLif2HhDriven,
            ModelKind::SLif2Hh,
        ]
    }

    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Hh1952 => "hh-1952",
            ModelKind::HhModern => "hh-modern",
            ModelKind::Lif => "lif",
            ModelKind::LifDiscrete => "lif-discrete",
            ModelKind::TvLif => "tvlif",
            ModelKind::TvLif2Hh => "tvlif2hh",
            ModelKind::TvLif2HhDriven => "tvlif2hh-driven",
            ModelKind::SLif2Hh => "slif2hh",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = NeuronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelKind::all()
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| NeuronError::UnknownName {
                kind: "model",
                name: s.to_string(),
                expected: ModelKind::all()
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationSpec {
    /// The model.
    pub model: ModelKind,
    /// The injected current.
    pub stimulus: Stimulus,
    /// The integrator (ignored by the discrete models, which have their own update).
    pub integrator: Integrator,
    /// Time step (ms).
    pub dt: f64,
    /// Duration (ms).
    pub duration: f64,
    /// Record every k-th step (1 = every step). Spikes are detected at every step.
    pub record_every: usize,
    /// Parameter overrides `(name, value)` applied to the model's defaults, e.g.
    /// `("C", 2.0)`; see [`SetParam`] for the names each model accepts.
    #[serde(default)]
    pub overrides: Vec<(String, f64)>,
}

/// Parameters that can be set by name (the paper's symbols), for command-line overrides.
pub trait SetParam {
    /// The names [`SetParam::set_param`] accepts.
    fn param_names(&self) -> &'static [&'static str];
    /// Sets `name` to `value`; unknown names are an error listing the valid ones.
    /// Values are checked by the model's `validate`, not here.
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), NeuronError>;
}

fn unknown_param(model: &'static str, name: &str, names: &[&str]) -> NeuronError {
    NeuronError::UnknownName {
        kind: model,
        name: name.to_string(),
        expected: names.join(", "),
    }
}

impl SetParam for HhParams {
    fn param_names(&self) -> &'static [&'static str] {
        &["C", "g_Na", "g_K", "g_L", "E_Na", "E_K", "E_L"]
    }
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), NeuronError> {
        let slot = match name {
            "C" => &mut self.c_m,
            "g_Na" => &mut self.g_na,
            "g_K" => &mut self.g_k,
            "g_L" => &mut self.g_l,
            "E_Na" => &mut self.e_na,
            "E_K" => &mut self.e_k,
            "E_L" => &mut self.e_l,
            _ => return Err(unknown_param("HH parameter", name, self.param_names())),
        };
        *slot = value;
        Ok(())
    }
}

impl SetParam for Lif {
    fn param_names(&self) -> &'static [&'static str] {
        &["tau", "u_rest", "R", "threshold", "u_reset"]
    }
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), NeuronError> {
        let slot = match name {
            "tau" => &mut self.tau,
            "u_rest" => &mut self.u_rest,
            "R" => &mut self.r,
            "threshold" => &mut self.threshold,
            "u_reset" => &mut self.u_reset,
            _ => return Err(unknown_param("LIF parameter", name, self.param_names())),
        };
        *slot = value;
        Ok(())
    }
}

impl SetParam for DiscreteLif {
    fn param_names(&self) -> &'static [&'static str] {
        &["decay", "threshold"]
    }
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), NeuronError> {
        let slot = match name {
            "decay" => &mut self.decay,
            "threshold" => &mut self.threshold,
            _ => {
                return Err(unknown_param(
                    "discrete LIF parameter",
                    name,
                    self.param_names(),
                ))
            }
        };
        *slot = value;
        Ok(())
    }
}

impl SetParam for SLif2HhParams {
    fn param_names(&self) -> &'static [&'static str] {
        &["threshold", "reset", "leak", "gain", "weight"]
    }
    /// `leak`, `gain` and `weight` set every unit's value at once.
    fn set_param(&mut self, name: &str, value: f64) -> Result<(), NeuronError> {
        match name {
            "threshold" => self.threshold = value,
            "reset" => self.reset = value,
            "leak" => self.leak = [value; 4],
            "gain" => self.input_gain = [value; 3],
            "weight" => self.weights = [value; 3],
            _ => {
                return Err(unknown_param(
                    "s-LIF2HH parameter",
                    name,
                    self.param_names(),
                ))
            }
        }
        Ok(())
    }
}

/// Applies `overrides` to `params`.
fn with_overrides<P: SetParam>(
    mut params: P,
    overrides: &[(String, f64)],
) -> Result<P, NeuronError> {
    for (name, value) in overrides {
        params.set_param(name, *value)?;
    }
    Ok(params)
}

/// The HH membrane of an HH-based model, with overrides applied and validated.
fn hh_params(base: HhParams, overrides: &[(String, f64)]) -> Result<HhParams, NeuronError> {
    let p = with_overrides(base, overrides)?;
    p.validate()?;
    Ok(p)
}

/// A recorded simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Sample times (ms).
    pub time: Vec<f64>,
    /// Named columns, each as long as `time`; `V` is always first.
    pub columns: Vec<(String, Vec<f64>)>,
    /// Spike times (ms).
    pub spikes: Vec<f64>,
}

impl Trace {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_slice())
    }
}

/// Largest number of steps `simulate` accepts (guards against dt typos).
pub const MAX_STEPS: f64 = 2e9;

/// Runs `spec`, validating it first.
pub fn simulate(spec: &SimulationSpec) -> Result<Trace, NeuronError> {
    let dt = positive("dt", spec.dt)?;
    let duration = positive("duration", spec.duration)?;
    spec.stimulus.validate()?;
    if spec.record_every == 0 {
        return Err(NeuronError::NotPositive {
            field: "record_every",
            value: 0.0,
        });
    }
    let steps = (duration / dt).round();
    if steps > MAX_STEPS {
        return Err(NeuronError::OutOfRange {
            field: "duration/dt",
            value: steps,
            range: "[1, 2e9] steps",
        });
    }
    let steps = steps.max(1.0) as usize;
    let mut rec = Recorder::new(spec.record_every, steps);
    let stim = |t: f64| spec.stimulus.current(t);
    let integ = spec.integrator;
    match spec.model {
        ModelKind::Hh1952 | ModelKind::HhModern => {
            let base = if spec.model == ModelKind::Hh1952 {
                HhParams::hh1952()
            } else {
                HhParams::modern()
            };
            let p = hh_params(base, &spec.overrides)?;
            let mut s = initial_hh(&p);
            let mut det = SpikeDetector::new(p.convention.default_threshold_mv());
            for k in 0..=steps {
                let t = k as f64 * dt;
                det.observe(t, s.v);
                rec.record(k, t, || hh_columns(&p, &s, None))?;
                s = hh::step(&p, &s, t, dt, integ, stim);
            }
            Ok(rec.finish(det.into_spikes()))
        }
        ModelKind::Lif => {
            let lif = with_overrides(Lif::default(), &spec.overrides)?;
            lif.validate()?;
            let mut s = LifState { u: lif.u_rest };
            let mut spikes = Vec::new();
            for k in 0..=steps {
                let t = k as f64 * dt;
                rec.record(k, t, || vec![("V", s.u)])?;
                let (next, spike) = lif.step(&s, t, dt, integ, stim);
                s = next;
                spikes.extend(spike);
            }
            Ok(rec.finish(spikes))
        }
        ModelKind::LifDiscrete => {
            let lif = with_overrides(DiscreteLif::default(), &spec.overrides)?;
            lif.validate()?;
            let mut s = DiscreteLifState::default();
            let mut spikes = Vec::new();
            for k in 0..=steps {
                let t = k as f64 * dt;
                s = lif.step(&s, stim(t));
                if s.s > 0.0 {
                    spikes.push(t);
                }
                rec.record(k, t, || vec![("V", s.u), ("s", s.s)])?;
            }
            Ok(rec.finish(spikes))
        }
        ModelKind::TvLif => {
            let p = hh_params(HhParams::modern(), &spec.overrides)?;
            let mut s = DrivenByHh {
                hh: initial_hh(&p),
                units: UnitPotentials::at(0.0),
            };
            let mut u = LifState { u: s.hh.v };
            let mut det = SpikeDetector::new(p.convention.default_threshold_mv());
            // The tv-LIF parameters at time τ come from the companion HH state, which
            // is integrated with the same scheme; for RK4 the drive is linearly
            // interpolated between grid points (first order in the drive), so the
            // tv-LIF reproduces HH to the integrator's accuracy, not to rounding.
            for k in 0..=steps {
                let t = k as f64 * dt;
                det.observe(t, u.u);
                let g0 = p.conductances(s.hh.m, s.hh.h, s.hh.n);
                rec.record(k, t, || {
                    vec![
                        ("V", u.u),
                        ("V_HH", s.hh.v),
                        ("tau", p.c_m / g0.total()),
                        (
                            "u_rest",
                            (g0.g_na * p.e_na + g0.g_k * p.e_k + g0.g_l * p.e_l) / g0.total(),
                        ),
                    ]
                })?;
                let next = tvlif2hh::driven_by_hh_step(&p, &s, t, dt, integ, stim);
                let g1 = p.conductances(next.hh.m, next.hh.h, next.hh.n);
                let drive = |tt: f64| {
                    let w = ((tt - t) / dt).clamp(0.0, 1.0);
                    let g = hh::Conductances {
                        g_na: g0.g_na + w * (g1.g_na - g0.g_na),
                        g_k: g0.g_k + w * (g1.g_k - g0.g_k),
                        g_l: g0.g_l,
                    };
                    let gt = g.total();
                    TvLifDrive {
                        tau: p.c_m / gt,
                        u_rest: (g.g_na * p.e_na + g.g_k * p.e_k + g.g_l * p.e_l) / gt,
                        r: 1.0 / gt,
                        current: stim(tt),
                    }
                };
                u = TvLif.step(&u, t, dt, integ, drive);
                s = next;
            }
            Ok(rec.finish(det.into_spikes()))
        }
        ModelKind::TvLif2Hh => {
            let p = hh_params(HhParams::modern(), &spec.overrides)?;
            let mut s = TvLif2HhState::from_hh(&initial_hh(&p));
            let mut det = SpikeDetector::new(p.convention.default_threshold_mv());
            for k in 0..=steps {
                let t = k as f64 * dt;
                det.observe(t, s.v());
                rec.record(k, t, || {
                    let h = HhState {
                        v: s.v(),
                        m: s.m,
                        h: s.h,
                        n: s.n,
                    };
                    hh_columns(&p, &h, Some(&s.units))
                })?;
                s = tvlif2hh::closed_loop_step(&p, &s, t, dt, integ, stim);
            }
            Ok(rec.finish(det.into_spikes()))
        }
        ModelKind::TvLif2HhDriven => {
            let p = hh_params(HhParams::modern(), &spec.overrides)?;
            let h0 = initial_hh(&p);
            let mut s = DrivenByHh {
                hh: h0,
                units: UnitPotentials::at(h0.v),
            };
            let mut det = SpikeDetector::new(p.convention.default_threshold_mv());
            for k in 0..=steps {
                let t = k as f64 * dt;
                det.observe(t, s.units.v());
                rec.record(k, t, || {
                    let h = HhState {
                        v: s.units.v(),
                        ..s.hh
                    };
                    let mut cols = hh_columns(&p, &h, Some(&s.units));
                    cols.insert(1, ("V_HH", s.hh.v));
                    cols
                })?;
                s = tvlif2hh::driven_by_hh_step(&p, &s, t, dt, integ, stim);
            }
            Ok(rec.finish(det.into_spikes()))
        }
        ModelKind::SLif2Hh => {
            let p = with_overrides(
                SLif2HhParams {
                    dt,
                    ..SLif2HhParams::default()
                },
                &spec.overrides,
            )?;
            p.validate()?;
            let mut s = SLif2HhState::default();
            let mut spikes = Vec::new();
            for k in 0..=steps {
                let t = k as f64 * dt;
                rec.record(k, t, || {
                    vec![
                        ("V", s.u[3]),
                        ("u_1", s.u[0]),
                        ("u_2", s.u[1]),
                        ("u_3", s.u[2]),
                        ("u_4", s.u[3]),
                    ]
                })?;
                let (next, spike) = p.step(&s, stim(t));
                if spike {
                    spikes.push(t + dt);
                }
                s = next;
            }
            Ok(rec.finish(spikes))
        }
    }
}

/// The initial state `simulate` uses: rest in the 1952 convention, the reference
/// state (V = −70 mV …) in the modern one.
fn initial_hh(p: &HhParams) -> HhState {
    match p.convention {
        Convention::Hh1952 => HhState::resting(p),
        Convention::Modern => HhState::modern_reference(),
    }
}

/// The columns of an HH-like state; with `units`, the tv-LIF2HH unit potentials too.
fn hh_columns(
    p: &HhParams,
    s: &HhState,
    units: Option<&UnitPotentials>,
) -> Vec<(&'static str, f64)> {
    let g = p.conductances(s.m, s.h, s.n);
    let mut cols = vec![("V", s.v)];
    if let Some(u) = units {
        cols.extend([
            ("u_Na", u.u_na),
            ("u_K", u.u_k),
            ("u_L", u.u_l),
            ("u_4", u.u4),
            ("F", u.f),
        ]);
    }
    cols.extend([
        ("m", s.m),
        ("h", s.h),
        ("n", s.n),
        ("g_Na", g.g_na),
        ("g_K", g.g_k),
        ("g_L", g.g_l),
    ]);
    cols
}

/// Collects every `every`-th sample and stops a diverged run.
struct Recorder {
    every: usize,
    time: Vec<f64>,
    columns: Vec<(String, Vec<f64>)>,
}

impl Recorder {
    fn new(every: usize, steps: usize) -> Self {
        let capacity = steps / every + 2;
        Recorder {
            every,
            time: Vec::with_capacity(capacity),
            columns: Vec::new(),
        }
    }

    fn record(
        &mut self,
        k: usize,
        t: f64,
        values: impl FnOnce() -> Vec<(&'static str, f64)>,
    ) -> Result<(), NeuronError> {
        if !k.is_multiple_of(self.every) {
            return Ok(());
        }
        let values = values();
        if let Some((field, _)) = values.iter().find(|(_, v)| !v.is_finite()) {
            return Err(NeuronError::Diverged { field, t_ms: t });
        }
        if self.columns.is_empty() {
            self.columns = values
                .iter()
                .map(|(name, _)| (name.to_string(), Vec::with_capacity(self.time.capacity())))
                .collect();
        }
        for ((_, column), (_, v)) in self.columns.iter_mut().zip(&values) {
            column.push(*v);
        }
        self.time.push(t);
        Ok(())
    }

    fn finish(self, spikes: Vec<f64>) -> Trace {
        Trace {
            time: self.time,
            columns: self.columns,
            spikes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(model: ModelKind, integrator: Integrator, dt: f64) -> SimulationSpec {
        SimulationSpec {
            model,
            stimulus: Stimulus::Constant { amp: 10.0 },
            integrator,
            dt,
            duration: 40.0,
            record_every: 1,
            overrides: Vec::new(),
        }
    }

    #[test]
    fn every_model_runs_with_every_integrator() {
        for &model in ModelKind::all() {
            for &integrator in Integrator::all() {
                let dt = if model == ModelKind::SLif2Hh {
                    1.0
                } else {
                    0.01
                };
                let trace = simulate(&spec(model, integrator, dt)).unwrap();
                assert_eq!(trace.columns[0].0, "V");
                assert_eq!(trace.column("V").unwrap().len(), trace.time.len());
                assert!(
                    !trace.spikes.is_empty(),
                    "{model} with {integrator} never fired"
                );
            }
        }
    }

    #[test]
    fn hh_written_as_tv_lif_tracks_hh() {
        let trace = simulate(&spec(ModelKind::TvLif, Integrator::Rk4, 0.01)).unwrap();
        let v = trace.column("V").unwrap();
        let v_hh = trace.column("V_HH").unwrap();
        let max = v
            .iter()
            .zip(v_hh)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(max < 0.5, "tv-LIF deviates from HH by {max} mV");
    }

    #[test]
    fn bad_specs_are_rejected() {
        let mut s = spec(ModelKind::Hh1952, Integrator::Euler, 0.0);
        assert!(simulate(&s).unwrap_err().to_string().contains("dt"));
        s.dt = f64::NAN;
        assert!(simulate(&s).is_err());
        s.dt = 0.01;
        s.record_every = 0;
        assert!(simulate(&s).is_err());
        let mut s = spec(ModelKind::HhModern, Integrator::Euler, 0.01);
        s.overrides = vec![("C".into(), 0.0)];
        assert!(simulate(&s).unwrap_err().to_string().contains("`C` is 0"));
        s.overrides = vec![("g_Na".into(), f64::INFINITY)];
        assert!(simulate(&s).unwrap_err().to_string().contains("g_Na"));
        s.overrides = vec![("gNa".into(), 100.0)];
        assert!(simulate(&s).unwrap_err().to_string().contains("g_Na"));
        assert!("hh-1953"
            .parse::<ModelKind>()
            .unwrap_err()
            .to_string()
            .contains("hh-1952"));
    }

    #[test]
    fn divergence_is_reported_not_returned() {
        // Forward Euler far outside its stability region.
        let mut s = spec(ModelKind::Hh1952, Integrator::Euler, 0.5);
        s.stimulus = Stimulus::Constant { amp: 200.0 };
        s.duration = 2000.0;
        match simulate(&s) {
            Err(NeuronError::Diverged { .. }) => {}
            Ok(trace) => {
                assert!(trace
                    .columns
                    .iter()
                    .all(|(_, c)| c.iter().all(|x| x.is_finite())))
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    }
}
