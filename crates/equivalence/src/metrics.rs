//! Spike-train metrics for comparing a model's spikes with a reference (HH) train.
//!
//! All times are in ms. A [`SpikeTrain`] holds finite spike times sorted ascending; every
//! metric is defined for every pair of trains, empty ones included (each function says
//! what it returns then), and never returns NaN or panics. The metrics, in the order of
//! PAPER.md §2.4 and issue 3:
//!
//! | metric | function | units | identical trains |
//! |---|---|---|---|
//! | spike-count error | [`spike_count_error`], [`relative_spike_count_error`] | spikes, 1 | 0 |
//! | mean ISI difference | [`mean_isi_difference`] | ms | 0 |
//! | normalised spike-time offset | [`normalised_spike_time_offset`] | 1 | 0 |
//! | coincidence factor Γ | [`coincidence_factor`] | 1 | 1 |
//! | van Rossum distance | [`van_rossum_distance`] | 1 | 0 |
//! | Victor–Purpura distance | [`victor_purpura_distance`] | 1 | 0 |

use serde::{Deserialize, Serialize};

use crate::error::{non_negative_param, positive_param, MetricError};

/// A spike train: finite spike times (ms), sorted ascending. Coincident spikes are allowed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct SpikeTrain {
    times: Vec<f64>,
}

impl SpikeTrain {
    /// A train from spike times in any order; they are sorted. Rejects NaN and ±inf.
    pub fn new(mut times: Vec<f64>) -> Result<Self, MetricError> {
        if let Some((index, &value)) = times.iter().enumerate().find(|(_, t)| !t.is_finite()) {
            return Err(MetricError::NonFiniteSpikeTime { index, value });
        }
        times.sort_by(f64::total_cmp);
        Ok(SpikeTrain { times })
    }

    /// The train without spikes.
    pub fn empty() -> Self {
        SpikeTrain::default()
    }

    /// The spike times (ms), ascending.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// Number of spikes.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether the train has no spikes.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Mean inter-spike interval (ms), (t_n − t_1)/(n − 1); `None` with fewer than two spikes.
    ///
    /// Only intervals *between* spikes count. The paper's script lists the gaps between
    /// successive spikes starting from t = 0 and drops the first one ("first interval
    /// excluded"): (Σ gaps − gap₁)/(n − 1) = (t_n − t_1)/(n − 1), the same number.
    pub fn mean_isi(&self) -> Option<f64> {
        let n = self.times.len();
        (n >= 2).then(|| (self.times[n - 1] - self.times[0]) / (n - 1) as f64)
    }
}

impl TryFrom<Vec<f64>> for SpikeTrain {
    type Error = MetricError;
    fn try_from(times: Vec<f64>) -> Result<Self, Self::Error> {
        SpikeTrain::new(times)
    }
}

impl From<SpikeTrain> for Vec<f64> {
    fn from(train: SpikeTrain) -> Self {
        train.times
    }
}

/// Spike-count error |n_ref − n_other| (spikes). Symmetric; 0 for two empty trains.
pub fn spike_count_error(reference: &SpikeTrain, other: &SpikeTrain) -> usize {
    reference.len().abs_diff(other.len())
}

/// Relative spike-count error |n_ref − n_other| / max(n_ref, 1) (dimensionless).
///
/// Relative to the reference count; when the reference is silent the denominator is 1,
/// so the value is then the other train's count (0 if both are empty).
pub fn relative_spike_count_error(reference: &SpikeTrain, other: &SpikeTrain) -> f64 {
    spike_count_error(reference, other) as f64 / reference.len().max(1) as f64
}

/// Mean ISI difference (ms): mean ISI of `other` minus mean ISI of `reference`, each
/// (t_n − t_1)/(n − 1) (see [`SpikeTrain::mean_isi`]).
///
/// Sign as in the paper's script (model minus HH): positive when `other` fires more
/// slowly than the reference. Take `abs()` for a loss. `None` when either train has
/// fewer than two spikes (no interval to average). Defined even when the counts differ;
/// the paper reports it only when they match ([`Comparison::count_error`] tells which).
/// Antisymmetric in its arguments.
pub fn mean_isi_difference(reference: &SpikeTrain, other: &SpikeTrain) -> Option<f64> {
    Some(other.mean_isi()? - reference.mean_isi()?)
}

