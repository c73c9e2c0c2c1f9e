//! Rankings and search: universities for a zone, demands for a university, teams for a demand,
//! demands for a team, and free-text search. Each ranking is computed off the async runtime and cached
//! for the catalog generation it was computed from.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tracing::instrument;

/// The first page the diversity rule shapes (the default page size).
const FIRST_PAGE: usize = 20;

use super::catalog::{Catalog, track_matches};
use super::diversity;
use super::lists::Subject;
use super::{
    App, AppError, CACHE_ENTRIES, CANDIDATES_PER_DEMAND, DEMANDS_PER_TEAM, DemandFit, MatcherError,
    Page, PageRequest, RANKING_DEPTH, RankedDemand, RankedTeam, Result, SearchKind, SearchResult,
    TeamFit, UniversityCandidate,
};
use crate::auth::Principal;
use crate::domain::{DemandId, TeamId, TrackId, UniversityId, ZoneId};
use crate::matching::{Degree, PairMatch};

/// A cached ranking (the `Arc<Vec<_>>` of its rows), valid for one catalog generation.
pub(super) type Cached = Arc<dyn Any + Send + Sync>;

/// A ranking of something the matcher does not know is empty.
fn known<T>(ranked: Result<Vec<T>, MatcherError>) -> Result<Vec<T>, MatcherError> {
    ranked.or_else(|err| match err {
        MatcherError::Unknown(_) => Ok(Vec::new()),
        other => Err(other),
    })
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
fn keep_best<K: Ord>(best: &mut BTreeMap<K, PairMatch>, key: K, m: PairMatch) {
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

    fn cached<T: Send + Sync + 'static>(&self, key: &str) -> Option<Arc<Vec<T>>> {
        let generation = self.catalog().generation;
        let cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(g, _)| *g == generation)
            .and_then(|(_, v)| v.clone().downcast::<Vec<T>>().ok())
    }

    fn remember(&self, key: String, generation: u64, value: Cached) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (generation, value));
    }

    /// The page of the ranking cached under `key`, or else `compute`d off the async runtime and cached
    /// for the catalog generation it was computed from. Identical requests that miss the cache together
    /// wait for one computation. `compute` is told whether anyone still waits for it (`wanted`): when
    /// every requester has gone it stops, and its work is dropped.
    async fn ranking<T: Clone + Send + Sync + 'static>(
        &self,
        key: String,
        page: PageRequest,
        compute: impl FnOnce(&App, &dyn Fn() -> bool) -> Result<Vec<T>> + Send + 'static,
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
                self.blocking(move |app| {
                    let wanted = || waiting.strong_count() > 1;
                    let all = compute(app, &wanted);
                    app.land(&flight, &waiting);
                    let all: Cached = Arc::new(all?);
                    app.remember(key, generation, all.clone());
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
    fn still_wanted(&self, wanted: &dyn Fn() -> bool) -> Result<()> {
        if wanted() {
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

    /// The ranking cached under `key` of the matcher's pairs (those of something it does not know: none),
    /// in its order, each made a row by `row` with its rank among the rows kept (`row` drops a pair by
    /// returning `None`).
    async fn numbered<T: Clone + Send + Sync + 'static>(
        &self,
        key: String,
        page: PageRequest,
        matches: impl FnOnce(&App) -> Result<Vec<PairMatch>, MatcherError> + Send + 'static,
        row: impl Fn(&Catalog, PairMatch, usize) -> Option<T> + Send + 'static,
    ) -> Result<Page<T>> {
        self.ranking(key, page, move |app, _| {
            let matches = known(matches(app))?;
            let c = app.catalog();
            let mut out = Vec::new();
            for m in matches {
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
        self.ranking(key, page, move |app, wanted| {
            app.compute_candidates(&zone, track.as_ref(), wanted)
        })
        .await
    }

    fn compute_candidates(
        &self,
        zone: &ZoneId,
        track: Option<&TrackId>,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Vec<UniversityCandidate>> {
        let mut demands = self.catalog().demands_of(zone);
        demands.retain(|d| track_matches(track, &d.track_ids));
        // Per university: best pair per demand.
        let mut best: HashMap<UniversityId, BTreeMap<DemandId, PairMatch>> = HashMap::new();
        for demand in &demands {
            self.still_wanted(wanted)?;
            let subject = Subject::TeamsOf(demand.id.clone());
            let matches = known(self.list_head(&subject, CANDIDATES_PER_DEMAND))?;
            let c = self.catalog();
            for m in matches {
                let Some(team) = c.teams.get(&m.team_id) else {
                    continue;
                };
                if demand.excluded_university_ids.contains(&team.university_id) {
                    continue;
                }
                let per_demand = best.entry(team.university_id.clone()).or_default();
                keep_best(per_demand, demand.id.clone(), m);
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
                let mut top: Vec<PairMatch> = per_demand.values().cloned().collect();
                best_first(&mut top, 3, |m| (m.score, &m.demand_id));
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
                    degree: Degree::of(total / per_demand.len().max(1) as f32),
                    best_teams,
                    top_matches: top,
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
        self.ranking(key, page, move |app, wanted| {
            let teams = app.catalog().teams_of(&university);
            let mut best: BTreeMap<DemandId, PairMatch> = BTreeMap::new();
            for team in &teams {
                app.still_wanted(wanted)?;
                let subject = Subject::DemandsOf(team.id.clone());
                let matches = known(app.list_head(&subject, DEMANDS_PER_TEAM))?;
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
                    keep_best(&mut best, m.demand_id.clone(), m);
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
                        best_team_name: c.team_name(&m.team_id),
                        best_team_id: m.team_id,
                        demand_id: m.demand_id,
                        score: m.score,
                        explanation: m.explanation,
                    })
                })
                .collect();
            drop(c);
            best_first(&mut out, RANKING_DEPTH, |d| (d.score, &d.demand_id));
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
            move |app| app.list_head(&Subject::TeamsOf(query), RANKING_DEPTH),
            move |c, m, rank| {
                let t = c.teams.get(&m.team_id)?;
                let excluded = c
                    .demands
                    .get(&demand)
                    .is_some_and(|d| d.excluded_university_ids.contains(&t.university_id));
                (!excluded).then(|| RankedTeam {
                    rank,
                    team_id: m.team_id,
                    team_name: t.name.clone(),
                    university_name: c.university_name(&t.university_id),
                    university_id: t.university_id.clone(),
                    score: m.score,
                    explanation: m.explanation,
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
            move |app| app.list_head(&Subject::DemandsOf(team), RANKING_DEPTH),
            move |c, m, rank| {
                let d = c.demands.get(&m.demand_id)?;
                (!d.excluded_university_ids.contains(&university)).then(|| RankedDemand {
                    rank,
                    demand_id: m.demand_id,
                    demand_title: d.title.clone(),
                    zone_name: c.zone_name(&d.zone_id),
                    zone_id: d.zone_id.clone(),
                    score: m.score,
                    explanation: m.explanation,
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
