//! Routes of pairing proposals and the programme dashboard: start a proposal job, follow it, read its
//! batch, re-propose after review, export a batch as CSV or XLSX, and read the dashboard. Request
//! bodies and the mirrored response schemas of these routes live here too (tested against real values
//! like the rest of the wire types).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::dto::{self, PageQuery};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::app::PageRequest;
use crate::app::proposals::{self, ExportFile, ExportFormat};
use crate::domain::TrackId;
use crate::pairing::{PairingConfig, Triple};

type ApiResult<T> = Result<T, ApiError>;

// ---- Requests ----

/// The department's constraints; every field is optional and takes the default shown.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalConfig {
    /// Partner universities each zone gets at least in each selected track where it has candidates
    /// (default 1).
    pub zone_track_min: Option<u32>,
    /// ... and at most (default 2).
    pub zone_track_max: Option<u32>,
    /// Pairings a university takes part in at most (default 3).
    pub university_max: Option<u32>,
    /// Candidates below this quality (0–1) are not eligible (default: none).
    pub min_quality: Option<f64>,
    /// `[zone_id, university_id, track_id]` triples that must be in the batch.
    #[serde(default)]
    #[schema(value_type = Vec<Vec<String>>)]
    pub forced: Vec<Triple>,
    /// `[zone_id, university_id, track_id]` triples that must not be in the batch.
    #[serde(default)]
    #[schema(value_type = Vec<Vec<String>>)]
    pub forbidden: Vec<Triple>,
    /// Benchmark projects a pairing should carry (default 10, the programme's rule).
    pub benchmark_target: Option<u32>,
    /// Leave out candidates with fewer than `benchmark_target` projects (default false).
    pub require_full_bundle: Option<bool>,
}

impl From<ProposalConfig> for PairingConfig {
    fn from(c: ProposalConfig) -> Self {
        let d = PairingConfig::default();
        PairingConfig {
            zone_track_min: c.zone_track_min.unwrap_or(d.zone_track_min),
            zone_track_max: c.zone_track_max.unwrap_or(d.zone_track_max),
            university_max: c.university_max.unwrap_or(d.university_max),
            min_quality: c.min_quality,
            forced: c.forced,
            forbidden: c.forbidden,
            benchmark_target: c.benchmark_target.unwrap_or(d.benchmark_target),
            require_full_bundle: c.require_full_bundle.unwrap_or(d.require_full_bundle),
            ..d
        }
    }
}

/// `POST /v1/proposals`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalRequest {
    /// Tracks to pair in (at least one; unknown ids are answered 422 `unknown_track`).
    pub track_ids: Vec<String>,
    #[serde(default)]
    pub config: ProposalConfig,
}

/// Export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Csv,
    Xlsx,
}

/// `GET /v1/proposals/{job_id}/export`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (UTF-8 with BOM, default) or `xlsx`.
    pub format: Option<Format>,
}

// ---- Schemas mirroring the app's responses ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Propose,
    Revise,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

/// What the job is doing: `queued`, then `scoring`, `bundling`, `solving`, `explaining`, `saving`,
/// and `done` or `failed`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStage {
    Queued,
    Scoring,
    Bundling,
    Solving,
    Explaining,
    Saving,
    Done,
    Failed,
}

/// Headline figures of a finished batch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchSummary {
    pub objective: f64,
    pub pairing_count: usize,
    pub feasible: bool,
    pub proven_optimal: bool,
    pub gap: f64,
    /// Pairings with fewer benchmark projects than the target.
    pub short_pairings: usize,
    /// Diagnostics of severity `infeasible`.
    pub infeasibilities: usize,
}

/// Why a job failed (stable code, lowercase message).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

/// A proposal job. `progress` is 0–100; `batch` is present on `GET /v1/proposals/{job_id}` once the
/// job is `done`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalJob {
    pub job_id: String,
    pub kind: JobKind,
    /// The job a `revise` job re-solves.
    pub revises: Option<String>,
    pub state: JobState,
    pub stage: JobStage,
    pub progress: u8,
    pub track_ids: Vec<String>,
    /// Name of the token that asked for it.
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub summary: Option<BatchSummary>,
    pub error: Option<JobError>,
    #[serde(default)]
    pub batch: Option<Batch>,
}

