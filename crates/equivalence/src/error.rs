//! Errors of the equivalence crate. Every message is one sentence that names the
//! offending field and says what a valid value looks like.

use icnet_neurons::NeuronError;
use thiserror::Error;

/// Invalid input to a spike-train metric.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MetricError {
    /// A spike time that is NaN or infinite.
    #[error("spike time #{index} is {value}; spike times must be finite numbers (ms)")]
    NonFiniteSpikeTime {
        /// Position of the offending spike in the train as given.
        index: usize,
        /// The rejected value.
        value: f64,
    },
    /// A metric parameter outside its admissible range.
    #[error("metric parameter `{field}` is {value}, but it must be {expected}")]
    InvalidParameter {
        /// Name of the parameter (e.g. `tau_ms`).
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// What a valid value looks like, e.g. `a finite number > 0`.
        expected: &'static str,
    },
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive_param(field: &'static str, value: f64) -> Result<f64, MetricError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(MetricError::InvalidParameter {
            field,
            value,
            expected: "a finite number > 0",
        })
    }
}

/// Checks that `value` is finite and non-negative.
pub(crate) fn non_negative_param(field: &'static str, value: f64) -> Result<f64, MetricError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(MetricError::InvalidParameter {
            field,
            value,
            expected: "a finite number ≥ 0",
        })
    }
}

/// Invalid configuration of a CMA-ES run or of the problem handed to it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CmaesError {
    /// The problem's dimension is zero.
    #[error("the problem has dimension 0; a CMA-ES needs at least one parameter")]
    EmptyProblem,
    /// Bounds, initial mean or step size do not have the problem's dimension.
    #[error("`{field}` has {got} entries but the problem has dimension {dim}")]
    DimensionMismatch {
        /// Which vector (e.g. `lower bounds`, `initial mean`).
        field: &'static str,
        /// Its length.
        got: usize,
        /// The problem's dimension.
        dim: usize,
    },
    /// A bound that is not finite, or a lower bound above its upper bound.
    #[error("bounds of parameter #{index} are [{lower}, {upper}]; both must be finite with lower ≤ upper")]
    InvalidBounds {
        /// Parameter index.
        index: usize,
        /// Lower bound given.
        lower: f64,
        /// Upper bound given.
        upper: f64,
    },
    /// An initial mean outside the box.
    #[error(
        "initial mean of parameter #{index} is {value}, outside its bounds [{lower}, {upper}]"
    )]
    InitialMeanOutOfBounds {
        /// Parameter index.
        index: usize,
        /// The value given.
        value: f64,
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// A configuration number outside its admissible range.
    #[error("CMA-ES setting `{field}` is {value}, but it must be {expected}")]
    InvalidSetting {
        /// Name of the setting.
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
}

/// Failure of a two-unit chain simulation.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ChainError {
    /// The neuron parameters or stimulus are invalid.
    #[error(transparent)]
    Neuron(#[from] NeuronError),
    /// A metric could not be computed (invalid metric parameters).
    #[error(transparent)]
    Metric(#[from] MetricError),
    /// The simulation produced a non-finite potential.
    #[error("unit {unit} of the chain diverged (non-finite potential) at t = {t_ms} ms; reduce dt or the gains")]
    Diverged {
        /// Which unit (1 or 2).
        unit: usize,
        /// Time of the first non-finite value (ms).
        t_ms: f64,
    },
    /// A chain setting outside its admissible range.
    #[error("chain setting `{field}` is {value}, but it must be {expected}")]
    InvalidSetting {
        /// Name of the setting.
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
}
