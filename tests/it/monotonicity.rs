//! Scoring monotonicity as a property over many pairs of a generated dataset: adding matching evidence to a
//! team (a keyword of the demand, an achievement on the demand's subject, a sentence of the demand in its
//! description, a platform, a leader honour) never lowers its score for that demand, whether the team ranked
//! first or last; and undoing the change restores the score exactly (incremental updates are consistent).

use shuanggao::dataset;
use shuanggao::domain::{Achievement, AchievementKind, Demand, Leader, Platform, Team};
use shuanggao::matching::OpenOptions;

use crate::support;
use shuanggao::models::TrainParams;

/// One kind of added evidence: its name and how it changes a team for a demand.
type Step = (&'static str, fn(&mut Team, &Demand, i32));

const STEPS: [Step; 6] = [
    ("keyword", |t, d, _| {
        let kw = d
            .keywords
            .first()
            .cloned()
            .unwrap_or_else(|| d.title.clone());
        t.keywords.push(kw);
    }),
    ("all keywords", |t, d, _| {
        t.keywords.extend(d.keywords.iter().cloned());
        t.keywords.push(d.title.clone());
    }),
    ("achievement", |t, d, year| {
        t.achievements.push(Achievement {
            kind: AchievementKind::Paper,
            title: d.title.clone(),
            r#abstract: d.description.clone(),
            year: Some(year),
            patent_no: None,
            legal_status: None,
            transferable: None,
        })
    }),
    ("description", |t, d, _| {
        t.description.push('。');
        t.description.push_str(&d.title);
    }),
    ("platform", |t, d, _| {
        t.platforms.push(Platform {
            name: format!("{}工程研究中心", d.title),
            kind: "engineering_center".into(),
            ..Default::default()
        })
    }),
    ("honour", |t, _, _| {
        let leader = t.leader.get_or_insert_with(|| Leader {
            name: "王明".into(),
            title: String::new(),
            honors: Vec::new(),
        });
        leader.honors.push("国家杰出青年科学基金".into());
    }),
];

#[test]
fn adding_matching_evidence_never_lowers_a_score() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    crate::support::generate_small(&data_dir, 5);
    let data = dataset::load(&data_dir).expect("generated dataset loads");
    let mut train = TrainParams::default();
    train.lsa.dims = 32;
    train.clusters.k = Some(6);
    let options = OpenOptions {
        train,
        save_models: false,
        ..OpenOptions::default()
    };
    let (engine, _) = support::open_engine(data.clone(), dir.path(), &options);
    let year = data
        .teams
        .iter()
        .flat_map(|t| t.achievements.iter().filter_map(|a| a.year))
        .max()
        .unwrap_or(2025);

    let mut checked = 0;
    for demand in data.demands.iter().step_by(50) {
        let ranked = engine.rank_teams(&demand.id, 0).expect("ranking");
        // The best team, good ones, a middling one and the last.
        for pos in [0, 3, ranked.len() / 2, ranked.len() - 1] {
            let team_id = &ranked[pos].0;
            let original = data
                .teams
                .iter()
                .find(|t| &t.id == team_id)
                .expect("ranked team exists")
                .clone();
            let base = engine.score_pair(&demand.id, team_id).expect("pair").score;
            for (name, step) in STEPS {
                let mut more = original.clone();
                step(&mut more, demand, year);
                engine.upsert_team(more).expect("upsert");
                let now = engine.score_pair(&demand.id, team_id).expect("pair").score;
                assert!(
                    now >= base - 1e-6,
                    "{name} lowered the score of {team_id:?} (rank {pos}) for {:?}: {base} -> {now}",
                    demand.id
                );
                engine.upsert_team(original.clone()).expect("restore");
                let back = engine.score_pair(&demand.id, team_id).expect("pair").score;
                assert!(
                    (back - base).abs() < 1e-5,
                    "undoing {name} on {team_id:?} for {:?}: {base} -> {back}",
                    demand.id
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 4 * STEPS.len());
}
