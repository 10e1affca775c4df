//! Our own `f32` matrix product for the small products of the SAC learner and the heads
//! (tens to hundreds of rows and columns), on AVX-512.
//!
//! At these sizes the `gemm` crate's fixed costs dominate: it packs the left operand of a
//! forward product `x·Wᵀ` into panels on every call, and its stable-Rust kernels are the AVX2
//! ones (its AVX-512 kernels need a nightly compiler). Here a 6 × 64 register tile (24
//! accumulators of 16 lanes) runs over the reduction with one broadcast of `a` per row and
//! four loads of `b` per step, reading a row-major `b` in place; a transposed `b` (the weight
//! of a forward product) is first copied 64 columns at a time into a panel with 8 × 8
//! register transposes.
//!
//! Every output element is one chain of fused multiply–adds over the reduction in order
//! (`acc = 0; acc = fma(a[i,p], b[p,j], acc)` for p = 0, 1, …), then stored or added to `c`:
//! no reassociation, so the result does not depend on the tile an element falls in, on
//! the tile sizes, or on the shape of the product it is part of.

use std::arch::x86_64::*;
use std::cell::RefCell;
use std::sync::OnceLock;

/// Rows of a register tile.
const MR: usize = 6;
/// Columns of a register tile (four vectors of 16 lanes).
const NR: usize = 64;

/// Whether this CPU runs the kernel (checked once).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE
        .get_or_init(|| is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx"))
}

