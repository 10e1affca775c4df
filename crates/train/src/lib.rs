//! Spiking-network training engine (work in progress).
