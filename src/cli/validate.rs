//! `shuanggao validate DIR`: checks a dataset directory against the contract and prints a count per file,
//! or every problem as `FILE:LINE: FIELD: message` (exit code 2).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use shuanggao::dataset::{self, DatasetError};
use shuanggao::domain::TrackKind;

/// Check a dataset directory against the dataset contract v1.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Dataset directory (tracks.jsonl, zones.jsonl, universities.jsonl, teams.jsonl, demands.jsonl).
    pub dir: PathBuf,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    match dataset::load(&args.dir) {
        Ok(ds) => {
            if ds.tracks.is_empty() && !args.dir.join(dataset::TRACKS_FILE).exists() {
                println!("{}: absent (optional)", dataset::TRACKS_FILE);
            } else {
                let of = |kind: TrackKind| ds.tracks.iter().filter(move |t| t.kind == kind);
                println!(
                    "{}: {} tracks ({} cluster, {} chain, {} future)",
                    dataset::TRACKS_FILE,
                    ds.tracks.len(),
                    of(TrackKind::Cluster).count(),
                    of(TrackKind::Chain).count(),
                    of(TrackKind::Future).count()
                );
                let future: Vec<&str> = of(TrackKind::Future).map(|t| t.name.as_str()).collect();
                if !future.is_empty() {
                    println!("future-industry tracks: {}", future.join("、"));
                }
            }
            println!("{}: {} zones", dataset::ZONES_FILE, ds.zones.len());
            println!(
                "{}: {} universities",
                dataset::UNIVERSITIES_FILE,
                ds.universities.len()
            );
            println!("{}: {} teams", dataset::TEAMS_FILE, ds.teams.len());
            println!("{}: {} demands", dataset::DEMANDS_FILE, ds.demands.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(DatasetError::Invalid(problems)) => {
            println!("{problems}");
            eprintln!(
                "error: {} is not a valid dataset: {} problems",
                args.dir.display(),
                problems.len()
            );
            Ok(ExitCode::from(2))
        }
        Err(err) => Err(err.into()),
    }
}
