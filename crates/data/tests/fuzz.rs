//! Fuzzing of the IDX and pickle parsers (proptest), beyond `no_panic.rs`: besides "no panic",
//! every case checks that no single allocation is larger than the input can justify, so a
//! lying header (huge dimensions, huge string or byte lengths, huge array shapes) cannot make
//! the reader reserve memory it will never fill.
//!
//! The bound: no allocation above `4 × input length + 1 MiB` while parsing. Reading the
//! images copies at most the input once; the slack covers error messages and small tables.
//! Allocations are tracked per thread by a counting global allocator, so the parallel test
//! threads do not see each other's.

mod common;

use icnet_data::authors::parse_pickle;
use icnet_data::idx::{decompress_if_gz, load_pair, parse_images, parse_labels};
use icnet_data::{pickle, DatasetKind};
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

/// The system allocator, recording the largest single request of each thread.
struct PeakTracking;

thread_local! {
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = PEAK.try_with(|p| p.set(p.get().max(size)));
}

// SAFETY: every call is forwarded unchanged to `System`; only a thread-local counter (no
// allocation, const-initialised) is updated on the side.
unsafe impl GlobalAlloc for PeakTracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: PeakTracking = PeakTracking;

/// Runs `parse` and returns the largest single allocation it made.
fn peak_of(parse: impl FnOnce()) -> usize {
    PEAK.with(|p| p.set(0));
    parse();
    PEAK.with(|p| p.get())
}

/// The largest allocation a parser may make for `input_len` bytes of input.
fn budget(input_len: usize) -> usize {
    4 * input_len + (1 << 20)
}

/// Parses `bytes` with every IDX and pickle entry point; fails if one allocates too much.
fn check_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = Path::new("fuzz");
    let peak = peak_of(|| {
        let _ = parse_images(bytes, path);
        let _ = parse_labels(bytes, path);
        let _ = pickle::load(bytes);
        let _ = parse_pickle(bytes, path, DatasetKind::MultiFashionMnist);
    });
    prop_assert!(
        peak <= budget(bytes.len()),
        "{peak} bytes allocated at once for {} bytes of input",
        bytes.len()
    );
    Ok(())
}

fn be(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// A valid IDX image file of `n` 28×28 items and its label file.
fn valid_idx(n: usize) -> (Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> = (0..n).flat_map(common::item).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    (
        common::idx_images(n, 28, 28, &pixels),
        common::idx_labels(&labels),
    )
}

/// How to damage a valid file.
#[derive(Clone, Debug)]
enum Damage {
    /// Keep this share of the bytes.
    Truncate(f64),
    /// Set bytes (positions modulo the length).
    Flip(Vec<(usize, u8)>),
    /// Replace the 4-byte magic number.
    Magic(u32),
    /// Claim this size for header dimension `index` (modulo the dimensions present).
    Dimension(usize, u32),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0.0f64..1.0).prop_map(Damage::Truncate),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8).prop_map(Damage::Flip),
        prop_oneof![
            Just(0x0803u32),
            Just(0x0801),
            Just(0x08ff),
            Just(0x0d03),
            any::<u32>()
        ]
        .prop_map(Damage::Magic),
        (
            any::<usize>(),
            prop_oneof![
                Just(u32::MAX),
                Just(1 << 31),
                Just(0),
                Just(1),
                any::<u32>()
            ]
        )
            .prop_map(|(i, v)| Damage::Dimension(i, v)),
    ]
}

