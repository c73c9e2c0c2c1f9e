//! In-memory inverted lists of one side's term bags, from which large datasets draw the lexical candidates
//! that are then scored in full.
//!
//! A list holds `(slot, tf)` for every document of the side that has the term, in no particular order.
//! [`Postings::top`] scores the documents of a weighted query term at a time with BM25 (the document
//! lengths of the side, `k1` and `b` of the scoring configuration) and keeps the best. The lists follow
//! the engine's slots, including `swap_remove` on deletion, so they never need a rebuild.
//!
//! A side has few distinct tf values (field-boosted or dampened counts), so the first 256 are listed once
//! and an entry is one `u32`: the slot in its low 24 bits, the index of its tf in the high 8. An entry
//! whose tf is not listed, or whose slot needs more than 24 bits, is kept whole in a spill list of its
//! term. Either way the tf read back is the very same `f32`.

use rustc_hash::FxHashMap;

use super::packed::Packed;
use super::topk::top_k;

/// Slots below this fit an entry's low 24 bits.
const SLOT_LIMIT: u32 = 1 << 24;

/// Most tf values listed (indices are 8 bits).
const LISTED_MAX: usize = 256;

#[derive(Debug, Default)]
pub(super) struct Postings {
    /// Term id → entries `slot | tf index << 24`.
    lists: Vec<Vec<u32>>,
    /// Term id → `(slot, tf)` of the entries that do not fit one `u32`.
    spill: FxHashMap<u32, Vec<(u32, f32)>>,
    /// The listed tf values and their bits → index.
    listed: Vec<f32>,
    listed_index: FxHashMap<u32, u8>,
    /// Length of each slot's bag.
    lens: Vec<f32>,
    len_sum: f64,
}

