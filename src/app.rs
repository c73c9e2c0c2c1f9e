//! The facade the HTTP layer calls: authentication, permission checks, the catalog, rankings, writes and
//! the review workflow, each as one method taking the caller's [`Principal`].
//!
//! Invariants:
//! - the store is the system of record; the in-memory catalog and the matcher are updated only after a
//!   write to the store has committed, all under one write lane so they see writes in the same order;
//! - blocking work (SQLite, matcher calls) runs on tokio's blocking pool, never on the async runtime;
//! - rankings are cached per catalog generation: any team or demand write starts a new generation;
//! - nothing here knows about HTTP; errors carry stable codes that `http::error` maps to statuses.

pub mod dashboard;
mod engine;
pub mod overlap;
pub mod proposals;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use tracing::{error, instrument};

use crate::auth::{self, AuthError, Principal, Role};
use crate::dataset::{self, Record};
use crate::domain::{
    Dataset, Demand, DemandId, Team, TeamId, Track, TrackId, University, UniversityId, Zone, ZoneId,
};
use crate::matching::{Explanation, PairMatch};
use crate::review::{Decision, ReviewError};
use crate::store::{
    Actor, CommentRecord, HistoryEntry, PairingFilter, PairingRecord, Store, StoreError,
};

/// A team or demand that breaks the dataset contract: the first offending field, and what is wrong (every
/// problem when there are several).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Violation {
    pub field: String,
    pub message: String,
}

/// What the service needs from the matching engine. Implementations are shared across threads and
/// called from blocking threads.
pub trait Matcher: Send + Sync {
    /// The best teams for a demand, best first.
    fn teams_for_demand(
        &self,
        demand: &DemandId,
        limit: usize,
    ) -> Result<Vec<PairMatch>, MatcherError>;
    /// The best demands for a team, best first.
    fn demands_for_team(&self, team: &TeamId, limit: usize)
    -> Result<Vec<PairMatch>, MatcherError>;
    /// Free-text search over teams or demands, best first, with highlighted snippets.
    fn search(
        &self,
        text: &str,
        kind: SearchKind,
        limit: usize,
    ) -> Result<Vec<SearchHit>, MatcherError>;
    fn upsert_team(&self, team: &Team) -> Result<(), MatcherError>;
    fn delete_team(&self, id: &TeamId) -> Result<(), MatcherError>;
    fn upsert_demand(&self, demand: &Demand) -> Result<(), MatcherError>;
    fn delete_demand(&self, id: &DemandId) -> Result<(), MatcherError>;

    /// Pair scores, without explanations, of the best `limit` teams of many demands: one list per demand
    /// in the same order, empty for an unknown demand; `progress(done)` as demands get scored. Pairing
    /// proposals score every demand of their tracks through this. The default ranks one demand at a time.
    fn rank_teams_many(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<(TeamId, f32)>>, MatcherError> {
        let mut out = Vec::with_capacity(demands.len());
        for d in demands {
            out.push(match self.teams_for_demand(d, limit) {
                Ok(list) => list.into_iter().map(|m| (m.team_id, m.score)).collect(),
                Err(MatcherError::Unknown(_)) => Vec::new(),
                Err(err) => return Err(err),
            });
            if out.len() % 256 == 0 {
                progress(out.len());
            }
        }
        progress(out.len());
        Ok(out)
    }

    /// One pair's score with the explanation; `None` when the matcher cannot tell. The default looks the
    /// team up among the demand's best teams.
    fn score_pair(
        &self,
        demand: &DemandId,
        team: &TeamId,
    ) -> Result<Option<PairMatch>, MatcherError> {
        Ok(self
            .teams_for_demand(demand, 100)?
            .into_iter()
            .find(|m| &m.team_id == team))
    }
}

/// Which side a search looks at.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Teams,
    Demands,
}

/// One search result from the matcher.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// Team or demand id.
    pub id: String,
    pub score: f32,
    /// Text with matched terms wrapped in `<mark>`…`</mark>`.
    pub snippet: String,
}

/// A matcher failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error("the matcher does not know {0}")]
    Unknown(String),
    #[error("matcher failed ({code}): {message}")]
    Failed { code: String, message: String },
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
    #[error("background task failed: {0}")]
    Task(String),
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
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what, id } => AppError::NotFound { what, id },
            StoreError::AlreadyExists { what, id } => AppError::AlreadyExists { what, id },
            StoreError::Review(err) => AppError::Review(err),
            StoreError::Superseded { id, by } => AppError::Superseded { id, by },
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Auth(err) => err.code(),
            AppError::NotFound { .. } => "not_found",
            AppError::AlreadyExists { .. } => "already_exists",
            AppError::InvalidParameter { .. } => "invalid_parameter",
            AppError::BadRequest(_) => "bad_request",
            AppError::Contract(_) => "contract_violation",
            AppError::Review(err) => err.code(),
            AppError::Store(err) => err.code(),
            AppError::Matcher(_) => "matcher_failed",
            AppError::Task(_) => "task_failed",
            AppError::Pairing { source, .. } => source.code(),
            AppError::JobNotDone { .. } => "job_not_done",
            AppError::Superseded { .. } => "pairing_superseded",
        }
    }

    /// The offending field of a contract violation.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Contract(v) => Some(&v.field),
            AppError::InvalidParameter { name, .. } => Some(name),
            AppError::Pairing { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    fn not_found(what: &'static str, id: impl ToString) -> Self {
        AppError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Maximum page size of every list.
pub const MAX_LIMIT: u32 = 100;
/// Rankings are cut at this many entries; pages look into the cut list.
pub const RANKING_DEPTH: usize = 100;
/// How many teams per demand the zone candidates ranking looks at.
const CANDIDATES_PER_DEMAND: usize = 30;
/// How many demands per team the university ranking looks at.
const DEMANDS_PER_TEAM: usize = 50;
const MAX_COMMENT_CHARS: usize = 4000;
const CACHE_ENTRIES: usize = 4096;

/// A requested page: `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub offset: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: 20,
            offset: 0,
        }
    }
}

