//! The character-bigram field: a second lexical view of a text that does not depend on word segmentation.
//!
//! Each run of CJK ideographs gives its overlapping character bigrams (a run of one character gives that
//! character); each run of Latin letters gives the lower-cased word and each run of digits the number. Keys
//! are 32-bit hashes (a collision merely adds a little noise to one term's weight). Segmentation can cut
//! the same phrase differently in a short title and in a long abstract (新型储能 / 新型 储能); bigrams match
//! either way, so BM25 on bigrams, added with a small weight to BM25 on words, finds the exact text a
//! title or keyword list came from more reliably.

use rustc_hash::FxHashMap;

use super::corpus::bm25_idf;
use super::packed::Packed;
use crate::analysis::is_han;

/// Adds `weight` for each bigram key of `text` to `acc`.
pub(crate) fn add(text: &str, weight: f32, acc: &mut FxHashMap<u32, f32>) {
    if weight <= 0.0 {
        return;
    }
    let mut emit = |key: u32| *acc.entry(key).or_insert(0.0) += weight;
    let mut chars = text.chars().map(fold).peekable();
    while let Some(c) = chars.next() {
        if is_han(c) {
            let mut prev = c;
            let mut run = 1;
            while let Some(&next) = chars.peek() {
                if !is_han(next) {
                    break;
                }
                emit(pair_key(prev, next));
                prev = next;
                run += 1;
                chars.next();
            }
            if run == 1 {
                emit(pair_key(c, '\0'));
            }
        } else if c.is_ascii_alphabetic() || c.is_ascii_digit() {
            let alpha = c.is_ascii_alphabetic();
            let mut h = word_seed(alpha);
            h = mix(h, c.to_ascii_lowercase() as u32);
            while let Some(&next) = chars.peek() {
                let same = if alpha {
                    next.is_ascii_alphabetic()
                } else {
                    next.is_ascii_digit()
                };
                if !same {
                    break;
                }
                h = mix(h, next.to_ascii_lowercase() as u32);
                chars.next();
            }
            emit(finish(h));
        }
    }
}

/// Bigram document frequencies of one side (keys are sparse hashes, hence a map).
#[derive(Debug, Default, Clone)]
pub(crate) struct BigramFrequencies {
    df: FxHashMap<u32, u32>,
    pub docs: u32,
    pub len_sum: f64,
    /// The idf of every key, computed on first use after a change.
    idf: std::sync::OnceLock<FxHashMap<u32, f32>>,
}

impl BigramFrequencies {
    pub(crate) fn add(&mut self, bag: &Packed, len: f32) {
        self.docs += 1;
        self.len_sum += f64::from(len);
        self.idf = std::sync::OnceLock::new();
        for k in bag.terms() {
            *self.df.entry(k).or_insert(0) += 1;
        }
    }

    pub(crate) fn remove(&mut self, bag: &Packed, len: f32) {
        self.docs = self.docs.saturating_sub(1);
        self.len_sum = (self.len_sum - f64::from(len)).max(0.0);
        self.idf = std::sync::OnceLock::new();
        for k in bag.terms() {
            if let Some(d) = self.df.get_mut(&k) {
                *d = d.saturating_sub(1);
                if *d == 0 {
                    self.df.remove(&k);
                }
            }
        }
    }

    /// BM25 inverse document frequency (always positive), as for words.
    pub(crate) fn idf(&self, key: u32) -> f32 {
        let table = self.idf.get_or_init(|| {
            self.df
                .iter()
                .map(|(&k, &df)| (k, bm25_idf(self.docs, df)))
                .collect()
        });
        table
            .get(&key)
            .copied()
            .unwrap_or_else(|| bm25_idf(self.docs, 0))
    }

    /// Approximate heap bytes of the count and idf tables (8-byte slots plus a control byte each).
    pub(crate) fn bytes(&self) -> usize {
        9 * (self.df.capacity() + self.idf.get().map_or(0, |m| m.capacity()))
    }

    pub(crate) fn avg_len(&self) -> f32 {
        (self.len_sum / f64::from(self.docs.max(1))) as f32
    }
}

/// Full-width ASCII to half-width.
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn pair_key(a: char, b: char) -> u32 {
    finish(mix(mix(0x9E37_79B9, a as u32), b as u32))
}

fn word_seed(alpha: bool) -> u64 {
    if alpha { 0x85EB_CA6B } else { 0xC2B2_AE35 }
}

fn mix(h: u64, x: u32) -> u64 {
    (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01B3) ^ (h >> 29)
}

fn finish(mut h: u64) -> u32 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> crate::matching::corpus::Bag {
        let mut acc = FxHashMap::default();
        add(text, 1.0, &mut acc);
        crate::matching::corpus::sorted_bag(&mut acc)
    }

    #[test]
    fn chinese_runs_give_overlapping_bigrams() {
        // 新型储能 → 新型, 型储, 储能; 与 alone → 与; 电池 → 电池.
        let b = keys("新型储能，与电池");
        assert_eq!(b.len(), 5);
        assert_eq!(b.iter().map(|(_, w)| w).sum::<f32>(), 5.0);
        // The same phrase inside a longer text shares its bigrams.
        let long = keys("面向新型储能系统的热失控预警");
        let shared = keys("新型储能")
            .iter()
            .filter(|(k, _)| long.iter().any(|(l, _)| l == k))
            .count();
        assert_eq!(shared, 3);
    }

    #[test]
    fn latin_words_and_numbers_are_kept_whole_and_case_folded() {
        assert_eq!(keys("SiC MOSFET 1200V"), keys("sic ｍｏｓｆｅｔ 1200v"));
        // sic, mosfet, 1200, v
        assert_eq!(keys("SiC MOSFET 1200V").len(), 4);
        assert!(keys("，。、！").is_empty());
    }

    #[test]
    fn frequencies_count_documents_and_forget_removed_ones() {
        let mut f = BigramFrequencies::default();
        let a = Packed::new(&keys("储能电池"));
        let b = Packed::new(&keys("储能系统"));
        f.add(&a, 3.0);
        f.add(&b, 3.0);
        let common = keys("储能")[0].0;
        let rare = keys("电池")[0].0;
        assert!(f.idf(common) < f.idf(rare));
        assert!((f.avg_len() - 3.0).abs() < 1e-6);
        f.remove(&a, 3.0);
        assert_eq!(f.docs, 1);
        assert!((f.idf(rare) - f.idf(keys("无关")[0].0)).abs() < 1e-6);
    }
}
