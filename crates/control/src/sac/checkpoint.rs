//! Checkpoints of a SAC run: everything the environment loop carries from one step to the
//! next, so that a run killed after a checkpoint and restarted continues exactly as an
//! uninterrupted run would (the same rewards, updates and parameters, bit for bit).
//!
//! What is saved: the step count; the simulator state (q, q̇ — the whole state of the
//! Euler/RK4 simulators, see `env::Simulator`); the four random generators (seed, stream and
//! word position of each ChaCha8); the observation window; the replay buffer; the learner
//! (parameters of actor, critics and target critics, log α, and the three Adam states); the
//! record so far and the running episode's sums.
//!
//! Format: the checkpoint container of the training engine
//! (`icnet_train::checkpoint::write_container`) with magic `ICNETSC1`, the JSON [`Header`],
//! and a payload of the f32 blobs it lists (little-endian, in order) followed by the buffer's
//! transition ids as little-endian u64. f64 values in the header read back bit-exact (the
//! workspace's JSON parser rounds correctly).

use super::agent::{Sac, UpdateStats};
use super::buffer::ReplayBuffer;
use super::run::{EpisodeStat, RunConfig, RunRecord};
use crate::env::Env;
use icnet_train::checkpoint::{
    f32s, header_json, put_f32s, read_matching, write_container, CheckpointError,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

const MAGIC: &[u8; 8] = b"ICNETSC1";

/// The exact state of a ChaCha8 generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    seed: [u8; 32],
    stream: u64,
    /// Word position, high and low 64 bits (JSON has no u128).
    word_pos: [u64; 2],
}

impl RngState {
    /// The state of `rng`.
    pub fn capture(rng: &ChaCha8Rng) -> Self {
        let pos = rng.get_word_pos();
        Self {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: [(pos >> 64) as u64, pos as u64],
        }
    }

    /// A generator in this state.
    pub fn restore(&self) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos((u128::from(self.word_pos[0]) << 64) | u128::from(self.word_pos[1]));
        rng
    }
}

/// The sums of the episode in progress.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpisodeSums {
    /// Steps so far.
    pub length: usize,
    /// Shaped reward so far.
    pub shaped: f64,
    /// Task reward so far.
    pub task: f64,
    /// Shaped return of the last finished episode (for the progress bar).
    pub last_return: Option<f64>,
}

/// The JSON header of a checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    /// The run's configuration (a checkpoint of another configuration is ignored).
    pub config: RunConfig,
    /// Environment steps done.
    pub steps_done: usize,
    /// Simulator positions.
    pub qpos: Vec<f64>,
    /// Simulator velocities.
    pub qvel: Vec<f64>,
    /// Generators: environment, actions, noise, sampling.
    pub rngs: [RngState; 4],
    /// The running episode.
    pub episode: EpisodeSums,
    /// Finished episodes.
    pub episodes: Vec<EpisodeStat>,
    /// Updates done.
    pub updates: usize,
    /// Losses of the last update.
    pub last_update: UpdateStats,
    /// Replay buffer: transitions held, next slot, transitions pushed.
    pub buffer: [u64; 3],
    /// Step counts of the three optimisers (actor, critics, α).
    pub adam_steps: [u64; 3],
    /// Names and lengths of the f32 blobs, in file order.
    pub blobs: Vec<(String, usize)>,
}

/// The mutable state of the environment loop, borrowed for saving or restoring.
pub struct LoopState<'a> {
    /// Environment steps done.
    pub steps_done: usize,
    /// The environment.
    pub env: &'a mut (dyn Env + Send),
    /// Generators: environment, actions, noise, sampling.
    pub rngs: [&'a mut ChaCha8Rng; 4],
    /// The learner (none for the random policy).
    pub agent: Option<&'a mut Sac<f32>>,
    /// The replay buffer.
    pub buffer: &'a mut ReplayBuffer,
    /// The observation window.
    pub window: &'a mut Vec<f32>,
    /// The record so far.
    pub record: &'a mut RunRecord,
    /// The running episode.
    pub episode: &'a mut EpisodeSums,
}

