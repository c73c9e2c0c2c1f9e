//! Nearest documents in the latent space: the members of every cluster with their vectors side by side
//! (cached between queries instead of being gathered over all documents on every call), a dot product for
//! scanning many vectors, and [`Engine::nearest`], which scans the clusters nearest to a vector.

use std::sync::{Arc, RwLock};

use super::Engine;
use super::topk::top_k;

/// Documents of one side grouped by cluster, for one state of the engine (cleared on every update).
#[derive(Debug, Default)]
pub(super) struct MemberCache {
    entries: RwLock<Vec<(MemberKey, Arc<Members>)>>,
}

/// The documents of every cluster, with an 8-bit copy of their vectors stored contiguously (row-major, one
/// scale per row) so that a scan over a cluster streams through memory: a quarter of the size of `f32`
/// copies, and precise enough to choose candidates (which are then scored with the real vectors).
#[derive(Debug, Default)]
pub(super) struct Members {
    ids: Vec<Vec<u32>>,
    rows: Vec<Vec<i8>>,
    scales: Vec<Vec<f32>>,
    dims: usize,
}

impl Members {
    /// Appends `(document, v · its vector)` for every member of cluster `k` (the 8-bit approximation).
    pub(super) fn scan(&self, k: usize, v: &[f32], out: &mut Vec<(usize, f32)>) {
        let (Some(ids), Some(rows), Some(scales)) =
            (self.ids.get(k), self.rows.get(k), self.scales.get(k))
        else {
            return;
        };
        if self.dims == 0 {
            out.extend(ids.iter().map(|&i| (i as usize, 0.0)));
            return;
        }
        vectorised(
            #[inline(always)]
            || {
                out.reserve(ids.len());
                for ((&i, row), &scale) in ids.iter().zip(rows.chunks_exact(self.dims)).zip(scales)
                {
                    out.push((i as usize, scale * dot_i8(v, row)));
                }
            },
        );
    }
}

/// Runs `f` compiled for the widest vector instructions the processor has (AVX2 where present, detected at
/// run time; the baseline otherwise). The operations and their order are the same either way, so are the
/// results; only loops the compiler vectorises (such as [`dot`] and [`dot_i8`], inlined into `f`) get faster.
#[inline(always)]
pub(super) fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(f)
}

/// `v · row` for an 8-bit row, summed in eight lanes.
#[inline(always)]
fn dot_i8(v: &[f32], row: &[i8]) -> f32 {
    dot_in_lanes(v, row, f32::from)
}

/// Appends the 8-bit copy of `v` to `row` and returns its scale.
fn quantise(v: &[f32], row: &mut Vec<i8>) -> f32 {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        row.extend(std::iter::repeat_n(0, v.len()));
        return 0.0;
    }
    let scale = max / 127.0;
    row.extend(
        v.iter()
            .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
    );
    scale
}

/// Identifies the side a scan is over: its document count and the address of its first vector (the vectors
/// of one side live as long as the engine state they belong to, and every write to a side drops its
/// entry, see [`MemberCache::forget`]).
pub(super) type MemberKey = (usize, usize);

/// The key of the members of `docs` (none when there are no documents), `vec` reading a document's vector.
pub(super) fn key<T>(docs: &[T], vec: impl Fn(&T) -> &Vec<f32>) -> Option<MemberKey> {
    docs.first()
        .map(|doc| (docs.len(), vec(doc).as_ptr() as usize))
}

impl MemberCache {
    /// Heap bytes of the cached member lists and vector copies.
    pub(super) fn bytes(&self) -> usize {
        self.entries.read().map_or(0, |e| {
            e.iter()
                .map(|(_, m)| {
                    m.ids.iter().map(|v| v.capacity() * 4).sum::<usize>()
                        + m.rows.iter().map(Vec::capacity).sum::<usize>()
                        + m.scales.iter().map(|v| v.capacity() * 4).sum::<usize>()
                })
                .sum()
        })
    }

    /// Drops the members cached under `key` (a side about to change).
    pub(super) fn forget(&self, key: Option<MemberKey>) {
        if let (Some(key), Ok(mut e)) = (key, self.entries.write()) {
            e.retain(|(k, _)| *k != key);
        }
    }
}

