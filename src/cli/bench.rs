//! `shuanggao bench DATA`: measures the engine on a dataset directory and prints the figures: build
//! throughput of the whole engine (analysis, text index, models, vectors) from an empty directory, training
//! time, top-k latency in both directions over a seeded random sample of queries, and peak RSS.
//!
//! Everything is built in a temporary directory (never in DATA). Queries first run one at a time on the
//! calling thread, as a request would (the engine spreads one query's scoring and explanations over its
//! thread pool); then the same queries run from one client thread per core at once, which gives the
//! throughput under load and each query's latency when the cores are shared. A short warm-up over *other*
//! queries comes first, so that the measured queries hit no per-query cache of their own; the output says
//! how many per-demand feedback expansions were cached before each phase.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use shuanggao::domain::{DemandId, TeamId};
use shuanggao::generator::sample_indices;
use shuanggao::matching::{OpenOptions, OpenReport};
use shuanggao::models::TrainReport;

use super::InputError;

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Dataset directory (read only).
    pub data: PathBuf,
    /// Measured queries per direction (distinct, drawn at random with --seed).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Warm-up queries per direction, drawn from the same seeded sample but never measured.
    #[arg(long, default_value_t = 50)]
    pub warmup: usize,
    /// Results per query.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Also write the figures (and the sampled query ids) as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Leave every demand's feedback to be computed on first use instead of precomputing it after the
    /// build (queries then pay for the expansions of their candidates).
    #[arg(long)]
    pub no_precompute: bool,
}

/// Latency figures of one direction, in milliseconds.
#[derive(Debug, Serialize)]
struct Latency {
    queries: usize,
    /// Per-demand feedback expansions already cached when the measured queries started, and in all.
    expansions_cached_before: usize,
    demands: usize,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_ms: f64,
    queries_per_s: f64,
}

/// The same queries from several client threads at once.
#[derive(Debug, Serialize)]
struct Load {
    clients: usize,
    queries: usize,
    p50_ms: f64,
    p99_ms: f64,
    /// Queries answered per second of wall-clock time.
    queries_per_s: f64,
}

#[derive(Debug, Serialize)]
struct Build {
    documents: usize,
    seconds: f64,
    docs_per_s: f64,
    /// CPU seconds (all threads) the build used: with other work on the machine, `documents / (cpu / cores)`
    /// is what the build would reach alone.
    cpu_seconds: f64,
    seconds_fingerprint: f32,
    seconds_analysis: f32,
    seconds_index: f32,
    seconds_models: f32,
    seconds_vectors: f32,
    /// Every demand's feedback computed after the build (not part of `seconds`); 0 with --no-precompute.
    seconds_feedback: f64,
    /// Analysis plus text index only (without models and vectors).
    analysis_and_index_docs_per_s: f64,
}

#[derive(Debug, Serialize)]
struct Sample {
    demands: Vec<String>,
    teams: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    dataset: String,
    teams: usize,
    demands: usize,
    cores: usize,
    load_before: String,
    load_after: String,
    seconds_load: f64,
    build: Build,
    train: Option<TrainReport>,
    limit: usize,
    demand_to_teams: Latency,
    team_to_demands: Latency,
    demand_to_teams_load: Load,
    team_to_demands_load: Load,
    peak_rss_bytes: u64,
    seed: u64,
    sample: Sample,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// CPU time (user + system) this process has used so far, in seconds (0 when unknown).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Clock ticks are 100 per second on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn latency(mut ms: Vec<f64>, cached: usize, demands: usize) -> Latency {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| -> f64 {
        if ms.is_empty() {
            return 0.0;
        }
        // Nearest rank.
        let rank = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len());
        ms[rank - 1]
    };
    let total: f64 = ms.iter().sum();
    Latency {
        queries: ms.len(),
        expansions_cached_before: cached,
        demands,
        p50_ms: at(0.50),
        p90_ms: at(0.90),
        p99_ms: at(0.99),
        max_ms: ms.last().copied().unwrap_or(0.0),
        mean_ms: total / ms.len().max(1) as f64,
        queries_per_s: ms.len() as f64 / (total / 1000.0).max(1e-9),
    }
}

fn time_queries<T>(
    ids: &[T],
    mut run: impl FnMut(&T) -> anyhow::Result<usize>,
) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let started = Instant::now();
        let n = run(id)?;
        out.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(n);
    }
    Ok(out)
}