impl PageRequest {
    /// A page, refusing a limit of 0 or over [`MAX_LIMIT`].
    pub fn new(limit: Option<u32>, offset: Option<u64>) -> Result<Self> {
        let limit = limit.unwrap_or(20);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(AppError::InvalidParameter {
                name: "limit".into(),
                message: format!("must be between 1 and {MAX_LIMIT}"),
            });
        }
        Ok(PageRequest {
            limit,
            offset: offset.unwrap_or(0),
        })
    }

    fn slice<T: Clone>(self, all: &[T]) -> Page<T> {
        let start = usize::try_from(self.offset)
            .unwrap_or(usize::MAX)
            .min(all.len());
        let end = start.saturating_add(self.limit as usize).min(all.len());
        Page {
            items: all[start..end].to_vec(),
            total: all.len() as u64,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// A short reference to a team or demand (id and display name).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemRef {
    pub id: String,
    pub name: String,
    pub track_ids: Vec<TrackId>,
}

/// A zone's profile and its demands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ZoneView {
    #[serde(flatten)]
    pub zone: Zone,
    pub demands: Vec<ItemRef>,
}

/// A university's profile and its teams.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UniversityView {
    #[serde(flatten)]
    pub university: University,
    pub teams: Vec<ItemRef>,
}

/// One of a candidate university's best teams for a zone.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TeamFit {
    pub team_id: TeamId,
    pub team_name: String,
    /// Sum of this team's best pair scores over the demands it is best at.
    pub score: f32,
    /// The zone's demands for which this team is the university's best.
    pub demand_ids: Vec<DemandId>,
}

/// A university ranked for a zone's demands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UniversityCandidate {
    pub university_id: UniversityId,
    pub university_name: String,
    /// Mean over the zone's demands of the university's best pair score (0 where none fits).
    pub score: f32,
    /// How many of the zone's demands one of its teams fits.
    pub demands_fit: usize,
    /// How many demands were considered (the zone's demands in the track).
    pub demands_considered: usize,
    pub best_teams: Vec<TeamFit>,
    /// Its strongest pairs, with the engine's explanations.
    pub top_matches: Vec<PairMatch>,
}

/// A demand that fits one of a university's teams.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DemandFit {
    pub demand_id: DemandId,
    pub demand_title: String,
    pub zone_id: ZoneId,
    pub zone_name: String,
    pub best_team_id: TeamId,
    pub best_team_name: String,
    pub score: f32,
    pub explanation: Explanation,
}

/// A team ranked for a demand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankedTeam {
    pub rank: usize,
    pub team_id: TeamId,
    pub team_name: String,
    pub university_id: UniversityId,
    pub university_name: String,
    pub score: f32,
    pub explanation: Explanation,
}

/// A demand ranked for a team.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankedDemand {
    pub rank: usize,
    pub demand_id: DemandId,
    pub demand_title: String,
    pub zone_id: ZoneId,
    pub zone_name: String,
    pub score: f32,
    pub explanation: Explanation,
}

/// A search result with the display name of what it found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub kind: SearchKind,
    pub id: String,
    pub name: String,
    pub score: f32,
    pub snippet: String,
}

/// A pairing with the display names of its parties.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairingView {
    #[serde(flatten)]
    pub pairing: PairingRecord,
    pub zone_name: String,
    pub university_name: String,
    pub track_name: String,
}

/// The outcome of a review: the pairing after it and the history entry it appended.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReviewOutcome {
    pub pairing: PairingView,
    pub entry: HistoryEntry,
}

/// Pairing list filters as a caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairingQuery {
    pub status: Option<crate::review::PairingStatus>,
    pub track_id: Option<TrackId>,
    pub zone_id: Option<ZoneId>,
    pub university_id: Option<UniversityId>,
    pub batch_id: Option<String>,
}

/// The catalog kept in memory for reads, ordered as imported.
#[derive(Default)]
struct Catalog {
    tracks: Vec<Track>,
    zones: Vec<Zone>,
    universities: Vec<University>,
    track_idx: HashMap<TrackId, usize>,
    zone_idx: HashMap<ZoneId, usize>,
    university_idx: HashMap<UniversityId, usize>,
    teams: HashMap<TeamId, Arc<Team>>,
    demands: HashMap<DemandId, Arc<Demand>>,
    teams_by_university: HashMap<UniversityId, BTreeMap<TeamId, ()>>,
    demands_by_zone: HashMap<ZoneId, BTreeMap<DemandId, ()>>,
    /// What a team or demand may refer to (tracks, zones and universities do not change while serving).
    refs: dataset::Refs,
    generation: u64,
}

