//! Latent semantic analysis: a randomized truncated SVD (Halko, Martinsson & Tropp 2011) of the TF-IDF
//! matrix, and the projection of any TF-IDF row onto the top singular directions.
//!
//! With `X` the documents × terms matrix (sparse), `l = dims + oversample` and a Gaussian `Ω` (terms × l):
//! `Y = X Ω`, then `power_iterations` times `Y = X (Xᵀ Y)` with a QR re-orthonormalisation between products
//! (Cholesky QR with linfa-linalg's Cholesky and triangular solve, Householder QR as the fallback); `Q = qr(Y)`; `Bᵀ = Xᵀ Q` (terms × l); the eigen-decomposition of the small
//! `B Bᵀ = U Λ Uᵀ` gives the singular values `√λ` and the right singular vectors `Bᵀ U Λ^-½`. A document's
//! vector is its TF-IDF row times those vectors (`x V = u Σ`), scaled to unit length for cosine similarity.

use linfa_linalg::cholesky::Cholesky;
use linfa_linalg::eigh::Eigh;
use linfa_linalg::qr::QRInto;
use linfa_linalg::triangular::{SolveTriangular, UPLO};
use ndarray::{Array2, ShapeBuilder};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ModelError;

/// Parameters of the truncated SVD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LsaParams {
    /// Number of latent dimensions kept.
    pub dims: usize,
    /// Extra random directions sampled beyond `dims` (improves accuracy of the last dimensions).
    pub oversample: usize,
    /// Power iterations (sharpen the spectrum; 2–4 is plenty for text).
    pub power_iterations: usize,
    /// At most this many documents are used for fitting (sampled deterministically); all are projected.
    pub max_fit_docs: usize,
    pub seed: u64,
}

impl Default for LsaParams {
    fn default() -> Self {
        LsaParams {
            dims: 150,
            oversample: 20,
            power_iterations: 3,
            max_fit_docs: 60_000,
            seed: 17,
        }
    }
}

/// A fitted LSA model: `terms × dims` right singular vectors and the singular values.
#[derive(Debug, Clone, PartialEq)]
pub struct Lsa {
    /// Row-major `n_terms × dims`.
    components: Vec<f32>,
    singular_values: Vec<f32>,
    n_terms: usize,
    dims: usize,
}

/// Compressed sparse rows over `n_cols` columns.
struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
    n_cols: usize,
}

impl Csr {
    fn from_rows(rows: &[&[(u32, f32)]], n_cols: usize) -> Csr {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let nnz: usize = rows.iter().map(|r| r.len()).sum();
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        indptr.push(0);
        for row in rows {
            for &(c, v) in row.iter() {
                if (c as usize) < n_cols {
                    indices.push(c);
                    data.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Csr {
            indptr,
            indices,
            data,
            n_cols,
        }
    }

    fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..self.n_cols {
            counts[i + 1] += counts[i];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.indices.len()];
        let mut data = vec![0f32; self.data.len()];
        for r in 0..self.n_rows() {
            for k in self.indptr[r]..self.indptr[r + 1] {
                let c = self.indices[k] as usize;
                indices[next[c]] = r as u32;
                data[next[c]] = self.data[k];
                next[c] += 1;
            }
        }
        Csr {
            indptr,
            indices,
            data,
            n_cols: self.n_rows(),
        }
    }

    /// `self × m` where `m` is row-major `n_cols × l`; the result is row-major `n_rows × l`.
    fn mul_dense(&self, m: &[f32], l: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.n_rows() * l];
        out.par_chunks_mut(l).enumerate().for_each(|(r, row)| {
            for k in self.indptr[r]..self.indptr[r + 1] {
                let c = self.indices[k] as usize;
                let v = self.data[k];
                let src = &m[c * l..(c + 1) * l];
                for (o, s) in row.iter_mut().zip(src) {
                    *o += v * s;
                }
            }
        });
        out
    }
}

/// Orthonormal basis of the columns of row-major `rows × cols` `y`: Cholesky QR applied twice (CholeskyQR2,
/// Fukaya et al. 2014), which is as accurate as Householder QR for a well-conditioned tall matrix and runs on
/// matrix products; Householder QR (linfa-linalg) takes over when the Gram matrix is not positive definite.
fn orthonormalise(y: Vec<f32>, rows: usize, cols: usize) -> Result<Vec<f32>, ModelError> {
    let mut a = Array2::from_shape_vec((rows, cols), y)
        .map_err(|e| ModelError::Fit(format!("shape: {e}")))?;
    for _ in 0..2 {
        let gram = a.t().dot(&a).mapv(f64::from);
        let trace: f64 = gram.diag().sum();
        let mut ridge = gram.clone();
        ridge
            .diag_mut()
            .mapv_inplace(|d| d + 1e-10 * trace / cols as f64);
        let Ok(lower) = ridge.cholesky() else {
            return householder(a);
        };
        let Ok(inverse) = lower.solve_triangular(&Array2::<f64>::eye(cols), UPLO::Lower) else {
            return householder(a);
        };
        let inverse_t = inverse.t().mapv(|x| x as f32);
        if inverse_t.iter().any(|x| !x.is_finite()) {
            return householder(a);
        }
        a = a.dot(&inverse_t);
    }
    Ok(a.into_raw_vec_and_offset().0)
}

/// Householder thin QR (linfa-linalg) of a row-major matrix; returns Q row-major.
fn householder(a: Array2<f32>) -> Result<Vec<f32>, ModelError> {
    let (rows, cols) = a.dim();
    let mut f = Array2::<f64>::zeros((rows, cols).f());
    f.zip_mut_with(&a, |x, y| *x = f64::from(*y));
    let q = f
        .qr_into()
        .map_err(|e| ModelError::Fit(format!("qr: {e}")))?
        .generate_q();
    let mut out = vec![0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[r * cols + c] = q[(r, c)] as f32;
        }
    }
    Ok(out)
}

