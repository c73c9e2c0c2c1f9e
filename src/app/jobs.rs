//! What a proposal job looks like to clients: its kind, state and stage, the batch it produced with the
//! live review state of each pairing, and the files a batch is exported as.

use serde::{Deserialize, Serialize};

use crate::domain::{TrackId, UniversityId, ZoneId};
use crate::pairing::bundle::Bundle;
use crate::pairing::{Batch, PairingConfig, PairingRationale, Stage};
use crate::review::PairingStatus;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A batch for the requested tracks and constraints.
    Propose,
    /// A batch re-solved from an earlier one after review.
    Revise,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

/// What a job is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStage {
    Queued,
    Scoring,
    Bundling,
    Solving,
    Explaining,
    /// Writing the batch and entering its pairings into review.
    Saving,
    Done,
    Failed,
}

impl JobStage {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            JobStage::Queued => "queued",
            JobStage::Scoring => "scoring",
            JobStage::Bundling => "bundling",
            JobStage::Solving => "solving",
            JobStage::Explaining => "explaining",
            JobStage::Saving => "saving",
            JobStage::Done => "done",
            JobStage::Failed => "failed",
        }
    }

    pub(super) fn parse(text: &str) -> Option<JobStage> {
        [
            JobStage::Queued,
            JobStage::Scoring,
            JobStage::Bundling,
            JobStage::Solving,
            JobStage::Explaining,
            JobStage::Saving,
            JobStage::Done,
            JobStage::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub(super) fn of(stage: Stage) -> JobStage {
        match stage {
            Stage::Scoring => JobStage::Scoring,
            Stage::Bundling => JobStage::Bundling,
            Stage::Solving => JobStage::Solving,
            Stage::Explaining => JobStage::Explaining,
            Stage::Done => JobStage::Saving,
        }
    }
}

/// A proposal request (`POST /v1/proposals`): the tracks and the department's constraints, every one of
/// them optional with the default [`PairingConfig`] shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalRequest {
    /// Tracks to pair in (at least one; unknown ids are answered 422 `unknown_track`).
    pub track_ids: Vec<TrackId>,
    #[serde(default)]
    pub config: PairingConfig,
}

/// Headline figures of a finished batch, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchSummary {
    pub objective: f64,
    pub pairing_count: usize,
    pub feasible: bool,
    pub proven_optimal: bool,
    pub gap: f64,
    /// Selected pairings with fewer benchmark projects than the target.
    pub short_pairings: usize,
    /// Diagnostics of severity `infeasible`.
    pub infeasibilities: usize,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

/// A proposal job as clients see it; `batch` only once it is done, and only for one job.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProposalJob {
    pub job_id: String,
    pub kind: JobKind,
    /// The job a `revise` job re-solves.
    pub revises: Option<String>,
    pub state: JobState,
    pub stage: JobStage,
    /// 0–100.
    pub progress: u8,
    pub track_ids: Vec<TrackId>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub summary: Option<BatchSummary>,
    pub error: Option<JobError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchView>,
}

/// A finished batch with the live review state of its pairings.
pub type BatchView = Batch<BatchPairing>;

/// One pairing of a batch: its review record and its five-in-one bundle with the explanation.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BatchPairing {
    /// Its id in the review workflow (`/v1/pairings/{id}`).
    pub pairing_id: String,
    pub status: PairingStatus,
    pub version: i64,
    pub superseded_by: Option<String>,
    pub zone_id: ZoneId,
    pub zone_name: String,
    pub university_id: UniversityId,
    pub university_name: String,
    pub track_id: TrackId,
    pub track_name: String,
    pub quality: f64,
    /// Set by the department (a forced triple or an approval).
    pub forced: bool,
    pub bundle: Bundle,
    pub explanation: PairingRationale,
}

/// Export formats of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// UTF-8 with a byte-order mark.
    #[default]
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// An exported batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub format: ExportFormat,
    /// Suggested file name (Chinese; ASCII-safe apart from the Chinese prefix).
    pub filename: String,
    /// The same name in ASCII, for clients that cannot read an encoded one.
    pub ascii_filename: String,
}
