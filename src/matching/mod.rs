//! The matching engine: given a demand, the teams that can solve it; given a team, the demands it fits; the
//! score of any pair with its explanation; free-text search; incremental updates.
//!
//! [`Engine`] is the facade used by the HTTP service and the pairing optimiser. It owns the text index
//! (candidate retrieval and search), the trained models (TF-IDF, LSA, clusters) and an in-memory view of the
//! dataset ([`state`]). A pair's score is `Σ weight × feature` over the features of [`config::FEATURES`],
//! each in [0, 1], with weights from `models/scoring.toml` summing to 1, so the score is in [0, 1]:
//!
//! - `lexical`: BM25 (BM25F over the profile fields) of the demand's weighted terms in the team profile, plus
//!   `bigram_weight` times BM25 of its character bigrams, divided by the demand's best possible BM25
//!   (`Σ qw·idf` over both): the share of the demand's lexical weight the team covers, comparable across
//!   demands and across teams;
//! - `feedback`: pseudo-relevance feedback. A lexical-only first pass finds the team that covers the demand
//!   best; the feature is the LSA cosine of the candidate team with that team, times that team's lexical
//!   share (a weak first pass counts little). It finds teams on the demand's topic that use other words;
//! - `semantic`: cosine of the LSA vectors of the demand and the team (negative counts as 0). Team vectors
//!   are smoothed over their nearest teams ([`crate::models::smooth`]), which makes them describe a topic
//!   rather than one text;
//! - `achievements`: each achievement's relevance (half lexical share, half LSA cosine), aggregated as half
//!   the best plus half the mean of the best three (missing ones count 0), so more evidence never lowers it;
//! - `track`: 1 when both sides share a track (declared, or inferred from the nearest track), 0.5 for related
//!   tracks (parent, child, sibling);
//! - `cluster`: cosine of the demand with the centroid of the team's cluster;
//! - `evidence`, `proximity`, `capacity`: see [`corpus::evidence`], same city, free share of capacity.
//!
//! The score of a pair is the same whichever direction it is asked from: the demand is always the query.
//! Candidates come from the text index (BM25 over all fields) and from the latent space (the nearest
//! clusters), then every candidate is scored in full; up to `exhaustive_below` teams a demand's ranking
//! scores all, and a team's ranking scores every demand when that is estimated cheaper. Scoring all, each
//! document is first bounded through the inverted lists so that only those that can enter the list are
//! read in full.
//!
//! Where things are: [`open`] brings the engine up ([`build`] is its parallel analysis of every text);
//! [`state`] is the in-memory view of the dataset; [`query`] turns a demand into weighted terms and its
//! pseudo-relevance feedback; [`features`] scores a pair; [`rank`] ranks candidates ([`members`] finds them
//! in the latent space, [`postings`] by their words; [`topk`] keeps the best); [`rank_many`] ranks many
//! demands at once for pairing; [`explain`] turns a pair's features into its [`Explanation`];
//! [`text_search`] is free-text search; [`update`] adds, replaces and deletes records; [`inspect`] reads
//! the engine's clusters, vectors and memory; [`fit`] fits the scoring weights.

mod bigrams;
mod build;
pub mod config;
pub(crate) mod corpus;
pub mod explain;
mod features;
pub mod fit;
mod inspect;
mod members;
mod open;
mod packed;
mod postings;
mod query;
mod rank;
mod rank_many;
mod state;
mod text_search;
mod topk;
mod update;

use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;

use crate::analysis::Analyzer;
use crate::domain::{DemandId, TeamId};
use crate::models::{ModelError, Models};
use crate::text_index::{IndexError, TextIndex};
use state::{State, Tracks};

pub use crate::text_index::{DocKind, Snippet};
pub use config::{FEATURES, N_FEATURES, ScoringConfig, Weights};
pub use explain::{
    AchievementEvidence, ClusterRef, Contribution, Degree, Explanation, Lang, MatchedTerm, TrackRef,
};
pub use open::{OpenOptions, OpenReport, Progress};
pub use state::fingerprint;

/// Errors of the matching engine.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("{kind} {id:?} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("scoring configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("engine state lock poisoned")]
    Poisoned,
}

impl MatchError {
    /// Stable snake_case code of the error.
    pub fn code(&self) -> crate::error_code::ErrorCode {
        use crate::error_code::ErrorCode;
        match self {
            MatchError::NotFound { .. } => ErrorCode::NotFound,
            MatchError::Invalid(_) => ErrorCode::InvalidInput,
            MatchError::Config(_) => ErrorCode::ScoringConfig,
            MatchError::Index(e) => e.code(),
            MatchError::Model(e) => e.code(),
            MatchError::Poisoned => ErrorCode::EnginePoisoned,
        }
    }
}

/// A scored (demand, team) pair with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairMatch {
    pub demand_id: DemandId,
    pub team_id: TeamId,
    pub score: f32,
    pub explanation: Explanation,
}

/// A free-text search result.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub kind: DocKind,
    pub id: String,
    /// The team's name or the demand's title.
    pub title: String,
    /// BM25 score of the text query.
    pub score: f32,
    /// The share of the query the hit holds: of the query's terms that occur on its side (each weighted
    /// by its count and its idf there), the part found in the hit's text, in [0, 1]. A hit sharing only
    /// common words (问题, 技术) holds little however high its BM25 score.
    pub coverage: f32,
    pub snippet: Snippet,
}

/// The matching engine. `Send + Sync`; all methods take `&self` (updates lock internally).
pub struct Engine {
    analyzer: Analyzer,
    config: ScoringConfig,
    models: Models,
    tracks: Tracks,
    index: TextIndex,
    state: RwLock<State>,
    writer: Mutex<()>,
    /// Whether a team write recomputes every demand's feedback before returning where the write takes it
    /// all (else it is computed on first use, or by [`Engine::settle`]).
    eager_feedback: std::sync::atomic::AtomicBool,
    /// Achievement texts' tokens, by the text's hash, for their snippets in explanations.
    snippet_tokens: explain::SnippetTokens,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// The state, for reading.
    fn read(&self) -> Result<RwLockReadGuard<'_, State>, MatchError> {
        self.state.read().map_err(|_| MatchError::Poisoned)
    }

    /// The state, for changing.
    fn write(&self) -> Result<RwLockWriteGuard<'_, State>, MatchError> {
        self.state.write().map_err(|_| MatchError::Poisoned)
    }
}
