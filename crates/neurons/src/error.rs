//! Errors of the neuron-model crate. Every message is one sentence that names the
//! offending field and says what a valid value looks like.

use thiserror::Error;

/// Invalid parameters or inputs for a neuron simulation.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NeuronError {
    /// A parameter must be finite (not NaN or ±inf).
    #[error("parameter `{field}` is {value}, but it must be a finite number")]
    NotFinite {
        /// Name of the parameter as written in the paper (e.g. `g_Na`).
        field: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A parameter must be strictly positive (time step, capacitance, time constant …).
    #[error("parameter `{field}` is {value}, but it must be greater than zero")]
    NotPositive {
        /// Name of the parameter.
        field: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// A parameter lies outside its admissible interval.
    #[error("parameter `{field}` is {value}, but it must lie in {range}")]
    OutOfRange {
        /// Name of the parameter.
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// Human-readable admissible interval, e.g. `[0, 1]`.
        range: &'static str,
    },
    /// A name (model, stimulus, integrator …) that the crate does not know.
    #[error("unknown {kind} `{name}`; expected one of: {expected}")]
    UnknownName {
        /// What kind of name was looked up (`model`, `stimulus`, `integrator`).
        kind: &'static str,
        /// The name given.
        name: String,
        /// Comma-separated list of valid names.
        expected: String,
    },
    /// A textual specification (e.g. of a stimulus) that could not be parsed.
    #[error("cannot read {what} `{text}`: {reason}")]
    Parse {
        /// What was being parsed.
        what: &'static str,
        /// The text given.
        text: String,
        /// Why it failed and how to write it instead.
        reason: String,
    },
    /// The simulation produced a non-finite state (diverged).
    #[error(
        "the simulation diverged (non-finite {field}) at t = {t_ms} ms; reduce the time step `dt`"
    )]
    Diverged {
        /// State variable that became non-finite.
        field: &'static str,
        /// Time at which it happened, in ms.
        t_ms: f64,
    },
}

/// Checks that `value` is finite.
pub fn finite(field: &'static str, value: f64) -> Result<f64, NeuronError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(NeuronError::NotFinite { field, value })
    }
}

/// Checks that `value` is finite and strictly positive.
pub fn positive(field: &'static str, value: f64) -> Result<f64, NeuronError> {
    finite(field, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(NeuronError::NotPositive { field, value })
    }
}
