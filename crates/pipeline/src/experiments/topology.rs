//! Beyond the paper (issue 3, §3): how many LIF units, wired how, does one HH neuron take?
//!
//! Every topology of [`Topology::all`] (k = 1…6 units; single, fan-in m+1 with s-LIF2HH at
//! 3+1, two-layer, layered 1+m+1, ring, fully connected) is fitted to the HH chain with the
//! protocol of fig3d — the same five training shapes, loss, held-out stimuli and HH initial
//! state — as a general discrete LIF network ([`icnet_equivalence::topology::LifNetwork`]:
//! per-unit leak, threshold and input gain, signed weights on the topology's connections,
//! fitted initial potentials as in fig3d, joint spike when every unit is above threshold,
//! joint reset to 0). One cached run per
//! topology; every restart starts from a seeded random point (no topology gets a hand-tuned
//! head start).

mod figure;

use super::fig3d::{held_out_for, FitProgress};
use crate::output::{Cell, OutputEntry, OutputWriter, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunRecord, RunSpec};
use anyhow::{Context, Result};
use figure::{FamilyLine, KFigure, KPanel};
use icnet_equivalence::fit::{
    summarise, FitBudget, FitOutcome, HhInitialState, LossWeights, ModelEvaluation,
    Parameterisation, Protocol,
};
use icnet_equivalence::topology::{Family, Topology, TopologyParameterisation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::ops::ControlFlow;

/// Experiment id.
pub const ID: &str = "topology";
/// The fit (restarts, rejections, best vector).
const FIT_FILE: &str = "fit.json";
/// Evaluation of the fitted network.
const FITTED_FILE: &str = "fitted.json";
/// Largest network fitted.
pub const MAX_UNITS: usize = 6;

/// Seconds per loss evaluation of a topology fit on one core, for `icnet plan`: the slowest
/// quick fit's measured wall time (16 s, a six-unit network, on the reference machine) over
/// its maximum evaluations (68 400); smaller networks take less.
pub const SECONDS_PER_EVALUATION: f64 = 2.4e-4;

/// The protocol of a profile: fig3d's stimuli, loss and HH chain, a smaller budget per fit.
/// (Generations growing with the dimension, 250 + 15 per parameter, were tried on quick: 40 %
/// more time and not one training loss changed — the restarts find their basin early.)
pub fn protocol_for(profile: Profile) -> Protocol {
    let budget = match profile {
        Profile::Smoke => FitBudget {
            restarts: 1,
            population: 8,
            generations: 6,
            initial_sigma: 0.3,
            screen: 8,
        },
        Profile::Quick => FitBudget {
            restarts: 6,
            population: 16,
            generations: 300,
            initial_sigma: 0.3,
            screen: 200,
        },
        Profile::Paper => FitBudget {
            restarts: 12,
            population: 24,
            generations: 800,
            initial_sigma: 0.3,
            screen: 500,
        },
    };
    Protocol {
        duration_ms: 80.0,
        hh_initial: HhInitialState::AuthorsScript,
        held_out: held_out_for(profile),
        loss: LossWeights::default(),
        budget,
    }
}

/// The parameters of one topology fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyConfig {
    /// Stimuli, HH chain, loss and budget.
    pub protocol: Protocol,
    /// The family.
    pub family: Family,
    /// Number of units k.
    pub units: usize,
}

/// What the fit artefact holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TopologyFitRecord {
    /// The wiring.
    pub topology: Topology,
    /// Parameter names, in vector order.
    pub names: Vec<String>,
    /// The restarted CMA-ES.
    pub outcome: FitOutcome,
}

/// The topology experiment.
pub struct TopologySweep;

