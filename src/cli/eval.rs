//! `shuanggao eval --data DIR --qrels FILE`: ranks the whole other side for every query of the qrels and
//! prints trec_eval-style measures; everything is built in a temporary directory, never in DIR.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use shuanggao::domain::{Dataset, DemandId, TeamId};
use shuanggao::evaluation;
use shuanggao::matching::fit::{self, FitQuery};
use shuanggao::matching::{
    Engine, FEATURES, MatchError, N_FEATURES, OpenOptions, ScoringConfig, Weights, config,
};

use super::InputError;

/// Which side the qrels' queries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    DemandToTeam,
    TeamToDemand,
}

/// Arguments of `eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Dataset directory (read only).
    #[arg(long)]
    pub data: PathBuf,
    /// TREC qrels: `QUERY 0 DOC GRADE`.
    #[arg(long)]
    pub qrels: PathBuf,
    #[arg(long, value_enum, default_value = "demand-to-team")]
    pub direction: Direction,
    /// Results kept per query (0: all).
    #[arg(long, default_value_t = 100)]
    pub depth: usize,
    /// Write the TREC run file here.
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// Scoring configuration (default: models/scoring.toml when present, else the shipped one).
    #[arg(long)]
    pub scoring: Option<PathBuf>,
}

pub(crate) fn read_qrels(path: &Path) -> Result<(evaluation::Qrels, Vec<String>), InputError> {
    let text = super::load::text(path)?;
    evaluation::parse_qrels(&text).map_err(|e| InputError(format!("{}: {e}", path.display())))
}

fn scoring(path: Option<&Path>) -> anyhow::Result<ScoringConfig> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                InputError(format!("{}: {}", p.display(), e.to_string().to_lowercase()))
            })?;
            Ok(ScoringConfig::parse(&text)
                .map_err(|e| InputError(format!("{}: {e}", p.display())))?)
        }
        None => Ok(ScoringConfig::load(Path::new("models"))?),
    }
}

/// One query's ranking: the query id and `(doc id, score)` best first.
pub(crate) type Ranked = (String, Vec<(String, f32)>);

/// Rankings for every query.
pub(crate) fn rank_all(
    engine: &Engine,
    queries: &[String],
    direction: Direction,
    depth: usize,
) -> anyhow::Result<Vec<Ranked>> {
    queries
        .par_iter()
        .map(|q| {
            let ranked: Vec<(String, f32)> = match direction {
                Direction::DemandToTeam => match engine.rank_teams(&DemandId(q.clone()), depth) {
                    Ok(r) => r.into_iter().map(|(id, s)| (id.0, s)).collect(),
                    Err(shuanggao::matching::MatchError::NotFound { .. }) => Vec::new(),
                    Err(e) => return Err(e.into()),
                },
                Direction::TeamToDemand => match engine.rank_demands(&TeamId(q.clone()), depth) {
                    Ok(r) => r.into_iter().map(|(id, s)| (id.0, s)).collect(),
                    Err(shuanggao::matching::MatchError::NotFound { .. }) => Vec::new(),
                    Err(e) => return Err(e.into()),
                },
            };
            Ok((q.clone(), ranked))
        })
        .collect()
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let data = super::load::dataset(&args.data)?;
    let (qrels, order) = read_qrels(&args.qrels)?;
    let config = scoring(args.scoring.as_deref())?;
    let options = OpenOptions {
        config: Some(config),
        ..OpenOptions::default()
    };
    let (_scratch, engine) = super::load::scratch_engine(data, options)?;
    let ranked = rank_all(&engine, &order, args.direction, args.depth)?;
    if let Some(path) = &args.run {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (q, results) in &ranked {
            file.write_all(evaluation::run_lines(q, results, "shuanggao").as_bytes())?;
        }
        file.flush()?;
    }
    let rankings: HashMap<String, Vec<String>> = ranked
        .into_iter()
        .map(|(q, r)| (q, r.into_iter().map(|(d, _)| d).collect()))
        .collect();
    println!("{}", evaluation::evaluate(&qrels, &rankings));
    Ok(())
}

