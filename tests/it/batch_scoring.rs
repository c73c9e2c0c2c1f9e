//! The engine's batched ranking for pairing (`Engine::rank_teams_many`): every score it returns is the
//! score `Engine::score_pair` gives for that pair, bit for bit; on a small dataset (every team scored) its
//! lists are those of `Engine::rank_teams`; on the track-pool path its teams share a track with the demand.

use std::collections::HashSet;

use shuanggao::domain::{Dataset, DemandId, TeamId};
use shuanggao::generator::{self, Material, Params};
use shuanggao::matching::{Engine, OpenOptions, ScoringConfig};

use crate::support;

fn dataset() -> (tempfile::TempDir, Dataset) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let material = Material::embedded().expect("embedded material is valid");
    let params = Params {
        seed: 11,
        teams: 240,
        demands: 160,
        ..Params::default()
    };
    generator::generate(&material, &params, dir.path()).expect("generate");
    let data = shuanggao::dataset::load(dir.path()).expect("load");
    (dir, data)
}

fn engine(data: &Dataset, dir: &std::path::Path, exhaustive_below: usize) -> Engine {
    let mut config = ScoringConfig::default();
    config.retrieval.exhaustive_below = exhaustive_below;
    let options = OpenOptions {
        config: Some(config),
        save_models: false,
        ..OpenOptions::default()
    };
    support::open_engine(data.clone(), dir, &options).0
}

#[test]
fn batched_scores_equal_pair_scores_on_both_paths() {
    let (dir, data) = dataset();
    let mut ids: Vec<DemandId> = data.demands.iter().map(|d| d.id.clone()).collect();
    ids.push(DemandId("no-such-demand".into()));
    let limit = 12;

    // Every team scored: the same lists as rank_teams.
    let small = engine(&data, &dir.path().join("all"), usize::MAX);
    let mut reports = Vec::new();
    let lists = small
        .rank_teams_many(&ids, limit, &mut |done, total| reports.push((done, total)))
        .expect("rank");
    assert_eq!(lists.len(), ids.len());
    assert!(lists.last().is_some_and(Vec::is_empty), "unknown demand");
    assert_eq!(reports.last(), Some(&(ids.len(), ids.len())));
    assert!(reports.windows(2).all(|w| w[0].0 <= w[1].0));
    for (id, list) in ids.iter().zip(&lists).take(data.demands.len()) {
        assert_eq!(
            list,
            &small.rank_teams(id, limit).expect("rank_teams"),
            "{id}"
        );
    }

    // Track pools with a shortlist: scores are still exactly score_pair's.
    let pooled = engine(&data, &dir.path().join("pool"), 0);
    let lists = pooled
        .rank_teams_many_with(&ids, limit, 2 * limit, &mut |_, _| {})
        .expect("rank");
    let mut checked = 0;
    for ((id, list), demand) in ids.iter().zip(&lists).zip(&data.demands) {
        assert!(list.len() <= limit);
        assert!(list.windows(2).all(|w| w[0].1 >= w[1].1), "best first");
        let tracks: HashSet<_> = demand.track_ids.iter().collect();
        for (team, score) in list {
            let pair = pooled.score_pair(id, team).expect("score_pair");
            assert_eq!(score.to_bits(), pair.score.to_bits(), "{id} {team}");
            let t = data.teams.iter().find(|t| &t.id == team).expect("team");
            assert!(
                tracks.is_empty()
                    || t.track_ids.is_empty()
                    || t.track_ids.iter().any(|k| tracks.contains(k)),
                "{team} shares no track with {id}"
            );
            checked += 1;
        }
    }
    assert!(checked > data.demands.len(), "pairs checked: {checked}");
}

/// Ranking completes the dearest feature only for teams (or demands) whose bound can still reach the
/// best `limit`; the lists must be exactly those of scoring every pair and sorting (score, then dataset
/// order), in both directions.
#[test]
fn pruned_rankings_equal_scoring_every_pair() {
    let (dir, data) = dataset();
    let engine = engine(&data, dir.path(), usize::MAX);
    let limit = 7;
    let score = |d: &DemandId, t: &TeamId| engine.score_pair(d, t).expect("pair").score;
    for demand in data.demands.iter().step_by(9) {
        let want = exhaustive(&data.teams, limit, |t| {
            (t.id.clone(), score(&demand.id, &t.id))
        });
        assert_eq!(engine.rank_teams(&demand.id, limit).expect("rank"), want);
    }
    for team in data.teams.iter().step_by(13) {
        let want = exhaustive(&data.demands, limit, |d| {
            (d.id.clone(), score(&d.id, &team.id))
        });
        assert_eq!(engine.rank_demands(&team.id, limit).expect("rank"), want);
    }
}

/// The best `limit` of `candidates` by score (`scored` gives the id and the score of each), ties in
/// dataset order: what a pruned ranking must return.
fn exhaustive<C, I>(
    candidates: &[C],
    limit: usize,
    scored: impl Fn(&C) -> (I, f32),
) -> Vec<(I, f32)> {
    let mut all: Vec<(usize, (I, f32))> = candidates.iter().map(scored).enumerate().collect();
    all.sort_by(|a, b| b.1.1.total_cmp(&a.1.1).then(a.0.cmp(&b.0)));
    all.into_iter().take(limit).map(|(_, hit)| hit).collect()
}
