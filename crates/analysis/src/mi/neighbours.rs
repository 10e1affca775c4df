//! Point sets for the nearest-neighbour estimators: validated row-major buffers, the max-norm
//! distance, and the seeded jitter that breaks ties in count data.

use crate::error::{check_finite, AnalysisError};
use crate::Result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// N points of dimension `dim`, row-major, validated (whole rows, finite values).
#[derive(Debug, Clone)]
pub(crate) struct Points {
    pub data: Vec<f64>,
    pub dim: usize,
    pub n: usize,
}

impl Points {
    /// Validates `data` as rows of `dim` values and applies `jitter` if given.
    pub fn new(
        what: &'static str,
        field: &'static str,
        data: &[f64],
        dim: usize,
        jitter: Option<&TieJitter>,
        stream: u64,
    ) -> Result<Self> {
        if dim == 0 {
            return Err(AnalysisError::InvalidParameter {
                what,
                field,
                problem: "has dimension 0; pass the number of values per sample (≥ 1)".into(),
            });
        }
        if !data.len().is_multiple_of(dim) {
            return Err(AnalysisError::RaggedRows {
                what,
                field,
                len: data.len(),
                dim,
            });
        }
        check_finite(what, field, data)?;
        let mut points = Points {
            data: data.to_vec(),
            dim,
            n: data.len() / dim,
        };
        if let Some(jitter) = jitter {
            jitter.apply(what, &mut points, stream)?;
        }
        Ok(points)
    }

    /// Row i.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Max-norm distance ‖pᵢ − pⱼ‖_∞ = maxₖ |pᵢₖ − pⱼₖ|.
    pub fn distance(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (self.row(i), self.row(j));
        // Four independent running maxima let the compiler vectorise the loop (a single
        // `fold(max)` is a serial dependency chain); the values are finite, so the order of
        // the max operations does not change the result.
        let mut acc = [0.0f64; 4];
        let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
        let (ra, rb) = (a4.remainder(), b4.remainder());
        for (ca, cb) in a4.zip(b4) {
            for k in 0..4 {
                let d = (ca[k] - cb[k]).abs();
                acc[k] = if d > acc[k] { d } else { acc[k] };
            }
        }
        let tail = ra
            .iter()
            .zip(rb)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
        acc.iter().fold(tail, |m, &v| m.max(v))
    }

    /// Writes ‖pᵢ − pⱼ‖_∞ for every j into `out` (out[i] = 0).
    pub fn distances_from(&self, i: usize, out: &mut [f64]) {
        for (j, slot) in out.iter_mut().enumerate() {
            *slot = self.distance(i, j);
        }
    }
}

/// Seeded jitter that breaks ties before a nearest-neighbour estimate.
///
/// Nearest-neighbour estimators assume a continuous distribution: with spike counts many
/// samples coincide or sit at equal max-norm distances, the k-th neighbour is ill-defined, and
/// the strict/non-strict counts of KSG and Ross change the estimate. Each coordinate d gets
/// independent uniform noise xᵢd += a·s_d·u, u ~ U(−1, 1), with s_d = max(1, mean |x·d|) and
/// a = `relative_amplitude` (default 1e-10, the value scikit-learn's estimators use). Any max-norm
/// distance moves by at most 2a·max s_d, so distances that differ by more than that (for counts:
/// by ≥ 1; for rates over T steps: by ≥ 1/T) keep their order, and only exact ties are broken, at
/// random but reproducibly (ChaCha8 from `seed`). Coinciding points stay at distance ~1e-10, so
/// their neighbourhoods are "the other copies of this exact vector" — the limit of vanishing
/// noise, not an artefact of the noise scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TieJitter {
    /// Noise amplitude relative to each coordinate's scale s_d.
    pub relative_amplitude: f64,
    /// Seed of the ChaCha8 stream.
    pub seed: u64,
}

impl TieJitter {
    /// Jitter of relative amplitude 1e-10 from `seed`.
    pub fn new(seed: u64) -> Self {
        TieJitter {
            relative_amplitude: 1e-10,
            seed,
        }
    }

