//! The image-interleaved direct convolution, for output channel counts that do not fill
//! whole registers (the 10-channel models).
//!
//! The register-blocked direct path ([`super::Conv2d::forward_direct`]) keeps the output
//! channels of a position in vector lanes, padded to a multiple of 8: with 10 output
//! channels, 6 of every 16 lanes multiply zeros. Here the lanes hold the same position of
//! [`LANES`] different images instead: a block of 8 images is packed as
//! `[padded position][c_in][8 images]`, and each output position keeps `C` accumulators
//! of 8 images, one per output channel, every lane useful. Per tap and input channel, one
//! vector load of 8 images' inputs feeds `C` fused multiply–adds with broadcast weights.
//!
//! Each output is accumulated in the same order as the register-blocked path (bias, then
//! taps `(ky, kx)`, then input channels, each a fused multiply–add), so the two paths give
//! bit-identical results; the tests check equality, not closeness.

use super::Conv2d;
use crate::scalar::Scalar;
use rayon::prelude::*;

/// Images per block: one AVX register of f32.
pub(super) const LANES: usize = 8;

/// The largest output channel count the interleaved path handles (`C` accumulator
/// registers plus the input vector and broadcast temporaries fit the 16 vector registers).
pub(super) const MAX_CHANNELS: usize = 12;

/// Runs `$body` with the const `$c` equal to the runtime channel count `$count`
/// (1..=[`MAX_CHANNELS`]).
macro_rules! with_channels {
    ($count:expr, $c:ident => $body:expr) => {
        match $count {
            1 => { const $c: usize = 1; $body }
            2 => { const $c: usize = 2; $body }
            3 => { const $c: usize = 3; $body }
            4 => { const $c: usize = 4; $body }
            5 => { const $c: usize = 5; $body }
            6 => { const $c: usize = 6; $body }
            7 => { const $c: usize = 7; $body }
            8 => { const $c: usize = 8; $body }
            9 => { const $c: usize = 9; $body }
            10 => { const $c: usize = 10; $body }
            11 => { const $c: usize = 11; $body }
            12 => { const $c: usize = 12; $body }
            other => panic!("the interleaved convolution handles 1 to {MAX_CHANNELS} output channels, not {other}"),
        }
    };
}

impl<S: Scalar> Conv2d<S> {
    /// Direct forward with images interleaved in the vector lanes (see the module
    /// documentation); bit-identical to [`Conv2d::forward_direct`].
    ///
    /// # Panics
    /// If `c_out` exceeds [`MAX_CHANNELS`] or a slice has the wrong length.
    pub fn forward_interleaved(&self, x: &[S], images: usize, y: &mut [S]) {
        self.check_lengths(x, y, images, "output");
        let c_out = self.c_out();
        let chunk = chunk_channels(c_out).unwrap_or_else(|| {
            panic!("the interleaved convolution cannot split {c_out} output channels")
        });
        let kernel = self.kernel_by_input();
        let stride = super::padded(c_out);
        let geometry = Geometry {
            side: self.side,
            c_in: self.c_in(),
            in_len: self.in_len(),
            out_len: self.out_len(),
        };
        let bias = &self.bias.value;
        y.par_chunks_mut(LANES * geometry.out_len)
            .zip(x.par_chunks(LANES * geometry.in_len))
            .for_each_init(Vec::new, |packed, (out, imgs)| {
                with_channels!(chunk, C => block::<S, C>(imgs, out, &kernel, stride, bias, &geometry, packed));
            });
    }
}