/// The constraints a batch was solved under.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    pub zone_track_min: u32,
    pub zone_track_max: u32,
    pub university_max: u32,
    pub min_quality: Option<f64>,
    pub forced: Vec<Vec<String>>,
    pub forbidden: Vec<Vec<String>>,
    pub benchmark_target: u32,
    pub require_full_bundle: bool,
    pub teams_per_demand: usize,
    pub candidates_per_group: usize,
}

/// How good the batch provably is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Optimality {
    /// Every constraint holds; else the batch is the best partial proposal (see diagnostics).
    pub feasible: bool,
    pub proven_optimal: bool,
    /// Relative gap to the best bound (0 when proven optimal).
    pub gap: f64,
    pub method: String,
    /// Partner slots required by `zone_track_min` left empty.
    pub unmet_minimums: u32,
    pub groups: usize,
    pub candidates: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndustrialDirection {
    pub track_id: String,
    pub track_name: String,
    /// The zone's featured industries related to the track.
    pub zone_industries: Vec<String>,
    /// Whether the zone lists the track among its own.
    pub zone_track: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPlatform {
    pub team_id: String,
    pub team_name: String,
    pub name: String,
    pub kind: String,
}

/// The university-side platform and the zone platform to co-build with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InnovationPlatform {
    pub university: Option<TeamPlatform>,
    pub zone: Option<dto::Platform>,
}

/// The leader of the best-fitting team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadingTalent {
    pub name: String,
    pub title: String,
    pub honors: Vec<String>,
    pub team_id: String,
    pub team_name: String,
}

/// One of the zone's demands, assigned to a team of the university.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkProject {
    pub demand_id: String,
    pub title: String,
    pub enterprise: Option<String>,
    pub team_id: String,
    pub team_name: String,
    pub score: f64,
}

/// How far a pairing falls short of its benchmark-project target.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shortfall {
    pub target: u32,
    pub projects: u32,
    /// The zone's demands in the track.
    pub zone_demands: u32,
    /// Of those, the ones the university's teams fit.
    pub fitting_demands: u32,
}

/// The five-in-one bundle (五个一).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub industrial_direction: IndustrialDirection,
    pub innovation_platform: InnovationPlatform,
    pub leading_talent: Option<LeadingTalent>,
    pub transformation_fund: Option<dto::Fund>,
    pub benchmark_projects: Vec<BenchmarkProject>,
    /// Present when the pairing has fewer projects than the target (never padded).
    pub shortfall: Option<Shortfall>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedTerm {
    pub term: String,
    pub weight: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamContribution {
    pub team_id: String,
    pub team_name: String,
    pub projects: u32,
    pub score_sum: f64,
    pub achievements: Vec<String>,
}

/// `quality = score_sum / target = mean_score × coverage`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBreakdown {
    pub target: u32,
    pub projects: u32,
    pub topped_up: u32,
    pub score_sum: f64,
    pub mean_score: f64,
    pub coverage: f64,
    pub quality: f64,
}

/// The best candidate of the same zone and track that was not selected, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerUp {
    pub university_id: String,
    pub university_name: String,
    pub quality: f64,
    pub projects: u32,
    pub reason: String,
}

/// Why a pairing was proposed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    /// One sentence in Chinese.
    pub summary: String,
    pub terms: Vec<SharedTerm>,
    pub teams: Vec<TeamContribution>,
    pub breakdown: ScoreBreakdown,
    pub runner_up: Option<RunnerUp>,
}

/// A pairing of a batch with its review record (`/v1/pairings/{pairing_id}`) and live status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchPairing {
    pub pairing_id: String,
    pub status: dto::Status,
    pub version: i64,
    /// The re-proposal that replaced it while it was still open.
    pub superseded_by: Option<String>,
    pub zone_id: String,
    pub zone_name: String,
    pub university_id: String,
    pub university_name: String,
    pub track_id: String,
    pub track_name: String,
    pub quality: f64,
    /// Set by the department (forced, or kept because approved).
    pub forced: bool,
    pub bundle: Bundle,
    pub explanation: Explanation,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Infeasible,
    Shortfall,
    Info,
}

