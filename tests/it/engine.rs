//! The matching engine end to end on small inline datasets: rankings and explanations, the same score from
//! every direction, incremental updates searchable at once, reopening, monotonicity of the score in the
//! evidence, English research text, and the committed model artifact.

use serde_json::json;
use shuanggao::domain::{Dataset, Demand, DemandId, Team, TeamId};
use shuanggao::matching::{DocKind, Engine, FEATURES, Lang, OpenOptions, PairMatch};
use shuanggao::models::{FORMAT_VERSION, Models};

use crate::support;

fn team(v: serde_json::Value) -> Team {
    serde_json::from_value(v).expect("team fixture")
}

fn demand(v: serde_json::Value) -> Demand {
    serde_json::from_value(v).expect("demand fixture")
}

/// The support dataset plus teams and demands enough to train LSA.
fn dataset() -> Dataset {
    let mut data = support::dataset();
    let extra_teams = [
        (
            "t5",
            "u1",
            "工业视觉检测团队",
            "机器视觉缺陷检测与深度学习图像识别",
            "c-bio",
        ),
        (
            "t6",
            "u2",
            "抗体药物团队",
            "单克隆抗体药物筛选与细胞培养工艺",
            "c-bio",
        ),
        (
            "t7",
            "u1",
            "储能系统集成团队",
            "储能电站电池管理系统与能量调度",
            "f-storage",
        ),
        (
            "t8",
            "u2",
            "中药质量团队",
            "中药指纹图谱与药物质量控制方法",
            "c-bio",
        ),
    ];
    for (id, uni, name, description, track) in extra_teams {
        data.teams.push(team(json!({
            "id": id, "university_id": uni, "name": name, "description": description, "track_ids": [track]
        })));
    }
    let extra_demands = [
        ("d5", "z1", "储能电站电池管理系统升级", "f-storage"),
        ("d6", "z2", "抗体药物细胞培养工艺放大", "c-bio"),
        ("d7", "z2", "中药质量控制指纹图谱", "c-bio"),
    ];
    for (id, zone, title, track) in extra_demands {
        data.demands.push(demand(
            json!({"id": id, "zone_id": zone, "title": title, "track_ids": [track]}),
        ));
    }
    data
}

fn open(data: &Dataset, dir: &std::path::Path) -> Engine {
    support::open_engine(data.clone(), dir, &OpenOptions::default()).0
}

fn check_explanation(m: &PairMatch) {
    let e = &m.explanation;
    assert!((0.0..=1.0).contains(&m.score), "score {}", m.score);
    let sum: f32 = e.contributions.iter().map(|c| c.contribution).sum();
    assert!(
        (sum - m.score).abs() < 1e-4,
        "contributions {sum} vs score {}",
        m.score
    );
    assert_eq!(e.contributions.len(), FEATURES.len());
    let weights: f32 = e.contributions.iter().map(|c| c.weight).sum();
    assert!((weights - 1.0).abs() < 1e-4);
    for c in &e.contributions {
        assert!(
            (0.0..=1.0).contains(&c.value),
            "{} = {}",
            c.feature,
            c.value
        );
        assert!((c.contribution - c.value * c.weight).abs() < 1e-6);
    }
    assert!(e.summary.starts_with("该团队"), "{}", e.summary);
    assert!(e.summary_in(Lang::En).starts_with("The team") || e.summary_en.ends_with('.'));
}

#[test]
fn teams_for_a_demand_with_explanations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(&dataset(), dir.path());
    let matches = engine
        .teams_for_demand(&DemandId::from("d1"), 3)
        .expect("ranking");
    assert_eq!(matches.len(), 3);
    assert_eq!(matches[0].team_id.as_str(), "t1");
    assert!(matches.windows(2).all(|w| w[0].score >= w[1].score));
    for m in &matches {
        check_explanation(m);
    }
    let top = &matches[0].explanation;
    let terms: Vec<&str> = top.matched_terms.iter().map(|t| t.term.as_str()).collect();
    assert!(terms.contains(&"热失控"), "{terms:?}");
    let best = top.best_achievement.as_ref().expect("best achievement");
    assert_eq!(best.title, "电池热失控早期预警方法");
    assert!(
        best.snippet.html.contains("<mark>"),
        "{}",
        best.snippet.html
    );
    let track = top.shared_track.as_ref().expect("shared track");
    assert_eq!((track.id.as_str(), track.exact), ("f-storage", true));
    assert!(top.summary.contains("新型储能"), "{}", top.summary);
    assert!(matches!(
        engine.teams_for_demand(&DemandId::from("nope"), 3),
        Err(shuanggao::matching::MatchError::NotFound { .. })
    ));
}

