//! The two task heads of the multi-task models: two linear maps from one shared input (the
//! shared features, or the VIB's z) to each task's logits.

use super::CLASSES;
use crate::linear::Linear;
use crate::param::Param;
use crate::scalar::Scalar;
use rand_chacha::ChaCha8Rng;

/// Heads of task 1 and task 2 and their last outputs.
#[derive(Clone, Debug)]
pub struct Heads<S> {
    /// `inputs → 10`, task 1.
    pub head1: Linear<S>,
    /// `inputs → 10`, task 2.
    pub head2: Linear<S>,
    logits: [Vec<S>; 2],
}

impl<S: Scalar> Heads<S> {
    /// PyTorch-default heads named `{prefix}head1` and `{prefix}head2`, drawn from `rng` in
    /// that order.
    pub fn new(prefix: &str, inputs: usize, rng: &mut ChaCha8Rng) -> Self {
        let head1 = Linear::new(&format!("{prefix}head1"), inputs, CLASSES, 1.0, rng);
        let head2 = Linear::new(&format!("{prefix}head2"), inputs, CLASSES, 1.0, rng);
        Self {
            head1,
            head2,
            logits: [Vec::new(), Vec::new()],
        }
    }

    /// Both heads' logits (`rows × 10` each) for `x` (`rows × inputs`).
    pub fn forward(&mut self, x: &[S], rows: usize) -> (&[S], &[S]) {
        for (head, logits) in [&self.head1, &self.head2].into_iter().zip(&mut self.logits) {
            logits.resize(rows * CLASSES, S::zero());
            head.forward(x, rows, logits);
        }
        (&self.logits[0], &self.logits[1])
    }

    /// Accumulates both heads' parameter gradients from `∂L/∂logits` of each task and
    /// returns `∂L/∂x`, the sum of what the two heads pass back.
    pub fn backward(&mut self, x: &[S], grad1: &[S], grad2: &[S], rows: usize) -> Vec<S> {
        let n = rows * self.head1.inputs();
        let mut gx = vec![S::zero(); n];
        let mut g_tmp = vec![S::zero(); n];
        self.head1.backward(x, grad1, rows, Some(&mut gx));
        self.head2.backward(x, grad2, rows, Some(&mut g_tmp));
        for (a, b) in gx.iter_mut().zip(&g_tmp) {
            *a += *b;
        }
        gx
    }

    /// Head 1's weight and bias, then head 2's.
    pub fn params(&self) -> Vec<&Param<S>> {
        self.head1
            .params()
            .into_iter()
            .chain(self.head2.params())
            .collect()
    }

    /// The parameters in the order of [`Heads::params`], mutably.
    pub fn params_mut(&mut self) -> Vec<&mut Param<S>> {
        self.head1
            .params_mut()
            .into_iter()
            .chain(self.head2.params_mut())
            .collect()
    }
}
