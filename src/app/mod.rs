//! The facade the HTTP layer calls: authentication, permission checks, the catalog, rankings, writes and
//! the review workflow, each as one method taking the caller's [`Principal`].
//!
//! Invariants:
//! - the store is the system of record; the in-memory catalog and the matcher are updated only after a
//!   write to the store has committed, all under one write lane so they see writes in the same order;
//! - blocking work (SQLite, matcher calls) runs on tokio's blocking pool, never on the async runtime;
//! - every ranking is built from per-item lists (a demand's best teams, a team's best demands) that a
//!   write patches with the written item's own pairs (`lists`); the pages built from them are cached with
//!   the lists they read and served while those stand (`rankings`); requests that miss the cache for
//!   the same ranking at once share one computation, dropped when all of them have gone;
//! - nothing here knows about HTTP; errors carry stable codes that `http::error` maps to statuses.
//!
//! Files: `catalog` (the in-memory catalog and its reads), `rankings` (rankings and search), `records`
//! (team and demand writes), `imports` (spreadsheet imports through those writes), `lists` (the per-item rankings writes patch), `pairings` (the review workflow), `outcomes` (what approved pairings achieve, and its verification) and `outcome_import` (outcomes from spreadsheets), `conversions` (transferable patents and the demands that fit them), `rankers` (the lower-priority threads rankings run on), `proposals` (proposal jobs) and `jobs` (how clients see them), `scorer` (their pair scores),
//! `dashboard` (with `progress`, its 2027 targets), `diversity` (no one team fills a university's first page), `views` (what the app answers with), `stats` (counters for metrics), `error`, `matcher` (what the app needs from a
//! matching engine) and `engine` (that, over [`crate::matching::Engine`]).

mod catalog;
mod conversions;
pub mod dashboard;
mod diversity;
mod engine;
mod error;
mod imports;
mod jobs;
mod lists;
mod matcher;
mod outcome_import;
mod outcomes;
mod pairings;
pub mod progress;
pub mod proposals;
mod rankers;
pub use rankers::lower_global_pool;
mod rankings;
mod records;
mod scorer;
mod stats;
mod views;

pub use conversions::{
    ConversionFit, DemandPatents, MIN_COVERAGE, PatentFit, TransferableAchievement,
};
pub use error::{AppError, Result, Violation};
pub use imports::{
    Column, DEMAND_COLUMNS, ImportKind, ImportPreview, ImportProblem, ImportReport, PreviewRow,
    TEAM_COLUMNS, TemplateFormat,
};
pub use jobs::{
    BatchPairing, BatchSummary, BatchView, ExportFile, ExportFormat, JobError, JobKind, JobStage,
    JobState, ProposalJob, ProposalRequest,
};
pub use matcher::{Matcher, MatcherError, MatcherResult, SearchHit};
pub use outcomes::{OutcomeDecision, OutcomeQuery, OutcomeView};
pub use scorer::MatcherScorer;
pub use stats::Stats;
pub use views::{
    DemandFit, ItemRef, Page, PageRequest, PairingQuery, PairingView, RankedDemand, RankedTeam,
    ReviewOutcome, SearchKind, SearchResult, TeamFit, UniversityCandidate, UniversityView,
    ZoneView,
};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use catalog::Catalog;
use rankings::Cached;

use crate::auth::{self, AuthError, Principal, Role};
use crate::domain::Dataset;
use crate::store::{Actor, Store};

/// Maximum page size of every list.
pub const MAX_LIMIT: u32 = 100;
/// Largest `offset` of a list: what SQLite's `OFFSET` (a signed 64-bit integer) takes.
pub const MAX_OFFSET: u64 = i64::MAX as u64;
/// Rankings are cut at this many entries; pages look into the cut list.
pub const RANKING_DEPTH: usize = 100;
/// How many teams per demand the zone candidates ranking looks at.
const CANDIDATES_PER_DEMAND: usize = 30;
/// How many demands per team the university ranking looks at.
const DEMANDS_PER_TEAM: usize = 50;
const MAX_COMMENT_CHARS: usize = 4000;
const CACHE_ENTRIES: usize = 4096;

