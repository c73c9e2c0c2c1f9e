//! Per-item rankings kept current by writes: for each demand asked about, its best teams, and for each
//! team asked about, its best demands ([`DEPTH`] deep, with explanations). The one-item rankings and the
//! zone and university views are built from them, so a view after a write costs an aggregation, not a
//! ranking per demand.
//!
//! The write lane takes writes in ([`App::take_writes`]): the written items' own lists are dropped, to be
//! ranked afresh on their next read. The background patcher ([`App::patch_rankings`]) then patches every
//! other list with the written items' own pairs, exactly: a demand's new or changed text changes only its
//! own pairs, so after a demand write every list equals a fresh ranking. A team write changes the team's
//! pairs (patched the same way) and also shifts the team-side collection statistics every pair shares
//! (term document frequencies, average lengths) and the feedback of demands whose first pass it enters or
//! leaves; lists computed before it keep their other pairs' scores until the background refresh
//! ([`App::refresh_stale_lists`]) recomputes them, newest state swapped in one list at a time.
//!
//! Lists are immutable once published (`Arc<List>`); a patch builds new ones and publishes them together,
//! so a reader sees every list either before a patch or after it. A list computed by a reader is kept only
//! when no write was taken while it was computed (`version`). A view built from lists notes which it read
//! ([`Sources`]); it is served from the cache for as long as those lists are the ones held.

use std::collections::HashMap;

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::{App, Matcher, MatcherError, RANKING_DEPTH, Result};
use crate::domain::{DemandId, TeamId, UniversityId, ZoneId};
use crate::matching::PairMatch;

/// How many rows a list keeps: as deep as any ranking page looks.
pub(super) const DEPTH: usize = RANKING_DEPTH;
/// A team write's statistics shift is refreshed once team writes have paused this long…
const REFRESH_QUIET: Duration = Duration::from_secs(1);
/// …or once the oldest stale list is this old, whichever comes first.
const REFRESH_MAX_AGE: Duration = Duration::from_secs(30);

/// One item's ranking: rows best first (ties by id), each a pair with its explanation.
#[derive(Debug)]
pub(super) struct List {
    rows: Vec<PairMatch>,
    /// `rows` holds every pair there is (the matcher ranked fewer than [`DEPTH`]); otherwise `rows` are
    /// exactly the best `rows.len()`.
    complete: bool,
    /// The statistics epoch its scores were computed under.
    epoch: u64,
}

/// The best rows of a list, as read: the list is shared, not copied.
pub(super) struct Head {
    list: Arc<List>,
    n: usize,
}

impl Head {
    pub(super) fn rows(&self) -> &[PairMatch] {
        &self.list.rows[..self.n.min(self.list.rows.len())]
    }
}

/// What a ranking was computed from: the lists it read, and the zones' and universities' records it
/// walked (by their stamps, [`super::catalog::Catalog::zone_stamp`]). While all of them stand, so does
/// the ranking, whatever else was written.
#[derive(Debug, Default)]
pub(super) struct Sources {
    lists: Vec<(Subject, Weak<List>)>,
    pub(super) zones: Vec<(ZoneId, u64)>,
    pub(super) universities: Vec<(UniversityId, u64)>,
    /// A list was read that was not kept (a write was published meanwhile): only the catalog
    /// generation the ranking was computed at vouches for it.
    pub(super) untracked: bool,
}

impl Sources {
    fn read(&mut self, subject: &Subject, list: &Arc<List>) {
        self.lists.push((subject.clone(), Arc::downgrade(list)));
    }
}

/// What a list ranks: the teams of a demand or the demands of a team.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Subject {
    TeamsOf(DemandId),
    DemandsOf(TeamId),
}

