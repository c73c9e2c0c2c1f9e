//! Neighbourhood smoothing of latent vectors (kNN smoothing).
//!
//! Each unit vector moves towards the weighted mean of its `neighbours` most similar other vectors:
//! `e_i ← unit(e_i + weight · Σ_j w_ij e_j)` with `w_ij = max(cos_ij, 0) / Σ_j max(cos_ij, 0)`, all rows at once,
//! repeated `passes` times (the neighbours are searched again after each pass). A short text says little
//! about its topic on its own; its nearest neighbours say more, so smoothed vectors cluster and match by
//! topic better (on the CSL split: +0.03 NMI and about +0.007 nDCG@10 over raw LSA vectors).
//!
//! Below `exact_below` vectors the neighbours are exact (blocked matrix products). Above, the vectors are
//! first partitioned into about √n cells (seeded centres, two assignment rounds) and each vector's
//! neighbours are searched among the members of the `probe` cells nearest to its own cell.

use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cluster::dot;
use super::lsa::normalise;

/// Parameters of kNN smoothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmoothParams {
    /// Neighbours per vector (0 turns smoothing off).
    pub neighbours: usize,
    /// Smoothing passes.
    pub passes: usize,
    /// Weight of the neighbours' mean against the vector itself.
    pub weight: f32,
    /// Exact neighbour search below this many vectors, cell-restricted above.
    pub exact_below: usize,
    /// Cells searched per vector in the cell-restricted search.
    pub probe: usize,
    pub seed: u64,
}

impl Default for SmoothParams {
    fn default() -> Self {
        SmoothParams {
            neighbours: 20,
            passes: 2,
            weight: 1.0,
            exact_below: 20_000,
            probe: 4,
            seed: 7,
        }
    }
}

const BLOCK: usize = 256;

/// `(neighbour, cosine)` lists, one per row.
type Neighbours = Vec<Vec<(u32, f32)>>;

/// Neighbours used among `n` vectors: at most a tenth of them, so that a small collection is not averaged
/// into one topic.
pub fn neighbours_for(n: usize, params: &SmoothParams) -> usize {
    params.neighbours.min(n / 10)
}

/// The smoothed copies of `vectors` (all of the same length; zero vectors stay zero).
pub fn smooth(vectors: &[Vec<f32>], params: &SmoothParams) -> Vec<Vec<f32>> {
    let mut levels = smooth_levels(vectors, params);
    levels.pop().unwrap_or_default()
}

/// Every level of smoothing: `levels[0]` the input, `levels[p]` after pass `p`, the last one the result.
/// Keeping the intermediate levels lets [`smooth_one`] recompute one changed vector exactly as a full run
/// would have (the other vectors being unchanged).
pub fn smooth_levels(vectors: &[Vec<f32>], params: &SmoothParams) -> Vec<Vec<Vec<f32>>> {
    let n = vectors.len();
    let dims = vectors.first().map_or(0, Vec::len);
    let m = neighbours_for(n, params);
    if m == 0 || params.passes == 0 || dims == 0 {
        return vec![vectors.to_vec()];
    }
    let mut e = Array2::<f32>::zeros((n, dims));
    for (mut row, v) in e.axis_iter_mut(Axis(0)).zip(vectors) {
        for (x, y) in row.iter_mut().zip(v) {
            *x = *y;
        }
    }
    let mut levels = vec![vectors.to_vec()];
    for _ in 0..params.passes {
        let neighbours = if n < params.exact_below {
            exact_neighbours(e.view(), m)
        } else {
            cell_neighbours(e.view(), m, params)
        };
        e = step(e.view(), &neighbours, params.weight);
        levels.push(e.axis_iter(Axis(0)).map(|r| r.to_vec()).collect());
    }
    levels
}

