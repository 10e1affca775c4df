//! Trainable parameters and their initialisation.

use crate::scalar::Scalar;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One trainable tensor: its value, the gradient accumulated by the last backward pass,
/// and its shape (row-major).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Param<S> {
    /// Name, unique within a model, e.g. `hidden.weight` (used in checkpoints and parity files).
    pub name: String,
    /// Shape, row-major: `[out, in]` for a weight matrix, `[out]` for a bias.
    pub shape: Vec<usize>,
    /// Values.
    pub value: Vec<S>,
    /// Gradient of the loss, same layout as `value`.
    #[serde(skip)]
    pub grad: Vec<S>,
}

impl<S: Scalar> Param<S> {
    /// A zero-initialised parameter.
    pub fn zeros(name: &str, shape: &[usize]) -> Self {
        let len = shape.iter().product();
        Self {
            name: name.to_string(),
            shape: shape.to_vec(),
            value: vec![S::zero(); len],
            grad: vec![S::zero(); len],
        }
    }

    /// A parameter drawn from U(−bound, bound), the reference initialisation of a linear
    /// layer with `bound = 1/√fan_in` (PyTorch's default for both weights and biases).
    pub fn uniform(name: &str, shape: &[usize], bound: f64, rng: &mut ChaCha8Rng) -> Self {
        let mut p = Self::zeros(name, shape);
        for v in &mut p.value {
            *v = S::c(rng.random_range(-bound..bound));
        }
        p
    }

    /// Number of scalars.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// True when the parameter holds no scalar.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// Sets the gradient to zero (before a backward pass).
    pub fn zero_grad(&mut self) {
        if self.grad.len() != self.value.len() {
            self.grad = vec![S::zero(); self.value.len()];
        } else {
            self.grad.iter_mut().for_each(|g| *g = S::zero());
        }
    }
}
