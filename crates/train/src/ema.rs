//! Exponential moving average of the weights (PAPER.md §6: "weight EMA 0.999").
//!
//! After every optimiser step, shadow ← d·shadow + (1 − d)·weights. As TensorFlow's
//! `ExponentialMovingAverage(decay, num_updates)` (used by the VIB reference code of Alemi et
//! al.), the effective decay is d = min(decay, (1 + n)/(10 + n)) after n updates, so that a
//! short run is not dominated by the initial weights: with decay 0.999 and no warm-up the
//! average would still hold e^{−n/1000} of the initialisation after n steps.

use crate::param::Param;
use crate::scalar::Scalar;

/// Shadow copies of a model's parameters.
#[derive(Clone, Debug)]
pub struct Ema<S> {
    /// The nominal decay (0.999 in the paper).
    pub decay: f64,
    /// Updates applied so far.
    pub updates: u64,
    shadow: Vec<Vec<S>>,
}

impl<S: Scalar> Ema<S> {
    /// Starts the average at the current weights.
    pub fn new(decay: f64, params: &[&Param<S>]) -> Self {
        Self {
            decay,
            updates: 0,
            shadow: params.iter().map(|p| p.value.clone()).collect(),
        }
    }

    /// The decay used by the next update: min(decay, (1 + n)/(10 + n)).
    pub fn effective_decay(&self) -> f64 {
        let n = self.updates as f64;
        self.decay.min((1.0 + n) / (10.0 + n))
    }

    /// Folds the current weights into the average (call after every optimiser step).
    pub fn update(&mut self, params: &[&Param<S>]) {
        assert_eq!(
            params.len(),
            self.shadow.len(),
            "EMA built for another model"
        );
        let d = S::c(self.effective_decay());
        let keep = S::one() - d;
        for (shadow, p) in self.shadow.iter_mut().zip(params) {
            for (s, &w) in shadow.iter_mut().zip(&p.value) {
                *s = d * *s + keep * w;
            }
        }
        self.updates += 1;
    }

    /// The averages, one vector per parameter (for checkpoints).
    pub fn shadow_mut(&mut self) -> &mut [Vec<S>] {
        &mut self.shadow
    }

    /// Exchanges the model's weights with the averages: call once to evaluate with the
    /// averaged weights, and again to restore the trained ones.
    pub fn swap(&mut self, params: &mut [&mut Param<S>]) {
        assert_eq!(
            params.len(),
            self.shadow.len(),
            "EMA built for another model"
        );
        for (shadow, p) in self.shadow.iter_mut().zip(params.iter_mut()) {
            std::mem::swap(shadow, &mut p.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_follows_the_warm_up_decay_and_swaps_back() {
        let mut p = Param::<f64>::zeros("w", &[1]);
        let mut ema = Ema::new(0.999, &[&p]);
        p.value[0] = 10.0;
        // First update: d = min(0.999, 1/10) = 0.1 → 0.1·0 + 0.9·10 = 9.
        ema.update(&[&p]);
        ema.swap(&mut [&mut p]);
        assert!((p.value[0] - 9.0).abs() < 1e-12);
        ema.swap(&mut [&mut p]);
        assert_eq!(p.value[0], 10.0);
        // Second update: d = 2/11.
        ema.update(&[&p]);
        let expect = 2.0 / 11.0 * 9.0 + 9.0 / 11.0 * 10.0;
        ema.swap(&mut [&mut p]);
        assert!((p.value[0] - expect).abs() < 1e-12);
        // Late in a long run the nominal decay applies.
        ema.updates = 1_000_000;
        assert_eq!(ema.effective_decay(), 0.999);
    }
}
