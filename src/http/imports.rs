//! Handlers of spreadsheet imports (demands, teams, outcomes): the template of each kind, and the import
//! of a file (XLSX or CSV) with or without a dry run.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery, Caller};
use super::responses::{Forbidden, NotFound, PayloadTooLarge, Unauthorized};
use crate::app::{ImportKind, ImportReport, TemplateFormat};
use crate::error_code::ErrorCode;

type ApiResult<T> = Result<T, ApiError>;

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a template is asked for in.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TemplateFormatParam {
    #[default]
    Xlsx,
    Csv,
}

/// Query of `GET /v1/imports/{kind}/template`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// `xlsx` (default: the columns, an example row, and sheets explaining each column and listing the
    /// values list columns take) or `csv` (UTF-8 with BOM: the columns and the example row).
    #[param(inline)]
    pub format: Option<TemplateFormatParam>,
}

/// Query of `POST /v1/imports/{kind}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true`: check the file and report what would be written, writing nothing. Default `false`.
    pub dry_run: Option<bool>,
}

/// A 422 answer to an import whose rows have problems: nothing was written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportRejected {
    /// `import_rejected`.
    pub code: String,
    pub message: String,
    #[serde(flatten)]
    pub report: ImportReport,
}

fn kind_of(path: &str) -> Result<ImportKind, ApiError> {
    match path {
        "demands" => Ok(ImportKind::Demands),
        "teams" => Ok(ImportKind::Teams),
        "outcomes" => Ok(ImportKind::Outcomes),
        _ => Err(ApiError::not_found(
            "imports are of demands, teams or outcomes",
        )),
    }
}

/// The spreadsheet template of an import: Chinese headers, one example row, and (XLSX) a sheet
/// explaining each column (list values, units, separators) and sheets of the values list columns take
/// (for outcomes: the caller's approved pairings, the columns each kind fills, recorded contracts).
#[utoipa::path(get, path = "/v1/imports/{kind}/template", tag = "imports",
    params(("kind" = String, Path, description = "`demands`, `teams` or `outcomes`"), TemplateQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "the template, as an attachment",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "invalid_parameter: unknown format", body = ErrorBody),
        Unauthorized, NotFound))]
pub async fn import_template(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(kind): ApiPath,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> ApiResult<Response> {
    let kind = kind_of(&kind)?;
    let (format, content_type) = match q.format.unwrap_or_default() {
        TemplateFormatParam::Xlsx => (TemplateFormat::Xlsx, XLSX),
        TemplateFormatParam::Csv => (TemplateFormat::Csv, "text/csv; charset=utf-8"),
    };
    let bytes = state.app.import_template(&who, kind, format).await?;
    let disposition = format!("attachment; filename=\"{}\"", kind.file_name(format));
    Ok((
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// A spreadsheet body: XLSX or CSV by its content type; a macro-enabled workbook is refused.
#[derive(Debug)]
pub struct SpreadsheetBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for SpreadsheetBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let mime = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if mime.contains("macroenabled") {
            return Err(ApiError::new(
                ErrorCode::SpreadsheetRefused,
                crate::spreadsheet::SpreadsheetError::Macros.to_string(),
            ));
        }
        let accepted = [
            XLSX,
            "text/csv",
            "application/csv",
            "text/plain",
            "application/vnd.ms-excel",
            "application/octet-stream",
        ];
        if !accepted.contains(&mime.as_str()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!("expected an XLSX ({XLSX}) or CSV (text/csv) body"),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "文件超过 1 MiB，请拆成几个文件分别导入",
                )
            } else {
                ApiError::new(ErrorCode::BadRequest, "cannot read the request body")
            }
        })?;
        Ok(SpreadsheetBody(bytes))
    }
}

/// Imports demands (department, or a zone its own) or teams (department, or a university its own) from
/// an XLSX or CSV file (UTF-8 with or without BOM, or GB18030). Rows are numbered as the spreadsheet shows
/// them (the header is row 1). An id names the record a row updates (its owner's only); rows without one
/// are created with a new id. With `dry_run=true` nothing is written; with any problem nothing is
/// written either, and without a dry run the answer is 422 with the same list. A file naming another
/// zone's demand or another university's team is refused whole (403). Outcomes (the pairings' zone or
/// university only) are recorded pending verification, all or none: a payment names its contract by
/// outcome id or by the contract's row in the same file (`第 2 行`), and a row equal to an outcome
/// already recorded is counted as unchanged, not recorded twice; a file naming a pairing the caller is
/// not party to is refused whole (403).
#[utoipa::path(post, path = "/v1/imports/{kind}", tag = "imports",
    params(("kind" = String, Path, description = "`demands`, `teams` or `outcomes`"), ImportQuery),
    request_body(description = "the file, XLSX or CSV",
        content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
    security(("bearer" = [])),
    responses((status = 200, description = "what was (or, on a dry run, would be) written, and every problem", body = ImportReport),
        (status = 400, description = "invalid_parameter", body = ErrorBody),
        Unauthorized, Forbidden, NotFound, PayloadTooLarge,
        (status = 415, description = "unsupported_media_type: neither XLSX nor CSV", body = ErrorBody),
        (status = 422, description = "import_rejected: rows with problems, nothing written (the list in `errors`); or spreadsheet_refused: formulas, macros, hidden sheets, an unreadable file", body = ImportRejected)))]
pub async fn import(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiPath(kind): ApiPath,
    ApiQuery(q): ApiQuery<ImportQuery>,
    SpreadsheetBody(bytes): SpreadsheetBody,
) -> ApiResult<Response> {
    let kind = kind_of(&kind)?;
    let dry_run = q.dry_run.unwrap_or(false);
    let report = state
        .app
        .import(&who, kind, bytes.to_vec(), dry_run)
        .await?;
    if !dry_run && !report.errors.is_empty() {
        let body = ImportRejected {
            code: ErrorCode::ImportRejected.as_str().to_owned(),
            message: format!(
                "{} 处问题，未导入任何一行；改正后重新上传",
                report.errors.len()
            ),
            report,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    Ok(Json(report).into_response())
}
