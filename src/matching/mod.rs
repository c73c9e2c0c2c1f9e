//! The matching engine: given a demand, the teams that can solve it; given a team, the demands it fits; the
//! score of any pair with its explanation; free-text search; incremental updates.
//!
//! [`Engine`] is the facade used by the HTTP service and the pairing optimiser. It owns the text index
//! (candidate retrieval and search), the trained models (TF-IDF, LSA, clusters) and an in-memory view of the
//! dataset ([`corpus`]). A pair's score is `Σ weight × feature` over the features of [`config::FEATURES`],
//! each in [0, 1], with weights from `models/scoring.toml` summing to 1, so the score is in [0, 1]:
//!
//! - `lexical`: BM25 (BM25F over the profile fields) of the demand's weighted terms in the team profile, plus
//!   `bigram_weight` times BM25 of its character bigrams, divided by the demand's best possible BM25
//!   (`Σ qw·idf` over both): the share of the demand's lexical weight the team covers, comparable across
//!   demands and across teams;
//! - `feedback`: pseudo-relevance feedback. A lexical-only first pass finds the team that covers the demand
//!   best; the feature is the LSA cosine of the candidate team with that team, times that team's lexical
//!   share (a weak first pass counts little). It finds teams on the demand's topic that use other words;
//! - `semantic`: cosine of the LSA vectors of the demand and the team (negative counts as 0). Team vectors
//!   are smoothed over their nearest teams ([`crate::models::smooth`]), which makes them describe a topic
//!   rather than one text;
//! - `achievements`: each achievement's relevance (half lexical share, half LSA cosine), aggregated as half
//!   the best plus half the mean of the best three (missing ones count 0), so more evidence never lowers it;
//! - `track`: 1 when both sides share a track (declared, or inferred from the nearest track), 0.5 for related
//!   tracks (parent, child, sibling);
//! - `cluster`: cosine of the demand with the centroid of the team's cluster;
//! - `evidence`, `proximity`, `capacity`: see [`corpus::evidence`], same city, free share of capacity.
//!
//! The score of a pair is the same whichever direction it is asked from: the demand is always the query.
//! Candidates come from the text index (BM25 over all fields) and from the latent space (the nearest
//! clusters), then every candidate is scored in full; below `exhaustive_below` documents all are scored.

mod batch;
mod bigrams;
mod build;
pub mod config;
pub(crate) mod corpus;
pub mod explain;
pub mod fit;
mod packed;
mod postings;
mod search;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::analysis::Analyzer;
use crate::domain::{Dataset, Demand, DemandId, Team, TeamId};
use crate::models::{ModelError, Models, TrainInput, TrainParams, TrainReport};
use crate::text_index::{self, FieldTokens, IndexBuilder, IndexDoc, IndexError, TextIndex};

pub use config::{FEATURES, N_FEATURES, ScoringConfig, Weights};
use corpus::{
    Analysed, Bag, Frequencies, Interner, PackedDemandBags, PackedTeamBags, QVec, TeamBags, dot,
};
pub use explain::{
    AchievementEvidence, ClusterRef, Contribution, Explanation, Lang, MatchedTerm, TrackRef,
};
use packed::Packed;
pub use text_index::{DocKind, Snippet};

/// Below this many teams the latent space is fitted on teams and demands together.
const TEAM_SPACE_MIN_TEAMS: usize = 200;

/// Errors of the matching engine.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("{kind} {id:?} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("scoring configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("engine state lock poisoned")]
    Poisoned,
}

impl MatchError {
    /// Stable snake_case code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            MatchError::NotFound { .. } => "not_found",
            MatchError::Invalid(_) => "invalid_input",
            MatchError::Config(_) => "scoring_config",
            MatchError::Index(e) => e.code(),
            MatchError::Model(e) => e.code(),
            MatchError::Poisoned => "engine_poisoned",
        }
    }
}

/// A scored (demand, team) pair with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairMatch {
    pub demand_id: DemandId,
    pub team_id: TeamId,
    pub score: f32,
    pub explanation: Explanation,
}

/// A free-text search result.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub kind: DocKind,
    pub id: String,
    /// The team's name or the demand's title.
    pub title: String,
    /// BM25 score of the text query.
    pub score: f32,
    pub snippet: Snippet,
}

/// How the engine came up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenReport {
    pub index_reopened: bool,
    pub models_loaded: bool,
    pub documents: usize,
    pub train: Option<TrainReport>,
    /// Record hashes (the dataset fingerprint).
    pub seconds_fingerprint: f32,
    /// Analysis of every text (with the text index fed as it goes, when it is rebuilt).
    pub seconds_analysis: f32,
    /// Finishing the text index (commit and merges) after the last document.
    pub seconds_index: f32,
    pub seconds_models: f32,
    pub seconds_vectors: f32,
    /// Pseudo-relevance feedback of every demand, precomputed.
    pub seconds_expansions: f32,
}

/// Progress callback: `(stage, done, total)`.
pub type Progress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// Options of [`Engine::open_with`].
#[derive(Clone, Copy)]
pub struct OpenOptions<'a> {
    /// Scoring configuration; `None` reads `scoring.toml` from the models directory (or the shipped one).
    pub config: Option<ScoringConfig>,
    pub train: TrainParams,
    /// Retrain even when the saved models match the dataset.
    pub force_train: bool,
    /// Write trained models to the models directory.
    pub save_models: bool,
    /// Compute every demand's pseudo-relevance feedback while opening (when teams are many enough for
    /// candidate retrieval), so that no query waits for the expansions of its candidates; see
    /// [`Engine::precompute_feedback`].
    pub precompute_feedback: bool,
    pub progress: Option<Progress<'a>>,
}

impl Default for OpenOptions<'_> {
    fn default() -> Self {
        OpenOptions {
            config: None,
            train: TrainParams::default(),
            force_train: false,
            save_models: true,
            precompute_feedback: false,
            progress: None,
        }
    }
}

impl std::fmt::Debug for OpenOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("force_train", &self.force_train)
            .finish_non_exhaustive()
    }
}

struct TeamRec {
    bags: PackedTeamBags,
    /// Latent vector of all the team's text, smoothed over its nearest teams.
    vec: Vec<f32>,
    /// The vector before each smoothing pass (raw first), so that a changed team is smoothed again exactly
    /// as a full rebuild would smooth it.
    levels: Vec<Vec<f32>>,
    achievement_vecs: Vec<QVec>,
    cluster: Option<usize>,
    tracks: Vec<usize>,
    evidence: f32,
    city: Option<String>,
    hash: u128,
}

struct DemandRec {
    /// The demand's query bags (document frequencies of demands count the terms of the query bag, the
    /// same terms as all its text while no query field weighs 0).
    bags: PackedDemandBags,
    vec: Vec<f32>,
    /// Pseudo-relevance feedback of the demand, computed on first use and reset when teams change.
    expanded: OnceLock<Feedback>,
    cluster: Option<usize>,
    tracks: Vec<usize>,
    city: Option<String>,
    hash: u128,
}

struct Tracks {
    ids: Vec<String>,
    names: Vec<String>,
    parent: Vec<Option<usize>>,
    index: HashMap<String, usize>,
    vecs: Vec<Vec<f32>>,
}

struct State {
    data: Arc<Dataset>,
    interner: Interner,
    /// Model column of each interned term (`u32::MAX` when outside the vocabulary).
    columns: Vec<u32>,
    teams: Vec<TeamRec>,
    demands: Vec<DemandRec>,
    team_slots: HashMap<String, usize>,
    demand_slots: HashMap<String, usize>,
    team_keys: HashMap<u64, usize>,
    demand_keys: HashMap<u64, usize>,
    team_df: Frequencies,
    demand_df: Frequencies,
    /// Bigram frequencies and lengths of the team profiles.
    team_bigrams: bigrams::BigramFrequencies,
    /// Inverted lists of the team profiles and of the demand queries, for lexical candidates.
    team_postings: postings::Postings,
    demand_postings: postings::Postings,
    profile_len_sum: f64,
    achievement_len_sum: f64,
    achievements: usize,
    reference_year: i32,
    loads: FxHashMap<String, u32>,
    /// Sum of all record hashes: the dataset fingerprint, kept up to date on every change.
    fingerprint_sum: u128,
}

/// The matching engine. `Send + Sync`; all methods take `&self` (updates lock internally).
pub struct Engine {
    analyzer: Analyzer,
    config: ScoringConfig,
    models: Models,
    tracks: Tracks,
    index: TextIndex,
    state: RwLock<State>,
    writer: Mutex<()>,
    /// Cluster members of each side, for the current state (emptied by every `write`).
    members: search::MemberCache,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Words of the bit filter of [`Terms`] (4,096 bits).
const FILTER_WORDS: usize = 64;

/// Weighted query terms: `(term, qw × idf)` sorted by term, and their sum (the best possible BM25 share).
/// A bit filter over the terms lets a bag be scanned against them with one predictable test per entry.
struct Terms {
    terms: Vec<(u32, f32)>,
    upper: f32,
    filter: [u64; FILTER_WORDS],
}

impl Default for Terms {
    fn default() -> Terms {
        Terms::new(Vec::new())
    }
}

/// The filter bit of a term id or bigram key.
fn filter_bit(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> 20) as usize
}

