//! The engine's in-memory view of the dataset: one record per team and per demand (term bags, latent
//! vectors, cluster, tracks), the statistics BM25 needs (document frequencies, lengths), the slots that
//! map ids to records, and the dataset fingerprint kept up to date on every change.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::domain::{Dataset, DemandId, TeamId};
use crate::models::Models;
use crate::text_index;

use super::MatchError;
use super::bigrams;
use super::corpus::{self, Frequencies, Interner, PackedDemandBags, PackedTeamBags, QVec, dot};
use super::members::Members;
use super::postings;
use super::query::{Feedback, Query};

/// A team as the engine scores it.
pub(super) struct TeamRec {
    pub(super) bags: PackedTeamBags,
    /// Latent vector of all the team's text, smoothed over its nearest teams.
    pub(super) vec: Vec<f32>,
    /// The vector before each smoothing pass (raw first), so that a changed team is smoothed again exactly
    /// as a full rebuild would smooth it.
    pub(super) levels: Vec<Vec<f32>>,
    pub(super) achievement_vecs: Vec<QVec>,
    pub(super) cluster: Option<usize>,
    pub(super) tracks: Vec<usize>,
    pub(super) evidence: f32,
    pub(super) city: Option<String>,
    pub(super) hash: u128,
}

/// A demand as the engine scores it.
pub(super) struct DemandRec {
    /// The demand's query bags (document frequencies of demands count the terms of the query bag, the
    /// same terms as all its text while no query field weighs 0).
    pub(super) bags: PackedDemandBags,
    pub(super) vec: Vec<f32>,
    /// Pseudo-relevance feedback of the demand, computed on first use. A team write resets it where the
    /// first pass reads every team; on larger datasets it is kept unless it names the written team, and
    /// [`Engine::settle`](super::Engine::settle) computes it again at the new statistics.
    pub(super) expanded: OnceLock<Feedback>,
    /// The demand as a query, kept (while the demands are few enough, see [`Engine::query`]) until the
    /// teams change or its feedback is computed again: its term weights carry the teams' idf.
    ///
    /// [`Engine::query`]: super::Engine
    pub(super) query: OnceLock<Arc<Query>>,
    pub(super) cluster: Option<usize>,
    pub(super) tracks: Vec<usize>,
    pub(super) city: Option<String>,
    pub(super) hash: u128,
}

/// The tracks of the dataset by position: ids, names, parents and latent vectors (fixed while the engine
/// is open; records refer to tracks by position).
pub(super) struct Tracks {
    pub(super) ids: Vec<String>,
    pub(super) names: Vec<String>,
    pub(super) parent: Vec<Option<usize>>,
    pub(super) index: HashMap<String, usize>,
    pub(super) vecs: Vec<Vec<f32>>,
}

/// Everything that changes with the dataset, behind the engine's lock.
pub(super) struct State {
    pub(super) data: Arc<Dataset>,
    pub(super) interner: Interner,
    /// Model column of each interned term (`u32::MAX` when outside the vocabulary).
    pub(super) columns: Vec<u32>,
    pub(super) teams: Vec<TeamRec>,
    pub(super) demands: Vec<DemandRec>,
    pub(super) team_slots: Slots,
    pub(super) demand_slots: Slots,
    pub(super) team_df: Frequencies,
    pub(super) demand_df: Frequencies,
    /// Bigram frequencies and lengths of the team profiles.
    pub(super) team_bigrams: bigrams::BigramFrequencies,
    /// Inverted lists of the team profiles and of the demand queries, for lexical candidates.
    pub(super) team_postings: postings::Postings,
    pub(super) demand_postings: postings::Postings,
    /// Inverted lists of the team bigram bags, kept while the first pass of feedback reads every team
    /// (none on larger datasets, whose first pass reads a demand's latent neighbours only).
    pub(super) team_bigram_postings: Option<postings::KeyedPostings>,
    /// Inverted lists of the demand bigram bags, kept while a team's ranking reads every demand (they
    /// bound the bigram part of each demand's lexical share).
    pub(super) demand_bigram_postings: Option<postings::KeyedPostings>,
    /// The teams and the demands of every cluster, for the nearest documents in the latent space.
    pub(super) team_members: Members,
    pub(super) demand_members: Members,
    pub(super) profile_len_sum: f64,
    pub(super) achievement_len_sum: f64,
    pub(super) achievements: usize,
    pub(super) reference_year: i32,
    pub(super) loads: FxHashMap<String, u32>,
    /// Sum of all record hashes: the dataset fingerprint, kept up to date on every change.
    pub(super) fingerprint_sum: u128,
    /// Team writes so far: the statistics a feedback was computed at ([`Feedback::epoch`]).
    pub(super) team_epoch: u64,
}

