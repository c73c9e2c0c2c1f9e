//! Free-text search over teams or demands: BM25 hits from the text index, each with a highlighted snippet.
//!
//! The rule that respects words: a hit holding more of the query's whole words (碳化硅, not its parts
//! 碳化 or 化硅) ranks before one holding fewer, whatever their BM25 scores; BM25 orders hits within a
//! tier. So 碳化硅 finds 碳化硅 demands before 氮化硅 or 混凝土碳化养护, which share only characters.

use std::collections::{HashMap, HashSet};

use super::corpus;
use super::{DocKind, Engine, MatchError, SearchHit};
use crate::analysis::Analyzer;
use crate::domain::Team;
use crate::text_index;

impl Engine {
    /// Free-text search over teams or demands: BM25 hits with a highlighted snippet.
    pub fn search(
        &self,
        text: &str,
        kind: DocKind,
        limit: usize,
    ) -> Result<Vec<SearchHit>, MatchError> {
        let mut counts: HashMap<String, f32> = HashMap::new();
        self.analyzer.for_each_token(text, |term, _, _| {
            *counts.entry(term.to_owned()).or_insert(0.0) += 1.0
        });
        let mut terms: Vec<(String, f32)> = counts
            .into_iter()
            .map(|(t, c)| (t, corpus::dampen(c)))
            .collect();
        // In term order: the scores and coverages sum term by term, so the same query gives the same
        // figures, bit for bit, every time (a hash map's order changes from one query to the next).
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let highlight_terms: HashSet<String> = terms.iter().map(|(t, _)| t.clone()).collect();
        let words = query_words(&self.analyzer, text);
        let state = self.read()?;
        // A deeper pool than asked for, so that hits holding the whole words can move up into the page.
        let pool = if words.is_empty() {
            limit
        } else {
            limit.saturating_mul(4).max(200)
        };
        let hits = self.index.retrieve(kind, &terms, pool)?;
        // (whole words held, score, slot, rank in the index's order, searchable text)
        let mut tiered: Vec<(usize, f32, usize, f32, String)> = Vec::with_capacity(hits.len());
        for (i, &(key, score)) in hits.iter().enumerate() {
            let found = match kind {
                DocKind::Team => state
                    .team_slots
                    .by_key(key)
                    .map(|slot| (slot, team_text(&state.data.teams[slot]))),
                DocKind::Demand => state
                    .demand_slots
                    .by_key(key)
                    .map(|slot| (slot, demand_text(&state.data.demands[slot]))),
            };
            if let Some((slot, text)) = found {
                tiered.push((words_held(&words, &text), score, slot, i as f32, text));
            }
        }
        // More whole words first; then the index's order (BM25, ties as the index breaks them).
        tiered.sort_by(|a, b| b.0.cmp(&a.0).then(a.3.total_cmp(&b.3)));
        tiered.truncate(limit);
        // Coverage for the hits kept only.
        let weights = QueryWeights::new(&state, kind, &terms);
        let mut out = Vec::with_capacity(tiered.len());
        for (_, score, slot, _, text) in tiered {
            let coverage = weights.coverage(&text);
            let (id, title, body) = match kind {
                DocKind::Team => {
                    let team = &state.data.teams[slot];
                    (
                        team.id.0.clone(),
                        team.name.clone(),
                        team_search_text(team, &highlight_terms, &self.analyzer),
                    )
                }
                DocKind::Demand => {
                    let demand = &state.data.demands[slot];
                    let body = if demand.description.is_empty() {
                        demand.title.clone()
                    } else {
                        demand.description.clone()
                    };
                    (demand.id.0.clone(), demand.title.clone(), body)
                }
            };
            let snippet = text_index::highlight(&self.analyzer, &body, &highlight_terms, 120);
            out.push(SearchHit {
                kind,
                id,
                title,
                score,
                coverage,
                snippet,
            });
        }
        Ok(out)
    }
}