impl Postings {
    /// The lists of `docs` (slot order) with the length of each bag.
    pub(super) fn new<'b>(docs: impl Iterator<Item = (&'b Packed, f32)>) -> Postings {
        let mut p = Postings::default();
        for (bag, len) in docs {
            p.push(bag, len);
        }
        for list in &mut p.lists {
            list.shrink_to_fit();
        }
        p
    }

    /// The index of `tf` in the listed values, listing it when there is room.
    fn index_of(&mut self, tf: f32) -> Option<u8> {
        if let Some(&i) = self.listed_index.get(&tf.to_bits()) {
            return Some(i);
        }
        if self.listed.len() >= LISTED_MAX {
            return None;
        }
        let i = self.listed.len() as u8;
        self.listed.push(tf);
        self.listed_index.insert(tf.to_bits(), i);
        Some(i)
    }

    fn add_entries(&mut self, slot: usize, bag: impl Iterator<Item = (u32, f32)>) {
        for (t, tf) in bag {
            let index = self.index_of(tf);
            match index {
                Some(i) if (slot as u32) < SLOT_LIMIT => {
                    let t = t as usize;
                    if self.lists.len() <= t {
                        self.lists.resize_with(t + 1, Vec::new);
                    }
                    push_gently(&mut self.lists[t], slot as u32 | u32::from(i) << 24);
                }
                _ => push_gently(self.spill.entry(t).or_default(), (slot as u32, tf)),
            }
        }
    }

    fn remove_entries(&mut self, slot: usize, terms: impl Iterator<Item = u32>) {
        for t in terms {
            if let Some(list) = self.lists.get_mut(t as usize)
                && let Some(at) = list.iter().position(|&e| entry_slot(e) == slot)
            {
                list.swap_remove(at);
            } else if let Some(list) = self.spill.get_mut(&t)
                && let Some(at) = list.iter().position(|&(s, _)| s as usize == slot)
            {
                list.swap_remove(at);
                if list.is_empty() {
                    self.spill.remove(&t);
                }
            }
        }
    }

    /// Heap bytes held by the lists.
    pub(super) fn bytes(&self) -> usize {
        self.lists.iter().map(|l| l.capacity() * 4).sum::<usize>()
            + self.lists.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.spill.values().map(|l| l.capacity() * 8).sum::<usize>()
            + self.lens.capacity() * 4
    }

    /// Appends a document at the next slot.
    pub(super) fn push(&mut self, bag: &Packed, len: f32) {
        self.push_entries(bag.iter(), len);
    }

    /// [`Postings::push`] given the bag's `(term, tf)` entries.
    fn push_entries(&mut self, bag: impl Iterator<Item = (u32, f32)>, len: f32) {
        let slot = self.lens.len();
        self.add_entries(slot, bag);
        self.lens.push(len);
        self.len_sum += f64::from(len);
    }

    /// Replaces the document at `slot` (`old` is the bag it had).
    pub(super) fn replace(&mut self, slot: usize, old: &Packed, bag: &Packed, len: f32) {
        self.replace_entries(slot, old.terms(), bag.iter(), len);
    }

    /// [`Postings::replace`] given the old bag's terms and the new bag's entries.
    fn replace_entries(
        &mut self,
        slot: usize,
        old: impl Iterator<Item = u32>,
        bag: impl Iterator<Item = (u32, f32)>,
        len: f32,
    ) {
        self.remove_entries(slot, old);
        self.add_entries(slot, bag);
        if let Some(l) = self.lens.get_mut(slot) {
            self.len_sum += f64::from(len) - f64::from(*l);
            *l = len;
        }
    }

    /// Removes the document at `slot` (bag `old`) as `Vec::swap_remove` does: the last document, whose
    /// bag is `last`, takes its slot.
    pub(super) fn swap_remove(&mut self, slot: usize, old: &Packed, last: &Packed) {
        self.swap_remove_terms(slot, old.terms(), last.terms());
    }

    /// [`Postings::swap_remove`] given the terms of both bags.
    fn swap_remove_terms(
        &mut self,
        slot: usize,
        old: impl Iterator<Item = u32>,
        last: impl Iterator<Item = u32>,
    ) {
        if slot >= self.lens.len() {
            return;
        }
        self.remove_entries(slot, old);
        let from = self.lens.len() - 1;
        if slot < from {
            for t in last {
                // `slot < from`: an entry that fits one `u32` still fits with the new slot.
                if let Some(entry) = self
                    .lists
                    .get_mut(t as usize)
                    .and_then(|list| list.iter_mut().find(|e| entry_slot(**e) == from))
                {
                    *entry = slot as u32 | (*entry & !(SLOT_LIMIT - 1));
                } else if let Some(entry) = self
                    .spill
                    .get_mut(&t)
                    .and_then(|list| list.iter_mut().find(|(s, _)| *s as usize == from))
                {
                    entry.0 = slot as u32;
                }
            }
        }
        self.len_sum -= f64::from(self.lens.swap_remove(slot));
    }

    /// How many entries the lists of `terms` hold: what a BM25 pass over them reads.
    pub(super) fn entries(&self, terms: &[(u32, f32)]) -> usize {
        terms
            .iter()
            .map(|&(t, _)| {
                self.lists.get(t as usize).map_or(0, Vec::len)
                    + self.spill.get(&t).map_or(0, Vec::len)
            })
            .sum()
    }

    /// The `n` slots of highest BM25 for `terms` (`(term, weight)`; weights carry the query weight and the
    /// idf), best first; documents without any of the terms are never returned.
    pub(super) fn top(&self, terms: &[(u32, f32)], n: usize, k1: f32, b: f32) -> Vec<usize> {
        if n == 0 || self.lens.is_empty() {
            return Vec::new();
        }
        let avg = (self.len_sum / self.lens.len() as f64).max(f64::MIN_POSITIVE) as f32;
        let mut hits = self.bm25(terms, |s| k1 * (1.0 - b + b * self.lens[s] / avg));
        hits.retain(|&(_, v)| v > 0.0);
        top_k(&mut hits, n);
        hits.into_iter().map(|(s, _)| s).collect()
    }

    /// `(slot, Σ w·tf / (tf + norm(slot)))` for every document with at least one of `terms`, in no
    /// particular order. Each document's sum is taken in the order of `terms`, so with terms sorted by id
    /// it is, bit for bit, the sum a merge of the document's bag with the terms would give.
    pub(super) fn bm25(
        &self,
        terms: &[(u32, f32)],
        norm: impl Fn(usize) -> f32,
    ) -> Vec<(usize, f32)> {
        self.accumulate(terms, |w, tf, s| w * tf / (tf + norm(s)))
    }

    /// [`Postings::bm25`] for every document at once: adds each document's sum to `out[slot]` (`out` as
    /// long as the side), where the norm of a document is `norm(its length)`, taken once per document.
    /// With `out` at 0, each sum is the very one [`Postings::bm25`] gives.
    pub(super) fn bm25_into(
        &self,
        terms: &[(u32, f32)],
        norm: impl Fn(f32) -> f32,
        out: &mut [f32],
    ) {
        let norms: Vec<f32> = self.lens.iter().map(|&len| norm(len)).collect();
        for &(t, w) in terms {
            if w <= 0.0 {
                continue;
            }
            for &e in self.lists.get(t as usize).map_or(&[][..], Vec::as_slice) {
                let (s, tf) = (entry_slot(e), self.listed[(e >> 24) as usize]);
                out[s] += w * tf / (tf + norms[s]);
            }
            for &(s, tf) in self.spill.get(&t).into_iter().flatten() {
                let s = s as usize;
                out[s] += w * tf / (tf + norms[s]);
            }
        }
    }

    /// `(slot, Σ w·tf)` for every document with at least one of `terms`, in no particular order; each
    /// document's sum is taken in the order of `terms`.
    pub(super) fn linear(&self, terms: &[(u32, f32)]) -> Vec<(usize, f32)> {
        self.accumulate(terms, |w, tf, _| w * tf)
    }

    /// `(slot, Σ part(w, tf, slot))` over the listed entries of every term of positive weight, summed in
    /// the order of `terms`, for every document with at least one.
    fn accumulate(
        &self,
        terms: &[(u32, f32)],
        part: impl Fn(f32, f32, usize) -> f32,
    ) -> Vec<(usize, f32)> {
        SCRATCH.with_borrow_mut(|(scores, touched)| {
            if scores.len() < self.lens.len() {
                scores.resize(self.lens.len(), 0.0);
            }
            for &(t, w) in terms {
                if w <= 0.0 {
                    continue;
                }
                let list = self.lists.get(t as usize).map_or(&[][..], Vec::as_slice);
                let listed = list
                    .iter()
                    .map(|&e| (entry_slot(e) as u32, self.listed[(e >> 24) as usize]));
                let spilled = if self.spill.is_empty() {
                    None
                } else {
                    self.spill.get(&t)
                };
                for (slot, tf) in listed.chain(spilled.into_iter().flatten().copied()) {
                    let s = slot as usize;
                    if scores[s] == 0.0 {
                        touched.push(slot);
                    }
                    scores[s] += part(w, tf, s);
                }
            }
            touched
                .drain(..)
                .map(|s| {
                    let s = s as usize;
                    (s, std::mem::take(&mut scores[s]))
                })
                .collect()
        })
    }
}

