//! Opening the engine: [`Engine::open`] and its options and report.
//!
//! Opening runs in steps, each a function below: hash every record (the dataset fingerprint); analyse every
//! text once, feeding the text index when it has to be rebuilt ([`build`](super::build) is that parallel
//! path); load the models when they were trained on this very dataset, else train them; then make the
//! latent vectors, clusters and tracks of every record and the statistics of the engine state.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::analysis::Analyzer;
use crate::domain::{Dataset, TrackId};
use crate::models::{Levels, ModelError, Models, TrainInput, TrainParams, TrainReport};
use crate::text_index::{IndexBuilder, TextIndex};

use super::build;
use super::config::ScoringConfig;
use super::corpus::{self, Bag, Interner, PackedDemandBags, PackedTeamBags, QVec, TeamBags};
use super::packed::Packed;
use super::state::{
    DemandRec, State, TeamRec, Tracks, dataset_hash, embed_pairs, fingerprint_hex,
    other_records_hash, resolve_tracks,
};
use super::{Engine, MatchError};

/// Below this many teams the latent space is fitted on teams and demands together.
const TEAM_SPACE_MIN_TEAMS: usize = 200;

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

/// Options of [`Engine::open`]; the default reads the scoring configuration from the models directory,
/// trains only when the saved models do not match the dataset, and saves what it trains.
#[derive(Clone, Copy)]
pub struct OpenOptions<'a> {
    /// Scoring configuration; `None` reads `scoring.toml` from the models directory (or the shipped one).
    pub config: Option<ScoringConfig>,
    pub train: TrainParams,
    /// Retrain even when the saved models match the dataset.
    pub force_train: bool,
    /// Write trained models to the models directory.
    pub save_models: bool,
    /// Compute every demand's pseudo-relevance feedback while opening, so that no query waits for the
    /// expansions of its candidates; see [`Engine::precompute_feedback`].
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
            precompute_feedback: true,
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

impl OpenOptions<'_> {
    fn progress(&self, stage: &str, done: usize, total: usize) {
        if let Some(p) = self.progress {
            p(stage, done, total);
        }
    }
}

impl Engine {
    /// Opens the engine on `data`, which it keeps as it is (pass an `Arc` to share it without a copy):
    /// reopens the text index under `index_dir` when its manifest matches, else rebuilds it; loads the
    /// models in `models_dir` when they were trained on this dataset, else trains them (and saves them
    /// there unless `options` say not to). Scoring weights come from `options.config`, else from
    /// `models_dir/scoring.toml` (or the shipped ones). Also returns what happened.
    pub fn open(
        data: impl Into<Arc<Dataset>>,
        index_dir: &Path,
        models_dir: &Path,
        options: &OpenOptions<'_>,
    ) -> Result<(Engine, OpenReport), MatchError> {
        let mut shared: Arc<Dataset> = data.into();
        if let Some(data) = Arc::get_mut(&mut shared) {
            // Room for the records added after opening (see `with_headroom`), made while memory is low.
            data.teams.reserve_exact(headroom(data.teams.len()));
            data.demands.reserve_exact(headroom(data.demands.len()));
        }
        let data: &Dataset = &shared;
        let analyzer = Analyzer::shared();
        let config = match options.config {
            Some(c) => c,
            None => ScoringConfig::load(models_dir)?,
        };
        let t_fp = Instant::now();
        let hashes = Hashes::of(data);
        let fp = fingerprint_hex(hashes.sum);
        let seconds_fingerprint = t_fp.elapsed().as_secs_f32();

        // 1. Analyse every text once, feeding the text index when it has to be rebuilt.
        let texts = analyse_texts(data, &analyzer, &config, index_dir, &fp, options)?;
        let mut interner = texts.interner;
        let (demand_bags, demand_all): (Vec<_>, Vec<_>) = texts.demand_bags.into_iter().unzip();
        let (team_bags, team_all) = gather_teams(texts.team_bags);
        let mut team_df = corpus::Frequencies::default();
        for b in team_all.bags() {
            team_df.add(b.iter().map(|&(t, _)| t));
        }
        let track_bags = track_bags(data, &analyzer, &mut interner);

        // 2. Models: load when trained on this very dataset, else train (and save).
        let t_models = Instant::now();
        let trained = load_or_train(
            data,
            &analyzer,
            &interner,
            &fp,
            models_dir,
            options,
            &team_all.bags(),
            &demand_all,
            &track_bags,
        )?;
        let (models, train) = (trained.models, trained.report);
        let models_loaded = train.is_none();
        let seconds_models = t_models.elapsed().as_secs_f32();

        // 3. Vectors, clusters, tracks, evidence.
        let t_vectors = Instant::now();
        let columns = crate::models::column_map(interner.terms(), &models.tfidf);
        let track_vecs = track_bags
            .iter()
            .map(|b| embed_pairs(&models, &columns, b.iter().copied()))
            .collect();
        let tracks = Tracks::new(data, track_vecs);
        let levels = match trained.team_levels {
            Some(levels) if levels.first().is_some_and(|l| l.len() == data.teams.len()) => levels,
            _ => {
                let raw: Vec<Vec<f32>> = team_all
                    .bags()
                    .par_iter()
                    .map(|b| embed_pairs(&models, &columns, b.iter().copied()))
                    .collect();
                crate::models::smooth_levels(&raw, &models.meta.params.smooth)
            }
        };
        drop(team_all);
        let records = Records {
            data,
            models: &models,
            columns: &columns,
            tracks: &tracks,
            reference_year: reference_year(data),
        };
        let teams = records.teams(team_bags, hashes.teams, levels);
        let demands = records.demands(demand_bags, demand_all, hashes.demands);
        let seconds_vectors = t_vectors.elapsed().as_secs_f32();

        let reference_year = records.reference_year;
        let state = State::new(
            Arc::clone(&shared),
            models.clusters.as_ref().map_or(0, |c| c.centroids.k()),
            interner,
            columns,
            teams,
            demands,
            team_df,
            reference_year,
            hashes.sum,
            (
                data.teams.len() <= config.retrieval.exhaustive_below,
                data.demands.len() <= config.retrieval.exhaustive_below,
            ),
        )?;
        let engine = Engine {
            analyzer,
            config,
            models,
            tracks,
            index: texts.index,
            state: RwLock::new(state),
            writer: Mutex::new(()),
            eager_feedback: std::sync::atomic::AtomicBool::new(true),
            snippet_tokens: super::explain::SnippetTokens::default(),
        };
        let t_expansions = Instant::now();
        if options.precompute_feedback {
            options.progress("expand", 0, engine.read()?.demands.len());
            engine.precompute_feedback()?;
        }
        let report = OpenReport {
            index_reopened: texts.index_reopened,
            models_loaded,
            documents: data.teams.len() + data.demands.len(),
            train,
            seconds_fingerprint,
            seconds_analysis: texts.seconds_analysis,
            seconds_index: texts.seconds_index,
            seconds_models,
            seconds_vectors,
            seconds_expansions: t_expansions.elapsed().as_secs_f32(),
        };
        Ok((engine, report))
    }
}