/// The query's whole words of two characters or more, lower-cased as they are written.
fn query_words(analyzer: &Analyzer, text: &str) -> Vec<String> {
    let mut words: Vec<String> = analyzer
        .whole_words(text)
        .into_iter()
        .map(|(_, surface)| surface.to_lowercase())
        .filter(|w| w.chars().count() >= 2)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// How many of `words` occur whole in `text` (lower-cased).
fn words_held(words: &[String], text: &str) -> usize {
    words.iter().filter(|w| text.contains(w.as_str())).count()
}

/// The query's terms that occur on one side, lower-cased, each with its weight times its idf there, and
/// their total: what [`QueryWeights::coverage`] shares out. A term no document of the side holds can be
/// held by no hit, and is left out.
struct QueryWeights {
    terms: Vec<(String, f32)>,
    total: f32,
}

impl QueryWeights {
    fn new(state: &super::state::State, kind: DocKind, terms: &[(String, f32)]) -> QueryWeights {
        let df = match kind {
            DocKind::Team => &state.team_df,
            DocKind::Demand => &state.demand_df,
        };
        let terms: Vec<(String, f32)> = terms
            .iter()
            .filter_map(|(term, w)| {
                let id = state.interner.get(term)?;
                (df.df(id) > 0).then(|| (term.to_lowercase(), w * df.idf(id)))
            })
            .collect();
        QueryWeights::from_terms(terms)
    }

    fn from_terms(terms: Vec<(String, f32)>) -> QueryWeights {
        let total = terms.iter().map(|(_, w)| w).sum();
        QueryWeights { terms, total }
    }

    /// The part of the total that occurs in `text` (lower-cased), in [0, 1]; 0 for a query with no
    /// weighted term.
    fn coverage(&self, text: &str) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let held: f32 = self
            .terms
            .iter()
            .filter(|(t, _)| text.contains(t.as_str()))
            .map(|(_, w)| w)
            .sum();
        (held / self.total).clamp(0.0, 1.0)
    }
}

/// A demand's searchable text, lower-cased.
fn demand_text(d: &crate::domain::Demand) -> String {
    format!("{} {} {}", d.title, d.keywords.join(" "), d.description).to_lowercase()
}

/// A team's searchable text, lower-cased.
fn team_text(t: &Team) -> String {
    let mut text = format!(
        "{} {} {} {} ",
        t.name,
        t.fields.join(" "),
        t.keywords.join(" "),
        t.description
    );
    for a in &t.achievements {
        text.push_str(&corpus::achievement_text(a));
        text.push(' ');
    }
    text.to_lowercase()
}

/// Text shown for a team search hit: the achievement or description holding the query terms, else the
/// description.
fn team_search_text(team: &Team, terms: &HashSet<String>, analyzer: &Analyzer) -> String {
    let mut best = (0usize, team.description.clone());
    let candidates = std::iter::once(team.description.clone())
        .chain(team.achievements.iter().map(corpus::achievement_text));
    for text in candidates {
        let mut hits = 0;
        analyzer.for_each_token(&text, |t, _, _| {
            if terms.contains(t) {
                hits += 1;
            }
        });
        if hits > best.0 {
            best = (hits, text);
        }
    }
    if best.1.is_empty() {
        team.name.clone()
    } else {
        best.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_is_the_weighted_share_of_the_query_the_text_holds() {
        let weighted = QueryWeights::from_terms(vec![
            ("氧化石墨烯".to_owned(), 6.0),
            ("制备".to_owned(), 3.0),
            ("问题".to_owned(), 1.0),
        ]);
        let coverage = |text: &str| weighted.coverage(text);
        let close = (coverage("氧化石墨烯原料降本，需要新的制备路线") - 0.9).abs();
        assert!(close < 1e-6);
        // Common words alone hold little of the query.
        let common = (coverage("解决现场的问题") - 0.1).abs();
        assert!(common < 1e-6);
        assert_eq!(coverage("电池热失控"), 0.0);
        assert_eq!(coverage("问题 制备 氧化石墨烯"), 1.0);
        assert_eq!(
            QueryWeights::from_terms(Vec::new()).coverage("任何文本"),
            0.0
        );
    }
}
