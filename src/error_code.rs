//! Every stable error code, with its snake_case string and its HTTP status side by side in one table.
//!
//! Each module's error type answers `code()` with an [`ErrorCode`]; the HTTP layer turns the status
//! into a response and writes the string into the JSON body. Adding a variant without a string and a
//! status does not compile. A 500 is reserved for faults of the server itself (storage, index, models,
//! background tasks); every code a client can cause has a 4xx, and a test holds that line.

use std::fmt;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal => $status:literal,)*) => {
        /// A stable error code: what clients match on, and the HTTP status it is answered with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable snake_case string clients see in the `code` field.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status this code is answered with.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }
        }
    };
}

error_codes! {
    // The request itself.
    BadRequest = "bad_request" => 400,
    InvalidJson = "invalid_json" => 400,
    InvalidParameter = "invalid_parameter" => 400,
    CommentRequired = "comment_required" => 400,
    /// A token role that is none of `department`, `zone:<id>`, `university:<id>`.
    InvalidRole = "invalid_role" => 400,
    UnknownStatus = "unknown_status" => 400,
    UnknownAction = "unknown_action" => 400,
    MethodNotAllowed = "method_not_allowed" => 405,
    RequestTimeout = "request_timeout" => 408,
    PayloadTooLarge = "payload_too_large" => 413,
    /// A URI over 65,534 bytes (answered before any route sees the request).
    UriTooLong = "uri_too_long" => 414,
    UnsupportedMediaType = "unsupported_media_type" => 415,
    /// The request line and headers together are over the server's limit.
    HeadersTooLarge = "headers_too_large" => 431,
    // Who is asking.
    MissingToken = "missing_token" => 401,
    InvalidToken = "invalid_token" => 401,
    Forbidden = "forbidden" => 403,
    // What the request names.
    NotFound = "not_found" => 404,
    AlreadyExists = "already_exists" => 409,
    VersionConflict = "version_conflict" => 409,
    InvalidTransition = "invalid_transition" => 409,
    JobNotDone = "job_not_done" => 409,
    PairingSuperseded = "pairing_superseded" => 409,
    /// The triple (zone, university, track) already has an active pairing (proposed, changes requested
    /// or approved, and not superseded).
    PairingExists = "pairing_exists" => 409,
    /// Outcomes are recorded on approved pairings only.
    PairingNotApproved = "pairing_not_approved" => 409,
    /// The outcome was verified or rejected already; a correction is a new outcome.
    OutcomeDecided = "outcome_decided" => 409,
    // What the request asks for, checked against the catalog and the proposal rules.
    ContractViolation = "contract_violation" => 422,
    NoTracks = "no_tracks" => 422,
    UnknownTrack = "unknown_track" => 422,
    UnknownZone = "unknown_zone" => 422,
    UnknownUniversity = "unknown_university" => 422,
    InvalidConfig = "invalid_config" => 422,
    ConflictingTriple = "conflicting_triple" => 422,
    /// An outcome record breaks its kind's rules (amount, date, text, count), with the field.
    InvalidOutcome = "invalid_outcome" => 422,
    /// A payment would bring its contract's payments above the contract's amount.
    PaymentAboveContract = "payment_above_contract" => 422,
    /// A spreadsheet refused whole: formulas, macros, hidden sheets, not XLSX or readable CSV.
    SpreadsheetRefused = "spreadsheet_refused" => 422,
    /// An import with problems in its rows, not written (the body lists them).
    ImportRejected = "import_rejected" => 422,
    // The server cannot answer now; retrying later may work.
    NotReady = "not_ready" => 503,
    EngineBehind = "engine_behind" => 503,
    Overloaded = "overloaded" => 503,
    /// Work stopped because every client waiting for it had gone (never reaches a client).
    Abandoned = "abandoned" => 503,
    // Faults of the server: logged with their cause, answered as `internal`.
    Internal = "internal" => 500,
    Panic = "panic" => 500,
    TaskFailed = "task_failed" => 500,
    MatcherFailed = "matcher_failed" => 500,
    StoreSqlite = "store_sqlite" => 500,
    StoreCreateDir = "store_create_dir" => 500,
    StoreSchemaTooNew = "store_schema_too_new" => 500,
    StoreCorrupt = "store_corrupt" => 500,
    /// A panic while the engine's state was locked; the engine needs a restart.
    EnginePoisoned = "engine_poisoned" => 500,
    InvalidInput = "invalid_input" => 500,
    ScoringConfig = "scoring_config" => 500,
    IndexEngine = "index_engine" => 500,
    IndexIo = "index_io" => 500,
    IndexPoisoned = "index_poisoned" => 500,
    UnknownKind = "unknown_kind" => 500,
    UnknownField = "unknown_field" => 500,
    ModelIo = "model_io" => 500,
    ModelFormat = "model_format" => 500,
    ModelVersion = "model_version" => 500,
    ModelFit = "model_fit" => 500,
    InvalidInstance = "invalid_instance" => 500,
    ExportFailed = "export_failed" => 500,
    // Command-line work (dictionary, dataset files, generator, evaluation); never served over HTTP.
    DictionaryInvalid = "dictionary_invalid" => 500,
    InvalidDataset = "invalid_dataset" => 500,
    DatasetWriteFailed = "dataset_write_failed" => 500,
    InvalidGenMaterial = "invalid_gen_material" => 500,
    InvalidGenParams = "invalid_gen_params" => 500,
    GenWriteFailed = "gen_write_failed" => 500,
    QrelsInvalid = "qrels_invalid" => 500,
}