impl Subject {
    /// The id a row of this list is ordered and keyed by (the other side of the pair).
    fn row_key<'m>(&self, m: &'m PairMatch) -> &'m str {
        match self {
            Subject::TeamsOf(_) => m.team_id.as_str(),
            Subject::DemandsOf(_) => m.demand_id.as_str(),
        }
    }

    fn compute(&self, matcher: &dyn Matcher) -> Result<Vec<PairMatch>, MatcherError> {
        match self {
            Subject::TeamsOf(d) => matcher.teams_for_demand(d, DEPTH),
            Subject::DemandsOf(t) => matcher.demands_for_team(t, DEPTH),
        }
    }
}

impl List {
    fn fresh(subject: &Subject, mut rows: Vec<PairMatch>, epoch: u64) -> List {
        let complete = rows.len() < DEPTH;
        rows.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| subject.row_key(a).cmp(subject.row_key(b)))
        });
        List {
            rows,
            complete,
            epoch,
        }
    }

    /// The best `n` rows, or `None` when fewer are known (a patch removed rows whose successors it cannot
    /// know): the caller ranks afresh.
    pub(super) fn head(&self, n: usize) -> Option<&[PairMatch]> {
        if self.complete || self.rows.len() >= n {
            Some(&self.rows[..n.min(self.rows.len())])
        } else {
            None
        }
    }

    /// This list with the row of `key` (the written item) replaced: `new` is its score, `None` when it
    /// is gone, and `pair` makes its row when it enters. `None` when the list does not change.
    fn patched(
        &self,
        subject: &Subject,
        key: &str,
        new: Option<f32>,
        pair: &dyn Fn() -> Result<Option<PairMatch>, MatcherError>,
    ) -> Result<Option<List>, MatcherError> {
        let old = self.rows.iter().position(|m| subject.row_key(m) == key);
        // Every pair outside a partial list ranks after its last row (as that row stood): the written
        // item belongs in the list when it ranks before that row, and then its place among the others is
        // where it goes. A complete list holds every pair, so it always belongs.
        let enters = new.and_then(|score| {
            let before = |m: &&PairMatch| {
                score
                    .total_cmp(&m.score)
                    .then_with(|| subject.row_key(m).cmp(key))
                    .is_lt()
            };
            let within = self.complete
                || self.rows.last().is_some_and(|last| {
                    if subject.row_key(last) == key {
                        score > last.score
                    } else {
                        !before(&last)
                    }
                });
            let others = self.rows.iter().filter(|m| subject.row_key(m) != key);
            within.then(|| others.take_while(before).count())
        });
        if old.is_none() && enters.is_none() {
            return Ok(None);
        }
        let mut rows = self.rows.clone();
        if let Some(i) = old {
            rows.remove(i);
        }
        match enters {
            Some(at) => {
                let Some(row) = pair()? else {
                    return Ok(old.is_some().then(|| self.with_rows(rows)));
                };
                rows.insert(at, row);
                Ok(Some(self.with_rows(rows)))
            }
            None => Ok(Some(self.with_rows(rows))),
        }
    }

    fn with_rows(&self, mut rows: Vec<PairMatch>) -> List {
        let complete = self.complete && rows.len() < DEPTH;
        rows.truncate(DEPTH);
        List {
            rows,
            complete,
            epoch: self.epoch,
        }
    }
}

/// The published lists and what readers and the refresh check them against.
#[derive(Default)]
pub(super) struct Lists {
    lists: HashMap<Subject, Arc<List>>,
    /// Lists being ranked by a reader: another reader of the same list waits for it rather than ranking
    /// it a second time.
    ranking: HashMap<Subject, Arc<Mutex<()>>>,
    /// Bumped by every published patch and refresh.
    version: u64,
    /// Bumped by every team write (the statistics every pair shares have moved).
    epoch: u64,
    /// When the epoch last moved, and since when lists of an older epoch have waited.
    last_team_write: Option<Instant>,
    stale_since: Option<Instant>,
    /// The epoch the matcher last settled at ([`Matcher::settle`]).
    settled: u64,
}

