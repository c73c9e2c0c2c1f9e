//! Ranking: the best teams for a demand and the best demands for a team. Candidates come from the lexical
//! postings and the latent space, or are every document: for a demand up to `exhaustive_below` teams, for
//! a team when that is estimated cheaper ([`candidates_cheaper`]); each is bounded by its
//! score with `achievements` at 1 (and, over every document, `lexical` at the bound the inverted lists
//! give), and only candidates whose bound can still enter the list are scored in full ([`top_by_bound`]),
//! which gives exactly the list of scoring every candidate.

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::config;
use super::corpus;
use super::features::{PairAt, PairFeatures};
use super::postings;
use super::query::Query;
use super::state::State;
use super::topk::{top_by_bound, top_k};
use super::{Engine, MatchError, PairMatch};
use crate::domain::{DemandId, TeamId};

/// What a ranking ranks: the teams of demand `d` (`TeamsOf(d)`), or the demands of team `t` (`DemandsOf(t)`).
#[derive(Clone, Copy)]
pub(super) enum Ranking {
    TeamsOf(usize),
    DemandsOf(usize),
}

impl Ranking {
    /// `(demand, team)`: the pair of the ranked document in `slot`.
    pub(super) fn pair(self, slot: usize) -> (usize, usize) {
        match self {
            Ranking::TeamsOf(d) => (d, slot),
            Ranking::DemandsOf(t) => (slot, t),
        }
    }

    /// How many documents there are to rank.
    pub(super) fn len(self, state: &State) -> usize {
        match self {
            Ranking::TeamsOf(_) => state.teams.len(),
            Ranking::DemandsOf(_) => state.demands.len(),
        }
    }

    /// The id of the ranked document in `slot`.
    pub(super) fn id(self, state: &State, slot: usize) -> &str {
        match self {
            Ranking::TeamsOf(_) => state.data.teams[slot].id.as_str(),
            Ranking::DemandsOf(_) => state.data.demands[slot].id.as_str(),
        }
    }

    /// `limit`, or every document when it is 0.
    pub(super) fn limit(self, state: &State, limit: usize) -> usize {
        if limit == 0 { self.len(state) } else { limit }
    }
}

impl Engine {
    /// The `limit` best teams for a demand, best first, with explanations.
    pub fn teams_for_demand(
        &self,
        demand: &DemandId,
        limit: usize,
    ) -> Result<Vec<PairMatch>, MatchError> {
        let state = self.read()?;
        let of = Ranking::TeamsOf(state.demand_slot(demand)?);
        self.explained(&state, of, limit)
    }

