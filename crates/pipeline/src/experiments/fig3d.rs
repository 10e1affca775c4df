//! Fig. 3d: two s-LIF2HH units in a chain against two HH units, under the paper's five
//! stimulus shapes (PAPER.md §2.4) — with the paper's hand-tuned parameters and with
//! parameters fitted by CMA-ES (issue 3, §2), validated on held-out stimuli.
//!
//! One run per profile: simulate the HH chain once per stimulus (five training shapes, the
//! held-out set), fit the 16 s-LIF2HH parameters ([`SLif2HhParameterisation`]: the paper's 12
//! and the four units' initial potentials) on the
//! training shapes with a restarted CMA-ES (restart 0 from the hand-tuned point), evaluate
//! both parameter sets everywhere. The HH chain starts from the authors' script state
//! ([`HhInitialState::AuthorsScript`]), which reproduces their setting; from rest HH fires an
//! extra onset spike that no s-LIF2HH reproduces.

mod figures;
mod tables;

use crate::output::OutputWriter;
use crate::profile::Profile;
use crate::progress::RunProgress;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::{Context, Result};
use icnet_equivalence::cmaes::GenerationReport;
use icnet_equivalence::fit::{
    contest, summarise, FitBudget, FitOutcome, HeldOutSpec, HhInitialState, LossWeights,
    ModelEvaluation, Parameterisation, Protocol, Reference, SLif2HhParameterisation,
};
use icnet_neurons::slif2hh::SLif2HhParams;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::ops::ControlFlow;

/// Experiment id.
pub const ID: &str = "fig3d";
/// HH reference trains of every stimulus.
pub(crate) const REFERENCES_FILE: &str = "references.json";
/// The fit (restarts, rejections, best vector).
pub(crate) const FIT_FILE: &str = "fit.json";
/// Evaluation of the hand-tuned parameters.
const HAND_FILE: &str = "hand_tuned.json";
/// Evaluation of the fitted parameters.
pub(crate) const FITTED_FILE: &str = "fitted.json";

/// Seed of the held-out stimuli (fixed across profiles and experiments, distinct from the
/// fit seeds, so every model is validated on the same stimuli).
pub const HELD_OUT_SEED: u64 = 20_240_311;

/// The held-out set of a profile: variants per shape and noisy currents.
pub(crate) fn held_out_for(profile: Profile) -> HeldOutSpec {
    let (per_shape, noise) = match profile {
        Profile::Smoke => (1, 1),
        Profile::Quick => (4, 5),
        Profile::Paper => (8, 10),
    };
    HeldOutSpec {
        per_shape,
        noise,
        spread: 0.25,
        seed: HELD_OUT_SEED,
    }
}

/// Seconds per loss evaluation of the s-LIF2HH fit on one core: the quick fit's measured
/// wall time over its [`FitBudget::max_evaluations`] (362 000). It was 15.2 s at most on the
/// reference machine for the 12-parameter fit; with the fitted initial potentials the winner
/// runs at a finer dt (0.22 against 0.42 ms) and the quick fit took 26.9 s alone and 31.3 s
/// beside the topology sweep (`--jobs 2`, on 2 cores shared with other work; the 12-parameter
/// fit took 27.8 s in the same setting), so the estimate uses 31.3 s.
pub const SECONDS_PER_EVALUATION: f64 = 8.6e-5;

/// Estimated wall time of a fit with `budget` on one core (`icnet plan`): its maximum
/// evaluations at `per_evaluation` seconds each, with a margin of 1.5 because a scheduler
/// kills a task that overruns, and 2 s for simulating the held-out stimuli and writing.
pub fn fit_seconds(budget: &FitBudget, per_evaluation: f64) -> f64 {
    1.5 * (2.0 + budget.max_evaluations() as f64 * per_evaluation)
}