impl Conv2d<f32> {
    /// `∂L/∂W` with images interleaved in the lanes, accumulated into `weight.grad`;
    /// `false` (and nothing done) when this build or shape has no such path (then use
    /// [`Conv2d::weight_grad_direct`]). Per block of [`LANES`] images, one partial sum per
    /// weight and lane over the block's output positions; the blocks' lane sums are added
    /// in block order, so the result does not depend on the thread count.
    pub fn weight_grad_interleaved(&mut self, x: &[f32], gy: &[f32], images: usize) -> bool {
        let c_out = self.c_out();
        // Two input channels share each gradient load: at most 6 output channels per pass
        // keep the 2 × C accumulators in registers.
        let Some(chunk) = (1..=6).rev().find(|c| c_out.is_multiple_of(*c)) else {
            return false;
        };
        if !cfg!(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        )) {
            return false;
        }
        self.check_lengths(x, gy, images, "output gradient");
        let g = Geometry {
            side: self.side,
            c_in: self.c_in(),
            in_len: self.in_len(),
            out_len: self.out_len(),
        };
        let (c_in, side) = (g.c_in, g.side);
        // [ky][kx][c_in][c_out], summed over each block's lanes.
        let partials: Vec<Vec<f32>> = gy
            .par_chunks(LANES * g.out_len)
            .zip(x.par_chunks(LANES * g.in_len))
            .map(|(grads, imgs)| {
                let (mut px, mut pg) = (Vec::new(), Vec::new());
                pack(imgs, side, c_in, 1, &mut px);
                pack(grads, side, c_out, 0, &mut pg);
                let mut acc = vec![0.0f32; 9 * c_in * c_out];
                #[cfg(all(
                    target_arch = "x86_64",
                    target_feature = "avx2",
                    target_feature = "fma"
                ))]
                with_channels!(chunk, C => avx::weight_grad::<C>(&px, &pg, &mut acc, &g));
                #[cfg(not(all(
                    target_arch = "x86_64",
                    target_feature = "avx2",
                    target_feature = "fma"
                )))]
                let _ = (chunk, &px, &pg);
                acc
            })
            .collect();
        self.fold_kernel_grad(&partials, c_out);
        true
    }
}

/// The number of output channels per pass over a block, when the interleaved path
/// handles `c_out`: all of them up to [`MAX_CHANNELS`], else the largest divisor of
/// `c_out` from 8 to [`MAX_CHANNELS`] (40 → 4 passes of 10).
pub(super) fn chunk_channels(c_out: usize) -> Option<usize> {
    if c_out == 0 {
        None
    } else if c_out <= MAX_CHANNELS {
        Some(c_out)
    } else {
        (8..=MAX_CHANNELS).rev().find(|c| c_out.is_multiple_of(*c))
    }
}

/// Shapes of one convolution.
struct Geometry {
    side: usize,
    c_in: usize,
    in_len: usize,
    out_len: usize,
}

/// `v` as `f32`s when `S` is `f32`.
pub(super) fn as_f32<S: Scalar>(v: &[S]) -> Option<&[f32]> {
    (std::any::TypeId::of::<S>() == std::any::TypeId::of::<f32>())
        // SAFETY: `S` is `f32`, so the slice reinterprets as itself.
        .then(|| unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<f32>(), v.len()) })
}

/// Packs up to [`LANES`] NHWC images of `side² × channels` as
/// `[(side + 2·border)² positions][channels][LANES]`: image `i` in lane `i`, a zero border
/// of `border` positions, zero lanes past the last image.
fn pack<S: Scalar>(imgs: &[S], side: usize, channels: usize, border: usize, packed: &mut Vec<S>) {
    let ps = side + 2 * border;
    let len = side * side * channels;
    let n = imgs.len() / len;
    packed.clear();
    packed.resize(ps * ps * channels * LANES, S::zero());
    // Position by position, so the writes are contiguous runs of `channels·LANES`.
    for yi in 0..side {
        for xi in 0..side {
            let src = (yi * side + xi) * channels;
            let dst = ((yi + border) * ps + xi + border) * channels * LANES;
            let run = &mut packed[dst..dst + channels * LANES];
            for lane in 0..n {
                let pixel = &imgs[lane * len + src..][..channels];
                for (ci, &v) in pixel.iter().enumerate() {
                    run[ci * LANES + lane] = v;
                }
            }
        }
    }
}

/// Convolves up to [`LANES`] images (`imgs`, NHWC, one after another) into `out`.
/// `kernel` is `[ky][kx][c_in][stride]` with the output channels first in each row.
fn block<S: Scalar, const C: usize>(
    imgs: &[S],
    out: &mut [S],
    kernel: &[S],
    stride: usize,
    bias: &[S],
    g: &Geometry,
    packed: &mut Vec<S>,
) {
    let side = g.side;
    let n = imgs.len() / g.in_len;
    pack(imgs, side, g.c_in, 1, packed);
    let c_out = g.out_len / (side * side);
    for c0 in (0..c_out).step_by(C) {
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        ))]
        if std::any::TypeId::of::<S>() == std::any::TypeId::of::<f32>() {
            let cast = |v| as_f32::<S>(v).expect("S is f32");
            // SAFETY: `S` is `f32` (checked above), so the slice reinterprets as itself.
            let out32 = unsafe {
                std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<f32>(), out.len())
            };
            avx::positions::<C>(
                cast(packed),
                out32,
                cast(kernel),
                stride,
                cast(bias),
                g,
                n,
                c0,
            );
            continue;
        }
        generic_positions::<S, C>(packed, out, kernel, stride, bias, g, n, c0);
    }
}

