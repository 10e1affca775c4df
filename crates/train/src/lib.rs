//! # icnet-train
//!
//! The spiking-network training engine of icnet (PAPER.md §4): layers with explicit
//! forward and backward passes over T time steps (backpropagation through time),
//! surrogate gradients, the LIF, HH and s-LIF2HH cells, Adam with step decay, the model zoo
//! and the multi-task trainer.
//!
//! Everything is generic over the scalar ([`Scalar`]): learning runs in `f32`, the
//! finite-difference gradient checks run the same code in `f64`.
//!
//! Speed comes from the structure of the models, not from cleverness in the cells: the
//! input image is static, so its projection `x Wᵀ + b` is one matrix product per batch
//! (not T), and its weight gradient is one product with the time-summed gradient of the
//! cell's drive; the cells are elementwise recursions over time, vectorised over units and
//! split across threads.

pub mod bench;
pub mod cells;
pub mod checkpoint;
pub mod conv;
pub mod ema;
pub mod linalg;
pub mod linear;
pub mod loss;
pub mod models;
pub mod optim;
pub mod param;
pub mod scalar;
pub mod spike;
pub mod step;
pub mod timing;
pub mod trainer;
pub mod vib_trainer;

pub use models::{build, ModelKind, Network};
pub use scalar::Scalar;
