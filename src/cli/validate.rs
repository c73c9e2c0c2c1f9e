//! `shuanggao validate DIR [--realism]`: checks a dataset directory against the contract and prints a count
//! per file, or every problem as `FILE:LINE: FIELD: message` (exit code 2). With `--realism` it also measures
//! how the records read (repeated titles and names, doubled phrases, stock sentence frames, teams per
//! university against the listed strengths, coherence of business and demand, of achievement title and
//! abstract) and fails past the thresholds `datasets/README.md` states and justifies.

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
    /// Also measure how realistic the records read and fail past the stated thresholds.
    #[arg(long)]
    pub realism: bool,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let targets = match dataset::load_targets(&args.dir) {
        Ok(targets) => targets,
        Err(DatasetError::Invalid(problems)) => {
            println!("{problems}");
            eprintln!(
                "error: {} has invalid targets: {} problems",
                args.dir.display(),
                problems.len()
            );
            return Ok(ExitCode::from(2));
        }
        Err(err) => return Err(err.into()),
    };
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
            // targets.jsonl is optional and newer than the other files: named only when present.
            if !targets.is_empty() {
                println!(
                    "{}: {} targets; baselines: {} zones, {} universities",
                    dataset::TARGETS_FILE,
                    targets.len(),
                    ds.zones.iter().filter(|z| z.baseline.is_some()).count(),
                    ds.universities
                        .iter()
                        .filter(|u| u.baseline.is_some())
                        .count()
                );
            }
            if args.realism && !realism::report(&ds)? {
                eprintln!("error: {} fails the realism check", args.dir.display());
                return Ok(ExitCode::from(2));
            }
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

/// The realism check: each measure with its threshold, one line each.
mod realism {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use shuanggao::analysis::Analyzer;
    use shuanggao::domain::{Dataset, Demand};
    use shuanggao::generator::Material;

    /// Demand titles that must be distinct (share of demands).
    const MIN_DISTINCT_TITLES: f64 = 0.97;
    /// Largest share of all description sentences one opening frame may take.
    const MAX_FRAME_SHARE: f64 = 0.08;
    /// Least share of a listed university's teams in the tracks listed for it.
    const MIN_TEAMS_IN_STRENGTHS: f64 = 0.95;
    /// Least rank correlation between listed university scale and team count.
    const MIN_SCALE_CORRELATION: f64 = 0.7;
    /// Least share of demands whose business reads closer to their own demand than to another demand of the
    /// same primary track.
    const MIN_BUSINESS_COHERENCE: f64 = 0.7;
    /// Least share of achievements whose title and abstract (both given) share a term.
    const MIN_ACHIEVEMENT_COHERENCE: f64 = 0.97;
    /// Characters of a sentence's opening that make its frame.
    const FRAME_CHARS: usize = 4;
    /// Stock phrases of profiles and demands that one text should not use twice.
    const STOCK_PHRASES: &[&str] = &[
        "近年来",
        "近五年",
        "主要研究方向",
        "研究内容主要包括",
        "代表性成果",
        "取得的主要进展",
        "团队依托",
        "合作目标",
        "主要技术指标",
        "验收要求",
        "期望达到的效果",
        "具体指标要求",
        "应用场景为",
        "企业可投入",
        "项目预算",
    ];

    struct Line {
        ok: bool,
    }

    fn line(name: &str, value: String, threshold: String, ok: bool) -> Line {
        let verdict = if ok { "ok" } else { "FAIL" };
        println!("realism: {name}: {value} ({threshold}) {verdict}");
        Line { ok }
    }