/// The compute loop of [`block`] for output channels `c0..c0 + C`, in portable code.
#[allow(clippy::too_many_arguments)]
fn generic_positions<S: Scalar, const C: usize>(
    packed: &[S],
    out: &mut [S],
    kernel: &[S],
    stride: usize,
    bias: &[S],
    g: &Geometry,
    n: usize,
    c0: usize,
) {
    let (side, c_in) = (g.side, g.c_in);
    let ps = side + 2;
    let c_out = g.out_len / (side * side);
    let mut b = [S::zero(); C];
    b.copy_from_slice(&bias[c0..c0 + C]);
    for yo in 0..side {
        for xo in 0..side {
            let mut acc = [[S::zero(); LANES]; C];
            for (a, &bc) in acc.iter_mut().zip(&b) {
                *a = [bc; LANES];
            }
            for ky in 0..3 {
                for kx in 0..3 {
                    let base = ((yo + ky) * ps + xo + kx) * c_in * LANES;
                    let taps = &kernel[(ky * 3 + kx) * c_in * stride..][..c_in * stride];
                    for ci in 0..c_in {
                        let v: &[S; LANES] = packed[base + ci * LANES..][..LANES]
                            .try_into()
                            .expect("LANES wide");
                        let w: &[S; C] = taps[ci * stride + c0..][..C].try_into().expect("C wide");
                        for (a, &wc) in acc.iter_mut().zip(w) {
                            for j in 0..LANES {
                                a[j] = v[j].mul_add(wc, a[j]);
                            }
                        }
                    }
                }
            }
            let pos = (yo * side + xo) * c_out + c0;
            for lane in 0..n {
                let dst = &mut out[lane * g.out_len + pos..][..C];
                for (d, a) in dst.iter_mut().zip(&acc) {
                    *d = a[lane];
                }
            }
        }
    }
}

/// The compute loop of [`block`] for `f32` with AVX2 and FMA intrinsics: the generic loop
/// above compiles to code that keeps its accumulators on the stack; here they are `C`
/// registers. Same operations in the same order (bit-identical).
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
mod avx {
    use super::{Geometry, LANES};
    use std::arch::x86_64::{_mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_storeu_ps};

    /// Every output position of one packed block of images (see [`super::block`]), output
    /// channels `c0..c0 + C`. (Two adjacent positions per pass, sharing each broadcast
    /// weight, with `C = 5` accumulators each, measured slower than one position with
    /// `C = 10`: ×2.00 against ×2.30 over the channel-lane path for 10 → 10 channels.)
    #[allow(clippy::too_many_arguments)]
    pub(super) fn positions<const C: usize>(
        packed: &[f32],
        out: &mut [f32],
        kernel: &[f32],
        stride: usize,
        bias: &[f32],
        g: &Geometry,
        n: usize,
        c0: usize,
    ) {
        let (side, c_in) = (g.side, g.c_in);
        let ps = side + 2;
        assert!(
            packed.len() >= ps * ps * c_in * LANES,
            "packed block too short"
        );
        assert!(
            kernel.len() >= 9 * c_in * stride && stride >= c0 + C,
            "kernel too short"
        );
        assert!(
            bias.len() >= c0 + C && out.len() >= n * g.out_len && n <= LANES,
            "bad block"
        );
        let c_out = g.out_len / (side * side);
        let mut lanes = [0.0f32; LANES];
        for yo in 0..side {
            for xo in 0..side {
                // SAFETY: AVX2 and FMA are enabled at compile time (cfg above). Loads read
                // LANES floats at `((yo + ky)·ps + xo + kx)·c_in·LANES + ci·LANES`, inside
                // the packed block of `ps²·c_in·LANES` floats as `yo + ky < ps` and
                // `xo + kx < ps`; weight indices are below `9·c_in·stride`
                // (`c0 + C ≤ stride`); both checked by the asserts above.
                unsafe {
                    let mut acc = [_mm256_set1_ps(0.0); C];
                    for (a, &b) in acc.iter_mut().zip(&bias[c0..]) {
                        *a = _mm256_set1_ps(b);
                    }
                    for ky in 0..3 {
                        for kx in 0..3 {
                            let base = ((yo + ky) * ps + xo + kx) * c_in * LANES;
                            let taps = kernel.as_ptr().add((ky * 3 + kx) * c_in * stride);
                            let pixels = packed.as_ptr().add(base);
                            for ci in 0..c_in {
                                let v = _mm256_loadu_ps(pixels.add(ci * LANES));
                                let w = taps.add(ci * stride + c0);
                                for (c, a) in acc.iter_mut().enumerate() {
                                    *a = _mm256_fmadd_ps(v, _mm256_set1_ps(*w.add(c)), *a);
                                }
                            }
                        }
                    }
                    let pos = (yo * side + xo) * c_out + c0;
                    for (c, a) in acc.iter().enumerate() {
                        _mm256_storeu_ps(lanes.as_mut_ptr(), *a);
                        for (lane, &v) in lanes.iter().enumerate().take(n) {
                            out[lane * g.out_len + pos + c] = v;
                        }
                    }
                }
            }
        }
    }

