//! The fixed input noise of Fig. 4h: one image A·N(0, 1) of shape 36×36, drawn once and added
//! to every training and test image (PAPER.md §4, "Robustness").

use crate::compose::PIXELS;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// One noise image: 1296 values `amplitude · z`, `z ~ N(0, 1)` drawn from ChaCha8 seeded by
/// `seed` (row-major 36×36, byte scale: amplitude 10 means a standard deviation of 10 grey
/// levels). Amplitude 0 gives exact zeros. A negative amplitude gives the same distribution
/// (the normal is symmetric); the caller is expected to pass a finite amplitude.
pub fn fixed_noise(amplitude: f32, seed: u64) -> Vec<f32> {
    if amplitude == 0.0 {
        return vec![0.0; PIXELS];
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..PIXELS)
        .map(|_| amplitude * rng.sample::<f32, _>(StandardNormal))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_amplitude_is_zero() {
        assert!(fixed_noise(0.0, 3)
            .iter()
            .all(|&v| v == 0.0 && v.is_sign_positive()));
    }

    #[test]
    fn statistics_match_the_amplitude() {
        for (a, seed) in [(1.0f32, 0u64), (10.0, 1), (50.0, 2)] {
            let z = fixed_noise(a, seed);
            assert_eq!(z.len(), 1296);
            let n = z.len() as f64;
            let mean = z.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = z
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0);
            let a = f64::from(a);
            // Standard errors for n = 1296: mean a/36, sd about a/51; allow 4 of them.
            assert!(mean.abs() < 4.0 * a / 36.0, "mean {mean} for A = {a}");
            assert!(
                (var.sqrt() - a).abs() < 4.0 * a / 51.0,
                "sd {} for A = {a}",
                var.sqrt()
            );
        }
    }

    #[test]
    fn seeded_and_scaled() {
        assert_eq!(fixed_noise(2.0, 7), fixed_noise(2.0, 7));
        assert_ne!(fixed_noise(2.0, 7), fixed_noise(2.0, 8));
        let one = fixed_noise(1.0, 7);
        let three = fixed_noise(3.0, 7);
        assert!(one
            .iter()
            .zip(&three)
            .all(|(a, b)| (3.0 * a - b).abs() < 1e-5));
    }
}
