//! Property tests: no byte sequence makes a parser panic (IDX, gzip, pickle, the authors'
//! pickle layout, the cache), whether random or a mutated valid file.

mod common;

use icnet_data::authors::parse_pickle;
use icnet_data::idx::{decompress_if_gz, parse_images, parse_labels};
use icnet_data::{pickle, read_cache, DatasetKind};
use proptest::prelude::*;
use std::path::Path;

fn fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    ["p2_u8.pickle", "p4_f32_unit.pickle", "p5_u8_4d.pickle"]
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap())
        .collect()
}

/// Applies byte edits (position taken modulo the length) and truncates to `keep` of the length.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], keep: f64) -> Vec<u8> {
    if !bytes.is_empty() {
        let n = bytes.len();
        for &(at, v) in edits {
            bytes[at % n] = v;
        }
    }
    let keep = (bytes.len() as f64 * keep) as usize;
    bytes.truncate(keep);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn idx_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let p = Path::new("fuzz");
        let _ = parse_images(&bytes, p);
        let _ = parse_labels(&bytes, p);
        let _ = decompress_if_gz(bytes, p);
    }

    #[test]
    fn idx_with_plausible_headers_never_panics(
        magic in prop_oneof![Just(0x803u32), Just(0x801u32), any::<u32>()],
        dims in proptest::collection::vec(0u32..40, 0..4),
        data in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut bytes = magic.to_be_bytes().to_vec();
        for d in dims {
            bytes.extend(d.to_be_bytes());
        }
        bytes.extend(data);
        let _ = parse_images(&bytes, Path::new("fuzz"));
        let _ = parse_labels(&bytes, Path::new("fuzz"));
    }

    #[test]
    fn gzip_mutations_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        keep in 0.0f64..=1.0,
    ) {
        let plain = common::idx_images(2, 28, 28, &[7u8; 2 * 784]);
        let gz = mutate(common::gzip(&plain), &edits, keep);
        let _ = decompress_if_gz(gz, Path::new("fuzz.gz"));
    }

    #[test]
    fn pickle_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = pickle::load(&bytes);
        let _ = parse_pickle(&bytes, Path::new("fuzz"), DatasetKind::MultiMnist);
    }

    #[test]
    fn mutated_numpy_pickles_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        keep in 0.5f64..=1.0,
    ) {
        let bytes = mutate(fixtures()[which].clone(), &edits, keep);
        let _ = parse_pickle(&bytes, Path::new("fuzz"), DatasetKind::MultiMnist);
    }

    #[test]
    fn mutated_cache_files_never_panic(
        edits in proptest::collection::vec((0usize..120, any::<u8>()), 0..4),
        keep in 0.0f64..=1.0,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let set = icnet_data::MultiSet {
            n: 1,
            images: vec![3; 1296],
            label1: vec![1],
            label2: vec![2],
        };
        let data = icnet_data::MultiDataset::new(
            DatasetKind::MultiFashion, set.clone(), set, "test".into());
        let path = tmp.path().join("c.bin");
        icnet_data::write_cache(&path, &data, 5).unwrap();
        let bytes = mutate(std::fs::read(&path).unwrap(), &edits, keep);
        let unchanged = bytes == std::fs::read(&path).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let result = read_cache(&path);
        prop_assert_eq!(result.is_ok(), unchanged);
    }
}