/// Every smoothing level of one new or changed vector `v`, searched exactly among `count` others whose
/// levels `others(level, j)` come from [`smooth_levels`] (or earlier calls of this function).
pub fn smooth_one<'a>(
    v: &[f32],
    others: impl Fn(usize, usize) -> &'a [f32] + Sync,
    count: usize,
    params: &SmoothParams,
) -> Vec<Vec<f32>> {
    let mut levels = vec![v.to_vec()];
    let m = neighbours_for(count + 1, params);
    if m == 0 {
        return levels;
    }
    for level in 0..params.passes {
        let e = &levels[level];
        let mut sims: Vec<(usize, f32)> = (0..count)
            .into_par_iter()
            .map(|j| (j, dot(e, others(level, j))))
            .collect();
        if m < sims.len() {
            sims.select_nth_unstable_by(m, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            sims.truncate(m);
        }
        let total: f32 = sims.iter().map(|(_, s)| s.max(0.0)).sum();
        let mut next = e.clone();
        if total > 0.0 {
            for (j, s) in sims {
                let w = params.weight * s.max(0.0) / total;
                for (x, y) in next.iter_mut().zip(others(level, j)) {
                    *x += w * y;
                }
            }
            normalise(&mut next);
        }
        levels.push(next);
    }
    levels
}

/// Top-`m` `(neighbour, cosine)` of every row, exact.
fn exact_neighbours(e: ArrayView2<'_, f32>, m: usize) -> Neighbours {
    let n = e.nrows();
    let all: Vec<u32> = (0..n as u32).collect();
    (0..n)
        .collect::<Vec<_>>()
        .par_chunks(BLOCK)
        .flat_map_iter(|rows| neighbours_among(e, rows, &all, m))
        .collect()
}

/// Top-`m` neighbours of `rows` among `candidates` (a row is never its own neighbour).
fn neighbours_among(
    e: ArrayView2<'_, f32>,
    rows: &[usize],
    candidates: &[u32],
    m: usize,
) -> Neighbours {
    let a = e.select(Axis(0), rows);
    let cand: Vec<usize> = candidates.iter().map(|&c| c as usize).collect();
    let b = e.select(Axis(0), &cand);
    let sims = a.dot(&b.t());
    rows.iter()
        .zip(sims.axis_iter(Axis(0)))
        .map(|(&i, row)| {
            let mut v: Vec<(u32, f32)> = candidates
                .iter()
                .zip(row.iter())
                .filter(|(c, _)| **c as usize != i)
                .map(|(&c, &s)| (c, s))
                .collect();
            if m < v.len() {
                v.select_nth_unstable_by(m, |x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                v.truncate(m);
            }
            // Only the `m` kept survive; the candidate-sized buffer goes.
            v.shrink_to_fit();
            v
        })
        .collect()
}

/// Top-`m` neighbours of every row, searched in the `probe` cells nearest to the row's cell.
fn cell_neighbours(e: ArrayView2<'_, f32>, m: usize, params: &SmoothParams) -> Neighbours {
    let n = e.nrows();
    let cells = ((n as f64).sqrt().ceil() as usize).clamp(1, n);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
    let seeds: Vec<usize> = sample(&mut rng, n, cells).into_vec();
    let mut centres = e.select(Axis(0), &seeds);
    let mut assign = nearest_centre(e, centres.view());
    // One refinement round: centres become their members' normalised means.
    centres.fill(0.0);
    for (i, &c) in assign.iter().enumerate() {
        let mut row = centres.row_mut(c);
        row += &e.row(i);
    }
    for mut row in centres.axis_iter_mut(Axis(0)) {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    assign = nearest_centre(e, centres.view());
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); cells];
    for (i, &c) in assign.iter().enumerate() {
        members[c].push(i as u32);
    }
    let centre_sims = centres.dot(&centres.t());
    let per_cell: Vec<(usize, Neighbours)> = (0..cells)
        .into_par_iter()
        .filter(|&c| !members[c].is_empty())
        .map(|c| {
            let mut order: Vec<usize> = (0..cells).collect();
            let row = centre_sims.row(c);
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
            let mut candidates: Vec<u32> = Vec::new();
            for &o in order.iter().take(params.probe.max(1)) {
                candidates.extend(&members[o]);
            }
            candidates.sort_unstable();
            let rows: Vec<usize> = members[c].iter().map(|&i| i as usize).collect();
            let found = rows
                .chunks(BLOCK)
                .flat_map(|chunk| neighbours_among(e, chunk, &candidates, m))
                .collect();
            (c, found)
        })
        .collect();
    let mut out: Neighbours = vec![Vec::new(); n];
    for (c, found) in per_cell {
        for (&i, f) in members[c].iter().zip(found) {
            out[i as usize] = f;
        }
    }
    out
}

/// Index of the most similar centre of every row.
fn nearest_centre(e: ArrayView2<'_, f32>, centres: ArrayView2<'_, f32>) -> Vec<usize> {
    let n = e.nrows();
    (0..n)
        .collect::<Vec<_>>()
        .par_chunks(4 * BLOCK)
        .flat_map_iter(|rows| {
            let a = e.select(Axis(0), rows);
            let sims = a.dot(&centres.t());
            sims.axis_iter(Axis(0))
                .map(|r| {
                    r.iter()
                        .enumerate()
                        .max_by(|x, y| x.1.total_cmp(y.1).then(y.0.cmp(&x.0)))
                        .map_or(0, |(i, _)| i)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// One Jacobi step: every row moves towards its neighbours' weighted mean, then back to unit length.
fn step(e: ArrayView2<'_, f32>, neighbours: &[Vec<(u32, f32)>], weight: f32) -> Array2<f32> {
    let mut out = e.to_owned();
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(neighbours.par_iter())
        .for_each(|(mut row, nb)| {
            let total: f32 = nb.iter().map(|(_, s)| s.max(0.0)).sum();
            if total <= 0.0 {
                return;
            }
            for &(j, s) in nb {
                let w = weight * s.max(0.0) / total;
                row.scaled_add(w, &e.row(j as usize));
            }
            let norm = row.dot(&row).sqrt();
            if norm > 0.0 {
                row /= norm;
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default parameters with `neighbours` neighbours per vector (0: smoothing off).
    fn with_neighbours(neighbours: usize) -> SmoothParams {
        SmoothParams {
            neighbours,
            ..SmoothParams::default()
        }
    }

    fn unit(v: &[f32]) -> Vec<f32> {
        let mut v = v.to_vec();
        normalise(&mut v);
        v
    }

    /// Two noisy topics: smoothing pulls each vector towards its own topic.
    fn topics() -> Vec<Vec<f32>> {
        let mut out = Vec::new();
        for i in 0..60 {
            let noise = (i % 7) as f32 * 0.08;
            if i % 2 == 0 {
                out.push(unit(&[1.0, noise, 0.3 - noise, 0.0]));
            } else {
                out.push(unit(&[0.0, 0.3 - noise, noise, 1.0]));
            }
        }
        out
    }

    /// Mean cosine of pairs of rows in the same topic, and in different topics.
    fn spread(v: &[Vec<f32>]) -> (f32, f32) {
        let (mut same, mut ns, mut other, mut no) = (0.0, 0, 0.0, 0);
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                if i % 2 == j % 2 {
                    same += dot(&v[i], &v[j]);
                    ns += 1;
                } else {
                    other += dot(&v[i], &v[j]);
                    no += 1;
                }
            }
        }
        (same / ns as f32, other / no as f32)
    }

    #[test]
    fn smoothing_draws_each_topic_together() {
        let raw = topics();
        let params = with_neighbours(5);
        let smoothed = smooth(&raw, &params);
        assert_eq!(smoothed.len(), raw.len());
        for s in &smoothed {
            let norm: f32 = s.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "unit length");
        }
        let (same_raw, other_raw) = spread(&raw);
        let (same, other) = spread(&smoothed);
        assert!(same > same_raw, "same topic: {same} <= {same_raw}");
        assert!(
            other <= other_raw + 1e-4,
            "other topic: {other} > {other_raw}"
        );
    }

    #[test]
    fn cell_search_agrees_with_exact_search_on_separated_topics() {
        let raw = topics();
        let exact = smooth(&raw, &SmoothParams::default());
        let cells = smooth(
            &raw,
            &SmoothParams {
                exact_below: 0,
                probe: 64,
                ..SmoothParams::default()
            },
        );
        for (a, b) in exact.iter().zip(&cells) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn off_or_tiny_inputs_are_left_alone() {
        let raw = topics();
        let off = with_neighbours(0);
        assert_eq!(smooth(&raw, &off), raw);
        assert_eq!(
            smooth(&raw[..1], &SmoothParams::default()),
            raw[..1].to_vec()
        );
        let zero = vec![vec![0.0; 4]; 3];
        assert_eq!(smooth(&zero, &SmoothParams::default()), zero);
    }

    #[test]
    fn one_new_vector_joins_its_topic() {
        let raw = topics();
        let smoothed = smooth(&raw, &SmoothParams::default());
        let levels = smooth_levels(&raw, &SmoothParams::default());
        assert_eq!(levels.last(), Some(&smoothed));
        let v = unit(&[0.8, 0.5, 0.0, 0.3]);
        let s = smooth_one(
            &v,
            |l, j| &levels[l][j],
            raw.len(),
            &SmoothParams::default(),
        );
        let s = s.last().expect("levels");
        assert!(s[0] > v[0]);
        assert!(s[3] < v[3]);
    }

    #[test]
    fn one_vector_recomputed_alone_equals_the_full_run() {
        let raw = topics();
        let levels = smooth_levels(&raw, &SmoothParams::default());
        let i = 7;
        let others = |l: usize, j: usize| -> &[f32] { &levels[l][if j >= i { j + 1 } else { j }] };
        let alone = smooth_one(&raw[i], others, raw.len() - 1, &SmoothParams::default());
        for (level, v) in alone.iter().enumerate() {
            for (x, y) in v.iter().zip(&levels[level][i]) {
                assert!((x - y).abs() < 1e-5, "level {level}");
            }
        }
    }

    #[test]
    fn a_small_collection_is_not_averaged_into_one_topic() {
        let raw = topics()[..8].to_vec();
        assert_eq!(neighbours_for(raw.len(), &SmoothParams::default()), 0);
        assert_eq!(smooth(&raw, &SmoothParams::default()), raw);
    }
}
