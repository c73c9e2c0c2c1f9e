//! A demand as a query: its weighted word and bigram terms, and its pseudo-relevance feedback (the best
//! teams of a lexical first pass, cached per demand and kept across team writes as
//! [`State::team_written`] says, and the latent expansion made from them).

use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::features::bm25_norm;
use super::postings::KeyedPostings;
use super::state::{State, Taken, TeamSlots};
use super::topk::top_by_bound;
use super::{Engine, MatchError};

/// Relative margin on a share summed from the inverted lists, which makes it an upper bound of the share
/// [`Engine::lexical`] computes even if their roundings differed.
const BOUND_MARGIN: f32 = 1.0 + 1e-4;

/// Chunks of [`Engine::refresh_kept_feedback`] computed again in a row because team writes kept coming.
const SETTLE_RETRIES: usize = 3;

/// Words of the bit filter of [`Terms`] (4,096 bits).
pub(super) const FILTER_WORDS: usize = 64;

/// Weighted query terms: `(term, qw × idf)` sorted by term, and their sum (the best possible BM25 share).
/// A bit filter over the terms lets a bag be scanned against them with one predictable test per entry.
pub(super) struct Terms {
    pub(super) terms: Vec<(u32, f32)>,
    pub(super) upper: f32,
    pub(super) filter: [u64; FILTER_WORDS],
}

impl Default for Terms {
    fn default() -> Terms {
        Terms::new(Vec::new())
    }
}

/// The filter bit of a term id or bigram key.
pub(super) fn filter_bit(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> 20) as usize
}

impl Terms {
    pub(super) fn new(mut terms: Vec<(u32, f32)>) -> Terms {
        terms.retain(|(_, w)| *w > 0.0);
        terms.sort_unstable_by_key(|&(t, _)| t);
        let upper = terms.iter().map(|(_, w)| w).sum();
        let mut filter = [0u64; FILTER_WORDS];
        for &(t, _) in &terms {
            let bit = filter_bit(t);
            filter[bit >> 6] |= 1 << (bit & 63);
        }
        Terms {
            terms,
            upper,
            filter,
        }
    }

    /// Terms of query weights `qw`, each weighted `qw × idf`.
    pub(super) fn weighted(
        terms: impl Iterator<Item = (u32, f32)>,
        idf: impl Fn(u32) -> f32,
    ) -> Terms {
        Terms::new(terms.map(|(t, qw)| (t, qw * idf(t))).collect())
    }

    /// The weight of `key`, if it is one of the terms.
    pub(super) fn weight(&self, key: u32) -> Option<f32> {
        let bit = filter_bit(key);
        if self.filter[bit >> 6] & (1 << (bit & 63)) == 0 {
            return None;
        }
        self.terms
            .binary_search_by_key(&key, |&(t, _)| t)
            .ok()
            .map(|i| self.terms[i].1)
    }
}

/// Pseudo-relevance feedback of a demand as cached: the best teams of its lexical first pass (slots) and
/// the best team's lexical share, at the team statistics of `epoch` (see [`State::team_written`]).
#[derive(Default)]
pub(super) struct Feedback {
    pub(super) teams: Vec<u32>,
    pub(super) confidence: f32,
    pub(super) epoch: u64,
}

impl Feedback {
    /// Follows a team write that keeps this feedback: false when the feedback names the written team
    /// (it must be computed again); a team moved into a removed one's slot is renamed.
    pub(super) fn renamed(&mut self, change: TeamSlots) -> bool {
        match change {
            TeamSlots::Added => true,
            TeamSlots::Replaced(slot) => !self.teams.contains(&(slot as u32)),
            TeamSlots::Removed { slot, last } => {
                if self.teams.contains(&(slot as u32)) {
                    return false;
                }
                for t in &mut self.teams {
                    if *t == last as u32 {
                        *t = slot as u32;
                    }
                }
                true
            }
        }
    }
}

/// What pseudo-relevance feedback knows about a demand: the unit mean vector of the best teams of a
/// lexical first pass (empty when there is none) and how sure that pass is (the best team's lexical share).
#[derive(Default)]
pub(super) struct Expansion {
    pub(super) vec: Vec<f32>,
    pub(super) confidence: f32,
}

