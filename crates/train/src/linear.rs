//! The fully-connected layer `y = x Wᵀ + b`.

use crate::linalg::{is_serial, matmul, MatRef};
use crate::param::Param;
use crate::scalar::Scalar;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// At or below this fraction of non-zero output gradients the weight gradient is summed over
/// the non-zeros only (see [`Linear::backward`]).
pub const SPARSE_GRAD_MAX_DENSITY: f64 = 0.2;

/// A linear map from `inputs` to `outputs` features; `weight` is `[outputs, inputs]`.
#[derive(Clone, Debug)]
pub struct Linear<S> {
    /// `[outputs, inputs]`, row-major.
    pub weight: Param<S>,
    /// `[outputs]`.
    pub bias: Param<S>,
}

impl<S: Scalar> Linear<S> {
    /// The reference initialisation: weight and bias from U(±1/√inputs), the weight then
    /// multiplied by `weight_scale` (1 except the HH input map, ×0.01 in the reference).
    pub fn new(
        name: &str,
        inputs: usize,
        outputs: usize,
        weight_scale: f64,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let bound = 1.0 / (inputs as f64).sqrt();
        let mut weight = Param::uniform(&format!("{name}.weight"), &[outputs, inputs], bound, rng);
        if weight_scale != 1.0 {
            let k = S::c(weight_scale);
            weight.value.iter_mut().for_each(|w| *w *= k);
        }
        let bias = Param::uniform(&format!("{name}.bias"), &[outputs], bound, rng);
        Self { weight, bias }
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        self.weight.shape[1]
    }

    /// Number of output features.
    pub fn outputs(&self) -> usize {
        self.weight.shape[0]
    }

    /// `y = x Wᵀ + b` for a batch `x` of `rows × inputs`; `y` is `rows × outputs`.
    pub fn forward(&self, x: &[S], rows: usize, y: &mut [S]) {
        let (n_in, n_out) = (self.inputs(), self.outputs());
        for row in y.chunks_exact_mut(n_out) {
            row.copy_from_slice(&self.bias.value);
        }
        matmul(
            y,
            MatRef::new(x, rows, n_in),
            MatRef::new(&self.weight.value, n_out, n_in).t(),
            true,
        );
    }

    /// Accumulates `∂L/∂W += gyᵀ x` and `∂L/∂b += Σ_rows gy`; writes `∂L/∂x = gy W` into
    /// `gx` when asked (a first layer fed by data needs no input gradient).
    ///
    /// The surrogate gradient of a spiking layer is zero outside its window, so `gy` of a
    /// layer feeding spiking units is mostly zeros (a saturated unit — always or never
    /// firing — passes no gradient at all). When at most [`SPARSE_GRAD_MAX_DENSITY`] of `gy`
    /// is non-zero, `∂L/∂W[o, :] += Σ_{b : gy[b,o] ≠ 0} gy[b,o]·x[b, :]` sums the non-zero
    /// terms only: the same sum as the dense product without its zero terms (in another
    /// order, so equal up to rounding), at a cost proportional to the non-zeros.
    pub fn backward(&mut self, x: &[S], gy: &[S], rows: usize, gx: Option<&mut [S]>) {
        let (n_in, n_out) = (self.inputs(), self.outputs());
        let nonzero = gy.iter().filter(|v| **v != S::zero()).count();
        if (nonzero as f64) <= SPARSE_GRAD_MAX_DENSITY * gy.len() as f64 {
            // Non-zeros per output unit, in row order (deterministic).
            let mut columns: Vec<Vec<(u32, S)>> = vec![Vec::new(); n_out];
            for (b, row) in gy.chunks_exact(n_out).enumerate() {
                for (o, &v) in row.iter().enumerate() {
                    if v != S::zero() {
                        columns[o].push((b as u32, v));
                    }
                }
            }
            let row = |(g_row, column): (&mut [S], &Vec<(u32, S)>)| {
                for &(b, v) in column {
                    let x_row = &x[b as usize * n_in..(b as usize + 1) * n_in];
                    for (g, &xv) in g_row.iter_mut().zip(x_row) {
                        *g += v * xv;
                    }
                }
            };
            // Rows are independent: the same sums whether split across threads or not.
            if is_serial() {
                self.weight
                    .grad
                    .chunks_mut(n_in)
                    .zip(&columns)
                    .for_each(row);
            } else {
                self.weight
                    .grad
                    .par_chunks_mut(n_in)
                    .zip(columns.par_iter())
                    .for_each(row);
            }
        } else {
            matmul(
                &mut self.weight.grad,
                MatRef::new(gy, rows, n_out).t(),
                MatRef::new(x, rows, n_in),
                true,
            );
        }
        for row in gy.chunks_exact(n_out) {
            for (g, &v) in self.bias.grad.iter_mut().zip(row) {
                *g += v;
            }
        }
        if let Some(gx) = gx {
            matmul(
                gx,
                MatRef::new(gy, rows, n_out),
                MatRef::new(&self.weight.value, n_out, n_in),
                false,
            );
        }
    }

    /// The two parameters, weight first.
    pub fn params_mut(&mut self) -> [&mut Param<S>; 2] {
        [&mut self.weight, &mut self.bias]
    }

    /// The two parameters, weight first.
    pub fn params(&self) -> [&Param<S>; 2] {
        [&self.weight, &self.bias]
    }
}
