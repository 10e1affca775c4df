//! The authors' pickle format: fixtures written by real numpy (protocols 2, 4 and 5, see
//! fixtures/make_pickles.py) and pickles built here for the cases numpy 2 no longer writes.

mod common;

use common::numpy_pickle;
use icnet_data::authors::{load_pickle, parse_pickle, truncate};
use icnet_data::pickle::PickleError;
use icnet_data::{DataError, DatasetKind, MultiSet, PIXELS};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Pixel (i, r, c) of the fixtures: (37 i + 7 r + 3 c) mod 256.
fn pattern(i: usize) -> Vec<u8> {
    (0..PIXELS)
        .map(|p| ((37 * i + 7 * (p / 36) + 3 * (p % 36)) % 256) as u8)
        .collect()
}

fn assert_patterned(set: &MultiSet, first: usize) {
    for k in 0..set.n {
        let i = first + k;
        assert_eq!(set.image(k).unwrap(), &pattern(i)[..], "image {i}");
        assert_eq!(usize::from(set.label1[k]), i % 10);
        assert_eq!(usize::from(set.label2[k]), (i + 3) % 10);
    }
}

#[test]
fn protocol_2_bytes_via_latin1_text() {
    let d = load_pickle(&fixture("p2_u8.pickle"), DatasetKind::MultiMnist).unwrap();
    assert_eq!((d.train.n, d.test.n), (3, 2));
    assert_patterned(&d.train, 0);
    assert_patterned(&d.test, 3);
    assert!(d.source.starts_with("authors' pickle"), "{}", d.source);
    assert!(d.source.contains("p2_u8.pickle"));
    assert_eq!(d.checksum.len(), 64);
}

#[test]
fn protocol_4_unit_scale_floats_are_scaled_to_bytes() {
    let d = load_pickle(&fixture("p4_f32_unit.pickle"), DatasetKind::MultiFashion).unwrap();
    assert_eq!((d.train.n, d.test.n), (1, 1));
    assert_patterned(&d.train, 0);
    assert_patterned(&d.test, 1);
}

#[test]
fn protocol_5_frombuffer_and_4d_images() {
    let d = load_pickle(&fixture("p5_u8_4d.pickle"), DatasetKind::MultiFashionMnist).unwrap();
    assert_patterned(&d.train, 0);
    assert_patterned(&d.test, 1);
}

#[test]
fn wrong_dtype_and_shape_name_the_field_and_file() {
    let e = load_pickle(&fixture("bad_dtype.pickle"), DatasetKind::MultiMnist).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("bad_dtype.pickle") && msg.contains("trainX has dtype i2"),
        "{msg}"
    );
    let e = load_pickle(&fixture("bad_shape.pickle"), DatasetKind::MultiMnist).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("trainX has shape [1, 28, 28], expected (N, 36, 36)"),
        "{msg}"
    );
}

#[test]
fn truncation_anywhere_is_an_error_naming_the_file() {
    let bytes = std::fs::read(fixture("p4_f32_unit.pickle")).unwrap();
    for cut in [0, 1, 2, 11, 60, bytes.len() / 2, bytes.len() - 1] {
        let e = parse_pickle(
            &bytes[..cut],
            Path::new("cut.pickle"),
            DatasetKind::MultiMnist,
        )
        .unwrap_err();
        assert!(e.to_string().contains("cut.pickle"), "{e}");
        assert!(
            matches!(
                e,
                DataError::Pickle {
                    source: PickleError::Truncated { .. } | PickleError::Malformed { .. },
                    ..
                }
            ),
            "cut at {cut}: {e}"
        );
    }
}

#[test]
fn unsupported_opcode_and_global() {
    // Protocol 0 integer: `I1\n.`
    let e = parse_pickle(b"I1\n.", Path::new("p0.pickle"), DatasetKind::MultiMnist).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Pickle {
                source: PickleError::UnsupportedOpcode { opcode: b'I', .. },
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("p0.pickle"));
    let e = parse_pickle(
        b"\x80\x02cbuiltins\neval\n.",
        Path::new("evil.pickle"),
        DatasetKind::MultiMnist,
    )
    .unwrap_err();
    assert!(e.to_string().contains("builtins.eval"), "{e}");
}

