//! The one error type of the crate: every variant names the input at fault (file, field,
//! argument) and says what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong while stepping an environment or replaying a reference.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// An action vector of the wrong length was passed to `step`.
    #[error("{task}: the action has {found} values but the task takes {expected}; pass one value per actuator")]
    ActionLength {
        /// The task's gymnasium name.
        task: &'static str,
        /// Actuators of the task.
        expected: usize,
        /// Values passed.
        found: usize,
    },
    /// An observation of the wrong length was passed to `shaped_reward`.
    #[error("{task}: the observation has {found} values but the task's has {expected}; pass an observation of this task")]
    ObservationLength {
        /// The task's gymnasium name.
        task: &'static str,
        /// Length of the task's observation.
        expected: usize,
        /// Values passed.
        found: usize,
    },
    /// An action value is NaN or infinite (MuJoCo would propagate it into the state).
    #[error("{task}: action value {index} is {value}; actions must be finite numbers")]
    NonFiniteAction {
        /// The task's gymnasium name.
        task: &'static str,
        /// Which action component.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// `reset_to` got a state of the wrong length or with a non-finite value.
    #[error("{task}: {field} {problem}; pass {expected} finite values")]
    BadState {
        /// The task's gymnasium name.
        task: &'static str,
        /// "qpos" or "qvel".
        field: &'static str,
        /// What is wrong, e.g. "has 3 values" or "value 1 is NaN".
        problem: String,
        /// Length the task needs.
        expected: usize,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {cause}; check the path (the committed fixture is crates/control/tests/fixtures/gym_v5_reference.json)")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error (in the message, not chained, so `{:#}` prints it once).
        cause: std::io::Error,
    },
    /// A reference fixture is not valid JSON or lacks a field.
    #[error(
        "{path} is not a reference fixture: {cause}; regenerate it with scripts/gym_fixture.py"
    )]
    FixtureJson {
        /// The fixture file.
        path: PathBuf,
        /// The parser's message (it names the line and column or the missing field).
        cause: serde_json::Error,
    },
    /// A reference fixture parses but a field has the wrong shape or value.
    #[error("{path}: field {field} {problem}; regenerate the fixture with scripts/gym_fixture.py")]
    FixtureField {
        /// The fixture file.
        path: PathBuf,
        /// JSON path of the field, e.g. `InvertedPendulum-v5.episodes[3].observations[2]`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
}
