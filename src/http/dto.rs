//! Wire types: query strings, request bodies, and the schemas of every response body for the OpenAPI
//! document. Responses are serialized from the app's own types; the schema types here mirror them
//! field for field, and the tests below check each mirror against a real serialized value.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::review;

/// `limit`/`offset` of a list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

/// A ranking's query: optional track, and the page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankQuery {
    /// Only this track (all tracks when absent).
    pub track: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

/// Which side to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Teams,
    Demands,
}

/// A free-text search.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The text to search for (Chinese or English).
    pub q: String,
    /// `teams` or `demands`.
    pub kind: SearchKind,
    /// Page size, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

/// Review status of a pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Proposed,
    Approved,
    Rejected,
    ChangesRequested,
}

impl From<Status> for review::PairingStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Proposed => review::PairingStatus::Proposed,
            Status::Approved => review::PairingStatus::Approved,
            Status::Rejected => review::PairingStatus::Rejected,
            Status::ChangesRequested => review::PairingStatus::ChangesRequested,
        }
    }
}

/// Pairing list filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PairingsQuery {
    pub status: Option<Status>,
    /// Track id.
    pub track: Option<String>,
    pub zone_id: Option<String>,
    pub university_id: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

/// A department decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Decision)]
pub enum DecisionDto {
    Approve,
    Reject,
    RequestChanges,
}

impl From<DecisionDto> for review::Decision {
    fn from(d: DecisionDto) -> Self {
        match d {
            DecisionDto::Approve => review::Decision::Approve,
            DecisionDto::Reject => review::Decision::Reject,
            DecisionDto::RequestChanges => review::Decision::RequestChanges,
        }
    }
}

/// `POST /v1/pairings/{id}/reviews`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: DecisionDto,
    /// Required (non-blank) for `reject` and `request_changes`.
    #[serde(default)]
    pub comment: String,
    /// The pairing version the reviewer saw; a stale one is answered 409 `version_conflict`.
    pub version: i64,
}

/// `POST /v1/pairings/{id}/comments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// 1–4000 characters.
    pub body: String,
}

/// `GET /v1/me`: who the bearer token acts as.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Me {
    /// The full role: `department`, `zone:<zone_id>` or `university:<university_id>`.
    pub role: String,
    /// The role without its id: `department`, `zone` or `university`.
    pub kind: String,
    /// The note given when the token was created (who holds it).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub university_id: Option<String>,
}

/// `GET /healthz`, `GET /readyz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}