    /// Prints the measures; `false` when one is past its threshold.
    pub fn report(ds: &Dataset) -> anyhow::Result<bool> {
        let mut lines = Vec::new();
        let analyzer = Analyzer::shared();

        let titles: HashSet<&str> = ds.demands.iter().map(|d| d.title.as_str()).collect();
        let distinct = share(titles.len(), ds.demands.len());
        lines.push(line(
            "distinct demand titles",
            format!(
                "{} of {} ({:.1} %)",
                titles.len(),
                ds.demands.len(),
                distinct * 100.0
            ),
            format!("at least {:.0} %", MIN_DISTINCT_TITLES * 100.0),
            distinct >= MIN_DISTINCT_TITLES,
        ));
        let mut names = HashSet::new();
        let repeated = ds
            .teams
            .iter()
            .filter(|t| !names.insert((t.university_id.as_str(), t.name.as_str())))
            .count();
        let distinct_names: HashSet<&str> = ds.teams.iter().map(|t| t.name.as_str()).collect();
        lines.push(line(
            "team names repeated inside a university",
            format!(
                "{repeated} ({} distinct names of {} teams)",
                distinct_names.len(),
                ds.teams.len()
            ),
            "none".to_owned(),
            repeated == 0,
        ));

        let texts: Vec<&str> = ds
            .teams
            .iter()
            .map(|t| t.description.as_str())
            .chain(ds.demands.iter().map(|d| d.description.as_str()))
            .collect();
        let doubled = texts
            .iter()
            .filter(|text| STOCK_PHRASES.iter().any(|p| text.matches(p).count() > 1))
            .count();
        lines.push(line(
            "descriptions using a stock phrase twice",
            doubled.to_string(),
            "none".to_owned(),
            doubled == 0,
        ));
        for (side, texts) in [
            (
                "team",
                ds.teams
                    .iter()
                    .map(|t| t.description.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "demand",
                ds.demands.iter().map(|d| d.description.as_str()).collect(),
            ),
        ] {
            let (frames, sentences) = frames(&texts);
            let top: Vec<String> = frames
                .iter()
                .take(5)
                .map(|(f, n)| format!("{f}… {:.1} %", share(*n, sentences) * 100.0))
                .collect();
            let largest = frames.first().map_or(0.0, |(_, n)| share(*n, sentences));
            lines.push(line(
                &format!("most frequent {side} sentence frames"),
                format!("{} ({sentences} sentences)", top.join(", ")),
                format!("each at most {:.0} %", MAX_FRAME_SHARE * 100.0),
                largest <= MAX_FRAME_SHARE,
            ));
        }

        lines.extend(strengths(ds)?);

        let coherence = business_coherence(&analyzer, &ds.demands);
        lines.push(line(
            "business closer to its own demand title than to another of its track",
            format!("{:.1} % of demands", coherence * 100.0),
            format!("at least {:.0} %", MIN_BUSINESS_COHERENCE * 100.0),
            coherence >= MIN_BUSINESS_COHERENCE,
        ));
        let (agreeing, pairs) = achievement_coherence(&analyzer, ds);
        let achievement_share = share(agreeing, pairs);
        lines.push(line(
            "achievements whose title and abstract share a term",
            format!("{agreeing} of {pairs} ({:.1} %)", achievement_share * 100.0),
            format!("at least {:.0} %", MIN_ACHIEVEMENT_COHERENCE * 100.0),
            achievement_share >= MIN_ACHIEVEMENT_COHERENCE,
        ));
        Ok(lines.iter().all(|l| l.ok))
    }

    fn share(part: usize, whole: usize) -> f64 {
        if whole == 0 {
            1.0
        } else {
            part as f64 / whole as f64
        }
    }

    /// Opening frames of the texts' sentences, most frequent first, and the number of sentences.
    fn frames(texts: &[&str]) -> (Vec<(String, usize)>, usize) {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut sentences = 0;
        for text in texts {
            for sentence in text.split('。').map(str::trim).filter(|s| !s.is_empty()) {
                sentences += 1;
                let frame: String = sentence.chars().take(FRAME_CHARS).collect();
                *counts.entry(frame).or_default() += 1;
            }
        }
        let mut frames: Vec<(String, usize)> = counts.into_iter().collect();
        frames.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        (frames, sentences)
    }

    /// Teams per university against the strengths the generator lists for it (`datasets/topics/affinity.json`):
    /// the share of their teams in listed tracks, and the rank correlation of scale and team count. Only
    /// universities listed there are measured.
    fn strengths(ds: &Dataset) -> anyhow::Result<Vec<Line>> {
        let material = Material::embedded()?;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let mut inside = 0;
        let mut listed_teams = 0;
        for team in &ds.teams {
            let Some(affinity) = material.affinity.get(team.university_id.as_str()) else {
                continue;
            };
            listed_teams += 1;
            *counts.entry(team.university_id.as_str()).or_default() += 1;
            if team
                .track_ids
                .iter()
                .any(|t| affinity.tracks.iter().any(|(a, _)| a == t.as_str()))
            {
                inside += 1;
            }
        }
        let mut out = Vec::new();
        let inside_share = share(inside, listed_teams);
        out.push(line(
            "teams of listed universities in their listed tracks",
            format!("{inside} of {listed_teams} ({:.1} %)", inside_share * 100.0),
            format!("at least {:.0} %", MIN_TEAMS_IN_STRENGTHS * 100.0),
            inside_share >= MIN_TEAMS_IN_STRENGTHS,
        ));
        let universities: Vec<(f64, f64)> = ds
            .universities
            .iter()
            .filter_map(|u| {
                let affinity = material.affinity.get(u.id.as_str())?;
                let teams = counts.get(u.id.as_str()).copied().unwrap_or(0);
                Some((f64::from(affinity.scale), teams as f64))
            })
            .collect();
        if universities.len() >= 3 {
            let rho = spearman(&universities);
            let mut by_teams: Vec<(&str, usize)> = counts.iter().map(|(u, n)| (*u, *n)).collect();
            by_teams.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let most: Vec<String> = by_teams
                .iter()
                .take(3)
                .map(|(u, n)| format!("{u} {n}"))
                .collect();
            let least: Vec<String> = by_teams
                .iter()
                .rev()
                .take(3)
                .map(|(u, n)| format!("{u} {n}"))
                .collect();
            out.push(line(
                "rank correlation of listed university scale and team count",
                format!(
                    "{rho:.2} over {} universities (most {}; least {})",
                    universities.len(),
                    most.join(", "),
                    least.join(", ")
                ),
                format!("at least {MIN_SCALE_CORRELATION}"),
                rho >= MIN_SCALE_CORRELATION,
            ));
        }
        Ok(out)
    }

    /// Spearman's rank correlation of the pairs (average ranks for ties).
    fn spearman(pairs: &[(f64, f64)]) -> f64 {
        let ranks = |values: Vec<f64>| -> Vec<f64> {
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
            let mut ranks = vec![0.0; values.len()];
            let mut i = 0;
            while i < order.len() {
                let mut j = i;
                while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
                    j += 1;
                }
                let rank = (i + j) as f64 / 2.0;
                for &k in &order[i..=j] {
                    ranks[k] = rank;
                }
                i = j + 1;
            }
            ranks
        };
        let a = ranks(pairs.iter().map(|p| p.0).collect());
        let b = ranks(pairs.iter().map(|p| p.1).collect());
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        if va == 0.0 || vb == 0.0 {
            0.0
        } else {
            cov / (va * vb).sqrt()
        }
    }

