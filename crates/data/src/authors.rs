//! The authors' reference files `multi_mnist.pickle`, `multi_fashion.pickle` and
//! `multi_fashion_and_mnist.pickle`: a pickled tuple `(trainX, trainLabel, testX, testLabel)`
//! of numpy arrays, images of shape (N, 36, 36) (also accepted: (N, 1, 36, 36) and
//! (N, 1296)) and labels of shape (N, 2).
//!
//! Images may be `uint8` or `float32`/`float64`; float images whose largest value is at most
//! 1.0 are taken to be on the [0, 1] scale and multiplied by 255, others to be on the byte
//! scale already; either way they are rounded to bytes. Labels may be any integer dtype with
//! values 0–9. Only little-endian, C-order arrays are accepted.

use crate::compose::{DatasetKind, MultiDataset, MultiSet, PIXELS};
use crate::error::DataError;
use crate::pickle::{self, NdArray, Value};
use std::path::Path;

/// Names of the four tuple fields, for messages.
const FIELDS: [&str; 4] = ["trainX", "trainLabel", "testX", "testLabel"];

/// Reads one of the authors' pickles as a data set of `kind` (the kind is not stored in the
/// file; it only labels the result).
pub fn load_pickle(path: &Path, kind: DatasetKind) -> Result<MultiDataset, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io("read", path, e))?;
    parse_pickle(&bytes, path, kind)
}

/// Parses the bytes of one of the authors' pickles; `path` only names the file in errors.
pub fn parse_pickle(
    bytes: &[u8],
    path: &Path,
    kind: DatasetKind,
) -> Result<MultiDataset, DataError> {
    let value = pickle::load(bytes).map_err(|source| DataError::Pickle {
        path: path.to_path_buf(),
        source,
    })?;
    let items = match value.as_seq() {
        Some(items) if items.len() == 4 => items,
        _ => {
            return Err(DataError::content(
                path,
                format!(
                    "expected a tuple (trainX, trainLabel, testX, testLabel) but found a {}{}",
                    value.type_name(),
                    value
                        .as_seq()
                        .map(|s| format!(" of {} items", s.len()))
                        .unwrap_or_default()
                ),
            ))
        }
    };
    let mut arrays = Vec::with_capacity(4);
    for (field, item) in FIELDS.iter().zip(items) {
        match item {
            Value::Array(a) if !a.fortran_order || a.shape.len() <= 1 => arrays.push(a.clone()),
            Value::Array(_) => {
                return Err(DataError::content(
                    path,
                    format!("{field} is in Fortran order; save it with np.ascontiguousarray"),
                ))
            }
            other => {
                return Err(DataError::content(
                    path,
                    format!("{field} is a {}, expected a numpy array", other.type_name()),
                ))
            }
        }
    }
    let scale = image_scale(path, &arrays[0], &arrays[2])?;
    let train = multiset(path, [FIELDS[0], FIELDS[1]], &arrays[0], &arrays[1], scale)?;
    let test = multiset(path, [FIELDS[2], FIELDS[3]], &arrays[2], &arrays[3], scale)?;
    Ok(MultiDataset::new(
        kind,
        train,
        test,
        format!("authors' pickle {}", path.display()),
    ))
}

/// Keeps the first `n_train` training and `n_test` test composites of a data set (the authors'
/// sets are already shuffled), recomputing the checksum; the sizes say how many were kept.
pub fn truncate(
    data: MultiDataset,
    n_train: usize,
    n_test: usize,
) -> Result<MultiDataset, DataError> {
    let cut = |set: MultiSet, n: usize, name: &'static str| {
        if n > set.n {
            return Err(DataError::InvalidParameter {
                name,
                reason: format!("{n} requested but the source holds only {}", set.n),
            });
        }
        Ok(MultiSet {
            n,
            images: set.images[..n * PIXELS].to_vec(),
            label1: set.label1[..n].to_vec(),
            label2: set.label2[..n].to_vec(),
        })
    };
    let train = cut(data.train, n_train, "n_train")?;
    let test = cut(data.test, n_test, "n_test")?;
    Ok(MultiDataset::new(data.kind, train, test, data.source))
}

fn elements(a: &NdArray) -> usize {
    a.data.len() / a.dtype.size
}

