//! Rankings and search: universities for a zone, demands for a university, teams for a demand,
//! demands for a team, and free-text search. Each ranking is computed off the async runtime from the
//! per-item lists and cached with what it read ([`Sources`]): it is served again for as long as those
//! lists and the owners' records it walked stand, so a write rebuilds only the views it can change.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tracing::instrument;

/// The first page the diversity rule shapes (the default page size).
const FIRST_PAGE: usize = 20;

use super::catalog::{Catalog, track_matches};
use super::diversity;
use super::lists::{Head, Sources, Subject};
use super::{
    App, AppError, CACHE_ENTRIES, CANDIDATES_PER_DEMAND, DEMANDS_PER_TEAM, DemandFit, MatcherError,
    Page, PageRequest, RANKING_DEPTH, RankedDemand, RankedTeam, Result, SearchKind, SearchResult,
    TeamFit, UniversityCandidate,
};
use crate::auth::Principal;
use crate::domain::{DemandId, TeamId, TrackId, UniversityId, ZoneId};
use crate::matching::{Degree, PairMatch};

/// A cached ranking (the `Arc<Vec<_>>` of its rows).
pub(super) type Cached = Arc<dyn Any + Send + Sync>;

/// A cached ranking with what vouches for it: the catalog generation it was last known good at, and
/// what it was computed from.
pub(super) struct CacheEntry {
    generation: u64,
    sources: Arc<Sources>,
    value: Cached,
}

/// What a ranking's computation is given: whether anyone still waits for it, and where it notes what
/// it reads.
pub(super) struct Reads<'w> {
    wanted: &'w dyn Fn() -> bool,
    pub(super) sources: Sources,
}

