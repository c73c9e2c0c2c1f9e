//! Route handlers: each parses its request, calls one [`App`](crate::app::App) method with the caller,
//! and serializes the answer (proposal exports as files with their download headers). The
//! `#[utoipa::path]` on each is its OpenAPI entry.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::dto::{self, PageQuery, PairingsQuery, RankQuery, SearchQuery};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller, ContractJson};
use super::responses::{
    AlreadyExists, BadRequest, ContractViolation, Forbidden, NotFound, OutcomeRejected,
    PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::app::dashboard::Dashboard;
use crate::app::{
    AppError, DemandFit, DemandPatents, ExportFile, OutcomeDecision, OutcomeQuery, OutcomeView,
    Page, PageRequest, PairingQuery, PairingView, ProposalJob, ProposalRequest, RankedDemand,
    RankedTeam, ReviewOutcome, SearchResult, TransferableAchievement, UniversityCandidate,
    UniversityView, ZoneView,
};
use crate::auth::Role;
use crate::domain::{
    Demand, DemandId, Team, TeamId, Track, TrackId, University, UniversityId, Zone, ZoneId,
};
use crate::error_code::ErrorCode;
use crate::outcome::OutcomeDetail;
use crate::store::{CommentRecord, HistoryEntry, OutcomeRecord};

type ApiResult<T> = Result<T, ApiError>;

fn page(limit: Option<u32>, offset: Option<u64>) -> ApiResult<PageRequest> {
    Ok(PageRequest::new(limit, offset)?)
}

// ---- Operations ----

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "alive", body = dto::Health)))]
pub async fn healthz() -> Json<dto::Health> {
    Json(dto::Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and the matching engine holds every committed write
/// (`503 engine_behind` names the writes it missed).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready", body = dto::Health),
        (status = 503, description = "not ready", body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<dto::Health>> {
    state.app.ready().await.map_err(|err| match err {
        behind @ AppError::EngineBehind(_) => ApiError::from(behind),
        _ => ApiError::new(ErrorCode::NotReady, "the database does not answer"),
    })?;
    Ok(Json(dto::Health {
        status: "ready".into(),
    }))
}

/// Request counts and latency histograms per route, requests in flight, the ranking cache, engine
/// update time and the proposal queue, in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(&state.app.stats()),
    )
        .into_response()
}

/// This OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        state.docs.openapi_json.as_ref().clone(),
    )
        .into_response()
}

/// The API reference, rendered from the OpenAPI document with assets served by this binary.
#[utoipa::path(get, path = "/docs", tag = "operations",
    responses((status = 200, description = "HTML page", body = String, content_type = "text/html")))]
pub async fn docs(State(state): State<AppState>) -> Html<String> {
    Html(state.docs.html.as_ref().clone())
}

// ---- Catalog ----

/// The caller: its role, the token's name and the zone or university it acts for (any role).
#[utoipa::path(get, path = "/v1/me", tag = "catalog",
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = dto::Me),
        Unauthorized))]
pub async fn me(Caller(who): Caller) -> Json<dto::Me> {
    let (zone_id, university_id) = match &who.role {
        Role::Department => (None, None),
        Role::Zone(id) => (Some(id.to_string()), None),
        Role::University(id) => (None, Some(id.to_string())),
    };
    Json(dto::Me {
        role: who.role.to_string(),
        kind: who.role.kind().to_owned(),
        name: who.name,
        zone_id,
        university_id,
    })
}

/// Industrial tracks (any role).
#[utoipa::path(get, path = "/v1/tracks", tag = "catalog", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<Track>),
        BadRequest, Unauthorized))]
pub async fn tracks(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(state.app.tracks(&who, page(q.limit, q.offset)?)).into_response())
}

/// High-tech zones (any role).
#[utoipa::path(get, path = "/v1/zones", tag = "catalog", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<Zone>),
        BadRequest, Unauthorized))]
pub async fn zones(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(state.app.zones(&who, page(q.limit, q.offset)?)).into_response())
}