fn apply(mut bytes: Vec<u8>, damage: &Damage) -> Vec<u8> {
    match damage {
        Damage::Truncate(keep) => bytes.truncate((bytes.len() as f64 * keep) as usize),
        Damage::Flip(edits) => {
            let n = bytes.len();
            for &(at, v) in edits {
                bytes[at % n] = v;
            }
        }
        Damage::Magic(m) => bytes[..4].copy_from_slice(&m.to_be_bytes()),
        Damage::Dimension(i, v) => {
            let dims = (bytes[3] as usize).max(1);
            let at = 4 + 4 * (i % dims);
            if at + 4 <= bytes.len() {
                bytes[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
    bytes
}

/// The numpy pickle fixtures written by `tests/fixtures/make_pickles.py`.
fn pickle_fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    ["p2_u8.pickle", "p4_f32_unit.pickle", "p5_u8_4d.pickle"]
        .iter()
        .map(|n| std::fs::read(dir.join(n)).unwrap())
        .collect()
}

/// Pickle opcodes that announce a length or a count, followed by a huge claim.
fn lying_pickle_opcode() -> impl Strategy<Value = Vec<u8>> {
    let huge8 = prop_oneof![
        Just(u64::MAX),
        Just(1u64 << 62),
        Just(1u64 << 40),
        any::<u64>()
    ];
    let huge4 = prop_oneof![
        Just(u32::MAX),
        Just(1u32 << 31),
        Just(0x7fff_ffff),
        any::<u32>()
    ];
    prop_oneof![
        // BINBYTES8, BYTEARRAY8, BINUNICODE8, FRAME: 8-byte lengths.
        (
            prop_oneof![Just(0x8eu8), Just(0x96), Just(0x8d), Just(0x95)],
            huge8
        )
            .prop_map(|(op, n)| [vec![0x80, 5, op], n.to_le_bytes().to_vec()].concat()),
        // BINBYTES, BINUNICODE, BINSTRING, LONG4: 4-byte lengths.
        (
            prop_oneof![Just(b'B'), Just(b'X'), Just(b'T'), Just(0x8b)],
            huge4.clone()
        )
            .prop_map(|(op, n)| [vec![0x80, 4, op], n.to_le_bytes().to_vec()].concat()),
        // BINGET / LONG_BINGET of a memo entry never written.
        huge4.prop_map(|n| [vec![0x80, 4, b'N', b'j'], n.to_le_bytes().to_vec()].concat()),
    ]
}

/// A protocol-4 pickle of `_reconstruct`'s ndarray state claiming `shape` over `data`.
fn array_claiming(shape: &[i64], data_len: usize) -> Vec<u8> {
    let mut b = vec![0x80, 4];
    let global = |b: &mut Vec<u8>, module: &str, name: &str| {
        for s in [module, name] {
            b.push(0x8c);
            b.push(s.len() as u8);
            b.extend(s.as_bytes());
        }
        b.push(0x93); // STACK_GLOBAL
    };
    global(&mut b, "numpy.core.multiarray", "_reconstruct");
    global(&mut b, "numpy", "ndarray");
    b.extend([b'K', 0, 0x85]); // (0,)
    b.extend([0x43, 1, b'b']); // SHORT_BINBYTES b'b'
    b.extend([0x87, b'R']); // TUPLE3, REDUCE
                            // State: (1, shape, dtype('u1') with '|' order, False, data).
    b.extend([b'(', b'K', 1, b'(']);
    for &d in shape {
        b.push(0x8a);
        b.push(8);
        b.extend(d.to_le_bytes());
    }
    b.push(b't');
    global(&mut b, "numpy", "dtype");
    b.extend([0x8c, 2, b'u', b'1', 0x89, 0x88, 0x87, b'R']);
    b.extend([b'(', b'K', 3, 0x8c, 1, b'|', b'N', b'N', b'N', b'J']);
    b.extend((-1i32).to_le_bytes());
    b.push(b'J');
    b.extend((-1i32).to_le_bytes());
    b.extend([b'K', 0, b't', b'b']); // state tuple, BUILD
    b.push(0x89);
    b.push(b'B');
    b.extend((data_len as u32).to_le_bytes());
    b.extend(std::iter::repeat_n(7u8, data_len));
    b.extend([b't', b'b', b'.']); // state tuple, BUILD, STOP
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_allocate_within_budget(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        check_all(&bytes)?;
    }

    #[test]
    fn damaged_idx_files_fail_cleanly_within_budget(n in 1usize..6, d in damage()) {
        let (images, labels) = valid_idx(n);
        let path = Path::new("fuzz");
        for (original, is_images) in [(images, true), (labels, false)] {
            let damaged = apply(original.clone(), &d);
            let mut ok = false;
            let peak = peak_of(|| {
                ok = if is_images {
                    parse_images(&damaged, path).is_ok()
                } else {
                    parse_labels(&damaged, path).is_ok()
                };
            });
            prop_assert!(peak <= budget(damaged.len()), "{peak} bytes for {d:?}");
            // Damage to the header or length must be noticed.
            let must_fail = match &d {
                Damage::Truncate(_) => damaged.len() < original.len(),
                Damage::Magic(_) | Damage::Dimension(..) => damaged[..16.min(damaged.len())] != original[..16.min(original.len())],
                Damage::Flip(_) => false,
            };
            prop_assert!(!(must_fail && ok), "{d:?} went unnoticed");
        }
    }

    #[test]
    fn damaged_idx_pairs_on_disk_and_gzipped_fail_cleanly(
        n in 1usize..4,
        d in damage(),
        gz in any::<bool>(),
        which in 0usize..2,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let (images, labels) = valid_idx(n);
        let mut files = [images, labels];
        files[which] = apply(files[which].clone(), &d);
        let pack = |b: &[u8]| if gz { common::gzip(b) } else { b.to_vec() };
        let (ip, lp) = (tmp.path().join("images"), tmp.path().join("labels"));
        std::fs::write(&ip, pack(&files[0])).unwrap();
        std::fs::write(&lp, pack(&files[1])).unwrap();
        let largest = files.iter().map(Vec::len).max().unwrap();
        let peak = peak_of(|| {
            if let Ok(set) = load_pair(&ip, &lp) {
                assert_eq!(set.len(), set.labels.len());
                assert!(set.labels.iter().all(|&l| l < 10));
            }
        });
        prop_assert!(peak <= budget(largest), "{peak} bytes for {d:?}");
    }

    #[test]
    fn idx_headers_claiming_huge_dimensions_are_refused(
        dims in proptest::collection::vec(prop_oneof![Just(u32::MAX), Just(1u32 << 31), 1u32..1000], 3),
        label_count in prop_oneof![Just(u32::MAX), Just(1u32 << 31), any::<u32>()],
        data in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let images = [be(&[0x0803, dims[0], dims[1], dims[2]]), data.clone()].concat();
        let labels = [be(&[0x0801, label_count]), data.clone()].concat();
        let claimed: u128 = dims.iter().map(|&d| d as u128).product();
        if claimed != data.len() as u128 {
            prop_assert!(parse_images(&images, Path::new("fuzz")).is_err());
        }
        if label_count as usize != data.len() {
            prop_assert!(parse_labels(&labels, Path::new("fuzz")).is_err());
        }
        check_all(&images)?;
        check_all(&labels)?;
    }

    #[test]
    fn pickle_opcodes_claiming_huge_lengths_are_refused(
        head in lying_pickle_opcode(),
        tail in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        // What the opcode claims: 8- or 4-byte little-endian lengths (FRAME is only a hint,
        // and a memo read of an entry never written fails whatever its number).
        let claimed = match head[2] {
            0x95 => 0,
            0x8e | 0x96 | 0x8d => u64::from_le_bytes(head[3..11].try_into().unwrap()),
            b'N' => u64::MAX,
            _ => u64::from(u32::from_le_bytes(head[3..7].try_into().unwrap())),
        };
        let bytes = [head, tail.clone()].concat();
        check_all(&bytes)?;
        if claimed > tail.len() as u64 {
            prop_assert!(pickle::load(&bytes).is_err(), "a claim of {claimed} bytes over {} was accepted", tail.len());
        }
    }

    #[test]
    fn pickled_arrays_claiming_huge_shapes_are_refused(
        shape in proptest::collection::vec(
            prop_oneof![Just(i64::MAX), Just(1i64 << 40), Just(0), Just(-1), 0i64..40],
            0..5,
        ),
        data_len in 0usize..512,
    ) {
        let bytes = array_claiming(&shape, data_len);
        check_all(&bytes)?;
        let consistent = shape.iter().all(|&d| d >= 0)
            && shape.iter().try_fold(1i64, |a, &d| a.checked_mul(d)) == Some(data_len as i64);
        let loaded = pickle::load(&bytes);
        match &loaded {
            Ok(pickle::Value::Array(a)) => {
                prop_assert!(consistent, "accepted {shape:?} over {data_len} bytes");
                prop_assert_eq!(a.data.len(), data_len);
            }
            Ok(other) => prop_assert!(false, "not an array: {}", other.type_name()),
            Err(_) => prop_assert!(!consistent, "refused a consistent {shape:?}: {loaded:?}"),
        }
    }

    #[test]
    fn mutated_numpy_pickles_stay_within_budget(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..12),
        keep in 0.3f64..=1.0,
    ) {
        let mut bytes = pickle_fixtures()[which].clone();
        let n = bytes.len();
        for &(at, v) in &edits {
            // Half the edits land in the first 256 bytes, where the opcodes and lengths are.
            let at = if at % 2 == 0 { at % n.min(256) } else { at % n };
            bytes[at] = v;
        }
        bytes.truncate((n as f64 * keep) as usize);
        check_all(&bytes)?;
    }
}

#[test]
fn the_allocation_tracker_sees_large_allocations() {
    let peak = peak_of(|| {
        let v = std::hint::black_box(vec![1u8; 8 << 20]);
        assert_eq!(v.len(), 8 << 20);
    });
    assert!(peak >= 8 << 20, "{peak}");
    assert!(peak_of(|| {}) < 1024);
}

#[test]
fn the_array_builder_makes_a_valid_pickle() {
    // Guards the generator above: a consistent claim loads.
    let bytes = array_claiming(&[2, 3], 6);
    match pickle::load(&bytes).unwrap() {
        pickle::Value::Array(a) => assert_eq!((a.shape.clone(), a.data.len()), (vec![2, 3], 6)),
        other => panic!("not an array: {}", other.type_name()),
    }
}

#[test]
fn gzip_streams_are_capped_but_the_cap_is_a_gibibyte() {
    // A gzip stream may legitimately decompress to far more than its own size; the reader
    // caps it at MAX_DECOMPRESSED (1 GiB), so up to 1 GiB may be allocated for an input of
    // about 1 MiB (deflate's best ratio is about 1000:1). Shown here on a small scale:
    let zeros = common::gzip(&vec![0u8; 1 << 20]);
    assert!(zeros.len() < 16 << 10, "{} bytes", zeros.len());
    let peak = peak_of(|| {
        let out = decompress_if_gz(zeros.clone(), Path::new("zeros.gz")).unwrap();
        assert_eq!(out.len(), 1 << 20);
    });
    assert!(peak >= 1 << 20, "the output itself is allocated: {peak}");
}