// ---- Schemas mirroring the dataset contract (v1) ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    Cluster,
    Chain,
    Future,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Track {
    pub id: String,
    pub name: String,
    pub kind: TrackKind,
    pub parent: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fund {
    pub name: String,
    pub size_wan_yuan: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneLevel {
    National,
    Provincial,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub city: String,
    pub level: Option<ZoneLevel>,
    pub industries: Vec<String>,
    #[serde(default)]
    pub track_ids: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub platforms: Vec<Platform>,
    #[serde(default)]
    pub funds: Vec<Fund>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UniversityKind {
    Research,
    Applied,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct University {
    pub id: String,
    pub name: String,
    pub city: String,
    pub kind: Option<UniversityKind>,
    #[serde(default)]
    pub disciplines: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Leader {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub honors: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AchievementKind {
    Paper,
    Patent,
    Project,
    Standard,
    Award,
}

/// A paper, patent, project, standard or award; needs a title or an abstract.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Achievement {
    pub kind: AchievementKind,
    #[serde(default)]
    pub title: String,
    #[serde(default, rename = "abstract")]
    pub abstract_: String,
    pub year: Option<i32>,
}

/// A university research team (dataset contract v1). Needs a description or an achievement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    pub university_id: String,
    pub name: String,
    pub leader: Option<Leader>,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub track_ids: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<Platform>,
    #[serde(default)]
    pub achievements: Vec<Achievement>,
    /// Maximum concurrent projects (default 3).
    #[serde(default)]
    pub capacity: Option<u32>,
    pub members: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enterprise {
    pub name: String,
    #[serde(default)]
    pub size: String,
}

/// An enterprise technology demand (dataset contract v1).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    pub id: String,
    pub zone_id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub enterprise: Option<Enterprise>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub track_ids: Vec<String>,
    pub budget_wan_yuan: Option<f64>,
    /// `YYYY-MM-DD`.
    pub deadline: Option<String>,
    #[serde(default)]
    pub excluded_university_ids: Vec<String>,
}

// ---- Schemas mirroring the app's responses ----

/// One page of a list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Size of the whole list (rankings are cut at 100).
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRef {
    pub id: String,
    pub name: String,
    pub track_ids: Vec<String>,
}

/// A zone's profile; `demands` lists its demands for the department and the zone itself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneDetail {
    pub id: String,
    pub name: String,
    pub city: String,
    pub level: Option<ZoneLevel>,
    pub industries: Vec<String>,
    #[serde(default)]
    pub track_ids: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub platforms: Vec<Platform>,
    #[serde(default)]
    pub funds: Vec<Fund>,
    pub demands: Vec<ItemRef>,
}

/// A university's profile and its teams.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UniversityDetail {
    pub id: String,
    pub name: String,
    pub city: String,
    pub kind: Option<UniversityKind>,
    #[serde(default)]
    pub disciplines: Vec<String>,
    #[serde(default)]
    pub description: String,
    pub teams: Vec<ItemRef>,
}

/// A scored (demand, team) pair with the engine's explanation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairMatch {
    pub demand_id: String,
    pub team_id: String,
    pub score: f32,
    /// Feature contributions, matched terms, best achievement and a one-sentence summary.
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamFit {
    pub team_id: String,
    pub team_name: String,
    pub score: f32,
    pub demand_ids: Vec<String>,
}

/// A university ranked for a zone's demands.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UniversityCandidate {
    pub university_id: String,
    pub university_name: String,
    /// Mean over the zone's demands of the university's best pair score (0 where none fits).
    pub score: f32,
    pub demands_fit: usize,
    pub demands_considered: usize,
    pub best_teams: Vec<TeamFit>,
    pub top_matches: Vec<PairMatch>,
}

/// A demand fitting one of a university's teams.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandFit {
    pub demand_id: String,
    pub demand_title: String,
    pub zone_id: String,
    pub zone_name: String,
    pub best_team_id: String,
    pub best_team_name: String,
    pub score: f32,
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankedTeam {
    pub rank: usize,
    pub team_id: String,
    pub team_name: String,
    pub university_id: String,
    pub university_name: String,
    pub score: f32,
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankedDemand {
    pub rank: usize,
    pub demand_id: String,
    pub demand_title: String,
    pub zone_id: String,
    pub zone_name: String,
    pub score: f32,
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchResult {
    pub kind: SearchKind,
    pub id: String,
    pub name: String,
    pub score: f32,
    /// Matched terms wrapped in `<mark>`…`</mark>`.
    pub snippet: String,
}

/// A zone × university × track pairing with its five-in-one bundle and review status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pairing {
    pub id: String,
    pub batch_id: Option<String>,
    pub zone_id: String,
    pub university_id: String,
    pub track_id: String,
    /// Industrial direction, platforms, leading talent, fund and benchmark projects.
    #[schema(value_type = Object)]
    pub bundle: serde_json::Value,
    pub quality: f64,
    pub status: Status,
    /// Name this version in a review.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub zone_name: String,
    pub university_name: String,
    pub track_name: String,
}

/// Who did something: the token's name and role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub name: String,
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Propose,
    Approve,
    Reject,
    RequestChanges,
    Revise,
}

/// One step of a pairing's review history.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    pub id: i64,
    pub pairing_id: String,
    pub at: String,
    pub actor: Actor,
    pub action: Action,
    pub from: Option<Status>,
    pub to: Status,
    pub version: i64,
    pub comment: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Comment {
    pub id: i64,
    pub pairing_id: String,
    pub at: String,
    pub actor: Actor,
    pub body: String,
}

/// The pairing after a review and the history entry the review appended.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewOutcome {
    pub pairing: Pairing,
    pub entry: HistoryEntry,
}

#[cfg(test)]
mod tests {
    //! Each mirror must accept what the app really serializes (and `deny_unknown_fields` catches a
    //! field the mirror lacks).
    use super::*;
    use crate::app;
    use crate::domain;
    use crate::store;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    fn mirrors<M: DeserializeOwned>(value: impl Serialize) {
        let v = serde_json::to_value(value).unwrap();
        if let Err(err) = serde_json::from_value::<M>(v.clone()) {
            panic!("{} does not mirror {v}: {err}", std::any::type_name::<M>());
        }
    }

    fn full_team() -> domain::Team {
        serde_json::from_value(json!({
            "id": "t", "university_id": "u", "name": "n",
            "leader": {"name": "l", "title": "教授", "honors": ["杰青"]},
            "fields": ["f"], "description": "d", "keywords": ["k"], "track_ids": ["tr"],
            "platforms": [{"name": "p", "kind": "lab"}],
            "achievements": [{"kind": "paper", "title": "x", "abstract": "y", "year": 2024}],
            "capacity": 2, "members": 9
        }))
        .unwrap()
    }

    fn full_demand() -> domain::Demand {
        serde_json::from_value(json!({
            "id": "d", "zone_id": "z", "title": "t", "description": "d",
            "enterprise": {"name": "e", "size": "sme"}, "keywords": ["k"], "track_ids": ["tr"],
            "budget_wan_yuan": 50.0, "deadline": "2026-01-01", "excluded_university_ids": ["u"]
        }))
        .unwrap()
    }

