//! One SAC training run on a control task: the environment loop, the observation window,
//! the shaped reward, optional observation and reward noise, and the per-step record.
//!
//! * Window: the actor sees the last `window` observations, oldest first. At the start of an
//!   episode the window is padded by repeating the first observation (the reference drove the
//!   first 5 steps with a small pretrained ANN instead; we do not have it).
//! * Reward: the agent learns from the shaped reward of PAPER.md §5 ([`Env::shaped_reward`]);
//!   the task's own v5 reward is recorded alongside.
//! * Episodes end at termination (no bootstrap) or at the v5 time limit of 1 000 steps
//!   (truncation: bootstrapped).
//! * Noise (Fig. 4i): `state_noise` adds N(0, σ²) to every observation the agent sees;
//!   `reward_noise` adds N(0, σ²) to the observation the shaped reward is computed from.
//!   The recorded shaped reward is always the noise-free one (what the curves show).
//! * The first `random_steps` actions are uniform in [−1, 1]; from then on one update per
//!   step. Actions in [−1, 1] are scaled to the task's control range.

use super::actor::ActorKind;
use super::agent::{Sac, SacConfig, UpdateStats};
use super::buffer::{Batch, ReplayBuffer};
use super::checkpoint::{EpisodeSums, LoopState};
use crate::env::{double_pendulum, pendulum, Env, InvertedDoublePendulum, InvertedPendulum};
use crate::error::ControlError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Steps after which gymnasium's v5 tasks truncate an episode.
pub const TIME_LIMIT: usize = 1000;

/// The control task, by its gymnasium name.
pub fn make_env(task: &str) -> Result<Box<dyn Env + Send>, SacError> {
    match task {
        pendulum::NAME => Ok(Box::new(InvertedPendulum::new())),
        double_pendulum::NAME => Ok(Box::new(InvertedDoublePendulum::new())),
        other => Err(SacError::UnknownTask(other.to_string())),
    }
}

/// What drives the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// SAC with this actor.
    Sac(ActorKind),
    /// Uniform random actions throughout, no learning (the baseline of the sanity check).
    Random,
}

/// Everything that determines a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Gymnasium name of the task.
    pub task: String,
    /// The policy.
    pub policy: Policy,
    /// SAC hyperparameters.
    pub sac: SacConfig,
    /// Environment steps.
    pub steps: usize,
    /// Uniform random steps before the policy acts (and learning starts).
    pub random_steps: usize,
    /// Replay capacity.
    pub replay: usize,
    /// σ of the Gaussian noise on observed states.
    pub state_noise: f64,
    /// σ of the Gaussian noise on the observation the reward is computed from.
    pub reward_noise: f64,
    /// Seed of everything.
    pub seed: u64,
}

impl RunConfig {
    /// The reference settings (PAPER.md §5) for a task and policy.
    pub fn reference(task: &str, policy: Policy, seed: u64) -> Self {
        let steps = if task == double_pendulum::NAME {
            301_100
        } else {
            101_100
        };
        Self {
            task: task.to_string(),
            policy,
            sac: SacConfig::default(),
            steps,
            random_steps: 2000,
            replay: 1_000_000,
            state_noise: 0.0,
            reward_noise: 0.0,
            seed,
        }
    }
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum SacError {
    /// The environment rejected something.
    #[error(transparent)]
    Env(#[from] ControlError),
    /// A task name that is not one of the two.
    #[error("unknown task '{0}'; use InvertedPendulum-v5 or InvertedDoublePendulum-v5")]
    UnknownTask(String),
    /// A NaN or infinite action or observation.
    #[error("run with seed {seed}: the {what} at step {step} is not finite ({value}); the learner diverged, lower the learning rate or check the inputs")]
    NonFinite {
        /// "action" or "observation".
        what: &'static str,
        /// Environment step (0-based).
        step: usize,
        /// Seed of the run.
        seed: u64,
        /// The offending value.
        value: f64,
    },
    /// A configuration value out of range.
    #[error("bad run configuration: {0}")]
    Config(String),
    /// A checkpoint could not be written or read.
    #[error(transparent)]
    Checkpoint(#[from] icnet_train::checkpoint::CheckpointError),
}

/// Per-episode summary.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpisodeStat {
    /// Step at which the episode ended (exclusive).
    pub end_step: usize,
    /// Steps in the episode.
    pub length: usize,
    /// Sum of the (noise-free) shaped reward.
    pub shaped_return: f64,
    /// Sum of the task reward.
    pub task_return: f64,
}

/// The record of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Shaped reward of every step (noise-free).
    pub shaped: Vec<f32>,
    /// Task reward of every step.
    pub task: Vec<f32>,
    /// Finished episodes.
    pub episodes: Vec<EpisodeStat>,
    /// Updates done.
    pub updates: usize,
    /// Losses of the last update.
    pub last_update: UpdateStats,
}

impl RunRecord {
    /// Mean shaped reward over the last `fraction` of the steps.
    pub fn final_reward(&self, fraction: f64) -> f64 {
        let n = self.shaped.len();
        let tail = ((n as f64 * fraction).ceil() as usize).clamp(1, n.max(1));
        if n == 0 {
            return 0.0;
        }
        self.shaped[n - tail..]
            .iter()
            .map(|&v| f64::from(v))
            .sum::<f64>()
            / tail as f64
    }
}

fn check_finite(
    what: &'static str,
    values: &[f64],
    step: usize,
    seed: u64,
) -> Result<(), SacError> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(&value) => Err(SacError::NonFinite {
            what,
            step,
            seed,
            value,
        }),
        None => Ok(()),
    }
}

