//! The programme's rules on proposals: pairings only in a zone's declared directions, no pairing below
//! `min_projects`, only projects from `min_project_score` on, grades, zone components that belong to the
//! pairing (else 待共建), one talent per pairing across batches, and messages in Chinese. [`check_rules`]
//! checks them all on a batch (the synthetic property in `pairing.rs` runs it on random batches); the
//! cases below check each rule on a world small enough to reason about.

use std::collections::HashMap;

use proptest::prelude::*;

use shuanggao::domain::{Dataset, TrackId};
use shuanggao::pairing::synthetic::{SyntheticScorer, SyntheticSpec, synthetic};
use shuanggao::pairing::{
    Batch, Carried, Component, DiagnosticCode, Grade, PairScorer, PairingConfig, ProposedPairing,
    TalentKey, propose, propose_with,
};

fn no_progress() -> impl FnMut(shuanggao::pairing::Progress) {
    |_| {}
}

pub(crate) fn all_tracks(data: &Dataset) -> Vec<TrackId> {
    data.tracks.iter().map(|t| t.id.clone()).collect()
}

/// The person leading a pairing, if any.
fn talent_key(data: &Dataset, p: &ProposedPairing) -> Option<TalentKey> {
    let l = p.bundle.leading_talent.as_ref()?;
    let team = data.teams.iter().find(|t| t.id == l.team_id)?;
    Some(TalentKey {
        university_id: team.university_id.clone(),
        name: l.name.clone(),
    })
}

/// True when `text` holds an English sentence: three Latin words in a row (a technical term such as
/// CCUS or PEM is no sentence).
fn has_english(text: &str) -> bool {
    let mut run = 0;
    for piece in text.split(|c: char| !(c.is_ascii_alphabetic() || " ,;:".contains(c))) {
        let words = piece
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .count();
        run = run.max(words);
    }
    run >= 3
}

#[test]
fn an_english_sentence_is_told_from_a_technical_term() {
    assert!(has_english("the constraints leave it out"));
    assert!(has_english(
        "南京鼓楼高新区 has 1 demands in 细胞和基因技术; a pairing needs 10"
    ));
    assert!(!has_english("共同关键词：CCUS、token、PEM电解槽"));
}

/// Every message a department reads in a batch.
fn messages(batch: &Batch) -> Vec<&str> {
    let mut out: Vec<&str> = batch
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    for p in &batch.pairings {
        out.push(&p.explanation.summary);
        if let Some(r) = &p.explanation.runner_up {
            out.push(&r.reason);
        }
    }
    out
}

