//! Agreement of two rankings of the same models — e.g. the VIB bound against the
//! nearest-neighbour estimate (Fig. 5d), or the robustness ranking under the paper's fixed
//! noise against fresh per-image noise.

use crate::error::{check_finite, check_same_len, AnalysisError};
use crate::Result;
use serde::{Deserialize, Serialize};

/// How two score vectors over the same models order them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingAgreement {
    /// Number of models.
    pub n: usize,
    /// Kendall's τ_b = (C − D)/√((n₀ − T_a)(n₀ − T_b)) over the n₀ = n(n − 1)/2 pairs, with C
    /// concordant and D discordant pairs and T_a, T_b the pairs tied in a and in b. 1 = same
    /// order, −1 = reversed. `None` when every pair is tied in a or in b (or n < 2).
    pub kendall_tau_b: Option<f64>,
    /// Whether every pair is ordered the same way (ties must match too).
    pub same_order: bool,
    /// Pairs (first, second) that a orders first > second and b orders second > first, or the
    /// reverse: the concrete disagreements.
    pub discordant_pairs: Vec<(String, String)>,
}

/// Compares the orders that scores `a` and `b` (higher = better, one per model in `names`)
/// induce on the models.
pub fn ranking_agreement(names: &[String], a: &[f64], b: &[f64]) -> Result<RankingAgreement> {
    const WHAT: &str = "ranking agreement";
    check_same_len(WHAT, "names", names.len(), "a", a.len())?;
    check_same_len(WHAT, "names", names.len(), "b", b.len())?;
    check_finite(WHAT, "a", a)?;
    check_finite(WHAT, "b", b)?;
    if names.is_empty() {
        return Err(AnalysisError::TooFewSamples {
            what: WHAT,
            field: "names".into(),
            needed: 1,
            got: 0,
            hint: "pass the models to compare",
        });
    }
    let n = names.len();
    let (mut concordant, mut discordant, mut tied_a, mut tied_b) = (0i64, 0i64, 0i64, 0i64);
    let mut same_order = true;
    let mut pairs = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let sa = (a[i] - a[j])
                .partial_cmp(&0.0)
                .unwrap_or(std::cmp::Ordering::Equal);
            let sb = (b[i] - b[j])
                .partial_cmp(&0.0)
                .unwrap_or(std::cmp::Ordering::Equal);
            same_order &= sa == sb;
            match (sa.is_eq(), sb.is_eq()) {
                (true, true) => {
                    tied_a += 1;
                    tied_b += 1;
                }
                (true, false) => tied_a += 1,
                (false, true) => tied_b += 1,
                (false, false) if sa == sb => concordant += 1,
                (false, false) => {
                    discordant += 1;
                    pairs.push((names[i].clone(), names[j].clone()));
                }
            }
        }
    }
    let pairs_total = (n * (n - 1) / 2) as i64;
    let denom = (((pairs_total - tied_a) * (pairs_total - tied_b)) as f64).sqrt();
    Ok(RankingAgreement {
        n,
        kendall_tau_b: (denom > 0.0).then(|| (concordant - discordant) as f64 / denom),
        same_order,
        discordant_pairs: pairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hand_worked_rankings() {
        let m = names(&["hh", "slif2hh", "lif"]);
        let same = ranking_agreement(&m, &[3.0, 2.0, 1.0], &[0.9, 0.8, 0.1]).unwrap();
        assert_eq!((same.kendall_tau_b, same.same_order), (Some(1.0), true));
        // b swaps slif2hh and lif: C = 2, D = 1 → τ = 1/3.
        let swap = ranking_agreement(&m, &[3.0, 2.0, 1.0], &[3.0, 1.0, 2.0]).unwrap();
        assert!((swap.kendall_tau_b.unwrap() - 1.0 / 3.0).abs() < 1e-15);
        assert!(!swap.same_order);
        assert_eq!(
            swap.discordant_pairs,
            vec![("slif2hh".to_string(), "lif".to_string())]
        );
        let reversed = ranking_agreement(&m, &[3.0, 2.0, 1.0], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(reversed.kendall_tau_b, Some(-1.0));
        // A tie in a only: pairs (hh, slif2hh) tied in a; C = 2, D = 0, T_a = 1, T_b = 0:
        // τ_b = 2/√(2·3).
        let tie = ranking_agreement(&m, &[2.0, 2.0, 1.0], &[3.0, 2.0, 1.0]).unwrap();
        assert!((tie.kendall_tau_b.unwrap() - 2.0 / 6f64.sqrt()).abs() < 1e-15);
        assert!(!tie.same_order);
        let one = ranking_agreement(&names(&["x"]), &[1.0], &[2.0]).unwrap();
        assert_eq!((one.kendall_tau_b, one.same_order), (None, true));
        assert!(ranking_agreement(&m, &[1.0, 2.0], &[1.0, 2.0, 3.0]).is_err());
    }
}
