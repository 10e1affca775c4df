//! Composition: determinism, thread independence, disjoint sources, item placement, labels.

mod common;

use common::item;
use icnet_data::{compose, Composition, ImageSet, SourceSplits, CANVAS, ITEM, OFFSET, PIXELS};

/// A pool of distinct 28×28 items with ids `first..first + n`, labels `id % 10`.
fn pool(first: usize, n: usize) -> ImageSet {
    ImageSet {
        rows: 28,
        cols: 28,
        images: (first..first + n).flat_map(item).collect(),
        labels: (first..first + n).map(|i| (i % 10) as u8).collect(),
    }
}

fn splits(first: usize, n_train: usize, n_test: usize) -> SourceSplits {
    SourceSplits {
        train: pool(first, n_train),
        test: pool(first + n_train, n_test),
        description: format!("synthetic items from {first}"),
    }
}

fn checksum(c: &Composition) -> String {
    icnet_data::content_checksum(icnet_data::DatasetKind::MultiMnist, &c.train, &c.test)
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let s = splits(0, 50, 20);
    let a = compose(&s, None, 300, 100, 7).unwrap();
    let b = compose(&s, None, 300, 100, 7).unwrap();
    let c = compose(&s, None, 300, 100, 8).unwrap();
    assert_eq!(checksum(&a), checksum(&b));
    assert_eq!(a.train_sources, b.train_sources);
    assert_ne!(checksum(&a), checksum(&c));
    assert_ne!(a.train_sources, c.train_sources);
    // The training draws do not depend on the test size (separate streams).
    let d = compose(&s, None, 300, 5, 7).unwrap();
    assert_eq!(a.train_sources, d.train_sources);
}

#[test]
fn independent_of_the_number_of_threads() {
    let s = splits(0, 80, 30);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| checksum(&compose(&s, None, 2000, 500, 3).unwrap()))
    };
    assert_eq!(run(1), run(2));
    assert_eq!(run(1), run(3));
}

#[test]
fn train_and_test_use_disjoint_source_pools() {
    let first = splits(0, 40, 15);
    let second = splits(10_000, 60, 25);
    for second in [None, Some(&second)] {
        let c = compose(&first, second, 500, 200, 11).unwrap();
        let (n1_train, n2_train) = (40, second.map_or(40, |s| s.train.len()));
        let (n1_test, n2_test) = (15, second.map_or(15, |s| s.test.len()));
        assert!(c
            .train_sources
            .iter()
            .all(|&[a, b]| a < n1_train && b < n2_train));
        assert!(c
            .test_sources
            .iter()
            .all(|&[a, b]| a < n1_test && b < n2_test));
        // Every composite is made of the items its sources name, so the test composites
        // contain no training item: compare pixels with what the sources predict.
        let tests_pool2 = second.map_or(&first.test, |s| &s.test);
        for (k, &[a, b]) in c.test_sources.iter().enumerate() {
            let mut expected = vec![0u8; PIXELS];
            icnet_data::compose::paste(
                &mut expected,
                first.test.image(a).unwrap(),
                tests_pool2.image(b).unwrap(),
            );
            assert_eq!(c.test.image(k).unwrap(), &expected[..]);
        }
        // All pool items get used (uniform draws over the whole pool).
        let used: std::collections::HashSet<usize> = c.train_sources.iter().map(|s| s[0]).collect();
        assert_eq!(used.len(), n1_train);
    }
}

#[test]
fn same_pool_items_are_distinct() {
    let s = splits(0, 2, 2);
    let c = compose(&s, None, 200, 200, 5).unwrap();
    assert!(c.train_sources.iter().all(|&[a, b]| a != b));
    assert!(c.test_sources.iter().all(|&[a, b]| a != b));
    // With two images, both orders occur.
    assert!(c.train_sources.contains(&[0, 1]) && c.train_sources.contains(&[1, 0]));
}

#[test]
fn corners_show_one_item_each_and_labels_follow_the_sources() {
    let first = splits(0, 30, 10);
    let second = splits(500, 30, 10);
    let c = compose(&first, Some(&second), 100, 40, 1).unwrap();
    for (k, &[a, b]) in c.train_sources.iter().enumerate() {
        let img = c.train.image(k).unwrap();
        let item1 = first.train.image(a).unwrap();
        let item2 = second.train.image(b).unwrap();
        for r in 0..OFFSET {
            for col in 0..OFFSET {
                // Top-left 8×8: item 1 only.
                assert_eq!(img[r * CANVAS + col], item1[r * ITEM + col]);
                // Bottom-right 8×8: item 2 only.
                let (rr, cc) = (CANVAS - OFFSET + r, CANVAS - OFFSET + col);
                assert_eq!(
                    img[rr * CANVAS + cc],
                    item2[(rr - OFFSET) * ITEM + (cc - OFFSET)]
                );
                // Top-right and bottom-left 8×8: neither item.
                assert_eq!(img[r * CANVAS + ITEM + col], 0);
                assert_eq!(img[(ITEM + r) * CANVAS + col], 0);
            }
        }
        // Overlap: the pixel-wise maximum.
        let (r, col) = (20, 15);
        let expected = item1[r * ITEM + col].max(item2[(r - OFFSET) * ITEM + (col - OFFSET)]);
        assert_eq!(img[r * CANVAS + col], expected);
        assert_eq!(c.train.label1[k], first.train.labels[a]);
        assert_eq!(c.train.label2[k], second.train.labels[b]);
    }
    assert!(c.train.check().is_ok() && c.test.check().is_ok());
}

#[test]
fn pools_too_small_or_of_the_wrong_size_are_errors() {
    let tiny = splits(0, 1, 1);
    let e = compose(&tiny, None, 10, 10, 0).unwrap_err();
    assert!(e.to_string().contains("at least 2"), "{e}");
    // A pool of one is enough when the items come from different pools.
    assert!(compose(&tiny, Some(&tiny), 10, 10, 0).is_ok());
    // Zero composites need no images.
    let empty = compose(&tiny, None, 0, 0, 0).unwrap();
    assert_eq!((empty.train.n, empty.test.n), (0, 0));
    let mut odd = splits(0, 5, 5);
    odd.train.rows = 14;
    odd.train.cols = 56;
    let e = compose(&odd, None, 1, 1, 0).unwrap_err();
    assert!(e.to_string().contains("14×56"), "{e}");
}
