//! Free-text search over teams or demands: BM25 hits from the text index, each with a highlighted snippet.

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
        let terms: Vec<(String, f32)> = counts
            .into_iter()
            .map(|(t, c)| (t, corpus::dampen(c)))
            .collect();
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let highlight_terms: HashSet<String> = terms.iter().map(|(t, _)| t.clone()).collect();
        let state = self.read()?;
        let hits = self.index.retrieve(kind, &terms, limit)?;
        let mut out = Vec::with_capacity(hits.len());
        for (key, score) in hits {
            let (id, title, body) = match kind {
                DocKind::Team => {
                    let Some(slot) = state.team_slots.by_key(key) else {
                        continue;
                    };
                    let team = &state.data.teams[slot];
                    (
                        team.id.0.clone(),
                        team.name.clone(),
                        team_search_text(team, &highlight_terms, &self.analyzer),
                    )
                }
                DocKind::Demand => {
                    let Some(slot) = state.demand_slots.by_key(key) else {
                        continue;
                    };
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
                snippet,
            });
        }
        Ok(out)
    }
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
