//! `shuanggao train DATA [--qrels FILE]`: trains the models and writes them under `models/`.

use std::path::PathBuf;

use clap::Args;
use shuanggao::matching::{Engine, OpenOptions};
use shuanggao::models::TrainParams;

/// Arguments of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset directory.
    pub data: PathBuf,
    /// Labelled pairs (TREC qrels, demand → team) to refit the scoring weights on.
    #[arg(long)]
    pub qrels: Option<PathBuf>,
    /// Where the models and scoring.toml are written.
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    /// Where the text index lives.
    #[arg(long, default_value = "index")]
    pub index_dir: PathBuf,
    /// LSA dimensions.
    #[arg(long)]
    pub dims: Option<usize>,
    /// Number of team clusters (default: chosen by silhouette).
    #[arg(long)]
    pub k: Option<usize>,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let data = super::load::dataset(&args.data)?;
    let mut params = TrainParams::default();
    if let Some(d) = args.dims {
        params.lsa.dims = d;
    }
    params.clusters.k = args.k;
    let options = OpenOptions {
        train: params,
        force_train: true,
        ..OpenOptions::default()
    };
    let started = std::time::Instant::now();
    let (engine, report) = Engine::open_with(&data, &args.index_dir, &args.models_dir, &options)?;
    if let Some(t) = &report.train {
        println!(
            "trained on {} documents: vocabulary {}, {} dimensions, k={} (silhouette {:.3}); tfidf {:.1} s, lsa {:.1} s, clusters {:.1} s; total {:.1} s",
            t.documents,
            t.vocabulary,
            t.dims,
            t.k,
            t.silhouette,
            t.seconds_tfidf,
            t.seconds_lsa,
            t.seconds_clusters,
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "models written to {}",
        args.models_dir
            .join(shuanggao::models::MODEL_FILE)
            .display()
    );
    if let Some(qrels) = &args.qrels {
        super::eval::refit_weights(&engine, qrels, &args.models_dir)?;
    }
    Ok(())
}
