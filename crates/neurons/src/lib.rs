//! # icnet-neurons
//!
//! Neuron models of He et al. (2024), *Network model with internal complexity bridges
//! artificial intelligence and neuroscience*, as pure step functions over plain
//! parameter and state structs (PAPER.md §2):
//!
//! - [`hh`]: Hodgkin–Huxley in the 1952 (rest ≈ 0 mV) and modern (rest ≈ −65 mV) conventions;
//! - [`lif`]: LIF in continuous time and the discrete learning form, and tv-LIF;
//! - [`tvlif2hh`]: one HH neuron as four time-varying LIF units, closed-loop and driven;
//! - [`slif2hh`]: the constant-parameter simplification s-LIF2HH, simulation form;
//! - [`ode`]: forward Euler, classical RK4 (generic) and exponential Euler (per model);
//! - [`stimulus`]: the stimulus shapes of PAPER.md §2.4 and seeded noisy current;
//! - [`spikes`]: upward threshold-crossing detection with interpolated crossing times;
//! - [`batch`]: N independent HH neurons in structure-of-arrays layout, parallel with rayon;
//! - [`simulate`]: one entry point that runs any model under any stimulus and integrator.
//!
//! Units throughout: time in ms, potentials in mV, conductances in mS/cm², capacitance in
//! µF/cm², currents in µA/cm². Simulation is in `f64`. The crate does no I/O.

pub mod batch;
pub mod error;
pub mod fastmath;
pub mod hh;
pub mod lif;
pub mod ode;
pub mod simulate;
pub mod slif2hh;
pub mod spikes;
pub mod stimulus;
pub mod tvlif2hh;

pub use error::NeuronError;
pub use ode::Integrator;