/// Checks every programme rule on a batch proposed without forced pairings.
pub(crate) fn check_rules(
    data: &Dataset,
    batch: &Batch,
    config: &PairingConfig,
    carried: &[TalentKey],
) -> Result<(), TestCaseError> {
    let mut led: HashMap<TalentKey, u32> = HashMap::new();
    for k in carried {
        *led.entry(k.clone()).or_default() += 1;
    }
    for p in &batch.pairings {
        let zone = data.zones.iter().find(|z| z.id == p.zone_id).unwrap();
        prop_assert!(
            zone.track_ids.contains(&p.track_id),
            "outside directions: {:?}",
            p.triple()
        );
        prop_assert!(p.bundle.industrial_direction.zone_track);
        let b = &p.bundle;
        let n = b.benchmark_projects.len() as u32;
        prop_assert!(n >= config.min_projects, "{} projects", n);
        for x in &b.benchmark_projects {
            prop_assert!(
                x.score >= config.min_project_score - 1e-6,
                "weak project {}",
                x.score
            );
        }
        let grade = if n >= config.benchmark_target {
            Grade::Qualified
        } else {
            Grade::Incubating
        };
        prop_assert_eq!(b.grade, grade);
        let missing = [
            (
                b.innovation_platform.university.is_none(),
                Component::UniversityPlatform,
            ),
            (
                b.innovation_platform.zone.is_none(),
                Component::ZonePlatform,
            ),
            (b.leading_talent.is_none(), Component::LeadingTalent),
            (
                b.transformation_fund.is_none(),
                Component::TransformationFund,
            ),
        ];
        for (is_missing, c) in missing {
            prop_assert_eq!(is_missing, b.to_build.contains(&c), "{:?}", c);
        }
        if let Some(zp) = &b.innovation_platform.zone {
            let own = zone.platforms.iter().find(|x| x.name == zp.name).unwrap();
            prop_assert!(
                own.university_ids.is_empty() || own.university_ids.contains(&p.university_id)
            );
            prop_assert!(
                own.track_ids.contains(&p.track_id)
                    || (own.track_ids.is_empty() && own.name.contains(&p.track_name)),
                "platform {} in {}",
                own.name,
                p.track_name
            );
        }
        if let Some(f) = &b.transformation_fund {
            let own = zone.funds.iter().find(|x| x.name == f.name).unwrap();
            prop_assert!(
                own.university_ids.is_empty() || own.university_ids.contains(&p.university_id)
            );
            prop_assert!(own.track_ids.is_empty() || own.track_ids.contains(&p.track_id));
        }
        if let Some(l) = &b.leading_talent {
            prop_assert!(b.benchmark_projects.iter().any(|x| x.team_id == l.team_id));
            *led.entry(talent_key(data, p).unwrap()).or_default() += 1;
        }
    }
    for (k, n) in &led {
        prop_assert!(*n <= config.talent_max, "{:?} leads {}", k, n);
    }
    // The assignment is maximal: a pairing without a talent has no leader left with room.
    for p in batch
        .pairings
        .iter()
        .filter(|p| p.bundle.leading_talent.is_none())
    {
        for x in &p.bundle.benchmark_projects {
            let team = data.teams.iter().find(|t| t.id == x.team_id).unwrap();
            if let Some(l) = &team.leader {
                let k = TalentKey {
                    university_id: team.university_id.clone(),
                    name: l.name.clone(),
                };
                prop_assert!(led.get(&k).copied().unwrap_or(0) >= config.talent_max);
            }
        }
    }
    for m in messages(batch) {
        prop_assert!(!has_english(m), "English in {:?}", m);
    }
    Ok(())
}

/// A batch of every track of `data` under the default config, on top of `carried`.
fn batch_with(
    data: &Dataset,
    scorer: &dyn PairScorer,
    carried: &Carried,
) -> shuanggao::pairing::Proposal {
    let tracks = all_tracks(data);
    let config = PairingConfig::default();
    propose_with(data, scorer, &tracks, &config, carried, &mut no_progress()).unwrap()
}

/// A synthetic world of six zones, eight universities and three tracks.
pub(crate) fn world(seed: u64) -> (Dataset, SyntheticScorer) {
    let spec = SyntheticSpec {
        zones: 6,
        universities: 8,
        teams: 60,
        demands: 150,
        tracks: 3,
        seed,
    };
    synthetic(&spec)
}

/// A synthetic world small enough to reason about by hand.
fn small() -> (Dataset, SyntheticScorer) {
    world(7)
}

#[test]
fn a_zone_enters_only_its_declared_tracks_and_the_rest_is_listed() {
    let (mut data, scorer) = small();
    let tracks = all_tracks(&data);
    // Zone 0 declares nothing any more: its demands are listed, never paired.
    data.zones[0].track_ids.clear();
    let z0 = data.zones[0].id.clone();
    let p = batch_with(&data, &scorer, &Carried::default());
    assert!(p.batch.pairings.iter().all(|x| x.zone_id != z0));
    let outside: Vec<_> = p
        .batch
        .diagnostics
        .iter()
        .filter(|d| d.code == DiagnosticCode::OutsideDirections && d.zone_ids == [z0.clone()])
        .collect();
    assert!(!outside.is_empty());
    assert!(
        outside[0].message.contains("不在园区申报的产业方向内"),
        "{}",
        outside[0].message
    );
    // With the rule relaxed, the zone is paired where it has demands.
    let loose = PairingConfig {
        declared_tracks_only: false,
        ..PairingConfig::default()
    };
    let p = propose(&data, &scorer, &tracks, &loose, &mut no_progress()).unwrap();
    assert!(p.batch.pairings.iter().any(|x| x.zone_id == z0));
}

