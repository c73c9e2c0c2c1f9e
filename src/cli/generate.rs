//! `shuanggao gen`: writes a deterministic synthetic dataset (contract v1) plus `planted.qrels`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use shuanggao::generator::{self as generator, GenError, Material, Params};

/// Generate a synthetic dataset: curated tracks, zones and universities, teams and demands composed from
/// the topic material, and planted.qrels (same seed, same bytes).
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Output directory (created if needed; its contract files are overwritten).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed.
    #[arg(long, default_value_t = generator::DEFAULT_SEED)]
    pub seed: u64,
    /// Number of research teams.
    #[arg(long, default_value_t = generator::DEFAULT_TEAMS)]
    pub teams: usize,
    /// Number of enterprise demands.
    #[arg(long, default_value_t = generator::DEFAULT_DEMANDS)]
    pub demands: usize,
    /// Number of zones (default: the 18 curated ones; more are synthesised).
    #[arg(long)]
    pub zones: Option<usize>,
    /// Number of universities (default: the curated ones; more are synthesised).
    #[arg(long)]
    pub universities: Option<usize>,
}

pub fn run(args: GenArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let material = Material::embedded()?;
    let params = Params {
        seed: args.seed,
        teams: args.teams,
        demands: args.demands,
        zones: args.zones,
        universities: args.universities,
    };
    match generator::generate(&material, &params, &args.out) {
        Ok(summary) => {
            println!(
                "{}: {} tracks, {} zones, {} universities, {} teams, {} demands; {} covers {} demands in {} lines ({:.1} s)",
                args.out.display(),
                summary.tracks,
                summary.zones,
                summary.universities,
                summary.teams,
                summary.demands,
                generator::QRELS_FILE,
                summary.qrels_demands,
                summary.qrels_lines,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err @ GenError::Params(_)) => {
            eprintln!("error: {err}");
            Ok(ExitCode::from(2))
        }
        Err(err) => Err(err.into()),
    }
}
