//! Route handlers: each parses its request, calls one [`App`](crate::app::App) method with the caller,
//! and serializes the answer. The `#[utoipa::path]` on each is its OpenAPI entry.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::dto::{self, PageQuery, PairingsQuery, RankQuery, SearchQuery};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller, ContractJson};
use super::responses::{
    AlreadyExists, BadRequest, ContractViolation, Forbidden, NotFound, PayloadTooLarge,
    Unauthorized, UnsupportedMediaType,
};
use crate::app::{
    DemandFit, Page, PageRequest, PairingQuery, PairingView, RankedDemand, RankedTeam,
    ReviewOutcome, SearchResult, UniversityCandidate, UniversityView, ZoneView,
};
use crate::auth::Role;
use crate::domain::{
    Demand, DemandId, Team, TeamId, Track, TrackId, University, UniversityId, Zone, ZoneId,
};
use crate::error_code::ErrorCode;
use crate::store::{CommentRecord, HistoryEntry};

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

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready", body = dto::Health),
        (status = 503, description = "not ready", body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<dto::Health>> {
    state
        .app
        .ready()
        .await
        .map_err(|_| ApiError::new(ErrorCode::NotReady, "the database does not answer"))?;
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
/// best team, score and explanation.
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

/// Free-text search over teams or demands with highlighted snippets (any role).
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
