//! The one error type of the crate: every variant names the file or field at fault and says
//! what to do about it.

use crate::pickle::PickleError;
use std::path::PathBuf;

/// What `just data` runs; quoted by every "source missing" error.
pub const FETCH_HINT: &str = "run `just data` (or `bash scripts/fetch_data.sh`) to fetch it";

/// Everything that can go wrong while reading, composing or caching data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A raw source (file or directory) is absent.
    #[error("{what} not found at {path}; {hint}", hint = FETCH_HINT)]
    Missing {
        /// What was looked for, e.g. "Fashion-MNIST IDX files".
        what: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The operating system refused a read or write.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// "read", "write", "create directory" …
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An IDX file starts with the wrong magic number (wrong file, or not decompressed).
    #[error(
        "{path} is not an IDX {expected} file (magic number {found:#010x}, expected {magic:#010x}); \
         check that it is the right file and not corrupted"
    )]
    IdxMagic {
        /// The offending file.
        path: PathBuf,
        /// "image" or "label".
        expected: &'static str,
        /// The magic number read.
        found: u32,
        /// The magic number an IDX file of that kind has.
        magic: u32,
    },
    /// An IDX file is shorter than its header says.
    #[error(
        "{path} is truncated ({actual} bytes, its header needs {needed}); \
         delete it and {hint}",
        hint = FETCH_HINT
    )]
    IdxTruncated {
        /// The offending file.
        path: PathBuf,
        /// Bytes the header promises (header included).
        needed: u64,
        /// Bytes present.
        actual: u64,
    },
    /// An image file and its label file disagree on the number of items.
    #[error(
        "{images} holds {n_images} images but {labels} holds {n_labels} labels; \
         the two files must come from the same release"
    )]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// The label file.
        labels: PathBuf,
        /// Images in the image file.
        n_images: usize,
        /// Labels in the label file.
        n_labels: usize,
    },
    /// A file has a well-formed container but content this crate cannot use.
    #[error("{path}: {reason}")]
    BadContent {
        /// The offending file.
        path: PathBuf,
        /// One sentence naming the field and what was expected.
        reason: String,
    },
    /// A pickle file could not be decoded.
    #[error("cannot read the pickle {path}: {source}")]
    Pickle {
        /// The offending file.
        path: PathBuf,
        /// What the pickle reader found.
        source: PickleError,
    },
    /// A cache file of built data sets failed its checks.
    #[error("the data cache {path} is unusable ({reason}); delete it and run again to rebuild it")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What check failed.
        reason: String,
    },
    /// A parameter is out of range, e.g. a pool too small to draw two distinct images.
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// The parameter, e.g. "n_train".
        name: &'static str,
        /// Why, and the valid range.
        reason: String,
    },
    /// A data-set id is not one of the known ones.
    #[error("unknown data set `{0}`; expected multi-mnist, multi-fashion or multi-fashion-mnist")]
    UnknownKind(String),
}

impl DataError {
    /// Wraps an I/O error with the action and the path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A [`DataError::BadContent`] for `path`.
    pub fn content(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        DataError::BadContent {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
