//! One optimisation step and one evaluation pass of a two-head model.

use crate::loss::{cross_entropy, HeadResult};
use crate::models::{Network, CLASSES};
use crate::optim::Adam;
use crate::scalar::Scalar;

/// Loss and correct counts of one batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatchStats {
    /// Rows in the batch.
    pub rows: usize,
    /// Sum of the two heads' mean cross-entropies.
    pub loss: f64,
    /// Correct task-1 predictions.
    pub correct1: usize,
    /// Correct task-2 predictions.
    pub correct2: usize,
}

/// Forward, loss, backward: leaves `∂L/∂θ` in every parameter's `grad` (zeroed first).
pub fn loss_and_grad<S: Scalar>(
    net: &mut dyn Network<S>,
    x: &[S],
    labels1: &[u8],
    labels2: &[u8],
) -> BatchStats {
    for p in net.params_mut() {
        p.zero_grad();
    }
    accumulate_loss_and_grad(net, x, labels1, labels2)
}

/// Forward, loss, backward, adding `∂L/∂θ` to the gradients already held (which must be zero
/// for a plain gradient; [`train_step`] keeps them so with [`Adam::update_and_clear`]).
pub fn accumulate_loss_and_grad<S: Scalar>(
    net: &mut dyn Network<S>,
    x: &[S],
    labels1: &[u8],
    labels2: &[u8],
) -> BatchStats {
    let (stats, h1, h2) = forward_loss(net, x, labels1, labels2);
    net.backward(&h1.grad, &h2.grad);
    stats
}

/// Forward pass and both heads' cross-entropies (with their logit gradients).
fn forward_loss<S: Scalar>(
    net: &mut dyn Network<S>,
    x: &[S],
    labels1: &[u8],
    labels2: &[u8],
) -> (BatchStats, HeadResult<S>, HeadResult<S>) {
    let rows = labels1.len();
    let (l1, l2) = net.forward(x, rows);
    let h1 = cross_entropy(l1, labels1, CLASSES);
    let h2 = cross_entropy(l2, labels2, CLASSES);
    let stats = BatchStats {
        rows,
        loss: h1.loss + h2.loss,
        correct1: h1.correct,
        correct2: h2.correct,
    };
    (stats, h1, h2)
}

/// One Adam step on one batch at learning rate `lr`.
///
/// Expects zero gradients on entry (a fresh model, or the previous `train_step`) and leaves
/// them zero: the update clears each gradient as it consumes it.
pub fn train_step<S: Scalar>(
    net: &mut dyn Network<S>,
    adam: &mut Adam<S>,
    x: &[S],
    labels1: &[u8],
    labels2: &[u8],
    lr: f64,
) -> BatchStats {
    let stats = accumulate_loss_and_grad(net, x, labels1, labels2);
    adam.update_and_clear(&mut net.params_mut(), lr);
    stats
}

/// Loss and accuracy of one batch without touching gradients.
pub fn evaluate_batch<S: Scalar>(
    net: &mut dyn Network<S>,
    x: &[S],
    labels1: &[u8],
    labels2: &[u8],
) -> BatchStats {
    forward_loss(net, x, labels1, labels2).0
}
