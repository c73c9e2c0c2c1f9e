//! Top-k selection in rank order (higher score first, ties by lower key): over a whole list, in one pass
//! over a long input, and by upper bound ([`top_by_bound`]: items completed in order of their bound until
//! no bound left can reach the `n`-th best).

use rayon::prelude::*;

/// The order of ranked items: higher score first, then lower key.
pub(super) fn rank_order<T: Ord>(a: &(T, f32), b: &(T, f32)) -> std::cmp::Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then(a.0.cmp(&b.0))
}

/// Keeps the best `k` of `v` in [`rank_order`], sorted.
pub(super) fn top_k<T: Copy + Ord>(v: &mut Vec<(T, f32)>, k: usize) {
    if k < v.len() {
        if k == 0 {
            v.clear();
            return;
        }
        if v.len() > 8 * k {
            *v = top_k_of(v.iter().copied(), k);
            return;
        }
        v.select_nth_unstable_by(k - 1, rank_order);
        v.truncate(k);
    }
    v.sort_by(rank_order);
}

/// The best `k` of `items` in [`rank_order`], sorted, in one pass: a sorted list of the best so far, which
/// most items of a long input leave at one comparison with its last.
pub(super) fn top_k_of<T: Copy + Ord>(
    items: impl Iterator<Item = (T, f32)>,
    k: usize,
) -> Vec<(T, f32)> {
    let mut best: Vec<(T, f32)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    for x in items {
        insert_ranked(&mut best, k, x);
    }
    best
}

/// Adds `x` to `best`, a list of at most `k` (≥ 1) items sorted in [`rank_order`], when it ranks among them.
pub(super) fn insert_ranked<T: Ord>(best: &mut Vec<(T, f32)>, k: usize, x: (T, f32)) {
    if best.len() == k {
        if rank_order(&x, &best[k - 1]) != std::cmp::Ordering::Less {
            return;
        }
        best.pop();
    }
    let at = best.partition_point(|y| rank_order(y, &x) == std::cmp::Ordering::Less);
    best.insert(at, x);
}

/// Largest batch [`top_by_bound`] completes at once.
const BATCH_MAX: usize = 128;

/// The best `n` items by score (`(item, score)`, best first, ties by item) that [`top_k`] over every item's
/// score would give, for items that come with an upper bound of their score: items are scored by
/// `complete(item, x)` in order of their bound, until no bound left can reach the `n`-th best score.
/// With `batch` above 1 items are completed over the pool, `batch` at a time once `n` are scored: the few
/// completed beyond those one at a time would complete score below the `n`-th best, so the list is the same.
pub(super) fn top_by_bound<X: Send>(
    mut bounded: Vec<(usize, f32, X)>,
    n: usize,
    batch: usize,
    complete: impl Fn(usize, X) -> f32 + Sync,
) -> Vec<(usize, f32)> {
    if n == 0 {
        return Vec::new();
    }
    bounded.sort_unstable_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(n + 1);
    let mut rest = bounded.into_iter().peekable();
    // Batches double while items keep qualifying (up to `BATCH_MAX`): where bounds prune little, a
    // ranking completes most items, and a few large batches cost the pool less than many small ones.
    let mut batch = batch;
    loop {
        // While the list is short every item is completed; after that, items whose bound can still
        // reach its last are taken `batch` at a time.
        let size = if batch <= 1 {
            1
        } else if best.len() < n {
            n - best.len()
        } else {
            let size = batch;
            batch = (batch * 2).min(BATCH_MAX);
            size
        };
        let mut todo = Vec::with_capacity(size);
        while todo.len() < size {
            let open = |item: &(usize, f32, X)| !(best.len() == n && item.1 < best[n - 1].1);
            match rest.next_if(open) {
                Some(item) => todo.push(item),
                None => break,
            }
        }
        if todo.is_empty() {
            return best;
        }
        if todo.len() == 1 {
            for (i, _, x) in todo {
                insert_ranked(&mut best, n, (i, complete(i, x)));
            }
        } else {
            let scored: Vec<(usize, f32)> = todo
                .into_par_iter()
                .map(|(i, _, x)| (i, complete(i, x)))
                .collect();
            for s in scored {
                insert_ranked(&mut best, n, s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible sequence of pseudo-random numbers (a linear congruential generator).
    fn numbers(mut seed: u64) -> impl FnMut() -> u32 {
        move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        }
    }

    /// Both top-k paths (selection for short inputs, one pass for long ones) keep exactly the first `k`
    /// of a full sort, ties broken by key.
    #[test]
    fn top_k_is_the_head_of_a_full_sort() {
        let mut next = numbers(7);
        for len in [0usize, 1, 5, 40, 100, 1000] {
            // Scores from a small set, so that many tie.
            let items: Vec<(u32, f32)> = (0..len as u32)
                .map(|i| (i * 7 % 1009, (next() % 13) as f32 / 4.0))
                .collect();
            let mut sorted = items.clone();
            sorted.sort_by(rank_order);
            for k in [0usize, 1, 3, 10, 120] {
                let want: Vec<(u32, f32)> = sorted.iter().copied().take(k).collect();
                let mut got = items.clone();
                top_k(&mut got, k);
                assert_eq!(got, want, "top_k len {len} k {k}");
                assert_eq!(
                    top_k_of(items.iter().copied(), k),
                    want,
                    "top_k_of len {len} k {k}"
                );
            }
        }
    }

    /// Completing by bound, one at a time or in batches over the pool, gives the head of a full sort, and
    /// completes few items when bounds are tight.
    #[test]
    fn top_by_bound_is_the_head_of_a_full_sort() {
        let mut next = numbers(11);
        for len in [0usize, 1, 7, 60, 500] {
            // Scores tie often; bounds are the score plus up to 1.
            let items: Vec<(usize, f32, f32)> = (0..len)
                .map(|i| {
                    let score = (next() % 13) as f32 / 4.0;
                    (i * 7 % 1009, score + (next() % 5) as f32 / 4.0, score)
                })
                .collect();
            let mut sorted: Vec<(usize, f32)> = items.iter().map(|&(i, _, s)| (i, s)).collect();
            sorted.sort_by(rank_order);
            for n in [0usize, 1, 3, 20, 600] {
                let want: Vec<(usize, f32)> = sorted.iter().copied().take(n).collect();
                for batch in [1, 2, 8] {
                    let completed = std::sync::atomic::AtomicUsize::new(0);
                    let bounded: Vec<(usize, f32, f32)> = items.clone();
                    let got = top_by_bound(bounded, n, batch, |_, score| {
                        completed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        score
                    });
                    assert_eq!(got, want, "len {len} n {n} batch {batch}");
                    if n > 0 && n < len && batch == 1 {
                        assert!(
                            completed.into_inner() < len,
                            "len {len} n {n}: completed all"
                        );
                    }
                }
            }
        }
    }
}
