//! Nearest documents in the latent space: the members of every cluster with 8-bit copies of their vectors
//! side by side ([`Members`], kept in the engine state and changed with every write, so that no query
//! gathers them again), a dot product for scanning many vectors, and [`Engine::nearest`], which scans the
//! clusters nearest to a vector.

use super::Engine;
use super::corpus::{dot, dot_in_lanes};
use super::postings::{push_gently, reserve_gently};
use super::topk::top_k;

/// The documents of one side grouped by cluster, with an 8-bit copy of their vectors stored contiguously
/// (row-major, one scale per row) so that a scan over a cluster streams through memory: a quarter of the
/// size of `f32` copies, and precise enough to choose candidates (which are then scored with the real
/// vectors). Documents without a cluster, or whose vector has another length than the first one's, are
/// left out. Written documents are moved in place; the order of a cluster's members never changes what a
/// scan finds (ties rank by document).
#[derive(Debug, Default)]
pub(super) struct Members {
    lists: Vec<List>,
    /// Where each document (by slot) is: `(cluster, position in its list)`, [`NOWHERE`] when left out.
    at: Vec<(u32, u32)>,
    /// The length of the vectors, set by the first document.
    dims: Option<usize>,
}

/// The members of one cluster.
#[derive(Debug, Default)]
struct List {
    ids: Vec<u32>,
    rows: Vec<i8>,
    scales: Vec<f32>,
}

/// The place of a document that is in no list.
const NOWHERE: (u32, u32) = (u32::MAX, u32::MAX);

impl Members {
    /// The members of `k` clusters among `docs` (`(cluster, vector)` of each document, by slot), each
    /// list allocated at its size.
    pub(super) fn new<'a>(
        k: usize,
        docs: impl Iterator<Item = (Option<usize>, &'a [f32])> + Clone,
    ) -> Members {
        let dims = docs.clone().next().map_or(0, |(_, v)| v.len());
        let mut sizes = vec![0usize; k];
        let mut count = 0;
        for (cluster, _) in docs.clone() {
            count += 1;
            if let Some(n) = cluster.and_then(|c| sizes.get_mut(c)) {
                *n += 1;
            }
        }
        let mut members = Members {
            lists: sizes
                .iter()
                .map(|&n| List {
                    ids: Vec::with_capacity(n),
                    rows: Vec::with_capacity(n * dims),
                    scales: Vec::with_capacity(n),
                })
                .collect(),
            at: Vec::with_capacity(count),
            dims: None,
        };
        for (slot, (cluster, v)) in docs.enumerate() {
            members.insert(slot, cluster, v);
        }
        members
    }

    /// Adds the document in `slot` (the next slot, or one left empty by [`Members::remove`]).
    pub(super) fn insert(&mut self, slot: usize, cluster: Option<usize>, v: &[f32]) {
        if self.at.len() <= slot {
            self.at.resize(slot + 1, NOWHERE);
        }
        let dims = *self.dims.get_or_insert(v.len());
        let Some(c) = cluster.filter(|&c| c < self.lists.len() && v.len() == dims) else {
            return;
        };
        let list = &mut self.lists[c];
        self.at[slot] = (c as u32, list.ids.len() as u32);
        push_gently(&mut list.ids, slot as u32);
        reserve_gently(&mut list.rows, dims);
        let scale = quantise(v, &mut list.rows);
        push_gently(&mut list.scales, scale);
    }

    /// Takes the document in `slot` out of its list (the slot stays, empty).
    pub(super) fn remove(&mut self, slot: usize) {
        let Some(place) = self.at.get_mut(slot) else {
            return;
        };
        let (c, i) = std::mem::replace(place, NOWHERE);
        if (c, i) == NOWHERE {
            return;
        }
        let (list, dims) = (&mut self.lists[c as usize], self.dims.unwrap_or(0));
        let (i, last) = (i as usize, list.ids.len() - 1);
        list.ids.swap_remove(i);
        list.scales.swap_remove(i);
        if i != last {
            let (head, tail) = list.rows.split_at_mut(last * dims);
            head[i * dims..(i + 1) * dims].copy_from_slice(&tail[..dims]);
            self.at[list.ids[i] as usize].1 = i as u32;
        }
        list.rows.truncate(last * dims);
    }

    /// The document in `slot` changed: its cluster or vector is taken again.
    pub(super) fn replace(&mut self, slot: usize, cluster: Option<usize>, v: &[f32]) {
        self.remove(slot);
        self.insert(slot, cluster, v);
    }