/// Runs every query of `ids` from `clients` threads at once (each takes an equal share, in order); returns
/// each query's latency in ms and the figures.
fn time_load<T: Sync>(
    ids: &[T],
    clients: usize,
    run: impl Fn(&T) -> anyhow::Result<usize> + Sync,
) -> anyhow::Result<Load> {
    let clients = clients.max(1);
    let share = ids.len().div_ceil(clients).max(1);
    let started = Instant::now();
    let parts: Vec<anyhow::Result<Vec<f64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(share)
            .map(|part| scope.spawn(|| time_queries(part, &run)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a client thread panicked")))
            })
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let mut ms = Vec::with_capacity(ids.len());
    for part in parts {
        ms.extend(part?);
    }
    let l = latency(ms, 0, 0);
    Ok(Load {
        clients,
        queries: l.queries,
        p50_ms: l.p50_ms,
        p99_ms: l.p99_ms,
        queries_per_s: l.queries as f64 / wall.max(1e-9),
    })
}

fn print_load(name: &str, l: &Load) {
    println!(
        "{name:<16} the same queries from {} clients at once: {:.0} queries/s, p50 {:.2} ms, p99 {:.2} ms",
        l.clients, l.queries_per_s, l.p50_ms, l.p99_ms
    );
}

fn print_latency(name: &str, l: &Latency) {
    let state = if l.expansions_cached_before == 0 {
        "cold: no expansion cached".to_owned()
    } else if l.expansions_cached_before == l.demands {
        "every expansion cached".to_owned()
    } else {
        format!(
            "{} of {} expansions cached",
            l.expansions_cached_before, l.demands
        )
    };
    println!(
        "{name:<16} {} queries ({state}): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms ({:.0} queries/s)",
        l.queries, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms, l.queries_per_s
    );
}

