//! Shared code of the deep-RL experiments (Fig. 4d, 4i; PAPER.md §5): the per-profile scale,
//! run specs, execution of one SAC run, and reward curves.

use crate::output::plot::{LinePanel, Series, SeriesKind};
use crate::profile::Profile;
use crate::registry::{RunContext, RunRecord, RunSpec};
use anyhow::{Context, Result};
use icnet_control::env::{double_pendulum, pendulum};
use icnet_control::sac::run::{
    train_resumable, Checkpointing, Policy, RunConfig, RunRecord as SacRecord,
};
use icnet_control::sac::ActorKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The run artefact: the per-step rewards and episode summaries.
pub const RECORD_FILE: &str = "sac_record.json";

/// The two tasks: (metric/output id, gymnasium name of the env crate). Metric names must be
/// lowercase, so outputs use the task ids.
pub const TASKS: [(&str, &str); 2] = [
    ("inverted-pendulum", pendulum::NAME),
    ("inverted-double-pendulum", double_pendulum::NAME),
];

/// Fraction of the steps averaged for the final reward (the last 10 %).
pub const FINAL_FRACTION: f64 = 0.1;

/// How a profile scales the reference workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    /// Steps of the single-pendulum runs.
    pub single_steps: usize,
    /// Steps of the double-pendulum runs.
    pub double_steps: usize,
    /// Uniform random steps before learning.
    pub random_steps: usize,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Moving-average window of the curves, steps.
    pub smoothing: usize,
}

impl Scale {
    /// The scale of `profile`.
    pub fn of(profile: Profile) -> Self {
        match profile {
            Profile::Paper => Scale {
                single_steps: 101_100,
                double_steps: 301_100,
                random_steps: 2000,
                seeds: (0..11).collect(),
                smoothing: 1000,
            },
            Profile::Quick => Scale {
                single_steps: 3000,
                double_steps: 3000,
                random_steps: 500,
                seeds: vec![0, 1],
                smoothing: 100,
            },
            Profile::Smoke => Scale {
                single_steps: 300,
                double_steps: 300,
                random_steps: 100,
                seeds: vec![0],
                smoothing: 50,
            },
        }
    }

    /// Steps of a task's runs.
    pub fn steps(&self, task: &str) -> usize {
        if task == double_pendulum::NAME {
            self.double_steps
        } else {
            self.single_steps
        }
    }

    /// A caption fragment stating the scale.
    pub fn describe(&self, profile: Profile) -> String {
        if profile == Profile::Paper {
            format!(
                "reference settings: {} steps (single pendulum), {} (double), {} random steps, \
                 {} seeds, moving average over {} steps",
                self.single_steps,
                self.double_steps,
                self.random_steps,
                self.seeds.len(),
                self.smoothing
            )
        } else {
            format!(
                "scaled down ({} profile): {} steps per run instead of 101 100 (single) and \
                 301 100 (double), {} random steps instead of 2 000, {} seed(s) instead of 11, \
                 moving average over {} steps instead of 1 000",
                profile.name(),
                self.single_steps,
                self.random_steps,
                self.seeds.len(),
                self.smoothing
            )
        }
    }
}

/// What one run is: the SAC configuration plus the output ids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RlRun {
    /// Output id of the task (see [`TASKS`]).
    pub task_id: String,
    /// Condition label within the experiment (`clean`, `state`, `reward`).
    pub condition: String,
    /// The training run.
    pub run: RunConfig,
}

impl RlRun {
    /// The policy id (`ann`…`4lif`, or `random`).
    pub fn policy_id(&self) -> &'static str {
        match self.run.policy {
            Policy::Sac(kind) => kind.id(),
            Policy::Random => "random",
        }
    }
}

/// The spec of one run; `condition` is (label, σ of the state noise, σ of the reward noise).
pub fn run_spec(
    experiment: &str,
    profile: Profile,
    task: (&str, &str),
    policy: Policy,
    seed: u64,
    condition: (&str, f64, f64),
) -> Result<RunSpec> {
    let (condition, state_noise, reward_noise) = condition;
    let scale = Scale::of(profile);
    let mut run = RunConfig::reference(task.1, policy, seed);
    run.steps = scale.steps(task.1);
    run.random_steps = scale.random_steps;
    run.replay = run.replay.min(run.steps);
    run.state_noise = state_noise;
    run.reward_noise = reward_noise;
    let rl = RlRun {
        task_id: task.0.to_string(),
        condition: condition.to_string(),
        run,
    };
    let label = format!("{}/{condition}/{}/seed{seed}", task.0, rl.policy_id());
    Ok(RunSpec::new(
        experiment,
        label,
        serde_json::to_value(&rl)?,
        seed,
    ))
}

/// Single-core milliseconds per environment step (one update), per policy, for the planner:
/// the CPU time of quick-profile runs (3 000 steps, double pendulum, idle 2-core machine:
/// ann 7.3 s, lif 9.1, hh 10.0, slif2hh 23.5, 4lif 23.2) per step, rounded up by ~10 %.
pub fn ms_per_step(policy: Policy) -> f64 {
    match policy {
        Policy::Random => 0.02,
        Policy::Sac(ActorKind::Ann) => 2.7,
        Policy::Sac(ActorKind::Lif) => 3.4,
        Policy::Sac(ActorKind::Hh) => 3.7,
        Policy::Sac(ActorKind::SLif2Hh) => 8.6,
        Policy::Sac(ActorKind::FourLif) => 8.5,
    }
}