impl Query {
    /// Heap and inline bytes of the query (for [`Engine::memory`](super::Engine::memory)).
    pub(super) fn bytes(&self) -> usize {
        std::mem::size_of::<Query>()
            + (self.lexical.terms.capacity() + self.bigrams.terms.capacity()) * 8
            + (self.expansion.vec.capacity() + self.cluster_vec.capacity()) * 4
    }
}

/// Per-request view of a demand as a query.
pub(super) struct Query {
    /// Word terms, `(term, qw × idf)`.
    pub(super) lexical: Terms,
    /// Character-bigram terms, `(key, qw × idf)`.
    pub(super) bigrams: Terms,
    pub(super) expansion: Expansion,
    /// The demand's latent vector over the cluster model's dimensions, at unit length (empty without a
    /// cluster model), for the `cluster` feature.
    pub(super) cluster_vec: Vec<f32>,
}

/// Most demands whose queries are kept between rankings (about 3 KB each): up to this many, a ranking of
/// a team's demands reads every demand's query without building it again; above, a team is ranked among
/// a few hundred candidates, whose queries are built on the way.
pub(super) const KEPT_QUERIES: usize = 50_000;

impl Engine {
    /// Demand `d` as a query: kept in its record while there are at most [`KEPT_QUERIES`] demands (until
    /// the teams change), else built for the caller.
    pub(super) fn query(&self, state: &State, d: usize) -> Arc<Query> {
        if state.demands.len() <= KEPT_QUERIES {
            let kept = &state.demands[d].query;
            // Serially: pool threads ranking other demands or teams may be waiting on this very query.
            let build = || Arc::new(super::rank::serially(|| self.build_query(state, d)));
            return Arc::clone(kept.get_or_init(build));
        }
        Arc::new(self.build_query(state, d))
    }

    /// Demand `d`'s word and bigram terms weighted by the teams' idf.
    fn query_terms(&self, state: &State, d: usize) -> (Terms, Terms) {
        let demand = &state.demands[d];
        let lexical = Terms::weighted(demand.bags.query.iter(), |t| state.team_df.idf(t));
        let bigrams = Terms::weighted(demand.bags.bigrams.iter(), |k| state.team_bigrams.idf(k));
        (lexical, bigrams)
    }

    fn build_query(&self, state: &State, d: usize) -> Query {
        let demand = &state.demands[d];
        let (lexical, bigrams) = self.query_terms(state, d);
        let feedback = demand
            .expanded
            .get_or_init(|| super::rank::serially(|| self.feedback(state, d, &lexical, &bigrams)));
        let expansion = self.expansion(state, d, feedback);
        let cluster_vec = self.models.clusters.as_ref().map_or_else(Vec::new, |c| {
            let mut v: Vec<f32> = demand
                .vec
                .iter()
                .take(c.centroids.dims())
                .copied()
                .collect();
            crate::models::normalise(&mut v);
            v
        });
        Query {
            lexical,
            bigrams,
            expansion,
            cluster_vec,
        }
    }

    /// Pseudo-relevance feedback for a demand: a lexical-only first pass over the teams (all of them, or
    /// the demand's nearest teams in the latent space), whose best `documents` teams stand for the
    /// demand's topic. The best team's own lexical share says how far to trust them.
    pub(super) fn feedback(
        &self,
        state: &State,
        d: usize,
        words: &Terms,
        bigrams: &Terms,
    ) -> Feedback {
        let n = self.config.feedback.documents;
        let epoch = state.team_epoch;
        if n == 0 || state.teams.is_empty() {
            return Feedback {
                epoch,
                ..Feedback::default()
            };
        }
        let r = &self.config.retrieval;
        // Above `exhaustive_below` teams the first pass reads the demand's latent neighbours only: a text
        // index query per demand would make precomputing every demand's feedback too slow at 100k teams.
        let scored = if state.teams.len() <= r.exhaustive_below {
            self.first_pass_all(state, words, bigrams, n)
        } else {
            let mut v = self.nearest(
                &state.demands[d].vec,
                &state.team_members,
                state.teams.len(),
                r.semantic_candidates,
                |t| &state.teams[t].vec,
            );
            v.sort_unstable();
            self.first_pass_among(state, words, bigrams, v.into_iter(), n)
        };
        let confidence = scored.first().map_or(0.0, |s| s.1);
        Feedback {
            teams: scored.iter().map(|&(t, _)| t as u32).collect(),
            confidence,
            epoch,
        }
    }