    /// One block's `∂L/∂W`, summed over its lanes into `acc` (`[ky][kx][c_in][c_out]`):
    /// for each output row, tap and pair of input channels (`B` = 2, or 1 for odd `c_in`),
    /// `B × C` accumulators of the products of the input vectors with the `C`
    /// output-gradient vectors of each position in the row (each gradient load feeds `B`
    /// multiply–adds).
    pub(super) fn weight_grad<const C: usize>(
        px: &[f32],
        pg: &[f32],
        acc: &mut [f32],
        g: &Geometry,
    ) {
        if g.c_in.is_multiple_of(2) {
            weight_grad_blocked::<C, 2>(px, pg, acc, g);
        } else {
            weight_grad_blocked::<C, 1>(px, pg, acc, g);
        }
    }

    fn weight_grad_blocked<const C: usize, const B: usize>(
        px: &[f32],
        pg: &[f32],
        acc: &mut [f32],
        g: &Geometry,
    ) {
        let (side, c_in) = (g.side, g.c_in);
        let ps = side + 2;
        let c_out = g.out_len / (side * side);
        assert!(px.len() >= ps * ps * c_in * LANES, "packed input too short");
        assert!(
            pg.len() >= side * side * c_out * LANES,
            "packed gradient too short"
        );
        assert!(
            acc.len() >= 9 * c_in * c_out && c_out.is_multiple_of(C),
            "bad accumulator"
        );
        assert!(c_in % B == 0, "input channels not a multiple of the block");
        // Lane-wise partial sums, [ky][kx][c_in][c_out] vectors.
        let mut lanes = vec![0.0f32; 9 * c_in * c_out * LANES];
        for c0 in (0..c_out).step_by(C) {
            for yo in 0..side {
                for ky in 0..3 {
                    for kx in 0..3 {
                        for ci in (0..c_in).step_by(B) {
                            let slot = ((ky * 3 + kx) * c_in + ci) * c_out + c0;
                            // SAFETY: AVX2 and FMA are enabled at compile time (cfg of the
                            // module). Input loads at `((yo + ky)·ps + xo + kx)·c_in·LANES +
                            // (ci + b)·LANES` stay inside `ps²·c_in·LANES` (yo + ky < ps,
                            // xo + kx < ps, ci + b < c_in); gradient loads at `((yo·side +
                            // xo)·c_out + c0 + c)·LANES` inside `side²·c_out·LANES`; partial
                            // sums at `(slot + b·c_out + c)·LANES` inside `9·c_in·c_out·LANES`;
                            // all lengths asserted above.
                            unsafe {
                                let part = lanes.as_mut_ptr().add(slot * LANES);
                                let mut a: [[_; C]; B] = std::array::from_fn(|b| {
                                    std::array::from_fn(|c| {
                                        _mm256_loadu_ps(part.add((b * c_out + c) * LANES))
                                    })
                                });
                                for xo in 0..side {
                                    let input = px.as_ptr().add(
                                        ((yo + ky) * ps + xo + kx) * c_in * LANES + ci * LANES,
                                    );
                                    let v: [_; B] = std::array::from_fn(|b| {
                                        _mm256_loadu_ps(input.add(b * LANES))
                                    });
                                    let grad =
                                        pg.as_ptr().add(((yo * side + xo) * c_out + c0) * LANES);
                                    for c in 0..C {
                                        let gc = _mm256_loadu_ps(grad.add(c * LANES));
                                        for (row, &vb) in a.iter_mut().zip(&v) {
                                            row[c] = _mm256_fmadd_ps(vb, gc, row[c]);
                                        }
                                    }
                                }
                                for (b, row) in a.iter().enumerate() {
                                    for (c, ac) in row.iter().enumerate() {
                                        _mm256_storeu_ps(part.add((b * c_out + c) * LANES), *ac);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for (dst, v) in acc.iter_mut().zip(lanes.chunks_exact(LANES)) {
            *dst += v.iter().sum::<f32>();
        }
    }
}