/// The observation window: the last `len` observations, oldest first.
struct Window {
    obs_len: usize,
    data: Vec<f32>,
}

impl Window {
    fn reset(&mut self, obs: &[f64]) {
        let n = self.data.len() / self.obs_len;
        self.data.clear();
        for _ in 0..n {
            self.data.extend(obs.iter().map(|&v| v as f32));
        }
    }

    fn push(&mut self, obs: &[f64]) {
        self.data.drain(..self.obs_len);
        self.data.extend(obs.iter().map(|&v| v as f32));
    }
}

/// Runs one configuration; `progress(step, last episode's shaped return)` is called every
/// 100 steps.
pub fn train(
    config: &RunConfig,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<RunRecord, SacError> {
    train_resumable(config, None, progress)
}

/// Where and how often a run saves its state.
#[derive(Clone, Copy, Debug)]
pub struct Checkpointing<'a> {
    /// The checkpoint file.
    pub path: &'a Path,
    /// Save after every `every` environment steps (and never after the last).
    pub every: usize,
}

/// [`train`] with checkpoints: with `checkpointing`, the whole loop state is saved every
/// `every` steps, and a run that finds a checkpoint of the same configuration continues
/// from it, exactly as if it had never stopped (see [`super::checkpoint`]).
pub fn train_resumable(
    config: &RunConfig,
    checkpointing: Option<Checkpointing<'_>>,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<RunRecord, SacError> {
    if config.steps == 0
        || config.sac.batch == 0
        || config.replay == 0
        || config.sac.window == 0
        || config.sac.repeat == 0
    {
        return Err(SacError::Config(
            "steps, batch, replay, window and repeat must be at least 1".into(),
        ));
    }
    if !(config.state_noise >= 0.0 && config.reward_noise >= 0.0) {
        return Err(SacError::Config("noise levels must be non-negative".into()));
    }
    let seed = config.seed;
    let mut env = make_env(&config.task)?;
    let (obs_len, a_len) = (env.observation_len(), env.action_len());
    let (_, high) = env.action_range();
    let mut env_rng = ChaCha8Rng::seed_from_u64(seed);
    let mut act_rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(1_000_003));
    let mut noise_rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(2_000_003));
    let mut sample_rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(3_000_003));
    let mut agent = match config.policy {
        Policy::Sac(kind) => Some(Sac::<f32>::new(
            kind,
            obs_len,
            a_len,
            config.sac.clone(),
            seed,
        )),
        Policy::Random => None,
    };
    let state_noise =
        Normal::new(0.0, config.state_noise).map_err(|e| SacError::Config(e.to_string()))?;
    let reward_noise =
        Normal::new(0.0, config.reward_noise).map_err(|e| SacError::Config(e.to_string()))?;
    let window_len = config.sac.window * obs_len;
    let mut buffer = ReplayBuffer::new(config.replay.min(config.steps), window_len, a_len);
    let mut batch = Batch::<f32>::default();
    let observe = |obs: &[f64], rng: &mut ChaCha8Rng| -> Vec<f64> {
        if config.state_noise > 0.0 {
            obs.iter().map(|&v| v + state_noise.sample(rng)).collect()
        } else {
            obs.to_vec()
        }
    };
    let first = env.reset(&mut env_rng);
    let mut window = Window {
        obs_len,
        data: vec![0.0; window_len],
    };
    window.reset(&observe(&first, &mut noise_rng));
    let mut record = RunRecord {
        shaped: Vec::with_capacity(config.steps),
        task: Vec::with_capacity(config.steps),
        episodes: Vec::new(),
        updates: 0,
        last_update: UpdateStats::default(),
    };
    let mut episode = EpisodeSums {
        length: 0,
        shaped: 0.0,
        task: 0.0,
        last_return: None,
    };
    // The whole loop state after `$steps` steps, borrowed for a checkpoint.
    macro_rules! loop_state {
        ($steps:expr) => {
            LoopState {
                steps_done: $steps,
                env: env.as_mut(),
                rngs: [&mut env_rng, &mut act_rng, &mut noise_rng, &mut sample_rng],
                agent: agent.as_mut(),
                buffer: &mut buffer,
                window: &mut window.data,
                record: &mut record,
                episode: &mut episode,
            }
        };
    }
    let mut start = 0;
    if let Some(c) = checkpointing {
        if c.every == 0 {
            return Err(SacError::Config(
                "checkpoint interval must be at least 1 step".into(),
            ));
        }
        start = loop_state!(0).load(c.path, config)?.unwrap_or(0);
    }
    for step in start..config.steps {
        let action: Vec<f32> = match agent.as_mut() {
            Some(agent) if step >= config.random_steps => {
                agent.act(&window.data, 1, false, &mut act_rng)
            }
            _ => (0..a_len)
                .map(|_| act_rng.random_range(-1.0f32..1.0))
                .collect(),
        };
        let scaled: Vec<f64> = action.iter().map(|&a| f64::from(a) * high).collect();
        check_finite("action", &scaled, step, seed)?;
        let out = env.step(&scaled)?;
        check_finite("observation", &out.obs, step, seed)?;
        let shaped = env.shaped_reward(&out.obs, out.terminated)?;
        let learn_reward = if config.reward_noise > 0.0 {
            let noisy: Vec<f64> = out
                .obs
                .iter()
                .map(|&v| v + reward_noise.sample(&mut noise_rng))
                .collect();
            env.shaped_reward(&noisy, out.terminated)?
        } else {
            shaped
        };
        record.shaped.push(shaped as f32);
        record.task.push(out.reward as f32);
        episode.length += 1;
        episode.shaped += shaped;
        episode.task += out.reward;
        let previous = window.data.clone();
        window.push(&observe(&out.obs, &mut noise_rng));
        buffer.push(
            &previous,
            &action,
            learn_reward as f32,
            &window.data,
            out.terminated,
        );
        if out.terminated || episode.length >= TIME_LIMIT {
            record.episodes.push(EpisodeStat {
                end_step: step + 1,
                length: episode.length,
                shaped_return: episode.shaped,
                task_return: episode.task,
            });
            episode = EpisodeSums {
                length: 0,
                shaped: 0.0,
                task: 0.0,
                last_return: Some(episode.shaped),
            };
            let first = env.reset(&mut env_rng);
            window.reset(&observe(&first, &mut noise_rng));
        }
        if let Some(agent) = agent.as_mut() {
            if step + 1 >= config.random_steps && buffer.len() >= config.sac.batch.min(buffer.len())
            {
                buffer.sample(config.sac.batch, &mut sample_rng, &mut batch);
                record.last_update = agent.update(&batch, &mut sample_rng);
                record.updates += 1;
            }
        }
        if let Some(c) = checkpointing {
            if (step + 1) % c.every == 0 && step + 1 < config.steps {
                loop_state!(step + 1).save(c.path, config)?;
            }
        }
        if (step + 1) % 100 == 0 {
            progress(step + 1, episode.last_return.unwrap_or(f64::NAN));
        }
    }
    Ok(record)
}