    fn full_zone() -> domain::Zone {
        serde_json::from_value(json!({
            "id": "z", "name": "n", "city": "c", "level": "national", "industries": ["i"],
            "track_ids": ["t"], "description": "d", "platforms": [{"name": "p", "kind": "k"}],
            "funds": [{"name": "f", "size_wan_yuan": 1.0}]
        }))
        .unwrap()
    }

    fn full_university() -> domain::University {
        serde_json::from_value(json!({
            "id": "u", "name": "n", "city": "c", "kind": "research", "disciplines": ["x"],
            "description": "d"
        }))
        .unwrap()
    }

    fn pair() -> app::PairMatch {
        app::PairMatch {
            demand_id: "d".into(),
            team_id: "t".into(),
            score: 0.5,
            explanation: json!({"summary": "s"}),
        }
    }

    fn pairing() -> app::PairingView {
        app::PairingView {
            pairing: store::PairingRecord {
                id: "p".into(),
                batch_id: Some("b".into()),
                zone_id: "z".into(),
                university_id: "u".into(),
                track_id: "t".into(),
                bundle: json!({}),
                quality: 0.5,
                status: review::PairingStatus::ChangesRequested,
                version: 2,
                created_at: "now".into(),
                updated_at: "now".into(),
            },
            zone_name: "z".into(),
            university_name: "u".into(),
            track_name: "t".into(),
        }
    }

    fn history() -> store::HistoryEntry {
        store::HistoryEntry {
            id: 1,
            pairing_id: "p".into(),
            at: "now".into(),
            actor: store::Actor {
                name: "n".into(),
                role: "department".into(),
            },
            action: review::Action::RequestChanges,
            from: Some(review::PairingStatus::Proposed),
            to: review::PairingStatus::ChangesRequested,
            version: 2,
            comment: "c".into(),
        }
    }

    #[test]
    fn contract_mirrors_accept_full_records() {
        mirrors::<Team>(full_team());
        mirrors::<Demand>(full_demand());
        mirrors::<Zone>(full_zone());
        mirrors::<University>(full_university());
        mirrors::<Track>(domain::Track {
            id: "t".into(),
            name: "n".into(),
            kind: domain::TrackKind::Chain,
            parent: Some("p".into()),
            keywords: vec!["k".into()],
            description: "d".into(),
        });
    }

    #[test]
    fn response_mirrors_accept_app_values() {
        let item = app::ItemRef {
            id: "i".into(),
            name: "n".into(),
            track_ids: vec!["t".into()],
        };
        mirrors::<ZoneDetail>(app::ZoneView {
            zone: full_zone(),
            demands: vec![item.clone()],
        });
        mirrors::<UniversityDetail>(app::UniversityView {
            university: full_university(),
            teams: vec![item],
        });
        mirrors::<Page<UniversityCandidate>>(app::Page {
            items: vec![app::UniversityCandidate {
                university_id: "u".into(),
                university_name: "n".into(),
                score: 0.3,
                demands_fit: 1,
                demands_considered: 2,
                best_teams: vec![app::TeamFit {
                    team_id: "t".into(),
                    team_name: "n".into(),
                    score: 0.5,
                    demand_ids: vec!["d".into()],
                }],
                top_matches: vec![pair()],
            }],
            total: 1,
            limit: 20,
            offset: 0,
        });
        mirrors::<DemandFit>(app::DemandFit {
            demand_id: "d".into(),
            demand_title: "t".into(),
            zone_id: "z".into(),
            zone_name: "n".into(),
            best_team_id: "t".into(),
            best_team_name: "n".into(),
            score: 0.1,
            explanation: json!({}),
        });
        mirrors::<RankedTeam>(app::RankedTeam {
            rank: 1,
            team_id: "t".into(),
            team_name: "n".into(),
            university_id: "u".into(),
            university_name: "n".into(),
            score: 0.1,
            explanation: json!({}),
        });
        mirrors::<RankedDemand>(app::RankedDemand {
            rank: 1,
            demand_id: "d".into(),
            demand_title: "t".into(),
            zone_id: "z".into(),
            zone_name: "n".into(),
            score: 0.1,
            explanation: json!({}),
        });
        mirrors::<SearchResult>(app::SearchResult {
            kind: app::DocKind::Demands,
            id: "d".into(),
            name: "n".into(),
            score: 1.0,
            snippet: "<mark>x</mark>".into(),
        });
        mirrors::<Pairing>(pairing());
        mirrors::<HistoryEntry>(history());
        mirrors::<ReviewOutcome>(app::ReviewOutcome {
            pairing: pairing(),
            entry: history(),
        });
        mirrors::<Comment>(store::CommentRecord {
            id: 1,
            pairing_id: "p".into(),
            at: "now".into(),
            actor: store::Actor {
                name: "n".into(),
                role: "zone:z".into(),
            },
            body: "b".into(),
        });
    }
}
