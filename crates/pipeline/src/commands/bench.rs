//! `icnet bench hh`: throughput of the batch HH simulation, as JSON; `icnet bench train`:
//! time of one training step of a multi-task model (the engine's speed bar).
//!
//! Workload (issue 2, "Speed bar"): N independent 1952-convention HH neurons with
//! voltage-dependent rates, forward Euler, f64, constant currents spread evenly over
//! 5–15 µA/cm², spike detection on, in a rayon pool of `--threads` threads.

use crate::cli::BenchHhArgs;
use crate::commands::simulate::positive_ms;
use anyhow::Result;
use icnet_neurons::batch::HhBatch;
use icnet_neurons::hh::HhParams;
use std::time::Instant;

/// Lowest and highest injected current of the benchmark population, µA/cm².
pub const CURRENT_RANGE: (f64, f64) = (5.0, 15.0);

/// Currents spread evenly over [`CURRENT_RANGE`], one per neuron.
pub fn currents(neurons: usize) -> Vec<f64> {
    let (lo, hi) = CURRENT_RANGE;
    let span = neurons.saturating_sub(1).max(1) as f64;
    (0..neurons)
        .map(|i| lo + (hi - lo) * i as f64 / span)
        .collect()
}

/// Runs the benchmark and returns its JSON report.
pub fn measure(args: &BenchHhArgs) -> Result<serde_json::Value> {
    anyhow::ensure!(args.neurons >= 1, "--neurons must be at least 1");
    anyhow::ensure!(args.threads >= 1, "--threads must be at least 1");
    let dt = positive_ms("--dt", args.dt, "0.01")?;
    let duration = positive_ms("--ms", args.duration, "100")?;
    let steps = (duration / dt).round();
    anyhow::ensure!(
        (1.0..=2e9).contains(&steps),
        "--ms {duration} with --dt {dt} gives {steps} steps; choose values giving 1 to 2e9 steps"
    );
    let steps = steps as usize;
    let params = HhParams::hh1952();
    let threshold = params.convention.default_threshold_mv();
    let pool = thread_pool(args.threads)?;
    let mut batch = HhBatch::new(params, currents(args.neurons))
        .map_err(|e| anyhow::anyhow!("cannot set up the benchmark: {e}"))?;
    let started = Instant::now();
    let result = pool
        .install(|| batch.run(dt, steps, Some(threshold)))
        .map_err(|e| anyhow::anyhow!("the benchmark simulation failed: {e}"))?;
    let wall_s = started.elapsed().as_secs_f64();
    let total_spikes: u64 = result.spike_counts.iter().map(|&c| u64::from(c)).sum();
    let neuron_steps = args.neurons as f64 * steps as f64;
    Ok(serde_json::json!({
        "benchmark": "hh",
        "model": "hh-1952",
        "integrator": "euler",
        "precision": "f64",
        "neurons": args.neurons,
        "steps": steps,
        "dt_ms": dt,
        "duration_ms": duration,
        "threads": args.threads,
        "current_range_uA_cm2": [CURRENT_RANGE.0, CURRENT_RANGE.1],
        "spike_threshold_mv": threshold,
        "wall_s": wall_s,
        "ns_per_neuron_step": wall_s * 1e9 / neuron_steps,
        "total_spikes": total_spikes,
    }))
}

