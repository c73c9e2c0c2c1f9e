//! `shuanggao bench DATA` or `shuanggao bench --scales T/D,…`: measures the engine on a dataset directory,
//! or on datasets made by the generator at several scales (one run per scale, in one invocation), and prints
//! the figures: build throughput of the whole engine (analysis, text index, models, vectors, every demand's
//! feedback) from an empty directory, training time, top-k latency in both directions, and peak RSS.
//!
//! Everything is built in a temporary directory (never in DATA). Latency is measured three ways, every
//! query one at a time on the calling thread, as a request would run (the engine spreads one query's
//! scoring and explanations over its thread pool):
//! - *cold*: the first `--queries` queries of each direction after the engine is opened, alternating
//!   directions, before anything else ran;
//! - *warm*: after a short warm-up, a second seeded sample of queries, one direction at a time; then the same
//!   queries from one client thread per core at once (throughput under load);
//! - *after a write*: for each kind of write (team upsert, team delete, demand upsert, demand delete),
//!   `--writes` writes, each followed by exactly one query (directions alternate), so every measured query
//!   is the first after a write. Where team writes keep the demands' feedback at earlier statistics (above
//!   `exhaustive_below` teams), the rankings of a sample of demands and teams are then compared with the
//!   same rankings once [`Engine::settle`] brought every feedback to the current statistics.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use clap::Args;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use shuanggao::domain::{Dataset, Demand, DemandId, Team, TeamId};
use shuanggao::generator::{self, Material, Params, sample_indices};
use shuanggao::matching::{Engine, OpenOptions, OpenReport};
use shuanggao::models::TrainReport;

use super::InputError;

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Dataset directory (read only); leave out with --scales.
    #[arg(required_unless_present = "scales")]
    pub data: Option<PathBuf>,
    /// Generated datasets to measure instead, as TEAMS/DEMANDS separated by commas (e.g.
    /// 1000/2000,5000/10000), each generated with --seed; one run per scale, in the order given.
    #[arg(long, value_delimiter = ',', conflicts_with = "data")]
    pub scales: Vec<Scale>,
    /// Keep the generated datasets under this directory, one TEAMSxDEMANDS directory per scale (for
    /// `scripts/bench_bm25s.py`); by default they are written to a temporary directory and removed.
    #[arg(long, requires = "scales")]
    pub keep_data: Option<PathBuf>,
    /// Measured queries per direction in each of the cold and warm samples (drawn at random with --seed).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Warm-up queries per direction before the warm sample, never measured.
    #[arg(long, default_value_t = 50)]
    pub warmup: usize,
    /// Writes of each kind, each followed by one measured query.
    #[arg(long, default_value_t = 20)]
    pub writes: usize,
    /// Results per query.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Also write the figures (and the sampled query ids) as JSON here: one report per dataset.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Leave every demand's feedback to be computed on first use instead of while the engine opens
    /// (queries then pay for the feedback of their candidates).
    #[arg(long)]
    pub no_precompute: bool,
}

/// A generated dataset's size: teams and demands.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    teams: usize,
    demands: usize,
}

impl FromStr for Scale {
    type Err = String;

    fn from_str(s: &str) -> Result<Scale, String> {
        let (t, d) = s
            .split_once('/')
            .ok_or_else(|| format!("scale {s:?} is not TEAMS/DEMANDS"))?;
        let number = |x: &str| {
            x.trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("scale {s:?}: {x:?} is not a positive number"))
        };
        Ok(Scale {
            teams: number(t)?,
            demands: number(d)?,
        })
    }
}

