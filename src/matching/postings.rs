//! In-memory inverted lists of one side's term bags, from which large datasets draw the lexical candidates
//! that are then scored in full.
//!
//! A list holds `(slot, tf)` for every document of the side that has the term, in no particular order.
//! [`Postings::top`] scores the documents of a weighted query term at a time with BM25 (the document
//! lengths of the side, `k1` and `b` of the scoring configuration) and keeps the best. The lists follow
//! the engine's slots, including `swap_remove` on deletion, so they never need a rebuild.

use super::corpus::Bag;

#[derive(Debug, Default)]
pub(super) struct Postings {
    /// Term id → `(slot, tf)`.
    lists: Vec<Vec<(u32, f32)>>,
    /// Length of each slot's bag.
    lens: Vec<f32>,
    len_sum: f64,
}

impl Postings {
    /// The lists of `docs` (slot order) with the length of each bag.
    pub(super) fn new<'b>(docs: impl Iterator<Item = (&'b Bag, f32)>) -> Postings {
        let mut p = Postings::default();
        for (bag, len) in docs {
            p.push(bag, len);
        }
        for list in &mut p.lists {
            list.shrink_to_fit();
        }
        p
    }

    fn add_entries(&mut self, slot: usize, bag: &Bag) {
        for &(t, tf) in bag {
            let t = t as usize;
            if self.lists.len() <= t {
                self.lists.resize_with(t + 1, Vec::new);
            }
            self.lists[t].push((slot as u32, tf));
        }
    }

    fn remove_entries(&mut self, slot: usize, bag: &Bag) {
        for &(t, _) in bag {
            if let Some(list) = self.lists.get_mut(t as usize)
                && let Some(at) = list.iter().position(|&(s, _)| s as usize == slot)
            {
                list.swap_remove(at);
            }
        }
    }

    /// Heap bytes held by the lists.
    pub(super) fn bytes(&self) -> usize {
        self.lists
            .iter()
            .map(|l| l.capacity() * std::mem::size_of::<(u32, f32)>())
            .sum::<usize>()
            + self.lens.capacity() * 4
    }

    /// Appends a document at the next slot.
    pub(super) fn push(&mut self, bag: &Bag, len: f32) {
        let slot = self.lens.len();
        self.add_entries(slot, bag);
        self.lens.push(len);
        self.len_sum += f64::from(len);
    }

    /// Replaces the document at `slot` (`old` is the bag it had).
    pub(super) fn replace(&mut self, slot: usize, old: &Bag, bag: &Bag, len: f32) {
        self.remove_entries(slot, old);
        self.add_entries(slot, bag);
        if let Some(l) = self.lens.get_mut(slot) {
            self.len_sum += f64::from(len) - f64::from(*l);
            *l = len;
        }
    }

    /// Removes the document at `slot` (bag `old`) as `Vec::swap_remove` does: the last document, whose
    /// bag is `last`, takes its slot.
    pub(super) fn swap_remove(&mut self, slot: usize, old: &Bag, last: &Bag) {
        if slot >= self.lens.len() {
            return;
        }
        self.remove_entries(slot, old);
        let from = self.lens.len() - 1;
        if slot < from {
            for &(t, _) in last {
                if let Some(entry) = self
                    .lists
                    .get_mut(t as usize)
                    .and_then(|list| list.iter_mut().find(|(s, _)| *s as usize == from))
                {
                    entry.0 = slot as u32;
                }
            }
        }
        self.len_sum -= f64::from(self.lens.swap_remove(slot));
    }

    /// The `n` slots of highest BM25 for `terms` (`(term, weight)`; weights carry the query weight and the
    /// idf), best first; documents without any of the terms are never returned.
    pub(super) fn top(&self, terms: &[(u32, f32)], n: usize, k1: f32, b: f32) -> Vec<usize> {
        if n == 0 || self.lens.is_empty() {
            return Vec::new();
        }
        let avg = (self.len_sum / self.lens.len() as f64).max(f64::MIN_POSITIVE) as f32;
        SCRATCH.with_borrow_mut(|(scores, touched)| {
            if scores.len() < self.lens.len() {
                scores.resize(self.lens.len(), 0.0);
            }
            for &(t, w) in terms {
                let Some(list) = self.lists.get(t as usize) else {
                    continue;
                };
                if w <= 0.0 {
                    continue;
                }
                for &(slot, tf) in list {
                    let s = slot as usize;
                    let norm = k1 * (1.0 - b + b * self.lens[s] / avg);
                    if scores[s] == 0.0 {
                        touched.push(slot);
                    }
                    scores[s] += w * tf / (tf + norm);
                }
            }
            let mut hits: Vec<(usize, f32)> = touched
                .drain(..)
                .map(|s| {
                    let s = s as usize;
                    (s, std::mem::take(&mut scores[s]))
                })
                .filter(|&(_, v)| v > 0.0)
                .collect();
            super::top_k(&mut hits, n);
            hits.into_iter().map(|(s, _)| s).collect()
        })
    }
}

thread_local! {
    /// Per-thread score table of [`Postings::top`] (all zero between calls) and the slots it touched.
    static SCRATCH: std::cell::RefCell<(Vec<f32>, Vec<u32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(terms: &[(u32, f32)]) -> Bag {
        terms.to_vec()
    }

    #[test]
    fn ranks_by_bm25_and_skips_non_matching() {
        let docs = [
            bag(&[(0, 1.0), (1, 1.0)]),
            bag(&[(0, 3.0)]),
            bag(&[(2, 1.0)]),
        ];
        let p = Postings::new(docs.iter().map(|b| (b, b.iter().map(|x| x.1).sum())));
        // Term 0 alone: the document with tf 3 first; the one without term 0 never appears.
        assert_eq!(p.top(&[(0, 1.0)], 10, 1.2, 0.75), vec![1, 0]);
        // A heavy rare term decides.
        assert_eq!(p.top(&[(0, 0.1), (1, 5.0)], 1, 1.2, 0.75), vec![0]);
        assert!(p.top(&[(7, 1.0)], 10, 1.2, 0.75).is_empty());
    }

    #[test]
    fn updates_follow_the_slots() {
        let a = bag(&[(0, 1.0)]);
        let b2 = bag(&[(1, 1.0)]);
        let c = bag(&[(0, 1.0), (1, 1.0)]);
        let mut p = Postings::new([(&a, 1.0), (&b2, 1.0), (&c, 2.0)].into_iter());
        // Slot 0 is removed; the last document (c) takes slot 0.
        p.swap_remove(0, &a, &c);
        assert_eq!(p.lens.len(), 2);
        assert_eq!(p.top(&[(0, 1.0)], 10, 1.2, 0.75), vec![0]);
        let mut both = p.top(&[(1, 1.0)], 10, 1.2, 0.75);
        both.sort_unstable();
        assert_eq!(both, vec![0, 1]);
        // Slot 1 now has term 0 instead of term 1.
        p.replace(1, &b2, &a, 1.0);
        assert_eq!(p.top(&[(1, 1.0)], 10, 1.2, 0.75), vec![0]);
        let mut zero = p.top(&[(0, 1.0)], 10, 1.2, 0.75);
        zero.sort_unstable();
        assert_eq!(zero, vec![0, 1]);
        // Removing the last slot needs no relabelling.
        p.swap_remove(1, &a, &a);
        assert_eq!(p.top(&[(0, 1.0)], 10, 1.2, 0.75), vec![0]);
        assert_eq!(p.lens.len(), 1);
        assert!((p.len_sum - 2.0).abs() < 1e-9);
    }
}