    /// The `limit` best demands for a team, best first, with explanations.
    pub fn demands_for_team(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> Result<Vec<PairMatch>, MatchError> {
        let state = self.read()?;
        let of = Ranking::DemandsOf(state.team_slot(team)?);
        self.explained(&state, of, limit)
    }

    /// The `limit` best teams for a demand as `(team id, score)`, without explanations (`limit` 0: all).
    pub fn rank_teams(
        &self,
        demand: &DemandId,
        limit: usize,
    ) -> Result<Vec<(TeamId, f32)>, MatchError> {
        let state = self.read()?;
        let of = Ranking::TeamsOf(state.demand_slot(demand)?);
        self.scores(&state, of, limit, |t| state.data.teams[t].id.clone())
    }

    /// The `limit` best demands for a team as `(demand id, score)`, without explanations (`limit` 0: all).
    pub fn rank_demands(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> Result<Vec<(DemandId, f32)>, MatchError> {
        let state = self.read()?;
        let of = Ranking::DemandsOf(state.team_slot(team)?);
        self.scores(&state, of, limit, |d| state.data.demands[d].id.clone())
    }

    /// The score of one pair with its explanation.
    pub fn score_pair(&self, demand: &DemandId, team: &TeamId) -> Result<PairMatch, MatchError> {
        let state = self.read()?;
        let d = state.demand_slot(demand)?;
        let t = state.team_slot(team)?;
        let q = self.query(&state, d);
        let f = self.features(&state, PairAt::new(d, &q, t, true));
        let score = self.total(&f.values);
        let words = self.demand_words(&state, d);
        Ok(self.pair_match(&state, (d, t), score, &f, &words))
    }

    /// The score of one pair, as [`Engine::score_pair`] gives it, without building the explanation.
    pub fn pair_score(&self, demand: &DemandId, team: &TeamId) -> Result<f32, MatchError> {
        let state = self.read()?;
        let d = state.demand_slot(demand)?;
        let t = state.team_slot(team)?;
        let q = self.query(&state, d);
        let f = self.features(&state, PairAt::new(d, &q, t, false));
        Ok(self.total(&f.values))
    }

    /// The best `limit` documents of a ranking as `(slot, score, features)`, best first.
    pub(super) fn ranked(
        &self,
        state: &State,
        of: Ranking,
        limit: usize,
    ) -> Result<Vec<(usize, f32, PairFeatures)>, MatchError> {
        match of {
            Ranking::TeamsOf(d) => self.rank_teams_in(state, d, limit),
            Ranking::DemandsOf(t) => self.rank_demands_in(state, t, limit),
        }
    }

    /// The best `limit` documents of a ranking (0: all) as `(id, score)`.
    fn scores<Id>(
        &self,
        state: &State,
        of: Ranking,
        limit: usize,
        id: impl Fn(usize) -> Id,
    ) -> Result<Vec<(Id, f32)>, MatchError> {
        let ranked = self.ranked(state, of, of.limit(state, limit))?;
        Ok(ranked.into_iter().map(|(i, s, _)| (id(i), s)).collect())
    }

    /// The best `limit` documents of a ranking with their explanations.
    fn explained(
        &self,
        state: &State,
        of: Ranking,
        limit: usize,
    ) -> Result<Vec<PairMatch>, MatchError> {
        let ranked = self.ranked(state, of, limit)?;
        // The teams of one demand share its words: read them once, not once per team.
        let one_demand = match of {
            Ranking::TeamsOf(d) => Some(self.demand_words(state, d)),
            Ranking::DemandsOf(_) => None,
        };
        Ok(spread_map(ranked, |(slot, score, f)| {
            let (d, t) = of.pair(slot);
            match &one_demand {
                Some(words) => self.pair_match(state, (d, t), score, &f, words),
                None => self.pair_match(state, (d, t), score, &f, &self.demand_words(state, d)),
            }
        }))
    }

    /// The best `limit` of `teams` for demand `d` as `(team, score)`, best first (see [`Engine::best_pairs`]).
    pub(super) fn best_teams(
        &self,
        state: &State,
        d: usize,
        q: &Query,
        teams: &[usize],
        limit: usize,
    ) -> Vec<(usize, f32)> {
        self.best_pairs(
            teams,
            limit,
            |t| (self.base_features(state, PairAt::new(d, q, t, false)), ()),
            |t, _, f| self.add_achievements(state, PairAt::new(d, q, t, false), f),
        )
    }

    /// The best `limit` of `items` by score, best first: exactly the list that scoring every item in full
    /// and keeping the best with [`top_k`] gives. `base(i)` gives an item's features but `achievements`
    /// (and whatever `complete` needs again, such as the item's query), and `complete(i, x, f)` adds
    /// `achievements`. Every item is bounded by its score with `achievements` at 1 (rounding is monotonic,
    /// so the bound holds in floating point too), and [`top_by_bound`] completes only the items whose
    /// bound can still reach the `limit`-th best, so the dearest feature is computed for few.
    pub(super) fn best_pairs<X, B, C>(
        &self,
        items: &[usize],
        limit: usize,
        base: B,
        complete: C,
    ) -> Vec<(usize, f32)>
    where
        X: Send,
        B: Fn(usize) -> (PairFeatures, X) + Sync,
        C: Fn(usize, &X, &mut PairFeatures) + Sync,
    {
        self.best_by_bound(
            items,
            limit,
            |i| {
                let (f, x) = base(i);
                (self.upper_total(&f), (f, x))
            },
            |i, (mut f, x)| {
                complete(i, &x, &mut f);
                self.total(&f.values)
            },
        )
    }

    /// [`Engine::best_pairs`] over many items: `bound(i)` gives only an item's bound (its score with
    /// `achievements` at 1 and `lexical` at an upper bound of it), and `score(i)` its score in full, so
    /// that what is kept of each item while the bounds are ordered is its slot and bound alone.
    pub(super) fn best_of_bounded(
        &self,
        items: &[usize],
        limit: usize,
        bound: impl Fn(usize) -> PairFeatures + Sync,
        score: impl Fn(usize) -> f32 + Sync,
    ) -> Vec<(usize, f32)> {
        self.best_by_bound(
            items,
            limit,
            |i| (self.upper_total(&bound(i)), ()),
            |i, ()| score(i),
        )
    }

    /// The total of `f` with `achievements` at 1: an upper bound of the score of features `f` completes
    /// (rounding is monotonic, so the bound holds in floating point too).
    fn upper_total(&self, f: &PairFeatures) -> f32 {
        let mut upper = f.values;
        upper[config::ACHIEVEMENTS] = 1.0;
        self.total(&upper)
    }

    /// Every item bounded by `bound(i)` (`(bound, what completing it needs)`), over the pool when the items
    /// are many, then completed by `complete` in order of their bounds ([`top_by_bound`]).
    fn best_by_bound<X: Send>(
        &self,
        items: &[usize],
        limit: usize,
        bound: impl Fn(usize) -> (f32, X) + Sync,
        complete: impl Fn(usize, X) -> f32 + Sync,
    ) -> Vec<(usize, f32)> {
        let bound = |i: usize| {
            let (b, x) = bound(i);
            (i, b, x)
        };
        let spread = spread();
        let chunk = if items.len() > 2048 {
            512
        } else if spread && items.len() > SPREAD_MIN {
            items.len().div_ceil(2 * rayon::current_num_threads())
        } else {
            0
        };
        let bounded: Vec<(usize, f32, X)> = if chunk > 0 {
            items
                .par_chunks(chunk)
                .flat_map_iter(|c| c.iter().map(|&i| bound(i)).collect::<Vec<_>>())
                .collect()
        } else {
            items.iter().map(|&i| bound(i)).collect()
        };
        let batch = if spread { SPREAD_BATCH } else { 1 };
        top_by_bound(bounded, limit, batch, complete)
    }

    pub(super) fn rank_teams_in(
        &self,
        state: &State,
        d: usize,
        limit: usize,
    ) -> Result<Vec<(usize, f32, PairFeatures)>, MatchError> {
        let q = self.query(state, d);
        let r = &self.config.retrieval;
        let scored = if self.teams_exhaustive(state) {
            self.best_of_all_teams(state, d, &q, limit)
        } else {
            let lexical =
                || self.lexical_candidates(&state.team_postings, q.lexical.terms.clone(), limit);
            let semantic = || {
                [&state.demands[d].vec, &q.expansion.vec]
                    .into_iter()
                    .filter(|v| !v.is_empty())
                    .flat_map(|v| {
                        self.nearest(
                            v,
                            &state.team_members,
                            state.teams.len(),
                            r.semantic_candidates.max(limit),
                            |t| &state.teams[t].vec,
                        )
                    })
                    .collect::<Vec<usize>>()
            };
            let (lexical, semantic) = join(lexical, semantic);
            let mut set: FxHashSet<usize> = FxHashSet::default();
            set.extend(lexical);
            set.extend(semantic);
            let mut v: Vec<usize> = set.into_iter().collect();
            v.sort_unstable();
            self.best_teams(state, d, &q, &v, limit)
        };
        Ok(spread_map(scored, |(t, s)| {
            (t, s, self.features(state, PairAt::new(d, &q, t, true)))
        }))
    }

    /// The best `limit` of every team for demand `d` as `(team, score)`, best first: as
    /// [`Engine::best_teams`] over every team gives them, but each team is first bounded with the upper
    /// bound of its lexical share that the inverted lists give ([`Engine::team_lexical_bounds`]), so the
    /// term bags are read only for the teams whose bound can still enter the list.
    pub(super) fn best_of_all_teams(
        &self,
        state: &State,
        d: usize,
        q: &Query,
        limit: usize,
    ) -> Vec<(usize, f32)> {
        let bounds = self.team_lexical_bounds(state, &q.lexical, &q.bigrams);
        let all: Vec<usize> = (0..state.teams.len()).collect();
        self.best_of_bounded(
            &all,
            limit,
            |t| self.other_features(state, PairAt::new(d, q, t, false), bounds[t]),
            |t| self.total(&self.features(state, PairAt::new(d, q, t, false)).values),
        )
    }

    /// The best `limit` of every demand for team `t` as `(demand, score)`, best first: as scoring every
    /// demand in full gives them, each demand bounded first with the upper bound of its lexical share
    /// that the demands' inverted lists give ([`Engine::demand_lexical_bounds`]).
    fn best_of_all_demands(&self, state: &State, t: usize, limit: usize) -> Vec<(usize, f32)> {
        let all: Vec<usize> = (0..state.demands.len()).collect();
        let queries: Vec<Arc<Query>> = if spread() {
            all.par_iter()
                .with_min_len(256)
                .map(|&d| self.query(state, d))
                .collect()
        } else {
            all.iter().map(|&d| self.query(state, d)).collect()
        };
        let bounds = self.demand_lexical_bounds(state, t, |d| {
            (queries[d].lexical.upper, queries[d].bigrams.upper)
        });
        self.best_of_bounded(
            &all,
            limit,
            |d| self.other_features(state, PairAt::new(d, &queries[d], t, false), bounds[d]),
            |d| {
                let at = PairAt::new(d, &queries[d], t, false);
                self.total(&self.features(state, at).values)
            },
        )
    }

    /// Whether a demand's ranking scores every team rather than its candidates: up to
    /// `exhaustive_below` teams, always. The candidate path is the cheaper one there as well (about half
    /// the time at 1,000 teams: warm p50 0.5 ms against 1.0 to 1.2 ms), but it costs quality where these
    /// rankings are measured: on the planted Jiangsu qrels (900 teams) nDCG@10 falls from 0.9526 to 0.9513
    /// and recall at depth 100 from 0.9985 to 0.8430, the planted matches outside the lexical and latent
    /// candidates being lost.
    pub(super) fn teams_exhaustive(&self, state: &State) -> bool {
        state.teams.len() <= self.config.retrieval.exhaustive_below
    }

    /// Whether a team's ranking of the best `limit` demands scores every demand rather than its
    /// candidates, chosen by the estimated cost of each path ([`candidates_cheaper`]); every demand can be
    /// scored only while the demands' bigram lists are kept (up to `exhaustive_below` demands). `terms` are
    /// the team's lexical query terms, before the heaviest `query_terms` are taken.
    pub(super) fn demands_exhaustive(
        &self,
        state: &State,
        terms: &[(u32, f32)],
        limit: usize,
    ) -> bool {
        let r = &self.config.retrieval;
        let n = state.demands.len();
        if n > r.exhaustive_below || state.demand_bigram_postings.is_none() {
            return false;
        }
        let mut heaviest = terms.to_vec();
        top_k(&mut heaviest, r.query_terms);
        let pool = r.lexical_candidates.max(limit) + r.semantic_candidates.max(limit);
        // A deep ranking (the service keeps 100 rows per team) scores every demand: a pool of a few times
        // its depth would miss good demands near its end (planted, team to demand, recall@100 falls from
        // 0.9528 to 0.7397 on candidates).
        if pool < DEEP_POOL * limit {
            return true;
        }
        !candidates_cheaper(n, pool, state.demand_postings.entries(&heaviest))
    }

    /// The best `lexical_candidates` (at least `limit`) documents of `postings` for the `query_terms`
    /// heaviest of `terms`.
    pub(super) fn lexical_candidates(
        &self,
        postings: &postings::Postings,
        mut terms: Vec<(u32, f32)>,
        limit: usize,
    ) -> Vec<usize> {
        let (r, cfg) = (&self.config.retrieval, &self.config.bm25);
        top_k(&mut terms, r.query_terms);
        postings.top(&terms, r.lexical_candidates.max(limit), cfg.k1, cfg.b)
    }

    pub(super) fn rank_demands_in(
        &self,
        state: &State,
        t: usize,
        limit: usize,
    ) -> Result<Vec<(usize, f32, PairFeatures)>, MatchError> {
        let r = &self.config.retrieval;
        let terms: Vec<(u32, f32)> = self
            .team_all(state, t)
            .iter()
            .map(|&(term, c)| (term, corpus::dampen(c) * state.demand_df.idf(term)))
            .collect();
        let scored = if self.demands_exhaustive(state, &terms, limit) {
            self.best_of_all_demands(state, t, limit)
        } else {
            let team = &state.teams[t];
            let lexical = || self.lexical_candidates(&state.demand_postings, terms, limit);
            let semantic = || {
                self.nearest(
                    &team.vec,
                    &state.demand_members,
                    state.demands.len(),
                    r.semantic_candidates.max(limit),
                    |d| &state.demands[d].vec,
                )
            };
            let (lexical, semantic) = join(lexical, semantic);
            let mut set: FxHashSet<usize> = FxHashSet::default();
            set.extend(lexical);
            set.extend(semantic);
            let mut v: Vec<usize> = set.into_iter().collect();
            v.sort_unstable();
            self.best_pairs(
                &v,
                limit,
                |d| {
                    let q = self.query(state, d);
                    (self.base_features(state, PairAt::new(d, &q, t, false)), q)
                },
                |d, q, f| self.add_achievements(state, PairAt::new(d, q, t, false), f),
            )
        };
        Ok(spread_map(scored, |(d, s)| {
            let q = self.query(state, d);
            (d, s, self.features(state, PairAt::new(d, &q, t, true)))
        }))
    }
}

/// How many times its depth a candidate pool must be for a team's ranking to take it rather than every
/// demand.
const DEEP_POOL: usize = 5;

/// Cost of scoring one candidate in full, with its share of the candidate search (the BM25 pass aside),
/// in units of the cost of bounding one document on the exhaustive path. Calibrated on the generated
/// dataset of 1,000 teams and 2,000 demands (`shuanggao bench --scales 1000/2000`, release, load average
/// about 6 on 2 cores), each path forced in turn: a team's top 20 over every demand took 5.96 ms p50
/// (3.0 µs a demand), over its candidates (a pool of 200) 1.33 ms p50 (6.6 µs a pool place).
const CANDIDATE_COST: f64 = 2.2;

/// Cost of reading one posting entry in the BM25 pass of the candidate search, in the same units (a few
/// nanoseconds against the microseconds of a document's features).
const ENTRY_COST: f64 = 1.0 / 32.0;

/// Whether the candidate path (a `pool` of lexical and latent candidates, at most every one of the `n`
/// documents, found by a BM25 pass over `entries` posting entries) costs less than bounding every one of
/// `n` documents.
pub(super) fn candidates_cheaper(n: usize, pool: usize, entries: usize) -> bool {
    CANDIDATE_COST * pool.min(n) as f64 + ENTRY_COST * (entries as f64) < n as f64
}

/// Whether a ranking spreads its work over the thread pool: yes when it is called from outside the pool
/// (one request, which wants its answer soon), no on a pool thread (a batch already runs one ranking per
/// core, and splitting each would only add work).
///
/// Never inside [`serially`]: work that other threads may wait on (a demand's kept query, built once under
/// a `OnceLock` that pool threads ranking other things also read) must not wait on the pool in turn.
pub(super) fn spread() -> bool {
    !SERIAL.get() && rayon::current_thread_index().is_none() && rayon::current_num_threads() > 1
}

thread_local! {
    /// Whether this thread is inside [`serially`].
    static SERIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `f` on this thread alone, [`spread`] off throughout (and on again after, even if `f` panics).
///
/// A `OnceLock` initialised from outside the pool must be: were its initialiser to hand work to the pool
/// while every pool thread waited on that same `OnceLock`, neither would ever go on.
pub(super) fn serially<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.set(self.0);
        }
    }
    let _restore = Restore(SERIAL.replace(true));
    f()
}

