//! Clustering of latent vectors with linfa's KMeans, the silhouette score, and the default number of clusters.
//!
//! Vectors are unit length (cosine geometry), so Euclidean KMeans on them is spherical KMeans up to the
//! centroid norm. Choices, stated:
//! - initialisation k-means++ (seeded here in O(n·k·d), then handed to linfa as precomputed centroids) and
//!   `n_runs` restarts keeping the lowest inertia: 10 runs up to 5,000 points,
//!   3 above; at most 60 iterations, stopping when the centroids move less than 1e-3 in all;
//! - at most 10,000 points (a deterministic sample) are used for fitting; every point is then assigned to its
//!   nearest centroid;
//! - the default k is the one of a small grid (`8, 12, 16, 24, 32, 48, 64`, limited to n/10) with the best
//!   silhouette on a sample of at most 1,500 points (3 runs per k).

use linfa::DatasetBase;
use linfa::prelude::*;
use linfa_clustering::{KMeans, KMeansInit};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::{Xoshiro256Plus, Xoshiro256PlusPlus};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ModelError;

/// KMeans parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusterParams {
    /// Number of clusters; `None` chooses by silhouette (see the module documentation).
    pub k: Option<usize>,
    /// Leading latent dimensions used for clustering (`None`: all).
    pub dims: Option<usize>,
    pub max_fit_points: usize,
    pub seed: u64,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            k: None,
            dims: None,
            max_fit_points: 20_000,
            seed: 42,
        }
    }
}

/// Fitted centroids (unit length, in the first `dims` latent dimensions).
#[derive(Debug, Clone, PartialEq)]
pub struct Centroids {
    /// Row-major `k × dims`.
    values: Vec<f32>,
    k: usize,
    dims: usize,
}

fn truncate_unit(v: &[f32], dims: usize) -> Vec<f32> {
    let mut out: Vec<f32> = v.iter().take(dims).copied().collect();
    out.resize(dims, 0.0);
    super::lsa::normalise(&mut out);
    out
}

fn n_runs_for(n: usize) -> usize {
    if n <= 5_000 { 10 } else { 3 }
}

fn sample<'a>(points: &[&'a [f32]], max: usize, rng: &mut impl Rng) -> Vec<&'a [f32]> {
    let mut picked: Vec<&[f32]> = points.to_vec();
    if picked.len() > max {
        for i in 0..max {
            let j = rng.gen_range(i..picked.len());
            picked.swap(i, j);
        }
        picked.truncate(max);
    }
    picked
}

impl Centroids {
    /// Fits `k` clusters (or the default k) on `points` (unit vectors of equal length).
    pub fn fit(points: &[&[f32]], params: &ClusterParams) -> Result<Centroids, ModelError> {
        let full_dims = points.first().map_or(0, |p| p.len());
        let dims = params.dims.unwrap_or(full_dims).min(full_dims).max(1);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
        let reduced: Vec<Vec<f32>> = points.iter().map(|p| truncate_unit(p, dims)).collect();
        let refs: Vec<&[f32]> = reduced.iter().map(|v| v.as_slice()).collect();
        let live: Vec<&[f32]> = refs
            .iter()
            .copied()
            .filter(|v| v.iter().any(|x| *x != 0.0))
            .collect();
        let k = match params.k {
            Some(k) => k,
            None => default_k(&live, dims, params.seed)?,
        };
        if k == 0 || live.len() < k {
            return Err(ModelError::Fit(format!(
                "cannot make {k} clusters of {} points",
                live.len()
            )));
        }
        let fit_points = sample(&live, params.max_fit_points, &mut rng);
        Self::kmeans(
            &fit_points,
            k,
            dims,
            params.seed,
            n_runs_for(fit_points.len()),
        )
    }

