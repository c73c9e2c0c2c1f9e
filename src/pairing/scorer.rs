//! The narrow interface through which pairing reads pair scores: the matching engine implements it;
//! tests and benchmarks use deterministic fakes.

use crate::domain::{DemandId, TeamId};

/// Demands per call of [`PairScorer::teams_for_demands`] in the default [`PairScorer::teams_for_all`].
pub const SCORING_CHUNK: usize = 2048;

/// Where the pair scores of (demand, team) come from.
///
/// Scores are expected in [0, 1] (values outside are clamped, NaN is ignored); higher is better.
/// A team missing from a demand's list is taken as not fitting that demand.
pub trait PairScorer {
    /// The best `limit` teams for one demand, with their scores, best first.
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)>;

    /// The best teams for many demands at once, one list per demand in the same order. The default asks
    /// [`PairScorer::teams_for_demand`] one by one; an engine may override it to run in parallel.
    fn teams_for_demands(&self, demands: &[DemandId], limit: usize) -> Vec<Vec<(TeamId, f32)>> {
        demands
            .iter()
            .map(|d| self.teams_for_demand(d, limit))
            .collect()
    }

    /// The best teams of every demand in scope, one list per demand in the same order, calling
    /// `progress(done)` as demands get scored. The default asks [`PairScorer::teams_for_demands`] in chunks
    /// of [`SCORING_CHUNK`]; an engine may override it to share work between demands.
    fn teams_for_all(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Vec<Vec<(TeamId, f32)>> {
        let mut out = Vec::with_capacity(demands.len());
        for chunk in demands.chunks(SCORING_CHUNK) {
            out.extend(self.teams_for_demands(chunk, limit));
            progress(out.len());
        }
        out
    }

    /// Why a team fits a demand, when the scorer can tell; used only for explanations.
    fn explain(&self, _demand: &DemandId, _team: &TeamId) -> Option<PairEvidence> {
        None
    }
}

/// Optional evidence behind one (demand, team) score.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairEvidence {
    /// Terms the demand and the team share, with their weights (higher = stronger).
    pub terms: Vec<(String, f32)>,
    /// Title of the team's achievement that best matches the demand.
    pub achievement: Option<String>,
}

impl<S: PairScorer + ?Sized> PairScorer for &S {
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)> {
        (**self).teams_for_demand(demand, limit)
    }
    fn teams_for_demands(&self, demands: &[DemandId], limit: usize) -> Vec<Vec<(TeamId, f32)>> {
        (**self).teams_for_demands(demands, limit)
    }
    fn teams_for_all(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Vec<Vec<(TeamId, f32)>> {
        (**self).teams_for_all(demands, limit, progress)
    }
    fn explain(&self, demand: &DemandId, team: &TeamId) -> Option<PairEvidence> {
        (**self).explain(demand, team)
    }
}
