//! The error responses the OpenAPI entries of the handlers share, one type per status and meaning, so
//! that each `#[utoipa::path]` names them instead of spelling them out.

use utoipa::IntoResponses;

use super::error::ErrorBody;

/// Declares each error response: a doc comment, the type, its status and the description the OpenAPI
/// document gives it.
macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident, $status:literal, $description:literal;)*) => {
        $(
            $(#[$doc])*
            #[derive(IntoResponses)]
            #[response(status = $status, description = $description)]
            pub struct $name(pub ErrorBody);
        )*
    };
}

error_responses! {
    /// 400: the request is malformed.
    BadRequest, 400, "bad_request, invalid_json, invalid_parameter (a query parameter, or a path id that cannot be one) or comment_required";
    /// 401: no token, or one the server does not know.
    Unauthorized, 401, "missing_token or invalid_token";
    /// 403: the caller's role may not do this.
    Forbidden, 403, "forbidden: the role may not do this";
    /// 404: what the path names does not exist.
    NotFound, 404, "not_found";
    /// 409: a record with this id exists already.
    AlreadyExists, 409, "already_exists";
    /// 413: the body is over the limit.
    PayloadTooLarge, 413, "payload_too_large: body over 1 MiB";
    /// 415: the body is not JSON.
    UnsupportedMediaType, 415, "unsupported_media_type: body is not application/json";
    /// 422: a team or demand breaks the dataset contract.
    ContractViolation, 422, "contract_violation, with the field";
    /// 422: an outcome record breaks its kind's rules, or a payment its contract.
    OutcomeRejected, 422, "invalid_outcome (amount not positive or above 1,000,000 万元, date not YYYY-MM-DD, before 2000 or in the future, blank text, count out of range, unknown contract or demand), with the field; or payment_above_contract";
}