/// What a team write did to the team slots.
#[derive(Clone, Copy)]
pub(super) enum TeamSlots {
    /// A team was added in a new slot.
    Added,
    /// The team in this slot was replaced.
    Replaced(usize),
    /// The team in `slot` was removed and the last team, in slot `last`, moved there.
    Removed { slot: usize, last: usize },
}

/// Feedback and kept queries a team write took from the demands, to be dropped once the state's write lock
/// is released (freeing thousands of queries under it would keep every reader waiting).
pub(super) type Taken = Vec<(OnceLock<Feedback>, OnceLock<Arc<Query>>)>;

/// The slot of every document of one side, by id and by the key of its id in the text index.
#[derive(Default)]
pub(super) struct Slots {
    by_id: HashMap<String, usize>,
    by_key: HashMap<u64, usize>,
}

impl Slots {
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(super) fn get(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The slot of `id`, or [`MatchError::NotFound`] naming the side's `kind` of document.
    pub(super) fn find(&self, kind: &'static str, id: &str) -> Result<usize, MatchError> {
        self.get(id).ok_or_else(|| MatchError::NotFound {
            kind,
            id: id.to_owned(),
        })
    }

    /// The slot of the document whose id has the text-index key `key`.
    pub(super) fn by_key(&self, key: u64) -> Option<usize> {
        self.by_key.get(&key).copied()
    }

    pub(super) fn insert(&mut self, id: &str, slot: usize) {
        self.by_id.insert(id.to_owned(), slot);
        self.by_key.insert(text_index::doc_key(id), slot);
    }

    /// Takes the document `id` in `slot` out of `docs` (the last one moves into its place) and forgets
    /// it; `id_of` reads a document's id.
    pub(super) fn swap_remove_doc<T>(
        &mut self,
        docs: &mut Vec<T>,
        id: &str,
        slot: usize,
        id_of: impl Fn(&T) -> &str,
    ) {
        docs.swap_remove(slot);
        let moved = docs.get(slot).map(id_of);
        self.swap_remove(id, slot, moved);
    }

    /// Forgets `id`, whose `slot` was emptied by a `swap_remove`; `moved` is the id of the document moved
    /// into that slot (none when the last one was removed).
    pub(super) fn swap_remove(&mut self, id: &str, slot: usize, moved: Option<&str>) {
        self.by_id.remove(id);
        self.by_key.remove(&text_index::doc_key(id));
        if let Some(moved) = moved {
            self.insert(moved, slot);
        }
    }
}

impl Tracks {
    /// The tracks of `data` with their latent vectors `vecs`, in dataset order.
    pub(super) fn new(data: &Dataset, vecs: Vec<Vec<f32>>) -> Tracks {
        let positions: HashMap<&str, usize> = data
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        Tracks {
            ids: data.tracks.iter().map(|t| t.id.0.clone()).collect(),
            names: data.tracks.iter().map(|t| t.name.clone()).collect(),
            parent: data
                .tracks
                .iter()
                .map(|t| {
                    t.parent
                        .as_ref()
                        .and_then(|p| positions.get(p.as_str()).copied())
                })
                .collect(),
            index: data
                .tracks
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.0.clone(), i))
                .collect(),
            vecs,
        }
    }
}

/// Sum of record hashes (wrapping): independent of record order, and updated by adding and subtracting.
pub(super) fn dataset_hash(parts: impl Iterator<Item = u128>) -> u128 {
    parts.fold(0u128, |a, b| a.wrapping_add(b))
}

/// The fingerprint as written in manifests.
pub(super) fn fingerprint_hex(sum: u128) -> String {
    format!("{sum:032x}")
}

/// Sum of the hashes of the records that are not teams or demands (tracks, zones, universities).
pub(super) fn other_records_hash(data: &Dataset) -> u128 {
    let tracks = data.tracks.iter().map(|t| corpus::record_hash("track", t));
    let zones = data.zones.iter().map(|z| corpus::record_hash("zone", z));
    let unis = data
        .universities
        .iter()
        .map(|u| corpus::record_hash("university", u));
    dataset_hash(tracks.chain(zones).chain(unis))
}

