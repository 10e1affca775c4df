//! The two-task loss: the sum of two softmax cross-entropies, each averaged over the batch
//! (PAPER.md §4; PyTorch's `CrossEntropyLoss` with mean reduction, once per head).

use crate::scalar::Scalar;

/// Loss value, correct predictions per task, and `∂L/∂logits` of one head.
#[derive(Clone, Debug, Default)]
pub struct HeadResult<S> {
    /// Mean cross-entropy over the batch.
    pub loss: f64,
    /// Rows whose arg-max equals the label.
    pub correct: usize,
    /// `(softmax − onehot) / rows`, `rows × classes`.
    pub grad: Vec<S>,
}

/// Softmax cross-entropy of `logits` (`rows × classes`) against `labels`, with its gradient.
///
/// # Panics
/// If a label is not below `classes` (the data crate validates labels on load).
pub fn cross_entropy<S: Scalar>(logits: &[S], labels: &[u8], classes: usize) -> HeadResult<S> {
    let rows = labels.len();
    assert_eq!(logits.len(), rows * classes, "logits have the wrong length");
    let mut grad = vec![S::zero(); rows * classes];
    let mut loss = 0.0;
    let mut correct = 0;
    let inv_rows = S::one() / S::c(rows as f64);
    for (r, (&label, row)) in labels.iter().zip(logits.chunks_exact(classes)).enumerate() {
        let label = label as usize;
        assert!(label < classes, "label {label} out of range");
        let max = row.iter().copied().fold(S::neg_infinity(), S::max);
        let exps: Vec<S> = row.iter().map(|&z| (z - max).exp()).collect();
        let sum: S = exps.iter().copied().sum();
        loss += (sum.ln() - (row[label] - max)).f64();
        // Arg-max with the first maximum winning, as torch.argmax.
        let mut best = 0;
        for (c, &z) in row.iter().enumerate() {
            if z > row[best] {
                best = c;
            }
        }
        if best == label {
            correct += 1;
        }
        for c in 0..classes {
            let p = exps[c] / sum;
            let y = if c == label { S::one() } else { S::zero() };
            grad[r * classes + c] = (p - y) * inv_rows;
        }
    }
    HeadResult {
        loss: loss / rows as f64,
        correct,
        grad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_logits_cost_ln_classes_and_gradient_matches_differences() {
        let r = cross_entropy::<f64>(&[0.0; 10], &[3], 10);
        assert!((r.loss - 10f64.ln()).abs() < 1e-12);
        let logits = [0.3, -1.2, 2.0, 0.1, 0.7, -0.4];
        let labels = [2u8, 0];
        let base = cross_entropy::<f64>(&logits, &labels, 3);
        assert_eq!(
            base.correct, 1,
            "row 0 predicts 2 (right), row 1 predicts 1 (wrong)"
        );
        for k in 0..logits.len() {
            let h = 1e-6;
            let mut hi = logits;
            hi[k] += h;
            let mut lo = logits;
            lo[k] -= h;
            let fd = (cross_entropy::<f64>(&hi, &labels, 3).loss
                - cross_entropy::<f64>(&lo, &labels, 3).loss)
                / (2.0 * h);
            assert!((fd - base.grad[k]).abs() < 1e-8);
        }
    }
}