#[test]
fn a_parent_cluster_or_child_chain_counts_as_a_direction() {
    let (mut data, scorer) = small();
    // t01 becomes a chain of cluster t00; a zone declaring only the cluster enters the chain.
    data.tracks[1].parent = Some(data.tracks[0].id.clone());
    data.zones[0].track_ids = vec![data.tracks[0].id.clone()];
    let z0 = data.zones[0].id.clone();
    let chain = vec![data.tracks[1].id.clone()];
    let p = propose(
        &data,
        &scorer,
        &chain,
        &PairingConfig::default(),
        &mut no_progress(),
    )
    .unwrap();
    let has_demands = data
        .demands
        .iter()
        .any(|d| d.zone_id == z0 && d.track_ids.contains(&chain[0]));
    assert!(has_demands);
    assert!(
        p.batch
            .diagnostics
            .iter()
            .all(|d| !(d.code == DiagnosticCode::OutsideDirections && d.zone_ids == [z0.clone()])),
        "the cluster covers its chain"
    );
}

#[test]
fn zone_components_of_other_universities_are_never_used() {
    let (mut data, scorer) = small();
    // Every platform and fund of every zone is tied to university u007 only.
    for z in &mut data.zones {
        for p in &mut z.platforms {
            p.university_ids = vec!["u007".into()];
        }
        for f in &mut z.funds {
            f.university_ids = vec!["u007".into()];
        }
    }
    let p = batch_with(&data, &scorer, &Carried::default());
    assert!(!p.batch.pairings.is_empty());
    for x in &p.batch.pairings {
        let b = &x.bundle;
        if x.university_id.as_str() == "u007" {
            continue;
        }
        assert!(b.innovation_platform.zone.is_none() && b.transformation_fund.is_none());
        assert!(b.to_build.contains(&Component::ZonePlatform));
        assert!(b.to_build.contains(&Component::TransformationFund));
    }
}

#[test]
fn a_talent_leading_an_approved_pairing_elsewhere_is_not_proposed_again() {
    let (data, scorer) = small();
    let first = batch_with(&data, &scorer, &Carried::default()).batch;
    let taken: Vec<TalentKey> = first
        .pairings
        .iter()
        .filter_map(|p| talent_key(&data, p))
        .collect();
    assert!(!taken.is_empty());
    let carried = Carried {
        talents: taken.clone(),
        ..Carried::default()
    };
    let second = batch_with(&data, &scorer, &carried).batch;
    for k in second.pairings.iter().filter_map(|p| talent_key(&data, p)) {
        assert!(!taken.contains(&k), "{k:?} leads again");
    }
    // The talents do not change what is selected: the objective stays the same.
    assert!((first.objective - second.objective).abs() < 1e-9);
}

#[test]
fn carried_approved_pairings_are_kept_and_say_so() {
    let (data, scorer) = small();
    let first = batch_with(&data, &scorer, &Carried::default()).batch;
    let kept = first.pairings[0].triple();
    let carried = Carried {
        approved: vec![kept.clone()],
        ..Carried::default()
    };
    let second = batch_with(&data, &scorer, &carried).batch;
    for p in &second.pairings {
        let carried_here = p.triple() == kept;
        assert_eq!(p.explanation.summary.contains("此前已批准"), carried_here);
        assert!(!p.explanation.summary.contains("由主管部门指定"));
        if carried_here {
            assert_eq!(p.status, shuanggao::pairing::ProposalStatus::Approved);
        }
    }
    assert!(second.pairings.iter().any(|p| p.triple() == kept));
}