fn gaussian(rng: &mut impl Rng) -> f32 {
    // Box-Muller.
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.r#gen::<f64>();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

impl Lsa {
    /// Fits on unit TF-IDF rows over `n_terms` columns.
    pub fn fit(
        rows: &[&[(u32, f32)]],
        n_terms: usize,
        params: &LsaParams,
    ) -> Result<Lsa, ModelError> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
        // Deterministic sample of the fitting documents.
        let mut picked: Vec<&[(u32, f32)]> =
            rows.iter().copied().filter(|r| !r.is_empty()).collect();
        if picked.len() > params.max_fit_docs {
            for i in 0..params.max_fit_docs {
                let j = rng.gen_range(i..picked.len());
                picked.swap(i, j);
            }
            picked.truncate(params.max_fit_docs);
        }
        let n_docs = picked.len();
        let dims = params
            .dims
            .min(n_docs.saturating_sub(1))
            .min(n_terms.saturating_sub(1));
        if dims == 0 {
            return Err(ModelError::Fit(format!(
                "too little text to fit lsa ({n_docs} documents, {n_terms} terms)"
            )));
        }
        let l = (dims + params.oversample).min(n_docs).min(n_terms);
        let x = Csr::from_rows(&picked, n_terms);
        let xt = x.transpose();
        let omega: Vec<f32> = (0..n_terms * l).map(|_| gaussian(&mut rng)).collect();
        let mut y = orthonormalise(x.mul_dense(&omega, l), n_docs, l)?;
        drop(omega);
        for _ in 0..params.power_iterations {
            let z = orthonormalise(xt.mul_dense(&y, l), n_terms, l)?;
            y = orthonormalise(x.mul_dense(&z, l), n_docs, l)?;
        }
        // Bᵀ = Xᵀ Q: terms × l.
        let bt = xt.mul_dense(&y, l);
        let mut c = Array2::<f64>::zeros((l, l));
        // C = B Bᵀ = (Bᵀ)ᵀ Bᵀ, accumulated row by row of Bᵀ.
        let partial = bt
            .par_chunks(l * 4096)
            .map(|block| {
                let mut acc = vec![0f64; l * l];
                for row in block.chunks(l) {
                    for i in 0..l {
                        let ri = f64::from(row[i]);
                        if ri == 0.0 {
                            continue;
                        }
                        let acc_row = &mut acc[i * l..(i + 1) * l];
                        for (a, rj) in acc_row.iter_mut().zip(row) {
                            *a += ri * f64::from(*rj);
                        }
                    }
                }
                acc
            })
            .reduce(
                || vec![0f64; l * l],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        for i in 0..l {
            for j in 0..l {
                c[(i, j)] = partial[i * l + j];
            }
        }
        let (values, vectors) = c
            .eigh()
            .map_err(|e| ModelError::Fit(format!("eigh: {e}")))?;
        let mut order: Vec<usize> = (0..l).collect();
        order.sort_by(|&a, &b| {
            values[b]
                .partial_cmp(&values[a])
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        order.truncate(dims);
        let singular_values: Vec<f32> = order
            .iter()
            .map(|&i| values[i].max(0.0).sqrt() as f32)
            .collect();
        // V = Bᵀ U Σ^-1 for the kept dimensions.
        let mut u = vec![0f32; l * dims];
        for (k, &i) in order.iter().enumerate() {
            let s = f64::from(singular_values[k]);
            let inv = if s > 1e-9 { 1.0 / s } else { 0.0 };
            for j in 0..l {
                u[j * dims + k] = (vectors[(j, i)] * inv) as f32;
            }
        }
        let bt_csr_free = bt;
        let mut components = vec![0f32; n_terms * dims];
        components
            .par_chunks_mut(dims)
            .enumerate()
            .for_each(|(t, out)| {
                let row = &bt_csr_free[t * l..(t + 1) * l];
                for (j, &b) in row.iter().enumerate() {
                    if b == 0.0 {
                        continue;
                    }
                    let urow = &u[j * dims..(j + 1) * dims];
                    for (o, uv) in out.iter_mut().zip(urow) {
                        *o += b * uv;
                    }
                }
            });
        Ok(Lsa {
            components,
            singular_values,
            n_terms,
            dims,
        })
    }

    /// Rebuilds a model from saved parts.
    pub fn from_parts(
        components: Vec<f32>,
        singular_values: Vec<f32>,
        n_terms: usize,
    ) -> Result<Lsa, ModelError> {
        let dims = singular_values.len();
        if components.len() != n_terms * dims {
            return Err(ModelError::Format(format!(
                "lsa components hold {} values, expected {n_terms} × {dims}",
                components.len()
            )));
        }
        Ok(Lsa {
            components,
            singular_values,
            n_terms,
            dims,
        })
    }

    /// Number of latent dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of terms (rows of the components).
    pub fn n_terms(&self) -> usize {
        self.n_terms
    }

    /// The singular values, largest first.
    pub fn singular_values(&self) -> &[f32] {
        &self.singular_values
    }

    /// Row-major `n_terms × dims` components.
    pub fn components(&self) -> &[f32] {
        &self.components
    }

    /// The latent coordinates of one term.
    pub fn term_vector(&self, column: u32) -> Option<&[f32]> {
        let c = column as usize;
        (c < self.n_terms).then(|| &self.components[c * self.dims..(c + 1) * self.dims])
    }

    /// Unit-length latent vector of a TF-IDF row (all zeros when no term of the row is known).
    pub fn project(&self, row: &[(u32, f32)]) -> Vec<f32> {
        let mut out = vec![0f32; self.dims];
        for &(c, w) in row {
            if let Some(v) = self.term_vector(c) {
                for (o, x) in out.iter_mut().zip(v) {
                    *o += w * x;
                }
            }
        }
        normalise(&mut out);
        out
    }
}

/// Scales a vector to unit length (leaves a zero vector alone).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fits `rows` over six columns, keeping `dims` dimensions with as many extra directions and power
    /// iterations.
    fn fit_six_columns(rows: &[Vec<(u32, f32)>], dims: usize, seed: u64) -> Lsa {
        let refs: Vec<&[(u32, f32)]> = rows.iter().map(|r| r.as_slice()).collect();
        let params = LsaParams {
            dims,
            oversample: dims,
            power_iterations: dims,
            max_fit_docs: 1000,
            seed,
        };
        Lsa::fit(&refs, 6, &params).expect("fit")
    }

    /// Two topics over six terms: documents of one topic must end up close, of different topics far.
    #[test]
    fn recovers_two_topics() {
        let mut rows: Vec<Vec<(u32, f32)>> = Vec::new();
        for i in 0..40u32 {
            let base = if i % 2 == 0 { 0 } else { 3 };
            let mut row = vec![(base, 1.0), (base + 1, 0.5 + (i % 3) as f32 * 0.2)];
            if i % 4 < 2 {
                row.push((base + 2, 0.7));
            }
            rows.push(row);
        }
        let lsa = fit_six_columns(&rows, 2, 1);
        assert_eq!(lsa.dims(), 2);
        let a = lsa.project(&[(0, 1.0)]);
        let b = lsa.project(&[(2, 1.0)]);
        let c = lsa.project(&[(4, 1.0)]);
        let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        assert!(dot(&a, &b) > 0.9, "same topic: {}", dot(&a, &b));
        assert!(dot(&a, &c).abs() < 0.1, "other topic: {}", dot(&a, &c));
        assert!(lsa.singular_values()[0] >= lsa.singular_values()[1]);
    }

    #[test]
    fn matches_exact_svd_on_a_small_matrix() {
        // A rank-3 matrix: the top three singular values are recovered to high accuracy.
        let rows: Vec<Vec<(u32, f32)>> = (0..30u32)
            .map(|i| {
                let a = (i % 5) as f32 + 1.0;
                let b = (i % 7) as f32;
                let c = (i % 3) as f32;
                vec![(0, a), (1, a + b), (2, b), (3, c), (4, a - c), (5, 2.0 * b)]
            })
            .collect();
        let lsa = fit_six_columns(&rows, 3, 3);
        // Reconstruction: ‖X‖_F² equals the sum of squared singular values for a rank-3 matrix.
        let frob: f32 = rows.iter().flat_map(|r| r.iter().map(|(_, v)| v * v)).sum();
        let kept: f32 = lsa.singular_values().iter().map(|s| s * s).sum();
        assert!((frob - kept).abs() / frob < 1e-3, "{frob} vs {kept}");
    }
}
