//! 3×3 convolution (stride 1, zero padding 1) and 2×2 average pooling over batches of
//! images, with explicit backward passes.
//!
//! Layout is NHWC: an image of `side × side` positions with `channels` values per position
//! is `side²·channels` contiguous numbers, channels innermost. The spiking cells are
//! elementwise, so the layout only matters to these layers and the readout (whose input
//! order is a fixed permutation of PyTorch's NCHW flattening; its weights are i.i.d. at
//! initialisation, so the two orders define the same model).
//!
//! The dense path is im2col followed by one GEMM: `cols` holds, for each output position,
//! its 3×3 neighbourhood `(ky, kx, c_in)` (zeros outside the image), and `y = cols·Wᵀ + b`
//! with `W` stored `[c_out][ky][kx][c_in]`. The backward pass uses the same routine twice:
//! `∂L/∂W = gyᵀ·cols`, and `∂L/∂x` is the convolution of `gy` with the flipped, transposed
//! kernel `W'[c_in][ky][kx][c_out] = W[c_out][2−ky][2−kx][c_in]`.
//!
//! Training uses direct paths: every output position's 3×3 neighbourhood read from a
//! zero-padded copy of the image, accumulators kept in registers. Two lane layouts:
//! [`Conv2d::forward_direct`] puts a block of positions' output channels (padded to whole
//! registers) in the lanes; [`Conv2d::forward_interleaved`] (module `interleaved`) puts
//! the same position of 8 images in the lanes, so 10 output channels waste no lanes; the
//! faster one is chosen per shape (`forward_fastest`), and for `f32` the weight gradient
//! is interleaved too.
//! The channel counts here are small (1, 10, 40), so im2col's copy of every input nine
//! times costs more memory traffic than the GEMM saves; the im2col + GEMM path is kept as
//! the reference the direct path is tested against. The input of the second convolution is
//! pooled spikes; an event-driven path that skipped zero inputs was measured slower than
//! the register-blocked direct path on the synthetic benchmark batch, where 90 % of the
//! pooled inputs are non-zero, so the direct path does not skip.

mod interleaved;

