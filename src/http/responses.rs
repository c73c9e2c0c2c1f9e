//! The error responses the OpenAPI entries of the handlers share, one type per status and meaning, so
//! that each `#[utoipa::path]` names them instead of spelling them out.

use utoipa::IntoResponses;

use super::error::ErrorBody;

/// 400: the request is malformed.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "bad_request, invalid_json, invalid_parameter or comment_required"
)]
pub struct BadRequest(pub ErrorBody);

/// 401: no token, or one the server does not know.
#[derive(IntoResponses)]
#[response(status = 401, description = "missing_token or invalid_token")]
pub struct Unauthorized(pub ErrorBody);

/// 403: the caller's role may not do this.
#[derive(IntoResponses)]
#[response(status = 403, description = "forbidden: the role may not do this")]
pub struct Forbidden(pub ErrorBody);

/// 404: what the path names does not exist.
#[derive(IntoResponses)]
#[response(status = 404, description = "not_found")]
pub struct NotFound(pub ErrorBody);

/// 409: a record with this id exists already.
#[derive(IntoResponses)]
#[response(status = 409, description = "already_exists")]
pub struct AlreadyExists(pub ErrorBody);

/// 413: the body is over the limit.
#[derive(IntoResponses)]
#[response(status = 413, description = "payload_too_large: body over 1 MiB")]
pub struct PayloadTooLarge(pub ErrorBody);

/// 415: the body is not JSON.
#[derive(IntoResponses)]
#[response(
    status = 415,
    description = "unsupported_media_type: body is not application/json"
)]
pub struct UnsupportedMediaType(pub ErrorBody);

/// 422: a team or demand breaks the dataset contract.
#[derive(IntoResponses)]
#[response(status = 422, description = "contract_violation, with the field")]
pub struct ContractViolation(pub ErrorBody);
