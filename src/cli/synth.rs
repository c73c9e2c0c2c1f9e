//! `shuanggao synth-propose` (hidden): solves a synthetic dataset (or a bare random instance) and writes
//! `INSTANCE.json` and `BATCH.json`, for benchmarks and for checks with an external MILP solver.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use shuanggao::pairing::synthetic::{SyntheticSpec, synthetic};
use shuanggao::pairing::{self, PairingConfig, Triple, random_instance, solve_instance};

use super::propose::write_json;

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Output directory for INSTANCE.json and BATCH.json.
    #[arg(long)]
    pub out_dir: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 200)]
    pub zones: usize,
    #[arg(long, default_value_t = 500)]
    pub universities: usize,
    #[arg(long, default_value_t = 100_000)]
    pub teams: usize,
    #[arg(long, default_value_t = 200_000)]
    pub demands: usize,
    #[arg(long, default_value_t = 20)]
    pub tracks: usize,
    /// Propose for only the first N tracks (all by default).
    #[arg(long)]
    pub select: Option<usize>,
    #[arg(long)]
    pub zone_track_min: Option<u32>,
    #[arg(long)]
    pub zone_track_max: Option<u32>,
    #[arg(long)]
    pub university_max: Option<u32>,
    #[arg(long)]
    pub min_quality: Option<f64>,
    #[arg(long)]
    pub candidates_per_group: Option<usize>,
    /// Add this many random forced triples.
    #[arg(long, default_value_t = 0)]
    pub forced: usize,
    /// Add this many random forbidden triples.
    #[arg(long, default_value_t = 0)]
    pub forbidden: usize,
    /// Write a bare random instance (zones × tracks groups, given density) instead of a dataset.
    #[arg(long)]
    pub instance_density: Option<f64>,
    /// Also write the synthetic dataset as JSON Lines into this directory.
    #[arg(long)]
    pub write_dataset: Option<PathBuf>,
}

pub fn run(a: SynthArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&a.out_dir)?;
    if let Some(density) = a.instance_density {
        let inst = random_instance(a.seed, a.zones, a.universities, a.tracks, density);
        let t = Instant::now();
        let sol = match solve_instance(&inst) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let pairings: Vec<_> = sol.selected.iter().map(|&i| &inst.pairs[i]).collect();
        let batch = serde_json::json!({
            "objective": sol.objective,
            "pairings": pairings,
            "optimality": {
                "feasible": sol.feasible,
                "proven_optimal": sol.proven_optimal,
                "gap": sol.gap,
                "unmet_minimums": sol.unmet_units,
            },
        });
        write_json(&a.out_dir.join("INSTANCE.json"), &inst)?;
        write_json(&a.out_dir.join("BATCH.json"), &batch)?;
        println!(
            "pairs={} selected={} objective={:.6} feasible={} solve_ms={}",
            inst.pairs.len(),
            sol.selected.len(),
            sol.objective,
            sol.feasible,
            t.elapsed().as_millis()
        );
        return Ok(ExitCode::SUCCESS);
    }

    let spec = SyntheticSpec {
        zones: a.zones,
        universities: a.universities,
        teams: a.teams,
        demands: a.demands,
        tracks: a.tracks,
        seed: a.seed,
    };
    let t = Instant::now();
    let (data, scorer) = synthetic(&spec);
    let gen_ms = t.elapsed().as_millis();
    if let Some(dir) = &a.write_dataset {
        std::fs::create_dir_all(dir)?;
        write_jsonl(&dir.join("tracks.jsonl"), &data.tracks)?;
        write_jsonl(&dir.join("zones.jsonl"), &data.zones)?;
        write_jsonl(&dir.join("universities.jsonl"), &data.universities)?;
        write_jsonl(&dir.join("teams.jsonl"), &data.teams)?;
        write_jsonl(&dir.join("demands.jsonl"), &data.demands)?;
    }
    let n = a.select.unwrap_or(data.tracks.len()).min(data.tracks.len());
    let tracks: Vec<_> = data.tracks[..n].iter().map(|t| t.id.clone()).collect();
    let mut config = PairingConfig::default();
    if let Some(v) = a.zone_track_min {
        config.zone_track_min = v;
    }
    if let Some(v) = a.zone_track_max {
        config.zone_track_max = v;
    }
    if let Some(v) = a.university_max {
        config.university_max = v;
    }
    if let Some(v) = a.candidates_per_group {
        config.candidates_per_group = v;
    }
    config.min_quality = a.min_quality;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(a.seed ^ 0xF0F0);
    let random_triple = |rng: &mut Xoshiro256PlusPlus| -> Option<Triple> {
        let d = data.demands.choose(rng)?;
        let u = data.universities.choose(rng)?;
        Some(Triple {
            zone_id: d.zone_id.clone(),
            university_id: u.id.clone(),
            track_id: d.track_ids.first()?.clone(),
        })
    };
    for _ in 0..a.forced {
        if let Some(t) = random_triple(&mut rng)
            && !config.forced.contains(&t)
        {
            config.forced.push(t);
        }
    }
    for _ in 0..a.forbidden {
        if let Some(t) = random_triple(&mut rng)
            && !config.forced.contains(&t)
            && !config.forbidden.contains(&t)
        {
            config.forbidden.push(t);
        }
    }
    let proposal = match pairing::propose(&data, &scorer, &tracks, &config, &mut |_| {}) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let b = &proposal.batch;
    write_json(&a.out_dir.join("INSTANCE.json"), &proposal.instance)?;
    write_json(&a.out_dir.join("BATCH.json"), b)?;
    println!(
        "generate_ms={gen_ms} candidates_ms={} solve_ms={} explain_ms={} total_ms={} candidates={} groups={} pairings={} objective={:.6} feasible={} unmet_minimums={}",
        b.timings_ms.candidates,
        b.timings_ms.solve,
        b.timings_ms.explain,
        b.timings_ms.total,
        b.optimality.candidates,
        b.optimality.groups,
        b.pairings.len(),
        b.objective,
        b.optimality.feasible,
        b.optimality.unmet_minimums
    );
    Ok(ExitCode::SUCCESS)
}

fn write_jsonl<T: serde::Serialize>(path: &std::path::Path, rows: &[T]) -> anyhow::Result<()> {
    let mut text = String::new();
    for r in rows {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    std::fs::write(path, text)?;
    Ok(())
}