use crate::linalg::{matmul, MatRef};
use crate::param::Param;
use crate::scalar::Scalar;
use crate::timing;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Images per parallel task of the event-driven paths (fixed, so partial weight gradients
/// are summed in the same order whatever the thread count).
const IMAGES_PER_TASK: usize = 4;

/// A 3×3 convolution, stride 1, zero padding 1, `c_in → c_out` channels on `side × side`
/// images.
#[derive(Clone, Debug)]
pub struct Conv2d<S> {
    /// Kernel, `[c_out][3][3][c_in]`.
    pub weight: Param<S>,
    /// Bias, `[c_out]`.
    pub bias: Param<S>,
    /// Side of the (square) input and output images.
    pub side: usize,
}

/// Writes the im2col matrix of `images` NHWC images into `cols`:
/// `(images·side²) × (9·channels)`, row = output position, column = `(ky, kx, c)`.
pub fn im2col<S: Scalar>(x: &[S], images: usize, side: usize, channels: usize, cols: &mut Vec<S>) {
    let k = 9 * channels;
    let per_image = side * side * channels;
    assert_eq!(
        x.len(),
        images * per_image,
        "im2col input has the wrong length"
    );
    cols.resize(images * side * side * k, S::zero());
    cols.par_chunks_mut(side * side * k)
        .zip(x.par_chunks(per_image))
        .for_each(|(out, img)| {
            for yo in 0..side {
                for xo in 0..side {
                    let row = &mut out[(yo * side + xo) * k..(yo * side + xo + 1) * k];
                    for ky in 0..3 {
                        let yi = yo as isize + ky as isize - 1;
                        for kx in 0..3 {
                            let xi = xo as isize + kx as isize - 1;
                            let dst =
                                &mut row[(ky * 3 + kx) * channels..(ky * 3 + kx + 1) * channels];
                            if yi < 0 || xi < 0 || yi >= side as isize || xi >= side as isize {
                                dst.fill(S::zero());
                            } else {
                                let src = (yi as usize * side + xi as usize) * channels;
                                dst.copy_from_slice(&img[src..src + channels]);
                            }
                        }
                    }
                }
            }
        });
}

impl<S: Scalar> Conv2d<S> {
    /// A convolution with PyTorch's default initialisation: weight and bias uniform
    /// ±1/√fan_in, fan_in = 9·c_in, weights then scaled by `weight_scale`.
    pub fn new(
        name: &str,
        c_in: usize,
        c_out: usize,
        side: usize,
        weight_scale: f64,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let bound = 1.0 / ((9 * c_in) as f64).sqrt();
        let mut weight =
            Param::uniform(&format!("{name}.weight"), &[c_out, 3, 3, c_in], bound, rng);
        if weight_scale != 1.0 {
            let k = S::c(weight_scale);
            weight.value.iter_mut().for_each(|w| *w *= k);
        }
        let bias = Param::uniform(&format!("{name}.bias"), &[c_out], bound, rng);
        Self { weight, bias, side }
    }

    /// Input channels.
    pub fn c_in(&self) -> usize {
        self.weight.shape[3]
    }

    /// Output channels.
    pub fn c_out(&self) -> usize {
        self.weight.shape[0]
    }

    /// Numbers per input image.
    pub fn in_len(&self) -> usize {
        self.side * self.side * self.c_in()
    }

    /// Numbers per output image.
    pub fn out_len(&self) -> usize {
        self.side * self.side * self.c_out()
    }

    /// Panics unless `x` holds `images` input images and `y` (the output, or its gradient,
    /// named by `what`) `images` output images.
    fn check_lengths(&self, x: &[S], y: &[S], images: usize, what: &str) {
        assert_eq!(
            x.len(),
            images * self.in_len(),
            "conv input has the wrong length"
        );
        assert_eq!(
            y.len(),
            images * self.out_len(),
            "conv {what} has the wrong length"
        );
    }

    /// The kernel as `[ky][kx][c_in][P]` (output channels contiguous, zero-padded to the
    /// register-friendly width `P = padded(c_out)`), the layout of the direct paths.
    fn kernel_by_input(&self) -> Vec<S> {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        let p = padded(c_out);
        let mut out = vec![S::zero(); 9 * c_in * p];
        for co in 0..c_out {
            for k in 0..9 {
                for ci in 0..c_in {
                    out[(k * c_in + ci) * p + co] = self.weight.value[(co * 9 + k) * c_in + ci];
                }
            }
        }
        out
    }

    /// `y = conv(x) + b` for `images` NHWC images (the direct path).
    pub fn forward(&self, x: &[S], images: usize, y: &mut [S]) {
        timing::phase("conv.forward", || self.forward_fastest(x, images, y));
    }

    /// The faster of the two direct paths (bit-identical results): images interleaved in
    /// the lanes whenever the output channels split into passes of 8 to 12 (or are fewer),
    /// channels in the lanes otherwise. Measured with the `conv_paths` example (one step of
    /// a 128-image batch, median of 20–30): 10 → 10 channels on 18² ×1.9–2.3 faster,
    /// 40 → 40 ×1.66–1.72, 1 → 10 on 36² ×1.5–1.7.
    fn forward_fastest(&self, x: &[S], images: usize, y: &mut [S]) {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        // One input channel into whole registers of outputs (4lif-conv's first layer):
        // the channel-lane path was measured faster (1 → 40 on 36², 128 images: ×0.78–0.86
        // for the interleaved one).
        let channel_lanes_win = c_in == 1 && c_out % 8 == 0;
        if !channel_lanes_win && interleaved::chunk_channels(c_out).is_some() {
            self.forward_interleaved(x, images, y);
        } else {
            self.forward_direct(x, images, y);
        }
    }

    /// Dense forward, the reference: im2col and one GEMM (`cols` is scratch space).
    pub fn forward_dense(&self, x: &[S], images: usize, y: &mut [S], cols: &mut Vec<S>) {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        im2col(x, images, self.side, c_in, cols);
        for row in y.chunks_exact_mut(c_out) {
            row.copy_from_slice(&self.bias.value);
        }
        let m = images * self.side * self.side;
        matmul(
            y,
            MatRef::new(cols, m, 9 * c_in),
            MatRef::new(&self.weight.value, c_out, 9 * c_in).t(),
            true,
        );
    }

    /// Direct forward: for each output position, the sum over its 3×3 neighbourhood of
    /// `x[·, c]·W[:, ky, kx, c]`, accumulated in registers across the (padded) output
    /// channels.
    pub fn forward_direct(&self, x: &[S], images: usize, y: &mut [S]) {
        self.check_lengths(x, y, images, "output");
        let (side, c_in, c_out) = (self.side, self.c_in(), self.c_out());
        let kernel = self.kernel_by_input();
        let bias = &self.bias.value;
        y.par_chunks_mut(self.out_len())
            .zip(x.par_chunks(self.in_len()))
            .for_each_init(Vec::new, |padded_img, (out, img)| {
                with_padded!(padded(c_out), P => direct_image::<S, P>(img, out, &kernel, bias, side, c_in, c_out, padded_img));
            });
    }

    /// Backward pass for input `x` and output gradient `gy`: accumulates `∂L/∂W` and
    /// `∂L/∂b`, and writes `∂L/∂x` into `gx` when asked.
    pub fn backward(&mut self, x: &[S], gy: &[S], images: usize, gx: Option<&mut [S]>) {
        let c_out = self.c_out();
        self.check_lengths(x, gy, images, "output gradient");
        for row in gy.chunks_exact(c_out) {
            for (g, &v) in self.bias.grad.iter_mut().zip(row) {
                *g += v;
            }
        }
        timing::phase("conv.weight_grad", || {
            self.weight_grad_fastest(x, gy, images)
        });
        if let Some(gx) = gx {
            timing::phase("conv.input_grad", || self.input_grad(gy, images, gx));
        }
    }

    /// `∂L/∂W` by the interleaved path for `f32` where it exists, else the direct path.
    fn weight_grad_fastest(&mut self, x: &[S], gy: &[S], images: usize) {
        if let (Some(conv), Some(x), Some(gy)) = (
            (self as &mut dyn std::any::Any).downcast_mut::<Conv2d<f32>>(),
            interleaved::as_f32(x),
            interleaved::as_f32(gy),
        ) {
            if conv.weight_grad_interleaved(x, gy, images) {
                return;
            }
        }
        self.weight_grad_direct(x, gy, images);
    }

    /// `∂L/∂W` by im2col and one GEMM (the reference for the direct path).
    pub fn weight_grad_dense(&mut self, x: &[S], gy: &[S], images: usize, cols: &mut Vec<S>) {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        im2col(x, images, self.side, c_in, cols);
        let m = images * self.side * self.side;
        matmul(
            &mut self.weight.grad,
            MatRef::new(gy, m, c_out).t(),
            MatRef::new(cols, m, 9 * c_in),
            true,
        );
    }

    /// The transposed convolution: `∂L/∂x` is the convolution of `gy` with the flipped,
    /// transposed kernel `W'[c_in][ky][kx][c_out] = W[c_out][2−ky][2−kx][c_in]` and no bias.
    fn transposed(&self) -> Conv2d<S> {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        let mut weight = Param::zeros("transposed", &[c_in, 3, 3, c_out]);
        for co in 0..c_out {
            for k in 0..9 {
                for ci in 0..c_in {
                    weight.value[(ci * 9 + (8 - k)) * c_out + co] =
                        self.weight.value[(co * 9 + k) * c_in + ci];
                }
            }
        }
        Conv2d {
            weight,
            bias: Param::zeros("transposed.bias", &[c_in]),
            side: self.side,
        }
    }

    /// `∂L/∂x` for output gradient `gy`.
    pub fn input_grad(&self, gy: &[S], images: usize, gx: &mut [S]) {
        assert_eq!(
            gx.len(),
            images * self.in_len(),
            "conv input gradient has the wrong length"
        );
        self.transposed().forward_fastest(gy, images, gx);
    }

    /// Direct `∂L/∂W`: `∂L/∂W[:, ky, kx, c] += x[y + ky − 1, x + kx − 1, c]·gy[y, x, :]`
    /// over output positions. Partial sums per fixed group of
    /// images, added in group order (deterministic for any thread count).
    pub fn weight_grad_direct(&mut self, x: &[S], gy: &[S], images: usize) {
        let (side, c_in, c_out) = (self.side, self.c_in(), self.c_out());
        let (in_len, out_len) = (self.in_len(), self.out_len());
        let p = padded(c_out);
        let groups = images.div_ceil(IMAGES_PER_TASK);
        let partials: Vec<Vec<S>> = (0..groups)
            .into_par_iter()
            .map(|g| {
                // [ky][kx][c_in][P]
                let mut acc = vec![S::zero(); 9 * c_in * p];
                let (mut padded_img, mut padded_grad) = (Vec::new(), Vec::new());
                for n in g * IMAGES_PER_TASK..((g + 1) * IMAGES_PER_TASK).min(images) {
                    let img = &x[n * in_len..(n + 1) * in_len];
                    let grad = &gy[n * out_len..(n + 1) * out_len];
                    with_padded!(p, P => direct_weight_grad::<S, P>(img, grad, &mut acc, side, c_in, c_out, &mut padded_img, &mut padded_grad));
                }
                acc
            })
            .collect();
        self.fold_kernel_grad(&partials, p);
    }

    /// Adds per-block weight-gradient partials, each laid out `[ky][kx][c_in][stride]`
    /// (output channel fastest, `stride ≥ c_out`), into the `[c_out][ky][kx][c_in]` weight
    /// gradient, block by block in order.
    pub(crate) fn fold_kernel_grad(&mut self, partials: &[Vec<S>], stride: usize) {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        assert!(
            stride >= c_out,
            "partials narrower than the output channels"
        );
        for acc in partials {
            assert_eq!(acc.len(), 9 * c_in * stride, "partial of the wrong length");
            for co in 0..c_out {
                for k in 0..9 {
                    for ci in 0..c_in {
                        self.weight.grad[(co * 9 + k) * c_in + ci] +=
                            acc[(k * c_in + ci) * stride + co];
                    }
                }
            }
        }
    }

    /// Parameters, mutably.
    pub fn params_mut(&mut self) -> [&mut Param<S>; 2] {
        [&mut self.weight, &mut self.bias]
    }

    /// Parameters.
    pub fn params(&self) -> [&Param<S>; 2] {
        [&self.weight, &self.bias]
    }
}

/// `c` rounded up to a multiple of 8 (one AVX register of f32).
fn padded(c: usize) -> usize {
    c.div_ceil(8) * 8
}

/// Runs `$body` with the const `$p` equal to the runtime width `$width` (a multiple of 8
/// up to 64), so the channel loops of the direct paths compile to whole-register code.
macro_rules! with_padded {
    ($width:expr, $p:ident => $body:expr) => {
        match $width {
            8 => {
                const $p: usize = 8;
                $body
            }
            16 => {
                const $p: usize = 16;
                $body
            }
            24 => {
                const $p: usize = 24;
                $body
            }
            32 => {
                const $p: usize = 32;
                $body
            }
            40 => {
                const $p: usize = 40;
                $body
            }
            48 => {
                const $p: usize = 48;
                $body
            }
            56 => {
                const $p: usize = 56;
                $body
            }
            64 => {
                const $p: usize = 64;
                $body
            }
            other => panic!("direct convolution supports up to 64 output channels, not {other}"),
        }
    };
}
use with_padded;

/// One image zero-padded to `(side + 2)²` positions of `width ≥ channels` values (the
/// extra channels zero), so the direct loops need no bounds checks.
fn pad_image<S: Scalar>(img: &[S], side: usize, channels: usize, width: usize, out: &mut Vec<S>) {
    let ps = side + 2;
    out.clear();
    out.resize(ps * ps * width, S::zero());
    for y in 0..side {
        let src = &img[y * side * channels..(y + 1) * side * channels];
        let dst = &mut out[((y + 1) * ps + 1) * width..((y + 1) * ps + 1 + side) * width];
        if width == channels {
            // One copy per image row, not one per pixel.
            dst.copy_from_slice(src);
        } else {
            for (d, s) in dst.chunks_exact_mut(width).zip(src.chunks_exact(channels)) {
                for (d, &s) in d.iter_mut().zip(s) {
                    *d = s;
                }
            }
        }
    }
}

/// Output positions per register block of the direct forward path.
const fn block_positions(p: usize) -> usize {
    if p <= 16 {
        4
    } else {
        2
    }
}

#[allow(clippy::too_many_arguments)]
/// The direct convolution of one image (see [`Conv2d::forward_direct`]): output
/// positions in blocks of `Q`, each block's `Q × P` accumulators in registers, every
/// kernel row loaded once per block.
fn direct_image<S: Scalar, const P: usize>(
    img: &[S],
    out: &mut [S],
    kernel: &[S],
    bias: &[S],
    side: usize,
    c_in: usize,
    c_out: usize,
    padded_img: &mut Vec<S>,
) {
    pad_image(img, side, c_in, c_in, padded_img);
    let xp = &padded_img[..];
    let ps = side + 2;
    let mut bias_p = [S::zero(); P];
    bias_p[..c_out].copy_from_slice(bias);
    for yo in 0..side {
        let mut xo = 0;
        while xo < side {
            if xo + 4 <= side && block_positions(P) == 4 {
                direct_block::<S, P, 4>(xp, out, kernel, &bias_p, ps, side, c_in, c_out, yo, xo);
                xo += 4;
            } else if xo + 2 <= side {
                direct_block::<S, P, 2>(xp, out, kernel, &bias_p, ps, side, c_in, c_out, yo, xo);
                xo += 2;
            } else {
                direct_block::<S, P, 1>(xp, out, kernel, &bias_p, ps, side, c_in, c_out, yo, xo);
                xo += 1;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn direct_block<S: Scalar, const P: usize, const Q: usize>(
    xp: &[S],
    out: &mut [S],
    kernel: &[S],
    bias: &[S; P],
    ps: usize,
    side: usize,
    c_in: usize,
    c_out: usize,
    yo: usize,
    xo: usize,
) {
    let mut acc = [*bias; Q];
    for ky in 0..3 {
        for kx in 0..3 {
            let base = ((yo + ky) * ps + xo + kx) * c_in;
            let taps = &kernel[(ky * 3 + kx) * c_in * P..(ky * 3 + kx + 1) * c_in * P];
            let pixels = &xp[base..base + Q * c_in];
            for ci in 0..c_in {
                let w: &[S; P] = taps[ci * P..(ci + 1) * P].try_into().expect("P wide");
                for (q, a) in acc.iter_mut().enumerate() {
                    let v = pixels[q * c_in + ci];
                    for j in 0..P {
                        a[j] = v.mul_add(w[j], a[j]);
                    }
                }
            }
        }
    }
    for (q, a) in acc.iter().enumerate() {
        out[(yo * side + xo + q) * c_out..][..c_out].copy_from_slice(&a[..c_out]);
    }
}

/// Input channels per register block of the direct weight-gradient path: `B × P`
/// accumulators plus one `P`-wide gradient row must fit the 16 vector registers.
const fn weight_block(p: usize) -> usize {
    if p <= 16 {
        4
    } else {
        1
    }
}

/// Accumulates one image's weight gradient into `acc` (`[ky][kx][c_in][P]`): for each
/// tap and block of input channels, the block's accumulators stay in registers over all
/// output positions.
#[allow(clippy::too_many_arguments)]
fn direct_weight_grad<S: Scalar, const P: usize>(
    img: &[S],
    grad: &[S],
    acc: &mut [S],
    side: usize,
    c_in: usize,
    c_out: usize,
    padded_img: &mut Vec<S>,
    padded_grad: &mut Vec<S>,
) {
    match weight_block(P) {
        4 => direct_weight_grad_blocked::<S, P, 4>(
            img,
            grad,
            acc,
            side,
            c_in,
            c_out,
            padded_img,
            padded_grad,
        ),
        _ => direct_weight_grad_blocked::<S, P, 1>(
            img,
            grad,
            acc,
            side,
            c_in,
            c_out,
            padded_img,
            padded_grad,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn direct_weight_grad_blocked<S: Scalar, const P: usize, const B: usize>(
    img: &[S],
    grad: &[S],
    acc: &mut [S],
    side: usize,
    c_in: usize,
    c_out: usize,
    padded_img: &mut Vec<S>,
    padded_grad: &mut Vec<S>,
) {
    let width = c_in.div_ceil(B) * B;
    pad_image(img, side, c_in, width, padded_img);
    padded_grad.clear();
    padded_grad.resize(side * side * P, S::zero());
    for (dst, src) in padded_grad
        .chunks_exact_mut(P)
        .zip(grad.chunks_exact(c_out))
    {
        dst[..c_out].copy_from_slice(src);
    }
    let (xp, gp) = (&padded_img[..], &padded_grad[..]);
    let ps = side + 2;
    for ky in 0..3 {
        for kx in 0..3 {
            for c0 in (0..width).step_by(B) {
                let mut a = [[S::zero(); P]; B];
                for yo in 0..side {
                    for xo in 0..side {
                        let g: &[S; P] =
                            gp[(yo * side + xo) * P..][..P].try_into().expect("P wide");
                        let base = ((yo + ky) * ps + xo + kx) * width + c0;
                        for (b, row) in a.iter_mut().enumerate() {
                            let v = xp[base + b];
                            for j in 0..P {
                                row[j] = v.mul_add(g[j], row[j]);
                            }
                        }
                    }
                }
                for (b, row) in a.iter().enumerate() {
                    let ci = c0 + b;
                    if ci < c_in {
                        let dst = &mut acc[((ky * 3 + kx) * c_in + ci) * P..][..P];
                        for (d, &r) in dst.iter_mut().zip(row) {
                            *d += r;
                        }
                    }
                }
            }
        }
    }
}

/// 2×2 average pooling (stride 2) of `images` NHWC images of `side × side × channels`
/// into `out` (`side/2 × side/2 × channels` each).
pub fn avg_pool2<S: Scalar>(x: &[S], images: usize, side: usize, channels: usize, out: &mut [S]) {
    let half = side / 2;
    assert_eq!(side % 2, 0, "pooling needs an even side");
    assert_eq!(
        x.len(),
        images * side * side * channels,
        "pool input has the wrong length"
    );
    assert_eq!(
        out.len(),
        images * half * half * channels,
        "pool output has the wrong length"
    );
    // One task per output row of every image: two input rows in, one output row out.
    out.par_chunks_mut(half * channels)
        .zip(x.par_chunks(side * 2 * channels))
        .for_each(|(dst, band)| pool_band(band, channels, dst));
}

/// [`avg_pool2`] of one band of two input rows (`2 × side × channels`) into one output row
/// (`side/2 × channels`).
#[inline]
pub(crate) fn pool_band<S: Scalar>(band: &[S], channels: usize, dst: &mut [S]) {
    let quarter = S::c(0.25);
    let (top, bottom) = band.split_at(band.len() / 2);
    for ((d, t), b) in dst
        .chunks_exact_mut(channels)
        .zip(top.chunks_exact(2 * channels))
        .zip(bottom.chunks_exact(2 * channels))
    {
        let (t0, t1) = t.split_at(channels);
        let (b0, b1) = b.split_at(channels);
        for ((((d, &p), &q), &r), &s) in d.iter_mut().zip(t0).zip(t1).zip(b0).zip(b1) {
            *d = (p + q + r + s) * quarter;
        }
    }
}

/// Backward of [`avg_pool2`]: `gx[2y + dy, 2x + dx, c] = gy[y, x, c] / 4`.
pub fn avg_pool2_backward<S: Scalar>(
    gy: &[S],
    images: usize,
    side: usize,
    channels: usize,
    gx: &mut [S],
) {
    let half = side / 2;
    assert_eq!(
        gx.len(),
        images * side * side * channels,
        "pool input gradient has the wrong length"
    );
    assert_eq!(
        gy.len(),
        images * half * half * channels,
        "pool output gradient has the wrong length"
    );
    gx.par_chunks_mut(side * 2 * channels)
        .zip(gy.par_chunks(half * channels))
        .for_each(|(band, src)| pool_band_backward(src, channels, band));
}

/// [`avg_pool2_backward`] of one output row (`side/2 × channels`) into its band of two
/// input rows (`2 × side × channels`).
#[inline]
pub(crate) fn pool_band_backward<S: Scalar>(src: &[S], channels: usize, band: &mut [S]) {
    let quarter = S::c(0.25);
    let (top, bottom) = band.split_at_mut(band.len() / 2);
    for half_row in [top, bottom] {
        for (d, g) in half_row
            .chunks_exact_mut(2 * channels)
            .zip(src.chunks_exact(channels))
        {
            let (d0, d1) = d.split_at_mut(channels);
            for ((a, b), &v) in d0.iter_mut().zip(d1.iter_mut()).zip(g) {
                *a = v * quarter;
                *b = v * quarter;
            }
        }
    }
}