/// The fig3d protocol of a profile.
pub fn protocol_for(profile: Profile) -> Protocol {
    let budget = match profile {
        Profile::Smoke => FitBudget {
            restarts: 2,
            population: 8,
            generations: 15,
            initial_sigma: 0.3,
            screen: 8,
        },
        Profile::Quick => FitBudget {
            restarts: 10,
            population: 24,
            generations: 500,
            initial_sigma: 0.3,
            screen: 200,
        },
        Profile::Paper => FitBudget {
            restarts: 16,
            population: 32,
            generations: 1500,
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

/// The parameters of the fig3d run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fig3dConfig {
    /// Stimuli, HH chain, loss and budget.
    pub protocol: Protocol,
    /// The hand-tuned parameters (restart 0 of the fit starts here).
    pub hand_tuned: SLif2HhParams,
}

/// What the fit artefact holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FitRecord {
    /// Parameter names, in vector order.
    pub names: Vec<String>,
    /// Lower bounds.
    pub lower: Vec<f64>,
    /// Upper bounds.
    pub upper: Vec<f64>,
    /// The hand-tuned vector.
    pub hand_tuned: Vec<f64>,
    /// The restarted CMA-ES.
    pub outcome: FitOutcome,
}

/// Progress of a restarted fit on a run's bar: one unit per generation of the budget; a
/// restart that stops early is counted as finished.
pub(crate) struct FitProgress<'a> {
    progress: &'a RunProgress,
    generations: usize,
    restart: usize,
    in_restart: usize,
    reported: u64,
    total: u64,
}

impl<'a> FitProgress<'a> {
    pub(crate) fn new(progress: &'a RunProgress, budget: &FitBudget) -> Self {
        let total = budget.total_generations() as u64;
        progress.set_total(total);
        FitProgress {
            progress,
            generations: budget.generations,
            restart: 0,
            in_restart: 0,
            reported: 0,
            total,
        }
    }

    fn add(&mut self, n: u64) {
        let n = n.min(self.total - self.reported);
        self.progress.inc(n);
        self.reported += n;
    }

    pub(crate) fn observe(&mut self, restart: usize, report: &GenerationReport<'_>) {
        while self.restart < restart {
            let left = self.generations.saturating_sub(self.in_restart) as u64;
            self.add(left);
            self.restart += 1;
            self.in_restart = 0;
        }
        self.in_restart += 1;
        self.add(1);
        if let Some(best) = report.best_cost {
            self.progress
                .set_message(format!("restart {restart}, loss {best:.3}"));
        }
    }

    pub(crate) fn finish(mut self) {
        let left = self.total - self.reported;
        self.add(left);
    }
}

/// The fig3d experiment.
pub struct Fig3d;

impl Experiment for Fig3d {
    fn id(&self) -> &'static str {
        ID
    }

    fn paper_ref(&self) -> &'static str {
        "Fig. 3d"
    }

    fn title(&self) -> &'static str {
        "s-LIF2HH vs HH in a two-unit chain: hand-tuned and fitted parameters, held-out validation"
    }

    fn estimated_seconds(&self, profile: Profile, _run: &RunSpec) -> f64 {
        fit_seconds(&protocol_for(profile).budget, SECONDS_PER_EVALUATION)
    }

    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
        let config = Fig3dConfig {
            protocol: protocol_for(profile),
            hand_tuned: SLif2HhParams::default(),
        };
        Ok(vec![RunSpec::new(
            ID,
            "s-lif2hh-fit/seed0",
            serde_json::to_value(config)?,
            0,
        )])
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        let config: Fig3dConfig = serde_json::from_value(run.config.clone())
            .context("fig3d run config does not match Fig3dConfig")?;
        let protocol = config.protocol;
        let targets = protocol
            .targets()
            .context("cannot simulate the HH reference chain")?;
        ctx.write_json(REFERENCES_FILE, &targets.references())?;
        let parameterisation = SLif2HhParameterisation;
        let problem = protocol.problem(parameterisation, &targets);
        let hand_tuned = parameterisation.vector(&config.hand_tuned);
        let mut progress = FitProgress::new(ctx.progress, &protocol.budget);
        let outcome = protocol.fit(&problem, run.seed, Some(&hand_tuned), |r, report| {
            progress.observe(r, report);
            ControlFlow::Continue(())
        })?;
        progress.finish();
        let hand = protocol
            .evaluate(&problem, &targets, &hand_tuned)
            .map_err(|e| anyhow::anyhow!("the hand-tuned parameters cannot be evaluated: {e}"))?;
        let fitted = protocol
            .evaluate(&problem, &targets, &outcome.best_x)
            .map_err(|e| anyhow::anyhow!("the fitted parameters cannot be evaluated: {e}"))?;
        let (lower, upper) = parameterisation.bounds();
        let summary = run_summary(&hand, &fitted, &outcome);
        ctx.write_json(
            FIT_FILE,
            &FitRecord {
                names: parameterisation.names(),
                lower,
                upper,
                hand_tuned,
                outcome,
            },
        )?;
        ctx.write_json(HAND_FILE, &hand)?;
        ctx.write_json(FITTED_FILE, &fitted)?;
        Ok(summary)
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let run = ctx.runs.first().context("fig3d has no finished run")?;
        let config: Fig3dConfig = serde_json::from_value(run.spec.config.clone())?;
        let references: Vec<Reference> = run.read_json(REFERENCES_FILE)?;
        let fit: FitRecord = run.read_json(FIT_FILE)?;
        let hand: ModelEvaluation = run.read_json(HAND_FILE)?;
        let fitted: ModelEvaluation = run.read_json(FITTED_FILE)?;
        let data = RenderData {
            config: &config,
            references: &references,
            fit: &fit,
            hand: &hand,
            fitted: &fitted,
        };
        let mut outputs = figures::render(&data, out)?;
        outputs.extend(tables::render(&data, out)?);
        Ok(Rendered {
            outputs,
            metrics: metrics(&data),
        })
    }
}

