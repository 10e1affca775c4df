//! Supp. Fig. 2.1: the XOR circuit of three HH neurons against the same circuit of three
//! tv-LIF2HH networks (PAPER.md §3, S2.1; issue 3 §1).
//!
//! Two input units at 40 µA/cm² (on) or 0 (off), an output unit receiving +20·s_A − 20·s_B
//! with s the level spike (1 while V > −40 mV), 40 ms at dt = 0.001 ms, modern convention,
//! every unit from rest; one run per integrator (forward Euler, RK4). The circuit and its
//! conventions are documented in `icnet_equivalence::exact::{network, xor}`.

use crate::output::{Cell, LinePanel, OutputWriter, PanelGrid, Series, SeriesKind, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunRecord, RunSpec};
use anyhow::{Context, Result};
use icnet_equivalence::exact::xor::{run_xor, XorResult, XorSetting};
use icnet_neurons::Integrator;
use serde_json::{json, Value};

/// Experiment id.
pub const ID: &str = "s2_1";
/// The stored results inside each run directory.
pub const RESULT_FILE: &str = "xor.json";
/// The integrators, one run each; the figure shows the first.
const INTEGRATORS: [Integrator; 2] = [Integrator::Euler, Integrator::Rk4];

/// The S2.1 experiment.
pub struct S2XorCircuit;

fn inputs_label(inputs: [bool; 2]) -> String {
    format!("A={}, B={}", u8::from(inputs[0]), u8::from(inputs[1]))
}

fn integrator_words(integrator: Integrator) -> &'static str {
    match integrator {
        Integrator::Euler => "forward Euler",
        Integrator::Rk4 => "classical RK4",
        Integrator::ExpEuler => "exponential Euler",
    }
}

/// Reads the stored result of a run of this experiment.
pub fn load(run: &RunRecord) -> Result<XorResult> {
    run.read_json(RESULT_FILE)
}

