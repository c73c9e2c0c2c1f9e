//! `shuanggao train DATA [--qrels FILE]`: trains the models and writes them under `models/`.

use std::path::PathBuf;

use clap::Args;
use shuanggao::matching::{Engine, OpenOptions};
use shuanggao::models::TrainParams;

use super::eval::{Direction, Refit};

/// Arguments of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset directory.
    pub data: PathBuf,
    /// Labelled pairs (TREC qrels `QUERY 0 DOC GRADE`) to refit the scoring weights on: half the queries
    /// (by a hash of their id) fit the weights, the other half checks them.
    #[arg(long)]
    pub qrels: Option<PathBuf>,
    /// Which side the qrels' queries are.
    #[arg(long, value_enum, default_value = "demand-to-team")]
    pub direction: Direction,
    /// The engine's best candidates per query that the refit re-ranks (the judged documents are added).
    #[arg(long, default_value_t = 100)]
    pub depth: usize,
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
    let (engine, report) = Engine::open(data.clone(), &args.index_dir, &args.models_dir, &options)?;
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
        let refit = Refit {
            qrels,
            direction: args.direction,
            depth: args.depth,
            index_dir: &args.index_dir,
            models_dir: &args.models_dir,
        };
        super::eval::refit_weights(&engine, &data, &refit)?;
    }
    Ok(())
}
