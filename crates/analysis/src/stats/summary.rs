//! Mean, sample standard deviation, standard error and Student-t confidence interval of a set
//! of per-seed values.

use super::student_t::student_t_quantile;
use crate::error::{check_finite, AnalysisError};
use crate::Result;
use serde::{Deserialize, Serialize};

/// A closed interval [low, high].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl Interval {
    /// Whether `value` lies in [low, high].
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// Summary of n values x₁…xₙ (one per seed).
///
/// mean x̄ = Σxᵢ/n; sd s = √(Σ(xᵢ − x̄)²/(n − 1)) (Bessel-corrected); se = s/√n;
/// 95 % CI = x̄ ± t_{0.975, n−1}·se. The last three need n ≥ 2 and are `None` for n = 1, where
/// no spread can be estimated (a single seed is reported as such, not as ± 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator); `None` for n = 1.
    pub sd: Option<f64>,
    /// Standard error of the mean s/√n; `None` for n = 1.
    pub se: Option<f64>,
    /// 95 % confidence interval of the mean from Student's t with n − 1 degrees of freedom;
    /// `None` for n = 1.
    pub ci95: Option<Interval>,
}

/// Summarises `values` (see [`Summary`]). Errors on an empty slice or a non-finite value.
pub fn summarize(values: &[f64]) -> Result<Summary> {
    summarize_with_level(values, 0.95).map(|(summary, _)| summary)
}

/// Like [`summarize`] but also returns the confidence interval at `level` (e.g. 0.90 for the
/// interval matching a TOST at α = 0.05). `level` must lie in (0, 1).
pub fn summarize_with_level(values: &[f64], level: f64) -> Result<(Summary, Option<Interval>)> {
    const WHAT: &str = "summary over seeds";
    if values.is_empty() {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: "values".into(),
            needed: 1,
            got: 0,
            hint: "pass at least one per-seed value",
        });
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "level",
            problem: format!("is {level}; a confidence level lies strictly between 0 and 1"),
        });
    }
    check_finite(WHAT, "values", values)?;
    let n = values.len();
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    if n < 2 {
        let summary = Summary {
            n,
            mean,
            sd: None,
            se: None,
            ci95: None,
        };
        return Ok((summary, None));
    }
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    let sd = (ss / (nf - 1.0)).sqrt();
    let se = sd / nf.sqrt();
    let interval = |level: f64| {
        let half = student_t_quantile(0.5 + level / 2.0, nf - 1.0) * se;
        Interval {
            low: mean - half,
            high: mean + half,
        }
    };
    let summary = Summary {
        n,
        mean,
        sd: Some(sd),
        se: Some(se),
        ci95: Some(interval(0.95)),
    };
    Ok((summary, Some(interval(level))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_worked_summary() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, s² = 32/7.
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert!((s.mean - 5.0).abs() < 1e-15);
        let sd = (32.0f64 / 7.0).sqrt();
        assert!((s.sd.unwrap() - sd).abs() < 1e-14);
        assert!((s.se.unwrap() - sd / 8f64.sqrt()).abs() < 1e-14);
        // t_{0.975,7} = 2.364624 (tables).
        let ci = s.ci95.unwrap();
        assert!((ci.high - (5.0 + 2.364_624 * sd / 8f64.sqrt())).abs() < 1e-5);
        assert!((ci.low + ci.high - 10.0).abs() < 1e-12);
    }

    #[test]
    fn single_value_has_no_spread_and_bad_input_is_an_error() {
        let s = summarize(&[0.7]).unwrap();
        assert_eq!((s.n, s.mean, s.sd, s.ci95), (1, 0.7, None, None));
        assert!(matches!(
            summarize(&[]),
            Err(AnalysisError::TooFewSamples { .. })
        ));
        assert!(matches!(
            summarize(&[1.0, f64::INFINITY]),
            Err(AnalysisError::NonFinite { index: 1, .. })
        ));
        assert!(summarize_with_level(&[1.0, 2.0], 1.0).is_err());
    }

    #[test]
    fn ninety_percent_interval_is_narrower() {
        let (s, ci90) = summarize_with_level(&[1.0, 2.0, 4.0], 0.90).unwrap();
        let ci90 = ci90.unwrap();
        let ci95 = s.ci95.unwrap();
        // t_{0.95,2} = 2.919986.
        assert!((ci90.high - s.mean - 2.919_986 * s.se.unwrap()).abs() < 1e-5);
        assert!(ci95.low < ci90.low && ci90.high < ci95.high);
    }

    proptest! {
        #[test]
        fn interval_contains_mean_and_shifts(values in prop::collection::vec(-1e3f64..1e3, 2..20),
                                             shift in -100.0f64..100.0) {
            let s = summarize(&values).unwrap();
            prop_assert!(s.ci95.unwrap().contains(s.mean));
            let shifted: Vec<f64> = values.iter().map(|v| v + shift).collect();
            let t = summarize(&shifted).unwrap();
            prop_assert!((t.mean - s.mean - shift).abs() < 1e-9);
            prop_assert!((t.sd.unwrap() - s.sd.unwrap()).abs() < 1e-8);
        }
    }
}