    fn kmeans(
        points: &[&[f32]],
        k: usize,
        dims: usize,
        seed: u64,
        n_runs: usize,
    ) -> Result<Centroids, ModelError> {
        let mut records = Array2::<f32>::zeros((points.len(), dims));
        for (i, p) in points.iter().enumerate() {
            for (j, x) in p.iter().enumerate() {
                records[(i, j)] = *x;
            }
        }
        let dataset = DatasetBase::from(records);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut best: Option<(f32, Array2<f32>)> = None;
        for _ in 0..n_runs.max(1) {
            let init = kmeans_plus_plus(points, k, dims, &mut rng);
            let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(rng.r#gen()))
                .n_runs(1)
                .max_n_iterations(60)
                .tolerance(1e-3)
                .init_method(KMeansInit::Precomputed(init))
                .fit(&dataset)
                .map_err(|e| ModelError::Fit(format!("kmeans: {e}")))?;
            let inertia = model.inertia();
            if best.as_ref().is_none_or(|(b, _)| inertia < *b) {
                best = Some((inertia, model.centroids().clone()));
            }
        }
        let Some((_, centroids)) = best else {
            return Err(ModelError::Fit("kmeans produced no model".into()));
        };
        let mut values = Vec::with_capacity(k * dims);
        for row in centroids.rows() {
            let mut c: Vec<f32> = row.iter().copied().collect();
            super::lsa::normalise(&mut c);
            values.extend(c);
        }
        Ok(Centroids { values, k, dims })
    }

    /// Rebuilds centroids from saved values.
    pub fn from_parts(values: Vec<f32>, k: usize, dims: usize) -> Result<Centroids, ModelError> {
        if values.len() != k * dims {
            return Err(ModelError::Format(format!(
                "centroids hold {} values, expected {k} × {dims}",
                values.len()
            )));
        }
        Ok(Centroids { values, k, dims })
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Row-major `k × dims` values.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// One centroid.
    pub fn centroid(&self, cluster: usize) -> &[f32] {
        &self.values[cluster * self.dims..(cluster + 1) * self.dims]
    }

    /// Cosine of a latent vector (full dimensions) with every centroid.
    pub fn similarities(&self, v: &[f32]) -> Vec<f32> {
        let r = truncate_unit(v, self.dims);
        (0..self.k).map(|c| dot(self.centroid(c), &r)).collect()
    }

    /// Nearest cluster of a latent vector and its cosine.
    pub fn assign(&self, v: &[f32]) -> (usize, f32) {
        let sims = self.similarities(v);
        sims.iter().enumerate().fold(
            (0, f32::MIN),
            |best, (c, &s)| if s > best.1 { (c, s) } else { best },
        )
    }
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007): each next centre drawn with probability proportional to
/// the squared distance to the nearest centre chosen so far; O(n·k·d).
fn kmeans_plus_plus(points: &[&[f32]], k: usize, dims: usize, rng: &mut impl Rng) -> Array2<f32> {
    let n = points.len();
    let mut centres = Array2::<f32>::zeros((k, dims));
    let sq = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>();
    let first = rng.gen_range(0..n);
    centres
        .row_mut(0)
        .iter_mut()
        .zip(points[first].iter())
        .for_each(|(c, x)| *c = *x);
    let mut nearest: Vec<f32> = points.iter().map(|p| sq(p, points[first])).collect();
    for c in 1..k {
        let total: f64 = nearest.iter().map(|d| f64::from(*d)).sum();
        let pick = if total > 0.0 {
            let mut target = rng.r#gen::<f64>() * total;
            let mut chosen = n - 1;
            for (i, d) in nearest.iter().enumerate() {
                target -= f64::from(*d);
                if target <= 0.0 {
                    chosen = i;
                    break;
                }
            }
            chosen
        } else {
            rng.gen_range(0..n)
        };
        centres
            .row_mut(c)
            .iter_mut()
            .zip(points[pick].iter())
            .for_each(|(v, x)| *v = *x);
        for (d, p) in nearest.iter_mut().zip(points) {
            *d = d.min(sq(p, points[pick]));
        }
    }
    centres
}

pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The k of the grid with the best silhouette on a sample (see the module documentation).
fn default_k(points: &[&[f32]], dims: usize, seed: u64) -> Result<usize, ModelError> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5eed);
    let fit_points = sample(points, 1_500, &mut rng);
    let limit = (fit_points.len() / 10).max(2);
    let grid: Vec<usize> = [8, 12, 16, 24, 32, 48, 64]
        .into_iter()
        .filter(|&k| k <= limit)
        .collect();
    let grid = if grid.is_empty() {
        vec![limit.min(fit_points.len()).max(1)]
    } else {
        grid
    };
    // Every k of the grid is fitted and scored independently (in parallel); the best is then picked in grid
    // order, as a sequential scan would.
    let scores: Vec<(usize, f32)> = grid
        .par_iter()
        .map(|&k| -> Result<(usize, f32), ModelError> {
            let centroids = Centroids::kmeans(&fit_points, k, dims, seed, 3)?;
            let labels: Vec<usize> = fit_points.iter().map(|p| centroids.assign(p).0).collect();
            Ok((k, silhouette(&fit_points, &labels)))
        })
        .collect::<Result<_, _>>()?;
    let mut best = (grid[0], f32::MIN);
    for (k, s) in scores {
        if s > best.1 {
            best = (k, s);
        }
    }
    Ok(best.0)
}