impl Lists {
    pub(super) fn len(&self) -> usize {
        self.lists.len()
    }

    /// Lists whose scores predate the latest team write.
    pub(super) fn stale(&self) -> usize {
        self.lists.values().filter(|l| l.epoch < self.epoch).count()
    }

    /// Forgets every list (after a failed engine update: nothing patched can be trusted).
    pub(super) fn clear(&mut self) {
        self.lists.clear();
        self.version += 1;
        self.stale_since = None;
    }
}

/// Above this many teams' lists held, a demand write scores every team in one ranking rather than
/// each held team's pair on its own.
const PAIRWISE_MAX: usize = 16;

/// Writes as the lists take them: the last write of each item, an upsert or a deletion (`true`).
struct Batch<'w> {
    teams: Vec<(&'w TeamId, bool)>,
    demands: Vec<(&'w DemandId, bool)>,
}

impl<'w> Batch<'w> {
    /// `None` when a write is [`Written::Many`].
    fn of(written: &'w [Written]) -> Option<Batch<'w>> {
        fn last<'w, Id: PartialEq>(items: &mut Vec<(&'w Id, bool)>, id: &'w Id, deleted: bool) {
            items.retain(|(i, _)| *i != id);
            items.push((id, deleted));
        }
        let mut batch = Batch {
            teams: Vec::new(),
            demands: Vec::new(),
        };
        for w in written {
            match w {
                Written::Team(t) => last(&mut batch.teams, t, false),
                Written::TeamDeleted(t) => last(&mut batch.teams, t, true),
                Written::Demand(d) => last(&mut batch.demands, d, false),
                Written::DemandDeleted(d) => last(&mut batch.demands, d, true),
                Written::Many => return None,
            }
        }
        Some(batch)
    }

    /// Whether `subject`'s list is ranked afresh or dropped rather than patched: the list of a written
    /// item.
    fn replaces(&self, subject: &Subject) -> bool {
        match subject {
            Subject::TeamsOf(d) => self.demands.iter().any(|(w, _)| *w == d),
            Subject::DemandsOf(t) => self.teams.iter().any(|(w, _)| *w == t),
        }
    }
}

/// A write to patch the lists with.
#[derive(Debug, Clone)]
pub(super) enum Written {
    Team(TeamId),
    Demand(DemandId),
    TeamDeleted(TeamId),
    DemandDeleted(DemandId),
    /// A batch (an import): every list is ranked afresh rather than patched item by item.
    Many,
}

impl App {
    fn lists(&self) -> std::sync::MutexGuard<'_, Lists> {
        self.inner.lists.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The best `n` rows of `subject`'s ranking, from its list or, when that is missing or too short,
    /// ranked afresh (and kept unless a write was published meanwhile). The list read is noted in
    /// `sources` (a list ranked afresh and not kept leaves them untracked). Blocking.
    pub(super) fn list_head(
        &self,
        subject: &Subject,
        n: usize,
        sources: &mut Sources,
    ) -> Result<Head, MatcherError> {
        let held = |sources: &mut Sources| {
            let lists = self.lists();
            let list = lists.lists.get(subject).filter(|l| l.head(n).is_some())?;
            sources.read(subject, list);
            Some(Head {
                list: list.clone(),
                n,
            })
        };
        if let Some(head) = held(sources) {
            return Ok(head);
        }
        // One reader ranks a missing list; the others wait for it and read what it kept.
        let turn = self
            .lists()
            .ranking
            .entry(subject.clone())
            .or_default()
            .clone();
        let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(head) = held(sources) {
            return Ok(head);
        }
        let (version, epoch) = {
            let lists = self.lists();
            (lists.version, lists.epoch)
        };
        let ranked = self.rank_list(subject, version, epoch, n, sources);
        let mut lists = self.lists();
        if lists
            .ranking
            .get(subject)
            .is_some_and(|t| Arc::ptr_eq(t, &turn))
        {
            lists.ranking.remove(subject);
        }
        ranked
    }

