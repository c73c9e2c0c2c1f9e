//! The review workflow of a pairing, as pure logic: which decisions are allowed from which status,
//! when a comment is required, and optimistic concurrency on the pairing's version.
//!
//! ```text
//! proposed ──approve──────────▶ approved
//!          ──reject───────────▶ rejected
//!          ──request_changes──▶ changes_requested ──revise──▶ proposed
//! ```
//!
//! Every accepted step bumps the version by one. A caller names the version it saw; a stale version is a
//! conflict and changes nothing, whatever the decision. Nothing here does I/O: the store applies a
//! [`Transition`] inside the same transaction that read the current status.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;

/// Where a pairing stands in the review workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PairingStatus {
    Proposed,
    Approved,
    Rejected,
    ChangesRequested,
}

impl PairingStatus {
    /// All statuses, in workflow order.
    pub const ALL: [PairingStatus; 4] = [
        PairingStatus::Proposed,
        PairingStatus::Approved,
        PairingStatus::Rejected,
        PairingStatus::ChangesRequested,
    ];

    /// The snake_case name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PairingStatus::Proposed => "proposed",
            PairingStatus::Approved => "approved",
            PairingStatus::Rejected => "rejected",
            PairingStatus::ChangesRequested => "changes_requested",
        }
    }
}

impl fmt::Display for PairingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PairingStatus {
    type Err = ReviewError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PairingStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| ReviewError::UnknownStatus(s.to_owned()))
    }
}

/// What a department reviewer decides about a proposed pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
}

impl Decision {
    /// The snake_case name used on the wire and in the history.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::RequestChanges => "request_changes",
        }
    }

    /// Whether this decision must carry a non-blank comment.
    pub fn needs_comment(self) -> bool {
        matches!(self, Decision::Reject | Decision::RequestChanges)
    }

    fn target(self) -> PairingStatus {
        match self {
            Decision::Approve => PairingStatus::Approved,
            Decision::Reject => PairingStatus::Rejected,
            Decision::RequestChanges => PairingStatus::ChangesRequested,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a pairing's history records for one accepted step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The pairing entered the workflow (first history entry).
    Propose,
    Approve,
    Reject,
    RequestChanges,
    Revise,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Propose => "propose",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::RequestChanges => "request_changes",
            Action::Revise => "revise",
        }
    }
}

impl FromStr for Action {
    type Err = ReviewError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Action::Propose,
            Action::Approve,
            Action::Reject,
            Action::RequestChanges,
            Action::Revise,
        ]
        .into_iter()
        .find(|action| action.as_str() == s)
        .ok_or_else(|| ReviewError::UnknownAction(s.to_owned()))
    }
}

impl From<Decision> for Action {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Approve => Action::Approve,
            Decision::Reject => Action::Reject,
            Decision::RequestChanges => Action::RequestChanges,
        }
    }
}

/// An accepted step: the store writes `to` and `new_version` and appends one history entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub action: Action,
    pub from: PairingStatus,
    pub to: PairingStatus,
    pub new_version: i64,
    /// The trimmed comment, empty when none was given.
    pub comment: String,
}

/// Why a review step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("version {seen} is stale: the pairing is at version {current}")]
    VersionConflict { seen: i64, current: i64 },
    #[error("cannot {action} a pairing that is {from}")]
    InvalidTransition { from: PairingStatus, action: String },
    #[error("{0} needs a comment")]
    CommentRequired(Decision),
    #[error("unknown pairing status {0:?}")]
    UnknownStatus(String),
    #[error("unknown review action {0:?}")]
    UnknownAction(String),
}

impl ReviewError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ReviewError::VersionConflict { .. } => ErrorCode::VersionConflict,
            ReviewError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            ReviewError::CommentRequired(_) => ErrorCode::CommentRequired,
            ReviewError::UnknownStatus(_) => ErrorCode::UnknownStatus,
            ReviewError::UnknownAction(_) => ErrorCode::UnknownAction,
        }
    }
}

fn check_version(current: i64, seen: i64) -> Result<(), ReviewError> {
    if current == seen {
        Ok(())
    } else {
        Err(ReviewError::VersionConflict { seen, current })
    }
}

/// One kind of step: `action` moves a pairing from `from` to `to`.
#[derive(Debug, Clone, Copy)]
struct Step {
    action: Action,
    from: PairingStatus,
    to: PairingStatus,
}

impl Step {
    /// Takes this step from `status`/`version`, seen by the reviewer at `seen`: a stale version is a
    /// conflict first, then the step must start at the current status.
    fn take(
        self,
        status: PairingStatus,
        version: i64,
        seen: i64,
        comment: &str,
    ) -> Result<Transition, ReviewError> {
        check_version(version, seen)?;
        if status != self.from {
            return Err(ReviewError::InvalidTransition {
                from: status,
                action: self.action.as_str().to_owned(),
            });
        }
        Ok(Transition {
            action: self.action,
            from: status,
            to: self.to,
            new_version: version + 1,
            comment: comment.trim().to_owned(),
        })
    }
}