fn build_figures(report: &OpenReport, documents: usize, seconds: f64, cpu: f64) -> Build {
    Build {
        documents,
        seconds,
        docs_per_s: documents as f64 / seconds.max(1e-9),
        cpu_seconds: cpu,
        seconds_fingerprint: report.seconds_fingerprint,
        seconds_analysis: report.seconds_analysis,
        seconds_index: report.seconds_index,
        seconds_models: report.seconds_models,
        seconds_vectors: report.seconds_vectors,
        seconds_feedback: 0.0,
        analysis_and_index_docs_per_s: documents as f64
            / f64::from(report.seconds_analysis + report.seconds_index).max(1e-9),
    }
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.limit == 0 {
        return Err(InputError("--limit must be at least 1".into()).into());
    }
    let load_before = loadavg();
    let started = Instant::now();
    let data = super::load::dataset(&args.data)?;
    let seconds_load = started.elapsed().as_secs_f64();
    let (n_teams, n_demands) = (data.teams.len(), data.demands.len());
    if n_teams == 0 || n_demands == 0 {
        return Err(InputError("the dataset needs teams and demands to benchmark".into()).into());
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let demand_pick = sample_indices(&mut rng, n_demands, args.warmup + args.queries);
    let team_pick = sample_indices(&mut rng, n_teams, args.warmup + args.queries);
    let demand_ids: Vec<DemandId> = demand_pick
        .iter()
        .map(|&i| data.demands[i].id.clone())
        .collect();
    let team_ids: Vec<TeamId> = team_pick
        .iter()
        .map(|&i| data.teams[i].id.clone())
        .collect();
    println!(
        "dataset {}: {n_teams} teams, {n_demands} demands, loaded in {seconds_load:.1} s; {} cores, load average {load_before}",
        args.data.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );

    // 1. The whole build from empty directories.
    let tmp = tempfile::tempdir()?;
    let options = OpenOptions {
        save_models: true,
        precompute_feedback: false,
        ..OpenOptions::default()
    };
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let (engine, report) = super::load::engine_under(tmp.path(), data, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut build = build_figures(
        &report,
        report.documents,
        seconds,
        cpu_seconds() - cpu_before,
    );
    println!(
        "build            {} documents in {:.2} s ({:.1} CPU-s): {:.0} docs/s (fingerprint {:.2} s, analysis with the text index fed as it goes {:.2} s, text index commit {:.2} s, models {:.2} s, vectors {:.2} s); analysis + text index alone {:.0} docs/s",
        build.documents,
        build.seconds,
        build.cpu_seconds,
        build.docs_per_s,
        build.seconds_fingerprint,
        build.seconds_analysis,
        build.seconds_index,
        build.seconds_models,
        build.seconds_vectors,
        build.analysis_and_index_docs_per_s,
    );
    if let Some(t) = &report.train {
        println!(
            "training         {:.2} s: tfidf {:.2} s, lsa {:.2} s, kmeans {:.2} s (vocabulary {}, {} dimensions, k={}, silhouette {:.3})",
            t.seconds_tfidf + t.seconds_lsa + t.seconds_clusters,
            t.seconds_tfidf,
            t.seconds_lsa,
            t.seconds_clusters,
            t.vocabulary,
            t.dims,
            t.k,
            t.silhouette
        );
    }
    println!(
        "peak RSS after build {:.0} MiB",
        peak_rss() as f64 / 1048576.0
    );
    if !args.no_precompute {
        let started = Instant::now();
        let cpu_before = cpu_seconds();
        let expanded = engine.precompute_feedback()?;
        build.seconds_feedback = started.elapsed().as_secs_f64();
        println!(
            "feedback         {expanded} demands expanded in {:.2} s ({:.1} CPU-s, {:.0} demands/s)",
            build.seconds_feedback,
            cpu_seconds() - cpu_before,
            expanded as f64 / build.seconds_feedback.max(1e-9)
        );
    }

    // 2. Warm-up on queries that are not measured.
    let warm = args.warmup.min(demand_ids.len()).min(team_ids.len());
    let (warm_demands, demands) = demand_ids.split_at(warm);
    let (warm_teams, teams) = team_ids.split_at(warm);
    for id in warm_demands {
        engine.teams_for_demand(id, args.limit)?;
    }
    for id in warm_teams {
        engine.demands_for_team(id, args.limit)?;
    }

    // 3. Measured queries: demands never queried before, then teams never queried before.
    let measure = |name: &str, ms: Vec<f64>, cached: usize| {
        let l = latency(ms, cached, n_demands);
        print_latency(&format!("{name} → top {}", args.limit), &l);
        l
    };
    let cached = engine.cached_expansions()?;
    let ms = time_queries(demands, |id| {
        Ok(engine.teams_for_demand(id, args.limit)?.len())
    })?;
    let demand_to_teams = measure("demand", ms, cached);
    let cached = engine.cached_expansions()?;
    let ms = time_queries(teams, |id| {
        Ok(engine.demands_for_team(id, args.limit)?.len())
    })?;
    let team_to_demands = measure("team", ms, cached);

    // 4. The same queries from one client per core at once.
    let clients = std::thread::available_parallelism().map_or(1, |n| n.get());
    let demand_to_teams_load = time_load(demands, clients, |id| {
        Ok(engine.teams_for_demand(id, args.limit)?.len())
    })?;
    print_load(
        &format!("demand → top {}", args.limit),
        &demand_to_teams_load,
    );
    let team_to_demands_load = time_load(teams, clients, |id| {
        Ok(engine.demands_for_team(id, args.limit)?.len())
    })?;
    print_load(&format!("team → top {}", args.limit), &team_to_demands_load);

    let memory = engine.memory()?;
    let total: usize = memory.iter().map(|(_, b)| b).sum();
    println!(
        "engine memory    {:.0} MiB in vectors: {}",
        total as f64 / 1048576.0,
        memory
            .iter()
            .map(|(part, b)| format!("{part} {:.0}", *b as f64 / 1048576.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let peak = peak_rss();
    let load_after = loadavg();
    println!(
        "peak RSS         {:.0} MiB ({:.2} GB); load average {load_after}",
        peak as f64 / 1048576.0,
        peak as f64 / 1e9
    );
    if let Some(path) = &args.json {
        let out = Report {
            dataset: args.data.display().to_string(),
            teams: n_teams,
            demands: n_demands,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            load_before,
            load_after,
            seconds_load,
            build,
            train: report.train,
            limit: args.limit,
            demand_to_teams,
            team_to_demands,
            demand_to_teams_load,
            team_to_demands_load,
            peak_rss_bytes: peak,
            seed: args.seed,
            sample: Sample {
                demands: demands.iter().map(|d| d.0.clone()).collect(),
                teams: teams.iter().map(|t| t.0.clone()).collect(),
            },
        };
        write_json(path, &out)?;
    }
    Ok(())
}

fn write_json(path: &Path, report: &Report) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(report)?)?;
    println!("figures written to {}", path.display());
    Ok(())
}
