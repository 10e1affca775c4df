//! Fig. 2 (data-driven version): one HH neuron and the closed-loop tv-LIF2HH network of four
//! time-varying LIF units, driven by the same current, produce the same membrane potential.
//!
//! Setting (issue 2): modern voltage convention, constant 10 µA/cm², forward Euler,
//! dt = 0.001 ms, 80 ms. The equivalence is exact in exact arithmetic (PAPER.md §2.3) and
//! survives forward Euler because V = F + u₄ is an affine identity of the iterates, so the
//! headline number `fig2.max_abs_dv_mv` measures rounding only.

use crate::output::{Cell, LinePanel, OutputWriter, PanelGrid, Series, SeriesKind, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::{Context, Result};
use icnet_neurons::simulate::{simulate, ModelKind, SimulationSpec, Trace};
use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::Integrator;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Experiment id.
pub const ID: &str = "fig2";
/// Name of the stored traces inside the run directory.
const TRACES_FILE: &str = "traces.json";

/// The parameters of the single fig2 run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fig2Config {
    /// The reference HH model (`hh-modern`).
    pub hh_model: String,
    /// The network model (`tvlif2hh`, closed loop).
    pub network_model: String,
    /// Stimulus in `icnet simulate` syntax.
    pub stimulus: String,
    /// Integrator name.
    pub integrator: String,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Duration, ms.
    pub duration_ms: f64,
    /// Keep every k-th step in the stored (plotted) traces; the metric uses every step.
    pub plot_every: usize,
}

impl Default for Fig2Config {
    fn default() -> Self {
        Fig2Config {
            hh_model: ModelKind::HhModern.name().into(),
            network_model: ModelKind::TvLif2Hh.name().into(),
            stimulus: "constant:amp=10".into(),
            integrator: Integrator::Euler.name().into(),
            dt_ms: 0.001,
            duration_ms: 80.0,
            plot_every: 20,
        }
    }
}

/// Decimated traces stored with the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fig2Traces {
    /// Sample times, ms.
    pub time_ms: Vec<f64>,
    /// HH columns (V, m, h, n, g_Na, g_K, g_L).
    pub hh: BTreeMap<String, Vec<f64>>,
    /// tv-LIF2HH columns (V, u_Na, u_K, u_L, u_4, F, gates, conductances).
    pub network: BTreeMap<String, Vec<f64>>,
    /// V_HH − V_tvLIF2HH at the sample times, mV.
    pub dv_mv: Vec<f64>,
    /// HH spike times, ms.
    pub spikes_hh: Vec<f64>,
    /// tv-LIF2HH spike times, ms.
    pub spikes_network: Vec<f64>,
}

/// The fig2 experiment.
pub struct Fig2;

fn sim(model: &str, config: &Fig2Config) -> Result<Trace> {
    let spec = SimulationSpec {
        model: model
            .parse()
            .map_err(|e| anyhow::anyhow!("fig2 config field model: {e}"))?,
        stimulus: config
            .stimulus
            .parse::<Stimulus>()
            .map_err(|e| anyhow::anyhow!("fig2 config field stimulus: {e}"))?,
        integrator: config
            .integrator
            .parse()
            .map_err(|e| anyhow::anyhow!("fig2 config field integrator: {e}"))?,
        dt: config.dt_ms,
        duration: config.duration_ms,
        record_every: 1,
        overrides: Vec::new(),
    };
    simulate(&spec).map_err(|e| anyhow::anyhow!("cannot simulate {model}: {e}"))
}

/// Maximum |a − b| over every sample, with the index where it occurs.
pub fn max_abs_difference(a: &[f64], b: &[f64]) -> (f64, usize) {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .enumerate()
        .fold((0.0, 0), |(best, at), (i, d)| {
            if d > best || d.is_nan() {
                (d, i)
            } else {
                (best, at)
            }
        })
}

