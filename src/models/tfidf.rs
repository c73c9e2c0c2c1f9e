//! TF-IDF weighting over a pruned vocabulary: sublinear term frequency (`1 + ln tf`), smoothed inverse
//! document frequency (`ln((1 + n) / (1 + df)) + 1`), rows normalised to unit length.
//!
//! Pruning keeps terms that occur in at least `min_df` documents and in at most `max_df_ratio` of them, then
//! the `max_features` most frequent of those: a term seen once cannot relate two documents, and a term seen
//! everywhere separates none.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Vocabulary pruning parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TfidfParams {
    pub min_df: u32,
    pub max_df_ratio: f32,
    pub max_features: usize,
}

impl Default for TfidfParams {
    fn default() -> Self {
        TfidfParams {
            min_df: 2,
            max_df_ratio: 0.5,
            max_features: 150_000,
        }
    }
}

/// A fitted vocabulary with its idf weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Tfidf {
    terms: Vec<String>,
    idf: Vec<f32>,
    lookup: HashMap<String, u32>,
}

impl Tfidf {
    /// Fits the vocabulary on `docs`, each a list of `(term id, count)` over the term table `terms`.
    pub fn fit(terms: &[String], docs: &[&[(u32, f32)]], params: &TfidfParams) -> Tfidf {
        let mut df = vec![0u32; terms.len()];
        for doc in docs {
            for &(term, count) in doc.iter() {
                if count > 0.0
                    && let Some(d) = df.get_mut(term as usize)
                {
                    *d += 1;
                }
            }
        }
        let n = docs.len();
        let max_df = ((params.max_df_ratio * n as f32).floor() as u32).max(params.min_df);
        let mut kept: Vec<u32> = (0..terms.len() as u32)
            .filter(|&t| df[t as usize] >= params.min_df && df[t as usize] <= max_df)
            .collect();
        // Most frequent first, ties by term text, so that the vocabulary does not depend on id order.
        kept.sort_by(|&a, &b| {
            df[b as usize]
                .cmp(&df[a as usize])
                .then_with(|| terms[a as usize].cmp(&terms[b as usize]))
        });
        kept.truncate(params.max_features);
        kept.sort_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        let vocab: Vec<String> = kept.iter().map(|&t| terms[t as usize].clone()).collect();
        let idf = kept
            .iter()
            .map(|&t| ((1.0 + n as f32) / (1.0 + df[t as usize] as f32)).ln() + 1.0)
            .collect();
        Tfidf::from_parts(vocab, idf)
    }

    /// Rebuilds a model from its vocabulary and idf weights (as saved).
    pub fn from_parts(terms: Vec<String>, idf: Vec<f32>) -> Tfidf {
        let lookup = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Tfidf { terms, idf, lookup }
    }

    /// Number of terms in the vocabulary.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The vocabulary, by column.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The idf weights, by column.
    pub fn idf(&self) -> &[f32] {
        &self.idf
    }

    /// Column of a term, if it is in the vocabulary.
    pub fn column(&self, term: &str) -> Option<u32> {
        self.lookup.get(term).copied()
    }

    /// The unit-length TF-IDF row of a document given as `(column, count)` pairs (columns may repeat).
    pub fn weigh(&self, counts: impl IntoIterator<Item = (u32, f32)>) -> Vec<(u32, f32)> {
        let mut row: Vec<(u32, f32)> = counts
            .into_iter()
            .filter(|&(c, n)| (c as usize) < self.idf.len() && n > 0.0)
            .collect();
        row.sort_unstable_by_key(|&(c, _)| c);
        let mut merged: Vec<(u32, f32)> = Vec::with_capacity(row.len());
        for (c, n) in row {
            match merged.last_mut() {
                Some(last) if last.0 == c => last.1 += n,
                _ => merged.push((c, n)),
            }
        }
        let mut norm = 0.0f32;
        for (c, w) in merged.iter_mut() {
            *w = (1.0 + w.ln()) * self.idf[*c as usize];
            norm += *w * *w;
        }
        if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            merged.iter_mut().for_each(|(_, w)| *w *= inv);
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prunes_and_weighs() {
        let terms: Vec<String> = ["电池", "热失控", "视觉", "罕见"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let d1: &[(u32, f32)] = &[(0, 2.0), (1, 1.0)];
        let d2: &[(u32, f32)] = &[(0, 1.0), (1, 1.0), (3, 1.0)];
        let d3: &[(u32, f32)] = &[(2, 1.0)];
        let d4: &[(u32, f32)] = &[(2, 3.0), (0, 1.0)];
        let params = TfidfParams {
            min_df: 2,
            max_df_ratio: 0.6,
            max_features: 10,
        };
        let model = Tfidf::fit(&terms, &[d1, d2, d3, d4], &params);
        // 电池 is in 3 of 4 documents (> 0.6), 罕见 in one: both pruned.
        assert_eq!(model.terms(), ["热失控", "视觉"]);
        let idf = ((1.0f32 + 4.0) / (1.0 + 2.0)).ln() + 1.0;
        assert!((model.idf()[0] - idf).abs() < 1e-6);
        let row = model.weigh([(1, 3.0), (0, 1.0)]);
        // Sublinear tf: 1 + ln 3 against 1, same idf, then unit length.
        let (a, b) = (1.0f32, 1.0 + 3.0f32.ln());
        let norm = (a * a + b * b).sqrt();
        assert_eq!(row.len(), 2);
        assert!((row[0].1 - a / norm).abs() < 1e-6 && (row[1].1 - b / norm).abs() < 1e-6);
        assert!(model.weigh([(7, 1.0)]).is_empty());
    }
}