/// Everything the figures and tables of one fig3d run need.
pub(crate) struct RenderData<'a> {
    pub config: &'a Fig3dConfig,
    pub references: &'a [Reference],
    pub fit: &'a FitRecord,
    pub hand: &'a ModelEvaluation,
    pub fitted: &'a ModelEvaluation,
}

impl RenderData<'_> {
    /// The scale of the search, for captions.
    pub fn budget_words(&self) -> String {
        let b = &self.config.protocol.budget;
        let h = &self.config.protocol.held_out;
        format!(
            "CMA-ES with {} restart(s) of ≤ {} generations (restart 0 from the hand-tuned point, the \
             others from the best of {} random points of the box; population {} doubling every \
             second restart, at most 4×), {} candidates evaluated, {} rejected; held-out set of {} \
             variants per shape and {} noisy currents",
            b.restarts,
            b.generations,
            b.screen,
            b.population,
            self.fit.outcome.evaluations,
            self.fit.outcome.rejected,
            h.per_shape,
            h.noise
        )
    }
}

/// The headline numbers of a run, stored as its summary.
fn run_summary(hand: &ModelEvaluation, fitted: &ModelEvaluation, outcome: &FitOutcome) -> Value {
    let train = summarise(&fitted.training);
    let held = summarise(&fitted.held_out);
    let hand_held = summarise(&hand.held_out);
    let wins = contest(&hand.held_out, &fitted.held_out);
    json!({
        "training_loss_hand_tuned": hand.training_loss,
        "training_loss_fitted": fitted.training_loss,
        "gamma_heldout_min": held.gamma_min,
        "gamma_heldout_mean": held.gamma_mean,
        "gamma_heldout_mean_hand_tuned": hand_held.gamma_mean,
        "spike_count_error_train": train.count_error_total,
        "fitted_wins_heldout_metrics": wins.iter().filter(|c| c.b_wins).count(),
        "heldout_metrics": wins.len(),
        "evaluations": outcome.evaluations,
        "rejected_candidates": outcome.rejected,
    })
}

