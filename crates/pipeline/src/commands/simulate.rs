//! `icnet simulate`: one neuron, any model/stimulus/integrator → CSV + SVG/PNG plot.

use crate::cli::SimulateArgs;
use crate::fsutil;
use crate::output::plot::{self, LinePanel, PanelGrid, Series, SeriesKind};
use anyhow::Result;
use icnet_neurons::simulate::{simulate, ModelKind, SimulationSpec, Trace};
use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::Integrator;
use std::fmt::Write as _;

/// Checks a command-line time value (finite and positive) and names the flag if it is not.
pub fn positive_ms(flag: &str, value: f64, example: &str) -> Result<f64> {
    anyhow::ensure!(
        value.is_finite() && value > 0.0,
        "{flag} must be a positive number of milliseconds, but it is {value}; pass e.g. {flag} {example}"
    );
    Ok(value)
}

/// Parses and validates the arguments into a simulation spec.
pub fn spec_from_args(args: &SimulateArgs) -> Result<SimulationSpec> {
    let model: ModelKind = args
        .model
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid --model: {e}"))?;
    let stimulus: Stimulus = args
        .stimulus
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid --stimulus: {e}"))?;
    let integrator: Integrator = args
        .integrator
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid --integrator: {e}"))?;
    let dt = positive_ms("--dt", args.dt, "0.01")?;
    let duration = positive_ms("--ms", args.duration, "80")?;
    anyhow::ensure!(
        args.record_every >= 1,
        "--record-every must be at least 1 (1 records every step)"
    );
    let overrides = args
        .set
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("invalid --set `{pair}`: write NAME=VALUE, e.g. --set C=2")
            })?;
            let value: f64 = value.trim().parse().map_err(|_| {
                anyhow::anyhow!("invalid --set `{pair}`: `{value}` is not a number")
            })?;
            Ok((name.trim().to_string(), value))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SimulationSpec {
        model,
        stimulus,
        integrator,
        dt,
        duration,
        record_every: args.record_every,
        overrides,
    })
}

/// The trace as CSV: `t_ms` then every column.
pub fn trace_csv(trace: &Trace) -> String {
    let mut out = String::from("t_ms");
    for (name, _) in &trace.columns {
        out.push(',');
        out.push_str(name);
    }
    out.push('\n');
    for (i, t) in trace.time.iter().enumerate() {
        let _ = write!(out, "{t:?}");
        for (_, column) in &trace.columns {
            let _ = write!(out, ",{:?}", column[i]);
        }
        out.push('\n');
    }
    out
}

/// Spike times as CSV.
pub fn spikes_csv(trace: &Trace) -> String {
    let mut out = String::from("spike_time_ms\n");
    for t in &trace.spikes {
        let _ = writeln!(out, "{t:?}");
    }
    out
}

/// The plot: V (with spike times marked), and the gating variables when the model has them.
pub fn trace_figure(spec: &SimulationSpec, trace: &Trace) -> PanelGrid {
    let title = format!(
        "{} under {} ({}, dt = {} ms)",
        spec.model, spec.stimulus, spec.integrator, spec.dt
    );
    let v = trace.column("V").unwrap_or_default().to_vec();
    let mut v_panel = LinePanel::new("Membrane potential", "t (ms)", "V (mV)")
        .with_headroom(0.2)
        .with(Series::line("V", trace.time.clone(), v.clone(), 0));
    if !trace.spikes.is_empty() {
        let top = v
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        v_panel = v_panel.with(
            Series::line(
                format!("spikes ({})", trace.spikes.len()),
                trace.spikes.clone(),
                vec![top; trace.spikes.len()],
                1,
            )
            .with_kind(SeriesKind::Points)
            .with_width(3),
        );
    }
    let mut panels = vec![v_panel];
    let gates: Vec<_> = ["m", "h", "n"]
        .into_iter()
        .filter_map(|g| trace.column(g).map(|c| (g, c)))
        .collect();
    if !gates.is_empty() {
        let mut gate_panel = LinePanel::new("Gating variables", "t (ms)", "open fraction");
        gate_panel.y_range = Some((-0.02, 1.3));
        for (i, (name, column)) in gates.into_iter().enumerate() {
            gate_panel = gate_panel.with(Series::line(
                name,
                trace.time.clone(),
                column.to_vec(),
                i + 2,
            ));
        }
        panels.push(gate_panel);
    }
    let rows = panels.len();
    PanelGrid {
        title: Some(title),
        rows,
        cols: 1,
        panels,
        size: (1200, 450 * rows as u32 + 60),
    }
}

/// Runs `icnet simulate`.
pub fn run(args: &SimulateArgs) -> Result<()> {
    let spec = spec_from_args(args)?;
    // Simulate first: a parameter the model rejects must not leave an empty --out behind.
    let trace =
        simulate(&spec).map_err(|e| anyhow::anyhow!("cannot simulate {}: {e}", spec.model))?;
    fsutil::ensure_writable_dir(&args.out, "--out")?;
    let name = spec.model.name();
    let csv = args.out.join(format!("{name}.csv"));
    let spikes = args.out.join(format!("{name}_spikes.csv"));
    let svg = args.out.join(format!("{name}.svg"));
    let png = args.out.join(format!("{name}.png"));
    fsutil::write_atomic(&csv, trace_csv(&trace).as_bytes())?;
    fsutil::write_atomic(&spikes, spikes_csv(&trace).as_bytes())?;
    plot::render(&trace_figure(&spec, &trace), &svg, &png)?;
    println!(
        "{name}: {} samples, {} spikes; wrote {}, {}, {} and {}",
        trace.time.len(),
        trace.spikes.len(),
        csv.display(),
        spikes.display(),
        svg.display(),
        png.display()
    );
    Ok(())
}
