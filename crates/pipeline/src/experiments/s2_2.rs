//! Supp. Fig. 2.2: a fully connected 1296→128→10 network of HH neurons against the same
//! network of tv-LIF2HH networks (PAPER.md §3, S2.2; issue 3 §1).
//!
//! Hidden currents W₀₁ᵀ·image, output currents W₁₂ᵀ·s(t) with s the hidden level spikes,
//! 40 ms at dt = 0.001 ms, modern convention, every unit from rest; one run per integrator
//! (forward Euler, RK4) with the same image and seeded weights. The image is the first test
//! composite of a small fixed Multi-MNIST build (the data crate); the weight scaling rule and
//! the coupling are documented in `icnet_equivalence::exact::{fc, network}`.

use crate::output::plot::{PlotResultExt, FONT, PALETTE};
use crate::output::{Cell, Figure, LinePanel, OutputWriter, Series, SeriesKind, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunRecord, RunSpec};
use anyhow::{Context, Result};
use icnet_equivalence::exact::fc::{run_fc_with_image, FcResult, FcSetting};
use icnet_equivalence::exact::network::{fraction_firing, UnitComparison};
use icnet_neurons::Integrator;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::{json, Value};

/// Experiment id.
pub const ID: &str = "s2_2";
/// The stored results inside each run directory.
pub const RESULT_FILE: &str = "fc.json";
/// Seed of the image and the weights (the same for both integrators).
pub const SEED: u64 = 2024;
/// The integrators, one run each; the figure shows the first.
const INTEGRATORS: [Integrator; 2] = [Integrator::Euler, Integrator::Rk4];
/// Offset between stacked output traces (mV).
const TRACE_OFFSET_MV: f64 = 150.0;

/// The S2.2 experiment.
pub struct S2FullyConnected;

/// Reads the stored result of a run of this experiment.
pub fn load(run: &RunRecord) -> Result<FcResult> {
    run.read_json(RESULT_FILE)
}

fn integrator_words(integrator: Integrator) -> &'static str {
    match integrator {
        Integrator::Euler => "forward Euler",
        Integrator::Rk4 => "classical RK4",
        Integrator::ExpEuler => "exponential Euler",
    }
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The data set the input image comes from.
const IMAGE_DATASET: icnet_data::DatasetKind = icnet_data::DatasetKind::MultiMnist;

/// The config of one S2.2 run: the network settings and the input image.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct S2FcConfig {
    setting: FcSetting,
    /// 36×36 bytes, row-major.
    image: Vec<u8>,
    /// Where the image comes from (for the caption).
    image_source: String,
}

/// The input image: the first test composite of a small, fixed Multi-MNIST build (512/256,
/// data seed 0 — the smoke size, so every profile shows the same image).
fn input_image() -> Result<(Vec<u8>, String)> {
    let dir = super::multitask::data_dir();
    let data = icnet_data::load_or_build(&dir, IMAGE_DATASET, 512, 256, 0)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let image = data
        .test
        .image(0)
        .context("the Multi-MNIST test set is empty")?
        .to_vec();
    let source = format!(
        "test composite 0 of Multi-MNIST (digits {} top-left and {} bottom-right; {}, data set checksum {}…)",
        data.test.label1[0],
        data.test.label2[0],
        data.source,
        &data.checksum[..12.min(data.checksum.len())]
    );
    Ok((image, source))
}

/// The S2.2 figure: input image, hidden raster, output raster, output potentials.
struct FcFigure<'a> {
    title: String,
    result: &'a FcResult,
}

