//! Replays reference episodes recorded from gymnasium's v5 environments
//! (`scripts/gym_fixture.py`) with the Rust port and measures the difference.
//!
//! Fixture shape (JSON): `{"InvertedPendulum-v5": {"dt": …, "episodes": [{"qpos0": […],
//! "qvel0": […], "actions": [[…], …], "observations": [[…], …], "rewards": […],
//! "terminated_at": n | null}, …]}, "InvertedDoublePendulum-v5": {…}}`. `observations[0]` is the
//! reset observation of (qpos0, qvel0) and `observations[i + 1]` follows `actions[i]`;
//! `terminated_at` is the index of the step that terminated, or null if the recording stopped
//! at its step cap. `rewards` is optional; other fields (`kind`, `seed`, …) are ignored.
//!
//! Each episode starts from its recorded state and is driven by its recorded actions; the
//! comparison covers every observation component of every step up to and including the
//! reference's termination step, the task reward, and the termination flag of every step.

use crate::env::{Env, InvertedDoublePendulum, InvertedPendulum};
use crate::error::ControlError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest acceptable |observation difference| over a fixture (issue 6).
pub const MAX_OBS_ERROR_BAR: f64 = 1e-3;

#[derive(Deserialize)]
struct TaskFixture {
    dt: f64,
    episodes: Vec<EpisodeFixture>,
}

#[derive(Deserialize)]
struct EpisodeFixture {
    qpos0: Vec<f64>,
    qvel0: Vec<f64>,
    actions: Vec<Vec<f64>>,
    observations: Vec<Vec<f64>>,
    #[serde(default)]
    rewards: Option<Vec<f64>>,
    terminated_at: Option<usize>,
}

/// Where the largest observation difference of a replay occurred.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorstStep {
    /// Task name.
    pub task: String,
    /// Episode index in the fixture.
    pub episode: usize,
    /// Observation index (0 = reset observation, i + 1 = after action i).
    pub observation: usize,
    /// Observation component.
    pub component: usize,
    /// The port's value.
    pub port: f64,
    /// The reference value.
    pub reference: f64,
}

/// Replay summary of one task.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskReport {
    /// Episodes replayed.
    pub episodes: usize,
    /// Environment steps replayed.
    pub steps: usize,
    /// Largest |port − reference| over every observation component compared.
    pub max_abs_obs_error: f64,
    /// Largest |port − reference| of the task reward (0 if the fixture has no rewards).
    pub max_abs_reward_error: f64,
    /// Steps whose termination flag differs (the episode's replay stops at the first one).
    pub termination_mismatches: usize,
    /// Steps after which the port had a joint-limit row active (shows the limit path is tested).
    pub limit_active_steps: usize,
    /// Where `max_abs_obs_error` occurred.
    pub worst: Option<WorstStep>,
}

/// Replay summary of a whole fixture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplayReport {
    /// The fixture replayed.
    pub reference: PathBuf,
    /// Largest observation difference over all tasks, episodes, steps and components.
    pub max_abs_obs_error: f64,
    /// Largest reward difference over all tasks.
    pub max_abs_reward_error: f64,
    /// Termination mismatches over all tasks.
    pub termination_mismatches: usize,
    /// Whether the bars hold: max_abs_obs_error ≤ [`MAX_OBS_ERROR_BAR`] and no mismatch.
    pub passes: bool,
    /// Per-task breakdown, keyed by the gymnasium name.
    pub tasks: BTreeMap<String, TaskReport>,
}

fn field_error(path: &Path, field: String, problem: String) -> ControlError {
    ControlError::FixtureField {
        path: path.to_path_buf(),
        field,
        problem,
    }
}

/// A NaN difference counts as infinitely large.
fn abs_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).abs();
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// A fresh environment for a fixture key, or None for an unknown task.
fn env_for(task: &str) -> Option<Box<dyn Env>> {
    match task {
        crate::env::pendulum::NAME => Some(Box::new(InvertedPendulum::new())),
        crate::env::double_pendulum::NAME => Some(Box::new(InvertedDoublePendulum::new())),
        _ => None,
    }
}

/// Checks one episode's shapes against the task; `at` is its JSON path.
fn validate_episode(
    path: &Path,
    at: &str,
    env: &dyn Env,
    ep: &EpisodeFixture,
) -> Result<(), ControlError> {
    let n = env.dof();
    for (name, values) in [("qpos0", &ep.qpos0), ("qvel0", &ep.qvel0)] {
        if values.len() != n {
            return Err(field_error(
                path,
                format!("{at}.{name}"),
                format!("has {} values but the task has {n}", values.len()),
            ));
        }
    }
    if ep.actions.is_empty() {
        return Err(field_error(
            path,
            format!("{at}.actions"),
            "is empty".into(),
        ));
    }
    if let Some((i, a)) = ep
        .actions
        .iter()
        .enumerate()
        .find(|(_, a)| a.len() != env.action_len())
    {
        return Err(field_error(
            path,
            format!("{at}.actions[{i}]"),
            format!(
                "has {} values but the task takes {}",
                a.len(),
                env.action_len()
            ),
        ));
    }
    if ep.observations.len() != ep.actions.len() + 1 {
        return Err(field_error(
            path,
            format!("{at}.observations"),
            format!(
                "has {} entries but needs one per action plus the reset observation ({})",
                ep.observations.len(),
                ep.actions.len() + 1
            ),
        ));
    }
    if let Some((i, o)) = ep
        .observations
        .iter()
        .enumerate()
        .find(|(_, o)| o.len() != env.observation_len())
    {
        return Err(field_error(
            path,
            format!("{at}.observations[{i}]"),
            format!(
                "has {} values but the task's observation has {}",
                o.len(),
                env.observation_len()
            ),
        ));
    }
    if let Some(rewards) = &ep.rewards {
        if rewards.len() != ep.actions.len() {
            return Err(field_error(
                path,
                format!("{at}.rewards"),
                format!(
                    "has {} entries but there are {} actions",
                    rewards.len(),
                    ep.actions.len()
                ),
            ));
        }
    }
    if let Some(t) = ep.terminated_at {
        if t + 1 != ep.actions.len() {
            return Err(field_error(
                path,
                format!("{at}.terminated_at"),
                format!(
                    "is {t} but the episode has {} actions (it must end at its termination step)",
                    ep.actions.len()
                ),
            ));
        }
    }
    Ok(())
}

