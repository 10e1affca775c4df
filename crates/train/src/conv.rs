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
//! The input of a second convolution is pooled spikes: sparse, and taking only the values
//! 0, ¼, ½, ¾, 1. [`Conv2d::forward`] and [`Conv2d::backward`] then switch to an
//! event-driven path that touches only non-zero inputs (each adds `v·W[:, ky, kx, c]` to
//! nine output positions) when the input is sparse enough to pay for it.

use crate::linalg::{matmul, MatRef};
use crate::param::Param;
use crate::scalar::Scalar;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Inputs at most this dense take the event-driven path (measured with
/// `icnet bench train`: see the conv models' section of the README).
pub const SPARSE_INPUT_MAX_DENSITY: f64 = 0.25;

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
    assert_eq!(x.len(), images * per_image, "im2col input has the wrong length");
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
                            let dst = &mut row[(ky * 3 + kx) * channels..(ky * 3 + kx + 1) * channels];
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

/// The fraction of non-zero entries of `x`.
pub fn density<S: Scalar>(x: &[S]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let nonzero: usize = x
        .par_chunks(1 << 16)
        .map(|c| c.iter().filter(|v| **v != S::zero()).count())
        .sum();
    nonzero as f64 / x.len() as f64
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
        let mut weight = Param::uniform(&format!("{name}.weight"), &[c_out, 3, 3, c_in], bound, rng);
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

    /// The kernel as `[ky][kx][c_in][c_out]` (output channels contiguous), the layout of
    /// the event-driven paths.
    fn kernel_by_input(&self) -> Vec<S> {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        let mut out = vec![S::zero(); 9 * c_in * c_out];
        for co in 0..c_out {
            for k in 0..9 {
                for ci in 0..c_in {
                    out[(k * c_in + ci) * c_out + co] = self.weight.value[(co * 9 + k) * c_in + ci];
                }
            }
        }
        out
    }

    /// `y = conv(x) + b` for `images` NHWC images. Uses the event-driven path when `x` is
    /// sparse; `cols` is scratch space for the dense path.
    pub fn forward(&self, x: &[S], images: usize, y: &mut [S], cols: &mut Vec<S>) {
        assert_eq!(x.len(), images * self.in_len(), "conv input has the wrong length");
        assert_eq!(y.len(), images * self.out_len(), "conv output has the wrong length");
        if density(x) <= SPARSE_INPUT_MAX_DENSITY {
            self.forward_sparse(x, images, y);
        } else {
            self.forward_dense(x, images, y, cols);
        }
    }

    /// Dense forward: im2col and one GEMM.
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

    /// Event-driven forward: each non-zero input `v` at `(y, x, c)` adds `v·W[:, ky, kx, c]`
    /// to the output positions `(y − ky + 1, x − kx + 1)` it reaches.
    pub fn forward_sparse(&self, x: &[S], images: usize, y: &mut [S]) {
        assert_eq!(x.len(), images * self.in_len(), "conv input has the wrong length");
        let (side, c_in, c_out) = (self.side, self.c_in(), self.c_out());
        let kernel = self.kernel_by_input();
        let bias = &self.bias.value;
        y.par_chunks_mut(self.out_len())
            .zip(x.par_chunks(self.in_len()))
            .for_each(|(out, img)| {
                for row in out.chunks_exact_mut(c_out) {
                    row.copy_from_slice(bias);
                }
                for yi in 0..side {
                    for xi in 0..side {
                        let pixel = &img[(yi * side + xi) * c_in..(yi * side + xi + 1) * c_in];
                        for (ci, &v) in pixel.iter().enumerate() {
                            if v == S::zero() {
                                continue;
                            }
                            for ky in 0..3 {
                                let yo = yi as isize + 1 - ky as isize;
                                if yo < 0 || yo >= side as isize {
                                    continue;
                                }
                                for kx in 0..3 {
                                    let xo = xi as isize + 1 - kx as isize;
                                    if xo < 0 || xo >= side as isize {
                                        continue;
                                    }
                                    let w = &kernel[((ky * 3 + kx) * c_in + ci) * c_out..][..c_out];
                                    let o = (yo as usize * side + xo as usize) * c_out;
                                    for (d, &wv) in out[o..o + c_out].iter_mut().zip(w) {
                                        *d += v * wv;
                                    }
                                }
                            }
                        }
                    }
                }
            });
    }

    /// Backward pass for input `x` and output gradient `gy`: accumulates `∂L/∂W` and
    /// `∂L/∂b`, and writes `∂L/∂x` into `gx` when asked. `cols` is scratch space.
    pub fn backward(
        &mut self,
        x: &[S],
        gy: &[S],
        images: usize,
        gx: Option<&mut [S]>,
        cols: &mut Vec<S>,
    ) {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        assert_eq!(x.len(), images * self.in_len(), "conv input has the wrong length");
        assert_eq!(gy.len(), images * self.out_len(), "conv output gradient has the wrong length");
        for row in gy.chunks_exact(c_out) {
            for (g, &v) in self.bias.grad.iter_mut().zip(row) {
                *g += v;
            }
        }
        if density(x) <= SPARSE_INPUT_MAX_DENSITY {
            self.weight_grad_sparse(x, gy, images);
        } else {
            im2col(x, images, self.side, c_in, cols);
            let m = images * self.side * self.side;
            matmul(
                &mut self.weight.grad,
                MatRef::new(gy, m, c_out).t(),
                MatRef::new(cols, m, 9 * c_in),
                true,
            );
        }
        if let Some(gx) = gx {
            self.input_grad(gy, images, gx, cols);
        }
    }

    /// `∂L/∂x`: the convolution of `gy` with the flipped, transposed kernel.
    pub fn input_grad(&self, gy: &[S], images: usize, gx: &mut [S], cols: &mut Vec<S>) {
        let (c_in, c_out) = (self.c_in(), self.c_out());
        assert_eq!(gx.len(), images * self.in_len(), "conv input gradient has the wrong length");
        let mut flipped = vec![S::zero(); 9 * c_in * c_out];
        for co in 0..c_out {
            for k in 0..9 {
                for ci in 0..c_in {
                    flipped[(ci * 9 + (8 - k)) * c_out + co] = self.weight.value[(co * 9 + k) * c_in + ci];
                }
            }
        }
        im2col(gy, images, self.side, c_out, cols);
        let m = images * self.side * self.side;
        matmul(
            gx,
            MatRef::new(cols, m, 9 * c_out),
            MatRef::new(&flipped, c_in, 9 * c_out).t(),
            false,
        );
    }

    /// Event-driven `∂L/∂W`: each non-zero input `v` at `(y, x, c)` adds `v·gy[y − ky + 1,
    /// x − kx + 1, :]` to `∂L/∂W[:, ky, kx, c]`. Partial sums per fixed group of images,
    /// added in group order (deterministic for any thread count).
    fn weight_grad_sparse(&mut self, x: &[S], gy: &[S], images: usize) {
        let (side, c_in, c_out) = (self.side, self.c_in(), self.c_out());
        let (in_len, out_len) = (self.in_len(), self.out_len());
        let groups = images.div_ceil(IMAGES_PER_TASK);
        let partials: Vec<Vec<S>> = (0..groups)
            .into_par_iter()
            .map(|g| {
                // [ky][kx][c_in][c_out]
                let mut acc = vec![S::zero(); 9 * c_in * c_out];
                for n in g * IMAGES_PER_TASK..((g + 1) * IMAGES_PER_TASK).min(images) {
                    let img = &x[n * in_len..(n + 1) * in_len];
                    let grad = &gy[n * out_len..(n + 1) * out_len];
                    for yi in 0..side {
                        for xi in 0..side {
                            for ci in 0..c_in {
                                let v = img[(yi * side + xi) * c_in + ci];
                                if v == S::zero() {
                                    continue;
                                }
                                for ky in 0..3 {
                                    let yo = yi as isize + 1 - ky as isize;
                                    if yo < 0 || yo >= side as isize {
                                        continue;
                                    }
                                    for kx in 0..3 {
                                        let xo = xi as isize + 1 - kx as isize;
                                        if xo < 0 || xo >= side as isize {
                                            continue;
                                        }
                                        let o = (yo as usize * side + xo as usize) * c_out;
                                        let a = &mut acc[((ky * 3 + kx) * c_in + ci) * c_out..][..c_out];
                                        for (d, &gv) in a.iter_mut().zip(&grad[o..o + c_out]) {
                                            *d += v * gv;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                acc
            })
            .collect();
        for acc in partials {
            for co in 0..c_out {
                for k in 0..9 {
                    for ci in 0..c_in {
                        self.weight.grad[(co * 9 + k) * c_in + ci] += acc[(k * c_in + ci) * c_out + co];
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

/// 2×2 average pooling (stride 2) of `images` NHWC images of `side × side × channels`
/// into `out` (`side/2 × side/2 × channels` each).
pub fn avg_pool2<S: Scalar>(x: &[S], images: usize, side: usize, channels: usize, out: &mut [S]) {
    let half = side / 2;
    assert_eq!(side % 2, 0, "pooling needs an even side");
    assert_eq!(x.len(), images * side * side * channels, "pool input has the wrong length");
    assert_eq!(out.len(), images * half * half * channels, "pool output has the wrong length");
    let quarter = S::c(0.25);
    out.par_chunks_mut(half * half * channels)
        .zip(x.par_chunks(side * side * channels))
        .for_each(|(o, img)| {
            for y in 0..half {
                for xo in 0..half {
                    let dst = &mut o[(y * half + xo) * channels..][..channels];
                    let p = |dy: usize, dx: usize| {
                        &img[((2 * y + dy) * side + 2 * xo + dx) * channels..][..channels]
                    };
                    let (a, b, c, d) = (p(0, 0), p(0, 1), p(1, 0), p(1, 1));
                    for ch in 0..channels {
                        dst[ch] = (a[ch] + b[ch] + c[ch] + d[ch]) * quarter;
                    }
                }
            }
        });
}

/// Backward of [`avg_pool2`]: `gx[2y + dy, 2x + dx, c] = gy[y, x, c] / 4`.
pub fn avg_pool2_backward<S: Scalar>(gy: &[S], images: usize, side: usize, channels: usize, gx: &mut [S]) {
    let half = side / 2;
    assert_eq!(gx.len(), images * side * side * channels, "pool input gradient has the wrong length");
    assert_eq!(gy.len(), images * half * half * channels, "pool output gradient has the wrong length");
    let quarter = S::c(0.25);
    gx.par_chunks_mut(side * side * channels)
        .zip(gy.par_chunks(half * half * channels))
        .for_each(|(g, o)| {
            for yi in 0..side {
                for xi in 0..side {
                    let src = &o[((yi / 2) * half + xi / 2) * channels..][..channels];
                    let dst = &mut g[(yi * side + xi) * channels..][..channels];
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = s * quarter;
                    }
                }
            }
        });
}
