//! What only the wire has: query strings, request bodies and the small bodies the HTTP layer writes
//! itself (`/v1/me`, health). Every other response is the app's own type, which carries its schema.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::{ExportFormat, SearchKind};
use crate::outcome::{OutcomeKind, OutcomeStatus, Verification};
use crate::review::{Decision, PairingStatus};

/// `limit`/`offset` of a list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Items to skip (default 0; at most 2^63 − 1).
    #[param(minimum = 0)]
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
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Items to skip (default 0; at most 2^63 − 1).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// A free-text search.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The text to search for (Chinese or English).
    pub q: String,
    /// `teams` or `demands`.
    #[param(inline)]
    pub kind: SearchKind,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Items to skip (default 0; at most 2^63 − 1).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// Pairing list filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PairingsQuery {
    #[param(inline)]
    pub status: Option<PairingStatus>,
    /// Track id.
    pub track: Option<String>,
    pub zone_id: Option<String>,
    pub university_id: Option<String>,
    /// Only the pairings a proposal batch created (superseded ones included).
    pub batch_id: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Items to skip (default 0; at most 2^63 − 1).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// `POST /v1/pairings/{id}/reviews`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: Decision,
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

/// `GET /v1/proposals/{job_id}/export`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (UTF-8 with BOM, default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// `GET /v1/proposals/preview`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// Comma-separated ids of the tracks a new proposal would cover (at least one).
    pub track_ids: Option<String>,
}

/// `GET /v1/outcomes` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutcomesQuery {
    pub zone_id: Option<String>,
    pub university_id: Option<String>,
    pub track_id: Option<String>,
    #[param(inline)]
    pub kind: Option<OutcomeKind>,
    #[param(inline)]
    pub status: Option<OutcomeStatus>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Items to skip (default 0; at most 2^63 − 1).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// `POST /v1/outcomes/{id}/verify`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub decision: Verification,
    /// Required (non-blank) for `reject`; at most 4000 characters.
    #[serde(default)]
    pub comment: String,
}

/// `GET /v1/outcomes/export` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutcomeReportQuery {
    /// Only outcomes that happened in this year (all years when absent).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub zone_id: Option<String>,
    pub university_id: Option<String>,
    pub track_id: Option<String>,
    #[param(inline)]
    pub kind: Option<OutcomeKind>,
    #[param(inline)]
    pub status: Option<OutcomeStatus>,
}
