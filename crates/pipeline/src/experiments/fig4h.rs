//! Fig. 4h: accuracy of the ten models on Multi-(Fashion+MNIST) when one fixed noise image
//! A·N(0, 1) is added to every training and test image, A ∈ {0, 25, 50, 75} on the byte scale
//! (PAPER.md §4). The noise-free runs are Fig. 4c's, reused.

use super::fig4c;
use super::multitask::{self, curves, mean_sd, Finished, Scale, CONV_MODELS, FC_MODELS};
use crate::output::plot::{LinePanel, PanelGrid, Series, SeriesKind};
use crate::output::{Cell, OutputWriter, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::Result;
use icnet_data::DatasetKind;
use serde_json::Value;

/// Experiment id.
pub const ID: &str = "fig4h";
/// Noise amplitudes A of the paper (byte scale).
pub const AMPLITUDES: [f32; 4] = [0.0, 25.0, 50.0, 75.0];
/// The data set of Fig. 4h.
pub const DATASET: DatasetKind = DatasetKind::MultiFashionMnist;

/// Fig. 4h, all ten models.
pub struct Fig4h;

impl Experiment for Fig4h {
    fn id(&self) -> &'static str {
        ID
    }
    fn paper_ref(&self) -> &'static str {
        "Fig. 4h"
    }
    fn title(&self) -> &'static str {
        "accuracy of the ten models under a fixed input-noise image of amplitude A"
    }
    fn depends_on(&self) -> &'static [&'static str] {
        &[fig4c::ID]
    }

    fn prepare(&self, _profile: Profile) -> Result<()> {
        multitask::prepare(&[DATASET])
    }

    fn estimated_seconds(&self, profile: Profile, run: &RunSpec) -> f64 {
        multitask::estimate::estimated_seconds(run)
            .unwrap_or_else(|| crate::registry::default_estimated_seconds(profile))
    }

    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
        let mut runs = Vec::new();
        for amplitude in AMPLITUDES.into_iter().filter(|&a| a != 0.0) {
            for model in FC_MODELS.into_iter().chain(CONV_MODELS) {
                for seed in Scale::for_model(profile, model).seeds {
                    let config = multitask::config(profile, DATASET, model, seed, amplitude)?;
                    runs.push(multitask::run_spec(ID, &config)?);
                }
            }
        }
        Ok(runs)
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        multitask::execute(run, ctx)
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let mut runs = multitask::finished(ctx.runs)?;
        // A = 0 is Fig. 4c's Multi-(Fashion+MNIST) runs.
        if let Some(base) = ctx.deps.get(fig4c::ID) {
            runs.extend(
                multitask::finished(base)?
                    .into_iter()
                    .filter(|f| f.config.dataset == DATASET && f.config.noise_amplitude == 0.0),
            );
        }
        let fc_scale = multitask::describe_models(ctx.profile, &FC_MODELS);
        let conv_scale = multitask::describe_models(ctx.profile, &CONV_MODELS);
        let scale =
            format!("fully-connected models: {fc_scale}; convolutional models: {conv_scale}");
        let mut metrics = Vec::new();
        let mut table = Table::new([
            "model",
            "A",
            "mean accuracy (%)",
            "s.d.",
            "task 1 (%)",
            "task 2 (%)",
            "seeds",
        ]);
        let new_panel = |kind: &str| {
            LinePanel::new(
                format!("Multi-(Fashion+MNIST) with fixed noise, {kind} models"),
                "noise amplitude A (grey levels)",
                "mean test accuracy of both tasks (%)",
            )
        };
        let mut panels = [new_panel("fully-connected"), new_panel("convolutional")];
        for (group, models) in [&FC_MODELS, &CONV_MODELS].into_iter().enumerate() {
            for (i, model) in models.iter().enumerate() {
                let (mut xs, mut means, mut lows, mut highs) = (vec![], vec![], vec![], vec![]);
                for amplitude in AMPLITUDES {
                    let group: Vec<&Finished> = runs
                        .iter()
                        .filter(|f| {
                            f.config.train.model == *model && f.config.noise_amplitude == amplitude
                        })
                        .collect();
                    if group.is_empty() {
                        continue;
                    }
                    let both: Vec<f64> = group.iter().map(|f| (f.acc1 + f.acc2) / 2.0).collect();
                    let (m, s) = mean_sd(&both);
                    let (t1, _) = mean_sd(&group.iter().map(|f| f.acc1).collect::<Vec<_>>());
                    let (t2, _) = mean_sd(&group.iter().map(|f| f.acc2).collect::<Vec<_>>());
                    table.push_row(vec![
                        Cell::text(model.id()),
                        Cell::float(amplitude as f64, 0),
                        Cell::float(m, 2),
                        Cell::float(s, 2),
                        Cell::float(t1, 2),
                        Cell::float(t2, 2),
                        Cell::Int(group.len() as i64),
                    ])?;
                    metrics.push((format!("{}.a{}.acc", model.id(), amplitude as u32), m));
                    xs.push(amplitude as f64);
                    means.push(m);
                    lows.push(m - s);
                    highs.push(m + s);
                }
                let panel = std::mem::replace(&mut panels[group], new_panel(""));
                panels[group] = panel.with(Series::line(model.id(), xs, means, i).with_kind(
                    SeriesKind::Band {
                        lower: lows,
                        upper: highs,
                    },
                ));
            }
        }
        let noise_note = format!(
            "One noise image A·N(0, 1) (seed {}), the same pattern at every A, added to every training \
             and test image on the byte scale; the models are trained and tested on the noisy data; \
             A = 0 reuses the Fig. 4c runs",
            multitask::NOISE_SEED
        );
        let mut outputs = vec![
            out.table(
                "fig4h",
                &format!(
                    "Mean test accuracy of both tasks on Multi-(Fashion+MNIST) against the noise \
                     amplitude A, mean and s.d. over seeds. {noise_note}; {scale}."
                ),
                &table,
            )?
            .deviation(format!("Scaled: {scale}.")),
            out.figure(
                "fig4h_noise",
                &format!(
                    "Accuracy (mean of both tasks) against noise amplitude, mean ± s.d. over seeds. \
                     {noise_note}; {scale}."
                ),
                &PanelGrid { title: Some("Fig. 4h".into()), rows: 1, cols: 2, panels: panels.into(), size: (1600, 650) },
            )?
            .deviation(format!("Scaled: {scale}.")),
        ];
        for (id, kind, models, scale) in [
            ("fig4h_curves", "fully-connected", &FC_MODELS, &fc_scale),
            (
                "fig4h_curves_conv",
                "convolutional",
                &CONV_MODELS,
                &conv_scale,
            ),
        ] {
            let mut curve_panels = Vec::new();
            for amplitude in AMPLITUDES {
                let subset: Vec<Finished> = runs
                    .iter()
                    .filter(|f| f.config.noise_amplitude == amplitude)
                    .map(|f| Finished {
                        config: f.config.clone(),
                        acc1: f.acc1,
                        acc2: f.acc2,
                        record: f.record.clone(),
                    })
                    .collect();
                curve_panels.push(curves::panel(
                    &format!("A = {amplitude}, task 1"),
                    &subset,
                    models,
                    1,
                )?);
            }
            outputs.push(
            out.figure(
                id,
                &format!("Task-1 test accuracy after every epoch per noise amplitude, mean ± s.d. over seeds, {kind} models; {scale}."),
                &PanelGrid { title: Some(format!("Fig. 4h learning curves ({kind} models)")), rows: 2, cols: 2, panels: curve_panels, size: (1400, 1000) },
            )?
            .deviation("The paper shows no learning curves; they are here to show every run converged."),
        );
        }
        Ok(Rendered { outputs, metrics })
    }
}
