//! Soft actor–critic with spiking actors (PAPER.md §5).
//!
//! * [`actor`]: the actors under test (`ann`, `lif`, `hh`, `slif2hh`, `4lif`) on a window of
//!   observations, built from the training engine's cells.
//! * [`gaussian`]: the tanh-squashed Gaussian and its log-density.
//! * [`mlp`]: the plain MLP of the critics and the actor heads.
//! * [`agent`]: twin critics, targets, the SAC losses and update.
//! * [`pair`]: the two threads through the phases of one update.
//! * [`buffer`]: the replay buffer of observation windows.
//! * [`checkpoint`]: the saved loop state that lets a killed run continue exactly.
//! * [`run`]: the environment loop with the shaped reward and the noise of Fig. 4i.

pub mod actor;
pub mod agent;
pub mod bench;
pub mod buffer;
pub mod checkpoint;
pub mod gaussian;
pub mod mlp;
pub mod pair;
pub mod run;

pub use actor::{Actor, ActorKind, ActorShape, UnknownActor};
pub use agent::{Sac, SacConfig, UpdateStats};
pub use buffer::{Batch, ReplayBuffer};
pub use run::{train, train_resumable, Checkpointing, Policy, RunConfig, RunRecord, SacError};