/// Replays one validated episode and folds its differences into `report`.
fn replay_episode(
    task: &str,
    index: usize,
    env: &mut dyn Env,
    ep: &EpisodeFixture,
    report: &mut TaskReport,
) -> Result<(), ControlError> {
    let compare = |report: &mut TaskReport, obs_index: usize, port: &[f64]| {
        for (c, (&p, &r)) in port.iter().zip(&ep.observations[obs_index]).enumerate() {
            let d = abs_diff(p, r);
            if d > report.max_abs_obs_error || report.worst.is_none() {
                report.max_abs_obs_error = report.max_abs_obs_error.max(d);
                report.worst = Some(WorstStep {
                    task: task.to_string(),
                    episode: index,
                    observation: obs_index,
                    component: c,
                    port: p,
                    reference: r,
                });
            }
        }
    };
    let obs0 = env.reset_to(&ep.qpos0, &ep.qvel0)?;
    compare(report, 0, &obs0);
    report.episodes += 1;
    for (i, action) in ep.actions.iter().enumerate() {
        let step = env.step(action)?;
        report.steps += 1;
        report.limit_active_steps += usize::from(env.limit_rows() > 0);
        compare(report, i + 1, &step.obs);
        if let Some(rewards) = &ep.rewards {
            report.max_abs_reward_error = report
                .max_abs_reward_error
                .max(abs_diff(step.reward, rewards[i]));
        }
        let reference_terminated = ep.terminated_at == Some(i);
        if step.terminated != reference_terminated {
            report.termination_mismatches += 1;
            break;
        }
        if step.terminated {
            break;
        }
    }
    Ok(())
}

/// Replays every episode of the fixture at `path` and reports the differences
/// (see the module documentation for the fixture and what is compared).
pub fn replay_reference(path: &Path) -> Result<ReplayReport, ControlError> {
    let text = std::fs::read_to_string(path).map_err(|cause| ControlError::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    let fixture: BTreeMap<String, TaskFixture> =
        serde_json::from_str(&text).map_err(|cause| ControlError::FixtureJson {
            path: path.to_path_buf(),
            cause,
        })?;
    if fixture.is_empty() {
        return Err(field_error(
            path,
            "(top level)".into(),
            "has no task; expected InvertedPendulum-v5 and/or InvertedDoublePendulum-v5".into(),
        ));
    }
    let mut tasks = BTreeMap::new();
    for (task, data) in &fixture {
        let mut env = env_for(task).ok_or_else(|| {
            field_error(
                path,
                task.clone(),
                "is not a known task; expected InvertedPendulum-v5 or InvertedDoublePendulum-v5"
                    .into(),
            )
        })?;
        if (data.dt - env.dt()).abs() > 1e-9 {
            return Err(field_error(
                path,
                format!("{task}.dt"),
                format!(
                    "is {} s but the v5 task steps {} s (frame_skip × timestep); record with the default frame_skip",
                    data.dt,
                    env.dt()
                ),
            ));
        }
        if data.episodes.is_empty() {
            return Err(field_error(
                path,
                format!("{task}.episodes"),
                "is empty".into(),
            ));
        }
        for (i, ep) in data.episodes.iter().enumerate() {
            validate_episode(path, &format!("{task}.episodes[{i}]"), env.as_ref(), ep)?;
        }
        let mut report = TaskReport {
            episodes: 0,
            steps: 0,
            max_abs_obs_error: 0.0,
            max_abs_reward_error: 0.0,
            termination_mismatches: 0,
            limit_active_steps: 0,
            worst: None,
        };
        for (i, ep) in data.episodes.iter().enumerate() {
            replay_episode(task, i, env.as_mut(), ep, &mut report)?;
        }
        tasks.insert(task.clone(), report);
    }
    let max_abs_obs_error = tasks
        .values()
        .map(|t| t.max_abs_obs_error)
        .fold(0.0, f64::max);
    let max_abs_reward_error = tasks
        .values()
        .map(|t| t.max_abs_reward_error)
        .fold(0.0, f64::max);
    let termination_mismatches = tasks.values().map(|t| t.termination_mismatches).sum();
    Ok(ReplayReport {
        reference: path.to_path_buf(),
        max_abs_obs_error,
        max_abs_reward_error,
        termination_mismatches,
        passes: max_abs_obs_error <= MAX_OBS_ERROR_BAR && termination_mismatches == 0,
        tasks,
    })
}
