//! IDX reading: round trip through files written here, gzip and plain, and each error kind.

mod common;

use common::{gzip, idx_images, idx_labels, item, write_idx_dir};
use icnet_data::idx::{load_pair, parse_images};
use icnet_data::{DataError, IdxDir};
use std::path::Path;

#[test]
fn round_trip_through_a_directory_gz_and_plain() {
    for gz in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        write_idx_dir(tmp.path(), 7, 3, 40, gz);
        let (train, test) = IdxDir::load(tmp.path()).unwrap();
        assert_eq!((train.rows, train.cols, train.len()), (28, 28, 7));
        assert_eq!(test.len(), 3);
        assert_eq!(train.image(0).unwrap(), &item(40)[..]);
        assert_eq!(train.image(6).unwrap(), &item(46)[..]);
        assert_eq!(test.image(2).unwrap(), &item(49)[..]);
        assert_eq!(train.labels, vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(test.labels, vec![7, 8, 9]);
    }
}

#[test]
fn dotted_file_names_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    write_idx_dir(tmp.path(), 2, 2, 0, false);
    for stem in ["train-images", "train-labels", "t10k-images", "t10k-labels"] {
        let dims = if stem.ends_with("images") { 3 } else { 1 };
        let from = tmp.path().join(format!("{stem}-idx{dims}-ubyte"));
        let to = tmp.path().join(format!("{stem}.idx{dims}-ubyte"));
        std::fs::rename(from, to).unwrap();
    }
    assert!(IdxDir::is_present(tmp.path()));
    assert_eq!(IdxDir::load(tmp.path()).unwrap().0.len(), 2);
}

#[test]
fn a_missing_file_names_it_and_the_fetch_command() {
    let tmp = tempfile::tempdir().unwrap();
    write_idx_dir(tmp.path(), 2, 2, 0, true);
    std::fs::remove_file(tmp.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let e = IdxDir::load(tmp.path()).unwrap_err();
    assert!(matches!(e, DataError::Missing { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("t10k-labels-idx1-ubyte"), "{msg}");
    assert!(msg.contains("just data"), "{msg}");
}

#[test]
fn wrong_magic_truncation_and_count_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("im.gz");
    let labels = tmp.path().join("lb");
    let pixels: Vec<u8> = (0..3).flat_map(item).collect();

    // Labels where images belong: wrong magic, naming the file.
    std::fs::write(&images, gzip(&idx_labels(&[1, 2, 3]))).unwrap();
    std::fs::write(&labels, idx_labels(&[1, 2, 3])).unwrap();
    let e = load_pair(&images, &labels).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxMagic {
                found: 0x801,
                magic: 0x803,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("im.gz"));

    // Truncated image file.
    let mut truncated = idx_images(3, 28, 28, &pixels);
    truncated.truncate(truncated.len() - 10);
    std::fs::write(&images, gzip(&truncated)).unwrap();
    let e = load_pair(&images, &labels).unwrap_err();
    assert!(
        matches!(e, DataError::IdxTruncated { needed, actual, .. }
            if needed == 16 + 3 * 784 && actual == needed - 10),
        "{e}"
    );

    // Three images, two labels.
    std::fs::write(&images, gzip(&idx_images(3, 28, 28, &pixels))).unwrap();
    std::fs::write(&labels, idx_labels(&[1, 2])).unwrap();
    let e = load_pair(&images, &labels).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CountMismatch {
                n_images: 3,
                n_labels: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("lb"));

    // A label outside 0–9.
    std::fs::write(&labels, idx_labels(&[1, 2, 12])).unwrap();
    let e = load_pair(&images, &labels).unwrap_err();
    assert!(e.to_string().contains("label 2 is 12"), "{e}");

    // Corrupt gzip.
    let gz = gzip(&idx_images(3, 28, 28, &pixels));
    std::fs::write(&images, &gz[..gz.len() - 20]).unwrap();
    let e = load_pair(&images, &labels).unwrap_err();
    assert!(e.to_string().contains("gzip stream is corrupt"), "{e}");
}

#[test]
fn empty_input_is_truncated_not_a_panic() {
    let e = parse_images(&[], Path::new("empty")).unwrap_err();
    assert!(
        matches!(e, DataError::IdxTruncated { actual: 0, .. }),
        "{e}"
    );
}