    /// The best `n` positive lexical shares among `teams`, exactly: the bound is the share with every
    /// bigram matched, so the bigram part is computed only while a bound can still reach the `n`-th best.
    fn first_pass_among(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        teams: impl Iterator<Item = usize>,
        n: usize,
    ) -> Vec<(usize, f32)> {
        let bounded = teams.map(|t| {
            let bound = self.lexical_bound(state, words, bigrams, &state.teams[t]);
            (t, bound, ())
        });
        self.complete_first_pass(state, words, bigrams, bounded.collect(), n)
    }

    /// [`Engine::first_pass_among`] over every team. With the inverted lists of both words and bigrams,
    /// only the teams that share a term with the demand are read (every other team's share is 0); their
    /// BM25 sums are taken term by term in id order, as [`Engine::lexical`] takes them, and a share so
    /// computed only bounds the exact one (with a margin against rounding), which is then computed for the
    /// few teams whose bound can still enter the best `n`.
    fn first_pass_all(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        n: usize,
    ) -> Vec<(usize, f32)> {
        let Some(bigram_postings) = &state.team_bigram_postings else {
            return self.first_pass_among(state, words, bigrams, 0..state.teams.len(), n);
        };
        let (word, bigram) = self.team_bm25_sums(state, words, bigrams, Some(bigram_postings));
        let bounded = word
            .into_iter()
            .zip(bigram)
            .enumerate()
            .filter(|&(_, (w, b))| w != 0.0 || b != 0.0)
            .map(|(t, (w, b))| {
                let share = self.lexical_share(words, bigrams, w, b);
                (t, share * BOUND_MARGIN + f32::EPSILON, ())
            })
            .collect();
        self.complete_first_pass(state, words, bigrams, bounded, n)
    }

    /// The BM25 sums of `words` and of `bigrams` in every team (by slot), from the inverted lists, each
    /// summed term by term in id order. Without `bigram_postings` every bigram counts as matched in full;
    /// with a bigram weight of 0 the bigram sums are 0.
    fn team_bm25_sums(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        bigram_postings: Option<&KeyedPostings>,
    ) -> (Vec<f32>, Vec<f32>) {
        let n = state.teams.len();
        let cfg = &self.config.bm25;
        let word = || {
            let mut word = vec![0f32; n];
            let norm = |len: f32| self.profile_norm(state, len);
            state.team_postings.bm25_into(&words.terms, norm, &mut word);
            word
        };
        let bigram = || match bigram_postings {
            _ if cfg.bigram_weight <= 0.0 => vec![0f32; n],
            Some(postings) => {
                let mut bigram = vec![0f32; n];
                let avg = state.team_bigrams.avg_len();
                let norm = |len: f32| bm25_norm(cfg, len, avg);
                postings.bm25_into(&bigrams.terms, norm, &mut bigram);
                bigram
            }
            None => vec![bigrams.upper; n],
        };
        super::rank::join(word, bigram)
    }

    /// An upper bound of the lexical share of every team (by slot) for a demand's `words` and `bigrams`,
    /// from the inverted lists: the sums of [`Engine::first_pass_all`], with its margin, where the bigram
    /// lists are kept, else every bigram counted as matched. A team that shares no term gets a bound of
    /// its bigrams alone (0 with the bigram lists).
    pub(super) fn team_lexical_bounds(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
    ) -> Vec<f32> {
        let (word, bigram) =
            self.team_bm25_sums(state, words, bigrams, state.team_bigram_postings.as_ref());
        word.iter()
            .zip(&bigram)
            .map(|(&w, &b)| self.lexical_share(words, bigrams, w, b) * BOUND_MARGIN + f32::EPSILON)
            .collect()
    }

