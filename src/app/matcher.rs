//! What the service needs from a matching engine: the [`Matcher`] trait, its search hits and its
//! failures. `engine.rs` implements it over the matching engine.

use serde::Serialize;

use super::SearchKind;
use crate::domain::{Demand, DemandId, Team, TeamId};
use crate::matching::PairMatch;

/// What a [`Matcher`] answers.
pub type MatcherResult<T> = Result<T, MatcherError>;

/// What the service needs from the matching engine. Implementations are shared across threads and
/// called from blocking threads.
pub trait Matcher: Send + Sync {
    /// The best teams for a demand, best first.
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> MatcherResult<Vec<PairMatch>>;
    /// The best demands for a team, best first.
    fn demands_for_team(&self, team: &TeamId, limit: usize) -> MatcherResult<Vec<PairMatch>>;
    /// Free-text search over teams or demands, best first, with highlighted snippets.
    fn search(&self, text: &str, kind: SearchKind, limit: usize) -> MatcherResult<Vec<SearchHit>>;
    fn upsert_team(&self, team: &Team) -> MatcherResult<()>;
    fn delete_team(&self, id: &TeamId) -> MatcherResult<()>;
    fn upsert_demand(&self, demand: &Demand) -> MatcherResult<()>;
    fn delete_demand(&self, id: &DemandId) -> MatcherResult<()>;
    /// Makes pending updates durable where the matcher defers that (e.g. a text index's commit); the
    /// default has nothing pending.
    fn flush(&self) -> MatcherResult<()> {
        Ok(())
    }
    /// Does work that writes deferred (e.g. feedback a team write reset); the service calls it in the
    /// background once writes pause. The default has none.
    fn settle(&self) -> MatcherResult<()> {
        Ok(())
    }

    /// Pair scores, without explanations, of the best `limit` teams of many demands: one list per demand
    /// in the same order, empty for an unknown demand; `progress(done)` as demands get scored. Pairing
    /// proposals score every demand of their tracks through this. The default ranks one demand at a time.
    fn rank_teams_many(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize),
    ) -> MatcherResult<Vec<Vec<(TeamId, f32)>>> {
        let mut out = Vec::with_capacity(demands.len());
        for d in demands {
            out.push(match self.teams_for_demand(d, limit) {
                Ok(list) => list.into_iter().map(|m| (m.team_id, m.score)).collect(),
                Err(MatcherError::Unknown(_)) => Vec::new(),
                Err(err) => return Err(err),
            });
            if out.len() % 256 == 0 {
                progress(out.len());
            }
        }
        progress(out.len());
        Ok(out)
    }

    /// Every team's score for a demand, without explanations (what a write of the demand patches cached
    /// rankings with). The default ranks every team.
    fn team_scores(&self, demand: &DemandId) -> MatcherResult<Vec<(TeamId, f32)>> {
        Ok(self
            .teams_for_demand(demand, usize::MAX)?
            .into_iter()
            .map(|m| (m.team_id, m.score))
            .collect())
    }

    /// One pair's score with the explanation; `None` when the matcher cannot tell. The default looks the
    /// team up among the demand's best teams.
    fn score_pair(&self, demand: &DemandId, team: &TeamId) -> MatcherResult<Option<PairMatch>> {
        Ok(self
            .teams_for_demand(demand, 100)?
            .into_iter()
            .find(|m| &m.team_id == team))
    }

    /// One pair's score, as [`Matcher::score_pair`] gives it; the default takes it from there.
    fn pair_score(&self, demand: &DemandId, team: &TeamId) -> MatcherResult<Option<f32>> {
        Ok(self.score_pair(demand, team)?.map(|m| m.score))
    }
}

/// One search result from the matcher.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// Team or demand id.
    pub id: String,
    pub score: f32,
    /// The share of the query the hit holds, in [0, 1]: of the query's terms found on the searched side,
    /// weighted by count and rarity there, the part in the hit's text. Common words weigh little.
    pub coverage: f32,
    /// Text with matched terms wrapped in `<mark>`…`</mark>`.
    pub snippet: String,
}

/// A matcher failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error("the matcher does not know {0}")]
    Unknown(String),
    #[error("matcher failed ({code}): {message}")]
    Failed { code: String, message: String },
}