/// One zone's profile (any role); its demand list for the department and the zone itself.
#[utoipa::path(get, path = "/v1/zones/{id}", tag = "catalog",
    params(("id" = String, Path, description = "zone id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = ZoneView),
        BadRequest, Unauthorized, NotFound))]
pub async fn zone(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.zone(&who, &ZoneId(id))?).into_response())
}

/// Universities (any role).
#[utoipa::path(get, path = "/v1/universities", tag = "catalog", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<University>),
        BadRequest, Unauthorized))]
pub async fn universities(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(state.app.universities(&who, page(q.limit, q.offset)?)).into_response())
}

/// One university's profile and teams (any role).
#[utoipa::path(get, path = "/v1/universities/{id}", tag = "catalog",
    params(("id" = String, Path, description = "university id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = UniversityView),
        BadRequest, Unauthorized, NotFound))]
pub async fn university(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.university(&who, &UniversityId(id))?).into_response())
}

/// One team (any role).
#[utoipa::path(get, path = "/v1/teams/{id}", tag = "catalog",
    params(("id" = String, Path, description = "team id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Team),
        BadRequest, Unauthorized, NotFound))]
pub async fn team(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.team(&who, &TeamId(id))?).into_response())
}

/// One demand (any role).
#[utoipa::path(get, path = "/v1/demands/{id}", tag = "catalog",
    params(("id" = String, Path, description = "demand id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Demand),
        BadRequest, Unauthorized, NotFound))]
pub async fn demand(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.demand(&who, &DemandId(id))?).into_response())
}

// ---- Rankings ----

/// Candidate universities for a zone's demands (department or that zone), each with its best teams,
/// the demands they fit, the aggregate score and explanations.
#[utoipa::path(get, path = "/v1/zones/{id}/candidates", tag = "matching",
    params(("id" = String, Path, description = "zone id"), RankQuery), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<UniversityCandidate>),
        BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn zone_candidates(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<RankQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    let out = state
        .app
        .zone_candidates(&who, &ZoneId(id), q.track.map(TrackId), p)
        .await?;
    Ok(Json(out).into_response())
}

/// Enterprise demands that fit a university's teams (department or that university), each with the
/// best team, score and explanation; best first, except that on the first 20 no one team takes more than
/// its fair share (20 divided by the number of teams in the list, rounded up).
#[utoipa::path(get, path = "/v1/universities/{id}/demands", tag = "matching",
    params(("id" = String, Path, description = "university id"), RankQuery), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<DemandFit>),
        BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn university_demands(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<RankQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    let out = state
        .app
        .university_demands(&who, &UniversityId(id), q.track.map(TrackId), p)
        .await?;
    Ok(Json(out).into_response())
}

/// Teams ranked for a demand (department or the demand's zone).
#[utoipa::path(get, path = "/v1/demands/{id}/teams", tag = "matching",
    params(("id" = String, Path, description = "demand id"), PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<RankedTeam>),
        BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn demand_teams(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    Ok(Json(state.app.demand_teams(&who, &DemandId(id), p).await?).into_response())
}

/// Demands ranked for a team (department or the team's university).
#[utoipa::path(get, path = "/v1/teams/{id}/demands", tag = "matching",
    params(("id" = String, Path, description = "team id"), PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<RankedDemand>),
        BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn team_demands(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    Ok(Json(state.app.team_demands(&who, &TeamId(id), p).await?).into_response())
}

/// Free-text search over teams or demands with highlighted snippets, each hit naming its owner (a
/// team's university, a demand's zone) (any role).
#[utoipa::path(get, path = "/v1/search", tag = "matching", params(SearchQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<SearchResult>),
        BadRequest, Unauthorized))]
pub async fn search(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    Ok(Json(state.app.search(&who, q.q, q.kind, p).await?).into_response())
}

// ---- Writes ----