    /// Ranks `subject`'s list afresh and keeps it unless a write was taken since `version`.
    fn rank_list(
        &self,
        subject: &Subject,
        version: u64,
        epoch: u64,
        n: usize,
        sources: &mut Sources,
    ) -> Result<Head, MatcherError> {
        let list = Arc::new(List::fresh(
            subject,
            subject.compute(self.inner.matcher.as_ref())?,
            epoch,
        ));
        let mut lists = self.lists();
        if lists.version == version {
            lists.lists.insert(subject.clone(), list.clone());
            sources.read(subject, &list);
        } else {
            sources.untracked = true;
        }
        Ok(Head { list, n })
    }

    /// Whether every list `sources` read is still the one held for its subject.
    pub(super) fn lists_stand(&self, sources: &Sources) -> bool {
        let lists = self.lists();
        sources.lists.iter().all(|(subject, read)| {
            lists
                .lists
                .get(subject)
                .is_some_and(|held| std::ptr::eq(Arc::as_ptr(held), read.as_ptr()))
        })
    }

    /// Marks the lists as about to change: a list a reader is ranking now, from the matcher as it stands
    /// before the writes being made, is not kept.
    pub(super) fn lists_changing(&self) {
        self.lists().version += 1;
    }

    /// Takes committed writes the matcher now holds into the lists, in the write lane: the written
    /// items' own lists are dropped at once (ranked afresh on their next read, so they show the writes)
    /// and a reader ranking from the matcher as it stood before is not kept; a team write moves the
    /// statistics epoch. The written items' pairs in every other list are patched in the background
    /// ([`App::patch_rankings`]).
    pub(super) fn take_writes(&self, written: Vec<Written>) {
        let Some(batch) = Batch::of(&written) else {
            self.clear_lists();
            return;
        };
        let mut lists = self.lists();
        lists.lists.retain(|s, _| !batch.replaces(s));
        lists.version += 1;
        if !batch.teams.is_empty() {
            lists.epoch += 1;
            lists.last_team_write = Some(Instant::now());
            if lists.stale_since.is_none() && lists.stale() > 0 {
                lists.stale_since = Some(Instant::now());
            }
        }
        drop(lists);
        let mut queue = self.patch_queue();
        queue.extend(written);
        drop(queue);
        self.inner.patch_signal.notify_one();
    }

    fn patch_queue(&self) -> std::sync::MutexGuard<'_, Vec<Written>> {
        self.inner.patches.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Patches every held list with the writes taken since the last patch: each list gets the written
    /// items' new pairs (or loses them), all published at once; a list replaced meanwhile (ranked afresh
    /// from a matcher that already held the writes) keeps its newer rows. Returns how many writes were
    /// patched in. The background patcher calls it as writes arrive; blocking.
    pub fn patch_rankings(&self) -> usize {
        let _patcher = self
            .inner
            .patch_lane
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let written = std::mem::take(&mut *self.patch_queue());
        if written.is_empty() {
            return 0;
        }
        if let Err(err) = self.patch_lists(&written) {
            tracing::error!(code = "ranking_patch_failed", %err, "rankings not patched; ranked afresh");
            self.clear_lists();
        }
        self.bump_generation();
        written.len()
    }

    /// Writes taken but not yet patched into the lists.
    pub(super) fn patches_pending(&self) -> usize {
        self.patch_queue().len()
    }

