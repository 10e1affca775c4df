//! Learning curves: test accuracy of both tasks against epoch, mean ± s.d. over seeds, one
//! panel per (data set or noise level, task).

use super::{mean_sd, Finished, RECORD_FILE};
use crate::output::plot::{LinePanel, Series, SeriesKind};
use anyhow::Result;
use icnet_train::trainer::TrainRecord;
use icnet_train::ModelKind;

/// A curve over epochs: x (epoch), mean, s.d.
pub type Curve = (Vec<f64>, Vec<f64>, Vec<f64>);

/// Test accuracy curves of one group of runs (same model), mean ± s.d. over seeds, for
/// task `task` (1 or 2). `None` when the group is empty.
pub fn model_curve(runs: &[&Finished], task: usize) -> Result<Option<Curve>> {
    if runs.is_empty() {
        return Ok(None);
    }
    let records: Vec<TrainRecord> = runs
        .iter()
        .map(|f| f.record.read_json(RECORD_FILE))
        .collect::<Result<_>>()?;
    let epochs = records.iter().map(|r| r.curve.len()).min().unwrap_or(0);
    let (mut x, mut mean, mut sd) = (Vec::new(), Vec::new(), Vec::new());
    for e in 0..epochs {
        let values: Vec<f64> = records
            .iter()
            .map(|r| {
                if task == 1 {
                    r.curve[e].test_acc1
                } else {
                    r.curve[e].test_acc2
                }
            })
            .collect();
        let (m, s) = mean_sd(&values);
        x.push((e + 1) as f64);
        mean.push(m);
        sd.push(s);
    }
    Ok(Some((x, mean, sd)))
}

/// One panel of learning curves, a band per model.
pub fn panel(
    title: &str,
    runs: &[Finished],
    models: &[ModelKind],
    task: usize,
) -> Result<LinePanel> {
    let mut panel = LinePanel::new(title, "epoch", format!("task {task} test accuracy (%)"));
    for (i, model) in models.iter().enumerate() {
        let group: Vec<&Finished> = runs
            .iter()
            .filter(|f| f.config.train.model == *model)
            .collect();
        if let Some((x, mean, sd)) = model_curve(&group, task)? {
            let lower = mean.iter().zip(&sd).map(|(m, s)| m - s).collect();
            let upper = mean.iter().zip(&sd).map(|(m, s)| m + s).collect();
            panel = panel.with(
                Series::line(model.id(), x, mean, i).with_kind(SeriesKind::Band { lower, upper }),
            );
        }
    }
    Ok(panel.with_legend(crate::output::plot::Legend::LowerRight))
}