/// Estimated wall time of a run on one core.
pub fn estimated_seconds(run: &RunSpec) -> f64 {
    match serde_json::from_value::<RlRun>(run.config.clone()) {
        Ok(rl) => 1.0 + rl.run.steps as f64 * ms_per_step(rl.run.policy) / 1e3,
        Err(_) => 60.0,
    }
}

/// Environment steps between checkpoints of a run of `steps` steps: about ten per run, at
/// least 1 000 steps apart (a checkpoint holds the replay buffer).
pub fn checkpoint_every(steps: usize) -> usize {
    (steps / 10).max(1_000)
}

/// Executes one run: trains (checkpointing beside the cache, so a killed run continues
/// where it stopped), writes [`RECORD_FILE`], returns the summary.
pub fn execute(run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
    let rl: RlRun = serde_json::from_value(run.config.clone())
        .context("run config is not a deep-RL run config")?;
    ctx.progress.set_total(rl.run.steps as u64);
    let checkpoint = ctx.checkpoint_path();
    let checkpointing = Checkpointing {
        path: &checkpoint,
        every: checkpoint_every(rl.run.steps),
    };
    let record = train_resumable(&rl.run, Some(checkpointing), &mut |step, last| {
        ctx.progress.set_position(step as u64);
        if last.is_finite() {
            ctx.progress
                .set_message(format!("episode shaped reward {last:.0}"));
        }
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", run.label))?;
    ctx.write_json(RECORD_FILE, &record)?;
    let _ = std::fs::remove_file(&checkpoint);
    let mean = record.shaped.iter().map(|&v| f64::from(v)).sum::<f64>()
        / record.shaped.len().max(1) as f64;
    Ok(serde_json::json!({
        "final_reward": record.final_reward(FINAL_FRACTION),
        "mean_reward": mean,
        "episodes": record.episodes.len(),
        "updates": record.updates,
    }))
}

/// A finished run with its parsed config.
pub struct Finished<'a> {
    /// The record.
    pub record: &'a RunRecord,
    /// Its config.
    pub rl: RlRun,
}

/// Parses the configs of finished runs.
pub fn finished(runs: &[RunRecord]) -> Result<Vec<Finished<'_>>> {
    runs.iter()
        .map(|r| {
            Ok(Finished {
                record: r,
                rl: serde_json::from_value(r.spec.config.clone()).with_context(|| {
                    format!(
                        "run {} has no deep-RL config; delete {} to recompute it",
                        r.spec.label,
                        r.dir.display()
                    )
                })?,
            })
        })
        .collect()
}

/// Trailing moving average over `window` steps (shorter at the start).
pub fn moving_average(values: &[f32], window: usize) -> Vec<f64> {
    let window = window.max(1);
    let mut out = Vec::with_capacity(values.len());
    let mut sum = 0.0;
    for (i, &v) in values.iter().enumerate() {
        sum += f64::from(v);
        if i >= window {
            sum -= f64::from(values[i - window]);
        }
        out.push(sum / (i + 1).min(window) as f64);
    }
    out
}

/// Points drawn per curve at most.
const MAX_POINTS: usize = 400;

/// The mean ± s.d. over runs of the moving-average shaped reward, thinned for plotting:
/// `(step, mean, s.d.)`.
pub fn curve(group: &[&Finished<'_>], smoothing: usize) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let smoothed: Vec<Vec<f64>> = group
        .iter()
        .map(|f| {
            let rec: SacRecord = f.record.read_json(RECORD_FILE)?;
            Ok(moving_average(&rec.shaped, smoothing))
        })
        .collect::<Result<_>>()?;
    let steps = smoothed.iter().map(Vec::len).min().unwrap_or(0);
    let stride = steps.div_ceil(MAX_POINTS).max(1);
    let (mut x, mut mean, mut sd) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = stride - 1;
    while i < steps {
        let values: Vec<f64> = smoothed.iter().map(|s| s[i]).collect();
        let (m, s) = super::multitask::mean_sd(&values);
        x.push((i + 1) as f64);
        mean.push(m);
        sd.push(s);
        i += stride;
    }
    Ok((x, mean, sd))
}

/// One panel: a band per policy of `groups` (label, runs, colour).
pub fn panel(
    title: &str,
    groups: &[(String, Vec<&Finished<'_>>, usize)],
    smoothing: usize,
) -> Result<LinePanel> {
    let mut panel = LinePanel::new(
        title,
        "environment step",
        format!("shaped reward per step ({smoothing}-step moving average)"),
    );
    for (label, group, color) in groups {
        if group.is_empty() {
            continue;
        }
        let (x, mean, sd) = curve(group, smoothing)?;
        let lower = mean.iter().zip(&sd).map(|(m, s)| m - s).collect();
        let upper = mean.iter().zip(&sd).map(|(m, s)| m + s).collect();
        let series = if label == "random" {
            Series::line(label.clone(), x, mean, *color).with_kind(SeriesKind::Dashed)
        } else {
            Series::line(label.clone(), x, mean, *color)
                .with_kind(SeriesKind::Band { lower, upper })
        };
        panel = panel.with(series);
    }
    Ok(panel.with_legend(crate::output::plot::Legend::LowerRight))
}

/// The final rewards of a group (one per run, from the summaries).
pub fn final_rewards(group: &[&Finished<'_>]) -> Result<Vec<f64>> {
    group
        .iter()
        .map(|f| f.record.summary_f64("final_reward"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_is_trailing_and_shorter_at_the_start() {
        let m = moving_average(&[2.0, 4.0, 6.0, 8.0], 2);
        assert_eq!(m, vec![2.0, 3.0, 5.0, 7.0]);
    }
}
