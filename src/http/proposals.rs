//! Routes of pairing proposals and the programme dashboard: preview what a proposal would supersede,
//! start a proposal job, follow it, read its batch, re-propose after review, export a batch as CSV or
//! XLSX, and read the dashboard. The request bodies of these routes live here too; their responses are
//! the app's own types.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::dto::PageQuery;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use super::responses::{BadRequest, Unauthorized, UnsupportedMediaType};
use crate::app::dashboard::Dashboard;
use crate::app::{self, ExportFile, ExportFormat, Page, PageRequest, ProposalJob, ProposalRequest};
use crate::domain::TrackId;

type ApiResult<T> = Result<T, ApiError>;

// ---- Requests ----

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

// ---- Handlers ----

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
pub async fn create(
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
        BadRequest, Unauthorized,
        (status = 403, description = "forbidden: only the department sees proposals", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody)))]
pub async fn get_one(
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
pub async fn revise(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> ApiResult<Response> {
    Ok(accepted(state.app.revise_proposal(&who, &id).await?))
}

/// What a new proposal for these tracks would do before it is started: how many open pairings
/// (`proposed`, `changes_requested`) in the tracks it would supersede, and how many approved ones it
/// would keep as they are (department only). A re-proposal of a batch covers the batch's tracks.
#[utoipa::path(get, path = "/v1/proposals/preview", tag = "proposals", params(PreviewQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "ok", body = app::proposals::ProposalPreview),
        (status = 400, description = "invalid_parameter: unknown query parameter", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "forbidden: only the department proposes", body = ErrorBody),
        (status = 422, description = "no_tracks or unknown_track, with the field", body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<PreviewQuery>,
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
    params(("job_id" = String, Path, description = "proposal job id"), ExportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "the file, as an attachment",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "invalid_parameter: unknown format or a job id that cannot be one", body = ErrorBody),
        Unauthorized,
        (status = 403, description = "forbidden: only the department exports", body = ErrorBody),
        (status = 404, description = "not_found: no such job", body = ErrorBody),
        (status = 409, description = "job_not_done: no batch yet", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<ExportQuery>,
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