/// What `train --qrels` refits the weights from.
#[derive(Debug)]
pub(crate) struct Refit<'a> {
    pub qrels: &'a Path,
    pub direction: Direction,
    /// The engine's best candidates per query, before the judged documents are added.
    pub depth: usize,
    pub index_dir: &'a Path,
    pub models_dir: &'a Path,
}

/// Fit passes: each recomputes the features with the weights of the previous pass (some features depend on
/// the weights), refits within [`REGION`] of them and re-ranks for real; the pass best on the fit half wins.
const MAX_PASSES: usize = 4;

/// How far one pass may move the weights.
const REGION: fit::Region = fit::Region {
    factor: 2.0,
    slack: 0.05,
};

/// Real rankings (top 100) of `engine` for the queries, measured on the fit half and the held-out half.
fn measure(
    engine: &Engine,
    order: &[String],
    halves: &[evaluation::Qrels; 2],
    direction: Direction,
) -> anyhow::Result<[evaluation::Summary; 2]> {
    let rankings: HashMap<String, Vec<String>> = rank_all(engine, order, direction, 100)?
        .into_iter()
        .map(|(q, r)| (q, r.into_iter().map(|(d, _)| d).collect()))
        .collect();
    Ok([
        evaluation::evaluate(&halves[0], &rankings),
        evaluation::evaluate(&halves[1], &rankings),
    ])
}