/// Latency figures of one set of queries, in milliseconds.
#[derive(Debug, Serialize)]
struct Latency {
    queries: usize,
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

/// Latency in both directions.
#[derive(Debug, Serialize)]
struct Directions {
    demand_to_teams: Latency,
    team_to_demands: Latency,
}

/// Writes of one kind, each followed by the first query after it.
#[derive(Debug, Serialize)]
struct AfterWrites {
    kind: &'static str,
    /// How long the writes themselves took.
    write: Latency,
    demand_to_teams: Latency,
    team_to_demands: Latency,
}

/// Rankings with feedback kept from before the writes against the same rankings after settling.
#[derive(Debug, Serialize)]
struct Settled {
    /// How long settling took.
    seconds: f64,
    /// Rankings compared (half demands, half teams).
    lists: usize,
    /// Rankings with the same ids in the same order.
    same_order: usize,
    /// Rankings equal in ids, order and scores.
    identical: usize,
    /// Mean share of the top `limit` ids found in both.
    mean_overlap: f64,
    /// Largest change of a score in both.
    max_score_change: f32,
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
    /// Every demand's feedback, computed while opening (part of `seconds`); 0 with --no-precompute.
    seconds_feedback: f32,
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
    cold: Directions,
    warm: Directions,
    demand_to_teams_load: Load,
    team_to_demands_load: Load,
    after_writes: Vec<AfterWrites>,
    settled: Settled,
    peak_rss_bytes: u64,
    seed: u64,
    /// The warm sample (what `scripts/bench_bm25s.py` queries).
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
    status_bytes("VmHWM:")
}

/// The resident set size now.
fn rss() -> u64 {
    status_bytes("VmRSS:")
}

/// A size in `/proc/self/status` (`field` with its colon), in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Starts the peak resident set size afresh (so that each scale reports its own peak); best effort.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn latency(mut ms: Vec<f64>) -> Latency {
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
        p50_ms: at(0.50),
        p90_ms: at(0.90),
        p99_ms: at(0.99),
        max_ms: ms.last().copied().unwrap_or(0.0),
        mean_ms: total / ms.len().max(1) as f64,
        queries_per_s: ms.len() as f64 / (total / 1000.0).max(1e-9),
    }
}

/// Milliseconds `run` takes.
fn timed<R>(run: impl FnOnce() -> anyhow::Result<R>) -> anyhow::Result<f64> {
    let started = Instant::now();
    std::hint::black_box(run()?);
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

fn time_queries<T>(
    ids: &[T],
    run: impl Fn(&T) -> anyhow::Result<usize>,
) -> anyhow::Result<Vec<f64>> {
    ids.iter().map(|id| timed(|| run(id))).collect()
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
    let l = latency(ms);
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
        "{name:<22} the same queries from {} clients at once: {:.0} queries/s, p50 {:.2} ms, p99 {:.2} ms",
        l.clients, l.queries_per_s, l.p50_ms, l.p99_ms
    );
}

fn print_latency(name: &str, l: &Latency) {
    println!(
        "{name:<22} {} queries: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms ({:.0} queries/s)",
        l.queries, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms, l.queries_per_s
    );
}

fn print_directions(what: &str, limit: usize, d: &Directions) {
    print_latency(&format!("{what} demand → top {limit}"), &d.demand_to_teams);
    print_latency(&format!("{what} team → top {limit}"), &d.team_to_demands);
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
        seconds_feedback: report.seconds_expansions,
        analysis_and_index_docs_per_s: documents as f64
            / f64::from(report.seconds_analysis + report.seconds_index).max(1e-9),
    }
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.limit == 0 {
        return Err(InputError("--limit must be at least 1".into()).into());
    }
    let mut reports = Vec::new();
    if let Some(dir) = &args.data {
        let started = Instant::now();
        let data = super::load::dataset(dir)?;
        reports.push(bench(&args, &dir.display().to_string(), data, started)?);
    } else {
        let tmp = tempfile::tempdir()?;
        let root = args.keep_data.as_deref().unwrap_or(tmp.path());
        let material = Material::embedded()?;
        for scale in &args.scales {
            let dir = root.join(format!("{}x{}", scale.teams, scale.demands));
            let started = Instant::now();
            let params = Params {
                seed: args.seed,
                teams: scale.teams,
                demands: scale.demands,
                ..Params::default()
            };
            generator::generate(&material, &params, &dir)?;
            println!(
                "generated {} ({} teams, {} demands, seed {}) in {:.1} s",
                dir.display(),
                scale.teams,
                scale.demands,
                args.seed,
                started.elapsed().as_secs_f64()
            );
            let started = Instant::now();
            let data = super::load::dataset(&dir)?;
            reports.push(bench(&args, &dir.display().to_string(), data, started)?);
            println!();
        }
        if reports.len() > 1 {
            print_summary(&reports);
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&reports)?)?;
        println!("figures written to {}", path.display());
    }
    Ok(())
}