/// Metrics for `metrics.json`.
fn metrics(d: &RenderData<'_>) -> Vec<(String, f64)> {
    let train = summarise(&d.fitted.training);
    let held = summarise(&d.fitted.held_out);
    let wins = contest(&d.hand.held_out, &d.fitted.held_out);
    let mut m = vec![
        ("gamma_heldout_min".to_string(), held.gamma_min),
        ("gamma_heldout_mean".into(), held.gamma_mean),
        (
            "spike_count_error_train".into(),
            train.count_error_total as f64,
        ),
        (
            "spike_count_error_train_hand_tuned".into(),
            summarise(&d.hand.training).count_error_total as f64,
        ),
        ("training_loss_fitted".into(), d.fitted.training_loss),
        ("training_loss_hand_tuned".into(), d.hand.training_loss),
        (
            "fitted_wins_heldout_metrics".into(),
            wins.iter().filter(|c| c.b_wins).count() as f64,
        ),
        ("rejected_candidates".into(), d.fit.outcome.rejected as f64),
    ];
    let keys = [
        "count_error",
        "abs_isi_difference_ms",
        "normalised_offset",
        "gamma_mean",
        "van_rossum",
        "victor_purpura",
    ];
    for (key, c) in keys.iter().zip(&wins) {
        if let Some(v) = c.a.filter(|v| v.is_finite()) {
            m.push((format!("heldout_{key}_hand_tuned"), v));
        }
        if let Some(v) = c.b.filter(|v| v.is_finite()) {
            m.push((format!("heldout_{key}_fitted"), v));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::DepRuns;

    /// Golden case on the smoke profile: the run executes end to end, the hand-tuned
    /// parameters reproduce the measured Fig. 3d spike counts (5, 8, 7, 14, 4 against HH's
    /// 5, 8, 8, 6, 5 from the authors' initial state), the fit never does worse than its
    /// starting point on the training loss, and the outputs render.
    #[test]
    fn golden_smoke_run_and_render() {
        let tmp = tempfile::tempdir().unwrap();
        let progress = RunProgress::hidden();
        let deps = DepRuns::new();
        let ctx = RunContext::new(Profile::Smoke, tmp.path(), &progress, &deps);
        let run = Fig3d.runs(Profile::Smoke).unwrap().remove(0);
        let summary = Fig3d.execute(&run, &ctx).unwrap();
        let hand: ModelEvaluation =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join(HAND_FILE)).unwrap())
                .unwrap();
        let counts: Vec<(usize, usize)> = hand
            .training
            .iter()
            .map(|e| (e.unit2.reference_count, e.unit2.other_count))
            .collect();
        assert_eq!(counts, vec![(5, 5), (8, 8), (8, 7), (6, 14), (5, 4)]);
        // Constant current: the paper's two metrics are defined and small.
        let constant = &hand.training[0].unit2;
        assert!(constant.normalised_offset.unwrap() < 0.1);
        assert!((constant.gamma - 1.0).abs() < 1e-12);
        let (h, f) = (
            summary["training_loss_hand_tuned"].as_f64().unwrap(),
            summary["training_loss_fitted"].as_f64().unwrap(),
        );
        assert!(f <= h + 1e-12, "fitted {f} vs hand-tuned {h}");
        assert_eq!(summary["heldout_metrics"], 6);
        // 16 parameters: the paper's 12 and the initial potentials, which the hand-tuned start
        // sets to the reset, 0.
        let fit: FitRecord =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join(FIT_FILE)).unwrap())
                .unwrap();
        assert_eq!(fit.names.len(), 16);
        assert_eq!(fit.names[12..], ["u0_1", "u0_2", "u0_3", "u0_4"]);
        assert_eq!(fit.hand_tuned[12..], [0.0; 4]);
        assert_eq!(fit.outcome.best_x.len(), 16);
        assert_eq!(
            ctx.files(),
            vec![FIT_FILE, FITTED_FILE, HAND_FILE, REFERENCES_FILE]
        );
        let references: Vec<Reference> = serde_json::from_str(
            &std::fs::read_to_string(tmp.path().join(REFERENCES_FILE)).unwrap(),
        )
        .unwrap();
        assert_eq!(references.len(), 5 + 5 + 1, "5 shapes, 5 variants, 1 noise");

        // Render from the stored artefacts, as the pipeline does.
        let record = crate::registry::RunRecord {
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
        };
        let out_dir = tempfile::tempdir().unwrap();
        let writer = OutputWriter::new(out_dir.path(), ID, Profile::Smoke, false);
        let runs = [record];
        let render_ctx = RenderContext {
            profile: Profile::Smoke,
            runs: &runs,
            deps: &deps,
        };
        let rendered = Fig3d.render(&render_ctx, &writer).unwrap();
        let names: Vec<&str> = rendered.outputs.iter().map(|o| o.name.as_str()).collect();
        assert!(names.contains(&"fig3d_equivalence_slif2hh"), "{names:?}");
        assert!(names.contains(&"fig3d_rasters"), "{names:?}");
        let metric = |k: &str| rendered.metrics.iter().find(|(n, _)| n == k).map(|m| m.1);
        assert!(metric("gamma_heldout_min").unwrap() <= 1.0);
        assert!(metric("spike_count_error_train").is_some());
        assert!(rendered.metrics.iter().all(|(_, v)| v.is_finite()));
        let table =
            std::fs::read_to_string(out_dir.path().join("tables/fig3d_equivalence_slif2hh.csv"))
                .unwrap();
        // Header + (5 training + 6 held-out stimuli) × 2 models.
        assert_eq!(table.lines().count(), 1 + 11 * 2);
    }

    #[test]
    fn profiles_scale_the_budget_and_held_out_set() {
        let smoke = protocol_for(Profile::Smoke);
        let quick = protocol_for(Profile::Quick);
        let paper = protocol_for(Profile::Paper);
        assert!(smoke.budget.total_generations() < quick.budget.total_generations());
        assert!(quick.budget.total_generations() < paper.budget.total_generations());
        assert_eq!(quick.held_out.per_shape * 5 + quick.held_out.noise, 25);
        assert_eq!(quick.hh_initial, HhInitialState::AuthorsScript);
        assert_eq!(Fig3d.runs(Profile::Quick).unwrap().len(), 1);
    }
}