/// Adds a team (department, or the university it belongs to). Checked against the dataset contract.
#[utoipa::path(post, path = "/v1/teams", tag = "writes", request_body = Team,
    security(("bearer" = [])),
    responses((status = 201, description = "created", body = Team), BadRequest,
        Unauthorized, Forbidden,
        AlreadyExists, PayloadTooLarge,
        UnsupportedMediaType, ContractViolation))]
pub async fn create_team(
    State(state): State<AppState>,
    Caller(who): Caller,
    ContractJson(team): ContractJson<Team>,
) -> ApiResult<Response> {
    let team = state.app.create_team(&who, team).await?;
    Ok((StatusCode::CREATED, Json(team)).into_response())
}

/// Replaces a team (department, or its university).
#[utoipa::path(put, path = "/v1/teams/{id}", tag = "writes", request_body = Team,
    params(("id" = String, Path, description = "team id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Team), BadRequest,
        Unauthorized, Forbidden,
        NotFound, PayloadTooLarge,
        UnsupportedMediaType, ContractViolation))]
pub async fn update_team(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ContractJson(team): ContractJson<Team>,
) -> ApiResult<Response> {
    Ok(Json(state.app.update_team(&who, &TeamId(id), team).await?).into_response())
}

/// Deletes a team (department, or its university).
#[utoipa::path(delete, path = "/v1/teams/{id}", tag = "writes",
    params(("id" = String, Path, description = "team id")), security(("bearer" = [])),
    responses((status = 204, description = "deleted"), BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn delete_team(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<StatusCode> {
    state.app.delete_team(&who, &TeamId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a demand (department, or the zone it belongs to). Checked against the dataset contract.
#[utoipa::path(post, path = "/v1/demands", tag = "writes", request_body = Demand,
    security(("bearer" = [])),
    responses((status = 201, description = "created", body = Demand), BadRequest,
        Unauthorized, Forbidden,
        AlreadyExists, PayloadTooLarge,
        UnsupportedMediaType, ContractViolation))]
pub async fn create_demand(
    State(state): State<AppState>,
    Caller(who): Caller,
    ContractJson(demand): ContractJson<Demand>,
) -> ApiResult<Response> {
    let demand = state.app.create_demand(&who, demand).await?;
    Ok((StatusCode::CREATED, Json(demand)).into_response())
}

/// Replaces a demand (department, or its zone).
#[utoipa::path(put, path = "/v1/demands/{id}", tag = "writes", request_body = Demand,
    params(("id" = String, Path, description = "demand id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Demand), BadRequest,
        Unauthorized, Forbidden,
        NotFound, PayloadTooLarge,
        UnsupportedMediaType, ContractViolation))]
pub async fn update_demand(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ContractJson(demand): ContractJson<Demand>,
) -> ApiResult<Response> {
    Ok(Json(state.app.update_demand(&who, &DemandId(id), demand).await?).into_response())
}

/// Deletes a demand (department, or its zone).
#[utoipa::path(delete, path = "/v1/demands/{id}", tag = "writes",
    params(("id" = String, Path, description = "demand id")), security(("bearer" = [])),
    responses((status = 204, description = "deleted"), BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn delete_demand(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<StatusCode> {
    state.app.delete_demand(&who, &DemandId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Pairings and review ----

/// Pairings: all for the department, those involving the caller for a zone or university.
#[utoipa::path(get, path = "/v1/pairings", tag = "pairings", params(PairingsQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<PairingView>), BadRequest,
        Unauthorized, Forbidden))]
pub async fn pairings(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<PairingsQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    let query = PairingQuery {
        status: q.status,
        track_id: q.track.map(TrackId),
        zone_id: q.zone_id.map(ZoneId),
        university_id: q.university_id.map(UniversityId),
        batch_id: q.batch_id,
    };
    Ok(Json(state.app.pairings(&who, query, p).await?).into_response())
}

/// One pairing (department, or a party to it).
#[utoipa::path(get, path = "/v1/pairings/{id}", tag = "pairings",
    params(("id" = String, Path, description = "pairing id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = PairingView), BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn pairing(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.pairing(&who, &id).await?).into_response())
}

/// Reviews a pairing (department only): approve, reject or request changes, naming the version seen.
#[utoipa::path(post, path = "/v1/pairings/{id}/reviews", tag = "pairings",
    request_body = dto::ReviewRequest,
    params(("id" = String, Path, description = "pairing id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = ReviewOutcome), BadRequest,
        Unauthorized, UnsupportedMediaType, PayloadTooLarge, Forbidden,
        NotFound,
        (status = 409, description = "stale version or decision not allowed from the current status", body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<dto::ReviewRequest>,
) -> ApiResult<Response> {
    let out = state
        .app
        .review(&who, &id, body.decision, body.comment, body.version)
        .await?;
    Ok(Json(out).into_response())
}

/// The review history of a pairing, oldest first (department, or a party to it).
#[utoipa::path(get, path = "/v1/pairings/{id}/history", tag = "pairings",
    params(("id" = String, Path, description = "pairing id"), PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<HistoryEntry>), BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn history(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    Ok(Json(state.app.history(&who, &id, p).await?).into_response())
}

/// Comments on a pairing, oldest first (department, or a party to it).
#[utoipa::path(get, path = "/v1/pairings/{id}/comments", tag = "pairings",
    params(("id" = String, Path, description = "pairing id"), PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<CommentRecord>), BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn comments(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    Ok(Json(state.app.comments(&who, &id, p).await?).into_response())
}

/// Comments on a pairing (department, or a party to it).
#[utoipa::path(post, path = "/v1/pairings/{id}/comments", tag = "pairings",
    request_body = dto::CommentRequest,
    params(("id" = String, Path, description = "pairing id")), security(("bearer" = [])),
    responses((status = 201, description = "created", body = CommentRecord), BadRequest,
        Unauthorized, UnsupportedMediaType, PayloadTooLarge, Forbidden,
        NotFound))]
pub async fn comment(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<dto::CommentRequest>,
) -> ApiResult<Response> {
    let out = state.app.comment(&who, &id, body.body).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

// ---- Achievement conversion ----

/// A university's transferable patents (可转化成果), each with the enterprise demands that could take it
/// up, ranked and explained by the engine with the achievement as the query (department, or the
/// university itself).
#[utoipa::path(get, path = "/v1/universities/{id}/conversions", tag = "matching",
    params(("id" = String, Path, description = "university id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Vec<TransferableAchievement>), BadRequest,
        Unauthorized, Forbidden, NotFound))]
pub async fn university_conversions(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.conversions(&who, &UniversityId(id)).await?).into_response())
}

/// A zone's demands, each with the transferable patents of any university that fit it, best first;
/// demands no transferable patent fits are left out (department, or the zone itself).
#[utoipa::path(get, path = "/v1/zones/{id}/transferable-patents", tag = "matching",
    params(("id" = String, Path, description = "zone id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Vec<DemandPatents>), BadRequest,
        Unauthorized, Forbidden, NotFound))]