/// The fingerprint of a dataset as recorded in index and model manifests (independent of record order).
pub fn fingerprint(data: &Dataset) -> String {
    let teams = data
        .teams
        .par_iter()
        .map(|t| corpus::record_hash("team", t))
        .reduce(|| 0, u128::wrapping_add);
    let demands = data
        .demands
        .par_iter()
        .map(|d| corpus::record_hash("demand", d))
        .reduce(|| 0, u128::wrapping_add);
    fingerprint_hex(
        other_records_hash(data)
            .wrapping_add(teams)
            .wrapping_add(demands),
    )
}

/// The latent vector of `(term, count)` pairs, through the model column of each term (`columns`; terms
/// outside the vocabulary are left out).
pub(super) fn embed_pairs(
    models: &Models,
    columns: &[u32],
    pairs: impl Iterator<Item = (u32, f32)>,
) -> Vec<f32> {
    models.embed_columns(pairs.filter_map(|(t, w)| {
        columns
            .get(t as usize)
            .filter(|&&c| c != u32::MAX)
            .map(|&c| (c, w))
    }))
}

impl State {
    /// The state of `data` from its records (in dataset order), with the members of `clusters` clusters;
    /// fails when ids repeat.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        data: Arc<Dataset>,
        clusters: usize,
        interner: Interner,
        columns: Vec<u32>,
        teams: Vec<TeamRec>,
        demands: Vec<DemandRec>,
        team_df: Frequencies,
        reference_year: i32,
        fingerprint_sum: u128,
        (bigram_postings, demand_bigram_postings): (bool, bool),
    ) -> Result<State, MatchError> {
        let mut state = State {
            data,
            interner,
            columns,
            teams: Vec::new(),
            demands: Vec::new(),
            team_slots: Slots::default(),
            demand_slots: Slots::default(),
            team_df,
            demand_df: Frequencies::default(),
            team_bigrams: bigrams::BigramFrequencies::default(),
            team_postings: postings::Postings::new(
                teams.iter().map(|r| (&r.bags.profile, r.bags.profile_len)),
            ),
            demand_postings: postings::Postings::new(
                demands
                    .iter()
                    .map(|r| (&r.bags.query, r.bags.query.weight_sum())),
            ),
            team_bigram_postings: bigram_postings.then(|| {
                postings::KeyedPostings::new(
                    teams.iter().map(|r| (&r.bags.bigrams, r.bags.bigram_len)),
                )
            }),
            demand_bigram_postings: demand_bigram_postings.then(|| {
                postings::KeyedPostings::new(
                    demands
                        .iter()
                        .map(|r| (&r.bags.bigrams, r.bags.bigrams.weight_sum())),
                )
            }),
            team_members: Members::new(clusters, teams.iter().map(|r| (r.cluster, &r.vec[..]))),
            demand_members: Members::new(clusters, demands.iter().map(|r| (r.cluster, &r.vec[..]))),
            profile_len_sum: 0.0,
            achievement_len_sum: 0.0,
            achievements: 0,
            reference_year,
            loads: FxHashMap::default(),
            fingerprint_sum,
            team_epoch: 0,
        };
        let data = Arc::clone(&state.data);
        for (i, (team, rec)) in data.teams.iter().zip(&teams).enumerate() {
            state.team_slots.insert(team.id.as_str(), i);
            state.count_team_bags(rec, 1.0);
        }
        for (i, (demand, rec)) in data.demands.iter().zip(&demands).enumerate() {
            state.demand_slots.insert(demand.id.as_str(), i);
            state.demand_df.add(rec.bags.query.terms());
        }
        state.teams = teams;
        state.demands = demands;
        if state.team_slots.len() != data.teams.len()
            || state.demand_slots.len() != data.demands.len()
        {
            return Err(MatchError::Invalid(
                "team and demand ids must be unique".into(),
            ));
        }
        Ok(state)
    }

    pub(super) fn team_slot(&self, id: &TeamId) -> Result<usize, MatchError> {
        self.team_slots.find("team", id.as_str())
    }

    pub(super) fn demand_slot(&self, id: &DemandId) -> Result<usize, MatchError> {
        self.demand_slots.find("demand", id.as_str())
    }

    /// Adds (`sign` 1) or removes (`sign` -1) a team's statistics (`all`: the terms of its `all` bag).
    pub(super) fn count_team(&mut self, rec: &TeamRec, all: impl Iterator<Item = u32>, sign: f64) {
        if sign > 0.0 {
            self.team_df.add(all);
        } else {
            self.team_df.remove(all);
        }
        self.count_team_bags(rec, sign);
    }

    /// [`State::count_team`] without the document frequencies of the `all` bag.
    pub(super) fn count_team_bags(&mut self, rec: &TeamRec, sign: f64) {
        if sign > 0.0 {
            self.team_bigrams
                .add(&rec.bags.bigrams, rec.bags.bigram_len);
            self.achievements += rec.bags.achievements.len();
        } else {
            self.team_bigrams
                .remove(&rec.bags.bigrams, rec.bags.bigram_len);
            self.achievements = self
                .achievements
                .saturating_sub(rec.bags.achievements.len());
        }
        self.profile_len_sum += sign * f64::from(rec.bags.profile_len);
        self.achievement_len_sum += sign
            * rec
                .bags
                .achievements
                .iter()
                .map(|(_, l)| f64::from(*l))
                .sum::<f64>();
    }

    /// The mean length of the team profiles (for BM25 over a profile).
    pub(super) fn avg_profile_len(&self) -> f32 {
        (self.profile_len_sum / f64::from(self.team_df.docs.max(1))) as f32
    }

    /// The mean length of the teams' achievements (for BM25 over one achievement).
    pub(super) fn avg_achievement_len(&self) -> f32 {
        (self.achievement_len_sum / self.achievements.max(1) as f64) as f32
    }

    /// A team write (`change`) moved the statistics every demand's first pass and query weights are
    /// computed with. Where the first pass reads every team (the team bigram lists are kept) every
    /// feedback and kept query is taken, to be computed again exactly. On larger datasets, where a first
    /// pass reads a demand's latent neighbours and costs a query dear, a feedback is taken only when it
    /// names the written team (slots moved by a removal are renamed); the others are kept, computed at an
    /// earlier epoch, until [`Engine::settle`](super::Engine::settle) computes them again. Kept queries are
    /// always taken: their term weights carry the teams' idf.
    #[must_use = "drop what was taken after releasing the write lock"]
    pub(super) fn team_written(&mut self, change: TeamSlots) -> Taken {
        self.team_epoch += 1;
        let exact = self.first_pass_reads_every_team();
        let mut taken = Vec::new();
        for d in &mut self.demands {
            let stale = d
                .expanded
                .get_mut()
                .is_some_and(|f| exact || !f.renamed(change));
            let feedback = if stale {
                std::mem::take(&mut d.expanded)
            } else {
                OnceLock::new()
            };
            let query = std::mem::take(&mut d.query);
            if stale || query.get().is_some() {
                taken.push((feedback, query));
            }
        }
        taken
    }

    /// Whether a demand's feedback reads every team through the team bigram lists (kept up to
    /// `exhaustive_below` teams), so that a team write computes all feedback again exactly; else a first
    /// pass reads the demand's latent neighbours and team writes keep feedback (see
    /// [`State::team_written`]).
    pub(super) fn first_pass_reads_every_team(&self) -> bool {
        self.team_bigram_postings.is_some()
    }

    pub(super) fn sync_columns(&mut self, models: &Models) {
        while self.columns.len() < self.interner.len() {
            let term = self.interner.term(self.columns.len() as u32);
            self.columns
                .push(models.tfidf.column(term).unwrap_or(u32::MAX));
        }
    }

    pub(super) fn fingerprint(&self) -> String {
        fingerprint_hex(self.fingerprint_sum)
    }
}

/// Declared tracks, or the nearest track when none is declared and it is close enough (cosine ≥ 0.25).
pub(super) fn resolve_tracks(
    tracks: &Tracks,
    declared: &[crate::domain::TrackId],
    v: &[f32],
) -> Vec<usize> {
    if !declared.is_empty() {
        return declared
            .iter()
            .filter_map(|t| tracks.index.get(t.as_str()).copied())
            .collect();
    }
    tracks
        .vecs
        .iter()
        .enumerate()
        .map(|(i, tv)| (i, dot(tv, v)))
        .filter(|(_, s)| *s >= 0.25)
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(i, _)| vec![i])
        .unwrap_or_default()
}
