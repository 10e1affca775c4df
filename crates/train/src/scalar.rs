//! The floating-point type the engine computes in.
//!
//! Learning runs in `f32` (DESIGN.md: f32 for learning); every layer and cell is generic
//! so that the finite-difference gradient checks can run the very same code in `f64`,
//! where a central difference is accurate to ~1e-8 and a wrong backward pass cannot hide
//! behind single-precision noise.

use num_traits::{Float, FromPrimitive, NumAssign};
use std::fmt::Debug;
use std::iter::Sum;

/// A real scalar the engine can train in: `f32` or `f64`.
pub trait Scalar:
    Float + FromPrimitive + NumAssign + Sum + Debug + Default + Send + Sync + 'static
{
    /// Whether this is `f32` (the matrix products have an `f32`-only kernel).
    const IS_F32: bool = false;
    /// Lossless enough conversion from an `f64` constant (model parameters, rates).
    fn c(value: f64) -> Self {
        Self::from_f64(value).expect("every f64 converts to f32/f64")
    }
    /// Conversion to f64 for reporting (losses, accuracies).
    fn f64(self) -> f64 {
        self.to_f64().expect("f32/f64 convert to f64")
    }
}

impl Scalar for f32 {
    const IS_F32: bool = true;
}
impl Scalar for f64 {}
