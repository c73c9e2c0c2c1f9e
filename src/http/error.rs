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
use crate::error_code::ErrorCode;

/// The status a stable code is answered with, from the one table in [`crate::error_code`].
pub fn status_for(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = status_for(code);
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            return ApiError::internal(code, &message.into());
        }
        ApiError {
            status,
            body: ErrorBody {
                code: code.as_str().to_owned(),
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
    pub fn internal(code: ErrorCode, cause: &str) -> Self {
        error!(code = code.as_str(), cause, "internal error");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: ErrorBody {
                code: ErrorCode::Internal.as_str().into(),
                message: "internal error".into(),
                field: None,
            },
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, message)
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
