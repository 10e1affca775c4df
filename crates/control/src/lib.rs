//! # icnet-control
//!
//! The control tasks of PAPER.md §5 (inverted pendulum and inverted double pendulum,
//! re-implemented from the MuJoCo model descriptions) and soft actor-critic with the
//! spiking actors under test.
//!
//! * [`env`](mod@env): the two tasks (`InvertedPendulum-v5`, `InvertedDoublePendulum-v5`), f64, MuJoCo's
//!   RK4 integrator, soft joint limits, v5 observation, termination and reward, plus the shaped
//!   reward of PAPER.md §5.
//! * [`replay`]: replays reference episodes recorded from gymnasium (scripts/gym_fixture.py)
//!   and reports how far the port is from MuJoCo.
//! * [`sac`]: soft actor–critic with the spiking actors under test, and the training loop.

pub mod env;
pub mod error;
pub mod replay;
pub mod sac;

pub use env::{Env, InvertedDoublePendulum, InvertedPendulum, Step};
pub use error::ControlError;
pub use sac::{ActorKind, Policy, RunConfig, Sac, SacConfig, SacError};