#[test]
fn a_pair_scores_the_same_from_every_direction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = open(&dataset(), dir.path());
    let d = DemandId::from("d7");
    let by_demand = engine.teams_for_demand(&d, 10).expect("teams");
    for m in &by_demand {
        let pair = engine.score_pair(&d, &m.team_id).expect("pair");
        assert!((pair.score - m.score).abs() < 1e-6);
        let by_team = engine.demands_for_team(&m.team_id, 10).expect("demands");
        let same = by_team
            .iter()
            .find(|x| x.demand_id == d)
            .expect("demand ranked for the team");
        assert!((same.score - m.score).abs() < 1e-6);
    }
    assert_eq!(by_demand[0].team_id.as_str(), "t8");
    let ranked = engine.rank_teams(&d, 0).expect("all teams");
    assert_eq!(ranked.len(), 8);
}

#[test]
fn updates_are_searchable_at_once_and_reopening_reuses_the_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dataset();
    let engine = open(&data, dir.path());
    let find = |text: &str, kind| engine.search(text, kind, 5).expect("search");
    assert!(find("碳化硅功率器件", DocKind::Team).is_empty());
    let new_team = team(json!({
        "id": "t9", "university_id": "u1", "name": "宽禁带半导体团队", "track_ids": ["f-storage"],
        "description": "碳化硅功率器件与储能变流器",
        "achievements": [{"kind": "patent", "title": "一种碳化硅MOSFET驱动电路", "year": 2024}]
    }));
    engine.upsert_team(new_team.clone()).expect("upsert");
    let hits = find("碳化硅功率器件", DocKind::Team);
    assert_eq!(hits[0].id, "t9");
    assert!(
        hits[0].snippet.html.starts_with("<mark>碳化硅"),
        "{}",
        hits[0].snippet.html
    );
    engine
        .upsert_demand(demand(
            json!({"id": "d9", "zone_id": "z1", "title": "碳化硅功率模块国产化"}),
        ))
        .expect("upsert demand");
    let matches = engine
        .teams_for_demand(&DemandId::from("d9"), 1)
        .expect("ranking");
    assert_eq!(matches[0].team_id.as_str(), "t9");
    assert_eq!(find("碳化硅", DocKind::Demand)[0].id, "d9");

    // Update then delete: the index follows.
    let mut renamed = new_team;
    renamed.description = "氮化镓射频器件".into();
    renamed.achievements.clear();
    engine.upsert_team(renamed).expect("update");
    assert!(find("碳化硅", DocKind::Team).is_empty());
    assert_eq!(find("氮化镓", DocKind::Team)[0].id, "t9");
    engine.delete_team(&TeamId::from("t9")).expect("delete");
    assert!(find("氮化镓", DocKind::Team).is_empty());
    assert!(
        engine
            .score_pair(&DemandId::from("d9"), &TeamId::from("t9"))
            .is_err()
    );
    engine
        .delete_demand(&DemandId::from("d9"))
        .expect("delete demand");
    assert!(
        engine
            .upsert_team(team(
                json!({"id": "tx", "university_id": "u-none", "name": "x", "description": "y"})
            ))
            .is_err()
    );
    let snapshot = engine.dataset().expect("snapshot");
    assert_eq!(
        (snapshot.teams.len(), snapshot.demands.len()),
        (data.teams.len(), data.demands.len())
    );
    drop(engine);

    // The dataset after the updates equals the original: the index and the models are reopened.
    let options = OpenOptions::default();
    let (_, report) = support::open_engine(data.clone(), dir.path(), &options);
    assert!(report.index_reopened && report.models_loaded, "{report:?}");
    let mut changed = data.clone();
    changed.demands.pop();
    let (_, report) = support::open_engine(changed, dir.path(), &options);
    assert!(
        !report.index_reopened && !report.models_loaded,
        "{report:?}"
    );
}

#[test]
fn more_matching_evidence_never_lowers_the_score() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dataset();
    let engine = open(&data, dir.path());
    let d = DemandId::from("d1");
    let t = TeamId::from("t2");
    let mut base = engine.score_pair(&d, &t).expect("pair").score;
    let mut current = data.teams.iter().find(|x| x.id == t).expect("t2").clone();
    let steps: [fn(&mut Team); 4] = [
        |x: &mut Team| {
            x.achievements.push(
                serde_json::from_value(json!({"kind": "paper", "title": "动力电池热失控预警模型"}))
                    .expect("a"),
            )
        },
        |x: &mut Team| {
            x.platforms.push(
                serde_json::from_value(json!({"name": "储能安全实验室", "kind": "key_lab"}))
                    .expect("p"),
            )
        },
        |x: &mut Team| {
            x.leader = Some(
                serde_json::from_value(json!({"name": "王明", "honors": ["国家杰出青年科学基金"]}))
                    .expect("l"),
            )
        },
        |x: &mut Team| {
            x.achievements.push(
                serde_json::from_value(
                    json!({"kind": "patent", "title": "一种电池安全监测装置", "year": 2025}),
                )
                .expect("p"),
            )
        },
    ];
    for step in steps {
        step(&mut current);
        engine.upsert_team(current.clone()).expect("upsert");
        let now = engine.score_pair(&d, &t).expect("pair").score;
        assert!(now >= base - 1e-6, "score fell from {base} to {now}");
        base = now;
    }
    // A load on the team lowers only its capacity feature.
    engine.set_team_load(&t, 3).expect("load");
    let loaded = engine.score_pair(&d, &t).expect("pair");
    let capacity = loaded
        .explanation
        .contributions
        .iter()
        .find(|c| c.feature == "capacity")
        .expect("capacity");
    assert_eq!(capacity.value, 0.0);
}

