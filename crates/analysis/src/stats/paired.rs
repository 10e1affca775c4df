//! Paired tests across seeds: Student's paired t-test and the exact Wilcoxon signed-rank test.
//!
//! "Paired" means sample i of `a` and sample i of `b` share seed i (same data order, same
//! initialisation stream), so the test is on the differences dᵢ = aᵢ − bᵢ.

use super::student_t::student_t_two_sided_p;
use crate::error::{check_finite, check_same_len, AnalysisError};
use crate::Result;
use serde::{Deserialize, Serialize};

/// Result of a paired t-test on dᵢ = aᵢ − bᵢ.
///
/// t = d̄ / (s_d/√n) with ν = n − 1 degrees of freedom; two-sided p = P(|T_ν| ≥ |t|).
/// When all differences are equal (s_d = 0) t is undefined (`None`): p = 0 if d̄ ≠ 0 (every
/// seed moved the same way by the same amount) and p = 1 if d̄ = 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedTTest {
    /// Number of pairs.
    pub n: usize,
    /// Mean difference d̄ = mean(a − b).
    pub mean_difference: f64,
    /// Sample standard deviation of the differences.
    pub sd_difference: f64,
    /// t statistic; `None` when s_d = 0.
    pub t: Option<f64>,
    /// Degrees of freedom n − 1.
    pub df: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
}

/// Validated differences a − b (same length, finite), shared by the tests.
pub(crate) fn differences(what: &'static str, a: &[f64], b: &[f64]) -> Result<Vec<f64>> {
    check_same_len(what, "a", a.len(), "b", b.len())?;
    check_finite(what, "a", a)?;
    check_finite(what, "b", b)?;
    Ok(a.iter().zip(b).map(|(x, y)| x - y).collect())
}

/// Paired t-test of H₀: E[a − b] = 0 (see [`PairedTTest`]). Needs n ≥ 2 pairs.
pub fn paired_t_test(a: &[f64], b: &[f64]) -> Result<PairedTTest> {
    const WHAT: &str = "paired t-test";
    let d = differences(WHAT, a, b)?;
    let n = d.len();
    if n < 2 {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: "a and b".into(),
            needed: 2,
            got: n,
            hint: "a spread needs at least two seeds; run more seeds",
        });
    }
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt();
    let df = nf - 1.0;
    let (t, p) = if sd > 0.0 {
        let t = mean / (sd / nf.sqrt());
        (Some(t), student_t_two_sided_p(t, df))
    } else if mean != 0.0 {
        (None, 0.0)
    } else {
        (None, 1.0)
    };
    Ok(PairedTTest {
        n,
        mean_difference: mean,
        sd_difference: sd,
        t,
        df,
        p_two_sided: p,
    })
}

/// Result of the exact Wilcoxon signed-rank test on dᵢ = aᵢ − bᵢ.
///
/// Zero differences are dropped (Wilcoxon's convention); the rest are ranked by |dᵢ| with
/// average ranks for ties; W⁺ = Σ ranks of positive dᵢ. Under H₀ (differences symmetric about
/// 0) each sign is ± with probability ½ independently, so the null distribution of W⁺ is
/// computed exactly by convolution over the (doubled, hence integer) ranks: exact even with
/// ties, conditional on the tie pattern. Two-sided p = min(1, 2·min(P(W⁺ ≤ w), P(W⁺ ≥ w))).
/// With n nonzero pairs the smallest attainable p is 2/2ⁿ (n = 5 gives 0.0625), so with few
/// seeds this test cannot reach α = 0.05; it is reported as a check, not used for verdicts.
///
/// Checked against scipy 1.17: the paired t p-value agrees to 1e-15; without ties this p equals
/// `scipy.stats.wilcoxon(method="exact")`; with ties scipy's "exact" uses the untied null
/// distribution (0.078 for the tied example in the tests' brute-force check, where full
/// enumeration of the 2⁷ sign patterns gives our 0.0625).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WilcoxonTest {
    /// Number of nonzero differences used.
    pub n_nonzero: usize,
    /// Sum of ranks of the positive differences.
    pub w_plus: f64,
    /// Whether some |dᵢ| were tied (average ranks used).
    pub has_ties: bool,
    /// Exact two-sided p-value (1 when every difference is zero).
    pub p_two_sided: f64,
}

