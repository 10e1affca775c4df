//! Dense matrix products, the only place the engine spends serious FLOPs.
//!
//! A thin, strided wrapper over the `gemm` crate (blocked, SIMD micro-kernels, rayon
//! parallelism over output blocks — never over the reduction dimension, so the result of a
//! product does not depend on the thread count). Transposes are free: a [`MatRef`] carries
//! row and column strides, and `.t()` swaps them.
//!
//! Small serial `f32` products run on our own AVX-512 kernel ([`avx512`]) when the CPU has
//! it: the SAC learner's critics and heads are made of them, and there the `gemm` crate's
//! per-call packing and AVX2 kernels cost a quarter of the time.

#[cfg(target_arch = "x86_64")]
pub mod avx512;

use crate::scalar::Scalar;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

static COUNTING: AtomicBool = AtomicBool::new(false);
static FLOPS: AtomicU64 = AtomicU64::new(0);
static NANOS: AtomicU64 = AtomicU64::new(0);

/// Floating-point operations and wall time spent in [`matmul`] while counting was on.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GemmStats {
    /// 2·m·n·k summed over the products.
    pub flops: u64,
    /// Wall time inside the products, in nanoseconds.
    pub nanos: u64,
}

impl GemmStats {
    /// Achieved GFLOP/s.
    pub fn gflops(&self) -> f64 {
        if self.nanos == 0 {
            0.0
        } else {
            self.flops as f64 / self.nanos as f64
        }
    }
}

/// Starts (and resets) counting the FLOPs and time of every matrix product, for the
/// benchmark's report; off by default (one relaxed load per product when off).
pub fn start_counting() {
    FLOPS.store(0, Ordering::Relaxed);
    NANOS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
}

/// Stops counting and returns what was counted.
pub fn stop_counting() -> GemmStats {
    COUNTING.store(false, Ordering::Relaxed);
    GemmStats {
        flops: FLOPS.load(Ordering::Relaxed),
        nanos: NANOS.load(Ordering::Relaxed),
    }
}

/// A read-only strided view of a row-major (or transposed) matrix.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, S> {
    data: &'a [S],
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

impl<'a, S> MatRef<'a, S> {
    /// A `rows × cols` row-major matrix stored in `data` (length exactly `rows * cols`).
    ///
    /// # Panics
    /// If `data.len() != rows * cols` — a shape bug in the caller, never a data error.
    pub fn new(data: &'a [S], rows: usize, cols: usize) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "matrix buffer has the wrong length"
        );
        Self {
            data,
            rows,
            cols,
            row_stride: cols as isize,
            col_stride: 1,
        }
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
}

/// Products smaller than this many multiply–adds run on the calling thread: splitting
/// them costs more than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 20;

/// Serial `f32` products go to the [`avx512`] kernel with at least this many output columns
/// (narrower ones waste most of its 16-lane vectors)…
const OWN_MIN_COLS: usize = 16;
/// …at most this long a reduction (its panel of `b`, k × 64 values, stays in L2)…
const OWN_MAX_DEPTH: usize = 1024;
/// …at most this many values of `a` (it is read once per 64 output columns)…
const OWN_MAX_LHS: usize = 1 << 18;
/// …and, when `b` must first be copied into panels (a transposed `b`), at least this many
/// rows to share the copy.
const OWN_MIN_ROWS_PACKED: usize = 16;

thread_local! {
    static SERIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every [`matmul`] it makes on this thread serial. For callers that already
/// run independent products side by side (e.g. SAC's twin critics, one per thread),
/// where splitting each small product again only adds synchronisation.
pub fn serial<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the flag also when `f` unwinds (a caught panic must not leave the thread
    /// serial).
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SERIAL.with(|s| s.replace(true)));
    f()
}

/// Whether this thread is inside [`serial`] (callers with parallel paths of their own
/// follow it too).
pub fn is_serial() -> bool {
    SERIAL.with(|s| s.get())
}

/// `c = a · b` (when `accumulate` is false) or `c += a · b`, with `c` a row-major
/// `a.rows() × b.cols()` buffer.
///
/// # Panics
/// On inconsistent shapes (a caller bug).
pub fn matmul<S: Scalar>(c: &mut [S], a: MatRef<'_, S>, b: MatRef<'_, S>, accumulate: bool) {
    assert_eq!(
        a.cols, b.rows,
        "inner dimensions of a matrix product differ"
    );
    let (m, n, k) = (a.rows, b.cols, a.cols);
    assert_eq!(
        c.len(),
        m * n,
        "output buffer of a matrix product has the wrong length"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c.iter_mut().for_each(|x| *x = S::zero());
        }
        return;
    }
    let threads = rayon::current_num_threads();
    let parallel = threads > 1 && m * n * k >= PARALLEL_MIN_WORK && !is_serial();
    let started = COUNTING.load(Ordering::Relaxed).then(Instant::now);
    if !parallel && own_kernel(c, a, b, accumulate) {
        count(started, m, n, k);
        return;
    }
    let parallelism = if parallel {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the views were built from slices whose lengths match their shapes and
    // strides (checked in `MatRef::new`, preserved by `t`), `c` holds m × n elements with
    // row stride n, and `c` cannot alias `a` or `b` (it is a unique borrow).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride,
            a.row_stride,
            b.data.as_ptr(),
            b.col_stride,
            b.row_stride,
            S::one(),
            S::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
    count(started, m, n, k);
}

