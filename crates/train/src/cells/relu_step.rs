//! The ANN's hidden nonlinearity (PAPER.md §4): `s = H(ReLU(x) − 0.5)` with the
//! rectangular surrogate, i.e. a binary activation trained like a spike. Backward:
//! `∂s/∂x = H'(ReLU(x)) · 1[x > 0]`.

use crate::scalar::Scalar;
use crate::spike::SpikeFn;
use rayon::prelude::*;

/// ReLU followed by the binary step.
#[derive(Clone, Copy, Debug)]
pub struct ReluStep<S> {
    /// The step at 0.5 and its surrogate (half-width 0.5 in the reference).
    pub spike: SpikeFn<S>,
}

impl<S: Scalar> ReluStep<S> {
    /// `out = H(ReLU(x) − θ)`.
    pub fn forward(&self, x: &[S], out: &mut [S]) {
        out.par_iter_mut()
            .zip(x.par_iter())
            .for_each(|(o, &v)| *o = self.spike.value(v.max(S::zero())));
    }

    /// `gx = gy · H'(ReLU(x)) · 1[x > 0]`.
    pub fn backward(&self, x: &[S], gy: &[S], gx: &mut [S]) {
        gx.par_iter_mut()
            .zip(x.par_iter().zip(gy.par_iter()))
            .for_each(|(g, (&v, &gyv))| {
                *g = if v > S::zero() {
                    gyv * self.spike.grad(v)
                } else {
                    S::zero()
                }
            });
    }
}