/// Little-endian element `i` as f64 (the dtype was checked by the caller).
fn element(a: &NdArray, i: usize) -> f64 {
    let s = a.dtype.size;
    let b = &a.data[i * s..(i + 1) * s];
    let mut buf = [0u8; 8];
    match (a.dtype.kind, s) {
        ('f', 4) => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ('f', 8) => {
            buf.copy_from_slice(b);
            f64::from_le_bytes(buf)
        }
        ('i', _) => {
            let fill = if b[s - 1] & 0x80 != 0 { 0xff } else { 0 };
            buf = [fill; 8];
            buf[..s].copy_from_slice(b);
            i64::from_le_bytes(buf) as f64
        }
        _ => {
            buf[..s].copy_from_slice(b);
            u64::from_le_bytes(buf) as f64
        }
    }
}

fn check_dtype(path: &Path, field: &str, a: &NdArray, images: bool) -> Result<(), DataError> {
    let d = &a.dtype;
    let ok = if images {
        matches!((d.kind, d.size), ('u', 1) | ('f', 4) | ('f', 8))
    } else {
        matches!(d.kind, 'i' | 'u') && matches!(d.size, 1 | 2 | 4 | 8)
    };
    let expected = if images {
        "uint8, float32 or float64"
    } else {
        "an integer type"
    };
    if !ok {
        return Err(DataError::content(
            path,
            format!("{field} has dtype {}, expected {expected}", d.descr),
        ));
    }
    if d.big_endian && d.size > 1 {
        return Err(DataError::content(
            path,
            format!("{field} is big-endian ({}); save it little-endian", d.descr),
        ));
    }
    Ok(())
}

/// 255 if the float images are on the [0, 1] scale, else 1.
fn image_scale(path: &Path, train: &NdArray, test: &NdArray) -> Result<f64, DataError> {
    let mut max = f64::NEG_INFINITY;
    for (field, a) in [(FIELDS[0], train), (FIELDS[2], test)] {
        check_dtype(path, field, a, true)?;
        if a.dtype.kind != 'f' {
            continue;
        }
        for i in 0..elements(a) {
            let v = element(a, i);
            if !v.is_finite() {
                return Err(DataError::content(
                    path,
                    format!("{field} element {i} is {v}; images must be finite"),
                ));
            }
            max = max.max(v);
        }
    }
    Ok(if max <= 1.0 { 255.0 } else { 1.0 })
}

fn multiset(
    path: &Path,
    [x_field, y_field]: [&str; 2],
    x: &NdArray,
    y: &NdArray,
    scale: f64,
) -> Result<MultiSet, DataError> {
    check_dtype(path, x_field, x, true)?;
    check_dtype(path, y_field, y, false)?;
    let n = x.shape.first().copied().unwrap_or(0);
    let shape_ok = matches!(x.shape[..], [_, 36, 36] | [_, 1, 36, 36] | [_, 1296]);
    if !shape_ok {
        return Err(DataError::content(
            path,
            format!("{x_field} has shape {:?}, expected (N, 36, 36)", x.shape),
        ));
    }
    if y.shape != [n, 2] {
        return Err(DataError::content(
            path,
            format!(
                "{y_field} has shape {:?}, expected ({n}, 2) to match {x_field}",
                y.shape
            ),
        ));
    }
    let images = if x.dtype.kind == 'u' {
        x.data.to_vec()
    } else {
        (0..elements(x))
            .map(|i| {
                let v = element(x, i) * scale;
                if (-0.5..255.5).contains(&v) {
                    Ok(v.round() as u8)
                } else {
                    Err(DataError::content(
                        path,
                        format!("{x_field} element {i} is {v} after scaling, outside 0 to 255"),
                    ))
                }
            })
            .collect::<Result<Vec<u8>, _>>()?
    };
    let mut labels = [Vec::with_capacity(n), Vec::with_capacity(n)];
    for i in 0..2 * n {
        let v = element(y, i);
        if !(0.0..=9.0).contains(&v) {
            return Err(DataError::content(
                path,
                format!("{y_field} element {i} is {v}, labels must be 0 to 9"),
            ));
        }
        labels[i % 2].push(v as u8);
    }
    let [label1, label2] = labels;
    Ok(MultiSet {
        n,
        images,
        label1,
        label2,
    })
}