impl Experiment for TopologySweep {
    fn id(&self) -> &'static str {
        ID
    }

    fn paper_ref(&self) -> &'static str {
        "beyond the paper"
    }

    fn title(&self) -> &'static str {
        "LIF networks of k = 1…6 units in six topology families fitted to HH: held-out Γ against k"
    }

    fn estimated_seconds(&self, profile: Profile, _run: &RunSpec) -> f64 {
        super::fig3d::fit_seconds(&protocol_for(profile).budget, SECONDS_PER_EVALUATION)
    }

    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
        Topology::all(MAX_UNITS)
            .into_iter()
            .map(|t| {
                let config = TopologyConfig {
                    protocol: protocol_for(profile),
                    family: t.family,
                    units: t.units,
                };
                Ok(RunSpec::new(
                    ID,
                    format!("{}/seed0", t.label),
                    serde_json::to_value(config)?,
                    0,
                ))
            })
            .collect()
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        let config: TopologyConfig = serde_json::from_value(run.config.clone())
            .context("topology run config does not match TopologyConfig")?;
        let topology = Topology::new(config.family, config.units)?;
        let protocol = config.protocol;
        let targets = protocol
            .targets()
            .context("cannot simulate the HH reference chain")?;
        let parameterisation = TopologyParameterisation::with_initial_potentials(topology.clone());
        let problem = protocol.problem(parameterisation.clone(), &targets);
        let mut progress = FitProgress::new(ctx.progress, &protocol.budget);
        let outcome = protocol.fit(&problem, run.seed, None, |r, report| {
            progress.observe(r, report);
            ControlFlow::Continue(())
        })?;
        progress.finish();
        let fitted = protocol
            .evaluate(&problem, &targets, &outcome.best_x)
            .map_err(|e| {
                anyhow::anyhow!(
                    "the fitted {} network cannot be evaluated: {e}",
                    topology.label
                )
            })?;
        let train = summarise(&fitted.training);
        let held = summarise(&fitted.held_out);
        let summary = json!({
            "family": topology.family.name(),
            "label": topology.label,
            "units": topology.units,
            "parameters": parameterisation.parameter_count(),
            "training_loss": fitted.training_loss,
            "gamma_train_mean": train.gamma_mean,
            "count_error_train": train.count_error_total,
            "gamma_heldout_mean": held.gamma_mean,
            "gamma_heldout_min": held.gamma_min,
            "count_error_heldout_mean": held.count_error,
            "van_rossum_heldout_mean": held.van_rossum,
            "victor_purpura_heldout_mean": held.victor_purpura,
            "evaluations": outcome.evaluations,
            "rejected_candidates": outcome.rejected,
        });
        ctx.write_json(
            FIT_FILE,
            &TopologyFitRecord {
                topology,
                names: parameterisation.names(),
                outcome,
            },
        )?;
        ctx.write_json(FITTED_FILE, &fitted)?;
        Ok(summary)
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        anyhow::ensure!(!ctx.runs.is_empty(), "topology has no finished runs");
        let rows: Vec<FitRow> = ctx
            .runs
            .iter()
            .map(FitRow::from_record)
            .collect::<Result<_>>()?;
        let protocol: Protocol =
            serde_json::from_value::<TopologyConfig>(ctx.runs[0].spec.config.clone())?.protocol;
        let budget = budget_words(&protocol, &rows);
        let mut outputs = vec![figure(&rows, &budget, out)?];
        outputs.push(table(&rows, &budget, out)?);
        let mut metrics = Vec::new();
        for k in 1..=MAX_UNITS {
            if let Some(best) = rows
                .iter()
                .filter(|r| r.units == k)
                .map(|r| r.gamma_heldout_mean)
                .fold(None, |best: Option<f64>, g| {
                    Some(best.map_or(g, |b| b.max(g)))
                })
            {
                metrics.push((format!("best_gamma_k{k}"), best));
            }
        }
        metrics.push((
            "rejected_candidates".into(),
            rows.iter().map(|r| r.rejected as f64).sum(),
        ));
        Ok(Rendered { outputs, metrics })
    }
}

/// One finished fit, as the table and figure need it.
struct FitRow {
    family: Family,
    label: String,
    units: usize,
    parameters: usize,
    training_loss: f64,
    gamma_train_mean: f64,
    count_error_train: usize,
    gamma_heldout_mean: f64,
    gamma_heldout_min: f64,
    count_error_heldout_mean: f64,
    van_rossum_heldout_mean: f64,
    victor_purpura_heldout_mean: f64,
    evaluations: usize,
    rejected: usize,
}

impl FitRow {
    fn from_record(record: &RunRecord) -> Result<FitRow> {
        let fit: TopologyFitRecord = record.read_json(FIT_FILE)?;
        let fitted: ModelEvaluation = record.read_json(FITTED_FILE)?;
        let train = summarise(&fitted.training);
        let held = summarise(&fitted.held_out);
        Ok(FitRow {
            family: fit.topology.family,
            label: fit.topology.label.clone(),
            units: fit.topology.units,
            parameters: fit.names.len(),
            training_loss: fitted.training_loss,
            gamma_train_mean: train.gamma_mean,
            count_error_train: train.count_error_total,
            gamma_heldout_mean: held.gamma_mean,
            gamma_heldout_min: held.gamma_min,
            count_error_heldout_mean: held.count_error,
            van_rossum_heldout_mean: held.van_rossum,
            victor_purpura_heldout_mean: held.victor_purpura,
            evaluations: fit.outcome.evaluations,
            rejected: fit.outcome.rejected,
        })
    }
}