/// Record hashes of the teams and demands, in dataset order, and the sum of every record's hash (the
/// dataset fingerprint).
struct Hashes {
    teams: Vec<u128>,
    demands: Vec<u128>,
    sum: u128,
}

impl Hashes {
    fn of(data: &Dataset) -> Hashes {
        let teams: Vec<u128> = data
            .teams
            .par_iter()
            .map(|t| corpus::record_hash("team", t))
            .collect();
        let demands: Vec<u128> = data
            .demands
            .par_iter()
            .map(|d| corpus::record_hash("demand", d))
            .collect();
        let sum = other_records_hash(data)
            .wrapping_add(dataset_hash(teams.iter().copied()))
            .wrapping_add(dataset_hash(demands.iter().copied()));
        Hashes {
            teams,
            demands,
            sum,
        }
    }
}

/// Every text analysed, and the text index reopened or rebuilt from them.
struct Texts {
    index: TextIndex,
    index_reopened: bool,
    interner: Interner,
    /// Each team's packed bags and its `all` bag.
    team_bags: Vec<(PackedTeamBags, Bag)>,
    /// Each demand's packed bags and its packed `all` bag.
    demand_bags: Vec<(PackedDemandBags, Packed)>,
    seconds_analysis: f32,
    seconds_index: f32,
}

/// Analyses every team and demand; reopens the text index under `index_dir` when it was built for the
/// fingerprint `fp`, else rebuilds it from the analysed texts as they come.
fn analyse_texts(
    data: &Dataset,
    analyzer: &Analyzer,
    config: &ScoringConfig,
    index_dir: &Path,
    fp: &str,
    options: &OpenOptions<'_>,
) -> Result<Texts, MatchError> {
    let t_analysis = Instant::now();
    let reopened = TextIndex::open(index_dir, analyzer, fp)?;
    let index_reopened = reopened.is_some();
    let mut builder = if reopened.is_none() {
        Some(IndexBuilder::create(index_dir, analyzer)?)
    } else {
        None
    };
    let total = data.teams.len() + data.demands.len();
    let build::Analysed {
        interner,
        team_bags,
        demand_bags,
    } = build::analyse(
        analyzer,
        config,
        &data.teams,
        &data.demands,
        builder.as_mut(),
        build::Finish {
            team: |mut b: TeamBags| (b.pack(), std::mem::take(&mut b.all)),
            demand: |b: corpus::DemandBags| (b.pack(), Packed::new(&b.all)),
        },
        &|done| options.progress("analyse", done, total),
    )?;
    let seconds_analysis = t_analysis.elapsed().as_secs_f32();
    let t_index = Instant::now();
    let index = match (reopened, builder) {
        (Some(index), _) => index,
        (None, Some(b)) => b.finish(fp)?,
        (None, None) => {
            return Err(MatchError::Invalid(
                "text index neither opened nor built".into(),
            ));
        }
    };
    Ok(Texts {
        index,
        index_reopened,
        interner,
        team_bags,
        demand_bags,
        seconds_analysis,
        seconds_index: t_index.elapsed().as_secs_f32(),
    })
}