    fn apply(&self, what: &'static str, points: &mut Points, stream: u64) -> Result<()> {
        let a = self.relative_amplitude;
        if !(0.0..1e-3).contains(&a) {
            return Err(AnalysisError::InvalidParameter {
                what,
                field: "jitter.relative_amplitude",
                problem: format!(
                    "is {a}; use a small non-negative number such as 1e-10 (jitter only breaks ties)"
                ),
            });
        }
        let (n, dim) = (points.n, points.dim);
        let mut scale = vec![0.0f64; dim];
        for i in 0..n {
            for (s, v) in scale.iter_mut().zip(points.row(i)) {
                *s += v.abs();
            }
        }
        for s in &mut scale {
            *s = (*s / n.max(1) as f64).max(1.0);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        // X and Y of one estimate get different streams of the same seed.
        rng.set_stream(stream);
        for (idx, v) in points.data.iter_mut().enumerate() {
            let u: f64 = rng.random_range(-1.0..1.0);
            *v += a * scale[idx % dim] * u;
        }
        Ok(())
    }
}

/// The k-th smallest of `values` (k ≥ 1) and whether it is tied with the (k+1)-th or is zero.
/// Reorders `values`.
pub(crate) fn kth_smallest(values: &mut [f64], k: usize) -> (f64, bool) {
    let (_, kth, rest) = values.select_nth_unstable_by(k - 1, f64::total_cmp);
    let kth = *kth;
    let next = rest.iter().copied().fold(f64::INFINITY, f64::min);
    (kth, kth == 0.0 || next == kth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn max_norm_and_kth() {
        let p = Points::new("t", "x", &[0.0, 0.0, 3.0, -1.0, 1.0, 2.5], 2, None, 0).unwrap();
        assert_eq!(p.n, 3);
        assert_eq!(p.distance(0, 1), 3.0);
        assert_eq!(p.distance(1, 2), 3.5);
        let mut d = vec![5.0, 1.0, 3.0, 3.0, 2.0];
        assert_eq!(kth_smallest(&mut d, 2), (2.0, false));
        let mut d = vec![5.0, 1.0, 3.0, 3.0, 2.0];
        assert_eq!(kth_smallest(&mut d, 3), (3.0, true));
    }

    proptest::proptest! {
        #[test]
        fn unrolled_distance_is_the_max_norm(
            rows in (1usize..12).prop_flat_map(|d| proptest::collection::vec(-50.0f64..50.0, 2 * d..=2 * d))
        ) {
            let dim = rows.len() / 2;
            let p = Points::new("t", "x", &rows, dim, None, 0).unwrap();
            let naive = (0..dim).map(|k| (rows[k] - rows[dim + k]).abs()).fold(0.0, f64::max);
            proptest::prop_assert_eq!(p.distance(0, 1), naive);
        }
    }

    #[test]
    fn jitter_breaks_ties_without_reordering() {
        let counts = [3.0, 3.0, 4.0, 3.0, 7.0, 7.0];
        let p = Points::new("t", "x", &counts, 1, Some(&TieJitter::new(5)), 0).unwrap();
        let q = Points::new("t", "x", &counts, 1, Some(&TieJitter::new(5)), 0).unwrap();
        assert_eq!(p.data, q.data, "seeded");
        for (a, b) in p.data.iter().zip(&counts) {
            assert!(a != b && (a - b).abs() < 1e-9);
        }
        assert!(p.distance(0, 1) > 0.0 && p.distance(0, 1) < 1e-8);
        assert!(p.distance(0, 2) > p.distance(0, 1) && (p.distance(0, 2) - 1.0).abs() < 1e-8);
    }

    #[test]
    fn bad_points() {
        assert!(matches!(
            Points::new("t", "x", &[1.0, 2.0, 3.0], 2, None, 0),
            Err(AnalysisError::RaggedRows { .. })
        ));
        assert!(Points::new("t", "x", &[1.0], 0, None, 0).is_err());
        assert!(Points::new("t", "x", &[f64::NAN], 1, None, 0).is_err());
        let loud = TieJitter {
            relative_amplitude: 0.5,
            seed: 0,
        };
        assert!(Points::new("t", "x", &[1.0], 1, Some(&loud), 0).is_err());
    }
}