fn budget_words(protocol: &Protocol, rows: &[FitRow]) -> String {
    let b = &protocol.budget;
    let h = &protocol.held_out;
    format!(
        "loss Σ over the five training stimuli of (1 − Γ) + {}·|Δn| + {}·van Rossum on unit 2; \
         each fit: CMA-ES with {} restart(s) from the best of {} random points of the box, each of \
         ≤ {} generations (population {} doubling every \
         second restart, at most 4×); {} candidates evaluated over all fits, {} rejected; \
         held-out set of {} variants per shape and {} noisy currents",
        protocol.loss.count,
        protocol.loss.van_rossum,
        b.restarts,
        b.screen,
        b.generations,
        b.population,
        rows.iter().map(|r| r.evaluations).sum::<usize>(),
        rows.iter().map(|r| r.rejected).sum::<usize>(),
        h.per_shape,
        h.noise
    )
}

fn figure(rows: &[FitRow], budget: &str, out: &OutputWriter) -> Result<OutputEntry> {
    let panel = |title: &str, y_label: &str, value: fn(&FitRow) -> f64, y_include, legend| {
        let lines = Family::ALL
            .into_iter()
            .enumerate()
            .filter_map(|(color, family)| {
                let mut points: Vec<(f64, f64)> = rows
                    .iter()
                    .filter(|r| r.family == family)
                    .map(|r| (r.units as f64, value(r)))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                (!points.is_empty()).then(|| FamilyLine {
                    label: family.description().to_string(),
                    color,
                    points,
                })
            })
            .collect();
        let highlight = rows
            .iter()
            .find(|r| r.family == Family::FanIn && r.units == 4)
            .map(|r| ("s-LIF2HH wiring (3+1)".to_string(), (4.0, value(r))));
        KPanel {
            title: title.into(),
            y_label: y_label.into(),
            lines,
            highlight,
            y_include,
            legend,
        }
    };
    let figure = KFigure {
        title: "LIF networks of k units fitted to one HH neuron (two-unit chain, unit 2)".into(),
        rows: 2,
        cols: 2,
        max_units: MAX_UNITS,
        panels: vec![
            panel(
                "a  Held-out stimuli: mean Γ",
                "mean Γ (±2 ms)",
                |r| r.gamma_heldout_mean,
                (-0.1, 1.0),
                true,
            ),
            panel(
                "b  Training stimuli: mean Γ",
                "mean Γ (±2 ms)",
                |r| r.gamma_train_mean,
                (-0.1, 1.0),
                false,
            ),
            panel(
                "c  Held-out stimuli: mean spike-count error",
                "mean |n_HH − n_model|",
                |r| r.count_error_heldout_mean,
                (0.0, 1.0),
                false,
            ),
            panel(
                "d  Training loss reached (lower is better)",
                "loss",
                |r| r.training_loss,
                (0.0, 1.0),
                false,
            ),
        ],
        size: (1900, 1400),
    };
    let caption = format!(
        "How much external complexity equals one HH neuron: LIF networks of k units in six \
         topology families, each fitted to the HH chain of Fig. 3d on the paper's five stimuli with \
         fig3d's protocol (HH from the authors' script state). (a) mean coincidence factor Γ (±2 ms; 0 = chance) over the held-out stimuli, \
         never seen in fitting — the generalisation the question is about; (b) mean Γ over the five \
         training stimuli; (c) mean spike-count error on the held-out stimuli; (d) the training \
         loss reached. Units are general discrete LIF units (per-unit leak, threshold, input gain, fitted \
         initial potential; signed \
         weights on the family's connections, potentials coupled within a step in index order; the \
         network fires when every unit is above its threshold, then all reset to 0); the fan-in \
         family contains s-LIF2HH at k = 4 (3+1) with per-unit thresholds and signed weights. One \
         fit per topology ({budget}); a single fit per point, so differences of a few hundredths \
         are within the search's run-to-run spread."
    );
    Ok(out
        .figure("topology_gamma_vs_k", &caption, &figure)?
        .deviation("Not in the paper: the paper asserts that four LIF units in the s-LIF2HH topology approximate HH; this quantifies it for other unit counts and wirings."))
}