thread_local! {
    /// The panel a transposed `b` is copied into (k × 64, reused between calls).
    static PANEL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A strided matrix operand: element (i, j) at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub struct Operand {
    /// First element.
    pub ptr: *const f32,
    /// Row stride, in elements.
    pub rs: isize,
    /// Column stride, in elements.
    pub cs: isize,
}

/// `c = a·b` or, with `accumulate`, `c += a·b`, for `a` m × k, `b` k × n and `c` row-major
/// with row stride `ldc`. Returns false (and does nothing) when `b` has neither unit column
/// stride (row-major) nor unit row stride (a transposed row-major matrix): the caller then
/// uses another product.
///
/// (Rust 1.89 stabilised the AVX-512 intrinsics; the workspace's minimum version says so.)
///
/// # Safety
/// [`available`] must be true; `a`, `b` and `c` must address m × k, k × n and m × n valid
/// elements through their strides, and `c` must not overlap `a` or `b`.
#[allow(clippy::too_many_arguments)] // the shape, three operands and the mode of one product
pub unsafe fn matmul(
    m: usize,
    n: usize,
    k: usize,
    a: Operand,
    b: Operand,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) -> bool {
    if b.cs == 1 {
        // SAFETY: forwarded from the caller.
        unsafe { product(m, n, k, a, b.ptr, b.rs, c, ldc as isize, accumulate) };
        true
    } else if b.rs == 1 {
        PANEL.with(|panel| {
            let mut panel = panel.borrow_mut();
            panel.resize(k * NR, 0.0);
            let mut j = 0;
            while j < n {
                let w = (n - j).min(NR);
                // SAFETY: columns j..j + w of b exist (caller's contract); the panel holds
                // k × NR values.
                unsafe {
                    pack_transposed(k, w, b.ptr.offset(j as isize * b.cs), b.cs, &mut panel);
                    product(
                        m,
                        w,
                        k,
                        a,
                        panel.as_ptr(),
                        NR as isize,
                        c.add(j),
                        ldc as isize,
                        accumulate,
                    );
                }
                j += w;
            }
        });
        true
    } else {
        false
    }
}

/// Copies columns `0..w` (w ≤ 64) of the k × w matrix whose column j is the contiguous row
/// `src + j·ld` into `panel` (row p at `p·64`).
#[target_feature(enable = "avx,avx512f")]
unsafe fn pack_transposed(k: usize, w: usize, src: *const f32, ld: isize, panel: &mut [f32]) {
    debug_assert!(w <= NR && panel.len() >= k * NR);
    let dst = panel.as_mut_ptr();
    let (w8, k8) = (w / 8 * 8, k / 8 * 8);
    // SAFETY (whole body): reads stay in columns < w and rows < k of the source, writes in
    // rows < k of the panel.
    unsafe {
        for j in (0..w8).step_by(8) {
            for p in (0..k8).step_by(8) {
                let r = |q: usize| _mm256_loadu_ps(src.offset((j + q) as isize * ld).add(p));
                let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
                let (r4, r5, r6, r7) = (r(4), r(5), r(6), r(7));
                let t0 = _mm256_unpacklo_ps(r0, r1);
                let t1 = _mm256_unpackhi_ps(r0, r1);
                let t2 = _mm256_unpacklo_ps(r2, r3);
                let t3 = _mm256_unpackhi_ps(r2, r3);
                let t4 = _mm256_unpacklo_ps(r4, r5);
                let t5 = _mm256_unpackhi_ps(r4, r5);
                let t6 = _mm256_unpacklo_ps(r6, r7);
                let t7 = _mm256_unpackhi_ps(r6, r7);
                let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                let out = [
                    _mm256_permute2f128_ps::<0x20>(s0, s4),
                    _mm256_permute2f128_ps::<0x20>(s1, s5),
                    _mm256_permute2f128_ps::<0x20>(s2, s6),
                    _mm256_permute2f128_ps::<0x20>(s3, s7),
                    _mm256_permute2f128_ps::<0x31>(s0, s4),
                    _mm256_permute2f128_ps::<0x31>(s1, s5),
                    _mm256_permute2f128_ps::<0x31>(s2, s6),
                    _mm256_permute2f128_ps::<0x31>(s3, s7),
                ];
                for (q, v) in out.into_iter().enumerate() {
                    _mm256_storeu_ps(dst.add((p + q) * NR + j), v);
                }
            }
            for p in k8..k {
                for q in 0..8 {
                    *dst.add(p * NR + j + q) = *src.offset((j + q) as isize * ld).add(p);
                }
            }
        }
        for j in w8..w {
            let col = src.offset(j as isize * ld);
            for p in 0..k {
                *dst.add(p * NR + j) = *col.add(p);
            }
        }
    }
}

/// The product with a row-major `b` (row stride `ldb`), tile by tile.
#[target_feature(enable = "avx,avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn product(
    m: usize,
    n: usize,
    k: usize,
    a: Operand,
    b: *const f32,
    ldb: isize,
    c: *mut f32,
    ldc: isize,
    accumulate: bool,
) {
    let mut j = 0;
    while j < n {
        let w = (n - j).min(NR);
        let mut masks = [0u16; 4];
        for (v, mask) in masks.iter_mut().enumerate() {
            let lanes = w.saturating_sub(16 * v).min(16);
            *mask = ((1u32 << lanes) - 1) as u16;
        }
        let vectors = w.div_ceil(16);
        let mut i = 0;
        while i < m {
            let rows = (m - i).min(MR);
            // SAFETY: rows i..i + rows and columns j..j + w are inside the operands.
            unsafe {
                let t = Tile {
                    k,
                    a: a.ptr.offset(i as isize * a.rs),
                    rsa: a.rs,
                    csa: a.cs,
                    b: b.add(j),
                    ldb,
                    c: c.offset(i as isize * ldc).add(j),
                    ldc,
                    masks,
                    accumulate,
                };
                match (rows, vectors) {
                    (6, 4) => t.run::<6, 4>(),
                    (6, 3) => t.run::<6, 3>(),
                    (6, 2) => t.run::<6, 2>(),
                    (6, _) => t.run::<6, 1>(),
                    (5, 4) => t.run::<5, 4>(),
                    (5, 3) => t.run::<5, 3>(),
                    (5, 2) => t.run::<5, 2>(),
                    (5, _) => t.run::<5, 1>(),
                    (4, 4) => t.run::<4, 4>(),
                    (4, 3) => t.run::<4, 3>(),
                    (4, 2) => t.run::<4, 2>(),
                    (4, _) => t.run::<4, 1>(),
                    (3, 4) => t.run::<3, 4>(),
                    (3, 3) => t.run::<3, 3>(),
                    (3, 2) => t.run::<3, 2>(),
                    (3, _) => t.run::<3, 1>(),
                    (2, 4) => t.run::<2, 4>(),
                    (2, 3) => t.run::<2, 3>(),
                    (2, 2) => t.run::<2, 2>(),
                    (2, _) => t.run::<2, 1>(),
                    (_, 4) => t.run::<1, 4>(),
                    (_, 3) => t.run::<1, 3>(),
                    (_, 2) => t.run::<1, 2>(),
                    (_, _) => t.run::<1, 1>(),
                }
            }
            i += rows;
        }
        j += w;
    }
}

/// One register tile of `R` rows and `V` vectors of columns.
struct Tile {
    k: usize,
    a: *const f32,
    rsa: isize,
    csa: isize,
    b: *const f32,
    ldb: isize,
    c: *mut f32,
    ldc: isize,
    masks: [u16; 4],
    accumulate: bool,
}