    /// TF-IDF vectors (the engine's analyzer terms, inverse document frequency over `docs`) of `docs`.
    fn vectors(analyzer: &Analyzer, docs: &[String]) -> Vec<HashMap<String, f32>> {
        let terms: Vec<Vec<String>> = docs.iter().map(|d| analyzer.terms(d)).collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for doc in &terms {
            let unique: HashSet<&str> = doc.iter().map(String::as_str).collect();
            for term in unique {
                *df.entry(term).or_default() += 1;
            }
        }
        let n = docs.len().max(1) as f32;
        terms
            .iter()
            .map(|doc| {
                let mut v: HashMap<String, f32> = HashMap::new();
                for term in doc {
                    *v.entry(term.clone()).or_default() += 1.0;
                }
                for (term, weight) in v.iter_mut() {
                    let idf = (n / df.get(term.as_str()).copied().unwrap_or(1) as f32).ln() + 1.0;
                    *weight *= idf;
                }
                v
            })
            .collect()
    }

    fn cosine(a: &HashMap<String, f32>, b: &HashMap<String, f32>) -> f32 {
        let dot: f32 = a.iter().filter_map(|(t, x)| b.get(t).map(|y| x * y)).sum();
        let norm = |v: &HashMap<String, f32>| v.values().map(|x| x * x).sum::<f32>().sqrt();
        let denom = norm(a) * norm(b);
        if denom == 0.0 { 0.0 } else { dot / denom }
    }

    /// The company's own words about its business (name and first sentence) and what it asks for (the
    /// title).
    fn business_and_need(demand: &Demand) -> (String, String) {
        let name = demand.enterprise.as_ref().map_or("", |e| e.name.as_str());
        let first = demand
            .description
            .split_once('。')
            .map_or(demand.description.as_str(), |(first, _)| first);
        (format!("{name} {first}"), demand.title.clone())
    }

    /// Share of demands whose business is more similar to their own title than to the title of the next
    /// demand (in file order, wrapping) with the same primary track and another title, among those where the
    /// two similarities differ.
    fn business_coherence(analyzer: &Analyzer, demands: &[Demand]) -> f64 {
        let (business, need): (Vec<String>, Vec<String>) =
            demands.iter().map(business_and_need).unzip();
        let mut docs = business;
        let n = docs.len();
        docs.extend(need);
        let v = vectors(analyzer, &docs);
        let mut by_track: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, d) in demands.iter().enumerate() {
            if let Some(track) = d.track_ids.first() {
                by_track.entry(track.as_str()).or_default().push(i);
            }
        }
        let mut compared = 0;
        let mut closer = 0;
        for members in by_track.values() {
            for (k, &i) in members.iter().enumerate() {
                let other = (1..members.len())
                    .map(|step| members[(k + step) % members.len()])
                    .find(|&j| demands[j].title != demands[i].title);
                if let Some(j) = other {
                    let (own, theirs) = (cosine(&v[i], &v[n + i]), cosine(&v[i], &v[n + j]));
                    // Ties (most often both zero) tell nothing either way.
                    if own != theirs {
                        compared += 1;
                        closer += usize::from(own > theirs);
                    }
                }
            }
        }
        share(closer, compared)
    }

    /// Achievements with both a title and an abstract, and those of them whose two texts share a term.
    fn achievement_coherence(analyzer: &Analyzer, ds: &Dataset) -> (usize, usize) {
        let mut pairs = 0;
        let mut agreeing = 0;
        for a in ds.teams.iter().flat_map(|t| &t.achievements) {
            if a.title.trim().is_empty() || a.r#abstract.trim().is_empty() {
                continue;
            }
            pairs += 1;
            let title: HashSet<String> = analyzer.terms(&a.title).into_iter().collect();
            if analyzer
                .terms(&a.r#abstract)
                .iter()
                .any(|t| title.contains(t))
            {
                agreeing += 1;
            }
        }
        (agreeing, pairs)
    }
}