fn table(rows: &[FitRow], budget: &str, out: &OutputWriter) -> Result<OutputEntry> {
    let mut table = Table::new([
        "family",
        "topology",
        "k",
        "parameters",
        "training loss",
        "Γ train (mean)",
        "count error train (sum)",
        "Γ held-out (mean)",
        "Γ held-out (min)",
        "count error held-out (mean)",
        "van Rossum held-out (mean)",
        "Victor–Purpura held-out (mean)",
        "evaluations",
        "rejected",
    ]);
    for r in rows {
        table.push_row(vec![
            Cell::text(r.family.name()),
            Cell::text(&r.label),
            Cell::Int(r.units as i64),
            Cell::Int(r.parameters as i64),
            Cell::float(r.training_loss, 3),
            Cell::float(r.gamma_train_mean, 3),
            Cell::Int(r.count_error_train as i64),
            Cell::float(r.gamma_heldout_mean, 3),
            Cell::float(r.gamma_heldout_min, 3),
            Cell::float(r.count_error_heldout_mean, 2),
            Cell::float(r.van_rossum_heldout_mean, 3),
            Cell::float(r.victor_purpura_heldout_mean, 2),
            Cell::Int(r.evaluations as i64),
            Cell::Int(r.rejected as i64),
        ])?;
    }
    Ok(out
        .table(
            "topology",
            &format!(
                "Every topology fit: LIF network of k units fitted to unit 2 of the HH chain on the \
                 five training stimuli, evaluated on the held-out stimuli (metrics of unit 2 as in \
                 fig3d_equivalence_slif2hh). Parameters: per-unit leak and threshold, a gain per \
                 driven unit, a weight per connection, dt and the initial potential of every unit (as in \
                 fig3d). Rejected: candidates whose \
                 simulation diverged (non-finite potential, possible with recurrent weights) or \
                 whose parameters were invalid. Wall time as first computed. {budget}."
            ),
            &table,
        )?
        .deviation("Not in the paper."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::RunProgress;
    use crate::registry::DepRuns;

    #[test]
    fn one_run_per_topology_with_distinct_hashes() {
        let runs = TopologySweep.runs(Profile::Quick).unwrap();
        assert_eq!(runs.len(), Topology::all(MAX_UNITS).len());
        let mut hashes: Vec<String> = runs.iter().map(|r| r.hash("x")).collect();
        hashes.sort();
        hashes.dedup();
        assert_eq!(hashes.len(), runs.len());
        for k in 1..=MAX_UNITS {
            assert!(
                runs.iter().any(|r| r.config["units"] == k),
                "no topology with {k} units"
            );
        }
    }

    /// Golden case on the smoke profile: the s-LIF2HH topology (3+1) and the single unit run
    /// end to end and render; every best_gamma_k metric exists.
    #[test]
    fn golden_smoke_runs_and_render() {
        let deps = DepRuns::new();
        let progress = RunProgress::hidden();
        let mut records = Vec::new();
        let mut dirs = Vec::new();
        for run in TopologySweep.runs(Profile::Smoke).unwrap() {
            let k = run.config["units"].as_u64().unwrap();
            let family = run.config["family"].as_str().unwrap();
            // One topology per k keeps the test short; 3+1 is s-LIF2HH.
            let keep = matches!(
                (family, k),
                ("single", 1)
                    | ("fan-in", 2)
                    | ("layered", 3)
                    | ("fan-in", 4)
                    | ("ring", 5)
                    | ("two-layer", 6)
            );
            if !keep {
                continue;
            }
            let tmp = tempfile::tempdir().unwrap();
            let ctx = RunContext::new(Profile::Smoke, tmp.path(), &progress, &deps);
            let summary = TopologySweep.execute(&run, &ctx).unwrap();
            assert!(summary["gamma_heldout_mean"].as_f64().unwrap() <= 1.0);
            assert_eq!(summary["units"], k);
            records.push(RunRecord {
                format: 1,
                hash: "test".into(),
                spec: run.clone(),
                source_hash: "test".into(),
                tool_version: "test".into(),
                wall_time_s: 0.0,
                threads: 1,
                summary,
                files: ctx.files(),
                dir: tmp.path().to_path_buf(),
            });
            dirs.push(tmp);
        }
        assert_eq!(records.len(), 6);
        let out_dir = tempfile::tempdir().unwrap();
        let writer = OutputWriter::new(out_dir.path(), ID, Profile::Smoke, false);
        let ctx = RenderContext {
            profile: Profile::Smoke,
            runs: &records,
            deps: &deps,
        };
        let rendered = TopologySweep.render(&ctx, &writer).unwrap();
        for k in 1..=MAX_UNITS {
            assert!(
                rendered
                    .metrics
                    .iter()
                    .any(|(n, _)| *n == format!("best_gamma_k{k}")),
                "best_gamma_k{k} missing"
            );
        }
        let table = std::fs::read_to_string(out_dir.path().join("tables/topology.csv")).unwrap();
        assert_eq!(table.lines().count(), 1 + 6);
        assert!(out_dir
            .path()
            .join("figures/topology_gamma_vs_k.png")
            .is_file());
    }
}