/// Inverted lists of bags keyed by 32-bit hashes (character bigrams): each key gets a dense id the first
/// time it is met, and the lists are those of [`Postings`] over the ids.
#[derive(Debug, Default)]
pub(super) struct KeyedPostings {
    ids: FxHashMap<u32, u32>,
    postings: Postings,
}

impl KeyedPostings {
    /// The lists of `docs` (slot order) with the length of each bag.
    pub(super) fn new<'b>(docs: impl Iterator<Item = (&'b Packed, f32)>) -> KeyedPostings {
        let mut p = KeyedPostings::default();
        for (bag, len) in docs {
            p.push(bag, len);
        }
        p
    }

    fn id(&mut self, key: u32) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(key).or_insert(next)
    }

    fn entries(&mut self, bag: &Packed) -> Vec<(u32, f32)> {
        bag.iter().map(|(k, tf)| (self.id(k), tf)).collect()
    }

    fn terms(&mut self, bag: &Packed) -> Vec<u32> {
        bag.terms().map(|k| self.id(k)).collect()
    }

    pub(super) fn bytes(&self) -> usize {
        self.postings.bytes() + self.ids.capacity() * 8
    }

    /// See [`Postings::push`].
    pub(super) fn push(&mut self, bag: &Packed, len: f32) {
        let entries = self.entries(bag);
        self.postings.push_entries(entries.into_iter(), len);
    }

    /// See [`Postings::replace`].
    pub(super) fn replace(&mut self, slot: usize, old: &Packed, bag: &Packed, len: f32) {
        let (old, entries) = (self.terms(old), self.entries(bag));
        self.postings
            .replace_entries(slot, old.into_iter(), entries.into_iter(), len);
    }

    /// See [`Postings::swap_remove`].
    pub(super) fn swap_remove(&mut self, slot: usize, old: &Packed, last: &Packed) {
        let (old, last) = (self.terms(old), self.terms(last));
        self.postings
            .swap_remove_terms(slot, old.into_iter(), last.into_iter());
    }

    /// [`Postings::linear`] for `(key, weight)` terms.
    pub(super) fn linear(&self, terms: &[(u32, f32)]) -> Vec<(usize, f32)> {
        self.postings.linear(&self.ids_of(terms))
    }

    /// [`Postings::bm25_into`] for `(key, weight)` terms.
    pub(super) fn bm25_into(
        &self,
        terms: &[(u32, f32)],
        norm: impl Fn(f32) -> f32,
        out: &mut [f32],
    ) {
        self.postings.bm25_into(&self.ids_of(terms), norm, out);
    }

    /// `(term id, weight)` of the keys that have a list.
    fn ids_of(&self, terms: &[(u32, f32)]) -> Vec<(u32, f32)> {
        terms
            .iter()
            .filter_map(|&(k, w)| self.ids.get(&k).map(|&id| (id, w)))
            .collect()
    }
}

