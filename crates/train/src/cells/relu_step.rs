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
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(|(out, x)| {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = self.spike.value(v.max(S::zero()));
                }
            });
    }

    /// `gx = gy · H'(ReLU(x)) · 1[x > 0]`.
    pub fn backward(&self, x: &[S], gy: &[S], gx: &mut [S]) {
        gx.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK).zip(gy.par_chunks(CHUNK)))
            .for_each(|(gx, (x, gy))| {
                for ((g, &v), &gyv) in gx.iter_mut().zip(x).zip(gy) {
                    *g = if v > S::zero() {
                        gyv * self.spike.grad(v)
                    } else {
                        S::zero()
                    };
                }
            });
    }
}

/// Elements per parallel task (whole runs the compiler can keep in a tight loop, instead
/// of one task-splitting decision per element).
const CHUNK: usize = 1 << 14;