/// The teams' `all` bags, needed only until the engine is built (vectors and frequencies): kept in one
/// allocation, which is given back whole when dropped.
struct FlatBags {
    flat: Bag,
    offsets: Vec<usize>,
}

impl FlatBags {
    fn bags(&self) -> Vec<&[(u32, f32)]> {
        self.offsets
            .windows(2)
            .map(|w| &self.flat[w[0]..w[1]])
            .collect()
    }
}

/// Gathers the teams' `all` bags into one allocation; the memory of the separate bags is reused by the
/// vectors made next.
fn gather_teams(bags: Vec<(PackedTeamBags, Bag)>) -> (Vec<PackedTeamBags>, FlatBags) {
    let (packed, separate): (Vec<PackedTeamBags>, Vec<Bag>) = bags.into_iter().unzip();
    let mut flat: Bag = Vec::with_capacity(separate.iter().map(Vec::len).sum());
    let mut offsets = Vec::with_capacity(separate.len() + 1);
    offsets.push(0);
    for b in separate {
        flat.extend_from_slice(&b);
        offsets.push(flat.len());
    }
    (packed, FlatBags { flat, offsets })
}

/// The bag of every track's name, keywords and description (raw counts), its terms interned.
fn track_bags(data: &Dataset, analyzer: &Analyzer, interner: &mut Interner) -> Vec<Bag> {
    data.tracks
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
        .collect()
}

/// The models in use, with the training report and the smoothing levels of the team vectors when they
/// were trained now.
struct Trained {
    models: Models,
    report: Option<TrainReport>,
    team_levels: Option<Levels>,
}

/// Loads the models in `models_dir` when they were trained on the dataset of fingerprint `fp` with this
/// analyzer (and `options` do not force training), else trains them, and saves them when `options` say so.
#[allow(clippy::too_many_arguments)]
fn load_or_train(
    data: &Dataset,
    analyzer: &Analyzer,
    interner: &Interner,
    fp: &str,
    models_dir: &Path,
    options: &OpenOptions<'_>,
    team_all: &[&[(u32, f32)]],
    demand_all: &[Packed],
    track_bags: &[Bag],
) -> Result<Trained, MatchError> {
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
    if let Some(m) = saved
        && m.meta.dataset_fingerprint == fp
        && m.meta.analyzer_version == analyzer.version()
    {
        return Ok(Trained {
            models: m,
            report: None,
            team_levels: None,
        });
    }
    options.progress("train", 0, 1);
    // The latent space is fitted on the teams: it describes what research covers, and fitting it on
    // demands as well made matching and clustering worse on external data. With very few teams the
    // demands are added, or there would be hardly a term shared by two documents.
    let unpacked: Vec<Bag> = if team_all.len() < TEAM_SPACE_MIN_TEAMS {
        demand_all.iter().map(Packed::unpack).collect()
    } else {
        Vec::new()
    };
    let mut docs: Vec<&[(u32, f32)]> = team_all.to_vec();
    docs.extend(unpacked.iter().map(Vec::as_slice));
    let input = TrainInput {
        terms: interner.terms(),
        docs,
        clustered: (0..team_all.len()).collect(),
        tracks: data
            .tracks
            .iter()
            .zip(track_bags)
            .map(|(t, b)| (t.id.0.clone(), b.clone()))
            .collect(),
        analyzer_version: analyzer.version().to_owned(),
        dataset_fingerprint: fp.to_owned(),
    };
    // Training projects and smooths every team's vector (to cluster them): kept for the records.
    let (models, report, levels) = Models::train_projected(&input, &options.train)?;
    if options.save_models {
        models.save(models_dir)?;
    }
    options.progress("train", 1, 1);
    Ok(Trained {
        models,
        report: Some(report),
        team_levels: Some(levels),
    })
}