impl Experiment for S2XorCircuit {
    fn id(&self) -> &'static str {
        ID
    }

    fn paper_ref(&self) -> &'static str {
        "Supp. Fig. 2.1"
    }

    fn title(&self) -> &'static str {
        "XOR circuit: three HH neurons vs three tv-LIF2HH networks, identical to rounding"
    }

    fn profile_invariant(&self) -> bool {
        true
    }

    /// The same work in every profile; on the reference machine its runs took 0.3 s at most (with a margin).
    fn estimated_seconds(&self, _profile: Profile, _run: &RunSpec) -> f64 {
        1.0
    }

    fn runs(&self, _profile: Profile) -> Result<Vec<RunSpec>> {
        INTEGRATORS
            .iter()
            .map(|&i| {
                let config = serde_json::to_value(XorSetting::paper(i))?;
                Ok(RunSpec::new(ID, i.name(), config, 0))
            })
            .collect()
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        let setting: XorSetting = serde_json::from_value(run.config.clone())
            .context("s2_1 run config does not match XorSetting")?;
        ctx.progress.set_total(1);
        let result = run_xor(&setting).map_err(|e| anyhow::anyhow!("XOR circuit: {e}"))?;
        ctx.progress.inc(1);
        let (Some(max_dv), Some(mismatches)) = (result.max_abs_dv_mv(), result.spike_mismatches())
        else {
            anyhow::bail!(
                "the XOR circuit diverged with {} at dt = {} ms; use a smaller dt",
                setting.run.integrator,
                setting.run.dt_ms
            );
        };
        ctx.write_json(RESULT_FILE, &result)?;
        let (holds_hh, holds_tv) = result.truth_table_holds();
        let shift = result
            .cases
            .iter()
            .flat_map(|c| c.net.layer1.iter().chain(&c.net.layer2))
            .filter_map(|u| u.comparison.max_spike_shift_ms)
            .fold(0.0, f64::max);
        let spikes = |pick: fn(&(usize, usize)) -> usize| -> usize {
            result
                .cases
                .iter()
                .flat_map(|c| c.net.layer1.iter().chain(&c.net.layer2))
                .map(|u| pick(&(u.spikes_hh.len(), u.spikes_tv.len())))
                .sum()
        };
        Ok(json!({
            "max_abs_dv_mv": max_dv,
            "spike_mismatches": mismatches,
            "max_spike_shift_ms": shift,
            "spikes_hh": spikes(|p| p.0),
            "spikes_tvlif2hh": spikes(|p| p.1),
            "units": result.cases.len() * 3,
            "cases": result.cases.len(),
            "truth_table_holds_hh": holds_hh,
            "truth_table_holds_tvlif2hh": holds_tv,
            "output_spikes_hh": result.cases.iter().map(|c| c.output_spikes().0).collect::<Vec<_>>(),
            "output_spikes_tvlif2hh": result.cases.iter().map(|c| c.output_spikes().1).collect::<Vec<_>>(),
        }))
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        anyhow::ensure!(
            ctx.runs.len() == INTEGRATORS.len(),
            "s2_1 expects one run per integrator, found {}",
            ctx.runs.len()
        );
        let results: Vec<XorResult> = ctx.runs.iter().map(load).collect::<Result<_>>()?;
        let shown = &results[0];
        let setting = shown.setting;
        let unit_names = ["input A", "input B", "output"];
        let mut panels = Vec::new();
        for case in &shown.cases {
            let t = &case.net.trace_times_ms;
            let units = case.net.layer1.iter().chain(&case.net.layer2);
            for (unit, name) in units.zip(unit_names) {
                let (n_hh, n_tv) = (unit.spikes_hh.len(), unit.spikes_tv.len());
                let mut panel = LinePanel::new(
                    format!(
                        "{}: {name} (spikes: HH {n_hh}, tv-LIF2HH {n_tv})",
                        inputs_label(case.inputs)
                    ),
                    "t (ms)",
                    "V (mV)",
                )
                .with(Series::line("HH", t.clone(), unit.trace_hh.clone(), 0).with_width(4))
                .with(
                    Series::line("tv-LIF2HH", t.clone(), unit.trace_tv.clone(), 1)
                        .with_kind(SeriesKind::Dashed),
                );
                panel.y_range = Some((-100.0, 75.0));
                panels.push(panel);
            }
        }
        let figure = PanelGrid {
            title: Some(format!(
                "XOR circuit, HH (solid) vs tv-LIF2HH (dashed): {}, dt = {} ms",
                integrator_words(setting.run.integrator),
                setting.run.dt_ms
            )),
            rows: shown.cases.len(),
            cols: 3,
            panels,
            size: (1900, 1800),
        };
        let max_dv_all = ctx
            .runs
            .iter()
            .map(|r| r.summary_f64("max_abs_dv_mv"))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .fold(0.0, f64::max);
        let mismatches: f64 = ctx
            .runs
            .iter()
            .map(|r| r.summary_f64("spike_mismatches"))
            .sum::<Result<f64>>()?;
        let caption = format!(
            "XOR circuit of Supp. Fig. 2.1 (modern convention, every unit from rest, {dur} ms, dt = {dt} ms): \
             input units A and B receive {i_on} µA/cm² when on and 0 when off; the output unit receives \
             +{w}·s_A(t) − {w}·s_B(t) µA/cm², where s(t) = 1 while the input unit's V > {th} mV (level spike; the \
             inputs are advanced first and their levels at the end of a step drive the output over that step). Rows: the four input \
             combinations; columns: the three units; panel titles give the spike counts (upward crossings of \
             {th} mV) of both models. The HH circuit (solid) and the circuit of closed-loop tv-LIF2HH \
             networks (dashed) coincide: max |ΔV| over every unit, step and input combination is {max_dv:.2e} mV \
             ({integ}; {max_dv_all:.2e} mV over forward Euler and RK4), with {mismatches} spike mismatches. The \
             output fires for A=1, B=0 (excitatory pulses) and for A=0, B=1 (rebound after inhibitory pulses, \
             anode-break excitation), and not when both inputs fire in synchrony (the pulses cancel): XOR.",
            dur = setting.run.duration_ms,
            dt = setting.run.dt_ms,
            i_on = setting.input_current_ua,
            w = setting.weight_ua,
            th = setting.run.threshold_mv,
            max_dv = shown.max_abs_dv_mv().unwrap_or(f64::NAN),
            integ = integrator_words(setting.run.integrator),
        );
        let figure_entry = out
            .figure("s2_1_traces", &caption, &figure)?
            .deviation(
                "The paper does not define the synaptic coupling precisely; we use the level spike \
                 s(t) = [V > −40 mV] and start every unit from rest (from the reference state V = −70 mV every \
                 unit, driven or not, first fires one rebound spike).",
            )
            .deviation(format!(
                "Traces are plotted every {} ms; |ΔV| is computed at every step.",
                setting.run.dt_ms * setting.run.record_every as f64
            ));

        let mut columns = vec!["A".to_string(), "B".to_string(), "A XOR B".to_string()];
        for r in &results {
            let name = r.setting.run.integrator.name();
            columns.push(format!("output spikes HH ({name})"));
            columns.push(format!("output spikes tv-LIF2HH ({name})"));
            columns.push(format!("max |ΔV| ({name}, mV)"));
        }
        columns.push("output fires".into());
        let mut table = Table::new(columns);
        for (k, case) in shown.cases.iter().enumerate() {
            let mut row = vec![
                Cell::Int(i64::from(case.inputs[0])),
                Cell::Int(i64::from(case.inputs[1])),
                Cell::Int(i64::from(case.expected())),
            ];
            let mut fires = Vec::new();
            for r in &results {
                let c = &r.cases[k];
                let (hh, tv) = c.output_spikes();
                fires.push(hh > 0);
                fires.push(tv > 0);
                row.push(Cell::Int(hh as i64));
                row.push(Cell::Int(tv as i64));
                row.push(match c.net.max_abs_dv_mv() {
                    Some(value) => Cell::Sci { value, digits: 2 },
                    None => Cell::text("diverged"),
                });
            }
            let agreed = fires.iter().all(|&f| f == fires[0]);
            row.push(Cell::text(match (agreed, fires[0]) {
                (true, true) => "yes (all)",
                (true, false) => "no (all)",
                (false, _) => "models disagree",
            }));
            table.push_row(row)?;
        }
        let table_entry = out
            .table(
                "s2_1_truth_table",
                "Truth table of the XOR circuit: output spike counts of the HH circuit and the tv-LIF2HH \
                 circuit for each input combination and integrator (40 ms, dt = 0.001 ms), the largest \
                 |V_HH − V_tvLIF2HH| over the three units and every step, and whether the output fires \
                 (at least one spike) in all four simulations.",
                &table,
            )?
            .deviation("The paper shows the traces only; the truth table is ours.");

        let holds = |key: &str| -> Result<bool> {
            ctx.runs.iter().try_fold(true, |acc, r| {
                Ok(acc
                    && r.summary
                        .get(key)
                        .and_then(Value::as_bool)
                        .context("missing truth table")?)
            })
        };
        let correct = holds("truth_table_holds_hh")? && holds("truth_table_holds_tvlif2hh")?;
        Ok(Rendered {
            outputs: vec![figure_entry, table_entry],
            metrics: vec![
                ("max_abs_dv_mv".into(), max_dv_all),
                ("spike_mismatches".into(), mismatches),
                ("xor_truth_table_holds".into(), f64::from(u8::from(correct))),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden case: the paper's setting with forward Euler through `execute`. The circuit
    /// computes XOR (output spike counts 0, 3, 2, 0 for inputs 00, 10, 01, 11) and the two
    /// circuits agree to rounding.
    #[test]
    fn golden_xor_truth_table_and_exactness() {
        let tmp = tempfile::tempdir().unwrap();
        let progress = crate::progress::RunProgress::hidden();
        let deps = crate::registry::DepRuns::new();
        let ctx = RunContext::new(Profile::Smoke, tmp.path(), &progress, &deps);
        let runs = S2XorCircuit.runs(Profile::Smoke).unwrap();
        assert_eq!(runs.len(), 2);
        let summary = S2XorCircuit.execute(&runs[0], &ctx).unwrap();
        let max_dv = summary["max_abs_dv_mv"].as_f64().unwrap();
        assert!(max_dv < 1e-6 && max_dv > 0.0, "max |dV| = {max_dv}");
        assert_eq!(summary["spike_mismatches"], 0);
        assert_eq!(summary["truth_table_holds_hh"], true);
        assert_eq!(summary["truth_table_holds_tvlif2hh"], true);
        assert_eq!(summary["output_spikes_hh"], json!([0, 3, 2, 0]));
        assert_eq!(ctx.files(), vec![RESULT_FILE.to_string()]);
    }

    /// End to end through `reproduce`: both runs, the figure, the table and the metrics.
    #[test]
    fn golden_reproduce_writes_the_figure_table_and_metrics() {
        use crate::registry::Registry;
        use crate::reproduce::{reproduce, ReproduceOptions};
        let tmp = tempfile::tempdir().unwrap();
        let registry = Registry::new(vec![Box::new(S2XorCircuit)]).unwrap();
        let opts = ReproduceOptions {
            profile: Profile::Smoke,
            only: None,
            out: tmp.path().join("out"),
            cache: tmp.path().join("cache"),
            jobs: Some(2),
            command: vec!["test".into()],
        };
        let report = reproduce(&registry, &opts, &crate::progress::Progress::hidden()).unwrap();
        let metric = |k: &str| report.metrics[&format!("s2_1.{k}")];
        assert!(metric("max_abs_dv_mv") < 1e-6);
        assert_eq!(metric("spike_mismatches"), 0.0);
        assert_eq!(metric("xor_truth_table_holds"), 1.0);
        for file in [
            "figures/s2_1_traces.png",
            "figures/s2_1_traces.svg",
            "tables/s2_1_truth_table.csv",
        ] {
            assert!(opts.out.join(file).is_file(), "{file}");
        }
        let csv = std::fs::read_to_string(opts.out.join("tables/s2_1_truth_table.csv")).unwrap();
        assert!(
            csv.lines().nth(2).unwrap().starts_with("1,0,1,3,3,"),
            "{csv}"
        );
    }

    #[test]
    fn runs_are_the_same_in_every_profile() {
        let runs: Vec<_> = Profile::ALL
            .iter()
            .map(|&p| S2XorCircuit.runs(p).unwrap())
            .collect();
        assert!(runs.iter().all(|r| *r == runs[0]));
        assert_eq!(runs[0][1].config["run"]["integrator"], "rk4");
        assert_eq!(runs[0][0].config["run"]["dt_ms"], 0.001);
    }
}
