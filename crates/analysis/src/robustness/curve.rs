//! One accuracy–noise curve: degradation relative to the noise-free value and the normalised
//! area under the curve.

use crate::error::{check_finite, check_same_len, AnalysisError};
use crate::Result;
use serde::{Deserialize, Serialize};

const WHAT: &str = "robustness curve";

/// Loss at one noise amplitude relative to the noise-free score s₀.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Degradation {
    /// Noise amplitude A.
    pub amplitude: f64,
    /// s₀ − s(A), in the score's units (positive = worse under noise).
    pub absolute_drop: f64,
    /// (s₀ − s(A)) / s₀ (0 = no loss, 1 = everything lost).
    pub relative_drop: f64,
}

/// Checks an amplitude axis: at least two finite values, the first 0 (the noise-free run),
/// strictly increasing.
pub(crate) fn check_amplitudes(amplitudes: &[f64]) -> Result<()> {
    check_finite(WHAT, "amplitudes", amplitudes)?;
    if amplitudes.len() < 2 {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: "amplitudes".into(),
            needed: 2,
            got: amplitudes.len(),
            hint: "a curve needs the noise-free amplitude 0 and at least one noisy amplitude",
        });
    }
    if amplitudes[0] != 0.0 {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "amplitudes",
            problem: format!(
                "starts at {}; the first amplitude must be 0 (the noise-free reference run)",
                amplitudes[0]
            ),
        });
    }
    if let Some(i) = amplitudes.windows(2).position(|w| w[1] <= w[0]) {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "amplitudes",
            problem: format!(
                "is not strictly increasing at index {} ({} then {}); sort the amplitudes and drop duplicates",
                i + 1,
                amplitudes[i],
                amplitudes[i + 1]
            ),
        });
    }
    Ok(())
}

/// Checks one curve against its axis and returns the noise-free score s₀ > 0.
fn check_curve(amplitudes: &[f64], scores: &[f64]) -> Result<f64> {
    check_amplitudes(amplitudes)?;
    check_same_len(WHAT, "amplitudes", amplitudes.len(), "scores", scores.len())?;
    check_finite(WHAT, "scores", scores)?;
    let s0 = scores[0];
    if s0 <= 0.0 {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "scores[0]",
            problem: format!(
                "(the noise-free score) is {s0}; normalising needs a positive reference — for rewards, \
                 subtract a baseline such as a random policy's reward first"
            ),
        });
    }
    Ok(s0)
}

/// Degradation s₀ − s(A) and (s₀ − s(A))/s₀ at every amplitude (the first is 0 by definition).
pub fn degradation(amplitudes: &[f64], scores: &[f64]) -> Result<Vec<Degradation>> {
    let s0 = check_curve(amplitudes, scores)?;
    Ok(amplitudes
        .iter()
        .zip(scores)
        .map(|(&amplitude, &s)| Degradation {
            amplitude,
            absolute_drop: s0 - s,
            relative_drop: (s0 - s) / s0,
        })
        .collect())
}

/// Normalised area under the score–noise curve:
/// AUC = [Σᵢ (Aᵢ₊₁ − Aᵢ)(sᵢ + sᵢ₊₁)/2] / (s₀ · (A_max − A₀)), the trapezoid rule divided by
/// the area of a model that loses nothing. 1 means no loss over the range; a model at chance
/// scores the chance-level fraction; above 1 means noise helped.
pub fn normalised_auc(amplitudes: &[f64], scores: &[f64]) -> Result<f64> {
    let s0 = check_curve(amplitudes, scores)?;
    let area: f64 = amplitudes
        .windows(2)
        .zip(scores.windows(2))
        .map(|(a, s)| (a[1] - a[0]) * (s[0] + s[1]) / 2.0)
        .sum();
    let range = amplitudes[amplitudes.len() - 1] - amplitudes[0];
    Ok(area / (s0 * range))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_worked_auc_and_degradation() {
        // Accuracies 0.9, 0.9, 0.6, 0.3 at A = 0, 25, 50, 75: trapezoids 22.5 + 18.75 + 11.25 =
        // 52.5; divided by 0.9 · 75 = 67.5 gives 7/9.
        let a = [0.0, 25.0, 50.0, 75.0];
        let s = [0.9, 0.9, 0.6, 0.3];
        assert!((normalised_auc(&a, &s).unwrap() - 7.0 / 9.0).abs() < 1e-14);
        let d = degradation(&a, &s).unwrap();
        assert_eq!(d[0].absolute_drop, 0.0);
        assert!((d[2].absolute_drop - 0.3).abs() < 1e-15);
        assert!((d[3].relative_drop - 2.0 / 3.0).abs() < 1e-15);
        // Uneven spacing: A = 0, 10, 40 with s = 1, 0.5, 0.5: (7.5 + 15)/(1 · 40) = 0.5625.
        assert!(
            (normalised_auc(&[0.0, 10.0, 40.0], &[1.0, 0.5, 0.5]).unwrap() - 0.5625).abs() < 1e-15
        );
        // One noisy point (Fig. 4i: σ = 0 and 0.002): (1 + s₁/s₀)/2.
        assert!((normalised_auc(&[0.0, 0.002], &[200.0, 150.0]).unwrap() - 0.875).abs() < 1e-14);
    }

    #[test]
    fn bad_curves_are_explained() {
        let e = normalised_auc(&[5.0, 10.0], &[1.0, 1.0]).unwrap_err();
        assert!(e.to_string().contains("must be 0"), "{e}");
        let e = normalised_auc(&[0.0, 10.0, 10.0], &[1.0, 1.0, 1.0]).unwrap_err();
        assert!(e.to_string().contains("strictly increasing"), "{e}");
        let e = normalised_auc(&[0.0, 10.0], &[-5.0, 1.0]).unwrap_err();
        assert!(e.to_string().contains("baseline"), "{e}");
        assert!(normalised_auc(&[0.0, 10.0], &[1.0]).is_err());
        assert!(normalised_auc(&[0.0], &[1.0]).is_err());
        assert!(normalised_auc(&[0.0, 1.0], &[1.0, f64::NAN]).is_err());
    }

    proptest! {
        #[test]
        fn flat_curve_is_one_and_scale_free(s0 in 0.01f64..100.0, c in 0.1f64..10.0,
                                            drops in prop::collection::vec(0.0f64..1.0, 1..6)) {
            let amps: Vec<f64> = (0..=drops.len()).map(|i| i as f64 * 25.0).collect();
            let flat = vec![s0; amps.len()];
            prop_assert!((normalised_auc(&amps, &flat).unwrap() - 1.0).abs() < 1e-12);
            let mut curve = vec![s0];
            curve.extend(drops.iter().map(|d| s0 * (1.0 - d)));
            let auc = normalised_auc(&amps, &curve).unwrap();
            prop_assert!((0.0..=1.0 + 1e-12).contains(&auc));
            // Scaling the scores or the amplitudes leaves it unchanged.
            let scaled: Vec<f64> = curve.iter().map(|v| v * c).collect();
            let stretched: Vec<f64> = amps.iter().map(|a| a * c).collect();
            prop_assert!((normalised_auc(&amps, &scaled).unwrap() - auc).abs() < 1e-12);
            prop_assert!((normalised_auc(&stretched, &curve).unwrap() - auc).abs() < 1e-12);
        }
    }
}