    fn patch_lists(&self, written: &[Written]) -> Result<(), MatcherError> {
        let Some(batch) = Batch::of(written) else {
            self.clear_lists();
            return Ok(());
        };
        let matcher = self.inner.matcher.as_ref();
        let started = Instant::now();
        let snapshot: Vec<(Subject, Arc<List>)> = self
            .lists()
            .lists
            .iter()
            .filter(|(s, _)| !batch.replaces(s))
            .map(|(s, l)| (s.clone(), l.clone()))
            .collect();
        // A written demand's pairs with the teams whose lists are held: one by one, or, when many teams'
        // lists are held, from one ranking that scores every team.
        let team_lists = snapshot
            .iter()
            .filter(|(s, _)| matches!(s, Subject::DemandsOf(_)))
            .count();
        let every_team: HashMap<&DemandId, HashMap<String, f32>> = if team_lists > PAIRWISE_MAX {
            batch
                .demands
                .iter()
                .filter(|(_, deleted)| !deleted)
                .map(|&(d, _)| Ok((d, by_id(matcher.team_scores(d)?))))
                .collect::<Result<_, MatcherError>>()?
        } else {
            HashMap::new()
        };
        // One list at a time, on this thread: a pool task waiting for the matcher's read lock while an
        // engine update holds the write lock and waits for the pool would never finish. A pair is scored first (a team write resets the
        // feedback of every demand, so the first pair of each demand pays for it) and explained only
        // when it enters the list.
        let patch_one = |(subject, list): &(Subject, Arc<List>)| {
            let mut patched: Option<List> = None;
            let mut patch = |key: &str,
                             new: Option<f32>,
                             pair: &dyn Fn() -> Result<Option<PairMatch>, MatcherError>|
             -> Result<(), MatcherError> {
                let base = patched.as_ref().unwrap_or(list);
                if let Some(l) = base.patched(subject, key, new, pair)? {
                    patched = Some(l);
                }
                Ok(())
            };
            match subject {
                Subject::TeamsOf(d) => {
                    for &(t, deleted) in &batch.teams {
                        let new = if deleted {
                            None
                        } else {
                            matcher.pair_score(d, t)?
                        };
                        patch(t.as_str(), new, &|| matcher.score_pair(d, t))?;
                    }
                }
                Subject::DemandsOf(t) => {
                    for &(d, deleted) in &batch.demands {
                        let new = match (deleted, every_team.get(d)) {
                            (true, _) => None,
                            (false, Some(scores)) => scores.get(t.as_str()).copied(),
                            (false, None) => matcher.pair_score(d, t)?,
                        };
                        patch(d.as_str(), new, &|| matcher.score_pair(d, t))?;
                    }
                }
            }
            Ok(patched.map(|l| (subject.clone(), list.clone(), l)))
        };
        let changed: Vec<(Subject, Arc<List>, List)> = snapshot
            .iter()
            .map(patch_one)
            .collect::<Result<Vec<Option<_>>, MatcherError>>()?
            .into_iter()
            .flatten()
            .collect();
        let mut lists = self.lists();
        let mut published = 0;
        for (subject, was, list) in changed {
            // Only over the list the patch started from: one dropped or ranked afresh since stays so.
            if let Some(held) = lists.lists.get_mut(&subject)
                && Arc::ptr_eq(held, &was)
            {
                *held = Arc::new(list);
                published += 1;
            }
        }
        // `version` stays: a list a reader ranks now is from a matcher that already holds these writes.
        drop(lists);
        tracing::debug!(
            teams = batch.teams.len(),
            demands = batch.demands.len(),
            lists = snapshot.len(),
            published,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "ranking lists patched"
        );
        Ok(())
    }