impl Catalog {
    fn new(data: Dataset) -> Self {
        let mut c = Catalog {
            refs: dataset::Refs::of(&data),
            track_idx: index(&data.tracks, |t| t.id.clone()),
            zone_idx: index(&data.zones, |z| z.id.clone()),
            university_idx: index(&data.universities, |u| u.id.clone()),
            tracks: data.tracks,
            zones: data.zones,
            universities: data.universities,
            ..Catalog::default()
        };
        for t in data.teams {
            c.put_team(t);
        }
        for d in data.demands {
            c.put_demand(d);
        }
        c
    }

    fn zone(&self, id: &ZoneId) -> Option<&Zone> {
        self.zone_idx.get(id).map(|&i| &self.zones[i])
    }

    fn university(&self, id: &UniversityId) -> Option<&University> {
        self.university_idx.get(id).map(|&i| &self.universities[i])
    }

    fn track(&self, id: &TrackId) -> Option<&Track> {
        self.track_idx.get(id).map(|&i| &self.tracks[i])
    }

    fn put_team(&mut self, team: Team) {
        self.remove_team(&team.id);
        self.teams_by_university
            .entry(team.university_id.clone())
            .or_default()
            .insert(team.id.clone(), ());
        self.teams.insert(team.id.clone(), Arc::new(team));
    }

    fn remove_team(&mut self, id: &TeamId) {
        if let Some(old) = self.teams.remove(id)
            && let Some(set) = self.teams_by_university.get_mut(&old.university_id)
        {
            set.remove(id);
        }
    }

    fn put_demand(&mut self, demand: Demand) {
        self.remove_demand(&demand.id);
        self.demands_by_zone
            .entry(demand.zone_id.clone())
            .or_default()
            .insert(demand.id.clone(), ());
        self.demands.insert(demand.id.clone(), Arc::new(demand));
    }

    fn remove_demand(&mut self, id: &DemandId) {
        if let Some(old) = self.demands.remove(id)
            && let Some(set) = self.demands_by_zone.get_mut(&old.zone_id)
        {
            set.remove(id);
        }
    }

    fn zone_name(&self, id: &ZoneId) -> String {
        self.zone(id).map(|z| z.name.clone()).unwrap_or_default()
    }

