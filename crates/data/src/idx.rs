//! IDX files (the format of MNIST and Fashion-MNIST), plain or gzipped.
//!
//! An IDX file is a big-endian header — magic `0x0000_08DD` (unsigned bytes, `DD` dimensions),
//! then one `u32` per dimension — followed by the data. Images are `0x0000_0803`
//! (count, rows, cols), labels `0x0000_0801` (count).

use crate::error::DataError;
use crate::image_set::ImageSet;
use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Magic number of an IDX file of unsigned-byte images (3 dimensions).
pub const IMAGE_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned-byte labels (1 dimension).
pub const LABEL_MAGIC: u32 = 0x0000_0801;
/// Largest decompressed file accepted (1 GiB; full MNIST is 47 MB), so that a corrupt or
/// hostile gzip stream cannot exhaust memory.
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Reads a file whole, decompressing it if it starts with the gzip magic bytes (whatever its
/// extension).
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io("read", path, e))?;
    decompress_if_gz(raw, path)
}

/// Decompresses `raw` if it starts with the gzip magic bytes `1f 8b`, else returns it as is.
pub fn decompress_if_gz(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>, DataError> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(&raw[..])
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            DataError::content(
                path,
                format!("the gzip stream is corrupt ({e}); delete the file and fetch it again"),
            )
        })?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(DataError::content(
            path,
            format!(
                "decompresses to more than {MAX_DECOMPRESSED} bytes, too large for an IDX file"
            ),
        ));
    }
    Ok(out)
}

/// Reads the header of `bytes` with the expected magic and `dims` dimensions; returns the
/// dimensions and the data that follows, checked to be exactly as long as they promise.
fn header<'a>(
    bytes: &'a [u8],
    path: &Path,
    magic: u32,
    kind: &'static str,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let dims = (magic & 0xff) as usize;
    let header_len = 4 + 4 * dims;
    let be_u32 = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let truncated = |needed: u64| DataError::IdxTruncated {
        path: path.to_path_buf(),
        needed,
        actual: bytes.len() as u64,
    };
    let found = be_u32(0).ok_or_else(|| truncated(header_len as u64))?;
    if found != magic {
        return Err(DataError::IdxMagic {
            path: path.to_path_buf(),
            expected: kind,
            found,
            magic,
        });
    }
    let mut shape = Vec::with_capacity(dims);
    for d in 0..dims {
        let v = be_u32(4 + 4 * d).ok_or_else(|| truncated(header_len as u64))?;
        shape.push(v as usize);
    }
    let data_len = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .and_then(|n| n.checked_add(header_len as u64))
        .ok_or_else(|| DataError::content(path, "the IDX header dimensions overflow"))?;
    let actual = bytes.len() as u64;
    if actual < data_len {
        return Err(truncated(data_len));
    }
    if actual > data_len {
        return Err(DataError::content(
            path,
            format!(
                "the file has {} bytes after the {data_len} its IDX header describes; \
                 check that it is the right file",
                actual - data_len
            ),
        ));
    }
    Ok((shape, &bytes[header_len..]))
}

/// Parses an IDX image file (already decompressed): returns (count, rows, cols, pixels).
pub fn parse_images(
    bytes: &[u8],
    path: &Path,
) -> Result<(usize, usize, usize, Vec<u8>), DataError> {
    let (shape, data) = header(bytes, path, IMAGE_MAGIC, "image")?;
    Ok((shape[0], shape[1], shape[2], data.to_vec()))
}

/// Parses an IDX label file (already decompressed).
pub fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>, DataError> {
    let (_, data) = header(bytes, path, LABEL_MAGIC, "label")?;
    Ok(data.to_vec())
}

/// Reads an image file and its label file (each plain or gzipped) into an [`ImageSet`],
/// checking that they hold the same number of items and that labels are 0–9.
pub fn load_pair(images: &Path, labels: &Path) -> Result<ImageSet, DataError> {
    let (n, rows, cols, pixels) = parse_images(&read_maybe_gz(images)?, images)?;
    let label_bytes = parse_labels(&read_maybe_gz(labels)?, labels)?;
    if label_bytes.len() != n {
        return Err(DataError::CountMismatch {
            images: images.to_path_buf(),
            labels: labels.to_path_buf(),
            n_images: n,
            n_labels: label_bytes.len(),
        });
    }
    let set = ImageSet {
        rows,
        cols,
        images: pixels,
        labels: label_bytes,
    };
    set.check()
        .map_err(|reason| DataError::content(labels, reason))?;
    Ok(set)
}