    /// The document in `slot` was removed and the last document moved into its place (`Vec::swap_remove`).
    pub(super) fn swap_remove(&mut self, slot: usize) {
        self.remove(slot);
        let last = self.at.len() - 1;
        if slot != last {
            let (c, i) = self.at[last];
            if (c, i) != NOWHERE {
                self.lists[c as usize].ids[i as usize] = slot as u32;
            }
            self.at[slot] = (c, i);
        }
        self.at.pop();
    }

    /// Heap bytes of the member lists and vector copies.
    pub(super) fn bytes(&self) -> usize {
        self.at.capacity() * 8
            + self
                .lists
                .iter()
                .map(|l| l.ids.capacity() * 4 + l.rows.capacity() + l.scales.capacity() * 4)
                .sum::<usize>()
    }

    /// Appends `(document, v · its vector)` for every member of cluster `k` (the 8-bit approximation).
    pub(super) fn scan(&self, k: usize, v: &[f32], out: &mut Vec<(usize, f32)>) {
        let Some(list) = self.lists.get(k) else {
            return;
        };
        let dims = self.dims.unwrap_or(0);
        if dims == 0 {
            out.extend(list.ids.iter().map(|&i| (i as usize, 0.0)));
            return;
        }
        vectorised(
            #[inline(always)]
            || {
                out.reserve(list.ids.len());
                let rows = list.rows.chunks_exact(dims);
                for ((&i, row), &scale) in list.ids.iter().zip(rows).zip(&list.scales) {
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

impl Engine {
    /// Indices of the `n` documents nearest to `v` in the latent space, scanning the clusters of `members`
    /// nearest to `v` until at least `4n` documents were seen (all `count` documents, `vec` reading each
    /// one's vector, when there are no clusters).
    pub(super) fn nearest<'s>(
        &self,
        v: &[f32],
        members: &Members,
        count: usize,
        n: usize,
        vec: impl Fn(usize) -> &'s Vec<f32>,
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
                let mut out = Vec::new();
                for (probed, &k) in order.iter().enumerate() {
                    if probed >= 2 && out.len() >= 4 * n {
                        break;
                    }
                    members.scan(k, v, &mut out);
                }
                out
            }
            _ => (0..count).map(|i| (i, dot(v, vec(i)))).collect(),
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

    /// Members changed write by write (a document added, moved to another cluster, removed with the last
    /// one moved into its slot) scan as members gathered from the documents as they end up.
    #[test]
    fn members_changed_in_place_scan_as_members_gathered_again() {
        let vec =
            |i: usize| -> Vec<f32> { (0..12).map(|j| ((i * 7 + j) as f32 * 0.3).sin()).collect() };
        let mut docs: Vec<(Option<usize>, Vec<f32>)> =
            (0..40).map(|i| (Some(i % 3), vec(i))).collect();
        docs[5].0 = None;
        let gathered = |docs: &[(Option<usize>, Vec<f32>)]| {
            Members::new(3, docs.iter().map(|(c, v)| (*c, v.as_slice())))
        };
        let mut members = gathered(&docs);
        let change =
            |members: &mut Members, docs: &mut Vec<(Option<usize>, Vec<f32>)>, step: usize| {
                match step % 4 {
                    0 => {
                        docs.push((Some(step % 3), vec(100 + step)));
                        let (c, v) = docs.last().expect("pushed");
                        members.insert(docs.len() - 1, *c, v);
                    }
                    1 => {
                        let slot = (step * 5) % docs.len();
                        docs[slot] = (Some((step + 1) % 3), vec(200 + step));
                        members.replace(slot, docs[slot].0, &docs[slot].1);
                    }
                    2 => {
                        let slot = (step * 11) % docs.len();
                        docs.swap_remove(slot);
                        members.swap_remove(slot);
                    }
                    _ => {
                        let slot = docs.len() - 1;
                        docs.pop();
                        members.swap_remove(slot);
                    }
                }
            };
        let probe = vec(999);
        for step in 0..60 {
            change(&mut members, &mut docs, step);
            let want = gathered(&docs);
            assert_eq!(members.at.len(), docs.len());
            for k in 0..3 {
                let (mut got, mut expected) = (Vec::new(), Vec::new());
                members.scan(k, &probe, &mut got);
                want.scan(k, &probe, &mut expected);
                got.sort_by_key(|&(i, _)| i);
                expected.sort_by_key(|&(i, _)| i);
                assert_eq!(got, expected, "step {step}, cluster {k}");
            }
        }
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