    /// An upper bound of the lexical share of team `t` for every demand (by slot), from the inverted
    /// lists of the demands: the team's profile terms weighted `idf × tf / (tf + norm)` and summed over
    /// each demand's query weights (in term order, as [`Engine::lexical`] sums them, though rounded in
    /// another order, hence the margin), and the team's bigrams likewise over the demands' bigram lists
    /// where they are kept (else every bigram of the demand counts as matched). `upper(d)` is the
    /// demand's `(Σ word weights, Σ bigram weights)` as its [`Query`] has them.
    pub(super) fn demand_lexical_bounds(
        &self,
        state: &State,
        t: usize,
        upper: impl Fn(usize) -> (f32, f32),
    ) -> Vec<f32> {
        let team = &state.teams[t];
        let norm = self.profile_norm(state, team.bags.profile_len);
        let terms: Vec<(u32, f32)> = team
            .bags
            .profile
            .iter()
            .map(|(term, tf)| (term, state.team_df.idf(term) * (tf / (tf + norm))))
            .collect();
        let mut word = vec![0f32; state.demands.len()];
        for (d, w) in state.demand_postings.linear(&terms) {
            word[d] = w;
        }
        let cfg = &self.config.bm25;
        let w = cfg.bigram_weight;
        let bigram = state
            .demand_bigram_postings
            .as_ref()
            .filter(|_| w > 0.0)
            .map(|postings| {
                let norm = bm25_norm(cfg, team.bags.bigram_len, state.team_bigrams.avg_len());
                let keys: Vec<(u32, f32)> = team
                    .bags
                    .bigrams
                    .iter()
                    .map(|(k, tf)| (k, state.team_bigrams.idf(k) * (tf / (tf + norm))))
                    .collect();
                let mut bigram = vec![0f32; state.demands.len()];
                for (d, b) in postings.linear(&keys) {
                    bigram[d] = b;
                }
                bigram
            });
        word.iter()
            .enumerate()
            .map(|(d, &part)| {
                let (words, bigrams) = upper(d);
                let total = words + w * bigrams;
                if total <= 0.0 {
                    return 0.0;
                }
                let matched = bigram.as_ref().map_or(bigrams, |b| b[d]);
                let bigram_part = if w <= 0.0 { 0.0 } else { w * matched };
                ((part + bigram_part) / total) * BOUND_MARGIN + f32::EPSILON
            })
            .collect()
    }

    /// The best `n` positive shares of `bounded` (`(team, bound of its share, ())`).
    fn complete_first_pass(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        mut bounded: Vec<(usize, f32, ())>,
        n: usize,
    ) -> Vec<(usize, f32)> {
        bounded.retain(|(_, b, _)| *b > 0.0);
        let mut scored = top_by_bound(bounded, n, 1, |t, ()| {
            self.lexical(state, words, bigrams, &state.teams[t], |_, _| {})
        });
        scored.retain(|(_, s)| *s > 0.0);
        scored
    }

    /// Called after every team write: where the first pass reads every team through the inverted lists
    /// (the write took every demand's feedback, see [`State::team_written`]) it costs little, and the
    /// feedback of every demand is computed again at once, outside the state's write lock, so that no
    /// query pays for it. On larger datasets the write kept the feedback that does not name the written
    /// team, and [`Engine::settle`] brings it to the new statistics.
    pub(super) fn refresh_feedback(&self) -> Result<(), MatchError> {
        let eager = self
            .eager_feedback
            .load(std::sync::atomic::Ordering::Relaxed);
        if eager && self.read()?.first_pass_reads_every_team() {
            self.precompute_feedback()?;
        }
        Ok(())
    }

