//! The one place where error codes become HTTP statuses, and every failure becomes the JSON body
//! `{"code": ..., "message": ..., "field"?: ...}`.
//!
//! A 5xx is logged once here with its real cause and answered with the generic `internal` code and
//! message, so internals never leak to clients.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracing::error;
use utoipa::ToSchema;

use crate::app::AppError;

/// The status each stable code is answered with. Codes not listed are internal errors (500).
pub fn status_for(code: &str) -> StatusCode {
    match code {
        "bad_request" | "invalid_json" | "invalid_parameter" | "comment_required" => {
            StatusCode::BAD_REQUEST
        }
        "missing_token" | "invalid_token" => StatusCode::UNAUTHORIZED,
        "forbidden" => StatusCode::FORBIDDEN,
        "not_found" => StatusCode::NOT_FOUND,
        "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
        "request_timeout" => StatusCode::REQUEST_TIMEOUT,
        "version_conflict" | "invalid_transition" | "already_exists" => StatusCode::CONFLICT,
        "payload_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "unsupported_media_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "contract_violation" => StatusCode::UNPROCESSABLE_ENTITY,
        "not_ready" | "overloaded" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error body every endpoint answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `version_conflict`.
    pub code: String,
    /// A lowercase sentence for people.
    pub message: String,
    /// The offending field or parameter, when there is one (e.g. `achievements[0].year`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error on its way to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    /// An error with a stable code; its status comes from [`status_for`].
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        let status = status_for(code);
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            return ApiError::internal(code, &message.into());
        }
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
                field: None,
            },
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.body.field = Some(field.into());
        self
    }

    /// Logs the cause once and hides it from the client.
    pub fn internal(code: &str, cause: &str) -> Self {
        error!(code, cause, "internal error");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: ErrorBody {
                code: "internal".into(),
                message: "internal error".into(),
                field: None,
            },
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new("not_found", message)
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let code = err.code();
        let status = status_for(code);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return ApiError::internal(code, &err.to_string());
        }
        let message = match &err {
            AppError::Contract(v) => v.message.clone(),
            other => other.to_string(),
        };
        let field = err.field().map(str::to_owned);
        let mut out = ApiError::new(code, message);
        out.body.field = field;
        out
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthError;
    use crate::store::StoreError;

    #[test]
    fn every_client_code_has_its_status() {
        let table = [
            ("bad_request", 400),
            ("invalid_json", 400),
            ("invalid_parameter", 400),
            ("comment_required", 400),
            ("missing_token", 401),
            ("invalid_token", 401),
            ("forbidden", 403),
            ("not_found", 404),
            ("method_not_allowed", 405),
            ("request_timeout", 408),
            ("version_conflict", 409),
            ("invalid_transition", 409),
            ("already_exists", 409),
            ("payload_too_large", 413),
            ("unsupported_media_type", 415),
            ("contract_violation", 422),
            ("not_ready", 503),
            ("overloaded", 503),
            ("store_sqlite", 500),
        ];
        for (code, status) in table {
            assert_eq!(status_for(code).as_u16(), status, "{code}");
        }
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let err: ApiError = AppError::Store(StoreError::Corrupt {
            what: "pairing bundle".into(),
            detail: "secret path /var/x".into(),
        })
        .into();
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.body.code, "internal");
        assert!(!err.body.message.contains("secret"));
    }

    #[test]
    fn auth_and_contract_errors_map() {
        let err: ApiError = AppError::Auth(AuthError::MissingToken).into();
        assert_eq!(
            (err.status.as_u16(), err.body.code.as_str()),
            (401, "missing_token")
        );
        let err: ApiError = AppError::Contract(crate::app::Violation {
            field: "zone_id".into(),
            message: "unknown zone z9".into(),
        })
        .into();
        assert_eq!(err.status.as_u16(), 422);
        assert_eq!(err.body.field.as_deref(), Some("zone_id"));
    }
}