/// A directory holding the four standard IDX files of an MNIST-format data set
/// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each optionally with `.gz`; the `train-images.idx3-ubyte`
/// spelling is accepted too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxDir {
    /// Training images.
    pub train_images: PathBuf,
    /// Training labels.
    pub train_labels: PathBuf,
    /// Test images.
    pub test_images: PathBuf,
    /// Test labels.
    pub test_labels: PathBuf,
}

/// The four file stems, in the order of the [`IdxDir`] fields.
const STEMS: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

impl IdxDir {
    /// Finds the four files in `dir`, or says which one is missing.
    pub fn locate(dir: &Path) -> Result<IdxDir, DataError> {
        let mut found = Vec::with_capacity(4);
        for stem in STEMS {
            let dotted = stem.replacen("-idx", ".idx", 1);
            let candidates = [
                format!("{stem}.gz"),
                stem.to_string(),
                format!("{dotted}.gz"),
                dotted,
            ];
            let hit = candidates
                .iter()
                .map(|name| dir.join(name))
                .find(|p| p.is_file());
            match hit {
                Some(p) => found.push(p),
                None => {
                    return Err(DataError::Missing {
                        what: format!("IDX file {stem}(.gz)"),
                        path: dir.to_path_buf(),
                    })
                }
            }
        }
        let [train_images, train_labels, test_images, test_labels]: [PathBuf; 4] =
            found.try_into().map_err(|_| DataError::Missing {
                what: "IDX files".into(),
                path: dir.to_path_buf(),
            })?;
        Ok(IdxDir {
            train_images,
            train_labels,
            test_images,
            test_labels,
        })
    }

    /// True when `dir` holds all four files.
    pub fn is_present(dir: &Path) -> bool {
        IdxDir::locate(dir).is_ok()
    }

    /// Loads the training and test sets of the IDX files in `dir`.
    pub fn load(dir: &Path) -> Result<(ImageSet, ImageSet), DataError> {
        let files = IdxDir::locate(dir)?;
        let train = load_pair(&files.train_images, &files.train_labels)?;
        let test = load_pair(&files.test_images, &files.test_labels)?;
        if (train.rows, train.cols) != (test.rows, test.cols) {
            return Err(DataError::content(
                &files.test_images,
                format!(
                    "test images are {}×{} but training images are {}×{}",
                    test.rows, test.cols, train.rows, train.cols
                ),
            ));
        }
        Ok((train, test))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images_file(n: u32, rows: u32, cols: u32) -> Vec<u8> {
        let mut b = IMAGE_MAGIC.to_be_bytes().to_vec();
        for d in [n, rows, cols] {
            b.extend(d.to_be_bytes());
        }
        b.extend((0..n * rows * cols).map(|i| i as u8));
        b
    }

    #[test]
    fn parses_a_small_image_file() {
        let (n, r, c, px) = parse_images(&images_file(2, 3, 4), Path::new("x")).unwrap();
        assert_eq!((n, r, c), (2, 3, 4));
        assert_eq!(px.len(), 24);
        assert_eq!(px[23], 23);
    }

    #[test]
    fn rejects_wrong_magic_truncation_and_trailing_bytes() {
        let p = Path::new("f.idx");
        let mut b = images_file(2, 3, 4);
        assert!(matches!(
            parse_labels(&b, p),
            Err(DataError::IdxMagic {
                found: IMAGE_MAGIC,
                ..
            })
        ));
        b.pop();
        let e = parse_images(&b, p).unwrap_err();
        assert!(
            matches!(
                e,
                DataError::IdxTruncated {
                    needed: 40,
                    actual: 39,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("f.idx"));
        b.extend([0, 0]);
        assert!(parse_images(&b, p)
            .unwrap_err()
            .to_string()
            .contains("1 bytes after"));
        assert!(matches!(
            parse_images(&[0, 0], p),
            Err(DataError::IdxTruncated { .. })
        ));
    }

    #[test]
    fn huge_dimensions_do_not_allocate() {
        let mut b = IMAGE_MAGIC.to_be_bytes().to_vec();
        for _ in 0..3 {
            b.extend(u32::MAX.to_be_bytes());
        }
        assert!(parse_images(&b, Path::new("x")).is_err());
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let plain = images_file(1, 2, 2);
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&plain).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(decompress_if_gz(gz.clone(), Path::new("a")).unwrap(), plain);
        assert_eq!(
            decompress_if_gz(plain.clone(), Path::new("a")).unwrap(),
            plain
        );
        let broken = gz[..gz.len() / 2].to_vec();
        assert!(decompress_if_gz(broken, Path::new("a"))
            .unwrap_err()
            .to_string()
            .contains("gzip stream is corrupt"));
    }
}
