//! Batched ranking for pairing proposals: the best teams of many demands at once, with the same pair
//! scores as [`Engine::score_pair`] and without explanations.
//!
//! Up to `retrieval.exhaustive_below` teams, every team is scored, exactly as [`Engine::rank_teams`]
//! does, so both give the same lists. Above, a demand's candidates are its *pool*: the teams that share
//! one of its tracks (declared, or inferred as for the `track` feature). Pools are built once per call,
//! one per track: the teams' latent vectors side by side and an inverted index of their profile terms.
//! A first pass over the pool (BM25 shares of the demand's words, and the latent cosines of the
//! `semantic` and `feedback` features over the leading dimensions, weighted as in the score) shortlists
//! `shortlist` teams ([`SHORTLIST_FACTOR`] × `limit` by default), which are scored in full by
//! `Engine::features`; the best `limit` of those are returned. Demands run in parallel, in chunks between
//! which the state lock is released (pools are rebuilt if the dataset changed meanwhile).

use std::collections::HashMap;

use rayon::prelude::*;

use super::corpus::dot;
use super::members::vectorised;
use super::query::{Query, Terms};
use super::state::State;
use super::topk::{top_k, top_k_of};
use super::{Engine, MatchError};
use crate::domain::{DemandId, TeamId};

/// Teams of a demand's pool scored in full, per team asked for.
pub const SHORTLIST_FACTOR: usize = 2;

/// Leading latent dimensions (largest singular values first) the first pass compares.
const FIRST_PASS_DIMS: usize = 48;

/// Demands scored between two progress reports (and two takes of the state lock).
const CHUNK: usize = 2048;

/// Teams of one track, laid out for the first pass.
struct Pool {
    /// Team slots, ascending.
    teams: Vec<u32>,
    /// Profile term → `(position in the pool, BM25 saturation tf / (tf + k1 (1 - b + b len / avg)))`.
    postings: HashMap<u32, Vec<(u32, f32)>>,
    /// The leading `dims` values of each team's profile vector.
    vecs: Vec<f32>,
    dims: usize,
}

/// The pools of the tracks met so far, valid for one state of the dataset.
#[derive(Default)]
struct Pools {
    fingerprint: u128,
    teams: usize,
    by_track: HashMap<usize, Pool>,
}