/// Pushes `x`, growing a full `v` by an eighth (at least 4) rather than doubling it: lists built at their
/// size and then written to one entry at a time (a write touches hundreds of lists) stay within an eighth
/// of their length, with growth still amortised.
pub(super) fn push_gently<T>(v: &mut Vec<T>, x: T) {
    reserve_gently(v, 1);
    v.push(x);
}

/// Makes room for `additional` more items in `v` as [`push_gently`] does.
pub(super) fn reserve_gently<T>(v: &mut Vec<T>, additional: usize) {
    if v.capacity() - v.len() < additional {
        v.reserve_exact(additional.max(v.len() / 8).max(4));
    }
}

/// The slot of an entry.
fn entry_slot(entry: u32) -> usize {
    (entry & (SLOT_LIMIT - 1)) as usize
}

thread_local! {
    /// Per-thread score table of [`Postings::bm25`] (all zero between calls) and the slots it touched.
    static SCRATCH: std::cell::RefCell<(Vec<f32>, Vec<u32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(terms: &[(u32, f32)]) -> Packed {
        Packed::new(terms)
    }

    #[test]
    fn ranks_by_bm25_and_skips_non_matching() {
        let docs = [
            bag(&[(0, 1.0), (1, 1.0)]),
            bag(&[(0, 3.0)]),
            bag(&[(2, 1.0)]),
        ];
        let p = Postings::new(docs.iter().map(|b| (b, b.weight_sum())));
        // Term 0 alone: the document with tf 3 first; the one without term 0 never appears.
        assert_eq!(p.top(&[(0, 1.0)], 10, 1.2, 0.75), vec![1, 0]);
        // A heavy rare term decides.
        assert_eq!(p.top(&[(0, 0.1), (1, 5.0)], 1, 1.2, 0.75), vec![0]);
        assert!(p.top(&[(7, 1.0)], 10, 1.2, 0.75).is_empty());
    }

    #[test]
    fn values_beyond_the_listed_ones_are_kept_whole() {
        // 300 documents, each with its own tf of term 0: 256 are listed, 44 spill, and all rank alike.
        let docs: Vec<Packed> = (0..300u32)
            .map(|i| bag(&[(0, 1.0 + i as f32 * 0.25), (1, 1.0)]))
            .collect();
        let mut p = Postings::new(docs.iter().map(|b| (b, 10.0)));
        assert_eq!(p.listed.len(), LISTED_MAX);
        assert_eq!(p.spill.get(&0).map(Vec::len), Some(44));
        let want: Vec<usize> = (0..300).rev().collect();
        assert_eq!(p.top(&[(0, 1.0)], 300, 1.2, 0.75), want);
        // Removing a listed document moves the last (spilled) one into its slot, which keeps its tf.
        p.swap_remove(3, &docs[3], &docs[299]);
        let top = p.top(&[(0, 1.0)], 2, 1.2, 0.75);
        assert_eq!(top, vec![3, 298]);
        // Replacing a spilled document with a listed tf lists it.
        p.replace(280, &docs[280], &docs[0], 10.0);
        assert!(p.spill.get(&0).is_some_and(|l| l.len() == 43));
        let all = p.top(&[(0, 1.0)], 300, 1.2, 0.75);
        let mut lowest = all[all.len() - 2..].to_vec();
        lowest.sort_unstable();
        assert_eq!(lowest, vec![0, 280]);
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