pub async fn zone_transferable_patents(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.zone_transferable(&who, &ZoneId(id)).await?).into_response())
}

// ---- Outcomes of approved pairings ----

/// Records an outcome on an approved pairing (its zone or university only): a project's progress, a
/// contract, a payment received on a contract, a patent conversion, a platform, a leading talent or
/// jointly trained graduate students. It is `pending` until the department verifies it; only verified
/// outcomes count toward the programme's targets.
#[utoipa::path(post, path = "/v1/pairings/{id}/outcomes", tag = "outcomes",
    request_body = OutcomeDetail,
    params(("id" = String, Path, description = "pairing id")), security(("bearer" = [])),
    responses((status = 201, description = "recorded, pending verification", body = OutcomeRecord),
        BadRequest, Unauthorized, UnsupportedMediaType, PayloadTooLarge, Forbidden, NotFound,
        (status = 409, description = "pairing_not_approved or pairing_superseded", body = ErrorBody),
        OutcomeRejected))]
pub async fn record_outcome(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<OutcomeDetail>,
) -> ApiResult<Response> {
    let out = state.app.record_outcome(&who, &id, body).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// The outcomes of a pairing, newest first (department, or a party to it).
#[utoipa::path(get, path = "/v1/pairings/{id}/outcomes", tag = "outcomes",
    params(("id" = String, Path, description = "pairing id"), PageQuery), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<OutcomeRecord>), BadRequest,
        Unauthorized, Forbidden, NotFound))]
