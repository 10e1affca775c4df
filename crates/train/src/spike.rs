//! The spike nonlinearity and its surrogate gradient.
//!
//! Forward, a spiking unit emits `s = H(x − θ)` (strictly greater: `x = θ` gives no
//! spike). The derivative of H is zero almost everywhere, so training replaces it in the
//! backward pass by the rectangular surrogate of PAPER.md §4: `∂s/∂x ≈ 1` where
//! `|x − θ| < w`, else 0 (height 1, not 1/(2w): the reference's convention).
//!
//! [`SpikeFn::Sigmoid`] is a smooth stand-in whose backward is its true derivative. The
//! gradient checks run every cell with it so that central differences test the complete
//! backpropagation-through-time recursion — reset, leak, gates, the 3→1 map — exactly;
//! [`SpikeFn::Rect`] with `half_width = 0` is the other check: then the backward pass is the
//! true derivative almost everywhere and the spikes are frozen.

use crate::scalar::Scalar;

/// A spike function: forward value and the derivative used by backpropagation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpikeFn<S> {
    /// Heaviside step at `threshold` with the rectangular surrogate of half-width `half_width`.
    Rect {
        /// θ.
        threshold: S,
        /// w.
        half_width: S,
    },
    /// `σ(k (x − θ))`, differentiated exactly (for gradient checks only).
    Sigmoid {
        /// θ.
        threshold: S,
        /// k.
        slope: S,
    },
}

impl<S: Scalar> SpikeFn<S> {
    /// The reference spike: Heaviside at θ, surrogate half-width w.
    pub fn rect(threshold: f64, half_width: f64) -> Self {
        Self::Rect {
            threshold: S::c(threshold),
            half_width: S::c(half_width),
        }
    }

    /// Forward value.
    #[inline(always)]
    pub fn value(&self, x: S) -> S {
        match *self {
            Self::Rect { threshold, .. } => {
                if x > threshold {
                    S::one()
                } else {
                    S::zero()
                }
            }
            Self::Sigmoid { threshold, slope } => {
                S::one() / (S::one() + (-(slope * (x - threshold))).exp())
            }
        }
    }

    /// The derivative used by the backward pass at `x`.
    #[inline(always)]
    pub fn grad(&self, x: S) -> S {
        match *self {
            Self::Rect {
                threshold,
                half_width,
            } => {
                if (x - threshold).abs() < half_width {
                    S::one()
                } else {
                    S::zero()
                }
            }
            Self::Sigmoid { .. } => {
                let s = self.value(x);
                let slope = match *self {
                    Self::Sigmoid { slope, .. } => slope,
                    Self::Rect { .. } => unreachable!(),
                };
                slope * s * (S::one() - s)
            }
        }
    }
}

/// A spike function the compiler can see through: the cells' inner loops are generic over
/// it, so the reference rectangle compiles to a compare-and-select with no branch on the
/// variant per element.
pub(crate) trait SpikeKernel<S>: Copy + Send + Sync {
    fn value(&self, x: S) -> S;
    fn grad(&self, x: S) -> S;
}

/// The rectangle, specialised.
#[derive(Clone, Copy)]
pub(crate) struct RectKernel<S> {
    pub threshold: S,
    pub half_width: S,
}

impl<S: Scalar> SpikeKernel<S> for RectKernel<S> {
    #[inline(always)]
    fn value(&self, x: S) -> S {
        if x > self.threshold {
            S::one()
        } else {
            S::zero()
        }
    }
    #[inline(always)]
    fn grad(&self, x: S) -> S {
        if (x - self.threshold).abs() < self.half_width {
            S::one()
        } else {
            S::zero()
        }
    }
}

impl<S: Scalar> SpikeKernel<S> for SpikeFn<S> {
    #[inline(always)]
    fn value(&self, x: S) -> S {
        SpikeFn::value(self, x)
    }
    #[inline(always)]
    fn grad(&self, x: S) -> S {
        SpikeFn::grad(self, x)
    }
}

/// Runs `$body` with `$k` bound to a [`SpikeKernel`] for `$spike`: the specialised
/// rectangle, or the general function for anything else.
macro_rules! with_spike_kernel {
    ($spike:expr, $k:ident => $body:expr) => {
        match $spike {
            $crate::spike::SpikeFn::Rect {
                threshold,
                half_width,
            } => {
                let $k = $crate::spike::RectKernel {
                    threshold,
                    half_width,
                };
                $body
            }
            other => {
                let $k = other;
                $body
            }
        }
    };
}
pub(crate) use with_spike_kernel;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangle_surrogate_is_one_inside_the_window_only() {
        let f = SpikeFn::<f64>::rect(0.3, 0.5);
        assert_eq!(f.value(0.3), 0.0, "x = θ is not a spike");
        assert_eq!(f.value(0.3000001), 1.0);
        assert_eq!(f.grad(0.3), 1.0);
        assert_eq!(f.grad(0.79), 1.0);
        assert_eq!(f.grad(0.8), 0.0, "|x − θ| = w is outside the open window");
        assert_eq!(f.grad(-0.19), 1.0);
        assert_eq!(f.grad(-0.21), 0.0);
    }

    #[test]
    fn sigmoid_derivative_matches_a_central_difference() {
        let f = SpikeFn::<f64>::Sigmoid {
            threshold: 0.3,
            slope: 4.0,
        };
        for &x in &[-1.0, 0.0, 0.3, 0.7, 2.0] {
            let h = 1e-6;
            let fd = (f.value(x + h) - f.value(x - h)) / (2.0 * h);
            assert!((fd - f.grad(x)).abs() < 1e-9, "x = {x}");
        }
    }
}