#[test]
fn english_papers_against_english_abstracts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut data = support::dataset();
    let papers = [
        "Early warning of thermal runaway in lithium-ion batteries by impedance spectroscopy",
        "State of health estimation of lithium-ion battery packs with recurrent neural networks",
        "Internal short circuit detection for battery energy storage stations",
    ];
    data.teams.push(team(json!({
        "id": "t-en", "university_id": "u1", "name": "Battery Safety Lab",
        "achievements": papers.iter().map(|p| json!({"kind": "paper", "title": p})).collect::<Vec<_>>()
    })));
    let abstracts = [
        (
            "a-battery",
            "Thermal runaway of lithium-ion batteries threatens energy storage stations; we detect internal short circuits early from impedance.",
        ),
        (
            "a-vision",
            "Convolutional networks detect surface defects of steel strips in industrial images.",
        ),
        (
            "a-drug",
            "Sustained-release tablets control the dissolution of poorly soluble drugs.",
        ),
        (
            "a-grid",
            "Virtual power plants schedule distributed energy resources for the distribution grid.",
        ),
    ];
    for (id, text) in abstracts {
        data.demands
            .push(demand(json!({"id": id, "zone_id": "z1", "title": text})));
    }
    let engine = open(&data, dir.path());
    let ranked = engine
        .demands_for_team(&TeamId::from("t-en"), 10)
        .expect("ranking");
    assert_eq!(ranked[0].demand_id.as_str(), "a-battery");
    let score = |id: &str| {
        ranked
            .iter()
            .find(|m| m.demand_id.as_str() == id)
            .map_or(0.0, |m| m.score)
    };
    assert!(score("a-battery") > 2.0 * score("a-vision"), "{ranked:#?}");
    assert!(score("a-battery") > 2.0 * score("a-drug"));
    let terms: Vec<&str> = support::matched_terms(&ranked[0]);
    // The abstract names two failure modes the team's papers cover; the best paper shows either. Terms
    // are shown as the abstract writes them, not as their stems (batteries, not batteri).
    assert!(
        terms.contains(&"batteries")
            && ((terms.contains(&"thermal") && terms.contains(&"runaway"))
                || (terms.contains(&"short") && terms.contains(&"circuits"))),
        "{terms:?}"
    );
    for m in &ranked {
        check_explanation(m);
    }
}

/// The committed artifact of the current format version still loads and embeds text.
#[test]
fn committed_model_artifact_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat");
    let regenerate = "regenerate it with `SHUANGGAO_WRITE_COMPAT=1 cargo test --test it \
                      engine::write_model_artifact_when_asked` and commit tests/compat/engine.model \
                      (see tests/compat/README.md)";
    let models = Models::load(&dir)
        .unwrap_or_else(|e| {
            panic!("tests/compat/engine.model does not load with this build ({e}): {regenerate}")
        })
        .unwrap_or_else(|| panic!("tests/compat/engine.model is missing: {regenerate}"));
    assert_eq!(models.meta.format_version, FORMAT_VERSION);
    let storage = models.embed([("电池", 1.0), ("热失控", 1.0)]);
    let storage2 = models.embed([("储能", 1.0), ("电池", 1.0)]);
    let drugs = models.embed([("药物", 1.0), ("制剂", 1.0)]);
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!(dot(&storage, &storage2) > dot(&storage, &drugs));
}

/// Writes the artifact loaded above; run with `SHUANGGAO_WRITE_COMPAT=1` after a format change.
#[test]
fn write_model_artifact_when_asked() {
    if std::env::var("SHUANGGAO_WRITE_COMPAT").is_err() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat");
    let options = OpenOptions {
        save_models: false,
        ..OpenOptions::default()
    };
    let (engine, _) = support::open_engine(dataset(), dir.path(), &options);
    let path = engine.models().save(&target).expect("save");
    std::fs::remove_file(target.join("model.json")).expect("no readable copy");
    assert!(path.exists());
}