    /// Leaves the feedback a team write takes to be computed on first use or by [`Engine::settle`],
    /// so that a write returns without paying for every demand's (a service settles when writes pause).
    pub fn defer_feedback(&self) {
        self.eager_feedback
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// Computes again the feedback team writes left behind: every demand's where the first pass reads
    /// every team (a team write takes it all), the feedback kept at earlier statistics on larger datasets
    /// (see [`State::team_written`]). A service calls it in the background once writes pause.
    pub fn settle(&self) -> Result<(), MatchError> {
        if self.read()?.first_pass_reads_every_team() {
            self.precompute_feedback()?;
        } else {
            self.refresh_kept_feedback()?;
        }
        Ok(())
    }

    /// Computes again every feedback kept from before the latest team write, a chunk of demands at a time
    /// under the read lock, and swaps each chunk in under the write lock: unless a team write came in
    /// between (the chunk is computed again, at most [`SETTLE_RETRIES`] times in a row before giving up
    /// until the next call), and only for demands not written since. Returns how many were swapped in.
    pub(super) fn refresh_kept_feedback(&self) -> Result<usize, MatchError> {
        const CHUNK: usize = 512;
        let (mut start, mut retries, mut refreshed) = (0, 0, 0);
        loop {
            let (epoch, end, computed) = {
                let state = self.read()?;
                if start >= state.demands.len() {
                    return Ok(refreshed);
                }
                let (epoch, end) = (state.team_epoch, (start + CHUNK).min(state.demands.len()));
                let kept: Vec<usize> = (start..end)
                    .filter(|&d| {
                        state.demands[d]
                            .expanded
                            .get()
                            .is_some_and(|f| f.epoch < epoch)
                    })
                    .collect();
                let computed: Vec<(usize, u128, Feedback)> = kept
                    .par_iter()
                    .with_min_len(16)
                    .map(|&d| {
                        let (words, bigrams) = self.query_terms(&state, d);
                        let f = self.feedback(&state, d, &words, &bigrams);
                        (d, state.demands[d].hash, f)
                    })
                    .collect();
                (epoch, end, computed)
            };
            let mut taken: Taken = Vec::with_capacity(computed.len());
            let mut state = self.write()?;
            if state.team_epoch != epoch {
                drop(state);
                retries += 1;
                if retries > SETTLE_RETRIES {
                    return Ok(refreshed);
                }
                continue;
            }
            for (d, hash, f) in computed {
                if let Some(rec) = state.demands.get_mut(d)
                    && rec.hash == hash
                {
                    let old = std::mem::replace(&mut rec.expanded, OnceLock::from(f));
                    taken.push((old, std::mem::take(&mut rec.query)));
                    refreshed += 1;
                }
            }
            drop(state);
            drop(taken);
            (start, retries) = (end, 0);
        }
    }

    /// The unit mean latent vector of a demand's feedback teams (empty when there are none).
    pub(super) fn expansion(&self, state: &State, d: usize, feedback: &Feedback) -> Expansion {
        if feedback.teams.is_empty() {
            return Expansion::default();
        }
        let mut vec = vec![0f32; state.demands[d].vec.len()];
        for &t in &feedback.teams {
            for (x, y) in vec.iter_mut().zip(&state.teams[t as usize].vec) {
                *x += y;
            }
        }
        crate::models::normalise(&mut vec);
        Expansion {
            vec,
            confidence: feedback.confidence,
        }
    }

    /// Computes and caches the pseudo-relevance feedback of every demand, in parallel, so that no query
    /// waits for the feedback of its candidates. Returns how many demands were expanded. [`Engine::open`]
    /// calls it when [`OpenOptions::precompute_feedback`](super::OpenOptions) is set. The state is read
    /// a chunk of demands at a time, so that a write waits for one chunk, not for the whole pass.
    pub fn precompute_feedback(&self) -> Result<usize, MatchError> {
        const CHUNK: usize = 512;
        // Demands of one cluster scan the same teams first: taken together, those teams stay in cache.
        let order: Vec<u32> = {
            let state = self.read()?;
            let mut order: Vec<u32> = (0..state.demands.len() as u32).collect();
            order.sort_by_key(|&d| state.demands[d as usize].cluster);
            order
        };
        for chunk in order.chunks(CHUNK) {
            let state = self.read()?;
            // A write between chunks may have removed demands: those past the end are gone.
            chunk.par_iter().with_min_len(64).for_each(|&d| {
                if (d as usize) < state.demands.len() {
                    let _ = self.query(&state, d as usize);
                }
            });
        }
        Ok(order.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::OpenOptions;
    use super::super::topk::top_k;
    use super::*;
    use crate::generator::{self, Material, Params};

    /// A generated dataset of 300 teams and 120 demands, in a temporary directory.
    fn generated() -> (tempfile::TempDir, crate::domain::Dataset) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let material = Material::embedded().expect("embedded material");
        let params = Params {
            seed: 5,
            teams: 300,
            demands: 120,
            ..Params::default()
        };
        generator::generate(&material, &params, dir.path()).expect("generate");
        let data = crate::dataset::load(dir.path()).expect("load");
        (dir, data)
    }

    /// The first pass over every team (sums read from the inverted lists of words and bigrams) finds
    /// exactly the teams and shares that scoring every team in full finds: on a new engine, and after
    /// team writes have changed the lists (a new team, a changed one, a deleted one).
    #[test]
    fn first_pass_over_every_team_equals_scoring_every_team() {
        let (dir, data) = generated();
        let (first, second, third) = (
            data.teams[0].clone(),
            data.teams[1].clone(),
            data.teams[2].clone(),
        );
        let options = OpenOptions {
            save_models: false,
            precompute_feedback: false,
            ..OpenOptions::default()
        };
        let (index, models) = (dir.path().join("index"), dir.path().join("models"));
        let (engine, _) = Engine::open(data, &index, &models, &options).expect("open");
        check_first_pass(&engine);
        let mut added = first.clone();
        added.id = crate::domain::TeamId("added".into());
        engine.upsert_team(added).expect("add a team");
        let mut changed = second;
        changed.description = first.description.clone();
        engine.upsert_team(changed).expect("change a team");
        engine.delete_team(&third.id).expect("delete a team");
        check_first_pass(&engine);
    }

    /// Demands' queries built at once by a thread outside the pool and by the pool's own threads (a
    /// ranking and a batch asking for the same demands) all get built: the first to build a query does not
    /// hand its work to pool threads that are themselves waiting for that query.
    #[test]
    fn queries_built_inside_and_outside_the_pool_at_once_all_get_built() {
        let (dir, data) = generated();
        let options = OpenOptions {
            save_models: false,
            precompute_feedback: false,
            ..OpenOptions::default()
        };
        let (index, models) = (dir.path().join("index"), dir.path().join("models"));
        let engine = Arc::new(
            Engine::open(data, &index, &models, &options)
                .expect("open")
                .0,
        );
        let demands = engine.read().expect("state").demands.len();
        // Two batches over the pool and four rankings outside it, each going through the demands in an
        // order of its own, so that builders meet on the same demands.
        let (done, finished) = std::sync::mpsc::channel();
        let starts = [
            (true, 0),
            (true, 7),
            (false, 0),
            (false, 31),
            (false, 62),
            (false, 93),
        ];
        for (in_pool, start) in starts {
            let (engine, done) = (Arc::clone(&engine), done.clone());
            std::thread::spawn(move || {
                let state = engine.read().expect("state");
                let order = (0..demands).map(move |i| (i * 7 + start) % demands);
                if in_pool {
                    let order: Vec<usize> = order.collect();
                    order.into_par_iter().with_max_len(1).for_each(|d| {
                        engine.query(&state, d);
                    });
                } else {
                    order.for_each(|d| {
                        engine.query(&state, d);
                    });
                }
                done.send(()).expect("send");
            });
        }
        for _ in starts {
            let waited = finished.recv_timeout(std::time::Duration::from_secs(60));
            assert!(waited.is_ok(), "queries still being built after a minute");
        }
        let state = engine.read().expect("state");
        assert!(state.demands.iter().all(|d| d.query.get().is_some()));
    }

    /// Where the first pass reads a demand's latent neighbours, team writes keep every feedback that does
    /// not name the written team (a team moved into a deleted one's slot keeps being named, by its new
    /// slot) and take the others; settling brings every kept one to what the current state computes.
    #[test]
    fn feedback_kept_across_team_writes_names_the_same_teams_and_settles_to_fresh() {
        let (dir, data) = generated();
        let mut config = crate::matching::ScoringConfig::default();
        config.retrieval.exhaustive_below = 50;
        let options = OpenOptions {
            config: Some(config),
            save_models: false,
            ..OpenOptions::default()
        };
        let (index, models) = (dir.path().join("index"), dir.path().join("models"));
        let (engine, _) = Engine::open(data.clone(), &index, &models, &options).expect("open");
        let named = |engine: &Engine| -> Vec<Option<String>> {
            let state = engine.read().expect("state");
            assert!(state.team_bigram_postings.is_none());
            state
                .demands
                .iter()
                .map(|d| {
                    d.expanded
                        .get()
                        .and_then(|f| f.teams.first())
                        .map(|&t| state.data.teams[t as usize].id.0.clone())
                })
                .collect()
        };
        // Teams named by no feedback are deleted from the end until the last team is named, so that the
        // deletion below moves a named team into another slot.
        let mut live = data.teams.clone();
        while let Some(last) = live.last()
            && !named(&engine).contains(&Some(last.id.0.clone()))
        {
            engine.delete_team(&last.id).expect("delete the last team");
            live.pop();
        }
        let before = named(&engine);
        let last = live.last().expect("teams").id.0.clone();
        let mut feedback_teams: Vec<&String> = before.iter().flatten().collect();
        feedback_teams.sort();
        feedback_teams.dedup();
        let mut others = feedback_teams.iter().filter(|id| ***id != last);
        let deleted = (*others.next().expect("a feedback team")).clone();
        let replaced = (*others.next().expect("another")).clone();

        engine
            .delete_team(&crate::domain::TeamId(deleted.clone()))
            .expect("delete a team");
        let mut added = data.teams[0].clone();
        added.id = crate::domain::TeamId("added".into());
        engine.upsert_team(added).expect("add a team");
        let mut changed = live
            .iter()
            .find(|t| t.id.0 == replaced)
            .expect("team")
            .clone();
        changed.description = data.teams[1].description.clone();
        engine.upsert_team(changed).expect("change a team");

        let after = named(&engine);
        for (d, (was, is)) in before.iter().zip(&after).enumerate() {
            match was {
                Some(id) if *id == replaced || *id == deleted => {
                    assert_eq!(is, &None, "demand {d}")
                }
                _ => assert_eq!(is, was, "demand {d}"),
            }
        }
        assert!(after.contains(&Some(last)), "the moved team is named still");

        let refreshed = engine.refresh_kept_feedback().expect("settle");
        assert_eq!(refreshed, after.iter().flatten().count());
        let state = engine.read().expect("state");
        for d in 0..state.demands.len() {
            let Some(kept) = state.demands[d].expanded.get() else {
                continue;
            };
            let (words, bigrams) = engine.query_terms(&state, d);
            let fresh = engine.feedback(&state, d, &words, &bigrams);
            assert_eq!(kept.epoch, state.team_epoch);
            assert_eq!(
                (&kept.teams, kept.confidence),
                (&fresh.teams, fresh.confidence),
                "demand {d}"
            );
        }
    }

    fn check_first_pass(engine: &Engine) {
        let state = engine.read().expect("state");
        assert!(state.team_bigram_postings.is_some());
        for d in 0..state.demands.len() {
            let demand = &state.demands[d];
            let words = Terms::weighted(demand.bags.query.iter(), |t| state.team_df.idf(t));
            let bigrams =
                Terms::weighted(demand.bags.bigrams.iter(), |k| state.team_bigrams.idf(k));
            // Words alone too: teams without a shared word then score nothing.
            for bigrams in [&bigrams, &Terms::default()] {
                let all: Vec<(usize, f32)> = (0..state.teams.len())
                    .map(|t| {
                        let team = &state.teams[t];
                        (t, engine.lexical(&state, &words, bigrams, team, |_, _| {}))
                    })
                    .filter(|&(_, s)| s > 0.0)
                    .collect();
                for n in [1, 4] {
                    let mut want = all.clone();
                    top_k(&mut want, n);
                    let got = engine.first_pass_all(&state, &words, bigrams, n);
                    assert_eq!(got, want, "demand {d}, n {n}");
                }
            }
        }
    }
}
