//! Verdicts for the claims of PAPER.md §3: directional ("A > B", e.g. HH > LIF in accuracy)
//! and equivalence ("A ≈ B", e.g. HH ≈ s-LIF2HH) over paired seeds.

use super::paired::{differences, paired_t_test, wilcoxon_signed_rank, PairedTTest, WilcoxonTest};
use super::student_t::student_t_upper_tail;
use super::summary::{summarize, summarize_with_level, Interval, Summary};
use crate::error::{check_finite, AnalysisError};
use crate::Result;
use serde::{Deserialize, Serialize};

/// Outcome of testing a claim at level α.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The data support the claim at level α.
    Supported,
    /// The data contradict the claim at level α.
    NotSupported,
    /// The data decide neither way (too few seeds, or the effect is within the noise).
    Inconclusive,
}

impl Verdict {
    /// Lower-case label for tables: "supported", "not supported", "inconclusive".
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::NotSupported => "not supported",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// A p-value for a sentence: three decimals, or scientific notation below 0.001.
fn fmt_p(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.2e}")
    } else {
        format!("{p:.3}")
    }
}

fn check_alpha(what: &'static str, alpha: f64) -> Result<()> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(AnalysisError::InvalidParameter {
            what,
            field: "alpha",
            problem: format!(
                "is {alpha}; a significance level lies strictly between 0 and 1 (use 0.05)"
            ),
        })
    }
}

/// Test of the directional claim "A > B" on paired per-seed values.
///
/// Rule (paired t-test on dᵢ = aᵢ − bᵢ, two-sided p, level α):
/// - **supported** when d̄ > 0 and p < α;
/// - **not supported** when d̄ < 0 and p < α (B is significantly better);
/// - **inconclusive** otherwise, including n < 2 pairs (no spread, so no test is possible).
///
/// The two-sided p is deliberately conservative: a directional claim chosen after seeing the
/// paper's figure should not get the one-sided test's factor of 2. The exact Wilcoxon p is
/// reported alongside as a distribution-free check but does not enter the verdict (with ≤ 5
/// seeds it cannot go below 0.0625).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectionalClaim {
    /// Number of paired seeds.
    pub n: usize,
    /// Summary of A over seeds.
    pub a: Summary,
    /// Summary of B over seeds.
    pub b: Summary,
    /// Summary of the differences A − B (its CI is the paired 95 % CI).
    pub difference: Summary,
    /// The paired t-test; `None` for n < 2.
    pub t_test: Option<PairedTTest>,
    /// The exact Wilcoxon signed-rank test; `None` for n < 1.
    pub wilcoxon: Option<WilcoxonTest>,
    /// Level α used.
    pub alpha: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// One sentence explaining the verdict.
    pub reason: String,
}

/// Tests "A > B" (see [`DirectionalClaim`]). `a[i]` and `b[i]` must come from the same seed.
pub fn claim_greater(a: &[f64], b: &[f64], alpha: f64) -> Result<DirectionalClaim> {
    const WHAT: &str = "claim A > B";
    check_alpha(WHAT, alpha)?;
    let d = differences(WHAT, a, b)?;
    let n = d.len();
    if n == 0 {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: "a and b".into(),
            needed: 1,
            got: 0,
            hint: "pass one value per seed for each model",
        });
    }
    let (sa, sb, sd) = (summarize(a)?, summarize(b)?, summarize(&d)?);
    let wilcoxon = Some(wilcoxon_signed_rank(a, b)?);
    if n < 2 {
        return Ok(DirectionalClaim {
            n,
            a: sa,
            b: sb,
            difference: sd,
            t_test: None,
            wilcoxon,
            alpha,
            verdict: Verdict::Inconclusive,
            reason: "one seed only: no spread over seeds, so no test is possible".into(),
        });
    }
    let t = paired_t_test(a, b)?;
    let (verdict, reason) = if t.p_two_sided < alpha && t.mean_difference > 0.0 {
        (
            Verdict::Supported,
            format!(
                "A exceeds B by {:.4} on average, paired t p = {} < {alpha}",
                t.mean_difference,
                fmt_p(t.p_two_sided)
            ),
        )
    } else if t.p_two_sided < alpha && t.mean_difference < 0.0 {
        (
            Verdict::NotSupported,
            format!(
                "B exceeds A by {:.4} on average, paired t p = {} < {alpha}",
                -t.mean_difference,
                fmt_p(t.p_two_sided)
            ),
        )
    } else {
        (
            Verdict::Inconclusive,
            format!(
                "mean difference {:.4} with paired t p = {} ≥ {alpha} over {n} seeds",
                t.mean_difference,
                fmt_p(t.p_two_sided)
            ),
        )
    };
    Ok(DirectionalClaim {
        n,
        a: sa,
        b: sb,
        difference: sd,
        t_test: Some(t),
        wilcoxon,
        alpha,
        verdict,
        reason,
    })
}