/// One ranking computation that identical requests share.
type Flight = Arc<tokio::sync::OnceCell<Cached>>;

struct Inner {
    store: Store,
    matcher: Arc<dyn Matcher>,
    catalog: RwLock<Catalog>,
    write_lane: Mutex<()>,
    /// Team and demand writes waiting for the lane; the next writer to take it makes them all.
    pending: Mutex<Vec<records::Pending>>,
    cache: Mutex<HashMap<String, rankings::CacheEntry>>,
    /// Per-item rankings the views are built from, patched by writes.
    lists: Mutex<lists::Lists>,
    /// Writes taken into the lists whose pairs are yet to be patched in, the signal that wakes the
    /// patcher, and the lock that keeps patches in order.
    patches: Mutex<Vec<lists::Written>>,
    patch_signal: std::sync::Condvar,
    patch_lane: Mutex<()>,
    /// Rankings being computed, by cache key and generation: identical requests wait for one computation.
    in_flight: Mutex<HashMap<(String, u64), Flight>>,
    /// The lower-priority threads rankings are computed on.
    rankers: rankers::Rankers,
    jobs: proposals::Jobs,
    counters: stats::Counters,
    /// Matcher updates that failed after their writes were committed, oldest first.
    missed_updates: Mutex<Vec<(String, records::MissedUpdate)>>,
}

/// The service facade. Cheap to clone; every clone shares one store, catalog and matcher.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

fn actor(who: &Principal) -> Actor {
    Actor {
        name: who.name.clone(),
        role: who.role.to_string(),
    }
}

impl App {
    /// Builds the facade over an opened store (whose catalog is loaded into memory) and a matcher built
    /// from the same catalog, starts the proposal worker and queues the jobs left unfinished.
    pub fn new(store: Store, matcher: Arc<dyn Matcher>) -> Result<App> {
        let data = store.load_dataset()?;
        App::with_catalog(store, data, matcher)
    }

    /// Like [`App::new`] with the catalog already read from `store` (saves reading it twice at start-up).
    pub fn with_catalog(store: Store, data: Dataset, matcher: Arc<dyn Matcher>) -> Result<App> {
        let (jobs, queue) = proposals::Jobs::new();
        let app = App {
            inner: Arc::new(Inner {
                store,
                matcher,
                catalog: RwLock::new(Catalog::new(data)),
                write_lane: Mutex::new(()),
                pending: Mutex::new(Vec::new()),
                cache: Mutex::new(HashMap::new()),
                lists: Mutex::new(lists::Lists::default()),
                patches: Mutex::new(Vec::new()),
                patch_signal: std::sync::Condvar::new(),
                patch_lane: Mutex::new(()),
                in_flight: Mutex::new(HashMap::new()),
                rankers: rankers::Rankers::new()?,
                jobs,
                counters: stats::Counters::default(),
                missed_updates: Mutex::new(Vec::new()),
            }),
        };
        proposals::start_worker(&app, queue)?;
        lists::start_refresh(&app, std::time::Duration::from_millis(250));
        lists::start_patcher(&app);
        Ok(app)
    }

    /// The underlying store (for the CLI and tests that seed pairings).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.inner.catalog.read().unwrap_or_else(|p| p.into_inner())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&App) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || f(&app))
            .await
            .map_err(|err| AppError::Task(err.to_string()))?
    }

    /// Resolves the `Authorization` header value to the caller.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Principal> {
        let token = auth::bearer_token(header)?;
        let hash = auth::hash_token(token);
        let record = self
            .blocking(move |app| Ok(app.inner.store.active_token(&hash)?))
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let role: Role = record.role.parse().map_err(|_| AuthError::InvalidToken)?;
        Ok(Principal {
            token_id: record.id,
            name: record.name,
            role,
        })
    }

    /// Whether the service can answer as the store stands: the store answers and the matcher holds every
    /// committed write (else `engine_behind`, naming the writes it missed).
    pub async fn ready(&self) -> Result<()> {
        self.blocking(|app| Ok(app.inner.store.schema_version().map(|_| ())?))
            .await?;
        let missed = self.missed_updates();
        if missed.is_empty() {
            Ok(())
        } else {
            Err(AppError::EngineBehind(missed))
        }
    }
}