/// The latest year of any achievement (the year evidence is dated against).
fn reference_year(data: &Dataset) -> i32 {
    data.teams
        .iter()
        .flat_map(|t| t.achievements.iter().filter_map(|a| a.year))
        .max()
        .unwrap_or(2025)
}

/// What the records of teams and demands are made from, once the models are in place.
struct Records<'a> {
    data: &'a Dataset,
    models: &'a Models,
    columns: &'a [u32],
    tracks: &'a Tracks,
    reference_year: i32,
}

/// The city of each zone or university, by its id (`id_city` reads both from one).
fn cities<'a, T>(
    items: &'a [T],
    id_city: impl Fn(&'a T) -> (&'a str, &'a str),
) -> HashMap<&'a str, &'a str> {
    items.iter().map(id_city).collect()
}

impl Records<'_> {
    fn embed(&self, bag: &Packed) -> Vec<f32> {
        embed_pairs(self.models, self.columns, bag.iter())
    }

    fn cluster(&self, vec: &[f32]) -> Option<usize> {
        self.models
            .clusters
            .as_ref()
            .map(|c| c.centroids.assign(vec).0)
    }

    /// Where a record with vector `vec` stands: the city of its owner (`owner` in `cities`), its
    /// cluster and its tracks (`declared`, else the nearest).
    fn place(
        &self,
        cities: &HashMap<&str, &str>,
        owner: &str,
        declared: &[TrackId],
        vec: &[f32],
    ) -> (Option<String>, Option<usize>, Vec<usize>) {
        let city = cities.get(owner).map(|c| c.to_string());
        (
            city,
            self.cluster(vec),
            resolve_tracks(self.tracks, declared, vec),
        )
    }

    /// The team records, in dataset order; `levels` are the smoothing levels of the team vectors, the
    /// last one the vectors themselves.
    fn teams(
        &self,
        bags: Vec<PackedTeamBags>,
        hashes: Vec<u128>,
        mut levels: Levels,
    ) -> Vec<TeamRec> {
        let data = self.data;
        let uni_city = cities(&data.universities, |u| (u.id.as_str(), u.city.as_str()));
        let vecs = levels.pop().unwrap_or_default();
        let mut team_levels: Vec<Vec<Vec<f32>>> =
            vec![Vec::with_capacity(levels.len()); vecs.len()];
        for level in levels {
            for (per_team, v) in team_levels.iter_mut().zip(level) {
                per_team.push(v);
            }
        }
        let records = data
            .teams
            .par_iter()
            .zip(bags)
            .zip(hashes)
            .zip(vecs)
            .zip(team_levels)
            .map(|((((team, bags), hash), vec), levels)| {
                let achievement_vecs = bags
                    .achievements
                    .iter()
                    .map(|(b, _)| QVec::new(&self.embed(b)))
                    .collect();
                let (city, cluster, tracks) = self.place(
                    &uni_city,
                    team.university_id.as_str(),
                    &team.track_ids,
                    &vec,
                );
                TeamRec {
                    evidence: corpus::evidence(team, self.reference_year),
                    city,
                    cluster,
                    tracks,
                    bags,
                    vec,
                    levels,
                    achievement_vecs,
                    hash,
                }
            });
        with_headroom(records)
    }

    /// The demand records, in dataset order (`all`: each demand's `all` bag, for its vector).
    fn demands(
        &self,
        bags: Vec<PackedDemandBags>,
        all: Vec<Packed>,
        hashes: Vec<u128>,
    ) -> Vec<DemandRec> {
        let data = self.data;
        let zone_city = cities(&data.zones, |z| (z.id.as_str(), z.city.as_str()));
        let records = data.demands.par_iter().zip(bags).zip(all).zip(hashes).map(
            |(((demand, bags), all), hash)| {
                let vec = self.embed(&all);
                let (city, cluster, tracks) =
                    self.place(&zone_city, demand.zone_id.as_str(), &demand.track_ids, &vec);
                DemandRec {
                    expanded: OnceLock::new(),
                    query: OnceLock::new(),
                    city,
                    cluster,
                    tracks,
                    bags,
                    vec,
                    hash,
                }
            },
        );
        with_headroom(records)
    }
}

/// The items of `iter` in a vector with room for a few percent more, so that the first records added after
/// opening do not move every record to a new allocation (at 100,000 teams that would touch tens of MiB
/// more at once; room never written to is not resident).
fn with_headroom<T: Send>(iter: impl IndexedParallelIterator<Item = T>) -> Vec<T> {
    let n = iter.len();
    let mut v = Vec::with_capacity(n + headroom(n));
    v.par_extend(iter);
    v
}

/// Spare room for records added after opening `n`: a few percent.
fn headroom(n: usize) -> usize {
    n / 32 + 64
}
