//! Pair scores for pairing proposals from the service's [`Matcher`]: the bridge from the matching
//! engine's rankings and typed explanations to the pairing module's [`PairScorer`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Matcher, MatcherError};
use crate::domain::{DemandId, TeamId};
use crate::matching::Explanation;
use crate::pairing::{PairEvidence, PairScorer};

/// [`PairScorer`] over the service's [`Matcher`]: pair scores of every demand in scope from one
/// `rank_teams_many` call (no explanations), and, for the pairs a batch explains, the matched terms and
/// best achievement of `score_pair`'s explanation as evidence.
pub struct MatcherScorer {
    matcher: Arc<dyn Matcher>,
    evidence: Mutex<HashMap<(DemandId, TeamId), PairEvidence>>,
    failure: Mutex<Option<MatcherError>>,
}

impl std::fmt::Debug for MatcherScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatcherScorer").finish_non_exhaustive()
    }
}

impl MatcherScorer {
    pub fn new(matcher: Arc<dyn Matcher>) -> Self {
        MatcherScorer {
            matcher,
            evidence: Mutex::new(HashMap::new()),
            failure: Mutex::new(None),
        }
    }

    fn record_failure(&self, err: MatcherError) {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(err);
    }

    /// The first matcher failure met while scoring (unknown demands are not failures).
    pub fn failure(&self) -> Option<MatcherError> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The matched terms (at most ten) and the best achievement's title of an engine explanation.
fn evidence_of(explanation: &Explanation) -> PairEvidence {
    PairEvidence {
        terms: (explanation.matched_terms.iter().take(10))
            .map(|t| (t.term.clone(), t.weight))
            .collect(),
        achievement: (explanation.best_achievement.as_ref())
            .map(|a| a.title.clone())
            .filter(|title| !title.is_empty()),
    }
}

impl PairScorer for MatcherScorer {
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)> {
        match self.matcher.teams_for_demand(demand, limit) {
            Ok(matches) => {
                let mut evidence = Vec::with_capacity(matches.len());
                let out = matches
                    .into_iter()
                    .map(|m| {
                        let ev = evidence_of(&m.explanation);
                        if !ev.terms.is_empty() || ev.achievement.is_some() {
                            evidence.push(((demand.clone(), m.team_id.clone()), ev));
                        }
                        (m.team_id, m.score)
                    })
                    .collect();
                self.evidence
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(evidence);
                out
            }
            Err(MatcherError::Unknown(_)) => Vec::new(),
            Err(err) => {
                self.record_failure(err);
                Vec::new()
            }
        }
    }

    fn teams_for_all(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Vec<Vec<(TeamId, f32)>> {
        match self.matcher.rank_teams_many(demands, limit, progress) {
            Ok(lists) => lists,
            Err(err) => {
                self.record_failure(err);
                vec![Vec::new(); demands.len()]
            }
        }
    }

    fn explain(&self, demand: &DemandId, team: &TeamId) -> Option<PairEvidence> {
        let key = (demand.clone(), team.clone());
        if let Some(ev) = self
            .evidence
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Some(ev.clone());
        }
        let ev = match self.matcher.score_pair(demand, team) {
            Ok(m) => evidence_of(&m?.explanation),
            Err(MatcherError::Unknown(_)) => return None,
            Err(err) => {
                self.record_failure(err);
                return None;
            }
        };
        self.evidence
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, ev.clone());
        Some(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_takes_ten_matched_terms_and_no_missing_achievement() {
        let explanation = Explanation {
            degree: crate::matching::Degree::of(0.5),
            contributions: Vec::new(),
            matched_terms: (0..12)
                .map(|i| crate::matching::MatchedTerm {
                    term: format!("t{i}"),
                    weight: 0.5,
                })
                .collect(),
            best_achievement: None,
            relevant_achievements: 0,
            shared_track: None,
            cluster: None,
            summary: String::new(),
            summary_en: String::new(),
        };
        let ev = evidence_of(&explanation);
        assert_eq!(ev.terms.len(), 10);
        assert_eq!(ev.terms[0], ("t0".to_owned(), 0.5));
        assert_eq!(ev.achievement, None);
    }
}