/// Decides a department review of a pairing at `status`/`version`, seen by the reviewer at `seen`.
///
/// Order of checks: a stale version is a conflict first (the reviewer must reload whatever they sent),
/// then the decision must be allowed from the current status, then reject and request-changes need a
/// comment.
pub fn review(
    status: PairingStatus,
    version: i64,
    seen: i64,
    decision: Decision,
    comment: &str,
) -> Result<Transition, ReviewError> {
    let step = Step {
        action: decision.into(),
        from: PairingStatus::Proposed,
        to: decision.target(),
    };
    let transition = step.take(status, version, seen, comment)?;
    if decision.needs_comment() && transition.comment.is_empty() {
        return Err(ReviewError::CommentRequired(decision));
    }
    Ok(transition)
}

/// The revision of a pairing whose changes were requested: it goes back to `proposed`.
const REVISE: Step = Step {
    action: Action::Revise,
    from: PairingStatus::ChangesRequested,
    to: PairingStatus::Proposed,
};

/// Decides a revision of a pairing whose changes were requested: it goes back to `proposed`.
pub fn revise(
    status: PairingStatus,
    version: i64,
    seen: i64,
    comment: &str,
) -> Result<Transition, ReviewError> {
    REVISE.take(status, version, seen, comment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PairingStatus::*;

    #[test]
    fn approve_moves_proposed_to_approved_and_bumps_version() {
        let t = review(Proposed, 3, 3, Decision::Approve, "").unwrap();
        assert_eq!((t.from, t.to, t.new_version), (Proposed, Approved, 4));
        assert_eq!(t.action, Action::Approve);
        assert_eq!(t.comment, "");
    }

    #[test]
    fn every_decision_from_proposed_reaches_its_status() {
        let cases = [
            (Decision::Approve, Approved),
            (Decision::Reject, Rejected),
            (Decision::RequestChanges, ChangesRequested),
        ];
        for (decision, want) in cases {
            let t = review(Proposed, 1, 1, decision, " why ").unwrap();
            assert_eq!(t.to, want, "{decision}");
            assert_eq!(t.comment, "why");
        }
    }

    #[test]
    fn reject_and_request_changes_need_a_non_blank_comment() {
        for decision in [Decision::Reject, Decision::RequestChanges] {
            for comment in ["", "   ", "\n\t"] {
                assert_eq!(
                    review(Proposed, 1, 1, decision, comment),
                    Err(ReviewError::CommentRequired(decision))
                );
            }
        }
        assert!(review(Proposed, 1, 1, Decision::Approve, "").is_ok());
    }

    #[test]
    fn stale_version_is_a_conflict_whatever_the_decision_or_status() {
        for status in PairingStatus::ALL {
            for decision in [
                Decision::Approve,
                Decision::Reject,
                Decision::RequestChanges,
            ] {
                assert_eq!(
                    review(status, 5, 4, decision, ""),
                    Err(ReviewError::VersionConflict {
                        seen: 4,
                        current: 5
                    })
                );
            }
            assert_eq!(
                revise(status, 2, 7, ""),
                Err(ReviewError::VersionConflict {
                    seen: 7,
                    current: 2
                })
            );
        }
    }

    #[test]
    fn only_proposed_pairings_can_be_reviewed() {
        for status in [Approved, Rejected, ChangesRequested] {
            let err = review(status, 1, 1, Decision::Approve, "ok").unwrap_err();
            assert_eq!(err.code(), "invalid_transition");
            assert_eq!(
                err.to_string(),
                format!("cannot approve a pairing that is {status}")
            );
        }
    }

    #[test]
    fn only_changes_requested_can_be_revised_back_to_proposed() {
        let t = revise(ChangesRequested, 2, 2, "new platform").unwrap();
        assert_eq!(
            (t.from, t.to, t.new_version),
            (ChangesRequested, Proposed, 3)
        );
        for status in [Proposed, Approved, Rejected] {
            assert_eq!(
                revise(status, 1, 1, "").unwrap_err().code(),
                "invalid_transition"
            );
        }
    }

    #[test]
    fn statuses_and_actions_round_trip_through_their_names() {
        for status in PairingStatus::ALL {
            assert_eq!(status.as_str().parse::<PairingStatus>().unwrap(), status);
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        assert!("done".parse::<PairingStatus>().is_err());
        for action in [
            Action::Propose,
            Action::Approve,
            Action::Reject,
            Action::RequestChanges,
            Action::Revise,
        ] {
            assert_eq!(action.as_str().parse::<Action>().unwrap(), action);
        }
    }

    #[test]
    fn a_full_cycle_keeps_versions_strictly_increasing() {
        let t1 = review(Proposed, 1, 1, Decision::RequestChanges, "more projects").unwrap();
        let t2 = revise(t1.to, t1.new_version, t1.new_version, "").unwrap();
        let t3 = review(t2.to, t2.new_version, t2.new_version, Decision::Approve, "").unwrap();
        assert_eq!(t3.to, Approved);
        assert_eq!([t1.new_version, t2.new_version, t3.new_version], [2, 3, 4]);
    }
}
