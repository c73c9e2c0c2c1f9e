//! What the app answers with: pages of lists and the view types of the catalog, the rankings, search
//! and the review workflow. Each is serialized as it is and carries its own OpenAPI schema.

use serde::Serialize;

use super::{AppError, MAX_LIMIT, MAX_OFFSET, Result};
use crate::domain::{DemandId, TeamId, TrackId, University, UniversityId, Zone, ZoneId};
use crate::matching::{Degree, Explanation, PairMatch};
use crate::store::{HistoryEntry, PairingRecord};

/// A requested page: `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub offset: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: 20,
            offset: 0,
        }
    }
}

impl PageRequest {
    /// A page, refusing a limit of 0 or over [`MAX_LIMIT`] and an offset over [`MAX_OFFSET`].
    pub fn new(limit: Option<u32>, offset: Option<u64>) -> Result<Self> {
        let limit = limit.unwrap_or(20);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(AppError::InvalidParameter {
                name: "limit".into(),
                message: format!("must be between 1 and {MAX_LIMIT}"),
            });
        }
        let offset = offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(AppError::InvalidParameter {
                name: "offset".into(),
                message: format!("must be between 0 and {MAX_OFFSET}"),
            });
        }
        Ok(PageRequest { limit, offset })
    }

    pub(super) fn slice<T: Clone>(self, all: &[T]) -> Page<T> {
        let start = usize::try_from(self.offset)
            .unwrap_or(usize::MAX)
            .min(all.len());
        let end = start.saturating_add(self.limit as usize).min(all.len());
        Page {
            items: all[start..end].to_vec(),
            total: all.len() as u64,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// A short reference to a team or demand (id and display name).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemRef {
    pub id: String,
    pub name: String,
    pub track_ids: Vec<TrackId>,
}

/// A zone's profile and its demands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ZoneView {
    #[serde(flatten)]
    pub zone: Zone,
    pub demands: Vec<ItemRef>,
}

/// A university's profile and its teams.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UniversityView {
    #[serde(flatten)]
    pub university: University,
    pub teams: Vec<ItemRef>,
}

/// One of a candidate university's best teams for a zone.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TeamFit {
    pub team_id: TeamId,
    pub team_name: String,
    /// Sum of this team's best pair scores over the demands it is best at.
    pub score: f32,
    /// The zone's demands for which this team is the university's best.
    pub demand_ids: Vec<DemandId>,
    /// 匹配度 (0–100) and label of the team's mean pair score over those demands.
    pub degree: Degree,
}

impl TeamFit {
    /// Sets the 匹配度 from the score and the demands it sums over.
    pub(super) fn set_degree(&mut self) {
        self.degree = Degree::of(self.score / self.demand_ids.len().max(1) as f32);
    }
}

/// A university ranked for a zone's demands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UniversityCandidate {
    pub university_id: UniversityId,
    pub university_name: String,
    /// Mean over the zone's demands of the university's best pair score (0 where none fits).
    pub score: f32,
    /// How many of the zone's demands one of its teams fits.
    pub demands_fit: usize,
    /// How many demands were considered (the zone's demands in the track).
    pub demands_considered: usize,
    /// 匹配度 (0–100) and label of its mean best pair score over the demands it fits.
    pub degree: Degree,
    pub best_teams: Vec<TeamFit>,
    /// Its strongest pairs, with the engine's explanations.
    pub top_matches: Vec<PairMatch>,
}

/// A demand that fits one of a university's teams.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DemandFit {
    pub demand_id: DemandId,
    pub demand_title: String,
    pub zone_id: ZoneId,
    pub zone_name: String,
    pub best_team_id: TeamId,
    pub best_team_name: String,
    pub score: f32,
    pub explanation: Explanation,
}

/// A team ranked for a demand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankedTeam {
    pub rank: usize,
    pub team_id: TeamId,
    pub team_name: String,
    pub university_id: UniversityId,
    pub university_name: String,
    pub score: f32,
    pub explanation: Explanation,
}

/// A demand ranked for a team.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankedDemand {
    pub rank: usize,
    pub demand_id: DemandId,
    pub demand_title: String,
    pub zone_id: ZoneId,
    pub zone_name: String,
    pub score: f32,
    pub explanation: Explanation,
}

/// A search result with the display name of what it found and of its owner (a team's university, a
/// demand's zone).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub kind: SearchKind,
    pub id: String,
    pub name: String,
    /// The university of a team, the zone of a demand.
    pub owner_id: String,
    pub owner_name: String,
    pub score: f32,
    pub snippet: String,
}

/// A pairing with the display names of its parties.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairingView {
    #[serde(flatten)]
    pub pairing: PairingRecord,
    pub zone_name: String,
    pub university_name: String,
    pub track_name: String,
}

/// The outcome of a review: the pairing after it and the history entry it appended.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReviewOutcome {
    pub pairing: PairingView,
    pub entry: HistoryEntry,
}

/// Pairing list filters as a caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairingQuery {
    pub status: Option<crate::review::PairingStatus>,
    pub track_id: Option<TrackId>,
    pub zone_id: Option<ZoneId>,
    pub university_id: Option<UniversityId>,
    pub batch_id: Option<String>,
}

/// Which side a search looks at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Teams,
    Demands,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_slices_and_reports_total() {
        let all: Vec<u32> = (0..10).collect();
        let p = PageRequest::new(Some(3), Some(8)).unwrap().slice(&all);
        assert_eq!((p.items, p.total), (vec![8, 9], 10));
        let p = PageRequest::new(None, Some(MAX_OFFSET))
            .unwrap()
            .slice(&all);
        assert!(p.items.is_empty());
        assert_eq!(
            PageRequest::new(None, Some(MAX_OFFSET + 1))
                .unwrap_err()
                .field(),
            Some("offset")
        );
        assert_eq!(
            PageRequest::new(Some(0), None).unwrap_err().code(),
            "invalid_parameter"
        );
        assert_eq!(
            PageRequest::new(Some(MAX_LIMIT + 1), None)
                .unwrap_err()
                .field(),
            Some("limit")
        );
    }
}
