//! `shuanggao propose`: reads a dataset, proposes the best batch of pairings for the given tracks and
//! writes `BATCH.json` (and optionally `INSTANCE.json`, CSV and XLSX exports), with a progress bar.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use shuanggao::app::MatcherScorer;
use shuanggao::domain::TrackId;
use shuanggao::matching::{Engine, OpenOptions};
use shuanggao::pairing::{self, PairingConfig, Progress, Stage};

#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// Dataset directory (JSON Lines, contract v1).
    #[arg(long)]
    pub data: PathBuf,
    /// Track ids to propose for, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub tracks: Vec<String>,
    /// Constraints and knobs, TOML or JSON (by extension); missing fields take their defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where to write the batch.
    #[arg(long)]
    pub out: PathBuf,
    /// Where to write the optimisation instance for external checks.
    #[arg(long)]
    pub instance: Option<PathBuf>,
    /// Also export the batch as CSV.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Also export the batch as XLSX.
    #[arg(long)]
    pub xlsx: Option<PathBuf>,
    /// Keep the text index here and reuse it on later runs (default: a temporary directory).
    #[arg(long, requires = "models_dir")]
    pub index_dir: Option<PathBuf>,
    /// Keep the trained models here and reuse them on later runs (default: a temporary directory).
    #[arg(long, requires = "index_dir")]
    pub models_dir: Option<PathBuf>,
}

/// Exit code for invalid input data or arguments.
fn invalid(err: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("error: {err:#}");
    Ok(ExitCode::from(2))
}

pub fn run(args: ProposeArgs) -> anyhow::Result<ExitCode> {
    let data = match shuanggao::dataset::load(&args.data) {
        Ok(d) => d,
        Err(e) => return invalid(e),
    };
    let config = match &args.config {
        Some(p) => match read_config(p) {
            Ok(c) => c,
            Err(e) => return invalid(e),
        },
        None => PairingConfig::default(),
    };
    let tracks: Vec<TrackId> = args
        .tracks
        .iter()
        .map(|t| TrackId(t.trim().to_owned()))
        .collect();
    // Pair scores come from the matching engine, built (index and models) in a temporary directory so
    // that DIR is never written, or opened from the given directories (built there when missing).
    let scratch = tempfile::tempdir().context("cannot create a temporary directory")?;
    let (index_dir, models_dir) = match (&args.index_dir, &args.models_dir) {
        (Some(i), Some(m)) => (i.clone(), m.clone()),
        _ => (scratch.path().join("index"), scratch.path().join("models")),
    };
    let opened = Instant::now();
    let (engine, report) = Engine::open(
        data.clone(),
        &index_dir,
        &models_dir,
        &OpenOptions::default(),
    )
    .context("cannot build the matching engine")?;
    let engine_seconds = opened.elapsed().as_secs_f64();
    eprintln!(
        "engine: {} in {engine_seconds:.1} s (analysis {:.1} s, models {} {:.1} s, vectors {:.1} s)",
        if report.index_reopened {
            "index reopened"
        } else {
            "index built"
        },
        report.seconds_analysis,
        if report.models_loaded {
            "loaded"
        } else {
            "trained"
        },
        report.seconds_models,
        report.seconds_vectors,
    );
    let scorer = MatcherScorer::new(Arc::new(engine));
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut on_progress = |p: Progress| {
        bar.set_position(p.percent().floor() as u64);
        bar.set_message(match p.stage {
            Stage::Scoring => format!("scoring demands {}/{}", p.done, p.total),
            Stage::Bundling => "building bundles".to_owned(),
            Stage::Solving => "solving".to_owned(),
            Stage::Explaining => "explaining".to_owned(),
            Stage::Done => "done".to_owned(),
        });
    };
    let proposing = Instant::now();
    let proposal = match pairing::propose(&data, &scorer, &tracks, &config, &mut on_progress) {
        Ok(p) => p,
        Err(e) => {
            bar.abandon();
            return invalid(e);
        }
    };
    bar.finish_and_clear();
    let propose_seconds = proposing.elapsed().as_secs_f64();
    let batch = &proposal.batch;
    write_json(&args.out, batch)?;
    if let Some(p) = &args.instance {
        write_json(p, &proposal.instance)?;
    }
    if let Some(p) = &args.csv {
        std::fs::write(p, pairing::export_csv(batch))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &args.xlsx {
        let bytes = pairing::export_xlsx(batch)?;
        std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display()))?;
    }
    let o = &batch.optimality;
    println!(
        "pairings={} objective={:.6} feasible={} proven_optimal={} gap={} unmet_minimums={} candidates={} groups={} diagnostics={} time_ms={} engine_s={engine_seconds:.1} propose_s={propose_seconds:.1}",
        batch.pairings.len(),
        batch.objective,
        o.feasible,
        o.proven_optimal,
        o.gap,
        o.unmet_minimums,
        o.candidates,
        o.groups,
        batch.diagnostics.len(),
        batch.timings_ms.total
    );
    for d in batch
        .diagnostics
        .iter()
        .filter(|d| d.severity == pairing::Severity::Infeasible)
    {
        println!("infeasible: {}", d.message);
    }
    Ok(ExitCode::SUCCESS)
}

fn read_config(path: &Path) -> anyhow::Result<PairingConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let config: PairingConfig = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?
    } else {
        toml::from_str(&text).with_context(|| format!("{}", path.display()))?
    };
    config.validate()?;
    Ok(config)
}

pub(crate) fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