/// A spike raster with HH and tv-LIF2HH overlaid: wide blue bars for HH, narrow orange
/// bars inside them for tv-LIF2HH. `order[r]` is the unit drawn in row r.
fn draw_raster<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    units: &[UnitComparison],
    order: &[usize],
    duration_ms: f64,
) -> Result<()> {
    let rows = order.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 24))
        .margin(12)
        .x_label_area_size(56)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..duration_ms, -0.5..rows - 0.5)
        .plot()?;
    let y_fmt = |v: &f64| {
        let r = v.round();
        if (v - r).abs() < 1e-9 && r >= 0.0 {
            format!("{}", r as usize)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .x_desc("t (ms)")
        .y_desc(y_label)
        .label_style((FONT, 17))
        .axis_desc_style((FONT, 19))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&y_fmt)
        .y_labels(order.len().min(11))
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(220, 220, 220))
        .draw()
        .plot()?;
    // HH: wide, tall bars; tv-LIF2HH: narrow, short bars drawn on top, so a tv-LIF2HH spike at
    // the HH spike's time shows as an orange core inside a blue bar.
    for (pick, color, half_width, half_height) in [
        (0usize, PALETTE[0], 0.004 * duration_ms, 0.44),
        (1usize, PALETTE[1], 0.0015 * duration_ms, 0.26),
    ] {
        let bars = order.iter().enumerate().flat_map(|(row, &j)| {
            let spikes = if pick == 0 {
                &units[j].spikes_hh
            } else {
                &units[j].spikes_tv
            };
            let y = row as f64;
            spikes.iter().map(move |&t| {
                Rectangle::new(
                    [
                        (t - half_width, y - half_height),
                        (t + half_width, y + half_height),
                    ],
                    color.filled(),
                )
            })
        });
        chart.draw_series(bars).plot()?;
    }
    Ok(())
}

/// The figure's legend strip: what the two colours mean.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<()> {
    let (w, _) = area.dim_in_pixel();
    let items = [
        (PALETTE[0], "HH: wide bars (b, c), solid lines (d)"),
        (
            PALETTE[1],
            "tv-LIF2HH: narrow bars on top (b, c), dashed lines (d)",
        ),
    ];
    let mut x = w as i32 / 2 - 520;
    for (color, label) in items {
        area.draw(&Rectangle::new([(x, 8), (x + 28, 26)], color.filled()))
            .plot()?;
        area.draw(&Text::new(label, (x + 36, 6), (FONT, 20).into_font()))
            .plot()?;
        x += 560;
    }
    Ok(())
}

/// The input image as a grey-scale heat map (black = 255).
fn draw_image<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    image: &[u8],
    side: usize,
) -> Result<()> {
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("a  Input image ({side}×{side}, Multi-MNIST)"),
            (FONT, 24),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..side as f64, side as f64..0.0)
        .plot()?;
    chart
        .configure_mesh()
        .disable_mesh()
        .label_style((FONT, 15))
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .plot()?;
    chart
        .draw_series(image.iter().enumerate().map(|(k, &b)| {
            let (row, col) = ((k / side) as f64, (k % side) as f64);
            let g = 255 - b;
            Rectangle::new(
                [(col, row), (col + 1.0, row + 1.0)],
                RGBColor(g, g, g).filled(),
            )
        }))
        .plot()?;
    Ok(())
}

impl Figure for FcFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1900, 1500)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let r = self.result;
        let area = root.titled(&self.title, (FONT, 28)).plot()?;
        let (legend, area) = area.split_vertically(36);
        draw_legend(&legend)?;
        let (top, bottom) = area.split_vertically(620);
        let (image_area, hidden_area) = top.split_horizontally(560);
        draw_image(&image_area, &r.network.image, r.setting.image_side)?;
        let c = &r.comparison;
        let duration = c.setting.duration_ms;
        let mut hidden_order: Vec<usize> = (0..c.layer1.len()).collect();
        let currents = &r.network.hidden_currents_ua;
        hidden_order.sort_by(|&a, &b| currents[a].total_cmp(&currents[b]));
        let (hh, _) = fraction_firing(&c.layer1);
        draw_raster(
            &hidden_area,
            &format!(
                "b  Hidden layer: {} units, {:.0} % fire",
                c.layer1.len(),
                100.0 * hh
            ),
            "hidden unit (rank of input current)",
            &c.layer1,
            &hidden_order,
            duration,
        )?;
        let (output_area, trace_area) = bottom.split_horizontally(950);
        let output_order: Vec<usize> = (0..c.layer2.len()).collect();
        let (out_hh, _) = fraction_firing(&c.layer2);
        draw_raster(
            &output_area,
            &format!(
                "c  Output layer: {} units, {:.0} % fire",
                c.layer2.len(),
                100.0 * out_hh
            ),
            "output unit",
            &c.layer2,
            &output_order,
            duration,
        )?;
        let t = &c.trace_times_ms;
        let mut panel = LinePanel::new(
            "d  Output potentials, unit j shifted by 150·j mV",
            "t (ms)",
            "V + 150·j (mV)",
        )
        .with_legend(crate::output::Legend::Hidden);
        for (j, unit) in c.layer2.iter().enumerate() {
            let shift = |v: &Vec<f64>| -> Vec<f64> {
                v.iter().map(|x| x + TRACE_OFFSET_MV * j as f64).collect()
            };
            panel = panel
                .with(Series::line("", t.clone(), shift(&unit.trace_hh), 0).with_width(4))
                .with(
                    Series::line("", t.clone(), shift(&unit.trace_tv), 1)
                        .with_kind(SeriesKind::Dashed)
                        .with_width(2),
                );
        }
        panel.draw(&trace_area)
    }
}

