//! Request extractors whose rejections go through [`ApiError`]: the authenticated caller, query
//! strings, JSON bodies, and contract-checked bodies (teams and demands) that name the bad field.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::auth::Principal;
use crate::dataset::{self, Record};
use crate::error_code::ErrorCode;

/// The caller behind the request's bearer token. Records the role (never the token) on the request
/// span.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header =
            match parts.headers.get(AUTHORIZATION) {
                None => None,
                Some(value) => Some(value.to_str().map_err(|_| {
                    ApiError::new(ErrorCode::InvalidToken, "unknown or revoked token")
                })?),
            };
        let principal = state.app.authenticate(header).await?;
        tracing::Span::current().record("role", principal.role.kind());
        Ok(Caller(principal))
    }
}

/// Declares an extractor that wraps the axum extractor `$inner` of request parts and turns its rejection
/// into an [`ApiError`] with `$error`.
macro_rules! parts_extractor {
    ($(#[$doc:meta])* $name:ident, $inner:ident, $error:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T>(pub T);

        impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for $name<T> {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                match $inner::<T>::from_request_parts(parts, state).await {
                    Ok($inner(value)) => Ok($name(value)),
                    Err(rejection) => Err($error(&rejection)),
                }
            }
        }
    };
}

parts_extractor!(
    /// A query string; unknown or malformed parameters are `invalid_parameter`.
    ApiQuery,
    Query,
    query_error
);

fn query_error(rejection: &QueryRejection) -> ApiError {
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text)
        .to_owned();
    let field = detail
        .split_once(": ")
        .map(|(f, _)| f.to_owned())
        .or_else(|| quoted(&detail, "unknown field `"));
    let err = ApiError::new(ErrorCode::InvalidParameter, lower_first(&detail));
    match field {
        Some(f) => err.with_field(f),
        None => err,
    }
}

/// The one path parameter of a route, an id: undecodable is `bad_request`; not an id
/// ([`crate::domain::id_problem`]: empty, `.`, `..`, path-unsafe characters) is `invalid_parameter`
/// naming the parameter.
#[derive(Debug, Clone)]
pub struct ApiPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::new(ErrorCode::BadRequest, lower_first(&r.body_text())))?;
        let Some((name, id)) = params.iter().next() else {
            return Err(ApiError::new(ErrorCode::BadRequest, "no path parameter"));
        };
        match crate::domain::id_problem(id) {
            None => Ok(ApiPath(id.to_owned())),
            Some(problem) => Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("path parameter {name} {problem}"),
            )
            .with_field(name)),
        }
    }
}

/// A JSON body; syntax errors are `invalid_json`, wrong shapes `bad_request`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_error(&rejection)),
        }
    }
}

fn json_error(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::new(ErrorCode::InvalidJson, lower_first(&rejection.body_text()))
        }
        JsonRejection::JsonDataError(_) => {
            ApiError::new(ErrorCode::BadRequest, lower_first(&rejection.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "expected a body with content-type application/json",
        ),
        JsonRejection::BytesRejection(inner) => bytes_error(inner),
        _ => ApiError::new(ErrorCode::BadRequest, lower_first(&rejection.body_text())),
    }
}

fn bytes_error(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "request body is over 1 MiB")
    } else {
        ApiError::new(ErrorCode::BadRequest, "cannot read the request body")
    }
}

/// A body checked against the dataset contract: not JSON is `invalid_json`; JSON that breaks the
/// contract (not an object, unknown, missing, mistyped or repeated field) is `contract_violation` naming
/// the field.
#[derive(Debug, Clone)]
pub struct ContractJson<T>(pub T);

impl<T: Record, S: Send + Sync> FromRequest<S> for ContractJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a body with content-type application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| bytes_error(&r))?;
        let invalid = |err: &dyn std::fmt::Display| {
            ApiError::new(ErrorCode::InvalidJson, format!("invalid json: {err}"))
        };
        serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(|e| invalid(&e))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| invalid(&e))?;
        // Parsed from the text, as the dataset files are, so that a key given twice is refused.
        dataset::parse_record::<T>(text)
            .map(ContractJson)
            .map_err(|problem| {
                let err = ApiError::new(ErrorCode::ContractViolation, problem.message);
                if problem.field == dataset::NO_FIELD {
                    err
                } else {
                    err.with_field(problem.field)
                }
            })
    }
}

/// The text between `prefix` and the next backtick.
fn quoted(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)? + prefix.len();
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_owned())
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_finds_field_names() {
        assert_eq!(
            quoted(
                "unknown field `nmae`, expected one of `id`",
                "unknown field `"
            ),
            Some("nmae".into())
        );
        assert_eq!(quoted("missing field `title`", "unknown field `"), None);
        assert_eq!(lower_first("Failed"), "failed");
    }
}