/// Fewest candidates whose scoring is split over the pool.
pub(super) const SPREAD_MIN: usize = 64;

/// Candidates completed at once, over the pool, when the list is first full (a few more than one at a time
/// would complete, none of which can enter the list); [`top_by_bound`] doubles it while they keep coming.
pub(super) const SPREAD_BATCH: usize = 8;

/// `f` over `items`, in order, over the pool when [`spread`] says so.
pub(super) fn spread_map<T: Send, U: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> U + Sync + Send,
) -> Vec<U> {
    if spread() && items.len() > 1 {
        items.into_par_iter().map(f).collect()
    } else {
        items.into_iter().map(f).collect()
    }
}

/// `a` and `b`, side by side over the pool when [`spread`] says so.
pub(super) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if spread() {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_is_scored_when_the_candidates_would_be_most_of_them() {
        // A pool as large as the documents, or nearly: scoring every one is cheaper.
        assert!(!candidates_cheaper(240, 200, 0));
        assert!(!candidates_cheaper(400, 200, 0));
        // A pool a tenth of the documents: the candidates, unless the BM25 pass reads more entries than
        // bounding every document would cost.
        assert!(candidates_cheaper(2000, 200, 10_000));
        assert!(!candidates_cheaper(2000, 200, 64_000));
    }

    #[test]
    fn nothing_spreads_inside_serially_and_spreading_resumes_after() {
        let outside = std::thread::spawn(|| {
            let before = spread();
            let inside = serially(|| (spread(), serially(spread), join(spread, spread)));
            let after_panic = std::panic::catch_unwind(|| serially(|| panic!("inside")));
            (before, inside, after_panic.is_err(), spread())
        });
        let (before, inside, panicked, after) = outside.join().unwrap();
        // Spreading is on outside the pool when the pool has threads to spread over.
        assert_eq!(before, rayon::current_num_threads() > 1);
        assert_eq!(inside, (false, false, (false, false)));
        assert!(panicked);
        assert_eq!(after, before);
    }
}