impl Experiment for S2FullyConnected {
    fn id(&self) -> &'static str {
        ID
    }

    fn paper_ref(&self) -> &'static str {
        "Supp. Fig. 2.2"
    }

    fn title(&self) -> &'static str {
        "Fully connected 1296→128→10 network: HH vs tv-LIF2HH units, identical spike trains"
    }

    fn profile_invariant(&self) -> bool {
        true
    }

    fn prepare(&self, _profile: Profile) -> Result<()> {
        super::multitask::prepare(&[IMAGE_DATASET])
    }

    /// The same work in every profile; on the reference machine its runs took 3.1 s at most (with a margin).
    fn estimated_seconds(&self, _profile: Profile, _run: &RunSpec) -> f64 {
        5.0
    }

    fn runs(&self, _profile: Profile) -> Result<Vec<RunSpec>> {
        let (image, image_source) = input_image()?;
        INTEGRATORS
            .iter()
            .map(|&i| {
                let config = serde_json::to_value(S2FcConfig {
                    setting: FcSetting::paper(SEED, i),
                    image: image.clone(),
                    image_source: image_source.clone(),
                })?;
                Ok(RunSpec::new(ID, i.name(), config, SEED))
            })
            .collect()
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        let config: S2FcConfig = serde_json::from_value(run.config.clone())
            .context("s2_2 run config does not match S2FcConfig")?;
        let setting = config.setting;
        anyhow::ensure!(
            setting.seed == run.seed,
            "s2_2 run '{}' has seed {} but its config seed is {}",
            run.label,
            run.seed,
            setting.seed
        );
        ctx.progress.set_total(1);
        let result = run_fc_with_image(&setting, Some(&config.image))
            .map_err(|e| anyhow::anyhow!("FC network: {e}"))?;
        ctx.progress.inc(1);
        let c = &result.comparison;
        let (Some(max_dv), Some(mismatches)) = (c.max_abs_dv_mv(), c.spike_mismatches()) else {
            anyhow::bail!(
                "the FC network diverged with {} at dt = {} ms; use a smaller dt",
                setting.run.integrator,
                setting.run.dt_ms
            );
        };
        ctx.write_json(RESULT_FILE, &result)?;
        let units = || c.layer1.iter().chain(&c.layer2);
        let shift = units()
            .filter_map(|u| u.comparison.max_spike_shift_ms)
            .fold(0.0, f64::max);
        let (hidden_hh, hidden_tv) = fraction_firing(&c.layer1);
        let (output_hh, output_tv) = fraction_firing(&c.layer2);
        let (mean, sd) = mean_sd(&result.network.hidden_currents_ua);
        Ok(json!({
            "max_abs_dv_mv": max_dv,
            "spike_mismatches": mismatches,
            "max_spike_shift_ms": shift,
            "spikes_hh": units().map(|u| u.spikes_hh.len()).sum::<usize>(),
            "spikes_tvlif2hh": units().map(|u| u.spikes_tv.len()).sum::<usize>(),
            "units": c.layer1.len() + c.layer2.len(),
            "hidden_fraction_firing": hidden_hh,
            "hidden_fraction_firing_tvlif2hh": hidden_tv,
            "output_fraction_firing": output_hh,
            "output_fraction_firing_tvlif2hh": output_tv,
            "rheobase_ua": result.network.rheobase_ua,
            "hidden_current_mean_ua": mean,
            "hidden_current_sd_ua": sd,
        }))
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        anyhow::ensure!(
            ctx.runs.len() == INTEGRATORS.len(),
            "s2_2 expects one run per integrator, found {}",
            ctx.runs.len()
        );
        let results: Vec<FcResult> = ctx.runs.iter().map(load).collect::<Result<_>>()?;
        let config: S2FcConfig = serde_json::from_value(ctx.runs[0].spec.config.clone())
            .context("s2_2 run config does not match S2FcConfig")?;
        let image_source = config.image_source;
        let shown = &results[0];
        let s = shown.setting;
        let c = &shown.comparison;
        let max_dv = |r: &FcResult| r.comparison.max_abs_dv_mv().unwrap_or(f64::NAN);
        let max_dv_all = results.iter().map(max_dv).fold(0.0, f64::max);
        let mismatches: usize = results
            .iter()
            .map(|r| r.comparison.spike_mismatches().unwrap_or(usize::MAX))
            .sum();
        let (hidden_frac, _) = fraction_firing(&c.layer1);
        let (output_frac, _) = fraction_firing(&c.layer2);
        let (mean, sd) = mean_sd(&shown.network.hidden_currents_ua);
        let rheobase = shown.network.rheobase_ua;
        let figure = FcFigure {
            title: format!(
                "Fully connected {}→{}→{}: HH vs tv-LIF2HH, {}, dt = {} ms",
                s.image_side * s.image_side,
                s.hidden,
                s.outputs,
                integrator_words(s.run.integrator),
                s.run.dt_ms
            ),
            result: shown,
        };
        let caption = format!(
            "Fully connected network of Supp. Fig. 2.2 ({n_in}→{h}→{o}, modern convention, every unit from rest, \
             {dur} ms, dt = {dt} ms, {integ}), simulated once with HH units and once with closed-loop tv-LIF2HH \
             units. (a) The input: {image_source}, bytes scaled to [0, 1]; weights seeded ({seed}). \
             (b) Spikes of the hidden units (constant currents W₀₁ᵀ·x, mean {mean:.2} and s.d. {sd:.2} µA/cm², \
             i.e. {hm} and {hs} times the single-spike rheobase {rheobase:.3} µA/cm²), sorted by their current; \
             {hp:.0} % fire. (c) Spikes of every output unit (currents W₁₂ᵀ·s(t), s = hidden level spikes, \
             1 while V > −40 mV); {op:.0} % fire. Wide blue bars: HH; narrow orange bars: tv-LIF2HH — every \
             orange bar sits inside a blue one. (d) Output potentials, HH solid and tv-LIF2HH dashed. Over all \
             138 units and every step, max |V_HH − V_tvLIF2HH| = {dv:.2e} mV ({dv_all:.2e} mV over forward Euler \
             and RK4), with {mismatches} spike mismatches.",
            n_in = s.image_side * s.image_side,
            h = s.hidden,
            o = s.outputs,
            dur = s.run.duration_ms,
            dt = s.run.dt_ms,
            integ = integrator_words(s.run.integrator),
            seed = s.seed,
            image_source = image_source,
            hm = s.hidden_mean_rheobase,
            hs = s.hidden_sd_rheobase,
            hp = 100.0 * hidden_frac,
            op = 100.0 * output_frac,
            dv = max_dv(shown),
            dv_all = max_dv_all,
        );
        let figure_entry = out
            .figure("s2_2_rasters", &caption, &figure)?
            .deviation(format!(
                "The input image is our own Multi-MNIST composite ({image_source}), not the paper's."
            ))
            .deviation(format!(
                "The paper's weights are not published; ours are seeded Gaussian weights scaled by a \
                 documented rule: hidden currents with mean {} and s.d. {} rheobases; time-averaged output \
                 currents with mean {} and s.d. {} rheobases.",
                s.hidden_mean_rheobase,
                s.hidden_sd_rheobase,
                s.output_mean_rheobase,
                s.output_sd_rheobase
            ))
            .deviation(
                "Coupling by level spikes (s = 1 while V > −40 mV) from rest is our precise reading of the \
                 paper's W₁₂ᵀ·spikes.",
            );

        let mut columns = vec!["output unit".to_string()];
        for r in &results {
            let name = r.setting.run.integrator.name();
            columns.push(format!("spikes HH ({name})"));
            columns.push(format!("spikes tv-LIF2HH ({name})"));
            columns.push(format!("max spike shift ({name}, ms)"));
            columns.push(format!("max |ΔV| ({name}, mV)"));
        }
        let mut table = Table::new(columns);
        for j in 0..c.layer2.len() {
            let mut row = vec![Cell::Int(j as i64)];
            for r in &results {
                let u = &r.comparison.layer2[j];
                row.push(Cell::Int(u.spikes_hh.len() as i64));
                row.push(Cell::Int(u.spikes_tv.len() as i64));
                row.push(
                    u.comparison
                        .max_spike_shift_ms
                        .filter(|_| !u.spikes_hh.is_empty())
                        .map(|value| Cell::Sci { value, digits: 2 })
                        .unwrap_or(Cell::Missing),
                );
                row.push(
                    u.comparison
                        .max_abs_dv_mv
                        .map(|value| Cell::Sci { value, digits: 2 })
                        .unwrap_or_else(|| Cell::text("diverged")),
                );
            }
            table.push_row(row)?;
        }
        let table_entry = out
            .table(
                "s2_2_outputs",
                &format!(
                    "Output units of the fully connected network: spike counts of HH and tv-LIF2HH, the largest \
                     shift between paired spike times and the largest |V_HH − V_tvLIF2HH| over every step, \
                     per integrator ({dur} ms, dt = {dt} ms). Hidden layer: {hp:.1} % of {h} units fire.",
                    dur = s.run.duration_ms,
                    dt = s.run.dt_ms,
                    hp = 100.0 * hidden_frac,
                    h = s.hidden,
                ),
                &table,
            )?
            .deviation("The paper shows the rasters only; the table is ours.");

        Ok(Rendered {
            outputs: vec![figure_entry, table_entry],
            metrics: vec![
                ("max_abs_dv_mv".into(), max_dv_all),
                ("spike_mismatches".into(), mismatches as f64),
                ("hidden_fraction_firing".into(), hidden_frac),
                ("output_fraction_firing".into(), output_frac),
                ("rheobase_ua".into(), rheobase),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden case: the paper's setting with forward Euler through `execute`. About half of
    /// the hidden units and some but not all outputs fire; the two networks agree to
    /// rounding with identical spike trains.
    #[test]
    fn golden_fc_network_fires_realistically_and_exactly() {
        let tmp = tempfile::tempdir().unwrap();
        let progress = crate::progress::RunProgress::hidden();
        let deps = crate::registry::DepRuns::new();
        let ctx = RunContext::new(Profile::Smoke, tmp.path(), &progress, &deps);
        let runs = S2FullyConnected.runs(Profile::Smoke).unwrap();
        let summary = S2FullyConnected.execute(&runs[0], &ctx).unwrap();
        let max_dv = summary["max_abs_dv_mv"].as_f64().unwrap();
        assert!(max_dv < 1e-6 && max_dv > 0.0, "max |dV| = {max_dv}");
        assert_eq!(summary["spike_mismatches"], 0);
        assert_eq!(summary["units"], 138);
        let hidden = summary["hidden_fraction_firing"].as_f64().unwrap();
        assert!((0.2..0.8).contains(&hidden), "hidden fraction {hidden}");
        let output = summary["output_fraction_firing"].as_f64().unwrap();
        assert!(output > 0.0 && output < 1.0, "output fraction {output}");
        let rheobase = summary["rheobase_ua"].as_f64().unwrap();
        assert!((2.0..2.6).contains(&rheobase), "rheobase {rheobase}");
        assert_eq!(summary["spikes_hh"], summary["spikes_tvlif2hh"]);
    }
}
