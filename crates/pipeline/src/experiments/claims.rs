//! The paper's comparisons as tested claims (PAPER.md §3 "claims to test, not to assume"):
//! HH ≈ s-LIF2HH > LIF in accuracy and in robustness, and HH ≈ the four-times-larger LIF
//! network. One row per claim, data set and model family: means and 95 % intervals over
//! seeds, a paired test across seeds (`icnet_analysis::stats`), and a verdict. It trains
//! nothing: it reads Fig. 4c's and Fig. 4h's runs.
//!
//! Score of a run: the mean test accuracy of its two tasks (%). Pairs are formed by seed.
//! "A > B" is supported when the paired two-sided t-test has p < 0.05 in the claimed
//! direction; "A ≈ B" by two one-sided tests (TOST) with an equivalence margin of
//! [`MARGIN`] accuracy points. With one seed (the convolutional models in `quick`) every
//! verdict is "inconclusive" by construction.

use super::multitask::{self, Finished, DATASETS};
use super::{fig4c, fig4h, robustness};
use crate::output::{Cell, OutputWriter, Table};
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::{bail, Result};
use icnet_analysis::robustness::normalised_auc;
use icnet_analysis::stats::{claim_equivalent, claim_greater, Summary, Verdict};
use icnet_train::ModelKind;
use serde_json::Value;
use std::collections::BTreeMap;

/// Experiment id.
pub const ID: &str = "claims";

/// Equivalence margin of "A ≈ B" claims, in accuracy points (%).
pub const MARGIN: f64 = 1.0;

/// Significance level of every test.
pub const ALPHA: f64 = 0.05;

/// The claims table.
pub struct Claims;

/// A tested claim: which models, how compared, on what.
struct ClaimRow {
    claim: String,
    on: String,
    a: Summary,
    b: Summary,
    difference: Summary,
    p: Option<f64>,
    verdict: Verdict,
    reason: String,
}

/// Scores of `model` on `dataset` (noise-free) per seed.
fn scores(
    runs: &[Finished],
    model: ModelKind,
    dataset: icnet_data::DatasetKind,
) -> BTreeMap<u64, f64> {
    runs.iter()
        .filter(|f| {
            f.config.train.model == model
                && f.config.dataset == dataset
                && f.config.noise_amplitude == 0.0
        })
        .map(|f| (f.config.train.seed, (f.acc1 + f.acc2) / 2.0))
        .collect()
}

/// The values of two per-seed maps on their common seeds, in seed order.
fn paired(a: &BTreeMap<u64, f64>, b: &BTreeMap<u64, f64>) -> (Vec<f64>, Vec<f64>) {
    a.iter()
        .filter_map(|(seed, &x)| b.get(seed).map(|&y| (x, y)))
        .unzip()
}

fn greater(claim: &str, on: &str, a: &[f64], b: &[f64]) -> Result<ClaimRow> {
    let c = claim_greater(a, b, ALPHA)?;
    Ok(ClaimRow {
        claim: claim.into(),
        on: on.into(),
        a: c.a,
        b: c.b,
        difference: c.difference,
        p: c.t_test.map(|t| t.p_two_sided),
        verdict: c.verdict,
        reason: c.reason,
    })
}

fn equivalent(claim: &str, on: &str, a: &[f64], b: &[f64]) -> Result<ClaimRow> {
    let c = claim_equivalent(a, b, MARGIN, ALPHA)?;
    Ok(ClaimRow {
        claim: claim.into(),
        on: on.into(),
        a: c.a,
        b: c.b,
        difference: c.difference,
        p: c.p_tost,
        verdict: c.verdict,
        reason: c.reason,
    })
}