/// Normalised spike-time offset (dimensionless): the mean absolute difference of paired
/// spike times, the i-th spike of one train with the i-th of the other, divided by the
/// mean ISI of the reference:
///
/// offset = (1/n) Σᵢ |t_i − s_i| / ISI̅_ref, ISI̅_ref = (t_n − t_1)/(n − 1).
///
/// As in the paper (Fig. 3d), defined only when both trains have the same number n ≥ 2
/// of spikes (the pairing is otherwise meaningless and the reference needs an interval);
/// `None` otherwise. A value of 0.1 means the spikes are off by a tenth of an interval.
/// Also `None` in the degenerate case of a reference whose spikes all coincide (ISI̅ = 0).
pub fn normalised_spike_time_offset(reference: &SpikeTrain, other: &SpikeTrain) -> Option<f64> {
    if reference.len() != other.len() {
        return None;
    }
    let isi = reference.mean_isi().filter(|&isi| isi > 0.0)?;
    let n = reference.len() as f64;
    let total: f64 = reference
        .times()
        .iter()
        .zip(other.times())
        .map(|(t, s)| (t - s).abs())
        .sum();
    Some(total / n / isi)
}

/// Number of coincidences: the size of a largest one-to-one pairing of reference and
/// other spikes with |t − s| ≤ `window_ms`.
///
/// One-to-one, so a spike is never counted twice and coincidences ≤ min(n_ref, n_other).
/// Computed by a greedy two-pointer sweep (pair the earliest compatible spikes), which is
/// optimal because each reference spike's compatible partners form a contiguous,
/// monotonically moving block of the sorted other train. O(n + m).
pub fn coincidences(reference: &SpikeTrain, other: &SpikeTrain, window_ms: f64) -> usize {
    let (a, b) = (reference.times(), other.times());
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if b[j] < a[i] - window_ms {
            j += 1;
        } else if b[j] > a[i] + window_ms {
            i += 1;
        } else {
            count += 1;
            i += 1;
            j += 1;
        }
    }
    count
}

/// Coincidence factor Γ (Kistler, Gerstner & van Hemmen 1997, *Neural Comput.* 9:1015;
/// in the form of Jolivet et al. 2008, *J. Neurosci. Methods* 169:417):
///
/// Γ = (N_coinc − ⟨N_coinc⟩) / (½(N_ref + N_other)) · 1/𝒩,
/// ⟨N_coinc⟩ = 2νΔ·N_ref, 𝒩 = 1 − 2νΔ, ν = N_other / T,
///
/// where N_coinc = [`coincidences`] within ±Δ = `window_ms` (paper: 2 ms) and T =
/// `duration_ms` is the recording length. ⟨N_coinc⟩ is the number of coincidences expected
/// by chance from a Poisson train with the other train's rate, so Γ ≈ 0 for unrelated
/// trains, Γ = 1 for identical ones, Γ ≤ 1 always, and Γ < 0 means worse than chance.
/// Not symmetric (the rate of `other` sets the chance level). Dimensionless.
///
/// Defined values: both trains empty → 1 (nothing to predict and nothing predicted);
/// exactly one empty → 0. When 2νΔ ≥ 1 (the other train fires so densely that a Poisson
/// train of its rate would coincide with everything) the chance correction is undefined
/// and Γ = 0, the chance level. Errors only for Δ or T not finite and > 0.
pub fn coincidence_factor(
    reference: &SpikeTrain,
    other: &SpikeTrain,
    window_ms: f64,
    duration_ms: f64,
) -> Result<f64, MetricError> {
    let window = positive_param("window_ms", window_ms)?;
    let duration = positive_param("duration_ms", duration_ms)?;
    let (n_ref, n_other) = (reference.len() as f64, other.len() as f64);
    if reference.is_empty() && other.is_empty() {
        return Ok(1.0);
    }
    let chance_fraction = 2.0 * (n_other / duration) * window;
    if chance_fraction >= 1.0 {
        return Ok(0.0);
    }
    let n_coinc = coincidences(reference, other, window) as f64;
    let expected = chance_fraction * n_ref;
    Ok((n_coinc - expected) / (0.5 * (n_ref + n_other)) / (1.0 - chance_fraction))
}

/// Σᵢ Σⱼ exp(−|a_i − b_j|/τ), the overlap of two trains filtered by causal exponentials
/// (times (τ/2)). Accumulated in the order (i, j), so `a == b` and `kernel_sum(a, a)`
/// give bit-identical results.
fn kernel_sum(a: &[f64], b: &[f64], tau: f64) -> f64 {
    a.iter()
        .map(|&t| b.iter().map(|&s| (-(t - s).abs() / tau).exp()).sum::<f64>())
        .sum()
}

