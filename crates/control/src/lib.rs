//! # icnet-control
//!
//! The control tasks of PAPER.md §5 (inverted pendulum and inverted double pendulum,
//! re-implemented from the MuJoCo model descriptions) and soft actor-critic with the
//! spiking actors under test.