/// Test of the equivalence claim "A ≈ B within ± margin" by two one-sided tests (TOST).
///
/// With d̄, se = s_d/√n and ν = n − 1:
/// - p_lower = P(T_ν ≥ (d̄ + δ)/se) tests H₀: μ_d ≤ −δ; p_upper = P(T_ν ≤ (d̄ − δ)/se) tests
///   H₀: μ_d ≥ δ; p_TOST = max(p_lower, p_upper). Equivalently, the 100(1 − 2α) % CI of d̄
///   lies inside (−δ, δ) exactly when p_TOST < α.
/// - p_beyond = the one-sided p that |μ_d| > δ on the side of d̄: P(T_ν ≥ (|d̄| − δ)/se).
///
/// Verdict: **supported** when p_TOST < α; **not supported** when p_beyond < α (the
/// difference is significantly larger than the margin); **inconclusive** otherwise (including
/// n < 2). When every seed gives the same difference (se = 0) the comparison of |d̄| with δ is
/// exact: inside → supported, outside → not supported, equal → inconclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquivalenceClaim {
    /// Number of paired seeds.
    pub n: usize,
    /// Equivalence margin δ (same units as the data, e.g. accuracy as a fraction).
    pub margin: f64,
    /// Summary of A.
    pub a: Summary,
    /// Summary of B.
    pub b: Summary,
    /// Summary of A − B.
    pub difference: Summary,
    /// The 100(1 − 2α) % CI of the mean difference (the TOST interval); `None` for n < 2.
    pub tost_interval: Option<Interval>,
    /// p of the two one-sided tests; `None` for n < 2.
    pub p_tost: Option<f64>,
    /// One-sided p that the difference exceeds the margin; `None` for n < 2.
    pub p_beyond_margin: Option<f64>,
    /// Level α.
    pub alpha: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// One sentence explaining the verdict.
    pub reason: String,
}

