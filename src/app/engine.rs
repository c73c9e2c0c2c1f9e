//! The service's [`Matcher`] over the matching engine: rankings, search and incremental updates come
//! from [`matching::Engine`], whose typed pair matches and explanations reach clients as they are.

use super::{Matcher, MatcherError, MatcherResult, SearchHit, SearchKind};
use crate::domain::{Demand, DemandId, Team, TeamId};
use crate::matching::{self, Engine, MatchError, PairMatch};

fn to_err(err: MatchError) -> MatcherError {
    match err {
        MatchError::NotFound { id, .. } => MatcherError::Unknown(id),
        other => MatcherError::Failed {
            code: other.code().to_string(),
            message: other.to_string(),
        },
    }
}

impl Matcher for Engine {
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> MatcherResult<Vec<PairMatch>> {
        Engine::teams_for_demand(self, demand, limit).map_err(to_err)
    }

    fn demands_for_team(&self, team: &TeamId, limit: usize) -> MatcherResult<Vec<PairMatch>> {
        Engine::demands_for_team(self, team, limit).map_err(to_err)
    }

    fn search(&self, text: &str, kind: SearchKind, limit: usize) -> MatcherResult<Vec<SearchHit>> {
        let kind = match kind {
            SearchKind::Teams => matching::DocKind::Team,
            SearchKind::Demands => matching::DocKind::Demand,
        };
        let hits = Engine::search(self, text, kind, limit).map_err(to_err)?;
        Ok(hits
            .into_iter()
            .map(|h| SearchHit {
                id: h.id,
                score: h.score,
                coverage: h.coverage,
                snippet: h.snippet.html,
            })
            .collect())
    }

    fn upsert_team(&self, team: &Team) -> MatcherResult<()> {
        Engine::upsert_team(self, team.clone()).map_err(to_err)
    }

    fn delete_team(&self, id: &TeamId) -> MatcherResult<()> {
        Engine::delete_team(self, id).map_err(to_err)
    }

    fn upsert_demand(&self, demand: &Demand) -> MatcherResult<()> {
        Engine::upsert_demand(self, demand.clone()).map_err(to_err)
    }

    fn delete_demand(&self, id: &DemandId) -> MatcherResult<()> {
        Engine::delete_demand(self, id).map_err(to_err)
    }

    fn flush(&self) -> MatcherResult<()> {
        Engine::flush(self).map_err(to_err)
    }

    fn settle(&self) -> MatcherResult<()> {
        Engine::settle(self).map_err(to_err)
    }

    fn rank_teams_many(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize),
    ) -> MatcherResult<Vec<Vec<(TeamId, f32)>>> {
        Engine::rank_teams_many(self, demands, limit, &mut |done, _| progress(done)).map_err(to_err)
    }

    fn team_scores(&self, demand: &DemandId) -> MatcherResult<Vec<(TeamId, f32)>> {
        Engine::rank_teams(self, demand, 0).map_err(to_err)
    }

    fn score_pair(&self, demand: &DemandId, team: &TeamId) -> MatcherResult<Option<PairMatch>> {
        found(Engine::score_pair(self, demand, team))
    }

    fn pair_score(&self, demand: &DemandId, team: &TeamId) -> MatcherResult<Option<f32>> {
        found(Engine::pair_score(self, demand, team))
    }
}

/// `None` for a demand or team the engine does not hold.
fn found<T>(answer: Result<T, MatchError>) -> MatcherResult<Option<T>> {
    match answer {
        Ok(x) => Ok(Some(x)),
        Err(MatchError::NotFound { .. }) => Ok(None),
        Err(err) => Err(to_err(err)),
    }
}