impl Experiment for Claims {
    fn id(&self) -> &'static str {
        ID
    }
    fn paper_ref(&self) -> &'static str {
        "§3 claims"
    }
    fn title(&self) -> &'static str {
        "the paper's comparisons tested across seeds: HH ≈ s-LIF2HH > LIF, HH ≈ 4LIF, in accuracy and robustness"
    }
    fn depends_on(&self) -> &'static [&'static str] {
        &[fig4c::ID, fig4h::ID]
    }

    fn runs(&self, _profile: crate::profile::Profile) -> Result<Vec<RunSpec>> {
        Ok(Vec::new())
    }

    fn execute(&self, run: &RunSpec, _ctx: &RunContext<'_>) -> Result<Value> {
        bail!("{ID} has no runs of its own (asked for {})", run.label)
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let base = match ctx.deps.get(fig4c::ID) {
            Some(runs) => multitask::finished(runs)?,
            None => bail!("claims needs Fig. 4c's runs; run `icnet reproduce --only fig4c,claims`"),
        };
        let mut rows = Vec::new();
        let families = [
            (
                "fully-connected",
                ModelKind::HhFc,
                ModelKind::SLif2HhFc,
                ModelKind::LifFc,
                ModelKind::FourLifFc,
            ),
            (
                "convolutional",
                ModelKind::HhConv,
                ModelKind::SLif2HhConv,
                ModelKind::LifConv,
                ModelKind::FourLifConv,
            ),
        ];
        for dataset in DATASETS {
            for (family, hh, slif, lif, four) in families {
                let on = format!("{}, {family}, accuracy", dataset.paper_name());
                let [hh_s, slif_s, lif_s, four_s] =
                    [hh, slif, lif, four].map(|m| scores(&base, m, dataset));
                let (a, b) = paired(&hh_s, &lif_s);
                rows.push(greater(&format!("{hh} > {lif}"), &on, &a, &b)?);
                let (a, b) = paired(&slif_s, &lif_s);
                rows.push(greater(&format!("{slif} > {lif}"), &on, &a, &b)?);
                let (a, b) = paired(&hh_s, &slif_s);
                rows.push(equivalent(
                    &format!("{hh} ≈ {slif} (±{MARGIN} points)"),
                    &on,
                    &a,
                    &b,
                )?);
                let (a, b) = paired(&hh_s, &four_s);
                rows.push(equivalent(
                    &format!("{hh} ≈ {four} (±{MARGIN} points)"),
                    &on,
                    &a,
                    &b,
                )?);
            }
        }
        // Robustness: per-seed normalised AUC of the Fig. 4h sweep.
        let mut noisy: Vec<Finished> = base
            .iter()
            .filter(|f| f.config.dataset == fig4h::DATASET && f.config.noise_amplitude == 0.0)
            .cloned()
            .collect();
        if let Some(runs) = ctx.deps.get(fig4h::ID) {
            noisy.extend(multitask::finished(runs)?);
        }
        let amplitudes: Vec<f64> = fig4h::AMPLITUDES.iter().map(|&a| a as f64).collect();
        // The paper's fixed noise pattern, then the fresh per-image noise probe it did not run.
        type CurvesOf<'a> = &'a dyn Fn(ModelKind) -> Result<BTreeMap<u64, Vec<f64>>>;
        let fixed = |model| Ok(robustness::seed_curves(&noisy, model, &fig4h::AMPLITUDES));
        let fresh = |model| robustness::fresh_seed_curves(&noisy, model, &fig4h::AMPLITUDES);
        let probes: [(&str, CurvesOf<'_>); 2] = [
            ("robustness (normalised AUC)", &fixed),
            (
                "robustness to fresh per-image noise (normalised AUC; not in the paper)",
                &fresh,
            ),
        ];
        for (what, curves) in probes {
            let auc = |model: ModelKind| -> Result<BTreeMap<u64, f64>> {
                curves(model)?
                    .into_iter()
                    .map(|(seed, curve)| Ok((seed, normalised_auc(&amplitudes, &curve)?)))
                    .collect()
            };
            for (family, hh, slif, lif, _) in families {
                let on = format!("{}, {family}, {what}", fig4h::DATASET.paper_name());
                let lif_auc = auc(lif)?;
                for better in [hh, slif] {
                    let (a, b) = paired(&auc(better)?, &lif_auc);
                    if !a.is_empty() {
                        rows.push(greater(&format!("{better} > {lif}"), &on, &a, &b)?);
                    }
                }
            }
        }
        let mut table = Table::new([
            "claim",
            "on",
            "seeds",
            "A mean",
            "B mean",
            "A − B",
            "95% CI of A − B",
            "p",
            "verdict",
            "why",
        ]);
        let mut supported = 0;
        for r in &rows {
            if r.verdict == Verdict::Supported {
                supported += 1;
            }
            table.push_row(vec![
                Cell::text(&r.claim),
                Cell::text(&r.on),
                Cell::Int(r.difference.n as i64),
                Cell::float(r.a.mean, 3),
                Cell::float(r.b.mean, 3),
                Cell::float(r.difference.mean, 3),
                Cell::text(match r.difference.ci95 {
                    Some(i) => format!("[{:.3}, {:.3}]", i.low, i.high),
                    None => "n/a (one seed)".into(),
                }),
                Cell::text(match r.p {
                    Some(p) => format!("{p:.4}"),
                    None => "n/a".into(),
                }),
                Cell::text(r.verdict.label()),
                Cell::text(&r.reason),
            ])?;
        }
        let metrics = vec![
            ("supported".to_string(), supported as f64),
            ("total".to_string(), rows.len() as f64),
        ];
        let outputs = vec![out
            .table(
                "claims",
                &format!(
                    "The paper's comparisons tested across seeds at profile {}. Score: mean test \
                     accuracy of both tasks (%), or the normalised AUC of the Fig. 4h noise sweep (or of the \
                     fresh-noise probe of the robustness_fresh table); \
                     pairs by seed. \"A > B\": paired two-sided t-test, supported when p < {ALPHA} in \
                     the claimed direction, not supported when p < {ALPHA} against it, else \
                     inconclusive. \"A ≈ B\": two one-sided tests with margin ±{MARGIN} accuracy \
                     points. One seed (the convolutional models in quick) cannot support or refute \
                     anything. The cost claim (HH cheaper than s-LIF2HH) waits for the cost table.",
                    ctx.profile.name()
                ),
                &table,
            )?
            .deviation("The paper states these comparisons from single runs without tests; the verdicts are ours.")];
        Ok(Rendered { outputs, metrics })
    }
}