/// Tests "A ≈ B within ± `margin`" (see [`EquivalenceClaim`]).
pub fn claim_equivalent(a: &[f64], b: &[f64], margin: f64, alpha: f64) -> Result<EquivalenceClaim> {
    const WHAT: &str = "claim A ≈ B (TOST)";
    check_alpha(WHAT, alpha)?;
    check_finite(WHAT, "margin", &[margin])?;
    if margin <= 0.0 {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "margin",
            problem: format!("is {margin}; the equivalence margin must be positive (e.g. 0.01 for one accuracy point)"),
        });
    }
    let d = differences(WHAT, a, b)?;
    let n = d.len();
    if n == 0 {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: "a and b".into(),
            needed: 1,
            got: 0,
            hint: "pass one value per seed for each model",
        });
    }
    let (sa, sb) = (summarize(a)?, summarize(b)?);
    let (sd, interval) = summarize_with_level(&d, 1.0 - 2.0 * alpha)
        .or_else(|_| summarize(&d).map(|s| (s, None)))?;
    let mean = sd.mean;
    let mut claim = EquivalenceClaim {
        n,
        margin,
        a: sa,
        b: sb,
        difference: sd.clone(),
        tost_interval: None,
        p_tost: None,
        p_beyond_margin: None,
        alpha,
        verdict: Verdict::Inconclusive,
        reason: "one seed only: no spread over seeds, so no test is possible".into(),
    };
    let Some(se) = sd.se else {
        return Ok(claim);
    };
    let df = n as f64 - 1.0;
    let (p_tost, p_beyond) = if se > 0.0 {
        let p_lower = student_t_upper_tail((mean + margin) / se, df);
        let p_upper = student_t_upper_tail(-(mean - margin) / se, df);
        let p_beyond = student_t_upper_tail((mean.abs() - margin) / se, df);
        (p_lower.max(p_upper), p_beyond)
    } else if mean.abs() < margin {
        (0.0, 1.0)
    } else if mean.abs() > margin {
        (1.0, 0.0)
    } else {
        (1.0, 1.0)
    };
    claim.tost_interval = interval;
    claim.p_tost = Some(p_tost);
    claim.p_beyond_margin = Some(p_beyond);
    (claim.verdict, claim.reason) = if p_tost < alpha {
        (
            Verdict::Supported,
            format!(
                "mean difference {mean:.4} is within ±{margin} (TOST p = {} < {alpha})",
                fmt_p(p_tost)
            ),
        )
    } else if p_beyond < alpha {
        (
            Verdict::NotSupported,
            format!(
                "mean difference {mean:.4} exceeds the margin ±{margin} (p = {} < {alpha})",
                fmt_p(p_beyond)
            ),
        )
    } else {
        (
            Verdict::Inconclusive,
            format!("mean difference {mean:.4}: neither within ±{margin} (TOST p = {}) nor beyond it (p = {}) at {alpha} over {n} seeds", fmt_p(p_tost), fmt_p(p_beyond)),
        )
    };
    Ok(claim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::student_t::student_t_quantile;

    #[test]
    fn directional_verdicts() {
        let a = [0.90, 0.91, 0.92, 0.93];
        let b = [0.80, 0.82, 0.81, 0.80];
        let up = claim_greater(&a, &b, 0.05).unwrap();
        assert_eq!(up.verdict, Verdict::Supported);
        let down = claim_greater(&b, &a, 0.05).unwrap();
        assert_eq!(down.verdict, Verdict::NotSupported);
        assert!((up.t_test.unwrap().p_two_sided - down.t_test.unwrap().p_two_sided).abs() < 1e-15);
        // d = 0.01, −0.01, 0.02, −0.01: d̄ = 0.0025, not significant.
        let noisy =
            claim_greater(&[0.91, 0.89, 0.92, 0.89], &[0.90, 0.90, 0.90, 0.90], 0.05).unwrap();
        assert_eq!(noisy.verdict, Verdict::Inconclusive);
        let single = claim_greater(&[0.9], &[0.1], 0.05).unwrap();
        assert_eq!(single.verdict, Verdict::Inconclusive);
        assert!(single.reason.contains("one seed"));
        assert!(claim_greater(&a, &b, 0.0).is_err());
    }

    #[test]
    fn directional_verdict_follows_the_t_threshold() {
        // d = c + (−1, 0, 1): s_d = 1, se = 1/√3, t = c√3, ν = 2. The verdict flips exactly
        // where t crosses t_{0.975,2} = 4.302653.
        let crit = student_t_quantile(0.975, 2.0) / 3f64.sqrt();
        for (c, expected) in [
            (crit * 0.99, Verdict::Inconclusive),
            (crit * 1.01, Verdict::Supported),
        ] {
            let a = [c - 1.0, c, c + 1.0];
            let claim = claim_greater(&a, &[0.0; 3], 0.05).unwrap();
            assert_eq!(claim.verdict, expected, "c = {c}");
        }
    }

    #[test]
    fn tost_hand_worked() {
        // d = 0.1 + (−1, 0, 1)·0.01: d̄ = 0.1, se = 0.01/√3, ν = 2.
        let a = [0.59, 0.60, 0.61];
        let b = [0.5; 3];
        let se = 0.01 / 3f64.sqrt();
        let t_crit = student_t_quantile(0.95, 2.0);
        // Margin just beyond d̄ + t_{0.95,2}·se → the 90 % CI fits: supported.
        let wide = claim_equivalent(&a, &b, 0.1 + 1.01 * t_crit * se, 0.05).unwrap();
        assert_eq!(wide.verdict, Verdict::Supported);
        let ci = wide.tost_interval.unwrap();
        assert!((ci.high - (0.1 + t_crit * se)).abs() < 1e-12);
        assert!(wide.p_tost.unwrap() < 0.05);
        // Margin just inside → neither: inconclusive.
        let tight = claim_equivalent(&a, &b, 0.1 + 0.99 * t_crit * se, 0.05).unwrap();
        assert_eq!(tight.verdict, Verdict::Inconclusive);
        // Margin far below d̄ − t·se → the difference exceeds it: not supported.
        let small = claim_equivalent(&a, &b, 0.1 - 1.01 * t_crit * se, 0.05).unwrap();
        assert_eq!(small.verdict, Verdict::NotSupported);
        // p_beyond at margin 0.05: t = (0.1 − 0.05)/se = 5√3 with ν = 2; closed form
        // P(T₂ ≥ t) = ½(1 − t/√(2 + t²)).
        let t = 0.05 / se;
        let exact = 0.5 * (1.0 - t / (2.0 + t * t).sqrt());
        let at = claim_equivalent(&a, &b, 0.05, 0.05).unwrap();
        assert!((at.p_beyond_margin.unwrap() - exact).abs() < 1e-12);
    }

    #[test]
    fn tost_degenerate_and_bad_input() {
        let same = claim_equivalent(&[1.0, 2.0], &[1.0, 2.0], 0.01, 0.05).unwrap();
        assert_eq!(same.verdict, Verdict::Supported);
        let shifted = claim_equivalent(&[1.1, 2.1], &[1.0, 2.0], 0.01, 0.05).unwrap();
        assert_eq!(shifted.verdict, Verdict::NotSupported);
        let one = claim_equivalent(&[1.0], &[1.0], 0.01, 0.05).unwrap();
        assert_eq!(one.verdict, Verdict::Inconclusive);
        let e = claim_equivalent(&[1.0], &[1.0], -0.01, 0.05).unwrap_err();
        assert!(e.to_string().contains("margin"));
    }

    #[test]
    fn claims_serialise_for_the_pipeline() {
        let c = claim_greater(&[0.9, 0.91, 0.93], &[0.8, 0.82, 0.81], 0.05).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"verdict\":\"Supported\""), "{json}");
        // serde_json's default float parser may be off by one ulp (it lacks the
        // float_roundtrip feature), so compare numbers to 1e-15, the rest exactly.
        let back: DirectionalClaim = serde_json::from_str(&json).unwrap();
        assert_eq!((back.verdict, &back.reason), (c.verdict, &c.reason));
        assert!((back.difference.mean - c.difference.mean).abs() < 1e-15);
        let e = claim_equivalent(&[0.9, 0.91, 0.93], &[0.9, 0.9, 0.92], 0.02, 0.05).unwrap();
        let back: EquivalenceClaim =
            serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!((back.verdict, &back.reason), (e.verdict, &e.reason));
        assert!((back.p_tost.unwrap() - e.p_tost.unwrap()).abs() < 1e-15);
        assert_eq!(Verdict::NotSupported.label(), "not supported");
    }
}
