//! Small dense linear algebra for the CMA-ES: symmetric eigendecomposition by cyclic
//! Jacobi rotations. Meant for n ≤ ~30, where it is simple, deterministic and accurate
//! to rounding (Jacobi computes small eigenvalues to high relative accuracy).
//!
//! Matrices are `Vec<f64>` in row-major order, element (i, j) at `i * n + j`.

/// Eigenvalues and eigenvectors of a symmetric matrix: A = V·diag(values)·Vᵀ.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    /// Matrix size n.
    pub n: usize,
    /// Eigenvalues, in no particular order (the k-th pairs with column k of `vectors`).
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as the columns of an n×n row-major matrix.
    pub vectors: Vec<f64>,
}

/// Most sweeps before giving up; cyclic Jacobi converges quadratically, typically in 6–10.
const MAX_SWEEPS: usize = 60;

/// Eigendecomposition of the symmetric n×n row-major matrix `a` (only its upper triangle
/// is read; the lower one is assumed equal) by cyclic Jacobi rotations.
///
/// Each rotation J(p, q, φ) zeroes a_pq: with θ = (a_qq − a_pp)/(2a_pq) the rotation
/// tangent t = tan φ is the smaller root of t² + 2θt − 1 = 0, t = sgn θ/(|θ| + √(θ² + 1)),
/// c = 1/√(1 + t²), s = t·c, and A ← JᵀAJ, V ← VJ. Sweeps stop when the off-diagonal
/// mass is below 1e-30 of the total (or is zero).
///
/// # Panics
/// If `a.len() != n * n` (a programming error, not a data error).
pub fn symmetric_eigen(a: &[f64], n: usize) -> SymmetricEigen {
    assert_eq!(a.len(), n * n, "symmetric_eigen: matrix must be n×n");
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            m[i * n + j] = a[i * n + j];
            m[j * n + i] = a[i * n + j];
        }
    }
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = m.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off == 0.0 || off <= 1e-30 * total {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    // θ² would overflow; t ≈ 1/(2θ).
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                rotate(&mut m, &mut v, n, p, q, c, s);
            }
        }
    }
    SymmetricEigen {
        n,
        values: (0..n).map(|i| m[i * n + i]).collect(),
        vectors: v,
    }
}

/// A ← JᵀAJ and V ← VJ for the rotation with J_pp = J_qq = c, J_pq = s, J_qp = −s.
fn rotate(m: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize, c: f64, s: f64) {
    for k in 0..n {
        let (kp, kq) = (m[k * n + p], m[k * n + q]);
        m[k * n + p] = c * kp - s * kq;
        m[k * n + q] = s * kp + c * kq;
    }
    for k in 0..n {
        let (pk, qk) = (m[p * n + k], m[q * n + k]);
        m[p * n + k] = c * pk - s * qk;
        m[q * n + k] = s * pk + c * qk;
    }
    // The rotation was built to zero this pair; remove the rounding residue.
    m[p * n + q] = 0.0;
    m[q * n + p] = 0.0;
    for k in 0..n {
        let (kp, kq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * kp - s * kq;
        v[k * n + q] = s * kp + c * kq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn reconstruct(e: &SymmetricEigen) -> Vec<f64> {
        let n = e.n;
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = (0..n)
                    .map(|k| e.vectors[i * n + k] * e.values[k] * e.vectors[j * n + k])
                    .sum();
            }
        }
        out
    }

    #[test]
    fn two_by_two_by_hand() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3 with vectors (1, −1)/√2 and (1, 1)/√2.
        let e = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        let mut values = e.values.clone();
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 1.0).abs() < 1e-15 && (values[1] - 3.0).abs() < 1e-15);
        let k3 = if e.values[0] > e.values[1] { 0 } else { 1 };
        let ratio = e.vectors[k3] / e.vectors[2 + k3];
        assert!((ratio - 1.0).abs() < 1e-14);
    }

    #[test]
    fn random_symmetric_matrices_are_diagonalised() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for n in [1, 3, 7, 15, 30] {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in i..n {
                    let x: f64 = rng.random_range(-1.0..1.0);
                    a[i * n + j] = x;
                    a[j * n + i] = x;
                }
            }
            let e = symmetric_eigen(&a, n);
            let back = reconstruct(&e);
            let err = a
                .iter()
                .zip(&back)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-12, "n = {n}: reconstruction error {err}");
            for i in 0..n {
                for j in 0..n {
                    let dot: f64 = (0..n)
                        .map(|k| e.vectors[k * n + i] * e.vectors[k * n + j])
                        .sum();
                    let expected = if i == j { 1.0 } else { 0.0 };
                    assert!(
                        (dot - expected).abs() < 1e-12,
                        "n = {n}: VᵀV[{i}][{j}] = {dot}"
                    );
                }
            }
        }
    }

    #[test]
    fn ill_conditioned_diagonal_keeps_small_eigenvalues() {
        let e = symmetric_eigen(&[1e12, 0.0, 0.0, 1e-12], 2);
        assert_eq!(e.values, vec![1e12, 1e-12]);
    }
}