impl Engine {
    /// The best `limit` teams of each demand as `(team, score)`, best first, one list per demand in the
    /// same order (empty for an unknown demand). Scores are those of [`Engine::score_pair`]; a demand's
    /// pool is shortlisted to [`SHORTLIST_FACTOR`] × `limit` teams. `progress(done, total)` is called
    /// after every chunk of demands.
    pub fn rank_teams_many(
        &self,
        demands: &[DemandId],
        limit: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Vec<(TeamId, f32)>>, MatchError> {
        self.rank_teams_many_with(demands, limit, SHORTLIST_FACTOR * limit, progress)
    }

    /// [`Engine::rank_teams_many`] with the number of pool teams scored in full per demand (at least
    /// `limit`).
    pub fn rank_teams_many_with(
        &self,
        demands: &[DemandId],
        limit: usize,
        shortlist: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Vec<(TeamId, f32)>>, MatchError> {
        let shortlist = shortlist.max(limit);
        // Demands of the same track and cluster run together, so their pools and clusters stay in cache.
        let order: Vec<usize> = {
            let state = self.read()?;
            let key = |id: &DemandId| {
                state.demand_slots.get(id.as_str()).map(|d| {
                    let rec = &state.demands[d];
                    (rec.tracks.first().copied(), rec.cluster)
                })
            };
            let mut order: Vec<_> = demands.iter().map(key).zip(0usize..).collect();
            order.sort_unstable();
            order.into_iter().map(|(_, i)| i).collect()
        };
        let mut pools = Pools::default();
        let mut out: Vec<Vec<(TeamId, f32)>> = vec![Vec::new(); demands.len()];
        let mut done = 0;
        progress(0, demands.len());
        for chunk in order.chunks(CHUNK) {
            let state = self.read()?;
            let exhaustive = self.teams_exhaustive(&state);
            let slots: Vec<Option<usize>> = chunk
                .iter()
                .map(|&i| state.demand_slots.get(demands[i].as_str()))
                .collect();
            if !exhaustive {
                if pools.fingerprint != state.fingerprint_sum || pools.teams != state.teams.len() {
                    pools = Pools {
                        fingerprint: state.fingerprint_sum,
                        teams: state.teams.len(),
                        by_track: HashMap::new(),
                    };
                }
                let mut missing: Vec<usize> = slots
                    .iter()
                    .flatten()
                    .flat_map(|&d| state.demands[d].tracks.iter().copied())
                    .filter(|k| !pools.by_track.contains_key(k))
                    .collect();
                missing.sort_unstable();
                missing.dedup();
                let built: Vec<(usize, Pool)> = missing
                    .into_par_iter()
                    .map(|k| (k, self.pool(&state, k)))
                    .collect();
                pools.by_track.extend(built);
            }
            let ranked: Vec<Vec<(usize, f32)>> = slots
                .par_iter()
                .map(|slot| match slot {
                    None => Vec::new(),
                    Some(d) if exhaustive => {
                        let q = self.query(&state, *d);
                        self.best_of_all_teams(&state, *d, &q, limit)
                    }
                    Some(d) => self.rank_in_pools(&state, &pools, *d, limit, shortlist),
                })
                .collect();
            for (&i, list) in chunk.iter().zip(ranked) {
                out[i] = list
                    .into_iter()
                    .map(|(t, s)| (state.data.teams[t].id.clone(), s))
                    .collect();
            }
            drop(state);
            done += chunk.len();
            progress(done, demands.len());
        }
        Ok(out)
    }

    /// The pool of track `k`: every team whose tracks contain it.
    fn pool(&self, state: &State, k: usize) -> Pool {
        let teams: Vec<u32> = state
            .teams
            .iter()
            .enumerate()
            .filter(|(_, t)| t.tracks.contains(&k))
            .map(|(i, _)| i as u32)
            .collect();
        let cfg = &self.config.bm25;
        let avg = (state.profile_len_sum / f64::from(state.team_df.docs.max(1))) as f32;
        let dims = state
            .teams
            .first()
            .map_or(0, |t| t.vec.len().min(FIRST_PASS_DIMS));
        let mut postings: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
        let mut vecs = Vec::with_capacity(teams.len() * dims);
        for (i, &t) in teams.iter().enumerate() {
            let rec = &state.teams[t as usize];
            let norm = cfg.k1 * (1.0 - cfg.b + cfg.b * rec.bags.profile_len / avg.max(1e-6));
            for (term, tf) in rec.bags.profile.iter() {
                postings
                    .entry(term)
                    .or_default()
                    .push((i as u32, tf / (tf + norm)));
            }
            if rec.vec.len() >= dims {
                vecs.extend_from_slice(&rec.vec[..dims]);
            } else {
                vecs.extend(std::iter::repeat_n(0.0, dims));
            }
        }
        Pool {
            teams,
            postings,
            vecs,
            dims,
        }
    }

    /// The best `limit` teams of demand `d` among its pools: a first pass shortlists, `features` scores.
    fn rank_in_pools(
        &self,
        state: &State,
        pools: &Pools,
        d: usize,
        limit: usize,
        shortlist: usize,
    ) -> Vec<(usize, f32)> {
        let q = self.query(state, d);
        let mut short: Vec<(u32, f32)> = Vec::new();
        for k in &state.demands[d].tracks {
            if let Some(pool) = pools.by_track.get(k) {
                short.extend(self.first_pass(pool, &q, &state.demands[d].vec, shortlist));
            }
        }
        short.sort_unstable_by_key(|&(t, _)| t);
        short.dedup_by_key(|x| x.0);
        top_k(&mut short, shortlist);
        let teams: Vec<usize> = short.iter().map(|&(t, _)| t as usize).collect();
        self.best_teams(state, d, &q, &teams, limit)
    }

    /// First-pass scores of a pool's teams for a query (word BM25 share, and the latent cosines of the
    /// `semantic` and `feedback` features over the leading dimensions, weighted as in the score); the best
    /// `n` as `(team slot, score)`.
    fn first_pass(&self, pool: &Pool, q: &Query, demand_vec: &[f32], n: usize) -> Vec<(u32, f32)> {
        let w = &self.config.weights;
        let mut acc = vec![0f32; pool.teams.len()];
        let mut add_terms = |terms: &Terms, weight: f32| {
            if terms.upper <= 0.0 || weight <= 0.0 {
                return;
            }
            let scale = weight / terms.upper;
            for &(term, qw) in &terms.terms {
                if let Some(list) = pool.postings.get(&term) {
                    let w = scale * qw;
                    for &(i, sat) in list {
                        acc[i as usize] += w * sat;
                    }
                }
            }
        };
        add_terms(&q.lexical, w.lexical);
        let dims = pool.dims;
        let semantic =
            (dims > 0 && demand_vec.len() >= dims && w.semantic > 0.0).then(|| &demand_vec[..dims]);
        let feedback_weight = w.feedback * q.expansion.confidence;
        let feedback = (dims > 0 && q.expansion.vec.len() >= dims && feedback_weight > 0.0)
            .then(|| &q.expansion.vec[..dims]);
        if semantic.is_some() || feedback.is_some() {
            vectorised(
                #[inline(always)]
                || {
                    for (a, v) in acc.iter_mut().zip(pool.vecs.chunks_exact(dims)) {
                        if let Some(head) = semantic {
                            *a += w.semantic * dot(head, v).max(0.0);
                        }
                        if let Some(head) = feedback {
                            *a += feedback_weight * dot(head, v).max(0.0);
                        }
                    }
                },
            );
        }
        top_k_of(pool.teams.iter().copied().zip(acc), n)
    }
}