pub async fn pairing_outcomes(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    Ok(Json(state.app.pairing_outcomes(&who, &id, p).await?).into_response())
}

/// Outcomes, newest first: all for the department (its verification queue is `status=pending`), a
/// zone's or university's own otherwise.
#[utoipa::path(get, path = "/v1/outcomes", tag = "outcomes", params(dto::OutcomesQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<OutcomeRecord>), BadRequest,
        Unauthorized, Forbidden))]
pub async fn outcomes(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<dto::OutcomesQuery>,
) -> ApiResult<Response> {
    let p = page(q.limit, q.offset)?;
    let query = OutcomeQuery {
        zone_id: q.zone_id.map(ZoneId),
        university_id: q.university_id.map(UniversityId),
        track_id: q.track_id.map(TrackId),
        kind: q.kind,
        status: q.status,
    };
    Ok(Json(state.app.outcomes(&who, query, p).await?).into_response())
}

/// The annual progress report (年度进展) as an XLSX attachment: one sheet with the headers 序号, 高新区,
/// 高校, 赛道, 成果类型, 内容, 金额（万元）, 日期, 状态, 登记单位, 登记时间; the outcomes the caller may see,
/// oldest first.
#[utoipa::path(get, path = "/v1/outcomes/export", tag = "outcomes", params(dto::OutcomeReportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "the file, as an attachment",
            content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        BadRequest, Unauthorized, Forbidden))]
pub async fn outcome_report(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<dto::OutcomeReportQuery>,
) -> ApiResult<Response> {
    if let Some(year) = q.year.filter(|y| !(2000..=2100).contains(y)) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("year must be from 2000 to 2100, found {year}"),
        )
        .with_field("year"));
    }
    let query = OutcomeQuery {
        zone_id: q.zone_id.map(ZoneId),
        university_id: q.university_id.map(UniversityId),
        track_id: q.track_id.map(TrackId),
        kind: q.kind,
        status: q.status,
    };
    let file = state.app.outcome_report(&who, query, q.year).await?;
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

/// One outcome with its history, oldest first (department, or a party to its pairing).
#[utoipa::path(get, path = "/v1/outcomes/{id}", tag = "outcomes",
    params(("id" = String, Path, description = "outcome id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = OutcomeView), BadRequest, Unauthorized,
        Forbidden, NotFound))]
pub async fn outcome(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.outcome(&who, &id).await?).into_response())
}

/// Verifies or rejects a pending outcome (department only; a rejection needs a comment). A decided
/// outcome is final: a correction is recorded as a new outcome.
#[utoipa::path(post, path = "/v1/outcomes/{id}/verify", tag = "outcomes",
    request_body = dto::VerifyRequest,
    params(("id" = String, Path, description = "outcome id")), security(("bearer" = [])),
    responses((status = 200, description = "ok", body = OutcomeDecision), BadRequest,
        Unauthorized, UnsupportedMediaType, PayloadTooLarge, Forbidden, NotFound,
        (status = 409, description = "outcome_decided: verified or rejected already", body = ErrorBody)))]
pub async fn verify_outcome(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<dto::VerifyRequest>,
) -> ApiResult<Response> {
    let out = state
        .app
        .verify_outcome(&who, &id, body.decision, body.comment)
        .await?;
    Ok(Json(out).into_response())
}

// ---- Proposals and the dashboard ----

fn accepted(job: ProposalJob) -> Response {
    let location = format!("/v1/proposals/{}", job.job_id);
    (StatusCode::ACCEPTED, [(LOCATION, location)], Json(job)).into_response()
}