/// Van Rossum distance (van Rossum 2001, *Neural Comput.* 13:751), dimensionless:
///
/// D² = (1/τ) ∫₀^∞ (f(t) − g(t))² dt, f(t) = Σᵢ exp(−(t − t_i)/τ)·H(t − t_i), g alike,
///
/// with τ = `tau_ms` (paper-comparison default 5 ms). Computed exactly, not on a grid: the
/// integral of a product of two causal exponentials started at a and b is
/// (τ/2)·exp(−|a − b|/τ), so
///
/// D² = ½ [Σᵢⱼ e^{−|t_i − t_j|/τ} + Σᵢⱼ e^{−|s_i − s_j|/τ} − 2 Σᵢⱼ e^{−|t_i − s_j|/τ}].
///
/// With this (original) normalisation one isolated extra spike contributes D² = ½; multiply
/// by √2 for the convention in which it contributes 1. D is a metric (an L² distance):
/// symmetric, ≥ 0, 0 for identical trains (exactly, by construction), triangle inequality.
/// Two empty trains: 0. O(n·m). Errors only for τ not finite and > 0.
pub fn van_rossum_distance(
    a: &SpikeTrain,
    b: &SpikeTrain,
    tau_ms: f64,
) -> Result<f64, MetricError> {
    let tau = positive_param("tau_ms", tau_ms)?;
    let (a, b) = (a.times(), b.times());
    let squared =
        0.5 * (kernel_sum(a, a, tau) + kernel_sum(b, b, tau) - 2.0 * kernel_sum(a, b, tau));
    // Rounding can leave a tiny negative value when the trains nearly coincide.
    Ok(squared.max(0.0).sqrt())
}

/// Victor–Purpura distance (Victor & Purpura 1996, *J. Neurophysiol.* 76:1310),
/// dimensionless: the cheapest way to turn one train into the other by deleting or
/// inserting spikes (cost 1 each) and shifting spikes (cost q·|Δt|, q = `cost_per_ms` in
/// 1/ms). Shifting by more than 2/q ms costs more than deleting and re-inserting, so with
/// q = 1/ms (our default) spikes more than 2 ms apart count as unrelated, the same scale
/// as Γ's ±2 ms window.
///
/// Dynamic programme, O(n·m) time and O(m) memory:
/// G(i, j) = min(G(i−1, j) + 1, G(i, j−1) + 1, G(i−1, j−1) + q|t_i − s_j|),
/// G(i, 0) = i, G(0, j) = j, distance = G(n, m).
///
/// A metric: symmetric (bit-exactly), 0 for identical trains, |n − m| ≤ D ≤ n + m; q = 0
/// gives |n − m|. An empty train is at distance m from a train of m spikes. Errors only
/// for q not finite and ≥ 0.
pub fn victor_purpura_distance(
    a: &SpikeTrain,
    b: &SpikeTrain,
    cost_per_ms: f64,
) -> Result<f64, MetricError> {
    let q = non_negative_param("cost_per_ms", cost_per_ms)?;
    let (a, b) = (a.times(), b.times());
    // row[j] holds G(i, j) for the current i.
    let mut row: Vec<f64> = (0..=b.len()).map(|j| j as f64).collect();
    for (i, &t) in a.iter().enumerate() {
        let mut diagonal = row[0]; // G(i−1, j−1)
        row[0] = (i + 1) as f64;
        for (j, &s) in b.iter().enumerate() {
            let above = row[j + 1]; // G(i−1, j)
            let shifted = diagonal + q * (t - s).abs();
            let best = (above + 1.0).min(row[j] + 1.0).min(shifted);
            diagonal = above;
            row[j + 1] = best;
        }
    }
    Ok(row[b.len()])
}

/// Parameters of the comparison metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricParams {
    /// Coincidence window ±Δ of Γ (ms); default 2.
    pub coincidence_window_ms: f64,
    /// Time constant τ of the van Rossum distance (ms); default 5.
    pub van_rossum_tau_ms: f64,
    /// Shift cost q of the Victor–Purpura distance (1/ms); default 1.
    pub victor_purpura_cost_per_ms: f64,
    /// Length T of the recording (ms), for Γ's chance rate.
    pub duration_ms: f64,
}