    fn university_name(&self, id: &UniversityId) -> String {
        self.university(id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    fn pairing_view(&self, pairing: PairingRecord) -> PairingView {
        PairingView {
            zone_name: self.zone_name(&pairing.zone_id),
            university_name: self.university_name(&pairing.university_id),
            track_name: self
                .track(&pairing.track_id)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            pairing,
        }
    }
}

fn index<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> HashMap<K, usize> {
    items.iter().enumerate().map(|(i, t)| (key(t), i)).collect()
}

fn track_matches(track: Option<&TrackId>, ids: &[TrackId]) -> bool {
    track.is_none_or(|t| ids.contains(t))
}

/// A cached ranking, valid for one catalog generation.
#[derive(Clone)]
enum Cached {
    Candidates(Arc<Vec<UniversityCandidate>>),
    DemandFits(Arc<Vec<DemandFit>>),
    Teams(Arc<Vec<RankedTeam>>),
    Demands(Arc<Vec<RankedDemand>>),
}

struct Inner {
    store: Store,
    matcher: Arc<dyn Matcher>,
    catalog: RwLock<Catalog>,
    write_lane: Mutex<()>,
    cache: Mutex<HashMap<String, (u64, Cached)>>,
    jobs: proposals::Jobs,
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
                cache: Mutex::new(HashMap::new()),
                jobs,
            }),
        };
        proposals::start_worker(&app, queue)?;
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

    /// Whether the store answers.
    pub async fn ready(&self) -> Result<()> {
        self.blocking(|app| Ok(app.inner.store.schema_version().map(|_| ())?))
            .await
    }

    pub fn tracks(&self, _who: &Principal, page: PageRequest) -> Page<Track> {
        page.slice(&self.catalog().tracks)
    }

    pub fn zones(&self, _who: &Principal, page: PageRequest) -> Page<Zone> {
        page.slice(&self.catalog().zones)
    }

    pub fn universities(&self, _who: &Principal, page: PageRequest) -> Page<University> {
        page.slice(&self.catalog().universities)
    }

    /// A zone's profile; its demand list only for the department and the zone itself.
    pub fn zone(&self, who: &Principal, id: &ZoneId) -> Result<ZoneView> {
        let c = self.catalog();
        let zone = c.zone(id).ok_or_else(|| AppError::not_found("zone", id))?;
        let demands = if who.role.owns_zone(id) {
            c.demands_by_zone
                .get(id)
                .into_iter()
                .flat_map(|set| set.keys())
                .filter_map(|d| c.demands.get(d))
                .map(|d| ItemRef {
                    id: d.id.to_string(),
                    name: d.title.clone(),
                    track_ids: d.track_ids.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(ZoneView {
            zone: zone.clone(),
            demands,
        })
    }

    /// A university's profile with its teams.
    pub fn university(&self, _who: &Principal, id: &UniversityId) -> Result<UniversityView> {
        let c = self.catalog();
        let university = c
            .university(id)
            .ok_or_else(|| AppError::not_found("university", id))?;
        let teams = c
            .teams_by_university
            .get(id)
            .into_iter()
            .flat_map(|set| set.keys())
            .filter_map(|t| c.teams.get(t))
            .map(|t| ItemRef {
                id: t.id.to_string(),
                name: t.name.clone(),
                track_ids: t.track_ids.clone(),
            })
            .collect();
        Ok(UniversityView {
            university: university.clone(),
            teams,
        })
    }

    pub fn team(&self, _who: &Principal, id: &TeamId) -> Result<Team> {
        self.catalog()
            .teams
            .get(id)
            .map(|t| Team::clone(t))
            .ok_or_else(|| AppError::not_found("team", id))
    }

    pub fn demand(&self, _who: &Principal, id: &DemandId) -> Result<Demand> {
        self.catalog()
            .demands
            .get(id)
            .map(|d| Demand::clone(d))
            .ok_or_else(|| AppError::not_found("demand", id))
    }

    fn check_track(&self, track: Option<&TrackId>) -> Result<()> {
        match track {
            Some(t) if self.catalog().track(t).is_none() => Err(AppError::InvalidParameter {
                name: "track".into(),
                message: format!("unknown track {t}"),
            }),
            _ => Ok(()),
        }
    }

    fn cached(&self, key: &str) -> Option<Cached> {
        let generation = self.catalog().generation;
        let cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone())
    }

    fn remember(&self, key: String, generation: u64, value: Cached) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (generation, value));
    }

    /// Universities ranked for a zone's demands (in one track, or all), each with its best teams.
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn zone_candidates(
        &self,
        who: &Principal,
        zone: &ZoneId,
        track: Option<TrackId>,
        page: PageRequest,
    ) -> Result<Page<UniversityCandidate>> {
        if !who.role.owns_zone(zone) {
            return Err(who
                .role
                .forbidden(format!("see the candidates of zone {zone}"))
                .into());
        }
        if self.catalog().zone(zone).is_none() {
            return Err(AppError::not_found("zone", zone));
        }
        self.check_track(track.as_ref())?;
        let key = format!(
            "zc\u{1}{zone}\u{1}{}",
            track.as_ref().map_or("", |t| t.as_str())
        );
        if let Some(Cached::Candidates(all)) = self.cached(&key) {
            return Ok(page.slice(&all));
        }
        let zone = zone.clone();
        let all = self
            .blocking(move |app| app.compute_candidates(&zone, track.as_ref()))
            .await?;
        Ok(page.slice(&all))
    }

    fn compute_candidates(
        &self,
        zone: &ZoneId,
        track: Option<&TrackId>,
    ) -> Result<Arc<Vec<UniversityCandidate>>> {
        let (generation, demands) = {
            let c = self.catalog();
            let demands: Vec<Arc<Demand>> = c
                .demands_by_zone
                .get(zone)
                .into_iter()
                .flat_map(|set| set.keys())
                .filter_map(|d| c.demands.get(d))
                .filter(|d| track_matches(track, &d.track_ids))
                .cloned()
                .collect();
            (c.generation, demands)
        };
        // Per university: best pair per demand.
        let mut best: HashMap<UniversityId, BTreeMap<DemandId, PairMatch>> = HashMap::new();
        for demand in &demands {
            let matches = match self
                .inner
                .matcher
                .teams_for_demand(&demand.id, CANDIDATES_PER_DEMAND)
            {
                Ok(m) => m,
                Err(MatcherError::Unknown(_)) => continue,
                Err(err) => return Err(err.into()),
            };
            let c = self.catalog();
            for m in matches {
                let Some(team) = c.teams.get(&m.team_id) else {
                    continue;
                };
                if demand.excluded_university_ids.contains(&team.university_id) {
                    continue;
                }
                let per_demand = best.entry(team.university_id.clone()).or_default();
                match per_demand.get(&demand.id) {
                    Some(old) if old.score >= m.score => {}
                    _ => {
                        per_demand.insert(demand.id.clone(), m);
                    }
                }
            }
        }
        let considered = demands.len();
        let c = self.catalog();
        let mut out: Vec<UniversityCandidate> = best
            .into_iter()
            .map(|(university_id, per_demand)| {
                let total: f32 = per_demand.values().map(|m| m.score).sum();
                let mut teams: BTreeMap<TeamId, TeamFit> = BTreeMap::new();
                for m in per_demand.values() {
                    let fit = teams.entry(m.team_id.clone()).or_insert_with(|| TeamFit {
                        team_id: m.team_id.clone(),
                        team_name: c
                            .teams
                            .get(&m.team_id)
                            .map(|t| t.name.clone())
                            .unwrap_or_default(),
                        score: 0.0,
                        demand_ids: Vec::new(),
                    });
                    fit.score += m.score;
                    fit.demand_ids.push(m.demand_id.clone());
                }
                let mut best_teams: Vec<TeamFit> = teams.into_values().collect();
                best_teams
                    .sort_by(|a, b| b.score.total_cmp(&a.score).then(a.team_id.cmp(&b.team_id)));
                best_teams.truncate(3);
                let mut top: Vec<PairMatch> = per_demand.values().cloned().collect();
                top.sort_by(|a, b| {
                    b.score
                        .total_cmp(&a.score)
                        .then(a.demand_id.cmp(&b.demand_id))
                });
                top.truncate(3);
                UniversityCandidate {
                    university_name: c.university_name(&university_id),
                    university_id,
                    score: if considered == 0 {
                        0.0
                    } else {
                        total / considered as f32
                    },
                    demands_fit: per_demand.len(),
                    demands_considered: considered,
                    best_teams,
                    top_matches: top,
                }
            })
            .collect();
        drop(c);
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.university_id.cmp(&b.university_id))
        });
        out.truncate(RANKING_DEPTH);
        let all = Arc::new(out);
        let key = format!("zc\u{1}{zone}\u{1}{}", track.map_or("", |t| t.as_str()));
        self.remember(key, generation, Cached::Candidates(all.clone()));
        Ok(all)
    }

    /// Enterprise demands that fit a university's teams (in one track, or all), each with its best team.
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn university_demands(
        &self,
        who: &Principal,
        university: &UniversityId,
        track: Option<TrackId>,
        page: PageRequest,
    ) -> Result<Page<DemandFit>> {
        if !who.role.owns_university(university) {
            return Err(who
                .role
                .forbidden(format!("see the demands fitting university {university}"))
                .into());
        }
        if self.catalog().university(university).is_none() {
            return Err(AppError::not_found("university", university));
        }
        self.check_track(track.as_ref())?;
        let key = format!(
            "ud\u{1}{university}\u{1}{}",
            track.as_ref().map_or("", |t| t.as_str())
        );
        if let Some(Cached::DemandFits(all)) = self.cached(&key) {
            return Ok(page.slice(&all));
        }
        let university = university.clone();
        let all = self
            .blocking(move |app| {
                let (generation, teams) = {
                    let c = app.catalog();
                    let teams: Vec<Arc<Team>> = c
                        .teams_by_university
                        .get(&university)
                        .into_iter()
                        .flat_map(|set| set.keys())
                        .filter_map(|t| c.teams.get(t).cloned())
                        .collect();
                    (c.generation, teams)
                };
                let mut best: BTreeMap<DemandId, PairMatch> = BTreeMap::new();
                for team in &teams {
                    let matches = match app
                        .inner
                        .matcher
                        .demands_for_team(&team.id, DEMANDS_PER_TEAM)
                    {
                        Ok(m) => m,
                        Err(MatcherError::Unknown(_)) => continue,
                        Err(err) => return Err(err.into()),
                    };
                    let c = app.catalog();
                    for m in matches {
                        let Some(d) = c.demands.get(&m.demand_id) else {
                            continue;
                        };
                        if d.excluded_university_ids.contains(&university)
                            || !track_matches(track.as_ref(), &d.track_ids)
                        {
                            continue;
                        }
                        match best.get(&m.demand_id) {
                            Some(old) if old.score >= m.score => {}
                            _ => {
                                best.insert(m.demand_id.clone(), m);
                            }
                        }
                    }
                }
                let c = app.catalog();
                let mut out: Vec<DemandFit> = best
                    .into_values()
                    .filter_map(|m| {
                        let d = c.demands.get(&m.demand_id)?;
                        Some(DemandFit {
                            demand_title: d.title.clone(),
                            zone_name: c.zone_name(&d.zone_id),
                            zone_id: d.zone_id.clone(),
                            best_team_name: c
                                .teams
                                .get(&m.team_id)
                                .map(|t| t.name.clone())
                                .unwrap_or_default(),
                            best_team_id: m.team_id,
                            demand_id: m.demand_id,
                            score: m.score,
                            explanation: m.explanation,
                        })
                    })
                    .collect();
                drop(c);
                out.sort_by(|a, b| {
                    b.score
                        .total_cmp(&a.score)
                        .then(a.demand_id.cmp(&b.demand_id))
                });
                out.truncate(RANKING_DEPTH);
                let all = Arc::new(out);
                app.remember(key, generation, Cached::DemandFits(all.clone()));
                Ok(all)
            })
            .await?;
        Ok(page.slice(&all))
    }

    /// Teams ranked for one demand (department or the demand's zone).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn demand_teams(
        &self,
        who: &Principal,
        demand: &DemandId,
        page: PageRequest,
    ) -> Result<Page<RankedTeam>> {
        let zone = self
            .catalog()
            .demands
            .get(demand)
            .map(|d| d.zone_id.clone())
            .ok_or_else(|| AppError::not_found("demand", demand))?;
        if !who.role.owns_zone(&zone) {
            return Err(who
                .role
                .forbidden(format!("see the teams ranked for demand {demand}"))
                .into());
        }
        let key = format!("dt\u{1}{demand}");
        if let Some(Cached::Teams(all)) = self.cached(&key) {
            return Ok(page.slice(&all));
        }
        let demand = demand.clone();
        let all = self
            .blocking(move |app| {
                let generation = app.catalog().generation;
                let matches = app
                    .inner
                    .matcher
                    .teams_for_demand(&demand, RANKING_DEPTH)
                    .or_else(|err| match err {
                        MatcherError::Unknown(_) => Ok(Vec::new()),
                        other => Err(other),
                    })?;
                let c = app.catalog();
                let excluded = c
                    .demands
                    .get(&demand)
                    .map(|d| d.excluded_university_ids.clone())
                    .unwrap_or_default();
                let out: Vec<RankedTeam> = matches
                    .into_iter()
                    .filter_map(|m| {
                        let t = c.teams.get(&m.team_id)?;
                        (!excluded.contains(&t.university_id)).then(|| (t.clone(), m))
                    })
                    .enumerate()
                    .map(|(i, (t, m))| RankedTeam {
                        rank: i + 1,
                        team_id: m.team_id,
                        team_name: t.name.clone(),
                        university_name: c.university_name(&t.university_id),
                        university_id: t.university_id.clone(),
                        score: m.score,
                        explanation: m.explanation,
                    })
                    .collect();
                drop(c);
                let all = Arc::new(out);
                app.remember(key, generation, Cached::Teams(all.clone()));
                Ok(all)
            })
            .await?;
        Ok(page.slice(&all))
    }

    /// Demands ranked for one team (department or the team's university).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn team_demands(
        &self,
        who: &Principal,
        team: &TeamId,
        page: PageRequest,
    ) -> Result<Page<RankedDemand>> {
        let university = self
            .catalog()
            .teams
            .get(team)
            .map(|t| t.university_id.clone())
            .ok_or_else(|| AppError::not_found("team", team))?;
        if !who.role.owns_university(&university) {
            return Err(who
                .role
                .forbidden(format!("see the demands ranked for team {team}"))
                .into());
        }
        let key = format!("td\u{1}{team}");
        if let Some(Cached::Demands(all)) = self.cached(&key) {
            return Ok(page.slice(&all));
        }
        let team = team.clone();
        let all = self
            .blocking(move |app| {
                let generation = app.catalog().generation;
                let matches = app
                    .inner
                    .matcher
                    .demands_for_team(&team, RANKING_DEPTH)
                    .or_else(|err| match err {
                        MatcherError::Unknown(_) => Ok(Vec::new()),
                        other => Err(other),
                    })?;
                let c = app.catalog();
                let out: Vec<RankedDemand> = matches
                    .into_iter()
                    .filter_map(|m| {
                        let d = c.demands.get(&m.demand_id)?;
                        (!d.excluded_university_ids.contains(&university)).then(|| (d.clone(), m))
                    })
                    .enumerate()
                    .map(|(i, (d, m))| RankedDemand {
                        rank: i + 1,
                        demand_id: m.demand_id,
                        demand_title: d.title.clone(),
                        zone_name: c.zone_name(&d.zone_id),
                        zone_id: d.zone_id.clone(),
                        score: m.score,
                        explanation: m.explanation,
                    })
                    .collect();
                drop(c);
                let all = Arc::new(out);
                app.remember(key, generation, Cached::Demands(all.clone()));
                Ok(all)
            })
            .await?;
        Ok(page.slice(&all))
    }

    /// Free-text search over teams or demands (any role).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn search(
        &self,
        who: &Principal,
        query: String,
        kind: SearchKind,
        page: PageRequest,
    ) -> Result<Page<SearchResult>> {
        let query = query.trim().to_owned();
        if query.is_empty() {
            return Err(AppError::InvalidParameter {
                name: "q".into(),
                message: "must not be empty".into(),
            });
        }
        if query.chars().count() > 1000 {
            return Err(AppError::InvalidParameter {
                name: "q".into(),
                message: "must be at most 1000 characters".into(),
            });
        }
        let hits = self
            .blocking(move |app| Ok(app.inner.matcher.search(&query, kind, RANKING_DEPTH)?))
            .await?;
        let c = self.catalog();
        let results: Vec<SearchResult> = hits
            .into_iter()
            .filter_map(|h| {
                let name = match kind {
                    SearchKind::Teams => c.teams.get(&TeamId(h.id.clone()))?.name.clone(),
                    SearchKind::Demands => c.demands.get(&DemandId(h.id.clone()))?.title.clone(),
                };
                Some(SearchResult {
                    kind,
                    id: h.id,
                    name,
                    score: h.score,
                    snippet: h.snippet,
                })
            })
            .collect();
        Ok(page.slice(&results))
    }

    /// Runs a catalog write in the write lane: store first, then catalog, then matcher.
    async fn write_catalog(
        &self,
        f: impl FnOnce(&App) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.blocking(move |app| {
            let _lane = app
                .inner
                .write_lane
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            f(app)
        })
        .await
    }

    fn after_write(&self, what: &str, result: std::result::Result<(), MatcherError>) {
        if let Err(err) = result {
            // The store holds the write; the index catches up when it is next rebuilt.
            error!(code = "matcher_update_failed", %err, what, "matcher update failed");
        }
    }

    fn mutate_catalog(&self, f: impl FnOnce(&mut Catalog)) {
        let mut c = self
            .inner
            .catalog
            .write()
            .unwrap_or_else(|p| p.into_inner());
        f(&mut c);
        c.generation += 1;
    }

    /// Adds a team (department, or the university it belongs to).
    #[instrument(skip(self, who, team), fields(role = who.role.kind(), team = %team.id))]
    pub async fn create_team(&self, who: &Principal, team: Team) -> Result<Team> {
        if !who.role.owns_university(&team.university_id) {
            return Err(who
                .role
                .forbidden(format!("add teams to university {}", team.university_id))
                .into());
        }
        check_record(&team, &self.catalog().refs)?;
        let out = team.clone();
        self.write_catalog(move |app| {
            app.inner.store.insert_team(&team)?;
            app.mutate_catalog(|c| c.put_team(team.clone()));
            app.after_write("team", app.inner.matcher.upsert_team(&team));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Replaces a team (department, or its university; it cannot move to another university).
    #[instrument(skip(self, who, team), fields(role = who.role.kind()))]
    pub async fn update_team(&self, who: &Principal, id: &TeamId, team: Team) -> Result<Team> {
        if &team.id != id {
            return Err(Violation {
                field: "id".into(),
                message: format!("must equal the id in the path ({id})"),
            }
            .into());
        }
        let current = self
            .catalog()
            .teams
            .get(id)
            .map(|t| t.university_id.clone())
            .ok_or_else(|| AppError::not_found("team", id))?;
        if !who.role.owns_university(&current) || !who.role.owns_university(&team.university_id) {
            return Err(who.role.forbidden(format!("change team {id}")).into());
        }
        check_record(&team, &self.catalog().refs)?;
        let out = team.clone();
        self.write_catalog(move |app| {
            app.inner.store.update_team(&team)?;
            app.mutate_catalog(|c| c.put_team(team.clone()));
            app.after_write("team", app.inner.matcher.upsert_team(&team));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Deletes a team (department, or its university).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn delete_team(&self, who: &Principal, id: &TeamId) -> Result<()> {
        let current = self
            .catalog()
            .teams
            .get(id)
            .map(|t| t.university_id.clone())
            .ok_or_else(|| AppError::not_found("team", id))?;
        if !who.role.owns_university(&current) {
            return Err(who.role.forbidden(format!("delete team {id}")).into());
        }
        let id = id.clone();
        self.write_catalog(move |app| {
            app.inner.store.delete_team(&id)?;
            app.mutate_catalog(|c| c.remove_team(&id));
            app.after_write("team", app.inner.matcher.delete_team(&id));
            Ok(())
        })
        .await
    }

    /// Adds a demand (department, or the zone it belongs to).
    #[instrument(skip(self, who, demand), fields(role = who.role.kind(), demand = %demand.id))]
    pub async fn create_demand(&self, who: &Principal, demand: Demand) -> Result<Demand> {
        if !who.role.owns_zone(&demand.zone_id) {
            return Err(who
                .role
                .forbidden(format!("add demands to zone {}", demand.zone_id))
                .into());
        }
        check_record(&demand, &self.catalog().refs)?;
        let out = demand.clone();
        self.write_catalog(move |app| {
            app.inner.store.insert_demand(&demand)?;
            app.mutate_catalog(|c| c.put_demand(demand.clone()));
            app.after_write("demand", app.inner.matcher.upsert_demand(&demand));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Replaces a demand (department, or its zone; it cannot move to another zone).
    #[instrument(skip(self, who, demand), fields(role = who.role.kind()))]
    pub async fn update_demand(
        &self,
        who: &Principal,
        id: &DemandId,
        demand: Demand,
    ) -> Result<Demand> {
        if &demand.id != id {
            return Err(Violation {
                field: "id".into(),
                message: format!("must equal the id in the path ({id})"),
            }
            .into());
        }
        let current = self
            .catalog()
            .demands
            .get(id)
            .map(|d| d.zone_id.clone())
            .ok_or_else(|| AppError::not_found("demand", id))?;
        if !who.role.owns_zone(&current) || !who.role.owns_zone(&demand.zone_id) {
            return Err(who.role.forbidden(format!("change demand {id}")).into());
        }
        check_record(&demand, &self.catalog().refs)?;
        let out = demand.clone();
        self.write_catalog(move |app| {
            app.inner.store.update_demand(&demand)?;
            app.mutate_catalog(|c| c.put_demand(demand.clone()));
            app.after_write("demand", app.inner.matcher.upsert_demand(&demand));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Deletes a demand (department, or its zone).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn delete_demand(&self, who: &Principal, id: &DemandId) -> Result<()> {
        let current = self
            .catalog()
            .demands
            .get(id)
            .map(|d| d.zone_id.clone())
            .ok_or_else(|| AppError::not_found("demand", id))?;
        if !who.role.owns_zone(&current) {
            return Err(who.role.forbidden(format!("delete demand {id}")).into());
        }
        let id = id.clone();
        self.write_catalog(move |app| {
            app.inner.store.delete_demand(&id)?;
            app.mutate_catalog(|c| c.remove_demand(&id));
            app.after_write("demand", app.inner.matcher.delete_demand(&id));
            Ok(())
        })
        .await
    }

    /// Pairings visible to the caller: all for the department, those involving it for a zone or a
    /// university.
    pub async fn pairings(
        &self,
        who: &Principal,
        query: PairingQuery,
        page: PageRequest,
    ) -> Result<Page<PairingView>> {
        let mut filter = PairingFilter {
            status: query.status,
            track_id: query.track_id,
            zone_id: query.zone_id,
            university_id: query.university_id,
            batch_id: query.batch_id,
        };
        match &who.role {
            Role::Department => {}
            Role::Zone(own) => {
                if filter.zone_id.as_ref().is_some_and(|z| z != own) {
                    return Err(who.role.forbidden("list another zone's pairings").into());
                }
                filter.zone_id = Some(own.clone());
            }
            Role::University(own) => {
                if filter.university_id.as_ref().is_some_and(|u| u != own) {
                    return Err(who
                        .role
                        .forbidden("list another university's pairings")
                        .into());
                }
                filter.university_id = Some(own.clone());
            }
        }
        let (items, total) = self
            .blocking(move |app| Ok(app.inner.store.pairings(&filter, page.limit, page.offset)?))
            .await?;
        let c = self.catalog();
        Ok(Page {
            items: items.into_iter().map(|p| c.pairing_view(p)).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    async fn visible_pairing(&self, who: &Principal, id: &str) -> Result<PairingRecord> {
        let key = id.to_owned();
        let record = self
            .blocking(move |app| Ok(app.inner.store.pairing(&key)?))
            .await?
            .ok_or_else(|| AppError::not_found("pairing", id))?;
        if !who.role.involved_in(&record.zone_id, &record.university_id) {
            return Err(who
                .role
                .forbidden(format!("see pairing {id}, which does not involve it"))
                .into());
        }
        Ok(record)
    }

    /// One pairing (department, or a party to it).
    pub async fn pairing(&self, who: &Principal, id: &str) -> Result<PairingView> {
        let record = self.visible_pairing(who, id).await?;
        Ok(self.catalog().pairing_view(record))
    }

    /// A department review of a pairing at the version the reviewer saw.
    #[instrument(skip(self, who, comment), fields(role = who.role.kind()))]
    pub async fn review(
        &self,
        who: &Principal,
        id: &str,
        decision: Decision,
        comment: String,
        version: i64,
    ) -> Result<ReviewOutcome> {
        if !who.role.is_department() {
            return Err(who.role.forbidden("review pairings").into());
        }
        check_comment_length(&comment)?;
        let actor = actor(who);
        let id = id.to_owned();
        let (record, entry) = self
            .blocking(move |app| {
                Ok(app
                    .inner
                    .store
                    .review_pairing(&id, &actor, decision, &comment, version)?)
            })
            .await?;
        Ok(ReviewOutcome {
            pairing: self.catalog().pairing_view(record),
            entry,
        })
    }

    /// Revises a pairing whose changes were requested (department): new bundle and quality, back to
    /// `proposed`.
    pub async fn revise(
        &self,
        who: &Principal,
        id: &str,
        bundle: serde_json::Value,
        quality: f64,
        comment: String,
        version: i64,
    ) -> Result<ReviewOutcome> {
        if !who.role.is_department() {
            return Err(who.role.forbidden("revise pairings").into());
        }
        check_comment_length(&comment)?;
        let actor = actor(who);
        let id = id.to_owned();
        let (record, entry) = self
            .blocking(move |app| {
                Ok(app
                    .inner
                    .store
                    .revise_pairing(&id, &actor, &bundle, quality, &comment, version)?)
            })
            .await?;
        Ok(ReviewOutcome {
            pairing: self.catalog().pairing_view(record),
            entry,
        })
    }

    /// The review history of a pairing (department, or a party to it).
    pub async fn history(
        &self,
        who: &Principal,
        id: &str,
        page: PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        self.visible_pairing(who, id).await?;
        let key = id.to_owned();
        let all = self
            .blocking(move |app| Ok(app.inner.store.history(&key)?))
            .await?;
        Ok(page.slice(&all))
    }

    /// Comments on a pairing (department, or a party to it).
    pub async fn comments(
        &self,
        who: &Principal,
        id: &str,
        page: PageRequest,
    ) -> Result<Page<CommentRecord>> {
        self.visible_pairing(who, id).await?;
        let key = id.to_owned();
        let all = self
            .blocking(move |app| Ok(app.inner.store.comments(&key)?))
            .await?;
        Ok(page.slice(&all))
    }

    /// Adds a comment to a pairing (department, or a party to it).
    #[instrument(skip(self, who, body), fields(role = who.role.kind()))]
    pub async fn comment(&self, who: &Principal, id: &str, body: String) -> Result<CommentRecord> {
        let body = body.trim().to_owned();
        if body.is_empty() {
            return Err(AppError::BadRequest(
                "comment body must not be empty".into(),
            ));
        }
        check_comment_length(&body)?;
        self.visible_pairing(who, id).await?;
        let actor = actor(who);
        let id = id.to_owned();
        self.blocking(move |app| Ok(app.inner.store.add_comment(&id, &actor, &body)?))
            .await
    }
}

/// Ids travel in URL paths: at most 128 characters, no whitespace, `/`, `?`, `#` or `%`.
fn check_id(id: &str) -> Result<(), Violation> {
    let bad = |message: &str| {
        Err(Violation {
            field: "id".into(),
            message: message.into(),
        })
    };
    if id.chars().count() > 128 {
        return bad("must be at most 128 characters");
    }
    if id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%'))
    {
        return bad("must not contain whitespace, '/', '?', '#' or '%'");
    }
    Ok(())
}

/// Checks a team or demand written through the API against the contract and the catalog.
fn check_record<R: Record>(record: &R, refs: &dataset::Refs) -> Result<(), Violation> {
    check_id(record.id())?;
    let problems = record.check(refs);
    let Some(first) = problems.first() else {
        return Ok(());
    };
    let message = if problems.len() == 1 {
        first.message.clone()
    } else {
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Err(Violation {
        field: first.field.clone(),
        message,
    })
}

fn check_comment_length(text: &str) -> Result<()> {
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(AppError::BadRequest(format!(
            "comment must be at most {MAX_COMMENT_CHARS} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_slices_and_reports_total() {
        let all: Vec<u32> = (0..10).collect();
        let p = PageRequest::new(Some(3), Some(8)).unwrap().slice(&all);
        assert_eq!((p.items, p.total), (vec![8, 9], 10));
        let p = PageRequest::new(None, Some(u64::MAX)).unwrap().slice(&all);
        assert!(p.items.is_empty());
        assert_eq!(
            PageRequest::new(Some(0), None).unwrap_err().code(),
            "invalid_parameter"
        );
        assert_eq!(
            PageRequest::new(Some(MAX_LIMIT + 1), None)
                .unwrap_err()
                .field(),
            Some("limit")
        );
    }

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
