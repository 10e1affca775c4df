//! The fully-connected layer `y = x Wᵀ + b`.

use crate::linalg::{matmul, MatRef};
use crate::param::Param;
use crate::scalar::Scalar;
use rand_chacha::ChaCha8Rng;

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
    pub fn backward(&mut self, x: &[S], gy: &[S], rows: usize, gx: Option<&mut [S]>) {
        let (n_in, n_out) = (self.inputs(), self.outputs());
        matmul(
            &mut self.weight.grad,
            MatRef::new(gy, rows, n_out).t(),
            MatRef::new(x, rows, n_in),
            true,
        );
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