/// Dot product of two vectors of equal length, summed in eight lanes (vectorises; the rounding differs from a
/// left-to-right sum in the last bits, so it only ranks candidates, never scores them).
#[inline(always)]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_in_lanes(a, b, |y| y)
}

/// `a · b` with `b`'s elements read as `f32` by `value`, summed in eight lanes plus the tail.
#[inline(always)]
fn dot_in_lanes<T: Copy>(a: &[f32], b: &[T], value: impl Fn(T) -> f32) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, &y)| x * value(y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * value(y[i]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

impl Engine {
    /// The documents of every cluster (`k` clusters) with their vectors, gathered once per engine state.
    pub(super) fn members<'s>(
        &self,
        count: usize,
        k: usize,
        doc: &impl Fn(usize) -> (Option<usize>, &'s Vec<f32>),
    ) -> Arc<Members> {
        let key: MemberKey = (count, doc(0).1.as_ptr() as usize);
        if let Ok(entries) = self.members.entries.read()
            && let Some((_, m)) = entries.iter().find(|(k, _)| *k == key)
        {
            return m.clone();
        }
        let dims = doc(0).1.len();
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); k];
        for i in 0..count {
            if let (Some(c), v) = doc(i)
                && v.len() == dims
                && let Some(list) = ids.get_mut(c)
            {
                list.push(i as u32);
            }
        }
        let mut rows: Vec<Vec<i8>> = Vec::with_capacity(k);
        let mut scales: Vec<Vec<f32>> = Vec::with_capacity(k);
        for list in &ids {
            let mut row = Vec::with_capacity(list.len() * dims);
            scales.push(
                list.iter()
                    .map(|&i| quantise(doc(i as usize).1, &mut row))
                    .collect(),
            );
            rows.push(row);
        }
        let members = Arc::new(Members {
            ids,
            rows,
            scales,
            dims,
        });
        if let Ok(mut entries) = self.members.entries.write() {
            entries.retain(|(k, _)| *k != key);
            entries.push((key, members.clone()));
        }
        members
    }

    /// Indices of the `n` documents nearest to `v` in the latent space, scanning the nearest clusters until
    /// at least `4n` documents were seen (all documents when there are no clusters).
    pub(super) fn nearest<'s>(
        &self,
        v: &[f32],
        count: usize,
        n: usize,
        doc: impl Fn(usize) -> (Option<usize>, &'s Vec<f32>),
    ) -> Vec<usize> {
        let mut scored: Vec<(usize, f32)> = match &self.models.clusters {
            Some(c) if count > 0 => {
                let sims = c.centroids.similarities(v);
                let mut order: Vec<usize> = (0..sims.len()).collect();
                order.sort_by(|&a, &b| {
                    sims[b]
                        .partial_cmp(&sims[a])
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
                let members = self.members(count, sims.len(), &doc);
                let mut out = Vec::new();
                for (probed, &k) in order.iter().enumerate() {
                    if probed >= 2 && out.len() >= 4 * n {
                        break;
                    }
                    members.scan(k, v, &mut out);
                }
                out
            }
            _ => (0..count).map(|i| (i, dot(v, doc(i).1))).collect(),
        };
        top_k(&mut scored, n);
        scored.into_iter().map(|(i, _)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_dot_is_the_dot_product() {
        let a: Vec<f32> = (0..150).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..150).map(|i| (i as f32 * 0.11).cos()).collect();
        let exact: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum();
        assert!((f64::from(dot(&a, &b)) - exact).abs() < 1e-4);
        assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn eight_bit_copies_approximate_the_dot_product() {
        let a: Vec<f32> = (0..150).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..150).map(|i| (i as f32 * 0.11).cos() * 0.1).collect();
        let mut row = Vec::new();
        let scale = quantise(&b, &mut row);
        assert_eq!(row.len(), b.len());
        let approx = scale * dot_i8(&a, &row);
        // Each element is off by at most half a step (max |b| / 254).
        let bound: f32 = a.iter().map(|x| x.abs()).sum::<f32>() * 0.1 / 254.0;
        assert!(
            (approx - dot(&a, &b)).abs() <= bound,
            "{approx} vs {}",
            dot(&a, &b)
        );
        let mut zero = Vec::new();
        assert_eq!(quantise(&[0.0; 4], &mut zero), 0.0);
        assert_eq!(zero, vec![0; 4]);
    }
}