/// One row per scale and direction: warm, cold and after-write figures side by side.
fn print_summary(reports: &[Report]) {
    println!(
        "| teams / demands | direction | warm p50 / p99 / max ms | first {} after open p50 / p99 / max ms | first query after a write, max ms (team upsert, team delete, demand upsert, demand delete) | build s | peak RSS MiB |",
        reports
            .first()
            .map_or(0, |r| r.cold.demand_to_teams.queries)
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let figures = |l: &Latency| format!("{:.2} / {:.2} / {:.2}", l.p50_ms, l.p99_ms, l.max_ms);
    for r in reports {
        for (direction, warm, cold, after) in [
            (
                "demand → top",
                &r.warm.demand_to_teams,
                &r.cold.demand_to_teams,
                r.after_writes
                    .iter()
                    .map(|a| a.demand_to_teams.max_ms)
                    .collect::<Vec<_>>(),
            ),
            (
                "team → top",
                &r.warm.team_to_demands,
                &r.cold.team_to_demands,
                r.after_writes
                    .iter()
                    .map(|a| a.team_to_demands.max_ms)
                    .collect(),
            ),
        ] {
            let after: Vec<String> = after.iter().map(|m| format!("{m:.2}")).collect();
            println!(
                "| {} / {} | {direction} {} | {} | {} | {} | {:.1} | {:.0} |",
                r.teams,
                r.demands,
                r.limit,
                figures(warm),
                figures(cold),
                after.join(", "),
                r.build.seconds,
                r.peak_rss_bytes as f64 / 1048576.0
            );
        }
    }
}

/// `k` distinct ids of `len` documents (`id(i)` reads the i-th), in seeded random order.
fn pick<I>(rng: &mut Xoshiro256PlusPlus, len: usize, k: usize, id: impl Fn(usize) -> I) -> Vec<I> {
    sample_indices(rng, len, k).into_iter().map(id).collect()
}

/// Measures the engine on `data` (named `name`; `started` when loading began).
fn bench(args: &BenchArgs, name: &str, data: Dataset, started: Instant) -> anyhow::Result<Report> {
    reset_peak_rss();
    let load_before = loadavg();
    let seconds_load = started.elapsed().as_secs_f64();
    let (n_teams, n_demands) = (data.teams.len(), data.demands.len());
    if n_teams == 0 || n_demands == 0 {
        return Err(InputError("the dataset needs teams and demands to benchmark".into()).into());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let demand_id = |i: usize| data.demands[i].id.clone();
    let team_id = |i: usize| data.teams[i].id.clone();
    let cold_demands = pick(&mut rng, n_demands, args.queries, demand_id);
    let cold_teams = pick(&mut rng, n_teams, args.queries, team_id);
    let warm_demands = pick(&mut rng, n_demands, args.warmup + args.queries, demand_id);
    let warm_teams = pick(&mut rng, n_teams, args.warmup + args.queries, team_id);
    let writes = Writes::sample(&mut rng, &data, args.writes);
    println!(
        "dataset {name}: {n_teams} teams, {n_demands} demands, loaded in {seconds_load:.1} s; {cores} cores, load average {load_before}"
    );

    // 1. The whole build from empty directories, every demand's feedback included.
    let tmp = tempfile::tempdir()?;
    let options = OpenOptions {
        save_models: true,
        precompute_feedback: !args.no_precompute,
        ..OpenOptions::default()
    };
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let (engine, report) = super::load::engine_under(tmp.path(), data, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let build = build_figures(
        &report,
        report.documents,
        seconds,
        cpu_seconds() - cpu_before,
    );
    println!(
        "build                  {} documents in {:.2} s ({:.1} CPU-s): {:.0} docs/s (fingerprint {:.2} s, analysis with the text index fed as it goes {:.2} s, text index commit {:.2} s, models {:.2} s, vectors {:.2} s, feedback of every demand {:.2} s); analysis + text index alone {:.0} docs/s",
        build.documents,
        build.seconds,
        build.cpu_seconds,
        build.docs_per_s,
        build.seconds_fingerprint,
        build.seconds_analysis,
        build.seconds_index,
        build.seconds_models,
        build.seconds_vectors,
        build.seconds_feedback,
        build.analysis_and_index_docs_per_s,
    );
    if let Some(t) = &report.train {
        println!(
            "training               {:.2} s: tfidf {:.2} s, lsa {:.2} s, kmeans {:.2} s (vocabulary {}, {} dimensions, k={}, silhouette {:.3})",
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
        "peak RSS after build   {:.0} MiB (resident now {:.0} MiB)",
        peak_rss() as f64 / 1048576.0,
        rss() as f64 / 1048576.0
    );
    let teams_of = |id: &DemandId| Ok(engine.teams_for_demand(id, args.limit)?.len());
    let demands_of = |id: &TeamId| Ok(engine.demands_for_team(id, args.limit)?.len());

    // 2. Cold: the first queries after opening, directions alternating.
    let (mut cold_d, mut cold_t) = (Vec::new(), Vec::new());
    for i in 0..cold_demands.len().max(cold_teams.len()) {
        if let Some(id) = cold_demands.get(i) {
            cold_d.push(timed(|| teams_of(id))?);
        }
        if let Some(id) = cold_teams.get(i) {
            cold_t.push(timed(|| demands_of(id))?);
        }
    }
    let cold = Directions {
        demand_to_teams: latency(cold_d),
        team_to_demands: latency(cold_t),
    };
    print_directions("cold", args.limit, &cold);

    // 3. Warm: a warm-up, then another sample one direction at a time, then under load.
    let (warmup_d, warm_d) = warm_demands.split_at(args.warmup.min(warm_demands.len()));
    let (warmup_t, warm_t) = warm_teams.split_at(args.warmup.min(warm_teams.len()));
    time_queries(warmup_d, teams_of)?;
    time_queries(warmup_t, demands_of)?;
    let warm = Directions {
        demand_to_teams: latency(time_queries(warm_d, teams_of)?),
        team_to_demands: latency(time_queries(warm_t, demands_of)?),
    };
    print_directions("warm", args.limit, &warm);
    let demand_to_teams_load = time_load(warm_d, cores, teams_of)?;
    print_load(
        &format!("demand → top {}", args.limit),
        &demand_to_teams_load,
    );
    let team_to_demands_load = time_load(warm_t, cores, demands_of)?;
    print_load(&format!("team → top {}", args.limit), &team_to_demands_load);

    // 4. Writes of each kind, each followed by one query; then what settling changes.
    let mut writes = writes;
    let after_writes = writes.run(&engine, &mut rng, args.limit)?;
    for a in &after_writes {
        println!(
            "after {:<16} {} writes (p50 {:.2} ms, max {:.2} ms each); first query after one: demand → top {} p50 {:.2} ms, max {:.2} ms; team → top {} p50 {:.2} ms, max {:.2} ms",
            a.kind,
            a.write.queries,
            a.write.p50_ms,
            a.write.max_ms,
            args.limit,
            a.demand_to_teams.p50_ms,
            a.demand_to_teams.max_ms,
            args.limit,
            a.team_to_demands.p50_ms,
            a.team_to_demands.max_ms,
        );
    }

    let settled = writes.settle(&engine, &mut rng, args.limit, args.queries.min(100))?;
    println!(
        "settling               {:.2} s; of {} rankings (half demand → top {}, half team → top {}) {} in the same order, {} with the same scores too, top-{} overlap {:.4}, largest score change {:.6}",
        settled.seconds,
        settled.lists,
        args.limit,
        args.limit,
        settled.same_order,
        settled.identical,
        args.limit,
        settled.mean_overlap,
        settled.max_score_change,
    );

    let memory = engine.memory()?;
    let total: usize = memory.iter().map(|(_, b)| b).sum();
    println!(
        "engine memory          {:.0} MiB in vectors: {}",
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
        "peak RSS               {:.0} MiB ({:.2} GB); load average {load_after}",
        peak as f64 / 1048576.0,
        peak as f64 / 1e9
    );
    Ok(Report {
        dataset: name.to_owned(),
        teams: n_teams,
        demands: n_demands,
        cores,
        load_before,
        load_after,
        seconds_load,
        build,
        train: report.train,
        limit: args.limit,
        cold,
        warm,
        demand_to_teams_load,
        team_to_demands_load,
        after_writes,
        settled,
        peak_rss_bytes: peak,
        seed: args.seed,
        sample: Sample {
            demands: warm_d.iter().map(|d| d.0.clone()).collect(),
            teams: warm_t.iter().map(|t| t.0.clone()).collect(),
        },
    })
}

/// The records the writes change, drawn before the engine takes the dataset: teams and demands to delete,
/// teams and demands whose text is given to another record (an upsert under a new id, or over an existing
/// one), and the ids left to query.
struct Writes {
    teams: Vec<Team>,
    demands: Vec<Demand>,
    live_teams: Vec<TeamId>,
    live_demands: Vec<DemandId>,
    count: usize,
}

/// One of the four kinds of write.
#[derive(Clone, Copy)]
enum Write {
    TeamUpsert,
    TeamDelete,
    DemandUpsert,
    DemandDelete,
}

impl Write {
    const ALL: [Write; 4] = [
        Write::TeamUpsert,
        Write::TeamDelete,
        Write::DemandUpsert,
        Write::DemandDelete,
    ];

    fn name(self) -> &'static str {
        match self {
            Write::TeamUpsert => "team upsert",
            Write::TeamDelete => "team delete",
            Write::DemandUpsert => "demand upsert",
            Write::DemandDelete => "demand delete",
        }
    }
}

impl Writes {
    /// `count` writes of each kind; each kind takes at most a quarter of either side.
    fn sample(rng: &mut Xoshiro256PlusPlus, data: &Dataset, count: usize) -> Writes {
        let count = count.min(data.teams.len() / 4).min(data.demands.len() / 4);
        let teams = pick(rng, data.teams.len(), 2 * count, |i| data.teams[i].clone());
        let demands = pick(rng, data.demands.len(), 2 * count, |i| {
            data.demands[i].clone()
        });
        Writes {
            teams,
            demands,
            live_teams: data.teams.iter().map(|t| t.id.clone()).collect(),
            live_demands: data.demands.iter().map(|d| d.id.clone()).collect(),
            count,
        }
    }

    /// Runs every write, each followed by one timed query (demand → teams after even writes, team →
    /// demands after odd ones), and returns the figures per kind of write.
    fn run(
        &mut self,
        engine: &Engine,
        rng: &mut Xoshiro256PlusPlus,
        limit: usize,
    ) -> anyhow::Result<Vec<AfterWrites>> {
        let mut out = Vec::new();
        for kind in Write::ALL {
            let (mut write, mut d, mut t) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..self.count {
                write.push(self.write(engine, kind, i)?);
                if i.is_multiple_of(2) {
                    let id = &self.live_demands[rng.gen_range(0..self.live_demands.len())];
                    d.push(timed(|| Ok(engine.teams_for_demand(id, limit)?.len()))?);
                } else {
                    let id = &self.live_teams[rng.gen_range(0..self.live_teams.len())];
                    t.push(timed(|| Ok(engine.demands_for_team(id, limit)?.len()))?);
                }
            }
            out.push(AfterWrites {
                kind: kind.name(),
                write: latency(write),
                demand_to_teams: latency(d),
                team_to_demands: latency(t),
            });
        }
        Ok(out)
    }

    /// Ranks `count` live demands and `count` live teams, settles the engine and ranks them again.
    fn settle(
        &self,
        engine: &Engine,
        rng: &mut Xoshiro256PlusPlus,
        limit: usize,
        count: usize,
    ) -> anyhow::Result<Settled> {
        let demands = pick(rng, self.live_demands.len(), count, |i| {
            self.live_demands[i].clone()
        });
        let teams = pick(rng, self.live_teams.len(), count, |i| {
            self.live_teams[i].clone()
        });
        let rank = || -> anyhow::Result<Vec<Vec<(String, f32)>>> {
            let mut lists = Vec::new();
            for d in &demands {
                let ranked = engine.rank_teams(d, limit)?;
                lists.push(ranked.into_iter().map(|(t, s)| (t.0, s)).collect());
            }
            for t in &teams {
                let ranked = engine.rank_demands(t, limit)?;
                lists.push(ranked.into_iter().map(|(d, s)| (d.0, s)).collect());
            }
            Ok(lists)
        };
        let before = rank()?;
        let started = Instant::now();
        engine.settle()?;
        let seconds = started.elapsed().as_secs_f64();
        let after = rank()?;
        let (mut same_order, mut identical, mut overlap, mut max_change) = (0, 0, 0.0, 0f32);
        for (b, a) in before.iter().zip(&after) {
            identical += usize::from(b == a);
            same_order += usize::from(b.iter().map(|x| &x.0).eq(a.iter().map(|x| &x.0)));
            let common = b.iter().filter_map(|(id, s)| {
                a.iter()
                    .find(|(other, _)| other == id)
                    .map(|(_, t)| (s - t).abs())
            });
            let (mut n, mut largest) = (0, 0f32);
            for change in common {
                n += 1;
                largest = largest.max(change);
            }
            overlap += n as f64 / b.len().max(a.len()).max(1) as f64;
            max_change = max_change.max(largest);
        }
        Ok(Settled {
            seconds,
            lists: before.len(),
            same_order,
            identical,
            mean_overlap: overlap / before.len().max(1) as f64,
            max_score_change: max_change,
        })
    }

    /// The `i`-th write of `kind`, timed. Upserts alternate between a new record (the text of a sampled
    /// one under a new id) and a changed one (a sampled record given the text of another); deletes remove
    /// sampled records.
    fn write(&mut self, engine: &Engine, kind: Write, i: usize) -> anyhow::Result<f64> {
        let (a, b) = (2 * i, 2 * i + 1);
        match kind {
            Write::TeamUpsert => {
                let mut team = self.teams[a].clone();
                if i.is_multiple_of(2) {
                    team.id = TeamId(format!("bench-team-{i}"));
                    self.live_teams.push(team.id.clone());
                } else {
                    team.id = self.teams[b].id.clone();
                }
                timed(|| Ok(engine.upsert_team(team)?))
            }
            Write::DemandUpsert => {
                let mut demand = self.demands[a].clone();
                if i.is_multiple_of(2) {
                    demand.id = DemandId(format!("bench-demand-{i}"));
                    self.live_demands.push(demand.id.clone());
                } else {
                    demand.id = self.demands[b].id.clone();
                }
                timed(|| Ok(engine.upsert_demand(demand)?))
            }
            Write::TeamDelete => {
                let id = self.teams[a].id.clone();
                self.live_teams.retain(|t| *t != id);
                timed(|| Ok(engine.delete_team(&id)?))
            }
            Write::DemandDelete => {
                let id = self.demands[a].id.clone();
                self.live_demands.retain(|d| *d != id);
                timed(|| Ok(engine.delete_demand(&id)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_read_as_teams_over_demands() {
        let s: Scale = "5000/10000".parse().expect("scale");
        assert_eq!((s.teams, s.demands), (5000, 10000));
        assert!("5000".parse::<Scale>().is_err());
        assert!("0/10".parse::<Scale>().is_err());
        assert!("a/10".parse::<Scale>().is_err());
    }
}