impl Terms {
    fn new(mut terms: Vec<(u32, f32)>) -> Terms {
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

    /// The weight of `key`, if it is one of the terms.
    fn weight(&self, key: u32) -> Option<f32> {
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

/// Pseudo-relevance feedback of a demand as cached: the best teams of its lexical first pass (slots, valid
/// until the teams change, which resets every cache) and the best team's lexical share.
#[derive(Default)]
struct Feedback {
    teams: Vec<u32>,
    confidence: f32,
}

/// What pseudo-relevance feedback knows about a demand: the unit mean vector of the best teams of a
/// lexical first pass (empty when there is none) and how sure that pass is (the best team's lexical share).
#[derive(Default)]
struct Expansion {
    vec: Vec<f32>,
    confidence: f32,
}

/// Per-request view of a demand as a query.
struct Query {
    /// Word terms, `(term, qw × idf)`.
    lexical: Terms,
    /// Character-bigram terms, `(key, qw × idf)`.
    bigrams: Terms,
    expansion: Expansion,
    /// The demand's latent vector over the cluster model's dimensions, at unit length (empty without a
    /// cluster model), for the `cluster` feature.
    cluster_vec: Vec<f32>,
}

/// Everything about one pair's features, for scoring and explaining.
struct PairFeatures {
    values: [f32; N_FEATURES],
    /// `(term, share of the demand's lexical weight)` matched in the profile.
    profile_terms: Vec<(u32, f32)>,
    /// `(achievement index, relevance)` sorted best first.
    achievements: Vec<(usize, f32)>,
    shared_track: Option<(usize, bool)>,
}

fn dataset_hash(parts: impl Iterator<Item = u128>) -> u128 {
    parts.fold(0u128, |a, b| a.wrapping_add(b))
}

fn fingerprint_hex(sum: u128) -> String {
    format!("{sum:032x}")
}

fn other_records_hash(data: &Dataset) -> u128 {
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

fn index_doc<'a>(id: &'a str, a: &'a Analysed) -> IndexDoc<'a> {
    IndexDoc {
        id,
        fields: a
            .fields
            .iter()
            .map(|(f, toks)| FieldTokens {
                field: f,
                tokens: toks,
            })
            .collect(),
    }
}

/// The latent vector of `(term, count)` pairs, through the model column of each term (`columns`; terms
/// outside the vocabulary are left out).
fn embed_pairs(
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

/// BM25 of weighted terms in a bag: `Σ w·sat(tf)` with `sat(tf) = tf / (tf + k1 (1 - b + b len / avg))`, so
/// at most `Σ w`; calls `on_match(term, part)` for each matched term.
fn bm25_sum(
    terms: &Terms,
    bag: &Packed,
    len: f32,
    avg: f32,
    k1: f32,
    b: f32,
    mut on_match: impl FnMut(u32, f32),
) -> f32 {
    if terms.terms.is_empty() || bag.is_empty() {
        return 0.0;
    }
    let norm = k1 * (1.0 - b + b * len / avg.max(1e-6));
    let mut sum = 0.0;
    // Matches are met in term order, as a merge of the two sorted lists would meet them.
    bag.matches(
        |t| terms.weight(t),
        |t, qw, tf| {
            let part = qw * tf / (tf + norm);
            sum += part;
            on_match(t, part);
        },
    );
    sum
}

/// BM25 share of a query covered by a bag: [`bm25_sum`] over the best possible (`Σ qw·idf`), in [0, 1];
/// calls `on_match(term, share)` for each matched term.
fn bm25_share(
    q: &Terms,
    bag: &Packed,
    len: f32,
    avg: f32,
    k1: f32,
    b: f32,
    mut on_match: impl FnMut(u32, f32),
) -> f32 {
    if q.upper <= 0.0 {
        return 0.0;
    }
    let sum = bm25_sum(q, bag, len, avg, k1, b, |t, part| {
        on_match(t, part / q.upper)
    });
    (sum / q.upper).clamp(0.0, 1.0)
}

impl Engine {
    /// Opens the engine on `data`: reopens the text index under `index_dir` when its manifest matches, else
    /// rebuilds it; loads the models in `models_dir` when they were trained on this dataset, else trains and
    /// saves them there. Scoring weights come from `models_dir/scoring.toml` (or the shipped ones).
    pub fn open_or_build(
        data: &Dataset,
        index_dir: &Path,
        models_dir: &Path,
    ) -> Result<Engine, MatchError> {
        Self::open_with(data, index_dir, models_dir, &OpenOptions::default())
            .map(|(engine, _)| engine)
    }

    /// [`Engine::open_or_build`] with options, also returning what happened.
    pub fn open_with(
        data: &Dataset,
        index_dir: &Path,
        models_dir: &Path,
        options: &OpenOptions<'_>,
    ) -> Result<(Engine, OpenReport), MatchError> {
        Self::open_shared(Arc::new(data.clone()), index_dir, models_dir, options)
    }

    /// [`Engine::open_with`] on a dataset the engine keeps as it is (no copy).
    pub fn open_shared(
        shared: Arc<Dataset>,
        index_dir: &Path,
        models_dir: &Path,
        options: &OpenOptions<'_>,
    ) -> Result<(Engine, OpenReport), MatchError> {
        let data: &Dataset = &shared;
        let analyzer = Analyzer::shared();
        let config = match options.config {
            Some(c) => c,
            None => ScoringConfig::load(models_dir)?,
        };
        let progress = |stage: &str, done: usize, total: usize| {
            if let Some(p) = options.progress {
                p(stage, done, total);
            }
        };
        let t_fp = std::time::Instant::now();
        let team_hashes: Vec<u128> = data
            .teams
            .par_iter()
            .map(|t| corpus::record_hash("team", t))
            .collect();
        let demand_hashes: Vec<u128> = data
            .demands
            .par_iter()
            .map(|d| corpus::record_hash("demand", d))
            .collect();
        let other_hash = other_records_hash(data);
        let fingerprint_sum = other_hash
            .wrapping_add(dataset_hash(team_hashes.iter().copied()))
            .wrapping_add(dataset_hash(demand_hashes.iter().copied()));
        let fp = fingerprint_hex(fingerprint_sum);
        let seconds_fingerprint = t_fp.elapsed().as_secs_f32();

        // 1. Analyse every text once, feeding the text index when it has to be rebuilt.
        let t0 = std::time::Instant::now();
        let reopened = TextIndex::open(index_dir, &analyzer, &fp)?;
        let index_reopened = reopened.is_some();
        let mut builder = if reopened.is_none() {
            Some(IndexBuilder::create(index_dir, &analyzer)?)
        } else {
            None
        };
        let total = data.teams.len() + data.demands.len();
        let build::Analysed {
            mut interner,
            team_bags,
            demand_bags,
        } = build::analyse(
            &analyzer,
            &config,
            &data.teams,
            &data.demands,
            builder.as_mut(),
            &|done| progress("analyse", done, total),
        )?;
        let seconds_analysis = t0.elapsed().as_secs_f32();
        let t_index = std::time::Instant::now();
        let index = match (reopened, builder) {
            (Some(index), _) => index,
            (None, Some(b)) => b.finish(&fp)?,
            (None, None) => {
                return Err(MatchError::Invalid(
                    "text index neither opened nor built".into(),
                ));
            }
        };
        let seconds_index = t_index.elapsed().as_secs_f32();
        // Packed once the text index is written, whose buffers are then given back. A demand's `all` bag
        // is kept packed beside its bags until its vector is made.
        let (demand_bags, demand_all): (Vec<PackedDemandBags>, Vec<Packed>) = demand_bags
            .into_par_iter()
            .map(|b| (b.pack(), Packed::new(&b.all)))
            .unzip();
        // The teams' `all` bags are needed only until the engine is built (vectors and frequencies): they
        // are kept in one allocation, which is given back whole when dropped, and the memory of their
        // separate bags is reused by the vectors made next.
        let (team_bags, separate): (Vec<PackedTeamBags>, Vec<Bag>) = team_bags
            .into_par_iter()
            .map(|mut b| (b.pack(), std::mem::take(&mut b.all)))
            .unzip();
        let mut all_flat: Bag = Vec::with_capacity(separate.iter().map(Vec::len).sum());
        let mut all_offsets = Vec::with_capacity(separate.len() + 1);
        all_offsets.push(0);
        for b in separate {
            all_flat.extend_from_slice(&b);
            all_offsets.push(all_flat.len());
        }
        let team_all: Vec<&[(u32, f32)]> = all_offsets
            .windows(2)
            .map(|w| &all_flat[w[0]..w[1]])
            .collect();
        let mut team_df = Frequencies::default();
        for b in &team_all {
            team_df.add(b.iter().map(|&(t, _)| t));
        }
        let track_bags: Vec<Bag> = data
            .tracks
            .iter()
            .map(|t| {
                let text = format!("{} {} {}", t.name, t.keywords.join(" "), t.description);
                let toks = analyzer.analyze(&text);
                let mut acc: FxHashMap<u32, f32> = FxHashMap::default();
                for tok in &toks {
                    *acc.entry(interner.intern(&tok.text)).or_insert(0.0) += 1.0;
                }
                corpus::sorted_bag(&mut acc)
            })
            .collect();

        // 2. Models: load when trained on this very dataset, else train (and save).
        let t1 = std::time::Instant::now();
        let saved = if options.force_train {
            None
        } else {
            match Models::load(models_dir) {
                Ok(saved) => saved,
                // A model of another format version or an unreadable one is simply trained again.
                Err(e @ (ModelError::Version { .. } | ModelError::Format(_))) => {
                    tracing::warn!(error = %e, "saved models are not usable; training again");
                    None
                }
                Err(e) => return Err(e.into()),
            }
        };
        // Training projects and smooths every team's vector (to cluster them): kept for step 3.
        let (models, train, team_vecs) = match saved {
            Some(m)
                if m.meta.dataset_fingerprint == fp
                    && m.meta.analyzer_version == analyzer.version() =>
            {
                (m, None, None)
            }
            _ => {
                progress("train", 0, 1);
                // The latent space is fitted on the teams: it describes what research covers, and fitting
                // it on demands as well made matching and clustering worse on external data. With very few
                // teams the demands are added, or there would be hardly a term shared by two documents.
                let unpacked: Vec<Bag> = if team_all.len() < TEAM_SPACE_MIN_TEAMS {
                    demand_all.iter().map(Packed::unpack).collect()
                } else {
                    Vec::new()
                };
                let mut docs: Vec<&[(u32, f32)]> = team_all.clone();
                docs.extend(unpacked.iter().map(Vec::as_slice));
                let input = TrainInput {
                    terms: interner.terms(),
                    docs,
                    clustered: (0..team_bags.len()).collect(),
                    tracks: data
                        .tracks
                        .iter()
                        .zip(&track_bags)
                        .map(|(t, b)| (t.id.0.clone(), b.clone()))
                        .collect(),
                    analyzer_version: analyzer.version().to_owned(),
                    dataset_fingerprint: fp.clone(),
                };
                let (m, report, vecs) = Models::train_projected(&input, &options.train)?;
                if options.save_models {
                    m.save(models_dir)?;
                }
                progress("train", 1, 1);
                (m, Some(report), Some(vecs))
            }
        };
        let models_loaded = train.is_none();
        let seconds_models = t1.elapsed().as_secs_f32();

        // 3. Vectors, clusters, tracks, evidence.
        let t2 = std::time::Instant::now();
        let columns = crate::models::column_map(interner.terms(), &models.tfidf);
        let embed = |bag: &Packed| embed_pairs(&models, &columns, bag.iter());
        let track_vecs: Vec<Vec<f32>> = track_bags
            .iter()
            .map(|b| embed_pairs(&models, &columns, b.iter().copied()))
            .collect();
        let tracks = Tracks {
            ids: data.tracks.iter().map(|t| t.id.0.clone()).collect(),
            names: data.tracks.iter().map(|t| t.name.clone()).collect(),
            parent: {
                let index: HashMap<&str, usize> = data
                    .tracks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.id.as_str(), i))
                    .collect();
                data.tracks
                    .iter()
                    .map(|t| {
                        t.parent
                            .as_ref()
                            .and_then(|p| index.get(p.as_str()).copied())
                    })
                    .collect()
            },
            index: data
                .tracks
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.0.clone(), i))
                .collect(),
            vecs: track_vecs,
        };
        let reference_year = data
            .teams
            .iter()
            .flat_map(|t| t.achievements.iter().filter_map(|a| a.year))
            .max()
            .unwrap_or(2025);
        let uni_city: HashMap<&str, &str> = data
            .universities
            .iter()
            .map(|u| (u.id.as_str(), u.city.as_str()))
            .collect();
        let zone_city: HashMap<&str, &str> = data
            .zones
            .iter()
            .map(|z| (z.id.as_str(), z.city.as_str()))
            .collect();
        // Smoothing levels of the team vectors: from training, or computed now.
        let mut levels = match team_vecs {
            Some(levels) if levels.first().is_some_and(|l| l.len() == data.teams.len()) => levels,
            _ => {
                let raw: Vec<Vec<f32>> = team_all
                    .par_iter()
                    .map(|b| embed_pairs(&models, &columns, b.iter().copied()))
                    .collect();
                crate::models::smooth_levels(&raw, &models.meta.params.smooth)
            }
        };
        drop(team_all);
        drop(all_flat);
        let team_vecs = levels.pop().unwrap_or_default();
        let mut team_levels: Vec<Vec<Vec<f32>>> =
            vec![Vec::with_capacity(levels.len()); team_vecs.len()];
        for level in levels {
            for (per_team, v) in team_levels.iter_mut().zip(level) {
                per_team.push(v);
            }
        }
        let teams: Vec<TeamRec> = data
            .teams
            .par_iter()
            .zip(team_bags)
            .zip(team_hashes)
            .zip(team_vecs)
            .zip(team_levels)
            .map(|((((team, bags), hash), vec), levels)| {
                let achievement_vecs = bags
                    .achievements
                    .iter()
                    .map(|(b, _)| QVec::new(&embed(b)))
                    .collect();
                let cluster = models.clusters.as_ref().map(|c| c.centroids.assign(&vec).0);
                let tracks = resolve_tracks(&tracks, &team.track_ids, &vec);
                TeamRec {
                    evidence: corpus::evidence(team, reference_year),
                    city: uni_city
                        .get(team.university_id.as_str())
                        .map(|c| c.to_string()),
                    bags,
                    vec,
                    levels,
                    achievement_vecs,
                    cluster,
                    tracks,
                    hash,
                }
            })
            .collect();
        let demands: Vec<DemandRec> = data
            .demands
            .par_iter()
            .zip(demand_bags)
            .zip(demand_all)
            .zip(demand_hashes)
            .map(|(((demand, bags), all), hash)| {
                let vec = embed(&all);
                let cluster = models.clusters.as_ref().map(|c| c.centroids.assign(&vec).0);
                let tracks = resolve_tracks(&tracks, &demand.track_ids, &vec);
                DemandRec {
                    expanded: OnceLock::new(),
                    city: zone_city
                        .get(demand.zone_id.as_str())
                        .map(|c| c.to_string()),
                    bags,
                    vec,
                    cluster,
                    tracks,
                    hash,
                }
            })
            .collect();
        let seconds_vectors = t2.elapsed().as_secs_f32();

        let mut state = State {
            data: Arc::clone(&shared),
            interner,
            columns,
            teams: Vec::new(),
            demands: Vec::new(),
            team_slots: HashMap::new(),
            demand_slots: HashMap::new(),
            team_keys: HashMap::new(),
            demand_keys: HashMap::new(),
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
            profile_len_sum: 0.0,
            achievement_len_sum: 0.0,
            achievements: 0,
            reference_year,
            loads: FxHashMap::default(),
            fingerprint_sum,
        };
        for (i, (team, rec)) in data.teams.iter().zip(&teams).enumerate() {
            state.team_slots.insert(team.id.0.clone(), i);
            state
                .team_keys
                .insert(text_index::doc_key(team.id.as_str()), i);
            state.count_team_bags(rec, 1.0);
        }
        for (i, (demand, rec)) in data.demands.iter().zip(&demands).enumerate() {
            state.demand_slots.insert(demand.id.0.clone(), i);
            state
                .demand_keys
                .insert(text_index::doc_key(demand.id.as_str()), i);
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
        let mut report = OpenReport {
            index_reopened,
            models_loaded,
            documents: total,
            train,
            seconds_fingerprint,
            seconds_analysis,
            seconds_index,
            seconds_models,
            seconds_vectors,
            seconds_expansions: 0.0,
        };
        let engine = Engine {
            analyzer,
            config,
            models,
            tracks,
            index,
            state: RwLock::new(state),
            writer: Mutex::new(()),
            members: search::MemberCache::default(),
        };
        let t3 = std::time::Instant::now();
        if options.precompute_feedback {
            progress("expand", 0, engine.read()?.demands.len());
            engine.precompute_feedback()?;
        }
        report.seconds_expansions = t3.elapsed().as_secs_f32();
        Ok((engine, report))
    }

    /// How many demands have their pseudo-relevance feedback computed and cached.
    pub fn cached_expansions(&self) -> Result<usize, MatchError> {
        let state = self.read()?;
        Ok(state
            .demands
            .iter()
            .filter(|d| d.expanded.get().is_some())
            .count())
    }

    /// Approximate heap bytes held by the engine's in-memory state, per part (buffer lengths and
    /// capacities, hash tables estimated; the dataset itself is not counted).
    pub fn memory(&self) -> Result<Vec<(&'static str, usize)>, MatchError> {
        fn bag(b: &Packed) -> usize {
            b.bytes()
        }
        fn floats(v: &[f32]) -> usize {
            std::mem::size_of_val(v)
        }
        let state = self.read()?;
        let mut parts = vec![
            ("team profile bags", 0),
            ("team achievement bags", 0),
            ("team bigram bags", 0),
            ("team vectors", 0),
            ("team smoothing levels", 0),
            ("achievement vectors", 0),
            ("demand query bags", 0),
            ("demand bigram bags", 0),
            ("demand vectors", 0),
            ("feedback expansions", 0),
        ];
        for t in &state.teams {
            parts[0].1 += bag(&t.bags.profile);
            parts[1].1 += t
                .bags
                .achievements
                .iter()
                .map(|(b, _)| bag(b))
                .sum::<usize>();
            parts[2].1 += bag(&t.bags.bigrams);
            parts[3].1 += floats(&t.vec);
            parts[4].1 += t.levels.iter().map(|l| floats(l)).sum::<usize>();
            parts[5].1 += t.achievement_vecs.iter().map(QVec::bytes).sum::<usize>();
        }
        for d in &state.demands {
            parts[6].1 += bag(&d.bags.query);
            parts[7].1 += bag(&d.bags.bigrams);
            parts[8].1 += floats(&d.vec);
            parts[9].1 += d.expanded.get().map_or(0, |e| e.teams.capacity() * 4);
        }
        parts.push(("term table", state.interner.bytes()));
        parts.push((
            "term frequencies",
            state.team_df.bytes() + state.demand_df.bytes() + state.team_bigrams.bytes(),
        ));
        parts.push(("team postings", state.team_postings.bytes()));
        parts.push(("demand postings", state.demand_postings.bytes()));
        parts.push(("cluster member copies", self.members.bytes()));
        Ok(parts)
    }

    /// The scoring configuration in use.
    pub fn config(&self) -> &ScoringConfig {
        &self.config
    }

    /// The trained models in use.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// A snapshot of the current dataset (cheap; later updates do not change it).
    pub fn dataset(&self) -> Result<Arc<Dataset>, MatchError> {
        Ok(self.read()?.data.clone())
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, State>, MatchError> {
        self.state.read().map_err(|_| MatchError::Poisoned)
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, State>, MatchError> {
        let state = self.state.write().map_err(|_| MatchError::Poisoned)?;
        self.members.clear();
        Ok(state)
    }

    /// The `limit` best teams for a demand, best first, with explanations.
    pub fn teams_for_demand(
        &self,
        demand: &DemandId,
        limit: usize,
    ) -> Result<Vec<PairMatch>, MatchError> {
        let state = self.read()?;
        let d = state.demand_slot(demand)?;
        let ranked = self.rank_teams_in(&state, d, limit)?;
        Ok(spread_map(ranked, |(t, score, f)| {
            self.pair_match(&state, d, t, score, &f)
        }))
    }

    /// The `limit` best demands for a team, best first, with explanations.
    pub fn demands_for_team(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> Result<Vec<PairMatch>, MatchError> {
        let state = self.read()?;
        let t = state.team_slot(team)?;
        let ranked = self.rank_demands_in(&state, t, limit)?;
        Ok(spread_map(ranked, |(d, score, f)| {
            self.pair_match(&state, d, t, score, &f)
        }))
    }

    /// The `limit` best teams for a demand as `(team id, score)`, without explanations (`limit` 0: all).
    pub fn rank_teams(
        &self,
        demand: &DemandId,
        limit: usize,
    ) -> Result<Vec<(TeamId, f32)>, MatchError> {
        let state = self.read()?;
        let d = state.demand_slot(demand)?;
        let limit = if limit == 0 { state.teams.len() } else { limit };
        let ranked = self.rank_teams_in(&state, d, limit)?;
        Ok(ranked
            .into_iter()
            .map(|(t, s, _)| (state.data.teams[t].id.clone(), s))
            .collect())
    }

    /// The `limit` best demands for a team as `(demand id, score)`, without explanations (`limit` 0: all).
    pub fn rank_demands(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> Result<Vec<(DemandId, f32)>, MatchError> {
        let state = self.read()?;
        let t = state.team_slot(team)?;
        let limit = if limit == 0 {
            state.demands.len()
        } else {
            limit
        };
        let ranked = self.rank_demands_in(&state, t, limit)?;
        Ok(ranked
            .into_iter()
            .map(|(d, s, _)| (state.data.demands[d].id.clone(), s))
            .collect())
    }

    /// The score of one pair with its explanation.
    pub fn score_pair(&self, demand: &DemandId, team: &TeamId) -> Result<PairMatch, MatchError> {
        let state = self.read()?;
        let d = state.demand_slot(demand)?;
        let t = state.team_slot(team)?;
        let q = self.query(&state, d);
        let f = self.features(&state, d, &q, t, true);
        let score = self.total(&f.values);
        Ok(self.pair_match(&state, d, t, score, &f))
    }

    /// Free-text search over teams or demands: BM25 hits with a highlighted snippet.
    pub fn search(
        &self,
        text: &str,
        kind: DocKind,
        limit: usize,
    ) -> Result<Vec<SearchHit>, MatchError> {
        let mut counts: HashMap<String, f32> = HashMap::new();
        self.analyzer.for_each_token(text, |term, _, _| {
            *counts.entry(term.to_owned()).or_insert(0.0) += 1.0
        });
        let terms: Vec<(String, f32)> = counts
            .into_iter()
            .map(|(t, c)| (t, corpus::dampen(c)))
            .collect();
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let highlight_terms: HashSet<String> = terms.iter().map(|(t, _)| t.clone()).collect();
        let state = self.read()?;
        let hits = self.index.retrieve(kind, &terms, limit)?;
        let mut out = Vec::with_capacity(hits.len());
        for (key, score) in hits {
            let (id, title, body) = match kind {
                DocKind::Team => {
                    let Some(&slot) = state.team_keys.get(&key) else {
                        continue;
                    };
                    let team = &state.data.teams[slot];
                    (
                        team.id.0.clone(),
                        team.name.clone(),
                        team_search_text(team, &highlight_terms, &self.analyzer),
                    )
                }
                DocKind::Demand => {
                    let Some(&slot) = state.demand_keys.get(&key) else {
                        continue;
                    };
                    let demand = &state.data.demands[slot];
                    let body = if demand.description.is_empty() {
                        demand.title.clone()
                    } else {
                        demand.description.clone()
                    };
                    (demand.id.0.clone(), demand.title.clone(), body)
                }
            };
            let snippet = text_index::highlight(&self.analyzer, &body, &highlight_terms, 120);
            out.push(SearchHit {
                kind,
                id,
                title,
                score,
                snippet,
            });
        }
        Ok(out)
    }

    /// Records how many projects a team already carries (lowers its `capacity` feature).
    pub fn set_team_load(&self, team: &TeamId, load: u32) -> Result<(), MatchError> {
        let mut state = self.write()?;
        state.team_slot(team)?;
        state.loads.insert(team.0.clone(), load);
        Ok(())
    }

    /// The cluster of every team as `(team id, cluster, label)`; empty when no clusters were trained.
    pub fn team_clusters(&self) -> Result<Vec<(TeamId, usize, String)>, MatchError> {
        let state = self.read()?;
        let Some(clusters) = &self.models.clusters else {
            return Ok(Vec::new());
        };
        Ok(state
            .teams
            .iter()
            .zip(&state.data.teams)
            .filter_map(|(rec, team)| {
                let c = rec.cluster?;
                Some((
                    team.id.clone(),
                    c,
                    clusters.labels.get(c).map(|l| l.text()).unwrap_or_default(),
                ))
            })
            .collect())
    }

    /// The latent vectors of all teams (or demands), in dataset order.
    pub fn vectors(&self, kind: DocKind) -> Result<Vec<(String, Vec<f32>)>, MatchError> {
        let state = self.read()?;
        Ok(match kind {
            DocKind::Team => state
                .data
                .teams
                .iter()
                .zip(&state.teams)
                .map(|(t, r)| (t.id.0.clone(), r.vec.clone()))
                .collect(),
            DocKind::Demand => state
                .data
                .demands
                .iter()
                .zip(&state.demands)
                .map(|(d, r)| (d.id.0.clone(), r.vec.clone()))
                .collect(),
        })
    }

    /// Adds a team or replaces the one with its id; it is searchable and matchable when this returns.
    pub fn upsert_team(&self, team: Team) -> Result<(), MatchError> {
        let _writer = self.writer.lock().map_err(|_| MatchError::Poisoned)?;
        {
            let state = self.read()?;
            if !state
                .data
                .universities
                .iter()
                .any(|u| u.id == team.university_id)
            {
                return Err(MatchError::Invalid(format!(
                    "unknown university_id {:?}",
                    team.university_id.0
                )));
            }
            if let Some(t) = team
                .track_ids
                .iter()
                .find(|t| !self.tracks.index.contains_key(t.as_str()))
            {
                return Err(MatchError::Invalid(format!("unknown track id {:?}", t.0)));
            }
        }
        let analysed = corpus::analyse_team(&self.analyzer, &team);
        let mut state = self.write()?;
        let bags = corpus::team_bags(&mut state.interner, &self.config, &team, &analysed);
        state.sync_columns(&self.models);
        let replaced = state.team_slots.get(team.id.as_str()).copied();
        let terms: Vec<u32> = bags.all.iter().map(|&(t, _)| t).collect();
        let old_all = replaced.map(|slot| self.team_all(&state, slot));
        let rec = self.team_record(&state, &team, bags, replaced);
        state.count_team(&rec, terms.into_iter(), 1.0);
        state.fingerprint_sum = state.fingerprint_sum.wrapping_add(rec.hash);
        match state.team_slots.get(team.id.as_str()).copied() {
            Some(slot) => {
                let old = std::mem::replace(&mut state.teams[slot], rec);
                let st = &mut *state;
                let new = &st.teams[slot].bags;
                st.team_postings
                    .replace(slot, &old.bags.profile, &new.profile, new.profile_len);
                let old_terms = old_all.unwrap_or_default().into_iter().map(|(t, _)| t);
                state.count_team(&old, old_terms, -1.0);
                state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
                Arc::make_mut(&mut state.data).teams[slot] = team.clone();
            }
            None => {
                let slot = state.teams.len();
                state
                    .team_postings
                    .push(&rec.bags.profile, rec.bags.profile_len);
                state.teams.push(rec);
                Arc::make_mut(&mut state.data).teams.push(team.clone());
                state.team_slots.insert(team.id.0.clone(), slot);
                state
                    .team_keys
                    .insert(text_index::doc_key(team.id.as_str()), slot);
            }
        }
        state.reset_feedback();
        let fp = state.fingerprint();
        drop(state);
        self.index
            .upsert(DocKind::Team, &index_doc(team.id.as_str(), &analysed), &fp)?;
        Ok(())
    }

    /// Deletes a team (its pairs disappear from every ranking).
    pub fn delete_team(&self, team: &TeamId) -> Result<(), MatchError> {
        let _writer = self.writer.lock().map_err(|_| MatchError::Poisoned)?;
        let mut state = self.write()?;
        let slot = state.team_slot(team)?;
        let old_all = self.team_all(&state, slot);
        let old = state.teams.swap_remove(slot);
        let st = &mut *state;
        let last = st
            .teams
            .get(slot)
            .map_or(&old.bags.profile, |r| &r.bags.profile);
        st.team_postings.swap_remove(slot, &old.bags.profile, last);
        state.count_team(&old, old_all.into_iter().map(|(t, _)| t), -1.0);
        state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
        Arc::make_mut(&mut state.data).teams.swap_remove(slot);
        state.team_slots.remove(team.as_str());
        state.team_keys.remove(&text_index::doc_key(team.as_str()));
        if slot < state.teams.len() {
            let moved = state.data.teams[slot].id.0.clone();
            state.team_keys.insert(text_index::doc_key(&moved), slot);
            state.team_slots.insert(moved, slot);
        }
        state.loads.remove(team.as_str());
        state.reset_feedback();
        let fp = state.fingerprint();
        drop(state);
        self.index.delete(DocKind::Team, team.as_str(), &fp)?;
        Ok(())
    }

    /// Adds a demand or replaces the one with its id; it is searchable and matchable when this returns.
    pub fn upsert_demand(&self, demand: Demand) -> Result<(), MatchError> {
        let _writer = self.writer.lock().map_err(|_| MatchError::Poisoned)?;
        {
            let state = self.read()?;
            if !state.data.zones.iter().any(|z| z.id == demand.zone_id) {
                return Err(MatchError::Invalid(format!(
                    "unknown zone_id {:?}",
                    demand.zone_id.0
                )));
            }
            if let Some(t) = demand
                .track_ids
                .iter()
                .find(|t| !self.tracks.index.contains_key(t.as_str()))
            {
                return Err(MatchError::Invalid(format!("unknown track id {:?}", t.0)));
            }
        }
        let analysed = corpus::analyse_demand(&self.analyzer, &demand);
        let mut state = self.write()?;
        let bags = corpus::demand_bags(&mut state.interner, &self.config, &demand, &analysed);
        state.sync_columns(&self.models);
        let vec = self.embed(&state, &bags.all);
        let rec = DemandRec {
            expanded: OnceLock::new(),
            cluster: self
                .models
                .clusters
                .as_ref()
                .map(|c| c.centroids.assign(&vec).0),
            tracks: resolve_tracks(&self.tracks, &demand.track_ids, &vec),
            city: state
                .data
                .zones
                .iter()
                .find(|z| z.id == demand.zone_id)
                .map(|z| z.city.clone()),
            hash: corpus::record_hash("demand", &demand),
            bags: bags.pack(),
            vec,
        };
        state.demand_df.add(rec.bags.query.terms());
        state.fingerprint_sum = state.fingerprint_sum.wrapping_add(rec.hash);
        match state.demand_slots.get(demand.id.as_str()).copied() {
            Some(slot) => {
                let old = std::mem::replace(&mut state.demands[slot], rec);
                let st = &mut *state;
                let new = &st.demands[slot].bags.query;
                st.demand_postings
                    .replace(slot, &old.bags.query, new, new.weight_sum());
                state.demand_df.remove(old.bags.query.terms());
                state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
                Arc::make_mut(&mut state.data).demands[slot] = demand.clone();
            }
            None => {
                let slot = state.demands.len();
                let len = rec.bags.query.weight_sum();
                state.demand_postings.push(&rec.bags.query, len);
                state.demands.push(rec);
                Arc::make_mut(&mut state.data).demands.push(demand.clone());
                state.demand_slots.insert(demand.id.0.clone(), slot);
                state
                    .demand_keys
                    .insert(text_index::doc_key(demand.id.as_str()), slot);
            }
        }
        let fp = state.fingerprint();
        drop(state);
        self.index.upsert(
            DocKind::Demand,
            &index_doc(demand.id.as_str(), &analysed),
            &fp,
        )?;
        Ok(())
    }

    /// Deletes a demand.
    pub fn delete_demand(&self, demand: &DemandId) -> Result<(), MatchError> {
        let _writer = self.writer.lock().map_err(|_| MatchError::Poisoned)?;
        let mut state = self.write()?;
        let slot = state.demand_slot(demand)?;
        let old = state.demands.swap_remove(slot);
        let st = &mut *state;
        let last = st
            .demands
            .get(slot)
            .map_or(&old.bags.query, |r| &r.bags.query);
        st.demand_postings.swap_remove(slot, &old.bags.query, last);
        state.demand_df.remove(old.bags.query.terms());
        state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
        Arc::make_mut(&mut state.data).demands.swap_remove(slot);
        state.demand_slots.remove(demand.as_str());
        state
            .demand_keys
            .remove(&text_index::doc_key(demand.as_str()));
        if slot < state.demands.len() {
            let moved = state.data.demands[slot].id.0.clone();
            state.demand_keys.insert(text_index::doc_key(&moved), slot);
            state.demand_slots.insert(moved, slot);
        }
        let fp = state.fingerprint();
        drop(state);
        self.index.delete(DocKind::Demand, demand.as_str(), &fp)?;
        Ok(())
    }

    /// The `all` bag of the team in `slot` (raw counts of all its text), from its text.
    fn team_all(&self, state: &State, slot: usize) -> Bag {
        state.data.teams.get(slot).map_or_else(Bag::new, |team| {
            corpus::all_counts(&state.interner, &corpus::analyse_team(&self.analyzer, team))
        })
    }

    fn embed(&self, state: &State, bag: &Bag) -> Vec<f32> {
        embed_pairs(&self.models, &state.columns, bag.iter().copied())
    }

    /// The record of a new or changed team; its vector is smoothed over the other teams' vectors
    /// (`replaced`: the slot of the team's previous version, left out).
    fn team_record(
        &self,
        state: &State,
        team: &Team,
        bags: TeamBags,
        replaced: Option<usize>,
    ) -> TeamRec {
        let raw = self.embed(state, &bags.all);
        let others = state.teams.len() - usize::from(replaced.is_some());
        let mut levels = crate::models::smooth_one(
            &raw,
            |level, j| {
                let j = match replaced {
                    Some(r) if j >= r => j + 1,
                    _ => j,
                };
                let team = &state.teams[j];
                team.levels.get(level).unwrap_or(&team.vec)
            },
            others,
            &self.models.meta.params.smooth,
        );
        let vec = levels.pop().unwrap_or_default();
        let achievement_vecs = bags
            .achievements
            .iter()
            .map(|(b, _)| QVec::new(&self.embed(state, b)))
            .collect();
        TeamRec {
            cluster: self
                .models
                .clusters
                .as_ref()
                .map(|c| c.centroids.assign(&vec).0),
            tracks: resolve_tracks(&self.tracks, &team.track_ids, &vec),
            evidence: corpus::evidence(team, state.reference_year),
            city: state
                .data
                .universities
                .iter()
                .find(|u| u.id == team.university_id)
                .map(|u| u.city.clone()),
            hash: corpus::record_hash("team", team),
            bags: bags.pack(),
            vec,
            levels,
            achievement_vecs,
        }
    }

    fn total(&self, values: &[f32; N_FEATURES]) -> f32 {
        let w = self.config.weights.as_array();
        values
            .iter()
            .zip(w)
            .map(|(v, w)| v * w)
            .sum::<f32>()
            .clamp(0.0, 1.0)
    }

    fn query(&self, state: &State, d: usize) -> Query {
        let demand = &state.demands[d];
        let lexical = Terms::new(
            demand
                .bags
                .query
                .iter()
                .map(|(t, qw)| (t, qw * state.team_df.idf(t)))
                .collect(),
        );
        let bigrams = Terms::new(
            demand
                .bags
                .bigrams
                .iter()
                .map(|(k, qw)| (k, qw * state.team_bigrams.idf(k)))
                .collect(),
        );
        let feedback = demand
            .expanded
            .get_or_init(|| self.feedback(state, d, &lexical, &bigrams));
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

    /// Lexical relevance of a team profile: BM25 of the demand's words plus `bigram_weight` times BM25 of
    /// its character bigrams, as a share of the best possible; `on_match(term, share)` for matched words.
    fn lexical(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        team: &TeamRec,
        on_match: impl FnMut(u32, f32),
    ) -> f32 {
        self.lexical_with(state, words, bigrams, team, true, on_match)
    }

    /// An upper bound of [`Engine::lexical`] that skips the bigram part: it counts every bigram of the
    /// demand as matched in full. Rounding is monotonic and each bigram's BM25 part is at most its weight,
    /// so the bound holds in floating point too.
    fn lexical_bound(&self, state: &State, words: &Terms, bigrams: &Terms, team: &TeamRec) -> f32 {
        self.lexical_with(state, words, bigrams, team, false, |_, _| {})
    }

    /// [`Engine::lexical`] (`bigrams_scored`) or [`Engine::lexical_bound`].
    fn lexical_with(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        team: &TeamRec,
        bigrams_scored: bool,
        mut on_match: impl FnMut(u32, f32),
    ) -> f32 {
        let cfg = &self.config.bm25;
        let upper = words.upper + cfg.bigram_weight * bigrams.upper;
        if upper <= 0.0 {
            return 0.0;
        }
        let avg_profile = (state.profile_len_sum / f64::from(state.team_df.docs.max(1))) as f32;
        let word_part = bm25_sum(
            words,
            &team.bags.profile,
            team.bags.profile_len,
            avg_profile,
            cfg.k1,
            cfg.b,
            |t, part| on_match(t, part / upper),
        );
        let bigram_part = if cfg.bigram_weight <= 0.0 {
            0.0
        } else if bigrams_scored {
            bm25_sum(
                bigrams,
                &team.bags.bigrams,
                team.bags.bigram_len,
                state.team_bigrams.avg_len(),
                cfg.k1,
                cfg.b,
                |_, _| {},
            )
        } else {
            bigrams.upper
        };
        ((word_part + cfg.bigram_weight * bigram_part) / upper).clamp(0.0, 1.0)
    }

    /// Pseudo-relevance feedback for a demand: a lexical-only first pass over the teams (all of them, or
    /// the demand's nearest teams in the latent space), whose best `documents` teams stand for the
    /// demand's topic. The best team's own lexical share says how far to trust them.
    fn feedback(&self, state: &State, d: usize, words: &Terms, bigrams: &Terms) -> Feedback {
        let n = self.config.feedback.documents;
        if n == 0 || state.teams.is_empty() {
            return Feedback::default();
        }
        let r = &self.config.retrieval;
        // Above `exhaustive_below` teams the first pass reads the demand's latent neighbours only: a text
        // index query per demand would make precomputing every demand's feedback too slow at 100k teams.
        let candidates: Vec<usize> = if state.teams.len() <= r.exhaustive_below {
            (0..state.teams.len()).collect()
        } else {
            let mut v = self.nearest(
                &state.demands[d].vec,
                state.teams.len(),
                r.semantic_candidates,
                |t| (state.teams[t].cluster, &state.teams[t].vec),
            );
            v.sort_unstable();
            v
        };
        // The best `n` positive lexical shares, exactly: the bound is the share with every bigram matched,
        // so the bigram part is computed only while a bound can still reach the `n`-th best.
        let bounded: Vec<(usize, f32, ())> = candidates
            .into_iter()
            .map(|t| {
                (
                    t,
                    self.lexical_bound(state, words, bigrams, &state.teams[t]),
                    (),
                )
            })
            .filter(|(_, b, _)| *b > 0.0)
            .collect();
        let mut scored = top_by_bound(bounded, n, 1, |t, ()| {
            self.lexical(state, words, bigrams, &state.teams[t], |_, _| {})
        });
        scored.retain(|(_, s)| *s > 0.0);
        let confidence = scored.first().map_or(0.0, |s| s.1);
        Feedback {
            teams: scored.iter().map(|&(t, _)| t as u32).collect(),
            confidence,
        }
    }

    /// The unit mean latent vector of a demand's feedback teams (empty when there are none).
    fn expansion(&self, state: &State, d: usize, feedback: &Feedback) -> Expansion {
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

    fn features(&self, state: &State, d: usize, q: &Query, t: usize, detail: bool) -> PairFeatures {
        let mut f = self.base_features(state, d, q, t, detail);
        self.add_achievements(state, d, q, t, detail, &mut f);
        f
    }

    /// Every feature but `achievements`, which is left at 0 (see [`Engine::add_achievements`]).
    fn base_features(
        &self,
        state: &State,
        d: usize,
        q: &Query,
        t: usize,
        detail: bool,
    ) -> PairFeatures {
        let demand = &state.demands[d];
        let team = &state.teams[t];
        let mut profile_terms = Vec::new();
        let lexical = self.lexical(state, &q.lexical, &q.bigrams, team, |t, s| {
            if detail {
                profile_terms.push((t, s));
            }
        });
        let feedback = if q.expansion.vec.is_empty() {
            0.0
        } else {
            dot(&q.expansion.vec, &team.vec).max(0.0) * q.expansion.confidence
        };
        let semantic = dot(&demand.vec, &team.vec).max(0.0);
        let shared_track = shared_track(&self.tracks, &demand.tracks, &team.tracks);
        let track = match shared_track {
            Some((_, true)) => 1.0,
            Some((_, false)) => 0.5,
            None => 0.0,
        };
        let cluster = match (&self.models.clusters, team.cluster) {
            (Some(c), Some(k)) => dot(&q.cluster_vec, c.centroids.centroid(k)).max(0.0),
            _ => 0.0,
        };
        let proximity = match (&demand.city, &team.city) {
            (Some(a), Some(b)) if a == b => 1.0,
            _ => 0.0,
        };
        let team_data = &state.data.teams[t];
        let capacity = if team_data.capacity == 0 {
            0.0
        } else {
            let load = state.loads.get(team_data.id.as_str()).copied().unwrap_or(0);
            team_data.capacity.saturating_sub(load) as f32 / team_data.capacity as f32
        };
        PairFeatures {
            values: [
                lexical,
                feedback,
                semantic,
                0.0,
                track,
                cluster,
                team.evidence,
                proximity,
                capacity,
            ]
            .map(|v| v.clamp(0.0, 1.0)),
            profile_terms,
            achievements: Vec::new(),
            shared_track,
        }
    }

    /// The `achievements` feature: the team as a set of achievements, each scored by its BM25 share and
    /// its LSA cosine with the demand; the best and the mean of the best three count.
    fn add_achievements(
        &self,
        state: &State,
        d: usize,
        q: &Query,
        t: usize,
        detail: bool,
        f: &mut PairFeatures,
    ) {
        let demand = &state.demands[d];
        let team = &state.teams[t];
        let cfg = &self.config.bm25;
        let avg_achievement = (state.achievement_len_sum / state.achievements.max(1) as f64) as f32;
        let relevance = team
            .bags
            .achievements
            .iter()
            .zip(&team.achievement_vecs)
            .enumerate()
            .map(|(i, ((bag, len), v))| {
                let lex = bm25_share(
                    &q.lexical,
                    bag,
                    *len,
                    avg_achievement,
                    cfg.k1,
                    cfg.b,
                    |_, _| {},
                );
                let sem = v.dot(&demand.vec).clamp(0.0, 1.0);
                (i, 0.5 * lex + 0.5 * sem)
            });
        // The three best relevances, best first (a full sort only when the explanation lists them all).
        let mut achievements: Vec<(usize, f32)> = Vec::new();
        let mut best3 = [0f32; 3];
        if detail {
            achievements = relevance.collect();
            achievements.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
            for (slot, a) in best3.iter_mut().zip(&achievements) {
                *slot = a.1;
            }
        } else {
            for (_, r) in relevance {
                if let Some(at) = best3.iter().position(|&b| r > b) {
                    best3.copy_within(at..2, at + 1);
                    best3[at] = r;
                }
            }
        }
        let top3: f32 = best3.iter().sum::<f32>() / 3.0;
        let achievement_value = 0.5 * best3[0] + 0.5 * top3;
        f.values[config::ACHIEVEMENTS] = achievement_value.clamp(0.0, 1.0);
        if detail {
            f.achievements = achievements;
        }
    }

    /// The best `limit` of `teams` for demand `d` as `(team, score)`, best first (see [`Engine::best_pairs`]).
    fn best_teams(
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
            |t| (self.base_features(state, d, q, t, false), ()),
            |t, _, f| self.add_achievements(state, d, q, t, false, f),
        )
    }

    /// The best `limit` of `items` by score, best first: exactly the list that scoring every item in full
    /// and keeping the best with [`top_k`] gives. `base(i)` gives an item's features but `achievements`
    /// (and whatever `complete` needs again, such as the item's query), and `complete(i, x, f)` adds
    /// `achievements`. Every item is bounded by its score with `achievements` at 1 (rounding is monotonic,
    /// so the bound holds in floating point too), and [`top_by_bound`] completes only the items whose
    /// bound can still reach the `limit`-th best, so the dearest feature is computed for few.
    fn best_pairs<X, B, C>(
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
        let bound = |i: usize| {
            let (f, x) = base(i);
            let mut upper = f.values;
            upper[config::ACHIEVEMENTS] = 1.0;
            (i, self.total(&upper), (f, x))
        };
        let spread = spread();
        let chunk = if items.len() > 2048 {
            512
        } else if spread && items.len() > SPREAD_MIN {
            items.len().div_ceil(2 * rayon::current_num_threads())
        } else {
            0
        };
        let bounded: Vec<(usize, f32, (PairFeatures, X))> = if chunk > 0 {
            items
                .par_chunks(chunk)
                .flat_map_iter(|c| c.iter().map(|&i| bound(i)).collect::<Vec<_>>())
                .collect()
        } else {
            items.iter().map(|&i| bound(i)).collect()
        };
        let batch = if spread { SPREAD_BATCH } else { 1 };
        top_by_bound(bounded, limit, batch, |i, (mut f, x)| {
            complete(i, &x, &mut f);
            self.total(&f.values)
        })
    }

    fn rank_teams_in(
        &self,
        state: &State,
        d: usize,
        limit: usize,
    ) -> Result<Vec<(usize, f32, PairFeatures)>, MatchError> {
        let q = self.query(state, d);
        let r = &self.config.retrieval;
        let candidates: Vec<usize> = if state.teams.len() <= r.exhaustive_below {
            (0..state.teams.len()).collect()
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
                            state.teams.len(),
                            r.semantic_candidates.max(limit),
                            |t| (state.teams[t].cluster, &state.teams[t].vec),
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
            v
        };
        let scored = self.best_teams(state, d, &q, &candidates, limit);
        Ok(spread_map(scored, |(t, s)| {
            (t, s, self.features(state, d, &q, t, true))
        }))
    }

    /// The best `lexical_candidates` (at least `limit`) documents of `postings` for the `query_terms`
    /// heaviest of `terms`.
    fn lexical_candidates(
        &self,
        postings: &postings::Postings,
        mut terms: Vec<(u32, f32)>,
        limit: usize,
    ) -> Vec<usize> {
        let (r, cfg) = (&self.config.retrieval, &self.config.bm25);
        top_k(&mut terms, r.query_terms);
        postings.top(&terms, r.lexical_candidates.max(limit), cfg.k1, cfg.b)
    }

    fn rank_demands_in(
        &self,
        state: &State,
        t: usize,
        limit: usize,
    ) -> Result<Vec<(usize, f32, PairFeatures)>, MatchError> {
        let r = &self.config.retrieval;
        let candidates: Vec<usize> = if state.demands.len() <= r.exhaustive_below {
            (0..state.demands.len()).collect()
        } else {
            let team = &state.teams[t];
            let lexical = || {
                let terms: Vec<(u32, f32)> = self
                    .team_all(state, t)
                    .iter()
                    .map(|&(term, c)| (term, corpus::dampen(c) * state.demand_df.idf(term)))
                    .collect();
                self.lexical_candidates(&state.demand_postings, terms, limit)
            };
            let semantic = || {
                self.nearest(
                    &team.vec,
                    state.demands.len(),
                    r.semantic_candidates.max(limit),
                    |d| (state.demands[d].cluster, &state.demands[d].vec),
                )
            };
            let (lexical, semantic) = join(lexical, semantic);
            let mut set: FxHashSet<usize> = FxHashSet::default();
            set.extend(lexical);
            set.extend(semantic);
            let mut v: Vec<usize> = set.into_iter().collect();
            v.sort_unstable();
            v
        };
        let scored = self.best_pairs(
            &candidates,
            limit,
            |d| {
                let q = self.query(state, d);
                (self.base_features(state, d, &q, t, false), q)
            },
            |d, q, f| self.add_achievements(state, d, q, t, false, f),
        );
        Ok(spread_map(scored, |(d, s)| {
            let q = self.query(state, d);
            (d, s, self.features(state, d, &q, t, true))
        }))
    }

    /// Indices of the `n` documents nearest to `v` in the latent space, scanning the nearest clusters until
    /// at least `4n` documents were seen (all documents when there are no clusters).
    fn nearest<'s>(
        &self,
        v: &[f32],
        count: usize,
        n: usize,
        doc: impl Fn(usize) -> (Option<usize>, &'s Vec<f32>),
    ) -> Vec<usize> {
        let mut scored: Vec<(usize, f32)> = match &self.models.clusters {
            Some(c) if count > 0 => {
                let sims = c.centroids.similarities(v);
                let mut order: Vec<usize> = (0..sims.len()).collect();
                order.sort_by(|&a, &b| {
                    sims[b]
                        .partial_cmp(&sims[a])
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
                let members = self.members(count, sims.len(), &doc);
                let mut out = Vec::new();
                for (probed, &k) in order.iter().enumerate() {
                    if probed >= 2 && out.len() >= 4 * n {
                        break;
                    }
                    members.scan(k, v, &mut out);
                }
                out
            }
            _ => (0..count).map(|i| (i, search::dot(v, doc(i).1))).collect(),
        };
        top_k(&mut scored, n);
        scored.into_iter().map(|(i, _)| i).collect()
    }

    fn pair_match(
        &self,
        state: &State,
        d: usize,
        t: usize,
        score: f32,
        f: &PairFeatures,
    ) -> PairMatch {
        let demand = &state.data.demands[d];
        let team = &state.data.teams[t];
        let weights = self.config.weights.as_array();
        let contributions: Vec<Contribution> = FEATURES
            .iter()
            .zip(f.values.iter().zip(weights))
            .map(|(name, (v, w))| Contribution {
                feature: name,
                value: *v,
                weight: w,
                contribution: v * w,
            })
            .collect();
        // Matched terms: profile and best achievement, each term at its larger share.
        let q = self.query(state, d);
        let mut shares: HashMap<u32, f32> = HashMap::new();
        for &(term, s) in &f.profile_terms {
            shares.insert(term, s);
        }
        let best = f.achievements.first().copied();
        if let Some((i, _)) = best {
            let rec = &state.teams[t];
            if let Some((bag, len)) = rec.bags.achievements.get(i) {
                let avg = (state.achievement_len_sum / state.achievements.max(1) as f64) as f32;
                bm25_share(
                    &q.lexical,
                    bag,
                    *len,
                    avg,
                    self.config.bm25.k1,
                    self.config.bm25.b,
                    |term, s| {
                        let e = shares.entry(term).or_insert(0.0);
                        *e = e.max(s);
                    },
                );
            }
        }
        let mut matched: Vec<(u32, f32)> = shares.into_iter().collect();
        matched.sort_by(|a, b| {
            b.1.partial_cmp(&a.1)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        // Drop terms contained in a heavier matched term (search mode yields both 电池 and 锂离子电池).
        let mut kept: Vec<MatchedTerm> = Vec::new();
        for (term, s) in matched {
            let text = state.interner.term(term);
            if kept.iter().any(|k| k.term.contains(text)) {
                continue;
            }
            kept.push(MatchedTerm {
                term: text.to_owned(),
                weight: s,
            });
            if kept.len() == 10 {
                break;
            }
        }
        let best_value = best.map_or(0.0, |b| b.1);
        let relevant = f
            .achievements
            .iter()
            .filter(|(_, r)| *r >= 0.2 && *r >= 0.6 * best_value)
            .count();
        let best_achievement = best.filter(|(_, r)| *r > 0.0).and_then(|(i, r)| {
            let a = team.achievements.get(i)?;
            let terms: HashSet<String> = q
                .lexical
                .terms
                .iter()
                .map(|(t, _)| state.interner.term(*t).to_owned())
                .collect();
            Some(AchievementEvidence {
                index: i,
                kind: a.kind,
                title: a.title.clone(),
                year: a.year,
                relevance: r,
                snippet: text_index::highlight(
                    &self.analyzer,
                    &corpus::achievement_text(a),
                    &terms,
                    120,
                ),
            })
        });
        let shared_track = f.shared_track.map(|(k, exact)| TrackRef {
            id: self.tracks.ids[k].clone(),
            name: self.tracks.names[k].clone(),
            exact,
        });
        let (cluster, cluster_terms) = match (&self.models.clusters, state.teams[t].cluster) {
            (Some(c), Some(k)) => {
                let label = c.labels.get(k);
                (
                    Some(ClusterRef {
                        id: k,
                        label: label.map(|l| l.text()).unwrap_or_default(),
                        shared: state.demands[d].cluster == Some(k),
                    }),
                    label.map(|l| l.top_terms.clone()).unwrap_or_default(),
                )
            }
            _ => (None, Vec::new()),
        };
        let (summary, summary_en) = explain::summaries(
            score,
            &kept,
            relevant,
            shared_track.as_ref(),
            &cluster_terms,
        );
        PairMatch {
            demand_id: demand.id.clone(),
            team_id: team.id.clone(),
            score,
            explanation: Explanation {
                contributions,
                matched_terms: kept,
                best_achievement,
                relevant_achievements: relevant,
                shared_track,
                cluster,
                summary,
                summary_en,
            },
        }
    }
}

impl State {
    fn team_slot(&self, id: &TeamId) -> Result<usize, MatchError> {
        self.team_slots
            .get(id.as_str())
            .copied()
            .ok_or_else(|| MatchError::NotFound {
                kind: "team",
                id: id.0.clone(),
            })
    }

    fn demand_slot(&self, id: &DemandId) -> Result<usize, MatchError> {
        self.demand_slots
            .get(id.as_str())
            .copied()
            .ok_or_else(|| MatchError::NotFound {
                kind: "demand",
                id: id.0.clone(),
            })
    }

    /// Adds (`sign` 1) or removes (`sign` -1) a team's statistics (`all`: the terms of its `all` bag).
    fn count_team(&mut self, rec: &TeamRec, all: impl Iterator<Item = u32>, sign: f64) {
        if sign > 0.0 {
            self.team_df.add(all);
        } else {
            self.team_df.remove(all);
        }
        self.count_team_bags(rec, sign);
    }

    /// [`State::count_team`] without the document frequencies of the `all` bag.
    fn count_team_bags(&mut self, rec: &TeamRec, sign: f64) {
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

    /// Team changes alter every demand's first pass: feedback is recomputed on next use.
    fn reset_feedback(&mut self) {
        for d in &mut self.demands {
            d.expanded = OnceLock::new();
        }
    }

    fn sync_columns(&mut self, models: &Models) {
        while self.columns.len() < self.interner.len() {
            let term = self.interner.term(self.columns.len() as u32);
            self.columns
                .push(models.tfidf.column(term).unwrap_or(u32::MAX));
        }
    }

    fn fingerprint(&self) -> String {
        fingerprint_hex(self.fingerprint_sum)
    }
}

/// Declared tracks, or the nearest track when none is declared and it is close enough (cosine ≥ 0.25).
fn resolve_tracks(tracks: &Tracks, declared: &[crate::domain::TrackId], v: &[f32]) -> Vec<usize> {
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

/// A track shared by both sides (`exact`), or one that relates them (parent, child or sibling).
fn shared_track(tracks: &Tracks, a: &[usize], b: &[usize]) -> Option<(usize, bool)> {
    if let Some(&t) = a.iter().find(|t| b.contains(t)) {
        return Some((t, true));
    }
    for &x in a {
        for &y in b {
            let (px, py) = (tracks.parent[x], tracks.parent[y]);
            if px == Some(y) {
                return Some((y, false));
            }
            if py == Some(x) {
                return Some((x, false));
            }
            if let (Some(p), Some(q)) = (px, py)
                && p == q
            {
                return Some((p, false));
            }
        }
    }
    None
}

/// The best `n` items by score (`(item, score)`, best first, ties by item) that [`top_k`] over every item's
/// score would give, for items that come with an upper bound of their score: items are scored by
/// `complete(item, x)` in order of their bound, until no bound left can reach the `n`-th best score.
/// With `batch` above 1 items are completed over the pool, `batch` at a time once `n` are scored: the few
/// completed beyond those one at a time would complete score below the `n`-th best, so the list is the same.
fn top_by_bound<X: Send>(
    mut bounded: Vec<(usize, f32, X)>,
    n: usize,
    batch: usize,
    complete: impl Fn(usize, X) -> f32 + Sync,
) -> Vec<(usize, f32)> {
    if n == 0 {
        return Vec::new();
    }
    bounded.sort_unstable_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(n + 1);
    let mut rest = bounded.into_iter().peekable();
    loop {
        // While the list is short every item is completed; after that, items whose bound can still
        // reach its last are taken `batch` at a time.
        let size = if batch <= 1 {
            1
        } else if best.len() < n {
            n - best.len()
        } else {
            batch
        };
        let mut todo = Vec::with_capacity(size);
        while todo.len() < size {
            let open = |item: &(usize, f32, X)| !(best.len() == n && item.1 < best[n - 1].1);
            match rest.next_if(open) {
                Some(item) => todo.push(item),
                None => break,
            }
        }
        if todo.is_empty() {
            return best;
        }
        if todo.len() == 1 {
            for (i, _, x) in todo {
                insert_ranked(&mut best, n, (i, complete(i, x)));
            }
        } else {
            let scored: Vec<(usize, f32)> = todo
                .into_par_iter()
                .map(|(i, _, x)| (i, complete(i, x)))
                .collect();
            for s in scored {
                insert_ranked(&mut best, n, s);
            }
        }
    }
}

/// Whether a ranking spreads its work over the thread pool: yes when it is called from outside the pool
/// (one request, which wants its answer soon), no on a pool thread (a batch already runs one ranking per
/// core, and splitting each would only add work).
fn spread() -> bool {
    rayon::current_thread_index().is_none() && rayon::current_num_threads() > 1
}

/// Fewest candidates whose scoring is split over the pool.
const SPREAD_MIN: usize = 64;

/// Candidates completed at once, over the pool, once the list is full (a few more than one at a time
/// would complete, none of which can enter the list).
const SPREAD_BATCH: usize = 8;

/// `f` over `items`, in order, over the pool when [`spread`] says so.
fn spread_map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    if spread() && items.len() > 1 {
        items.into_par_iter().map(f).collect()
    } else {
        items.into_iter().map(f).collect()
    }
}

/// `a` and `b`, side by side over the pool when [`spread`] says so.
fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    if spread() {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// The order of ranked items: higher score first, then lower key.
fn rank_order<T: Ord>(a: &(T, f32), b: &(T, f32)) -> std::cmp::Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then(a.0.cmp(&b.0))
}

/// Keeps the best `k` of `v` in [`rank_order`], sorted.
fn top_k<T: Copy + Ord>(v: &mut Vec<(T, f32)>, k: usize) {
    if k < v.len() {
        if k == 0 {
            v.clear();
            return;
        }
        if v.len() > 8 * k {
            *v = top_k_of(v.iter().copied(), k);
            return;
        }
        v.select_nth_unstable_by(k - 1, rank_order);
        v.truncate(k);
    }
    v.sort_by(rank_order);
}

/// The best `k` of `items` in [`rank_order`], sorted, in one pass: a sorted list of the best so far, which
/// most items of a long input leave at one comparison with its last.
fn top_k_of<T: Copy + Ord>(items: impl Iterator<Item = (T, f32)>, k: usize) -> Vec<(T, f32)> {
    let mut best: Vec<(T, f32)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    for x in items {
        insert_ranked(&mut best, k, x);
    }
    best
}

/// Adds `x` to `best`, a list of at most `k` (≥ 1) items sorted in [`rank_order`], when it ranks among them.
fn insert_ranked<T: Ord>(best: &mut Vec<(T, f32)>, k: usize, x: (T, f32)) {
    if best.len() == k {
        if rank_order(&x, &best[k - 1]) != std::cmp::Ordering::Less {
            return;
        }
        best.pop();
    }
    let at = best.partition_point(|y| rank_order(y, &x) == std::cmp::Ordering::Less);
    best.insert(at, x);
}

/// Text shown for a team search hit: the achievement or description holding the query terms, else the
/// description.
fn team_search_text(team: &Team, terms: &HashSet<String>, analyzer: &Analyzer) -> String {
    let mut best = (0usize, team.description.clone());
    let candidates = std::iter::once(team.description.clone())
        .chain(team.achievements.iter().map(corpus::achievement_text));
    for text in candidates {
        let mut hits = 0;
        analyzer.for_each_token(&text, |t, _, _| {
            if terms.contains(t) {
                hits += 1;
            }
        });
        if hits > best.0 {
            best = (hits, text);
        }
    }
    if best.1.is_empty() {
        team.name.clone()
    } else {
        best.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible sequence of pseudo-random numbers (a linear congruential generator).
    fn numbers(mut seed: u64) -> impl FnMut() -> u32 {
        move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        }
    }

    /// Both top-k paths (selection for short inputs, one pass for long ones) keep exactly the first `k`
    /// of a full sort, ties broken by key.
    #[test]
    fn top_k_is_the_head_of_a_full_sort() {
        let mut next = numbers(7);
        for len in [0usize, 1, 5, 40, 100, 1000] {
            // Scores from a small set, so that many tie.
            let items: Vec<(u32, f32)> = (0..len as u32)
                .map(|i| (i * 7 % 1009, (next() % 13) as f32 / 4.0))
                .collect();
            let mut sorted = items.clone();
            sorted.sort_by(rank_order);
            for k in [0usize, 1, 3, 10, 120] {
                let want: Vec<(u32, f32)> = sorted.iter().copied().take(k).collect();
                let mut got = items.clone();
                top_k(&mut got, k);
                assert_eq!(got, want, "top_k len {len} k {k}");
                assert_eq!(
                    top_k_of(items.iter().copied(), k),
                    want,
                    "top_k_of len {len} k {k}"
                );
            }
        }
    }

    /// Completing by bound, one at a time or in batches over the pool, gives the head of a full sort, and
    /// completes few items when bounds are tight.
    #[test]
    fn top_by_bound_is_the_head_of_a_full_sort() {
        let mut next = numbers(11);
        for len in [0usize, 1, 7, 60, 500] {
            // Scores tie often; bounds are the score plus up to 1.
            let items: Vec<(usize, f32, f32)> = (0..len)
                .map(|i| {
                    let score = (next() % 13) as f32 / 4.0;
                    (i * 7 % 1009, score + (next() % 5) as f32 / 4.0, score)
                })
                .collect();
            let mut sorted: Vec<(usize, f32)> = items.iter().map(|&(i, _, s)| (i, s)).collect();
            sorted.sort_by(rank_order);
            for n in [0usize, 1, 3, 20, 600] {
                let want: Vec<(usize, f32)> = sorted.iter().copied().take(n).collect();
                for batch in [1, 2, 8] {
                    let completed = std::sync::atomic::AtomicUsize::new(0);
                    let bounded: Vec<(usize, f32, f32)> = items.clone();
                    let got = top_by_bound(bounded, n, batch, |_, score| {
                        completed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        score
                    });
                    assert_eq!(got, want, "len {len} n {n} batch {batch}");
                    if n > 0 && n < len && batch == 1 {
                        assert!(
                            completed.into_inner() < len,
                            "len {len} n {n}: completed all"
                        );
                    }
                }
            }
        }
    }
}