    /// Recomputes up to `max` lists whose scores predate the latest team write, when team writes have
    /// paused for [`REFRESH_QUIET`] or the oldest has waited [`REFRESH_MAX_AGE`] (`force`: at once).
    /// Each is swapped in unless a write was published while it was computed (then it waits for the next
    /// round). Returns how many were swapped in. Blocking.
    pub(super) fn refresh_stale_lists(&self, max: usize, force: bool) -> usize {
        let (due, epoch) = {
            let lists = self.lists();
            let quiet = lists
                .last_team_write
                .is_none_or(|t| t.elapsed() >= REFRESH_QUIET);
            let old = lists
                .stale_since
                .is_some_and(|t| t.elapsed() >= REFRESH_MAX_AGE);
            let settle = (force || quiet || old) && lists.settled < lists.epoch;
            if settle {
                let epoch = lists.epoch;
                drop(lists);
                if let Err(err) = self.inner.matcher.settle() {
                    tracing::error!(code = "matcher_settle_failed", %err, "matcher not settled");
                }
                let mut lists = self.lists();
                lists.settled = lists.settled.max(epoch);
                drop(lists);
                return self.refresh_stale_lists(max, force);
            }
            let due: Vec<Subject> = if force || quiet || old {
                lists
                    .lists
                    .iter()
                    .filter(|(_, l)| l.epoch < lists.epoch)
                    .map(|(s, _)| s.clone())
                    .take(max)
                    .collect()
            } else {
                Vec::new()
            };
            (due, lists.epoch)
        };
        let mut swapped = 0;
        for subject in due {
            let version = self.lists().version;
            let Ok(rows) = subject.compute(self.inner.matcher.as_ref()) else {
                continue;
            };
            let list = List::fresh(&subject, rows, epoch);
            let mut lists = self.lists();
            if lists.version != version || !lists.lists.contains_key(&subject) {
                continue;
            }
            lists.lists.insert(subject, Arc::new(list));
            lists.version += 1;
            if lists.stale() == 0 {
                lists.stale_since = None;
            }
            drop(lists);
            self.bump_generation();
            swapped += 1;
        }
        swapped
    }

    /// Lists held, and how many of them await a refresh.
    pub(super) fn list_counts(&self) -> (usize, usize) {
        let lists = self.lists();
        (lists.len(), lists.stale())
    }

    /// Forgets every list.
    pub(super) fn clear_lists(&self) {
        self.lists().clear();
    }
}

/// Scores by id.
fn by_id<Id: std::fmt::Display>(scores: Vec<(Id, f32)>) -> HashMap<String, f32> {
    scores
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect()
}

/// Starts the background refresh of stale lists: a thread that wakes every `tick`, commits the matcher's
/// pending updates ([`Matcher::flush`]), refreshes a few lists when due and stops when the app is gone. Between lists it rests as long as the list took, so it never
/// takes more than half of one core from readers.
pub(super) fn start_refresh(app: &App, tick: Duration) {
    let weak = Arc::downgrade(&app.inner);
    let spawned = std::thread::Builder::new()
        .name("list-refresh".into())
        .spawn(move || {
            super::rankers::lower_priority();
            loop {
                std::thread::sleep(tick);
                let Some(inner) = weak.upgrade() else { return };
                let app = App { inner };
                app.flush_matcher();
                loop {
                    let started = Instant::now();
                    if app.refresh_stale_lists(1, false) == 0 {
                        break;
                    }
                    std::thread::sleep(started.elapsed());
                }
            }
        });
    if let Err(err) = spawned {
        tracing::error!(code = "refresh_not_started", %err, "ranking refresh thread not started");
    }
}

/// Starts the background patcher: a thread that patches the lists with the writes taken
/// ([`App::patch_rankings`]) as soon as there are any, and stops when the app is gone.
pub(super) fn start_patcher(app: &App) {
    let weak = Arc::downgrade(&app.inner);
    let spawned = std::thread::Builder::new()
        .name("list-patcher".into())
        .spawn(move || {
            super::rankers::lower_priority();
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let app = App { inner };
                let queue = app.patch_queue();
                if queue.is_empty() {
                    // Wakes at least every quarter second to notice that the app is gone.
                    let waited = app
                        .inner
                        .patch_signal
                        .wait_timeout(queue, Duration::from_millis(250));
                    drop(waited);
                } else {
                    drop(queue);
                }
                app.patch_rankings();
            }
        });
    if let Err(err) = spawned {
        tracing::error!(code = "patcher_not_started", %err, "ranking patcher not started");
    }
}

