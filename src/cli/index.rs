//! `shuanggao index DATA`: builds (or reopens) the text index with a progress bar.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use shuanggao::matching::{Engine, OpenOptions};

/// Arguments of `index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Dataset directory.
    pub data: PathBuf,
    /// Where the index lives.
    #[arg(long, default_value = "index")]
    pub index_dir: PathBuf,
    /// Where the models and scoring.toml live.
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
}

/// A progress bar fed by the engine's `(stage, done, total)` callback.
pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

pub fn run(args: IndexArgs) -> anyhow::Result<()> {
    let data = super::load::dataset(&args.data)?;
    let bar = progress_bar();
    let update = |stage: &str, done: usize, total: usize| {
        bar.set_message(stage.to_owned());
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    // The engine is dropped at once: no feedback is precomputed for queries that will not come.
    let options = OpenOptions {
        progress: Some(&update),
        precompute_feedback: false,
        ..OpenOptions::default()
    };
    let (n_teams, n_demands) = (data.teams.len(), data.demands.len());
    let started = std::time::Instant::now();
    let (_engine, report) = Engine::open(data, &args.index_dir, &args.models_dir, &options)?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} teams, {} demands: index {} in {:.1} s ({:.0} docs/s), models {}",
        n_teams,
        n_demands,
        if report.index_reopened {
            "reopened"
        } else {
            "built"
        },
        seconds,
        report.documents as f64 / seconds.max(1e-9),
        if report.models_loaded {
            "loaded"
        } else {
            "trained"
        },
    );
    Ok(())
}