fn shuanggao(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run shuanggao")
}

/// Runs `shuanggao` and returns what it printed; a failure fails the test with its error output.
fn shuanggao_ok(args: &[&str], cwd: &std::path::Path) -> String {
    let out = shuanggao(args, cwd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `eval`, `cluster` and `match` as external scripts call them; `eval` never writes into the dataset.
#[test]
fn eval_cluster_and_match_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let data_dir = cwd.join("data");
    support::write_dataset(&data_dir, &dataset());
    let qrels = cwd.join("q.qrels");
    std::fs::write(&qrels, "d1 0 t1 2\nd1 0 t2 1\nd7 0 t8 1\nmissing 0 t1 1\n").expect("qrels");
    let run = cwd.join("run.txt");
    let clusters = cwd.join("clusters.tsv");
    let [data, qrels, run_arg, clusters_arg] =
        [&data_dir, &qrels, &run, &clusters].map(|p| p.to_str().expect("utf8"));
    let listing = || -> Vec<_> {
        std::fs::read_dir(&data_dir)
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect()
    };
    let before = listing();
    let eval = ["eval", "--data", data, "--qrels", qrels];
    let line = shuanggao_ok(
        &[&eval[..], &["--run", run_arg, "--depth", "5"]].concat(),
        cwd,
    );
    // Three queries; the one missing from the dataset scores zero, the two others find their teams first.
    assert!(line.starts_with("ndcg@10="), "{line}");
    assert!(
        line.contains("mrr@10=0.6667") && line.trim_end().ends_with("queries=3"),
        "{line}"
    );
    assert_eq!(before, listing());
    let run_text = std::fs::read_to_string(&run).expect("run file");
    let first: Vec<&str> = run_text
        .lines()
        .next()
        .expect("a line")
        .split(' ')
        .collect();
    assert_eq!(
        (first[0], first[1], first[2], first[3], first[5]),
        ("d1", "Q0", "t1", "1", "shuanggao")
    );
    assert!(first[4].parse::<f32>().expect("score") > 0.0);
    assert_eq!(run_text.lines().filter(|l| l.starts_with("d1 ")).count(), 5);

    let reverse = shuanggao_ok(
        &[&eval[..], &["--direction", "team-to-demand"]].concat(),
        cwd,
    );
    assert!(reverse.contains("queries=3"));
    let bad = shuanggao(&["eval", "--data", "/nonexistent", "--qrels", qrels], cwd);
    assert_eq!(bad.status.code(), Some(2));

    let cluster = ["cluster", "--data", data, "--k", "2", "--out", clusters_arg];
    assert!(shuanggao_ok(&cluster, cwd).contains("silhouette="));
    let rows = std::fs::read_to_string(&clusters).expect("clusters");
    assert_eq!(rows.lines().count(), 8);
    assert!(
        rows.lines().all(|l| l.split('\t').count() == 3
            && ["0", "1"].contains(&l.split('\t').nth(1).unwrap_or("")))
    );

    let matched = [
        "match", "--data", data, "--demand", "d1", "--limit", "2", "--json",
    ];
    let json: serde_json::Value = serde_json::from_str(&shuanggao_ok(&matched, cwd)).expect("json");
    assert_eq!(json[0]["team_id"], "t1");
    assert!(
        json[0]["explanation"]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("该团队"))
    );
    let out = shuanggao(&["match", "--data", data, "--team", "nope"], cwd);
    assert_eq!(out.status.code(), Some(2));
}

/// Damaged artifacts (same size, bytes changed) are never used: the model is trained and the index built
/// again, and the rankings are those of a clean start.
#[test]
fn damaged_model_and_index_are_rebuilt_not_used() {
    let data = dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    let demand = DemandId(data.demands[0].id.0.clone());
    let before = open(&data, dir.path())
        .rank_teams(&demand, 5)
        .expect("rank");
    let damage = |path: &std::path::Path| {
        let mut bytes = std::fs::read(path).expect("read");
        let (mid, len) = (bytes.len() / 2, bytes.len());
        for b in &mut bytes[mid..(mid + 16).min(len)] {
            *b ^= 0xa5;
        }
        std::fs::write(path, bytes).expect("write");
    };
    damage(&dir.path().join("models/engine.model"));
    let largest = walk(&dir.path().join("index/teams"))
        .into_iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().ends_with(".json"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("an index file");
    damage(&largest);
    let (engine, report) = support::open_engine(data.clone(), dir.path(), &OpenOptions::default());
    assert!(
        !report.models_loaded && !report.index_reopened,
        "{report:?}"
    );
    assert_eq!(engine.rank_teams(&demand, 5).expect("rank"), before);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
