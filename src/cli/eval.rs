//! `shuanggao eval --data DIR --qrels FILE`: ranks the whole other side for every query of the qrels and
//! prints trec_eval-style measures; everything is built in a temporary directory, never in DIR.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use shuanggao::domain::{DemandId, TeamId};
use shuanggao::matching::{Engine, OpenOptions, ScoringConfig};
use shuanggao::metrics;

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

pub(crate) fn read_qrels(path: &Path) -> Result<(metrics::Qrels, Vec<String>), InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError(format!(
            "{}: {}",
            path.display(),
            e.to_string().to_lowercase()
        ))
    })?;
    metrics::parse_qrels(&text).map_err(|e| InputError(format!("{}: {e}", path.display())))
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
    let tmp = tempfile::tempdir()?;
    let options = OpenOptions {
        config: Some(config),
        save_models: false,
        ..OpenOptions::default()
    };
    let (engine, _) = Engine::open_with(
        &data,
        &tmp.path().join("index"),
        &tmp.path().join("models"),
        &options,
    )?;
    let ranked = rank_all(&engine, &order, args.direction, args.depth)?;
    if let Some(path) = &args.run {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (q, results) in &ranked {
            file.write_all(metrics::run_lines(q, results, "shuanggao").as_bytes())?;
        }
        file.flush()?;
    }
    let rankings: HashMap<String, Vec<String>> = ranked
        .into_iter()
        .map(|(q, r)| (q, r.into_iter().map(|(d, _)| d).collect()))
        .collect();
    println!("{}", metrics::evaluate(&qrels, &rankings));
    Ok(())
}

/// Refits the feature weights on labelled pairs (coordinate ascent on nDCG@10 over half the queries),
/// reports before/after on the other half, and writes `scoring.toml`.
pub(crate) fn refit_weights(
    engine: &Engine,
    qrels_path: &Path,
    models_dir: &Path,
) -> anyhow::Result<()> {
    let _ = (engine, qrels_path, models_dir);
    Err(InputError("refitting weights from qrels is not available in this build".into()).into())
}