impl Tile {
    #[target_feature(enable = "avx,avx512f")]
    unsafe fn run<const R: usize, const V: usize>(&self) {
        // SAFETY (whole body): the tile's rows, columns (masked) and reduction steps are
        // inside the operands (see `product`).
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); V]; R];
            let (mut a, mut b) = (self.a, self.b);
            for _ in 0..self.k {
                let mut bv = [_mm512_setzero_ps(); V];
                for (v, x) in bv.iter_mut().enumerate() {
                    *x = _mm512_maskz_loadu_ps(self.masks[v], b.add(16 * v));
                }
                for (i, row) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_ps(*a.offset(i as isize * self.rsa));
                    for (x, &y) in row.iter_mut().zip(&bv) {
                        *x = _mm512_fmadd_ps(av, y, *x);
                    }
                }
                a = a.offset(self.csa);
                b = b.offset(self.ldb);
            }
            for (i, row) in acc.iter().enumerate() {
                let c = self.c.offset(i as isize * self.ldc);
                for (v, &x) in row.iter().enumerate() {
                    let at = c.add(16 * v);
                    let out = if self.accumulate {
                        _mm512_add_ps(_mm512_maskz_loadu_ps(self.masks[v], at), x)
                    } else {
                        x
                    };
                    _mm512_mask_storeu_ps(at, self.masks[v], out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The documented arithmetic, one element at a time: a chain of fused multiply–adds over
    /// the reduction in order, then stored or added.
    fn reference(m: usize, n: usize, k: usize, a: Operand, b: Operand, c: &mut [f32], acc: bool) {
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for p in 0..k {
                    // SAFETY: inside the operands built by the test.
                    let (x, y) = unsafe {
                        (
                            *a.ptr.offset(i as isize * a.rs + p as isize * a.cs),
                            *b.ptr.offset(p as isize * b.rs + j as isize * b.cs),
                        )
                    };
                    s = x.mul_add(y, s);
                }
                c[i * n + j] = if acc { c[i * n + j] + s } else { s };
            }
        }
    }

    /// A row-major (or, `transposed`, column-major) rows × cols operand over `data`.
    fn operand(data: &[f32], rows: usize, cols: usize, transposed: bool) -> Operand {
        assert_eq!(data.len(), rows * cols);
        let (rs, cs) = if transposed {
            (1, rows as isize)
        } else {
            (cols as isize, 1)
        };
        Operand {
            ptr: data.as_ptr(),
            rs,
            cs,
        }
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32)
            .map(|v| v / (1u32 << 24) as f32 * 4.0 - 2.0)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any shape (edges of the 6 × 64 tile and of the 8 × 8 transposes included), both
        /// layouts of either operand, storing or accumulating: the kernel gives the chain of
        /// fused multiply–adds bit for bit.
        #[test]
        fn equals_the_fused_multiply_add_chain(
            m in 1usize..20,
            n in 1usize..140,
            k in 1usize..40,
            a_t in any::<bool>(),
            b_t in any::<bool>(),
            accumulate in any::<bool>(),
            seed in any::<u32>(),
        ) {
            prop_assume!(available());
            let (a, b) = (values(m * k, seed), values(k * n, seed ^ 0x5bd1));
            let (ao, bo) = (operand(&a, m, k, a_t), operand(&b, k, n, b_t));
            let start = values(m * n, seed ^ 0x9e37);
            let (mut got, mut want) = (start.clone(), start);
            // SAFETY: the kernel is available; the operands cover their shapes.
            let ran = unsafe { matmul(m, n, k, ao, bo, got.as_mut_ptr(), n, accumulate) };
            prop_assert!(ran, "both layouts of b are handled");
            reference(m, n, k, ao, bo, &mut want, accumulate);
            prop_assert_eq!(got, want);
        }
    }

    /// The sizes of the SAC critic (64 × 256 · 256 × 256, both layouts of `b`), and a row
    /// taken alone equals the same row of the whole product.
    #[test]
    fn critic_sized_products_and_single_rows() {
        if !available() {
            return;
        }
        let (m, k, n) = (64, 256, 256);
        let (a, b) = (values(m * k, 1), values(k * n, 2));
        for b_t in [false, true] {
            let (ao, bo) = (operand(&a, m, k, false), operand(&b, k, n, b_t));
            let mut got = vec![0.0; m * n];
            let mut want = vec![0.0; m * n];
            // SAFETY: as above.
            assert!(unsafe { matmul(m, n, k, ao, bo, got.as_mut_ptr(), n, false) });
            reference(m, n, k, ao, bo, &mut want, false);
            assert_eq!(got, want);
            let row = 37;
            let one = Operand {
                ptr: a[row * k..].as_ptr(),
                ..ao
            };
            let mut alone = vec![0.0; n];
            // SAFETY: as above, one row.
            assert!(unsafe { matmul(1, n, k, one, bo, alone.as_mut_ptr(), n, false) });
            assert_eq!(alone, got[row * n..(row + 1) * n]);
        }
    }

    #[test]
    fn other_strides_are_declined() {
        if !available() {
            return;
        }
        let a = values(4, 3);
        let b = values(12, 4);
        let ao = operand(&a, 2, 2, false);
        let bo = Operand {
            ptr: b.as_ptr(),
            rs: 2,
            cs: 3,
        };
        let mut c = vec![7.0; 4];
        // SAFETY: the strided b covers a 2 × 2 matrix inside 12 values.
        assert!(!unsafe { matmul(2, 2, 2, ao, bo, c.as_mut_ptr(), 2, false) });
        assert_eq!(c, vec![7.0; 4], "untouched");
    }
}