impl LoopState<'_> {
    /// Every f32 blob, named, in file order.
    fn blobs(&mut self) -> Vec<(String, &mut Vec<f32>)> {
        let mut out: Vec<(String, &mut Vec<f32>)> = vec![
            ("window".into(), &mut *self.window),
            ("record/shaped".into(), &mut self.record.shaped),
            ("record/task".into(), &mut self.record.task),
            ("buffer/windows".into(), &mut self.buffer.windows),
            ("buffer/next_windows".into(), &mut self.buffer.next_windows),
            ("buffer/actions".into(), &mut self.buffer.actions),
            ("buffer/rewards".into(), &mut self.buffer.rewards),
            ("buffer/dones".into(), &mut self.buffer.dones),
        ];
        if let Some(agent) = self.agent.as_deref_mut() {
            out.extend(agent.state_mut());
        }
        out
    }

    /// Writes the state to `path` (atomically).
    pub fn save(&mut self, path: &Path, config: &RunConfig) -> Result<(), CheckpointError> {
        let adam_steps = match self.agent.as_deref_mut() {
            Some(agent) => agent.adam_steps_mut().map(|s| *s),
            None => [0; 3],
        };
        let mut header = Header {
            config: config.clone(),
            steps_done: self.steps_done,
            qpos: self.env.qpos(),
            qvel: self.env.qvel(),
            rngs: [0, 1, 2, 3].map(|i| RngState::capture(self.rngs[i])),
            episode: *self.episode,
            episodes: self.record.episodes.clone(),
            updates: self.record.updates,
            last_update: self.record.last_update,
            buffer: [
                self.buffer.len as u64,
                self.buffer.next as u64,
                self.buffer.pushed,
            ],
            adam_steps,
            blobs: Vec::new(),
        };
        let mut payload = Vec::new();
        for (name, values) in self.blobs() {
            header.blobs.push((name, values.len()));
            put_f32s(&mut payload, values);
        }
        for id in &self.buffer.ids {
            payload.extend_from_slice(&id.to_le_bytes());
        }
        write_container(path, MAGIC, &header_json(path, &header)?, &payload)
    }

    /// Restores the state saved at `path` when it exists and belongs to `config`: returns
    /// the steps done, or `None` (nothing changed) when there is no checkpoint of this run.
    pub fn load(
        &mut self,
        path: &Path,
        config: &RunConfig,
    ) -> Result<Option<usize>, CheckpointError> {
        let Some((header, payload)) = read_matching(path, MAGIC, |h: &Header| h.config == *config)?
        else {
            return Ok(None);
        };
        let invalid = |reason: String| CheckpointError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let [len, next, pushed] = header.buffer;
        let ids_len = len as usize;
        let values: usize = header.blobs.iter().map(|(_, n)| n).sum();
        if payload.len() != 4 * values + 8 * ids_len {
            return Err(invalid(
                "blob lengths do not add up to the file size".into(),
            ));
        }
        let (floats, ids) = payload.split_at(4 * values);
        let mut floats = f32s(path, floats, values)?.into_iter();
        let (w, a) = (self.buffer.window_len, self.buffer.action_len);
        let expected_buffer = |name: &str| -> Option<usize> {
            match name {
                "buffer/windows" | "buffer/next_windows" => Some(ids_len * w),
                "buffer/actions" => Some(ids_len * a),
                "buffer/rewards" | "buffer/dones" => Some(ids_len),
                "record/shaped" | "record/task" => Some(header.steps_done),
                _ => None,
            }
        };
        if ids_len > self.buffer.capacity || next as usize >= self.buffer.capacity {
            return Err(invalid(format!(
                "buffer of {len} transitions (next slot {next}) exceeds the capacity {}",
                self.buffer.capacity
            )));
        }
        {
            let blobs = self.blobs();
            if blobs.len() != header.blobs.len() {
                return Err(invalid(format!(
                    "{} blobs where this run has {}",
                    header.blobs.len(),
                    blobs.len()
                )));
            }
            for ((name, target), (saved, n)) in blobs.iter().zip(&header.blobs) {
                let want = expected_buffer(name).unwrap_or(target.len());
                if name != saved || *n != want {
                    return Err(invalid(format!(
                        "blob {saved} of {n} values where this run expects {name} of {want}"
                    )));
                }
            }
        }
        self.env
            .reset_to(&header.qpos, &header.qvel)
            .map_err(|e| invalid(format!("simulator state rejected: {e}")))?;
        for ((_, target), (_, n)) in self.blobs().into_iter().zip(&header.blobs) {
            target.clear();
            target.extend(floats.by_ref().take(*n));
        }
        self.buffer.ids = ids
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect();
        self.buffer.len = ids_len;
        self.buffer.next = next as usize;
        self.buffer.pushed = pushed;
        for (rng, state) in self.rngs.iter_mut().zip(&header.rngs) {
            **rng = state.restore();
        }
        if let Some(agent) = self.agent.as_deref_mut() {
            for (step, saved) in agent.adam_steps_mut().into_iter().zip(header.adam_steps) {
                *step = saved;
            }
        }
        *self.episode = header.episode;
        self.record.episodes = header.episodes;
        self.record.updates = header.updates;
        self.record.last_update = header.last_update;
        self.steps_done = header.steps_done;
        Ok(Some(header.steps_done))
    }
}