fn f64_images(n: usize, first: usize, scale: f64) -> Vec<u8> {
    (0..n)
        .flat_map(|k| pattern(first + k))
        .flat_map(|p| (f64::from(p) * scale).to_le_bytes())
        .collect()
}

fn i64_labels(n: usize, first: usize) -> Vec<u8> {
    (first..first + n)
        .flat_map(|i| [(i % 10) as i64, ((i + 3) % 10) as i64])
        .flat_map(i64::to_le_bytes)
        .collect()
}

#[test]
fn numpy_1_module_names_and_byte_scale_float64() {
    let bytes = numpy_pickle(
        "numpy.core.multiarray",
        &[
            ("f8", "<", vec![2, 36, 36], f64_images(2, 0, 1.0)),
            ("i8", "<", vec![2, 2], i64_labels(2, 0)),
            ("f8", "<", vec![1, 1296], f64_images(1, 2, 1.0)),
            ("i8", "<", vec![1, 2], i64_labels(1, 2)),
        ],
    );
    let d = parse_pickle(&bytes, Path::new("np1.pickle"), DatasetKind::MultiMnist).unwrap();
    assert_patterned(&d.train, 0);
    assert_patterned(&d.test, 2);

    let cut = truncate(d.clone(), 1, 1).unwrap();
    assert_eq!((cut.train.n, cut.test.n), (1, 1));
    assert_patterned(&cut.train, 0);
    assert_ne!(cut.checksum, d.checksum);
    let e = truncate(d, 3, 1).unwrap_err();
    assert!(
        e.to_string()
            .contains("3 requested but the source holds only 2"),
        "{e}"
    );
}

#[test]
fn content_errors() {
    let labels = i64_labels(1, 0);
    let case = |arrays: &[(&str, &str, Vec<usize>, Vec<u8>)]| {
        let bytes = numpy_pickle("numpy._core.multiarray", arrays);
        parse_pickle(&bytes, Path::new("c.pickle"), DatasetKind::MultiMnist)
            .unwrap_err()
            .to_string()
    };
    let img = || ("f8", "<", vec![1, 36, 36], f64_images(1, 0, 1.0));
    let lab = || ("i8", "<", vec![1, 2], labels.clone());

    let msg = case(&[img(), lab(), img()]);
    assert!(
        msg.contains("expected a tuple (trainX, trainLabel, testX, testLabel)"),
        "{msg}"
    );

    let big_endian = ("f8", ">", vec![1, 36, 36], f64_images(1, 0, 1.0));
    let msg = case(&[big_endian, lab(), img(), lab()]);
    assert!(msg.contains("trainX is big-endian"), "{msg}");

    let msg = case(&[img(), lab(), img(), ("i8", "<", vec![2, 1], labels.clone())]);
    assert!(
        msg.contains("testLabel has shape [2, 1], expected (1, 2)"),
        "{msg}"
    );

    let eleven: Vec<u8> = [11i64, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let msg = case(&[img(), ("i8", "<", vec![1, 2], eleven), img(), lab()]);
    assert!(msg.contains("trainLabel element 0 is 11"), "{msg}");

    let mut nan = f64_images(1, 0, 1.0);
    nan[..8].copy_from_slice(&f64::NAN.to_le_bytes());
    let msg = case(&[("f8", "<", vec![1, 36, 36], nan), lab(), img(), lab()]);
    assert!(msg.contains("trainX element 0 is NaN"), "{msg}");

    let too_bright = ("f8", "<", vec![1, 36, 36], f64_images(1, 0, 2.0));
    let msg = case(&[too_bright, lab(), img(), lab()]);
    assert!(msg.contains("outside 0 to 255"), "{msg}");

    // Data length disagreeing with the shape is caught by the pickle reader.
    let msg = case(&[
        ("f8", "<", vec![2, 36, 36], f64_images(1, 0, 1.0)),
        lab(),
        img(),
        lab(),
    ]);
    assert!(msg.contains("data bytes"), "{msg}");
}
