//! Per-item rankings kept current by writes: for each demand asked about, its best teams, and for each
//! team asked about, its best demands ([`DEPTH`] deep, with explanations). The one-item rankings and the
//! zone and university views are built from them, so a view after a write costs an aggregation, not a
//! ranking per demand.
//!
//! A write patches them with the written item's own pairs, exactly: a demand's new or changed text changes
//! only its own pairs, so after a demand write every list equals a fresh ranking. A team write changes the
//! team's pairs (patched the same way) and also shifts the team-side collection statistics every pair
//! shares (term document frequencies, average lengths) and the feedback of demands whose first pass it
//! enters or leaves; lists computed before it keep their other pairs' scores until the background refresh
//! ([`App::refresh_stale_lists`]) recomputes them, newest state swapped in one list at a time.
//!
//! Lists are immutable once published (`Arc<List>`); a patch builds new ones and publishes them together,
//! so a reader sees every list either before a write or after it. A list computed by a reader is kept only
//! when no write was published while it was computed (`version`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{App, Matcher, MatcherError, RANKING_DEPTH, Result};
use crate::domain::{DemandId, TeamId};
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
        pair: impl FnOnce() -> Result<Option<PairMatch>, MatcherError>,
    ) -> Result<Option<List>, MatcherError> {
        let old = self.rows.iter().position(|m| subject.row_key(m) == key);
        let mut rows = self.rows.clone();
        if let Some(i) = old {
            rows.remove(i);
        }
        let enters = new.and_then(|score| {
            let before = |m: &PairMatch| {
                score
                    .total_cmp(&m.score)
                    .then_with(|| subject.row_key(m).cmp(key))
                    .is_lt()
            };
            // Where the row goes among the kept rows; past the last only when the list holds them all.
            let at = rows.partition_point(before);
            (self.complete || at < rows.len()).then_some(at)
        });
        match enters {
            Some(at) => {
                let Some(row) = pair()? else {
                    return Ok(old.is_some().then(|| self.with_rows(rows)));
                };
                rows.insert(at, row);
                Ok(Some(self.with_rows(rows)))
            }
            None if old.is_some() => Ok(Some(self.with_rows(rows))),
            None => Ok(None),
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
    /// Bumped by every published patch and refresh.
    version: u64,
    /// Bumped by every team write (the statistics every pair shares have moved).
    epoch: u64,
    /// When the epoch last moved, and since when lists of an older epoch have waited.
    last_team_write: Option<Instant>,
    stale_since: Option<Instant>,
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

/// A write to patch the lists with.
#[derive(Debug, Clone)]
pub(super) enum Written {
    Team(TeamId),
    Demand(DemandId),
    TeamDeleted(TeamId),
    DemandDeleted(DemandId),
}

impl App {
    fn lists(&self) -> std::sync::MutexGuard<'_, Lists> {
        self.inner.lists.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The best `n` rows of `subject`'s ranking, from its list or, when that is missing or too short,
    /// ranked afresh (and kept unless a write was published meanwhile). Blocking.
    pub(super) fn list_head(&self, subject: &Subject, n: usize) -> Result<Vec<PairMatch>, MatcherError> {
        let (version, epoch) = {
            let lists = self.lists();
            if let Some(head) = lists.lists.get(subject).and_then(|l| l.head(n)) {
                return Ok(head.to_vec());
            }
            (lists.version, lists.epoch)
        };
        let list = List::fresh(subject, subject.compute(self.inner.matcher.as_ref())?, epoch);
        let head = list.head(n).map(<[PairMatch]>::to_vec).unwrap_or_default();
        let mut lists = self.lists();
        if lists.version == version {
            lists.lists.insert(subject.clone(), Arc::new(list));
        }
        Ok(head)
    }

    /// Patches every list with a committed write that the matcher already holds: the written item's own
    /// list is ranked afresh, every other list gets the item's new pair (or loses it). Runs in the write
    /// lane; readers keep the previous lists until all are published at once.
    pub(super) fn patch_lists(&self, written: &Written) -> Result<(), MatcherError> {
        let snapshot: Vec<(Subject, Arc<List>)> = self
            .lists()
            .lists
            .iter()
            .map(|(s, l)| (s.clone(), l.clone()))
            .collect();
        let matcher = self.inner.matcher.as_ref();
        let team_write = matches!(written, Written::Team(_) | Written::TeamDeleted(_));
        let epoch = self.lists().epoch + u64::from(team_write);
        let (own, key, scores) = match written {
            Written::Team(t) => (
                Some(Subject::DemandsOf(t.clone())),
                t.as_str(),
                Some(by_id(matcher.demand_scores(t)?)),
            ),
            Written::Demand(d) => (
                Some(Subject::TeamsOf(d.clone())),
                d.as_str(),
                Some(by_id(matcher.team_scores(d)?)),
            ),
            Written::TeamDeleted(t) => (None, t.as_str(), None),
            Written::DemandDeleted(d) => (None, d.as_str(), None),
        };
        let own_list = match &own {
            Some(s) => Some(List::fresh(s, s.compute(matcher)?, epoch)),
            None => None,
        };
        let mut changed = Vec::new();
        for (subject, list) in &snapshot {
            let other = match subject {
                Subject::TeamsOf(d) if matches!(written, Written::Team(_) | Written::TeamDeleted(_)) => {
                    d.as_str()
                }
                Subject::DemandsOf(t)
                    if matches!(written, Written::Demand(_) | Written::DemandDeleted(_)) =>
                {
                    t.as_str()
                }
                _ => continue,
            };
            let new = scores.as_ref().and_then(|s| s.get(other).copied());
            let pair = || {
                // The row as the written item's own fresh list has it, else scored alone.
                if let Some(row) = own_list
                    .as_ref()
                    .and_then(|l| l.rows.iter().find(|m| row_other(written, m) == other))
                {
                    return Ok(Some(row.clone()));
                }
                let (d, t) = match written {
                    Written::Team(t) => (DemandId(other.to_owned()), t.clone()),
                    Written::Demand(d) => (d.clone(), TeamId(other.to_owned())),
                    _ => return Ok(None),
                };
                matcher.score_pair(&d, &t)
            };
            if let Some(patched) = list.patched(subject, key, new, pair)? {
                changed.push((subject.clone(), patched));
            }
        }
        let mut lists = self.lists();
        for (subject, list) in changed {
            lists.lists.insert(subject, Arc::new(list));
        }
        match (&own, own_list) {
            (Some(s), Some(l)) => {
                lists.lists.insert(s.clone(), Arc::new(l));
            }
            _ => {
                let gone = match written {
                    Written::TeamDeleted(t) => Subject::DemandsOf(t.clone()),
                    Written::DemandDeleted(d) => Subject::TeamsOf(d.clone()),
                    _ => unreachable!("upserts rank their own list"),
                };
                lists.lists.remove(&gone);
            }
        }
        lists.version += 1;
        if team_write {
            lists.epoch = epoch;
            lists.last_team_write = Some(Instant::now());
            if lists.stale_since.is_none() && lists.stale() > 0 {
                lists.stale_since = Some(Instant::now());
            }
        }
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

/// The id of the other side of `m` than the written item.
fn row_other<'m>(written: &Written, m: &'m PairMatch) -> &'m str {
    match written {
        Written::Team(_) | Written::TeamDeleted(_) => m.demand_id.as_str(),
        Written::Demand(_) | Written::DemandDeleted(_) => m.team_id.as_str(),
    }
}

/// Starts the background refresh of stale lists: a thread that wakes every `tick`, refreshes a few lists
/// when due and stops when the app is gone. Between lists it rests as long as the list took, so it never
/// takes more than half of one core from readers.
pub(super) fn start_refresh(app: &App, tick: Duration) {
    let weak = Arc::downgrade(&app.inner);
    let spawned = std::thread::Builder::new()
        .name("list-refresh".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                let Some(inner) = weak.upgrade() else { return };
                let app = App { inner };
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

impl App {
    /// Recomputes at once every per-item ranking a team write left stale (the background refresh does so
    /// on its own once team writes pause) and returns how many. Blocking.
    pub fn refresh_rankings(&self) -> usize {
        self.refresh_stale_lists(usize::MAX, true)
    }
}