/// Adds a product to the benchmark's counters when counting.
fn count(started: Option<Instant>, m: usize, n: usize, k: usize) {
    if let Some(t0) = started {
        FLOPS.fetch_add(2 * (m * n * k) as u64, Ordering::Relaxed);
        NANOS.fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
}

/// Runs the product on the [`avx512`] kernel when it suits the product and the CPU; false
/// when the caller must run it.
fn own_kernel<S: Scalar>(
    c: &mut [S],
    a: MatRef<'_, S>,
    b: MatRef<'_, S>,
    accumulate: bool,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let (m, n, k) = (a.rows, b.cols, a.cols);
        let suits = S::IS_F32
            && n >= OWN_MIN_COLS
            && k <= OWN_MAX_DEPTH
            && m * k <= OWN_MAX_LHS
            && (b.col_stride == 1 || (b.row_stride == 1 && m >= OWN_MIN_ROWS_PACKED));
        if !suits || !avx512::available() {
            return false;
        }
        let operand = |x: MatRef<'_, S>| avx512::Operand {
            ptr: x.data.as_ptr().cast::<f32>(),
            rs: x.row_stride,
            cs: x.col_stride,
        };
        // SAFETY: S is f32 (IS_F32), so the casts reinterpret f32 as f32; the kernel is
        // available; the views address rows × cols valid elements (checked in `MatRef::new`,
        // preserved by `t`), `c` holds m × n with row stride n and, a unique borrow, cannot
        // overlap `a` or `b`.
        unsafe {
            avx512::matmul(
                m,
                n,
                k,
                operand(a),
                operand(b),
                c.as_mut_ptr().cast::<f32>(),
                n,
                accumulate,
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (c, a, b, accumulate);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    #[test]
    fn serial_products_match_the_naive_product_and_the_flag_is_restored() {
        // Large enough (128·128·128 ≥ PARALLEL_MIN_WORK) to be split when not serial.
        let (m, k, n) = (128, 128, 128);
        let a: Vec<f64> = (0..m * k)
            .map(|i| ((i * 7 % 13) as f64 - 6.0) / 5.0)
            .collect();
        let b: Vec<f64> = (0..k * n)
            .map(|i| ((i * 5 % 11) as f64 - 5.0) / 3.0)
            .collect();
        let want = naive(&a, &b, m, k, n);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (split, whole, after) = pool.install(|| {
            let mut split = vec![0.0; m * n];
            matmul(
                &mut split,
                MatRef::new(&a, m, k),
                MatRef::new(&b, k, n),
                false,
            );
            let mut whole = vec![0.0; m * n];
            let inside = serial(|| {
                matmul(
                    &mut whole,
                    MatRef::new(&a, m, k),
                    MatRef::new(&b, k, n),
                    false,
                );
                SERIAL.with(|s| s.get())
            });
            assert!(inside, "serial sets the flag for its closure");
            (split, whole, SERIAL.with(|s| s.get()))
        });
        assert!(!after, "serial restores the flag");
        let caught = std::panic::catch_unwind(|| serial(|| panic!("inside serial")));
        assert!(caught.is_err());
        assert!(
            !is_serial(),
            "serial restores the flag when its closure panics"
        );
        for ((x, y), w) in split.iter().zip(&whole).zip(&want) {
            assert!((x - w).abs() < 1e-9 && (y - w).abs() < 1e-9, "{x} {y} {w}");
        }
    }

    #[test]
    fn products_and_transposes_match_the_definition() {
        let (m, k, n) = (7, 5, 3);
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.91).cos()).collect();
        let want = naive(&a, &b, m, k, n);
        let mut c = vec![0.0; m * n];
        matmul(&mut c, MatRef::new(&a, m, k), MatRef::new(&b, k, n), false);
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-12);
        }
        // (bᵀ aᵀ)ᵀ = a b, computed as cᵀ = bᵀ · aᵀ into an n × m buffer.
        let mut ct = vec![0.0; n * m];
        matmul(
            &mut ct,
            MatRef::new(&b, k, n).t(),
            MatRef::new(&a, m, k).t(),
            false,
        );
        for i in 0..m {
            for j in 0..n {
                assert!((ct[j * m + i] - want[i * n + j]).abs() < 1e-12);
            }
        }
        // Accumulation adds.
        matmul(&mut c, MatRef::new(&a, m, k), MatRef::new(&b, k, n), true);
        for (x, y) in c.iter().zip(&want) {
            assert!((x - 2.0 * y).abs() < 1e-12);
        }
    }
}
