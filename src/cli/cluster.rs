//! `shuanggao cluster --data DIR [--k N] [--of teams|demands] --out FILE`: clusters the latent vectors of one
//! side, writes `ID<TAB>CLUSTER<TAB>LABEL` per row, prints the silhouette and the cluster sizes (and the NMI
//! against reference labels when `--labels` is given).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use shuanggao::matching::{DocKind, OpenOptions};
use shuanggao::models::{Centroids, ClusterParams, TrainParams, silhouette};

use super::InputError;

/// Which side to cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    Teams,
    Demands,
}

/// Arguments of `cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Dataset directory (read only).
    #[arg(long)]
    pub data: PathBuf,
    /// Number of clusters (default: chosen by silhouette).
    #[arg(long)]
    pub k: Option<usize>,
    #[arg(long, value_enum, default_value = "teams")]
    pub of: Side,
    /// Output file: `ID<TAB>CLUSTER<TAB>LABEL` per row.
    #[arg(long)]
    pub out: PathBuf,
    /// Reference labels (`ID<TAB>LABEL...`): prints the NMI of the clustering against the second column.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Random seed of KMeans.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(args: ClusterArgs) -> anyhow::Result<()> {
    let data = super::load::dataset(&args.data)?;
    if args.k == Some(0) {
        return Err(InputError("--k must be at least 1".into()).into());
    }
    let mut train = TrainParams::default();
    train.clusters.k = args.k;
    train.clusters.seed = args.seed;
    let options = OpenOptions {
        train,
        ..OpenOptions::default()
    };
    let (_scratch, engine) = super::load::scratch_engine(data, options)?;
    let (ids, clusters, labels, vectors): (Vec<String>, Vec<usize>, Vec<String>, Vec<Vec<f32>>) =
        match args.of {
            Side::Teams => {
                let rows = engine.team_clusters()?;
                let vectors: HashMap<String, Vec<f32>> =
                    engine.vectors(DocKind::Team)?.into_iter().collect();
                let vecs = rows
                    .iter()
                    .map(|(id, _, _)| vectors.get(id.as_str()).cloned().unwrap_or_default())
                    .collect();
                let (ids, rest): (Vec<String>, Vec<(usize, String)>) =
                    rows.into_iter().map(|(id, c, l)| (id.0, (c, l))).unzip();
                let (clusters, labels) = rest.into_iter().unzip();
                (ids, clusters, labels, vecs)
            }
            Side::Demands => {
                let rows = engine.vectors(DocKind::Demand)?;
                let live: Vec<&[f32]> = rows
                    .iter()
                    .map(|(_, v)| v.as_slice())
                    .filter(|v| v.iter().any(|x| *x != 0.0))
                    .collect();
                let params = ClusterParams {
                    k: args.k,
                    seed: args.seed,
                    ..engine.models().meta.params.clusters
                };
                let centroids = Centroids::fit(&live, &params)?;
                let assigned: Vec<usize> =
                    rows.iter().map(|(_, v)| centroids.assign(v).0).collect();
                let mut sizes = vec![0usize; centroids.k()];
                assigned.iter().for_each(|&c| sizes[c] += 1);
                let names = engine.models().label_centroids(&centroids, &sizes, &[]);
                let labels = assigned.iter().map(|&c| names[c].text()).collect();
                let (ids, vecs): (Vec<String>, Vec<Vec<f32>>) = rows.into_iter().unzip();
                (ids, assigned, labels, vecs)
            }
        };
    if ids.is_empty() {
        return Err(InputError("nothing to cluster (too few documents with text)".into()).into());
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.out)?);
    for ((id, c), label) in ids.iter().zip(&clusters).zip(&labels) {
        writeln!(out, "{id}\t{c}\t{label}")?;
    }
    out.flush()?;
    let dims = engine
        .models()
        .meta
        .params
        .clusters
        .dims
        .unwrap_or(usize::MAX);
    let reduced: Vec<Vec<f32>> = vectors
        .iter()
        .map(|v| {
            let mut r: Vec<f32> = v.iter().take(dims).copied().collect();
            shuanggao::models::normalise(&mut r);
            r
        })
        .collect();
    let refs: Vec<&[f32]> = reduced.iter().map(|v| v.as_slice()).collect();
    let k = clusters.iter().copied().max().unwrap_or(0) + 1;
    let mut sizes = vec![0usize; k];
    clusters.iter().for_each(|&c| sizes[c] += 1);
    let mut sorted = sizes.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    println!(
        "k={k} silhouette={:.4} rows={}",
        silhouette(&refs, &clusters),
        ids.len()
    );
    println!(
        "sizes: {}",
        sorted
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(path) = &args.labels {
        let text = super::load::text(path)?;
        let reference: HashMap<&str, &str> = text
            .lines()
            .filter_map(|l| {
                let mut p = l.split('\t');
                Some((p.next()?, p.next()?))
            })
            .collect();
        let (a, b): (Vec<usize>, Vec<&str>) = ids
            .iter()
            .zip(&clusters)
            .filter_map(|(id, c)| Some((*c, *reference.get(id.as_str())?)))
            .unzip();
        println!(
            "nmi={:.4} labelled={}",
            shuanggao::evaluation::nmi(&a, &b),
            a.len()
        );
    }
    Ok(())
}
