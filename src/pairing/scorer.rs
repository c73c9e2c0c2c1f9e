//! The narrow interface through which pairing reads pair scores: the matching engine implements it;
//! tests and benchmarks use deterministic fakes.

use rayon::prelude::*;

use crate::domain::{DemandId, TeamId};

/// Demands between two progress reports of the default [`PairScorer::teams_for_all`].
pub const SCORING_CHUNK: usize = 2048;

/// Where the pair scores of (demand, team) come from.
///
/// Scores are expected in [0, 1] (values outside are clamped, NaN is ignored); higher is better.
/// A team missing from a demand's list is taken as not fitting that demand.
pub trait PairScorer: Sync {
    /// The best `limit` teams for one demand, with their scores, best first.
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)>;

    /// The best teams of every demand in scope, one list per demand in the same order, calling
    /// `progress(done)` as demands get scored. The default asks [`PairScorer::teams_for_demand`] for the
    /// demands in parallel, reporting every [`SCORING_CHUNK`] demands; an engine may override it to share
    /// work between demands.
    fn teams_for_all(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Vec<Vec<(TeamId, f32)>> {
        let mut out = Vec::with_capacity(demands.len());
        for chunk in demands.chunks(SCORING_CHUNK) {
            out.par_extend(chunk.par_iter().map(|d| self.teams_for_demand(d, limit)));
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