/// "constant current of 10 µA/cm²" for a constant stimulus, else the stimulus text.
fn describe_stimulus(text: &str) -> String {
    match text.parse::<Stimulus>() {
        Ok(Stimulus::Constant { amp }) => format!("constant current of {amp} µA/cm²"),
        _ => format!("stimulus {text}"),
    }
}

fn integrator_words(name: &str) -> &str {
    match name {
        "euler" => "forward Euler",
        "rk4" => "classical RK4",
        "exp-euler" => "exponential Euler",
        other => other,
    }
}

fn decimate(values: &[f64], every: usize) -> Vec<f64> {
    values.iter().step_by(every.max(1)).copied().collect()
}

fn columns(trace: &Trace, every: usize) -> BTreeMap<String, Vec<f64>> {
    trace
        .columns
        .iter()
        .map(|(name, values)| (name.clone(), decimate(values, every)))
        .collect()
}

impl Experiment for Fig2 {
    fn id(&self) -> &'static str {
        ID
    }

    fn paper_ref(&self) -> &'static str {
        "Fig. 2"
    }

    fn title(&self) -> &'static str {
        "HH and closed-loop tv-LIF2HH under the same input: identical membrane potentials"
    }

    fn profile_invariant(&self) -> bool {
        true
    }

    /// The same work in every profile; on the reference machine its run took 0.1 s (with a margin).
    fn estimated_seconds(&self, _profile: Profile, _run: &RunSpec) -> f64 {
        1.0
    }

    fn runs(&self, _profile: Profile) -> Result<Vec<RunSpec>> {
        let config = serde_json::to_value(Fig2Config::default())?;
        Ok(vec![RunSpec::new(ID, "hh-vs-tvlif2hh", config, 0)])
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        let config: Fig2Config = serde_json::from_value(run.config.clone())
            .context("fig2 run config does not match Fig2Config")?;
        ctx.progress.set_total(2);
        let (hh, network) = rayon::join(
            || sim(&config.hh_model, &config),
            || sim(&config.network_model, &config),
        );
        let (hh, network) = (hh?, network?);
        ctx.progress.inc(2);
        anyhow::ensure!(
            hh.time == network.time,
            "the HH and tv-LIF2HH traces have different time grids ({} vs {} samples)",
            hh.time.len(),
            network.time.len()
        );
        let v_hh = hh.column("V").context("HH trace has no V column")?;
        let v_net = network
            .column("V")
            .context("tv-LIF2HH trace has no V column")?;
        let (max_dv, at) = max_abs_difference(v_hh, v_net);
        let dv: Vec<f64> = v_hh.iter().zip(v_net).map(|(a, b)| a - b).collect();
        let every = config.plot_every.max(1);
        let traces = Fig2Traces {
            time_ms: decimate(&hh.time, every),
            hh: columns(&hh, every),
            network: columns(&network, every),
            dv_mv: decimate(&dv, every),
            spikes_hh: hh.spikes.clone(),
            spikes_network: network.spikes.clone(),
        };
        ctx.write_json(TRACES_FILE, &traces)?;
        let offsets: Vec<f64> = hh
            .spikes
            .iter()
            .zip(&network.spikes)
            .map(|(a, b)| (a - b).abs())
            .collect();
        Ok(json!({
            "max_abs_dv_mv": max_dv,
            "t_of_max_abs_dv_ms": hh.time[at],
            "steps": hh.time.len() - 1,
            "spike_count_hh": hh.spikes.len(),
            "spike_count_tvlif2hh": network.spikes.len(),
            "max_spike_time_offset_ms": offsets.iter().copied().fold(0.0, f64::max),
        }))
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let run = ctx.runs.first().context("fig2 has no finished run")?;
        let config: Fig2Config = serde_json::from_value(run.spec.config.clone())?;
        let traces: Fig2Traces = run.read_json(TRACES_FILE)?;
        let max_dv = run.summary_f64("max_abs_dv_mv")?;
        let steps = run.summary_f64("steps")?;
        let t = &traces.time_ms;
        let hh = |name: &str| traces.hh.get(name).cloned().unwrap_or_default();
        let net = |name: &str| traces.network.get(name).cloned().unwrap_or_default();

        let voltage = LinePanel::new("a  Membrane potential", "t (ms)", "V (mV)")
            .with(Series::line("HH", t.clone(), hh("V"), 0).with_width(3))
            .with(
                Series::line("tv-LIF2HH (V = F + u₄)", t.clone(), net("V"), 1)
                    .with_kind(SeriesKind::Dashed),
            );
        let mut conductances = LinePanel::new(
            "b  Conductances driving the network",
            "t (ms)",
            "g (mS/cm²)",
        )
        .with_headroom(0.1);
        for (i, name) in ["g_Na", "g_K", "g_L"].into_iter().enumerate() {
            conductances = conductances.with(Series::line(name, t.clone(), net(name), i + 2));
        }
        let mut units =
            LinePanel::new("c  Potentials of the four tv-LIF units", "t (ms)", "u (mV)")
                .with_headroom(0.45);
        for (name, color) in [("u_Na", 2), ("u_K", 3), ("u_L", 4), ("u_4", 0), ("F", 1)] {
            units = units.with(Series::line(name, t.clone(), net(name), color));
        }
        let difference = LinePanel::new("d  Difference V_HH − V_tvLIF2HH", "t (ms)", "ΔV (mV)")
            .with(Series::line(
                format!("max |ΔV| = {max_dv:.2e} mV"),
                t.clone(),
                traces.dv_mv.clone(),
                7,
            ));
        let figure = PanelGrid {
            title: Some(format!(
                "HH vs tv-LIF2HH: {}, {}, dt = {} ms",
                describe_stimulus(&config.stimulus),
                integrator_words(&config.integrator),
                config.dt_ms
            )),
            rows: 2,
            cols: 2,
            panels: vec![voltage, conductances, units, difference],
            size: (1700, 1150),
        };
        let plotted_every_ms = config.dt_ms * config.plot_every as f64;
        let caption = format!(
            "One Hodgkin–Huxley neuron (modern convention) and the closed-loop tv-LIF2HH network of four \
             time-varying LIF units, both driven by the same {stim} ({integ}, dt = {dt} ms, {dur} ms). \
             (a) membrane potentials overlaid; (b) the conductances g_Na, g_K, g_L that set the units' time \
             constants; (c) the potentials of the channel units u_Na, u_K, u_L, the integrating unit u_4 and \
             the accumulator F (V = F + u_4); (d) the difference V_HH − V_tvLIF2HH, whose maximum over all \
             {steps} steps is {max_dv:.3e} mV (rounding error only).",
            stim = describe_stimulus(&config.stimulus),
            integ = integrator_words(&config.integrator),
            dt = config.dt_ms,
            dur = config.duration_ms,
            steps = steps as u64,
        );
        let figure_entry = out
            .figure("fig2_hh_vs_tvlif2hh", &caption, &figure)?
            .deviation(
                "The paper's Fig. 2 is a schematic of the HH ↔ tv-LIF2HH equivalence; this is a data-driven \
                 version that simulates both models.",
            )
            .deviation(format!(
                "Traces are plotted every {plotted_every_ms} ms (every {}th step); the maximum difference is \
                 computed over every step.",
                config.plot_every
            ));

        let mut table = Table::new(["spike", "t_HH (ms)", "t_tvLIF2HH (ms)", "difference (ms)"]);
        let n = traces.spikes_hh.len().max(traces.spikes_network.len());
        for k in 0..n {
            let a = traces.spikes_hh.get(k).copied();
            let b = traces.spikes_network.get(k).copied();
            let cell = |v: Option<f64>| v.map(|v| Cell::float(v, 4)).unwrap_or(Cell::Missing);
            let diff = match (a, b) {
                (Some(a), Some(b)) => Cell::Sci {
                    value: a - b,
                    digits: 2,
                },
                _ => Cell::Missing,
            };
            table.push_row(vec![Cell::Int(k as i64 + 1), cell(a), cell(b), diff])?;
        }
        let table_entry = out
            .table(
                "fig2_spike_times",
                "Spike times (upward crossing of −40 mV, interpolated within the step) of HH and tv-LIF2HH \
                 under the same input.",
                &table,
            )?
            .deviation("Not in the paper: a check that the two models fire at the same times.");

        Ok(Rendered {
            outputs: vec![figure_entry, table_entry],
            metrics: vec![
                ("max_abs_dv_mv".into(), max_dv),
                ("spike_count_hh".into(), run.summary_f64("spike_count_hh")?),
                (
                    "spike_count_tvlif2hh".into(),
                    run.summary_f64("spike_count_tvlif2hh")?,
                ),
                (
                    "max_spike_time_offset_ms".into(),
                    run.summary_f64("max_spike_time_offset_ms")?,
                ),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_abs_difference_finds_the_largest_gap_and_nan() {
        assert_eq!(
            max_abs_difference(&[0.0, 1.0, 5.0], &[0.0, 3.0, 4.5]),
            (2.0, 1)
        );
        assert!(max_abs_difference(&[0.0, f64::NAN], &[0.0, 0.0]).0.is_nan());
    }

    /// Golden case: the paper's setting run end to end through `execute`. HH at 10 µA/cm²
    /// fires tonically at about 68 Hz (interspike interval ≈ 14.6 ms), so 80 ms from the
    /// reference initial state give 6 spikes; the two models agree to rounding error.
    #[test]
    fn golden_hh_and_tvlif2hh_agree_and_fire_tonically() {
        let tmp = tempfile::tempdir().unwrap();
        let progress = crate::progress::RunProgress::hidden();
        let deps = crate::registry::DepRuns::new();
        let ctx = RunContext::new(Profile::Smoke, tmp.path(), &progress, &deps);
        let run = Fig2.runs(Profile::Smoke).unwrap().remove(0);
        let summary = Fig2.execute(&run, &ctx).unwrap();
        assert_eq!(summary["steps"], 80_000);
        let max_dv = summary["max_abs_dv_mv"].as_f64().unwrap();
        assert!(max_dv < 1e-6, "max |dV| = {max_dv}");
        assert_eq!(summary["spike_count_hh"], 6);
        assert_eq!(summary["spike_count_tvlif2hh"], 6);
        let traces: Fig2Traces =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join(TRACES_FILE)).unwrap())
                .unwrap();
        let isi: Vec<f64> = traces.spikes_hh.windows(2).map(|w| w[1] - w[0]).collect();
        let last = isi.last().unwrap();
        assert!(
            (14.0..15.2).contains(last),
            "tonic interspike interval {last} ms"
        );
        assert_eq!(traces.time_ms.len(), 4001, "80 ms every 0.02 ms, both ends");
        assert_eq!(traces.dv_mv.len(), traces.time_ms.len());
        for column in ["u_Na", "u_K", "u_L", "u_4", "F", "g_Na", "g_K", "g_L"] {
            assert!(traces.network.contains_key(column), "{column} missing");
        }
        assert_eq!(ctx.files(), vec![TRACES_FILE.to_string()]);
    }

    #[test]
    fn one_run_identical_in_every_profile() {
        let runs: Vec<_> = Profile::ALL
            .iter()
            .map(|&p| Fig2.runs(p).unwrap())
            .collect();
        assert!(runs.iter().all(|r| r.len() == 1 && r[0] == runs[0][0]));
        assert_eq!(runs[0][0].seed, 0);
        assert_eq!(runs[0][0].config["dt_ms"], 0.001);
    }
}
