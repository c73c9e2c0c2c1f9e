//! Pairing proposals: which university each zone should work with in each named track, with the
//! five-in-one bundle (industrial direction, innovation platform, leading talent, transformation fund,
//! benchmark projects), chosen optimally under the department's constraints.
//!
//! The pipeline, all synchronous and free of I/O:
//!
//! 1. [`bundle`]: every demand of the selected tracks is scored against teams through a [`PairScorer`];
//!    each (zone, university, track) with fitting teams becomes a candidate whose benchmark projects are
//!    the zone's demands in the track, each given to the best team of that university with capacity left.
//! 2. [`instance`]: the candidates and constraints form an [`Instance`] (the exact `INSTANCE.json` file),
//!    solved exactly as a min-cost flow ([`flow`]) that first maximises the number of satisfied
//!    `zone_track_min` requirements and then total quality.
//! 3. [`batch`]: the selected triples become a [`Batch`] with bundles, explanations and diagnostics
//!    ([`diagnose`]); [`revise_with`] re-solves after review decisions; [`export`] writes CSV and XLSX.
//!
//! # Quality of a pairing
//!
//! With `K = benchmark_target` (default 10) and `s_1 ≥ s_2 ≥ …` the scores (in [0, 1]) of the pairing's
//! benchmark projects (at most `K` of them):
//!
//! `quality = (s_1 + … + s_min(n, K)) / K = mean(top-K scores) × min(1, n / K)`,
//!
//! rounded to 6 decimals. It lies in [0, 1] and never decreases when a project is added or a score rises:
//! a pairing short of `K` projects is penalised in proportion to what is missing, never padded.
//!
//! # Team capacity across the batch
//!
//! A team takes at most `capacity` projects over the whole batch. Because a university sits in at most
//! `university_max` pairings, every candidate may give a team `capacity / university_max` projects
//! (integer division) and the `capacity mod university_max` candidates the team fits best one more; so any
//! selection the solver makes respects every capacity, and candidate qualities do not depend on the
//! selection (they are the `quality` of `INSTANCE.json`). After solving, capacity left unused tops up the
//! selected pairings that are short of `K` projects; this only raises the qualities of selected triples,
//! so the selection stays optimal for the instance written with the raised qualities.

pub mod batch;
pub mod bundle;
pub mod config;
pub mod diagnose;
pub mod export;
pub mod flow;
pub mod instance;
pub mod scorer;
pub mod synthetic;
pub mod talent;

pub use batch::{
    Batch, BenchmarkProject, BundleRecord, Carried, LeadingTalent, Optimality, PairingRationale,
    Progress, Proposal, ProposalStatus, ProposedPairing, Stage, TalentKey, propose, propose_with,
    revise_with,
};
pub use bundle::{Bundle, Component, Grade};
pub use config::{DEFAULT_MIN_PROJECT_SCORE, PairingConfig, Triple};
pub use diagnose::{Diagnostic, DiagnosticCode, Severity};
pub use export::{
    ExportContext, ExportNames, export_csv, export_csv_with, export_xlsx, export_xlsx_with,
    neutralise,
};
pub use instance::{Instance, InstancePair, Solution, random_instance, solve_instance};
pub use scorer::{PairEvidence, PairScorer};

use crate::domain::{TrackId, UniversityId, ZoneId};
use crate::error_code::ErrorCode;

/// Everything that can go wrong while proposing, revising, solving or exporting.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("no track selected")]
    NoTracks,
    #[error("unknown track {0}")]
    UnknownTrack(TrackId),
    #[error("unknown zone {0}")]
    UnknownZone(ZoneId),
    #[error("unknown university {0}")]
    UnknownUniversity(UniversityId),
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    #[error("invalid instance: {0}")]
    InvalidInstance(String),
    #[error("triple {0} is both forced and forbidden")]
    ConflictingTriple(Triple),
    #[error("export failed: {0}")]
    Export(String),
}

impl PairingError {
    /// Stable snake_case code of the error, for clients and tests.
    pub fn code(&self) -> ErrorCode {
        match self {
            PairingError::NoTracks => ErrorCode::NoTracks,
            PairingError::UnknownTrack(_) => ErrorCode::UnknownTrack,
            PairingError::UnknownZone(_) => ErrorCode::UnknownZone,
            PairingError::UnknownUniversity(_) => ErrorCode::UnknownUniversity,
            PairingError::InvalidConfig(_) => ErrorCode::InvalidConfig,
            PairingError::InvalidInstance(_) => ErrorCode::InvalidInstance,
            PairingError::ConflictingTriple(_) => ErrorCode::ConflictingTriple,
            PairingError::Export(_) => ErrorCode::ExportFailed,
        }
    }
}