/// One finding in plain words, naming the constraint and the parties.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// Stable code, e.g. `too_few_demands`, `university_capacity`, `benchmark_shortfall`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub zone_ids: Vec<String>,
    pub university_ids: Vec<String>,
    pub track_ids: Vec<String>,
}

/// Milliseconds per stage.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    pub candidates: u64,
    pub solve: u64,
    pub explain: u64,
    pub total: u64,
}

/// A finished batch: objective, optimality, pairings with bundles and explanations, diagnostics.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub track_ids: Vec<String>,
    pub config: BatchConfig,
    /// Triples kept because approved.
    pub approved: Vec<Vec<String>>,
    /// Triples left out because rejected.
    pub rejected: Vec<Vec<String>>,
    /// Sum of the selected pairings' qualities.
    pub objective: f64,
    pub optimality: Optimality,
    pub pairings: Vec<BatchPairing>,
    pub diagnostics: Vec<Diagnostic>,
    pub timings_ms: Timings,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusCounts {
    pub proposed: u64,
    pub approved: u64,
    pub rejected: u64,
    pub changes_requested: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Uncovered {
    pub id: String,
    pub name: String,
    pub city: String,
}

/// How many of all zones (universities) have an approved pairing, and which have none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    pub covered: usize,
    pub total: usize,
    pub uncovered: Vec<Uncovered>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Projects {
    pub planned: u64,
    pub target_per_pairing: u32,
    pub short_pairings: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShortPairing {
    pub pairing_id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub university_id: String,
    pub university_name: String,
    pub track_id: String,
    pub track_name: String,
    pub projects: u32,
    pub target: u32,
    pub shortfall: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Platforms {
    pub total: usize,
    pub university: usize,
    pub zone: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Talents {
    pub total: usize,
    pub with_honors: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Funds {
    pub total: usize,
    pub size_wan_yuan: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackRow {
    pub track_id: String,
    pub track_name: String,
    pub pairings: usize,
    pub zones: usize,
    pub universities: usize,
    pub projects: u64,
    pub short: usize,
    pub platforms: usize,
    pub talents: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CityRow {
    pub city: String,
    pub zones_total: usize,
    pub zones_covered: usize,
    pub universities: usize,
    pub pairings: usize,
    pub projects: u64,
    pub short: usize,
    pub platforms: usize,
    pub talents: usize,
}

/// The programme dashboard, from approved pairings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    pub pairings: StatusCounts,
    pub zones: Coverage,
    pub universities: Coverage,
    pub benchmark_projects: Projects,
    pub pairings_short: Vec<ShortPairing>,
    pub platforms: Platforms,
    pub talents: Talents,
    pub funds: Funds,
    pub by_track: Vec<TrackRow>,
    pub by_city: Vec<CityRow>,
}

// ---- Handlers ----

fn accepted(job: proposals::ProposalJob) -> Response {
    let location = format!("/v1/proposals/{}", job.job_id);
    (StatusCode::ACCEPTED, [(LOCATION, location)], Json(job)).into_response()
}

/// Starts a pairing proposal for the given tracks under the department's constraints (department
/// only). The job runs in the background; follow it at `GET /v1/proposals/{job_id}`.
#[utoipa::path(post, path = "/v1/proposals", tag = "proposals", request_body = ProposalRequest,
    security(("bearer" = [])),
    responses((status = 202, description = "queued; `Location` names the job", body = ProposalJob),
        (status = 400, description = "bad_request or invalid_json", body = ErrorBody),
        (status = 401, description = "missing_token or invalid_token", body = ErrorBody),
        (status = 403, description = "forbidden: only the department proposes", body = ErrorBody),
        (status = 415, description = "unsupported_media_type: body is not application/json", body = ErrorBody),
        (status = 422, description = "no_tracks, unknown_track, unknown_zone, unknown_university, invalid_config or conflicting_triple, with the field", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<ProposalRequest>,
) -> ApiResult<Response> {
    let request = proposals::ProposalRequest {
        track_ids: body.track_ids.into_iter().map(TrackId).collect(),
        config: body.config.into(),
    };
    Ok(accepted(state.app.propose(&who, request).await?))
}

/// Proposal jobs and their batches' headline figures, newest first (department only).
#[utoipa::path(get, path = "/v1/proposals", tag = "proposals", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = dto::Page<ProposalJob>),
        (status = 400, description = "invalid_parameter", body = ErrorBody),
        (status = 401, description = "missing_token or invalid_token", body = ErrorBody),
        (status = 403, description = "forbidden: only the department sees proposals", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let page = PageRequest::new(q.limit, q.offset)?;
    Ok(Json(state.app.proposals(&who, page).await?).into_response())
}

/// One proposal job: state, stage and progress; once done, the batch with the live review status of
/// each pairing (department only).
#[utoipa::path(get, path = "/v1/proposals/{job_id}", tag = "proposals",
    params(("job_id" = String, Path, description = "proposal job id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = ProposalJob),
        (status = 401, description = "missing_token or invalid_token", body = ErrorBody),
        (status = 403, description = "forbidden: only the department sees proposals", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(Json(state.app.proposal(&who, &id).await?).into_response())
}

/// Re-solves a finished batch keeping its approved pairings and leaving out its rejected ones; the
/// batch's pairings still open are superseded by the new batch's (department only). No body.
#[utoipa::path(post, path = "/v1/proposals/{job_id}/revise", tag = "proposals",
    params(("job_id" = String, Path, description = "the proposal job to re-solve")),
    security(("bearer" = [])),
    responses((status = 202, description = "queued; `Location` names the new job", body = ProposalJob),
        (status = 401, description = "missing_token or invalid_token", body = ErrorBody),
        (status = 403, description = "forbidden: only the department proposes", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "job_not_done: the job is queued, running or failed", body = ErrorBody)))]
pub async fn revise(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(accepted(state.app.revise_proposal(&who, &id).await?))
}

/// Characters kept as they are in an RFC 5987 `filename*` value.
fn attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

fn content_disposition(file: &ExportFile) -> String {
    let mut encoded = String::new();
    for b in file.filename.bytes() {
        if attr_char(b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let ascii: String = file
        .ascii_filename
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A finished batch for official documents, one row per pairing under the headers 园区, 高校, 赛道,
/// 领军人才, 平台, 基金, 标杆项目数, 得分, 状态, 说明 (状态 from the review workflow); the XLSX file has a
/// second sheet with the diagnostics (department only).
#[utoipa::path(get, path = "/v1/proposals/{job_id}/export", tag = "proposals",
    params(("job_id" = String, Path, description = "proposal job id"), ExportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "the file, as an attachment",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "invalid_parameter: unknown format", body = ErrorBody),
        (status = 401, description = "missing_token or invalid_token", body = ErrorBody),
        (status = 403, description = "forbidden: only the department exports", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "job_not_done: no batch yet", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = match q.format.unwrap_or_default() {
        Format::Csv => ExportFormat::Csv,
        Format::Xlsx => ExportFormat::Xlsx,
    };
    let file = state.app.export_proposal(&who, &id, format).await?;
    let disposition = content_disposition(&file);
    Ok((
        [
            (CONTENT_TYPE, file.format.content_type().to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        file.bytes,
    )
        .into_response())
}

/// The programme dashboard from approved pairings: zones and universities covered, benchmark projects
/// planned and pairings short of 10, platforms and talents involved, per track and per city
/// (department only).
#[utoipa::path(get, path = "/v1/dashboard", tag = "proposals", security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Dashboard),
        (status = 401, description = "missing_token or invalid_token", body = ErrorBody),
        (status = 403, description = "forbidden: only the department sees the dashboard", body = ErrorBody)))]
pub async fn dashboard(State(state): State<AppState>, Caller(who): Caller) -> ApiResult<Response> {
    Ok(Json(state.app.dashboard(&who).await?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::dashboard as board;
    use crate::app::proposals as app;
    use crate::domain::Dataset;
    use crate::domain::{DemandId, TeamId};
    use crate::pairing::{PairScorer, propose};
    use crate::review::PairingStatus;
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    fn mirrors<M: DeserializeOwned>(value: impl Serialize) {
        let v = serde_json::to_value(value).unwrap();
        if let Err(err) = serde_json::from_value::<M>(v.clone()) {
            panic!("{} does not mirror {v}: {err}", std::any::type_name::<M>());
        }
    }

    fn data() -> Dataset {
        fn parse<T: DeserializeOwned>(v: serde_json::Value) -> T {
            serde_json::from_value(v).unwrap()
        }
        Dataset {
            tracks: parse(
                json!([{"id": "t", "name": "新型储能", "kind": "future", "keywords": ["储能"]}]),
            ),
            zones: parse(
                json!([{"id": "z", "name": "苏州高新区", "city": "苏州", "industries": ["新型储能"],
                "platforms": [{"name": "储能中试平台", "kind": "pilot"}],
                "funds": [{"name": "储能基金", "size_wan_yuan": 100.0}]}]),
            ),
            universities: parse(json!([{"id": "u", "name": "南京大学", "city": "南京"},
                {"id": "v", "name": "东南大学", "city": "南京"}])),
            teams: parse(json!([
                {"id": "a", "university_id": "u", "name": "储能电池团队", "track_ids": ["t"],
                 "description": "储能电池安全", "leader": {"name": "王", "title": "教授", "honors": ["杰青"]},
                 "platforms": [{"name": "储能实验室", "kind": "lab"}],
                 "achievements": [{"kind": "paper", "title": "储能电池热失控"}]},
                {"id": "b", "university_id": "v", "name": "电池材料团队", "track_ids": ["t"],
                 "description": "储能电池材料"}
            ])),
            demands: parse(json!([
                {"id": "d1", "zone_id": "z", "title": "储能电池安全监测", "track_ids": ["t"],
                 "enterprise": {"name": "甲公司"}},
                {"id": "d2", "zone_id": "z", "title": "储能电池材料降本", "track_ids": ["t"]}
            ])),
        }
    }

    /// Every team of the dataset fits every demand equally well.
    struct EveryTeam(Vec<TeamId>);

    impl PairScorer for EveryTeam {
        fn teams_for_demand(&self, _: &DemandId, limit: usize) -> Vec<(TeamId, f32)> {
            self.0
                .iter()
                .take(limit)
                .map(|t| (t.clone(), 0.8))
                .collect()
        }
    }

    #[test]
    fn job_and_batch_mirrors_accept_real_values() {
        let data = data();
        let scorer = EveryTeam(data.teams.iter().map(|t| t.id.clone()).collect());
        let config = PairingConfig::from(ProposalConfig::default());
        let batch = propose(&data, &scorer, &["t".into()], &config, &mut |_| {})
            .unwrap()
            .batch;
        assert!(!batch.pairings.is_empty());
        let pairings = batch
            .pairings
            .iter()
            .map(|p| app::BatchPairing {
                pairing_id: "pj-1-001".into(),
                status: PairingStatus::ChangesRequested,
                version: 2,
                superseded_by: Some("pj-2".into()),
                zone_id: p.zone_id.clone(),
                zone_name: p.zone_name.clone(),
                university_id: p.university_id.clone(),
                university_name: p.university_name.clone(),
                track_id: p.track_id.clone(),
                track_name: p.track_name.clone(),
                quality: p.quality,
                forced: p.forced,
                bundle: p.bundle.clone(),
                explanation: p.explanation.clone(),
            })
            .collect();
        let view = app::BatchView {
            track_ids: batch.track_ids.clone(),
            config: PairingConfig {
                forced: vec![Triple::new("z", "u", "t")],
                min_quality: Some(0.1),
                ..batch.config.clone()
            },
            approved: vec![Triple::new("z", "u", "t")],
            rejected: vec![Triple::new("z", "v", "t")],
            objective: batch.objective,
            optimality: batch.optimality.clone(),
            pairings,
            diagnostics: batch.diagnostics.clone(),
            timings_ms: batch.timings_ms.clone(),
        };
        let job = app::ProposalJob {
            job_id: "pj-1".into(),
            kind: app::JobKind::Revise,
            revises: Some("pj-0".into()),
            state: app::JobState::Done,
            stage: app::JobStage::Done,
            progress: 100,
            track_ids: vec!["t".into()],
            created_by: "处长".into(),
            created_at: "now".into(),
            updated_at: "now".into(),
            summary: Some(app::BatchSummary {
                objective: 1.0,
                pairing_count: 1,
                feasible: true,
                proven_optimal: true,
                gap: 0.0,
                short_pairings: 1,
                infeasibilities: 0,
            }),
            error: Some(app::JobError {
                code: "c".into(),
                message: "m".into(),
            }),
            batch: Some(view),
        };
        mirrors::<ProposalJob>(&job);
        let v = serde_json::to_value(&job).unwrap();
        assert!(v["batch"]["pairings"][0]["bundle"]["benchmark_projects"].is_array());
        assert!(v["batch"]["pairings"][0]["explanation"]["breakdown"]["quality"].is_number());
        mirrors::<dto::Page<ProposalJob>>(crate::app::Page {
            items: vec![app::ProposalJob { batch: None, ..job }],
            total: 1,
            limit: 20,
            offset: 0,
        });
    }

    #[test]
    fn dashboard_mirror_accepts_a_real_value() {
        let d = board::Dashboard {
            pairings: board::StatusCounts::default(),
            zones: board::Coverage {
                covered: 1,
                total: 2,
                uncovered: vec![board::Uncovered {
                    id: "z2".into(),
                    name: "n".into(),
                    city: "c".into(),
                }],
            },
            universities: board::Coverage {
                covered: 0,
                total: 0,
                uncovered: vec![],
            },
            benchmark_projects: board::Projects {
                planned: 3,
                target_per_pairing: 10,
                short_pairings: 1,
            },
            pairings_short: vec![board::ShortPairing {
                pairing_id: "p".into(),
                zone_id: "z".into(),
                zone_name: "n".into(),
                university_id: "u".into(),
                university_name: "n".into(),
                track_id: "t".into(),
                track_name: "n".into(),
                projects: 3,
                target: 10,
                shortfall: 7,
            }],
            platforms: board::Platforms::default(),
            talents: board::Talents::default(),
            funds: board::Funds::default(),
            by_track: vec![board::TrackRow {
                track_id: "t".into(),
                track_name: "n".into(),
                pairings: 1,
                zones: 1,
                universities: 1,
                projects: 3,
                short: 1,
                platforms: 2,
                talents: 1,
            }],
            by_city: vec![board::CityRow {
                city: "苏州".into(),
                zones_total: 2,
                zones_covered: 1,
                universities: 1,
                pairings: 1,
                projects: 3,
                short: 1,
                platforms: 2,
                talents: 1,
            }],
        };
        mirrors::<Dashboard>(d);
    }

    #[test]
    fn request_config_fills_defaults_and_rejects_unknown_fields() {
        let r: ProposalRequest = serde_json::from_value(json!({
            "track_ids": ["t"],
            "config": {"university_max": 1, "forced": [["z", "u", "t"]]}
        }))
        .unwrap();
        let c = PairingConfig::from(r.config);
        assert_eq!(
            (c.zone_track_min, c.zone_track_max, c.university_max),
            (1, 2, 1)
        );
        assert_eq!(c.forced, vec![Triple::new("z", "u", "t")]);
        assert!(
            serde_json::from_value::<ProposalRequest>(json!({"track_ids": [], "config": {"x": 1}}))
                .is_err()
        );
        assert!(
            serde_json::from_value::<ProposalRequest>(
                json!({"track_ids": [], "config": {"forced": [["z", "u"]]}})
            )
            .is_err()
        );
    }

    #[test]
    fn content_disposition_has_an_ascii_name_and_an_encoded_one() {
        let file = ExportFile {
            bytes: vec![],
            format: ExportFormat::Csv,
            filename: "双高-pj-1.csv".into(),
            ascii_filename: "shuanggao-pj-1.csv".into(),
        };
        assert_eq!(
            content_disposition(&file),
            "attachment; filename=\"shuanggao-pj-1.csv\"; \
             filename*=UTF-8''%E5%8F%8C%E9%AB%98-pj-1.csv"
        );
    }
}