/// The labelled queries of one half with their candidates: the engine's best `depth` plus every judged
/// document. Queries unknown to the dataset are left out (they count 0 in the real measures).
fn fit_queries(
    engine: &Engine,
    half: &evaluation::Qrels,
    direction: Direction,
    depth: usize,
) -> anyhow::Result<Vec<FitQuery>> {
    let mut ids: Vec<&String> = half.keys().collect();
    ids.sort();
    let queries: Vec<Option<FitQuery>> = ids
        .par_iter()
        .map(|&q| {
            let judged = &half[q];
            let mut docs: Vec<&String> = judged.keys().collect();
            docs.sort();
            let candidates = match direction {
                Direction::DemandToTeam => {
                    let also: Vec<TeamId> = docs.iter().map(|d| TeamId((*d).clone())).collect();
                    engine.team_candidates(&DemandId(q.clone()), depth, &also)
                }
                Direction::TeamToDemand => {
                    let also: Vec<DemandId> = docs.iter().map(|d| DemandId((*d).clone())).collect();
                    engine.demand_candidates(&TeamId(q.clone()), depth, &also)
                }
            };
            match candidates {
                Ok(candidates) => Ok(Some(FitQuery {
                    id: q.clone(),
                    judged: judged.clone(),
                    candidates,
                })),
                Err(MatchError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(queries.into_iter().flatten().collect())
}

fn line(label: &str, s: &[evaluation::Summary; 2]) {
    println!("{label:<7} fit      {}", s[0]);
    println!("{label:<7} held-out {}", s[1]);
}

/// Refits the feature weights on labelled pairs. The queries with a relevant document are split by a hash of
/// their id ([`fit::held_out`]) into a fit half and a held-out half; coordinate ascent on mean nDCG@10 over
/// the fit half's candidates ([`fit::coordinate_ascent`]) gives new weights; both halves are ranked for real
/// before and after, and `scoring.toml` in the models directory is rewritten (keeping its comments) only when
/// the held-out nDCG@10 did not fall.
pub(crate) fn refit_weights(
    engine: &Engine,
    data: &Dataset,
    refit: &Refit<'_>,
) -> anyhow::Result<()> {
    let (qrels, order) = read_qrels(refit.qrels)?;
    let mut halves: [evaluation::Qrels; 2] = [HashMap::new(), HashMap::new()];
    for (q, judged) in &qrels {
        if judged.values().any(|&g| g > 0) {
            halves[usize::from(fit::held_out(q))].insert(q.clone(), judged.clone());
        }
    }
    if halves.iter().any(HashMap::is_empty) {
        return Err(InputError(format!(
            "{}: refitting needs queries with a relevant document on both sides of the split (fit {}, held out {})",
            refit.qrels.display(),
            halves[0].len(),
            halves[1].len()
        ))
        .into());
    }
    let start = engine.config().weights.as_array();
    let before = measure(engine, &order, &halves, refit.direction)?;
    println!(
        "refitting the weights on {}: {} queries to fit, {} held out",
        refit.qrels.display(),
        halves[0].len(),
        halves[1].len()
    );
    line("before", &before);

    let options = |weights: [f32; N_FEATURES]| {
        let mut config = *engine.config();
        config.weights = Weights::from_array(weights);
        OpenOptions {
            config: Some(config),
            save_models: false,
            ..OpenOptions::default()
        }
    };
    let mut best: Option<([f32; N_FEATURES], [evaluation::Summary; 2])> = None;
    let mut current: Option<Engine> = None;
    for pass in 1..=MAX_PASSES {
        let source = current.as_ref().unwrap_or(engine);
        let queries = fit_queries(source, &halves[0], refit.direction, refit.depth)?;
        if queries.is_empty() {
            return Err(InputError(format!(
                "{}: no query of the fit half is in the dataset",
                refit.qrels.display()
            ))
            .into());
        }
        let from = source.config().weights.as_array();
        let candidates = queries.iter().map(|q| q.candidates.len()).sum::<usize>() / queries.len();
        let result = fit::coordinate_ascent(&queries, from, Some(REGION));
        println!(
            "pass {pass}: {} queries, {candidates} candidates each on average; re-ranked candidates ndcg@10 {:.4} -> {:.4} in {} rounds",
            queries.len(),
            result.start_ndcg,
            result.ndcg,
            result.rounds
        );
        if result.weights == from {
            break;
        }
        let (next, _) = Engine::open(
            data.clone(),
            refit.index_dir,
            refit.models_dir,
            &options(result.weights),
        )?;
        let after = measure(&next, &order, &halves, refit.direction)?;
        line(&format!("pass {pass}"), &after);
        let shown: Vec<String> = result.weights.iter().map(|w| format!("{w:.3}")).collect();
        println!("pass {pass} weights {}", shown.join(" "));
        let reference = best.as_ref().map_or(before[0].ndcg10, |b| b.1[0].ndcg10);
        if after[0].ndcg10 > reference + 1e-9 {
            best = Some((result.weights, after));
        }
        current = Some(next);
    }

    let (weights, after) = best.unwrap_or((start, before));
    line("after", &after);
    println!("weights (feature: before -> after):");
    for (name, (a, b)) in FEATURES.iter().zip(start.iter().zip(&weights)) {
        println!("  {name:<14} {a:.4} -> {b:.4}");
    }
    if weights == start {
        println!("the fit half gained nothing: scoring.toml left unchanged");
        return Ok(());
    }
    if after[1].ndcg10 + 1e-9 < before[1].ndcg10 {
        println!(
            "held-out ndcg@10 fell from {:.4} to {:.4}: scoring.toml left unchanged",
            before[1].ndcg10, after[1].ndcg10
        );
        return Ok(());
    }
    let path = refit.models_dir.join(config::SCORING_FILE);
    let previous = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => config::DEFAULT_SCORING.to_owned(),
        Err(e) => return Err(anyhow::anyhow!("{}: {e}", path.display())),
    };
    std::fs::create_dir_all(refit.models_dir)?;
    std::fs::write(
        &path,
        fit::scoring_toml(&previous, engine.config(), &weights),
    )?;
    ScoringConfig::load(refit.models_dir)?;
    println!(
        "held-out ndcg@10 {:.4} -> {:.4}: weights written to {}",
        before[1].ndcg10,
        after[1].ndcg10,
        path.display()
    );
    Ok(())
}