impl App {
    /// Commits the matcher's pending updates (also done in the background every quarter second); a
    /// failure is logged and tried again at the next tick.
    pub fn flush_matcher(&self) {
        if let Err(err) = self.inner.matcher.flush() {
            tracing::error!(code = "matcher_flush_failed", %err, "matcher updates not committed");
        }
    }

    /// Patches in the writes taken, then recomputes at once every per-item ranking a team write left
    /// stale (the background refresh does so on its own once team writes pause) and returns how many.
    /// Blocking.
    pub fn refresh_rankings(&self) -> usize {
        self.patch_rankings();
        self.refresh_stale_lists(usize::MAX, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Explanation;

    fn row(team: &str, score: f32) -> PairMatch {
        PairMatch {
            demand_id: DemandId("d".into()),
            team_id: TeamId(team.into()),
            score,
            explanation: Explanation {
                contributions: Vec::new(),
                matched_terms: Vec::new(),
                best_achievement: None,
                relevant_achievements: 0,
                shared_track: None,
                cluster: None,
                summary: String::new(),
                summary_en: String::new(),
                degree: crate::matching::Degree::of(score),
            },
        }
    }

    fn list(rows: &[(&str, f32)], complete: bool) -> List {
        List {
            rows: rows.iter().map(|&(t, s)| row(t, s)).collect(),
            complete,
            epoch: 0,
        }
    }

    fn ids(l: &List) -> Vec<(&str, f32)> {
        l.rows
            .iter()
            .map(|m| (m.team_id.as_str(), m.score))
            .collect()
    }

    fn patch(l: &List, key: &str, new: Option<f32>) -> Option<List> {
        let subject = Subject::TeamsOf(DemandId("d".into()));
        l.patched(&subject, key, new, &|| Ok(new.map(|s| row(key, s))))
            .unwrap()
    }

    #[test]
    fn a_row_moves_to_its_new_place_ties_by_id() {
        let l = list(&[("a", 0.9), ("b", 0.5), ("c", 0.3)], false);
        let p = patch(&l, "c", Some(0.5)).unwrap();
        assert_eq!(ids(&p), [("a", 0.9), ("b", 0.5), ("c", 0.5)]);
        let p = patch(&l, "a", Some(0.5)).unwrap();
        assert_eq!(ids(&p), [("a", 0.5), ("b", 0.5), ("c", 0.3)]);
        let p = patch(&l, "x", Some(0.6)).unwrap();
        assert_eq!(ids(&p), [("a", 0.9), ("x", 0.6), ("b", 0.5), ("c", 0.3)]);
    }

    #[test]
    fn below_the_cut_of_a_partial_list_a_row_is_not_known_to_belong() {
        let l = list(&[("a", 0.9), ("b", 0.5), ("c", 0.3)], false);
        assert!(patch(&l, "x", Some(0.1)).is_none(), "unchanged");
        // Falling below the last row: the list is one shorter, and cannot serve three rows.
        let p = patch(&l, "a", Some(0.1)).unwrap();
        assert_eq!(ids(&p), [("b", 0.5), ("c", 0.3)]);
        assert!(p.head(3).is_none());
        assert_eq!(p.head(2).map(<[PairMatch]>::len), Some(2));
    }

    #[test]
    fn a_complete_list_keeps_every_row_and_deletions_remove_them() {
        let l = list(&[("a", 0.9), ("b", 0.5)], true);
        let p = patch(&l, "x", Some(0.1)).unwrap();
        assert_eq!(ids(&p), [("a", 0.9), ("b", 0.5), ("x", 0.1)]);
        assert!(p.head(10).is_some());
        let p = patch(&l, "a", None).unwrap();
        assert_eq!(ids(&p), [("b", 0.5)]);
        assert!(patch(&l, "y", None).is_none());
    }
}