/// Mean silhouette (Euclidean) of a labelling; at most 2,000 points are used, evenly spaced.
pub fn silhouette(points: &[&[f32]], labels: &[usize]) -> f32 {
    let n = points.len().min(labels.len());
    if n < 2 {
        return 0.0;
    }
    let step = n.div_ceil(2_000);
    let idx: Vec<usize> = (0..n).step_by(step).collect();
    let k = labels.iter().copied().max().unwrap_or(0) + 1;
    // Each point's silhouette is computed independently (in parallel), then summed in order.
    let parts: Vec<f64> = idx
        .par_iter()
        .map(|&i| {
            let mut sum = vec![0f64; k];
            let mut count = vec![0usize; k];
            for &j in &idx {
                if i == j {
                    continue;
                }
                let d: f32 = points[i]
                    .iter()
                    .zip(points[j])
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                sum[labels[j]] += f64::from(d.sqrt());
                count[labels[j]] += 1;
            }
            let own = labels[i];
            if count[own] == 0 {
                // A point alone in its cluster scores 0 (the usual convention).
                return 0.0;
            }
            let a = sum[own] / count[own] as f64;
            let b = (0..k)
                .filter(|&c| c != own && count[c] > 0)
                .map(|c| sum[c] / count[c] as f64)
                .fold(f64::MAX, f64::min);
            if b == f64::MAX {
                return 0.0;
            }
            (b - a) / a.max(b)
        })
        .collect();
    let counted = parts.len();
    let total = parts.iter().fold(0.0f64, |t, p| t + p);
    if counted == 0 {
        0.0
    } else {
        (total / counted as f64) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Vec<Vec<f32>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let centres = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        (0..90)
            .map(|i| {
                let c = centres[i % 3];
                let mut v: Vec<f32> = c.iter().map(|x| x + rng.gen_range(-0.1..0.1)).collect();
                super::super::lsa::normalise(&mut v);
                v
            })
            .collect()
    }

    #[test]
    fn finds_three_blobs() {
        let points = blobs();
        let refs: Vec<&[f32]> = points.iter().map(|p| p.as_slice()).collect();
        let params = ClusterParams {
            k: Some(3),
            dims: None,
            max_fit_points: 1000,
            seed: 1,
        };
        let model = Centroids::fit(&refs, &params).expect("fit");
        let labels: Vec<usize> = refs.iter().map(|p| model.assign(p).0).collect();
        for i in 0..90 {
            assert_eq!(labels[i], labels[i % 3], "point {i}");
        }
        assert_ne!(labels[0], labels[1]);
        assert_ne!(labels[1], labels[2]);
        assert!(silhouette(&refs, &labels) > 0.8);
    }

    #[test]
    fn silhouette_of_a_hand_example() {
        // Points 0 and 1 at 0 and 1, point 2 at 4, on a line; clusters {0, 1} and {2}.
        let p: Vec<Vec<f32>> = vec![vec![0.0], vec![1.0], vec![4.0]];
        let refs: Vec<&[f32]> = p.iter().map(|v| v.as_slice()).collect();
        // s(0) = (4 - 1) / 4, s(1) = (3 - 1) / 3, s(2) = 0 (alone in its cluster).
        let want = ((3.0 / 4.0) + (2.0 / 3.0) + 0.0) / 3.0;
        assert!((silhouette(&refs, &[0, 0, 1]) - want).abs() < 1e-6);
    }
}