/// Starts a pairing proposal for the given tracks under the department's constraints (department
/// only). The job runs in the background; follow it at `GET /v1/proposals/{job_id}`.
#[utoipa::path(post, path = "/v1/proposals", tag = "proposals", request_body = ProposalRequest,
    security(("bearer" = [])),
    responses((status = 202, description = "queued; `Location` names the job", body = ProposalJob),
        (status = 400, description = "bad_request or invalid_json", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "forbidden: only the department proposes", body = ErrorBody),
        UnsupportedMediaType,
        (status = 422, description = "no_tracks, unknown_track, unknown_zone, unknown_university, invalid_config or conflicting_triple, with the field", body = ErrorBody)))]
pub async fn create_proposal(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(request): ApiJson<ProposalRequest>,
) -> ApiResult<Response> {
    Ok(accepted(state.app.propose(&who, request).await?))
}

/// Proposal jobs and their batches' headline figures, newest first (department only).
#[utoipa::path(get, path = "/v1/proposals", tag = "proposals", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = Page<ProposalJob>),
        (status = 400, description = "invalid_parameter", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "forbidden: only the department sees proposals", body = ErrorBody)))]
pub async fn proposals(
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
        BadRequest, Unauthorized,
        (status = 403, description = "forbidden: only the department sees proposals", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody)))]
pub async fn proposal(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(Json(state.app.proposal(&who, &id).await?).into_response())
}

/// Re-solves a finished batch keeping its approved pairings and leaving out its rejected ones; the
/// batch's pairings still open are superseded by the new batch's (department only). No body.
#[utoipa::path(post, path = "/v1/proposals/{job_id}/revise", tag = "proposals",
    params(("job_id" = String, Path, description = "the proposal job to re-solve")),
    security(("bearer" = [])),
    responses((status = 202, description = "queued; `Location` names the new job", body = ProposalJob),
        BadRequest, Unauthorized,
        (status = 403, description = "forbidden: only the department proposes", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "job_not_done: the job is queued, running or failed", body = ErrorBody)))]
pub async fn revise_proposal(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(accepted(state.app.revise_proposal(&who, &id).await?))
}

/// What a new proposal for these tracks would do before it is started: how many open pairings
/// (`proposed`, `changes_requested`) in the tracks it would supersede, and how many approved ones it
/// would keep as they are (department only). A re-proposal of a batch covers the batch's tracks.
#[utoipa::path(get, path = "/v1/proposals/preview", tag = "proposals", params(dto::PreviewQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = crate::app::proposals::ProposalPreview),
        (status = 400, description = "invalid_parameter: unknown query parameter", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "forbidden: only the department proposes", body = ErrorBody),
        (status = 422, description = "no_tracks or unknown_track, with the field", body = ErrorBody)))]
pub async fn proposal_preview(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<dto::PreviewQuery>,
) -> ApiResult<Response> {
    let track_ids = q
        .track_ids
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| TrackId(t.to_owned()))
        .collect();
    Ok(Json(state.app.proposal_preview(&who, track_ids).await?).into_response())
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
    params(("job_id" = String, Path, description = "proposal job id"), dto::ExportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "the file, as an attachment",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "invalid_parameter: unknown format or a job id that cannot be one", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "forbidden: only the department exports", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "job_not_done: no batch yet", body = ErrorBody)))]
pub async fn export_proposal(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<dto::ExportQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or_default();
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
        Unauthorized,
        (status = 403, description = "forbidden: only the department sees the dashboard", body = ErrorBody)))]
pub async fn dashboard(State(state): State<AppState>, Caller(who): Caller) -> ApiResult<Response> {
    Ok(Json(state.app.dashboard(&who).await?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ExportFormat;
    use crate::pairing::Triple;
    use serde_json::json;

    #[test]
    fn request_config_fills_defaults_and_rejects_unknown_fields() {
        let r: ProposalRequest = serde_json::from_value(json!({
            "track_ids": ["t"],
            "config": {"university_max": 1, "forced": [["z", "u", "t"]]}
        }))
        .unwrap();
        let c = r.config;
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