/// The head of a list, `None` for something the matcher does not know (its ranking is empty; such a
/// ranking is vouched for by its generation only).
fn known(
    head: Result<Head, MatcherError>,
    sources: &mut Sources,
) -> Result<Option<Head>, MatcherError> {
    match head {
        Ok(head) => Ok(Some(head)),
        Err(MatcherError::Unknown(_)) => {
            sources.untracked = true;
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// Refuses `who` unless `allowed`, naming the `action` it may not take.
fn allow(who: &Principal, allowed: bool, action: impl FnOnce() -> String) -> Result<()> {
    if allowed {
        Ok(())
    } else {
        Err(who.role.forbidden(action()).into())
    }
}

/// The cache key of a ranking: its kind, its subject and, for the rankings by track, the track.
fn ranking_key(kind: &str, subject: &str, track: Option<&TrackId>) -> String {
    let track = track.map_or("", |t| t.as_str());
    format!("{kind}\u{1}{subject}\u{1}{track}")
}

/// Keeps `m` under `key` unless a pair at least as good is kept already.
fn keep_best<'m, K: Ord>(best: &mut BTreeMap<K, &'m PairMatch>, key: K, m: &'m PairMatch) {
    match best.get(&key) {
        Some(old) if old.score >= m.score => {}
        _ => {
            best.insert(key, m);
        }
    }
}

/// Sorts rows best score first, ties by id, and keeps the first `depth`.
fn best_first<T, K: Ord>(rows: &mut Vec<T>, depth: usize, key: impl Fn(&T) -> (f32, &K)) {
    rows.sort_by(|a, b| {
        let (sa, ia) = key(a);
        let (sb, ib) = key(b);
        sb.total_cmp(&sa).then(ia.cmp(ib))
    });
    rows.truncate(depth);
}

impl App {
    fn check_track(&self, track: Option<&TrackId>) -> Result<()> {
        match track {
            Some(t) if self.catalog().track(t).is_none() => Err(AppError::InvalidParameter {
                name: "track".into(),
                message: format!("unknown track {t}"),
            }),
            _ => Ok(()),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, CacheEntry>> {
        self.inner.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The ranking cached under `key` if it still stands: computed at this catalog generation, or from
    /// lists and owners' records that are all still as it read them.
    fn cached<T: Send + Sync + 'static>(&self, key: &str) -> Option<Arc<Vec<T>>> {
        let generation = self.catalog().generation;
        let (at, sources, value) = {
            let cache = self.cache();
            let e = cache.get(key)?;
            (e.generation, e.sources.clone(), e.value.clone())
        };
        if at != generation {
            if !self.stands(&sources) {
                return None;
            }
            if let Some(e) = self.cache().get_mut(key)
                && Arc::ptr_eq(&e.sources, &sources)
            {
                e.generation = e.generation.max(generation);
            }
        }
        value.downcast::<Vec<T>>().ok()
    }

    /// Whether everything a ranking was computed from is as it was read.
    fn stands(&self, sources: &Sources) -> bool {
        if sources.untracked {
            return false;
        }
        {
            let c = self.catalog();
            let zones = sources.zones.iter().all(|(z, s)| c.zone_stamp(z) == *s);
            let universities = sources
                .universities
                .iter()
                .all(|(u, s)| c.university_stamp(u) == *s);
            if !zones || !universities {
                return false;
            }
        }
        self.lists_stand(sources)
    }

    fn remember(&self, key: String, generation: u64, sources: Sources, value: Cached) {
        let mut cache = self.cache();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        let entry = CacheEntry {
            generation,
            sources: Arc::new(sources),
            value,
        };
        cache.insert(key, entry);
    }

    /// The page of the ranking cached under `key`, or else `compute`d off the async runtime and cached
    /// with what it read. Identical requests that miss the cache together wait for one computation.
    /// `compute` notes what it reads in its [`Reads`], and asks them whether anyone still waits for it:
    /// when every requester has gone it stops, and its work is dropped.
    async fn ranking<T: Clone + Send + Sync + 'static>(
        &self,
        key: String,
        page: PageRequest,
        compute: impl FnOnce(&App, &mut Reads<'_>) -> Result<Vec<T>> + Send + 'static,
    ) -> Result<Page<T>> {
        let cached = self.cached::<T>(&key);
        self.inner.counters.cache_lookup(cached.is_some());
        if let Some(all) = cached {
            return Ok(page.slice(&all));
        }
        let generation = self.catalog().generation;
        let flight = (key.clone(), generation);
        let cell = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(flight.clone())
            .or_default()
            .clone();
        // The flight map holds one reference; every waiting request holds another.
        let waiting = Arc::downgrade(&cell);
        let computed = cell
            .get_or_try_init(|| {
                let app = self.clone();
                self.inner.rankers.run(move || {
                    let wanted = || waiting.strong_count() > 1;
                    let mut reads = Reads {
                        wanted: &wanted,
                        sources: Sources::default(),
                    };
                    let all = compute(&app, &mut reads);
                    app.land(&flight, &waiting);
                    let all: Cached = Arc::new(all?);
                    app.remember(key, generation, reads.sources, all.clone());
                    Ok(all)
                })
            })
            .await
            .cloned();
        let all = computed?
            .downcast::<Vec<T>>()
            .map_err(|_| AppError::Task("a cached ranking of another type".into()))?;
        Ok(page.slice(&all))
    }

    /// Ends the computation `flight` (whose cell `mine` is): later requests start their own.
    fn land(&self, flight: &(String, u64), mine: &std::sync::Weak<tokio::sync::OnceCell<Cached>>) {
        let mut in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if in_flight
            .get(flight)
            .is_some_and(|c| std::ptr::eq(Arc::as_ptr(c), mine.as_ptr()))
        {
            in_flight.remove(flight);
        }
    }

    /// `Err(Abandoned)` once nobody waits for a computation any more.
    fn still_wanted(&self, reads: &Reads<'_>) -> Result<()> {
        if (reads.wanted)() {
            Ok(())
        } else {
            self.inner.counters.abandoned();
            Err(AppError::Abandoned)
        }
    }

    /// Who owns the `noun` `id` (as `owner` reads it from the catalog), or not found.
    fn owner<O>(
        &self,
        noun: &'static str,
        id: impl ToString,
        owner: impl FnOnce(&Catalog) -> Option<O>,
    ) -> Result<O> {
        owner(&self.catalog()).ok_or_else(|| AppError::not_found(noun, id))
    }

    /// The ranking cached under `key` of the head of one list (that of something the matcher does not
    /// know: none), in its order, each pair made a row by `row` with its rank among the rows kept (`row`
    /// drops a pair by returning `None`).
    async fn numbered<T: Clone + Send + Sync + 'static>(
        &self,
        key: String,
        page: PageRequest,
        head: impl FnOnce(&App, &mut Sources) -> Result<Head, MatcherError> + Send + 'static,
        row: impl Fn(&Catalog, &PairMatch, usize) -> Option<T> + Send + 'static,
    ) -> Result<Page<T>> {
        self.ranking(key, page, move |app, reads| {
            let head = head(app, &mut reads.sources);
            let Some(head) = known(head, &mut reads.sources)? else {
                return Ok(Vec::new());
            };
            let c = app.catalog();
            let mut out = Vec::new();
            for m in head.rows() {
                if let Some(r) = row(&c, m, out.len() + 1) {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await
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
        allow(who, who.role.owns_zone(zone), || {
            format!("see the candidates of zone {zone}")
        })?;
        if self.catalog().zone(zone).is_none() {
            return Err(AppError::not_found("zone", zone));
        }
        self.check_track(track.as_ref())?;
        let key = ranking_key("zc", zone.as_str(), track.as_ref());
        let zone = zone.clone();
        self.ranking(key, page, move |app, reads| {
            app.compute_candidates(&zone, track.as_ref(), reads)
        })
        .await
    }

    fn compute_candidates(
        &self,
        zone: &ZoneId,
        track: Option<&TrackId>,
        reads: &mut Reads<'_>,
    ) -> Result<Vec<UniversityCandidate>> {
        let mut demands = {
            let c = self.catalog();
            reads.sources.zones.push((zone.clone(), c.zone_stamp(zone)));
            c.demands_of(zone)
        };
        demands.retain(|d| track_matches(track, &d.track_ids));
        let mut heads = Vec::with_capacity(demands.len());
        for demand in &demands {
            self.still_wanted(reads)?;
            let subject = Subject::TeamsOf(demand.id.clone());
            let head = self.list_head(&subject, CANDIDATES_PER_DEMAND, &mut reads.sources);
            if let Some(head) = known(head, &mut reads.sources)? {
                heads.push((demand, head));
            }
        }
        let c = self.catalog();
        // Per university: best pair per demand.
        let mut best: HashMap<&UniversityId, BTreeMap<&DemandId, &PairMatch>> = HashMap::new();
        for (demand, head) in &heads {
            for m in head.rows() {
                let Some(team) = c.teams.get(&m.team_id) else {
                    continue;
                };
                if demand.excluded_university_ids.contains(&team.university_id) {
                    continue;
                }
                let per_demand = best.entry(&team.university_id).or_default();
                keep_best(per_demand, &demand.id, m);
            }
        }
        let considered = demands.len();
        let mut out: Vec<UniversityCandidate> = best
            .into_iter()
            .map(|(university_id, per_demand)| {
                let total: f32 = per_demand.values().map(|m| m.score).sum();
                let mut teams: BTreeMap<TeamId, TeamFit> = BTreeMap::new();
                for m in per_demand.values() {
                    let fit = teams.entry(m.team_id.clone()).or_insert_with(|| TeamFit {
                        team_id: m.team_id.clone(),
                        team_name: c.team_name(&m.team_id),
                        score: 0.0,
                        demand_ids: Vec::new(),
                        degree: Degree::of(0.0),
                    });
                    fit.score += m.score;
                    fit.demand_ids.push(m.demand_id.clone());
                }
                let mut best_teams: Vec<TeamFit> = teams.into_values().collect();
                best_teams.iter_mut().for_each(TeamFit::set_degree);
                best_first(&mut best_teams, 3, |t| (t.score, &t.team_id));
                let mut top: Vec<&PairMatch> = per_demand.values().copied().collect();
                best_first(&mut top, 3, |m| (m.score, &m.demand_id));
                UniversityCandidate {
                    university_name: c.university_name(university_id),
                    university_id: university_id.clone(),
                    score: if considered == 0 {
                        0.0
                    } else {
                        total / considered as f32
                    },
                    demands_fit: per_demand.len(),
                    demands_considered: considered,
                    degree: Degree::of(total / per_demand.len().max(1) as f32),
                    best_teams,
                    top_matches: top.into_iter().cloned().collect(),
                }
            })
            .collect();
        drop(c);
        best_first(&mut out, RANKING_DEPTH, |u| (u.score, &u.university_id));
        Ok(out)
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
        allow(who, who.role.owns_university(university), || {
            format!("see the demands fitting university {university}")
        })?;
        if self.catalog().university(university).is_none() {
            return Err(AppError::not_found("university", university));
        }
        self.check_track(track.as_ref())?;
        let key = ranking_key("ud", university.as_str(), track.as_ref());
        let university = university.clone();
        self.ranking(key, page, move |app, reads| {
            let teams = {
                let c = app.catalog();
                let stamp = c.university_stamp(&university);
                reads.sources.universities.push((university.clone(), stamp));
                c.teams_of(&university)
            };
            let mut heads = Vec::with_capacity(teams.len());
            for team in &teams {
                app.still_wanted(reads)?;
                let subject = Subject::DemandsOf(team.id.clone());
                let head = app.list_head(&subject, DEMANDS_PER_TEAM, &mut reads.sources);
                if let Some(head) = known(head, &mut reads.sources)? {
                    heads.push(head);
                }
            }
            let c = app.catalog();
            let mut best: BTreeMap<&DemandId, &PairMatch> = BTreeMap::new();
            for m in heads.iter().flat_map(Head::rows) {
                let Some(d) = c.demands.get(&m.demand_id) else {
                    continue;
                };
                if d.excluded_university_ids.contains(&university)
                    || !track_matches(track.as_ref(), &d.track_ids)
                {
                    continue;
                }
                keep_best(&mut best, &m.demand_id, m);
            }
            let mut kept: Vec<&PairMatch> = best.into_values().collect();
            best_first(&mut kept, RANKING_DEPTH, |m| (m.score, &m.demand_id));
            let mut out: Vec<DemandFit> = kept
                .into_iter()
                .filter_map(|m| {
                    let d = c.demands.get(&m.demand_id)?;
                    Some(DemandFit {
                        demand_title: d.title.clone(),
                        zone_name: c.zone_name(&d.zone_id),
                        zone_id: d.zone_id.clone(),
                        best_team_name: c.team_name(&m.team_id),
                        best_team_id: m.team_id.clone(),
                        demand_id: m.demand_id.clone(),
                        score: m.score,
                        explanation: m.explanation.clone(),
                    })
                })
                .collect();
            drop(c);
            diversity::spread(&mut out, FIRST_PAGE, |d| d.best_team_id.clone());
            Ok(out)
        })
        .await
    }

    /// Teams ranked for one demand (department or the demand's zone).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn demand_teams(
        &self,
        who: &Principal,
        demand: &DemandId,
        page: PageRequest,
    ) -> Result<Page<RankedTeam>> {
        let zone = self.owner("demand", demand, |c| {
            c.demands.get(demand).map(|d| d.zone_id.clone())
        })?;
        allow(who, who.role.owns_zone(&zone), || {
            format!("see the teams ranked for demand {demand}")
        })?;
        let key = ranking_key("dt", demand.as_str(), None);
        let demand = demand.clone();
        let query = demand.clone();
        self.numbered(
            key,
            page,
            move |app, sources| app.list_head(&Subject::TeamsOf(query), RANKING_DEPTH, sources),
            move |c, m, rank| {
                let t = c.teams.get(&m.team_id)?;
                let excluded = c
                    .demands
                    .get(&demand)
                    .is_some_and(|d| d.excluded_university_ids.contains(&t.university_id));
                (!excluded).then(|| RankedTeam {
                    rank,
                    team_id: m.team_id.clone(),
                    team_name: t.name.clone(),
                    university_name: c.university_name(&t.university_id),
                    university_id: t.university_id.clone(),
                    score: m.score,
                    explanation: m.explanation.clone(),
                })
            },
        )
        .await
    }

    /// Demands ranked for one team (department or the team's university).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn team_demands(
        &self,
        who: &Principal,
        team: &TeamId,
        page: PageRequest,
    ) -> Result<Page<RankedDemand>> {
        let university = self.owner("team", team, |c| {
            c.teams.get(team).map(|t| t.university_id.clone())
        })?;
        allow(who, who.role.owns_university(&university), || {
            format!("see the demands ranked for team {team}")
        })?;
        let key = ranking_key("td", team.as_str(), None);
        let team = team.clone();
        self.numbered(
            key,
            page,
            move |app, sources| app.list_head(&Subject::DemandsOf(team), RANKING_DEPTH, sources),
            move |c, m, rank| {
                let d = c.demands.get(&m.demand_id)?;
                (!d.excluded_university_ids.contains(&university)).then(|| RankedDemand {
                    rank,
                    demand_id: m.demand_id.clone(),
                    demand_title: d.title.clone(),
                    zone_name: c.zone_name(&d.zone_id),
                    zone_id: d.zone_id.clone(),
                    score: m.score,
                    explanation: m.explanation.clone(),
                })
            },
        )
        .await
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
                let (name, owner_id, owner_name) = match kind {
                    SearchKind::Teams => {
                        let t = c.teams.get(&TeamId(h.id.clone()))?;
                        let owner = c.university_name(&t.university_id);
                        (t.name.clone(), t.university_id.to_string(), owner)
                    }
                    SearchKind::Demands => {
                        let d = c.demands.get(&DemandId(h.id.clone()))?;
                        (
                            d.title.clone(),
                            d.zone_id.to_string(),
                            c.zone_name(&d.zone_id),
                        )
                    }
                };
                Some(SearchResult {
                    kind,
                    id: h.id,
                    name,
                    owner_id,
                    owner_name,
                    score: h.score,
                    snippet: h.snippet,
                })
            })
            .collect();
        Ok(page.slice(&results))
    }
}