impl MetricParams {
    /// The defaults (Δ = 2 ms, τ = 5 ms, q = 1/ms) for a recording of `duration_ms`.
    pub fn with_duration(duration_ms: f64) -> Self {
        MetricParams {
            coincidence_window_ms: 2.0,
            van_rossum_tau_ms: 5.0,
            victor_purpura_cost_per_ms: 1.0,
            duration_ms,
        }
    }
}

/// Every metric of one model train against a reference train.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Spikes in the reference train.
    pub reference_count: usize,
    /// Spikes in the other train.
    pub other_count: usize,
    /// |n_ref − n_other| ([`spike_count_error`]).
    pub count_error: usize,
    /// [`relative_spike_count_error`].
    pub relative_count_error: f64,
    /// [`mean_isi_difference`] (ms), other minus reference.
    pub mean_isi_difference_ms: Option<f64>,
    /// [`normalised_spike_time_offset`].
    pub normalised_offset: Option<f64>,
    /// [`coincidence_factor`] Γ.
    pub gamma: f64,
    /// [`van_rossum_distance`].
    pub van_rossum: f64,
    /// [`victor_purpura_distance`].
    pub victor_purpura: f64,
}

/// Computes every metric of `other` against `reference` with `params`.
pub fn compare(
    reference: &SpikeTrain,
    other: &SpikeTrain,
    params: &MetricParams,
) -> Result<Comparison, MetricError> {
    Ok(Comparison {
        reference_count: reference.len(),
        other_count: other.len(),
        count_error: spike_count_error(reference, other),
        relative_count_error: relative_spike_count_error(reference, other),
        mean_isi_difference_ms: mean_isi_difference(reference, other),
        normalised_offset: normalised_spike_time_offset(reference, other),
        gamma: coincidence_factor(
            reference,
            other,
            params.coincidence_window_ms,
            params.duration_ms,
        )?,
        van_rossum: van_rossum_distance(reference, other, params.van_rossum_tau_ms)?,
        victor_purpura: victor_purpura_distance(
            reference,
            other,
            params.victor_purpura_cost_per_ms,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(times: &[f64]) -> SpikeTrain {
        SpikeTrain::new(times.to_vec()).unwrap()
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn trains_are_sorted_and_validated() {
        assert_eq!(train(&[3.0, 1.0, 2.0]).times(), &[1.0, 2.0, 3.0]);
        let e = SpikeTrain::new(vec![1.0, f64::NAN]).unwrap_err();
        assert!(matches!(
            e,
            MetricError::NonFiniteSpikeTime { index: 1, .. }
        ));
        assert!(e.to_string().contains("#1"));
        assert!(SpikeTrain::new(vec![f64::INFINITY]).is_err());
        let back = SpikeTrain::try_from(Vec::from(train(&[2.0, 1.0]))).unwrap();
        assert_eq!(back.times(), &[1.0, 2.0]);
    }

    #[test]
    fn count_errors_by_hand() {
        let (a, b) = (train(&[1.0, 2.0, 3.0]), train(&[5.0]));
        assert_eq!(spike_count_error(&a, &b), 2);
        // |3 − 1| / 3
        assert!(close(relative_spike_count_error(&a, &b), 2.0 / 3.0, 1e-15));
        // Silent reference: denominator 1, so the value is the other's count.
        assert_eq!(relative_spike_count_error(&SpikeTrain::empty(), &a), 3.0);
        assert_eq!(
            relative_spike_count_error(&SpikeTrain::empty(), &SpikeTrain::empty()),
            0.0
        );
    }

    #[test]
    fn isi_and_offset_by_hand() {
        let hh = train(&[10.0, 20.0, 30.0]);
        let model = train(&[11.0, 19.0, 32.0]);
        // ISI̅_hh = (30 − 10)/2 = 10, ISI̅_model = (32 − 11)/2 = 10.5 → +0.5 ms.
        assert!(close(mean_isi_difference(&hh, &model).unwrap(), 0.5, 1e-12));
        assert!(close(
            mean_isi_difference(&model, &hh).unwrap(),
            -0.5,
            1e-12
        ));
        // Paired offsets 1, 1, 2 → mean 4/3; / 10 → 0.13333….
        let offset = normalised_spike_time_offset(&hh, &model).unwrap();
        assert!(close(offset, 4.0 / 30.0, 1e-15), "{offset}");
        // Undefined: different counts, or a single spike (no interval).
        assert_eq!(normalised_spike_time_offset(&hh, &train(&[1.0, 2.0])), None);
        assert_eq!(
            normalised_spike_time_offset(&train(&[1.0]), &train(&[2.0])),
            None
        );
        assert_eq!(
            normalised_spike_time_offset(&SpikeTrain::empty(), &SpikeTrain::empty()),
            None
        );
        assert_eq!(mean_isi_difference(&hh, &train(&[4.0])), None);
        assert_eq!(mean_isi_difference(&SpikeTrain::empty(), &hh), None);
    }

    #[test]
    fn coincidence_factor_by_hand() {
        let hh = train(&[10.0, 30.0, 50.0, 70.0]);
        let model = train(&[11.0, 33.0, 50.5]);
        // 10↔11 and 50↔50.5 coincide within ±2 ms, 30↔33 does not: N_coinc = 2.
        assert_eq!(coincidences(&hh, &model, 2.0), 2);
        // ν = 3/80 ms⁻¹, 2νΔ = 0.15, ⟨N_coinc⟩ = 0.15·4 = 0.6, 𝒩 = 0.85,
        // Γ = (2 − 0.6)/(½·7)/0.85 = 0.4/0.85 = 0.470588….
        let gamma = coincidence_factor(&hh, &model, 2.0, 80.0).unwrap();
        assert!(close(gamma, 0.4 / 0.85, 1e-12), "{gamma}");
        assert!(close(
            coincidence_factor(&hh, &hh, 2.0, 80.0).unwrap(),
            1.0,
            1e-12
        ));
    }

    #[test]
    fn coincidences_are_one_to_one() {
        // Both reference spikes are within 2 ms of the one model spike; it counts once.
        assert_eq!(coincidences(&train(&[10.0, 11.0]), &train(&[10.5]), 2.0), 1);
        // Greedy pairing must not steal: 9 pairs with 8, 11 with 12 (not 9 with 10.9…).
        assert_eq!(
            coincidences(&train(&[9.0, 11.0]), &train(&[8.0, 12.0]), 1.5),
            2
        );
        // Boundary: exactly Δ apart counts.
        assert_eq!(coincidences(&train(&[10.0]), &train(&[12.0]), 2.0), 1);
    }

    #[test]
    fn coincidence_factor_edge_cases() {
        let e = SpikeTrain::empty();
        let a = train(&[10.0, 40.0]);
        assert_eq!(coincidence_factor(&e, &e, 2.0, 80.0).unwrap(), 1.0);
        assert_eq!(coincidence_factor(&a, &e, 2.0, 80.0).unwrap(), 0.0);
        assert_eq!(coincidence_factor(&e, &a, 2.0, 80.0).unwrap(), 0.0);
        // A model firing every ms: 2νΔ = 4 ≥ 1 → chance level 0 by definition.
        let dense = SpikeTrain::new((0..80).map(f64::from).collect()).unwrap();
        assert_eq!(coincidence_factor(&a, &dense, 2.0, 80.0).unwrap(), 0.0);
        // No coincidences at all, sparse model: below chance.
        let far = train(&[25.0, 60.0]);
        assert!(coincidence_factor(&a, &far, 2.0, 80.0).unwrap() < 0.0);
        assert!(coincidence_factor(&a, &a, 0.0, 80.0).is_err());
        assert!(coincidence_factor(&a, &a, 2.0, f64::NAN).is_err());
    }

    #[test]
    fn van_rossum_by_hand() {
        let tau = 5.0;
        // One spike each, d = 5 ms apart: D² = 1 − e^{−d/τ} = 1 − e^{−1} = 0.63212…, D = 0.79506….
        let d = van_rossum_distance(&train(&[0.0]), &train(&[5.0]), tau).unwrap();
        assert!(close(d, (1.0 - (-1.0f64).exp()).sqrt(), 1e-14), "{d}");
        // One spike vs none: (1/τ)∫ e^{−2t/τ} dt = ½ → D = 0.70711….
        let d = van_rossum_distance(&train(&[3.0]), &SpikeTrain::empty(), tau).unwrap();
        assert!(close(d, 0.5f64.sqrt(), 1e-15));
        // Spikes at 0 and 5 vs none: D² = ½(2 + 2e^{−1}) = 1 + e^{−1} = 1.36788….
        let d = van_rossum_distance(&train(&[0.0, 5.0]), &SpikeTrain::empty(), tau).unwrap();
        assert!(close(d * d, 1.0 + (-1.0f64).exp(), 1e-14));
        let a = train(&[1.0, 7.5, 7.5, 30.0]);
        assert_eq!(van_rossum_distance(&a, &a, tau).unwrap(), 0.0);
        let e = SpikeTrain::empty();
        assert_eq!(van_rossum_distance(&e, &e, tau).unwrap(), 0.0);
        assert!(van_rossum_distance(&a, &a, 0.0).is_err());
    }

    /// The closed form against a left Riemann sum of (1/τ)∫(f − g)² on a 0.1 µs grid.
    #[test]
    fn van_rossum_matches_a_fine_discretised_integral() {
        let tau = 5.0;
        let a = train(&[2.0, 9.3, 11.0, 40.2]);
        let b = train(&[2.7, 12.5, 30.0]);
        let filtered = |times: &[f64], t: f64| -> f64 {
            times
                .iter()
                .filter(|&&s| s <= t)
                .map(|&s| (-(t - s) / tau).exp())
                .sum()
        };
        let h = 1e-4;
        let end = 40.2 + 40.0 * tau; // e^{−80} beyond: negligible
        let steps = (end / h) as usize;
        let integral: f64 = (0..steps)
            .map(|k| {
                let t = k as f64 * h;
                let diff = filtered(a.times(), t) - filtered(b.times(), t);
                diff * diff * h
            })
            .sum::<f64>()
            / tau;
        let exact = van_rossum_distance(&a, &b, tau).unwrap();
        // Each kernel jump puts an O(h/τ) error on the left sum: ≈ 7 jumps · 1e-4/5 · O(1).
        assert!(
            close(exact * exact, integral, 5e-4),
            "closed form {} vs discretised {}",
            exact * exact,
            integral
        );
    }

    #[test]
    fn victor_purpura_by_hand() {
        // Shift 10 → 11 costs q·1 = 1 < 2 (delete + insert).
        let d = victor_purpura_distance(&train(&[10.0]), &train(&[11.0]), 1.0).unwrap();
        assert_eq!(d, 1.0);
        // With q = 3 the shift costs 3, so delete + insert (2) wins.
        let d = victor_purpura_distance(&train(&[10.0]), &train(&[11.0]), 3.0).unwrap();
        assert_eq!(d, 2.0);
        // [0, 10] → [1, 20], q = 0.5: shift 0→1 (0.5) + delete 10 + insert 20 (2) = 2.5,
        // cheaper than shifting both (0.5 + 5) or replacing all four (4).
        let d = victor_purpura_distance(&train(&[0.0, 10.0]), &train(&[1.0, 20.0]), 0.5).unwrap();
        assert!(close(d, 2.5, 1e-15), "{d}");
        let e = SpikeTrain::empty();
        assert_eq!(
            victor_purpura_distance(&e, &train(&[1.0, 2.0, 3.0]), 1.0).unwrap(),
            3.0
        );
        assert_eq!(victor_purpura_distance(&e, &e, 1.0).unwrap(), 0.0);
        // q = 0: only the count matters.
        let d = victor_purpura_distance(&train(&[1.0, 50.0]), &train(&[7.0]), 0.0).unwrap();
        assert_eq!(d, 1.0);
        assert!(victor_purpura_distance(&e, &e, -1.0).is_err());
        assert!(victor_purpura_distance(&e, &e, f64::INFINITY).is_err());
    }

    #[test]
    fn compare_collects_every_metric() {
        let hh = train(&[10.0, 20.0, 30.0]);
        let model = train(&[11.0, 19.0, 32.0]);
        let c = compare(&hh, &model, &MetricParams::with_duration(40.0)).unwrap();
        assert_eq!((c.reference_count, c.other_count, c.count_error), (3, 3, 0));
        assert!(close(c.normalised_offset.unwrap(), 4.0 / 30.0, 1e-15));
        // 1 + 1 + 2 ms of shifts at q = 1/ms: VP = 4 (each shift ≤ 2, so no deletion pays).
        assert_eq!(c.victor_purpura, 4.0);
        // All three coincide within ±2 ms: ν = 3/40, 2νΔ = 0.3, Γ = (3 − 0.9)/3/0.7 = 1.
        assert!(close(c.gamma, 1.0, 1e-12));
        let empty = compare(
            &SpikeTrain::empty(),
            &SpikeTrain::empty(),
            &MetricParams::with_duration(40.0),
        );
        let empty = empty.unwrap();
        assert_eq!(
            (empty.gamma, empty.van_rossum, empty.victor_purpura),
            (1.0, 0.0, 0.0)
        );
    }
}