/// Exact Wilcoxon signed-rank test (see [`WilcoxonTest`]). Needs n ≥ 1 pair.
pub fn wilcoxon_signed_rank(a: &[f64], b: &[f64]) -> Result<WilcoxonTest> {
    const WHAT: &str = "Wilcoxon signed-rank test";
    let d = differences(WHAT, a, b)?;
    if d.is_empty() {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: "a and b".into(),
            needed: 1,
            got: 0,
            hint: "pass one value per seed for each model",
        });
    }
    let mut nonzero: Vec<f64> = d.into_iter().filter(|x| *x != 0.0).collect();
    let n = nonzero.len();
    if n == 0 {
        return Ok(WilcoxonTest {
            n_nonzero: 0,
            w_plus: 0.0,
            has_ties: false,
            p_two_sided: 1.0,
        });
    }
    nonzero.sort_by(|x, y| x.abs().total_cmp(&y.abs()));
    // Doubled average ranks: a tie group occupying ranks i+1..=j gets (i+1+j) each.
    let mut doubled = vec![0usize; n];
    let mut has_ties = false;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && nonzero[j].abs() == nonzero[i].abs() {
            j += 1;
        }
        has_ties |= j - i > 1;
        for r in &mut doubled[i..j] {
            *r = i + 1 + j;
        }
        i = j;
    }
    let w2_plus: usize = nonzero
        .iter()
        .zip(&doubled)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, r)| *r)
        .sum();
    let total: usize = doubled.iter().sum();
    // Null distribution of doubled W⁺ by convolution; probabilities, halved each step.
    let mut dist = vec![0.0f64; total + 1];
    dist[0] = 1.0;
    let mut reach = 0;
    for &r in &doubled {
        reach += r;
        for w in (0..=reach).rev() {
            let with = if w >= r { dist[w - r] } else { 0.0 };
            dist[w] = 0.5 * (dist[w] + with);
        }
    }
    let p_le: f64 = dist[..=w2_plus].iter().sum();
    let p_ge: f64 = dist[w2_plus..].iter().sum();
    Ok(WilcoxonTest {
        n_nonzero: n,
        w_plus: w2_plus as f64 / 2.0,
        has_ties,
        p_two_sided: (2.0 * p_le.min(p_ge)).min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paired_t_hand_worked() {
        // d = 1, 2, 3, 4: d̄ = 2.5, s_d = √(5/3), t = 2.5/(s_d/2) = 3.872983, ν = 3.
        let t = paired_t_test(&[1.0, 2.0, 3.0, 4.0], &[0.0; 4]).unwrap();
        let sd = (5.0f64 / 3.0).sqrt();
        assert!((t.mean_difference - 2.5).abs() < 1e-15);
        assert!((t.sd_difference - sd).abs() < 1e-14);
        let t_stat = 2.5 / (sd / 2.0);
        assert!((t.t.unwrap() - t_stat).abs() < 1e-12);
        // Closed-form ν = 3 CDF: F(t) = ½ + (1/π)[u/(1 + u²) + atan u], u = t/√3 = √5.
        let u = 5f64.sqrt();
        let cdf = 0.5 + (u / (1.0 + u * u) + u.atan()) / std::f64::consts::PI;
        assert!((t.p_two_sided - 2.0 * (1.0 - cdf)).abs() < 1e-12);
        assert!((t.p_two_sided - 0.030_466).abs() < 1e-5);
    }

    #[test]
    fn paired_t_degenerate_cases() {
        let same_shift = paired_t_test(&[1.0, 2.0, 3.0], &[0.5, 1.5, 2.5]).unwrap();
        assert_eq!((same_shift.t, same_shift.p_two_sided), (None, 0.0));
        let equal = paired_t_test(&[1.0, 2.0], &[1.0, 2.0]).unwrap();
        assert_eq!((equal.t, equal.p_two_sided), (None, 1.0));
        assert!(matches!(
            paired_t_test(&[1.0], &[2.0]),
            Err(AnalysisError::TooFewSamples { got: 1, .. })
        ));
        assert!(matches!(
            paired_t_test(&[1.0, 2.0], &[2.0]),
            Err(AnalysisError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn wilcoxon_hand_worked() {
        // Five positive differences: W⁺ = 15 is the single most extreme of 32 sign patterns,
        // two-sided p = 2/32.
        let w = wilcoxon_signed_rank(&[1.0, 2.0, 3.0, 4.0, 5.0], &[0.0; 5]).unwrap();
        assert_eq!((w.n_nonzero, w.w_plus), (5, 15.0));
        assert!((w.p_two_sided - 0.0625).abs() < 1e-15);
        // d = 1, 2, 3, −4, 5: W⁺ = 11, W⁻ = 4; subsets of {1..5} with sum ≤ 4 are {}, {1},
        // {2}, {3}, {4}, {1,2}, {1,3}: P(W⁻ ≤ 4) = 7/32, two-sided p = 14/32.
        let w = wilcoxon_signed_rank(&[1.0, 2.0, 3.0, -4.0, 5.0], &[0.0; 5]).unwrap();
        assert_eq!(w.w_plus, 11.0);
        assert!((w.p_two_sided - 14.0 / 32.0).abs() < 1e-15);
    }

    #[test]
    fn wilcoxon_ties_and_zeros() {
        // d = 0, 1, −1, 2: the zero is dropped; |1| ties get rank 1.5 each, 2 gets rank 3.
        // W⁺ = 1.5 + 3 = 4.5 of a total 6. Sign patterns (8): sums of {1.5, 1.5, 3} are
        // 0, 1.5, 1.5, 3, 3, 4.5, 4.5, 6 → P(W⁺ ≥ 4.5) = 3/8, P(W⁺ ≤ 4.5) = 7/8; p = 6/8.
        let w = wilcoxon_signed_rank(&[5.0, 1.0, -1.0, 2.0], &[5.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!((w.n_nonzero, w.w_plus, w.has_ties), (3, 4.5, true));
        assert!((w.p_two_sided - 0.75).abs() < 1e-15);
        let none = wilcoxon_signed_rank(&[1.0, 2.0], &[1.0, 2.0]).unwrap();
        assert_eq!((none.n_nonzero, none.p_two_sided), (0, 1.0));
    }

    /// Two-sided p by enumerating all 2ⁿ sign patterns of the average ranks.
    fn brute_force_wilcoxon(d: &[f64]) -> f64 {
        let d: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
        let n = d.len();
        let rank = |i: usize| {
            let below = d.iter().filter(|x| x.abs() < d[i].abs()).count() as f64;
            let equal = d.iter().filter(|x| x.abs() == d[i].abs()).count() as f64;
            below + (equal + 1.0) / 2.0
        };
        let ranks: Vec<f64> = (0..n).map(rank).collect();
        let w: f64 = (0..n).filter(|&i| d[i] > 0.0).map(|i| ranks[i]).sum();
        let (mut le, mut ge) = (0u32, 0u32);
        for pattern in 0u32..(1 << n) {
            let s: f64 = (0..n)
                .filter(|i| pattern >> i & 1 == 1)
                .map(|i| ranks[i])
                .sum();
            le += u32::from(s <= w + 1e-9);
            ge += u32::from(s >= w - 1e-9);
        }
        let total = f64::from(1u32 << n);
        (2.0 * (f64::from(le) / total).min(f64::from(ge) / total)).min(1.0)
    }

    #[test]
    fn wilcoxon_tied_example_matches_enumeration() {
        // d = 0.02, −0.01, 0.05, 0.04, −0.01, 0.03, 0.02 (two tie pairs): W⁺ = 25, p = 0.0625.
        let d = [2.0, -1.0, 5.0, 4.0, -1.0, 3.0, 2.0];
        let w = wilcoxon_signed_rank(&d, &[0.0; 7]).unwrap();
        assert_eq!(w.w_plus, 25.0);
        assert!((w.p_two_sided - 0.0625).abs() < 1e-15);
        assert!((brute_force_wilcoxon(&d) - 0.0625).abs() < 1e-15);
    }

    proptest! {
        #[test]
        fn wilcoxon_matches_enumeration(d in prop::collection::vec(-4i32..5, 1..11)) {
            // Small integers make ties and zeros common.
            let d: Vec<f64> = d.into_iter().map(f64::from).collect();
            let w = wilcoxon_signed_rank(&d, &vec![0.0; d.len()]).unwrap();
            prop_assert!((w.p_two_sided - brute_force_wilcoxon(&d)).abs() < 1e-12);
        }

        #[test]
        fn tests_are_symmetric_in_a_and_b(pairs in prop::collection::vec((-10.0f64..10.0, -10.0f64..10.0), 2..25)) {
            let (a, b): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
            let ab = paired_t_test(&a, &b).unwrap();
            let ba = paired_t_test(&b, &a).unwrap();
            prop_assert!((ab.p_two_sided - ba.p_two_sided).abs() < 1e-12);
            prop_assert!((0.0..=1.0).contains(&ab.p_two_sided));
            let wab = wilcoxon_signed_rank(&a, &b).unwrap();
            let wba = wilcoxon_signed_rank(&b, &a).unwrap();
            prop_assert!((wab.p_two_sided - wba.p_two_sided).abs() < 1e-12);
            prop_assert!(wab.p_two_sided > 0.0 && wab.p_two_sided <= 1.0);
            prop_assert!(wab.p_two_sided >= 2.0 / 2f64.powi(wab.n_nonzero as i32) - 1e-15);
        }
    }
}
