//! Robustness (issue 7, serving Fig. 4h): for every model, the mean accuracy of both tasks
//! against the amplitude of the fixed noise image, the degradation relative to the
//! noise-free run, the area under the accuracy–noise curve normalised to the noise-free
//! accuracy (1 = no loss), and a ranking with bootstrap confidence intervals over seeds.
//! It trains nothing: it reads Fig. 4c's (A = 0) and Fig. 4h's runs and analyses them with
//! `icnet_analysis::robustness`.

use super::multitask::{self, Finished, CONV_MODELS, FC_MODELS};
use super::{fig4c, fig4h};
use crate::output::{Cell, OutputWriter, Table};
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::{bail, Result};
use icnet_analysis::robustness::{analyse_robustness, BootstrapConfig, ModelCurves, NoiseSweep};
use icnet_train::ModelKind;
use serde_json::Value;
use std::collections::BTreeMap;

/// Experiment id.
pub const ID: &str = "robustness";

/// Bootstrap resamples of the ranking's confidence intervals.
pub const RESAMPLES: usize = 10_000;

/// The robustness analysis of the Fig. 4h sweep.
pub struct Robustness;

/// The score curve of each seed of `model` that has a finished run at every amplitude of
/// `amplitudes`: seed → mean test accuracy of both tasks at each amplitude.
pub fn seed_curves(
    runs: &[Finished],
    model: ModelKind,
    amplitudes: &[f32],
) -> BTreeMap<u64, Vec<f64>> {
    let mut by_seed: BTreeMap<u64, BTreeMap<u32, f64>> = BTreeMap::new();
    for f in runs.iter().filter(|f| f.config.train.model == model) {
        by_seed
            .entry(f.config.train.seed)
            .or_default()
            .insert(f.config.noise_amplitude.to_bits(), (f.acc1 + f.acc2) / 2.0);
    }
    by_seed
        .into_iter()
        .filter_map(|(seed, at)| {
            amplitudes
                .iter()
                .map(|a| at.get(&a.to_bits()).copied())
                .collect::<Option<Vec<f64>>>()
                .map(|curve| (seed, curve))
        })
        .collect()
}

/// [`seed_curves`] of every model in `models` that has at least one complete seed.
pub fn curves(runs: &[Finished], models: &[ModelKind], amplitudes: &[f32]) -> Vec<ModelCurves> {
    models
        .iter()
        .filter_map(|&model| {
            let scores: Vec<Vec<f64>> =
                seed_curves(runs, model, amplitudes).into_values().collect();
            (!scores.is_empty()).then(|| ModelCurves {
                model: model.id().to_string(),
                scores,
            })
        })
        .collect()
}

impl Experiment for Robustness {
    fn id(&self) -> &'static str {
        ID
    }
    fn paper_ref(&self) -> &'static str {
        "Fig. 4h (analysis)"
    }
    fn title(&self) -> &'static str {
        "robustness to input noise: normalised area under the accuracy-noise curve and a ranking over seeds"
    }
    fn depends_on(&self) -> &'static [&'static str] {
        &[fig4c::ID, fig4h::ID]
    }

    fn runs(&self, _profile: crate::profile::Profile) -> Result<Vec<RunSpec>> {
        Ok(Vec::new())
    }

    fn execute(&self, run: &RunSpec, _ctx: &RunContext<'_>) -> Result<Value> {
        bail!("{ID} has no runs of its own (asked for {})", run.label)
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let mut runs = Vec::new();
        if let Some(base) = ctx.deps.get(fig4c::ID) {
            runs.extend(
                multitask::finished(base)?.into_iter().filter(|f| {
                    f.config.dataset == fig4h::DATASET && f.config.noise_amplitude == 0.0
                }),
            );
        }
        if let Some(noisy) = ctx.deps.get(fig4h::ID) {
            runs.extend(multitask::finished(noisy)?);
        }
        let models: Vec<ModelKind> = FC_MODELS.into_iter().chain(CONV_MODELS).collect();
        let sweep = NoiseSweep {
            amplitudes: fig4h::AMPLITUDES.iter().map(|&a| a as f64).collect(),
            models: curves(&runs, &models, &fig4h::AMPLITUDES),
        };
        anyhow::ensure!(
            !sweep.models.is_empty(),
            "robustness found no model with runs at every amplitude {:?}; run fig4c and fig4h first",
            fig4h::AMPLITUDES
        );
        let report = analyse_robustness(
            &sweep,
            &BootstrapConfig {
                resamples: RESAMPLES,
                seed: 0,
            },
        )?;
        let mut table = Table::new([
            "rank",
            "model",
            "seeds",
            "normalised AUC",
            "AUC 95% CI (t)",
            "AUC 95% CI (bootstrap)",
            "accuracy A=0 (%)",
            "accuracy A=75 (%)",
            "relative drop at A=75",
            "resolved from next rank",
        ]);
        let interval = |i: Option<icnet_analysis::stats::Interval>| match i {
            Some(i) => Cell::text(format!("[{:.3}, {:.3}]", i.low, i.high)),
            None => Cell::text("n/a (one seed)"),
        };
        let mut metrics = Vec::new();
        for entry in &report.ranking {
            let m = report
                .models
                .iter()
                .find(|m| m.model == entry.model)
                .expect("every ranked model has results");
            let last = m.score.len() - 1;
            table.push_row(vec![
                Cell::Int(entry.rank as i64),
                Cell::text(&m.model),
                Cell::Int(m.auc.n as i64),
                Cell::float(m.auc.mean, 3),
                interval(m.auc.ci95),
                interval(m.auc_bootstrap_ci95),
                Cell::float(m.score[0].mean, 2),
                Cell::float(m.score[last].mean, 2),
                Cell::float(m.relative_drop[last].mean, 3),
                Cell::text(if entry.separated_from_next {
                    "yes"
                } else {
                    "no"
                }),
            ])?;
            metrics.push((format!("{}.auc", m.model), m.auc.mean));
        }
        let outputs = vec![out
            .table(
                "robustness",
                &format!(
                    "Robustness of each model to the fixed noise image of Fig. 4h on \
                     Multi-(Fashion+MNIST): score = mean test accuracy of both tasks; normalised AUC \
                     = trapezoid area under score(A) for A ∈ {{0, 25, 50, 75}} divided by score(0)·75 \
                     (1 = no loss), per seed, then mean with Student-t and percentile-bootstrap \
                     ({RESAMPLES} resamples, seed 0) 95 % intervals over seeds; models ranked by mean \
                     AUC, \"resolved\" when the bootstrap interval lies above the next model's. \
                     Profile {}: the seeds are those of the Fig. 4c/4h runs (one seed gives no \
                     interval).",
                    ctx.profile.name()
                ),
                &table,
            )?
            .deviation(
                "Our analysis, not a panel of the paper: the paper shows the accuracy-noise curves (our fig4h_noise) without a summary statistic.",
            )];
        Ok(Rendered { outputs, metrics })
    }
}