impl ErrorCode {
    /// Whether this is a fault of the server (answered as `internal`, its cause only logged).
    pub const fn is_internal(self) -> bool {
        self.status() == 500
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::ErrorCode;

    /// The codes that may be answered with 500: faults of the server, never of the request.
    const INTERNAL: &[&str] = &[
        "internal",
        "panic",
        "task_failed",
        "matcher_failed",
        "store_sqlite",
        "store_create_dir",
        "store_schema_too_new",
        "store_corrupt",
        "engine_poisoned",
        "invalid_input",
        "scoring_config",
        "index_engine",
        "index_io",
        "index_poisoned",
        "unknown_kind",
        "unknown_field",
        "model_io",
        "model_format",
        "model_version",
        "model_fit",
        "invalid_instance",
        "export_failed",
        "dictionary_invalid",
        "invalid_dataset",
        "dataset_write_failed",
        "invalid_gen_material",
        "invalid_gen_params",
        "gen_write_failed",
        "qrels_invalid",
    ];

    #[test]
    fn no_client_facing_code_is_a_500() {
        for &code in ErrorCode::ALL {
            let status = code.status();
            assert!((400..600).contains(&status), "{code}: {status}");
            assert_eq!(
                status == 500,
                INTERNAL.contains(&code.as_str()),
                "{code} answers {status}; only the internal codes may answer 500"
            );
        }
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{s}"
            );
        }
    }

    #[test]
    fn client_codes_keep_their_statuses() {
        let table = [
            ("bad_request", 400),
            ("invalid_json", 400),
            ("invalid_parameter", 400),
            ("comment_required", 400),
            ("invalid_role", 400),
            ("missing_token", 401),
            ("invalid_token", 401),
            ("forbidden", 403),
            ("not_found", 404),
            ("method_not_allowed", 405),
            ("request_timeout", 408),
            ("version_conflict", 409),
            ("invalid_transition", 409),
            ("already_exists", 409),
            ("job_not_done", 409),
            ("pairing_superseded", 409),
            ("pairing_exists", 409),
            ("pairing_not_approved", 409),
            ("outcome_decided", 409),
            ("payload_too_large", 413),
            ("uri_too_long", 414),
            ("unsupported_media_type", 415),
            ("headers_too_large", 431),
            ("contract_violation", 422),
            ("no_tracks", 422),
            ("unknown_track", 422),
            ("unknown_zone", 422),
            ("unknown_university", 422),
            ("invalid_config", 422),
            ("conflicting_triple", 422),
            ("invalid_outcome", 422),
            ("payment_above_contract", 422),
            ("not_ready", 503),
            ("overloaded", 503),
        ];
        for (s, status) in table {
            let code = ErrorCode::ALL.iter().find(|c| c.as_str() == s);
            assert_eq!(code.map(|c| c.status()), Some(status), "{s}");
        }
    }
}