/// Runs `icnet bench hh` and prints the JSON report.
pub fn run(args: &BenchHhArgs) -> Result<()> {
    let report = measure(args)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// Runs `icnet bench train` and prints one JSON object per model (an array for `all`).
pub fn run_train(args: &crate::cli::BenchTrainArgs) -> Result<()> {
    anyhow::ensure!(args.batch >= 1, "--batch must be at least 1");
    anyhow::ensure!(args.threads >= 1, "--threads must be at least 1");
    anyhow::ensure!(args.repeats >= 1, "--repeats must be at least 1");
    let models = one_or_all("--model", &args.model, &icnet_train::ModelKind::ALL)?;
    let pool = thread_pool(args.threads)?;
    let mut reports = Vec::new();
    for model in models {
        let report =
            pool.install(|| icnet_train::bench::bench_train(model, args.batch, args.repeats));
        let mut value = serde_json::to_value(&report)?;
        value["threads"] = serde_json::json!(args.threads);
        value["benchmark"] = serde_json::json!("train");
        eprintln!("{}: {:.2} ms per step", report.model, report.ms_per_step);
        reports.push(value);
    }
    println!("{}", serde_json::to_string_pretty(&one_or_array(reports))?);
    Ok(())
}

/// Runs `icnet bench sac` and prints one JSON object per actor (an array for `all`).
pub fn run_sac(args: &crate::cli::BenchSacArgs) -> Result<()> {
    let report = measure_sac(args)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// The JSON report of `icnet bench sac`.
pub fn measure_sac(args: &crate::cli::BenchSacArgs) -> Result<serde_json::Value> {
    use icnet_control::sac::{bench::bench_update, ActorKind, SacConfig};
    anyhow::ensure!(args.threads >= 1, "--threads must be at least 1");
    anyhow::ensure!(args.repeats >= 1, "--repeats must be at least 1");
    let actors = one_or_all("--actor", &args.actor, &ActorKind::ALL)?;
    let pool = thread_pool(args.threads)?;
    let mut reports = Vec::new();
    for actor in actors {
        let report = pool.install(|| bench_update(actor, SacConfig::default(), args.repeats));
        let mut value = serde_json::to_value(&report)?;
        value["threads"] = serde_json::json!(args.threads);
        value["benchmark"] = serde_json::json!("sac");
        eprintln!(
            "{}: {:.3} ms per update",
            report.actor, report.ms_per_update
        );
        reports.push(value);
    }
    Ok(one_or_array(reports))
}

/// A rayon pool of `threads` workers, or an error naming `--threads`.
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            anyhow::anyhow!("cannot start {threads} threads: {e}; pass a smaller --threads")
        })
}

/// The items named by `value` of option `flag`: one parsed id, or every item for `all`.
fn one_or_all<T>(flag: &str, value: &str, all: &[T]) -> Result<Vec<T>>
where
    T: Copy + std::str::FromStr,
    T::Err: std::fmt::Display,
{
    if value == "all" {
        Ok(all.to_vec())
    } else {
        Ok(vec![value
            .parse()
            .map_err(|e| anyhow::anyhow!("{flag}: {e} (or all)"))?])
    }
}

/// One report as itself, several as a JSON array.
fn one_or_array(mut reports: Vec<serde_json::Value>) -> serde_json::Value {
    if reports.len() == 1 {
        reports.remove(0)
    } else {
        serde_json::Value::Array(reports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currents_span_the_range() {
        let c = currents(11);
        assert_eq!(c.len(), 11);
        assert_eq!(c[0], 5.0);
        assert_eq!(c[10], 15.0);
        assert!((c[5] - 10.0).abs() < 1e-12);
        assert_eq!(currents(1), vec![5.0]);
    }

    #[test]
    fn ids_or_all_parse_and_bad_ids_name_the_flag() {
        use icnet_control::sac::ActorKind;
        assert_eq!(
            one_or_all("--actor", "all", &ActorKind::ALL).unwrap(),
            ActorKind::ALL.to_vec()
        );
        assert_eq!(
            one_or_all("--actor", "hh", &ActorKind::ALL).unwrap(),
            vec![ActorKind::Hh]
        );
        let err = one_or_all("--actor", "gru", &ActorKind::ALL)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--actor: unknown actor 'gru'") && err.ends_with("(or all)"),
            "{err}"
        );
        assert_eq!(
            one_or_array(vec![serde_json::json!(1)]),
            serde_json::json!(1)
        );
        assert_eq!(
            one_or_array(vec![serde_json::json!(1), serde_json::json!(2)]),
            serde_json::json!([1, 2])
        );
    }
}
