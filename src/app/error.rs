//! Why an app call fails: [`AppError`] with its stable client code, and the contract [`Violation`] a
//! written team or demand can carry.

use super::MatcherError;
use crate::auth::AuthError;
use crate::review::ReviewError;
use crate::store::StoreError;

/// A team or demand that breaks the dataset contract: the first offending field, and what is wrong (every
/// problem when there are several).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Violation {
    pub field: String,
    pub message: String,
}

/// Why an app call failed. `code()` is the stable code clients see.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} {id} already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("invalid parameter {name}: {message}")]
    InvalidParameter { name: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("contract violation: {0}")]
    Contract(#[from] Violation),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error("store: {0}")]
    Store(StoreError),
    #[error("matcher: {0}")]
    Matcher(#[from] MatcherError),
    #[error("{0}")]
    Spreadsheet(#[from] crate::spreadsheet::SpreadsheetError),
    #[error("background task failed: {0}")]
    Task(String),
    #[error("every client waiting for this ranking has gone")]
    Abandoned,
    #[error("{source}")]
    Pairing {
        source: crate::pairing::PairingError,
        /// The request field at fault, when the request was at fault.
        field: Option<String>,
    },
    #[error("proposal job {id} is {state}, not done")]
    JobNotDone { id: String, state: String },
    #[error("pairing {id} was superseded by batch {by} and can no longer be reviewed")]
    Superseded { id: String, by: String },
    #[error("{triple} already has an active pairing (proposed, changes requested or approved)")]
    PairingExists { triple: String },
    #[error(transparent)]
    Outcome(#[from] crate::outcome::OutcomeError),
    #[error("pairing {id} is {status}, not approved; outcomes are recorded on approved pairings")]
    NotApproved { id: String, status: String },
    #[error("the matching engine missed committed writes ({}); it is retried at the next write and rebuilt from the store at the next start", .0.join(", "))]
    EngineBehind(Vec<String>),
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what, id } => AppError::NotFound { what, id },
            StoreError::AlreadyExists { what, id } => AppError::AlreadyExists { what, id },
            StoreError::Review(err) => AppError::Review(err),
            StoreError::Superseded { id, by } => AppError::Superseded { id, by },
            StoreError::PairingExists { triple } => AppError::PairingExists { triple },
            StoreError::Outcome(err) => AppError::Outcome(err),
            StoreError::NotApproved { id, status } => AppError::NotApproved { id, status },
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> crate::error_code::ErrorCode {
        use crate::error_code::ErrorCode;
        match self {
            AppError::Auth(err) => err.code(),
            AppError::NotFound { .. } => ErrorCode::NotFound,
            AppError::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            AppError::InvalidParameter { .. } => ErrorCode::InvalidParameter,
            AppError::BadRequest(_) => ErrorCode::BadRequest,
            AppError::Contract(_) => ErrorCode::ContractViolation,
            AppError::Review(err) => err.code(),
            AppError::Store(err) => err.code(),
            AppError::Matcher(_) => ErrorCode::MatcherFailed,
            AppError::Spreadsheet(_) => ErrorCode::SpreadsheetRefused,
            AppError::Task(_) => ErrorCode::TaskFailed,
            AppError::Abandoned => ErrorCode::Abandoned,
            AppError::Pairing { source, .. } => source.code(),
            AppError::JobNotDone { .. } => ErrorCode::JobNotDone,
            AppError::Superseded { .. } => ErrorCode::PairingSuperseded,
            AppError::PairingExists { .. } => ErrorCode::PairingExists,
            AppError::EngineBehind(_) => ErrorCode::EngineBehind,
            AppError::Outcome(err) => err.code(),
            AppError::NotApproved { .. } => ErrorCode::PairingNotApproved,
        }
    }

    /// The offending field of a contract violation.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Contract(v) => Some(&v.field),
            AppError::InvalidParameter { name, .. } => Some(name),
            AppError::Pairing { field, .. } => field.as_deref(),
            AppError::Outcome(err) => err.field(),
            _ => None,
        }
    }

    pub(super) fn not_found(what: &'static str, id: impl ToString) -> Self {
        AppError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_keep_their_client_codes() {
        let e: AppError = StoreError::NotFound {
            what: "pairing",
            id: "p".into(),
        }
        .into();
        assert_eq!(e.code(), "not_found");
        let e: AppError = StoreError::Review(ReviewError::VersionConflict {
            seen: 1,
            current: 2,
        })
        .into();
        assert_eq!(e.code(), "version_conflict");
    }
}
