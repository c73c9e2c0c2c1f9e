//! Pairing proposals end to end: the exact solver against brute force and on random instances, bundles
//! and team capacities, infeasibility diagnostics, revision after review, and the exports.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

use proptest::prelude::*;

use shuanggao::domain::{
    Achievement, AchievementKind, Dataset, Demand, DemandId, Fund, Leader, Platform, Team, TeamId,
    Track, TrackId, TrackKind, University, Zone,
};
use shuanggao::pairing::bundle::quality_of;
use shuanggao::pairing::synthetic::{SyntheticSpec, synthetic};
use shuanggao::pairing::{TalentKey, propose_with};

use crate::programme_rules;
use shuanggao::pairing::{
    Batch, Carried, Diagnostic, DiagnosticCode, ExportContext, Instance, InstancePair,
    PairEvidence, PairScorer, PairingConfig, PairingError, Proposal, Severity, Triple, export_csv,
    export_csv_with, export_xlsx, export_xlsx_with, propose, revise_with, solve_instance,
};

// ---------- the solver on bare instances ----------

fn instance_strategy(max_z: usize, max_u: usize, max_t: usize) -> impl Strategy<Value = Instance> {
    (
        1..=max_z,
        1..=max_u,
        1..=max_t,
        0u32..=2,
        0u32..=2,
        1u32..=3,
    )
        .prop_flat_map(move |(nz, nu, nt, min, extra, umax)| {
            let n = nz * nu * nt;
            (
                proptest::collection::vec((any::<bool>(), 0u32..=1_000_000, 0u8..20), n),
                Just((nz, nu, nt, min, (min + extra).max(1), umax)),
            )
                .prop_map(|(cells, (nz, nu, nt, min, max, umax))| {
                    let mut inst = Instance {
                        pairs: vec![],
                        zone_track_min: min,
                        zone_track_max: max,
                        university_max: umax,
                        forced: vec![],
                        forbidden: vec![],
                    };
                    let mut k = 0;
                    for z in 0..nz {
                        for u in 0..nu {
                            for t in 0..nt {
                                let (present, q, flag) = cells[k];
                                k += 1;
                                if !present {
                                    continue;
                                }
                                let p = InstancePair {
                                    zone_id: format!("z{z}").as_str().into(),
                                    university_id: format!("u{u}").as_str().into(),
                                    track_id: format!("t{t}").as_str().into(),
                                    quality: f64::from(q) / 1e6,
                                };
                                match flag {
                                    0 => inst.forced.push(p.triple()),
                                    1 | 2 => inst.forbidden.push(p.triple()),
                                    _ => {}
                                }
                                inst.pairs.push(p);
                            }
                        }
                    }
                    inst
                })
        })
}

/// Counts per group and university, and the constraint check shared by the tests.
fn check_constraints(inst: &Instance, selected: &[usize], feasible: bool) -> Result<u32, String> {
    let mut per_group: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut per_univ: HashMap<String, u32> = HashMap::new();
    for p in &inst.pairs {
        per_group
            .entry((p.zone_id.0.clone(), p.track_id.0.clone()))
            .or_default();
    }
    let chosen: HashSet<Triple> = selected.iter().map(|&i| inst.pairs[i].triple()).collect();
    for &i in selected {
        let p = &inst.pairs[i];
        *per_group
            .get_mut(&(p.zone_id.0.clone(), p.track_id.0.clone()))
            .unwrap() += 1;
        *per_univ.entry(p.university_id.0.clone()).or_default() += 1;
    }
    let mut unmet = 0;
    for (g, &n) in &per_group {
        if n > inst.zone_track_max {
            return Err(format!("{g:?} over zone_track_max"));
        }
        unmet += inst.zone_track_min.saturating_sub(n);
    }
    if per_univ.values().any(|&n| n > inst.university_max) {
        return Err("university over university_max".into());
    }
    if inst.forbidden.iter().any(|t| chosen.contains(t)) {
        return Err("forbidden triple chosen".into());
    }
    if feasible {
        if unmet > 0 {
            return Err("feasible but a minimum is unmet".into());
        }
        if inst.forced.iter().any(|t| !chosen.contains(t)) {
            return Err("feasible but a forced triple is missing".into());
        }
    }
    Ok(unmet)
}

/// Best (fewest unmet minimums, then highest quality) over all subsets that respect the hard
/// constraints; None when the forced triples alone break a limit.
fn brute_force(inst: &Instance) -> Option<(u32, f64)> {
    let n = inst.pairs.len();
    let forced: HashSet<Triple> = inst.forced.iter().cloned().collect();
    let forbidden: HashSet<Triple> = inst.forbidden.iter().cloned().collect();
    let mut best: Option<(u32, f64)> = None;
    for mask in 0u32..(1 << n) {
        let sel: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
        let triples: HashSet<Triple> = sel.iter().map(|&i| inst.pairs[i].triple()).collect();
        if !forced.is_subset(&triples) || !forbidden.is_disjoint(&triples) {
            continue;
        }
        let Ok(unmet) = check_constraints(inst, &sel, false) else {
            continue;
        };
        let q: f64 = sel.iter().map(|&i| inst.pairs[i].quality).sum();
        let better = match best {
            None => true,
            Some((bu, bq)) => unmet < bu || (unmet == bu && q > bq + 1e-9),
        };
        if better {
            best = Some((unmet, q));
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn small_instances_match_brute_force(inst in instance_strategy(3, 3, 2)
        .prop_filter("at most 12 pairs", |i| i.pairs.len() <= 12))
    {
        let sol = solve_instance(&inst).unwrap();
        let objective: f64 = sol.selected.iter().map(|&i| inst.pairs[i].quality).sum();
        prop_assert!((objective - sol.objective).abs() < 1e-9);
        match brute_force(&inst) {
            None => prop_assert!(!sol.dropped_forced.is_empty()),
            Some((unmet, q)) => {
                prop_assert!(sol.dropped_forced.is_empty());
                prop_assert_eq!(sol.unmet_units, unmet);
                prop_assert!((sol.objective - q).abs() < 1e-9, "solver {} brute {}", sol.objective, q);
                prop_assert_eq!(sol.feasible, unmet == 0);
            }
        }
    }

    #[test]
    fn random_instances_satisfy_every_constraint(inst in instance_strategy(8, 8, 3)) {
        let sol = solve_instance(&inst).unwrap();
        let unmet = check_constraints(&inst, &sol.selected, sol.feasible).map_err(TestCaseError::fail)?;
        prop_assert_eq!(unmet, sol.unmet_units);
        prop_assert!(sol.proven_optimal);
        prop_assert_eq!(sol.gap, 0.0);
        // Every unmet minimum with candidates is explained by a set of full universities.
        for b in &sol.blocking {
            prop_assert!(b.required > b.capacity || b.universities.is_empty());
        }
    }
}

proptest! {
    #[test]
    fn quality_is_in_unit_range_and_monotone(
        scores in proptest::collection::vec(0.0f32..=1.0, 0..15),
        extra in 0.0f32..=1.0,
        target in 1u32..=12,
    ) {
        let q = quality_of(scores.iter().copied(), target);
        prop_assert!((0.0..=1.0).contains(&q));
        let mut more = scores.clone();
        more.push(extra);
        prop_assert!(quality_of(more, target) >= q);
    }
}

// ---------- a tiny dataset and a table scorer ----------

struct TableScorer(HashMap<String, Vec<(TeamId, f32)>>);

impl PairScorer for TableScorer {
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)> {
        let mut v = self.0.get(demand.as_str()).cloned().unwrap_or_default();
        v.truncate(limit);
        v
    }
    fn explain(&self, _d: &DemandId, _t: &TeamId) -> Option<PairEvidence> {
        Some(PairEvidence {
            terms: vec![("电解水制氢".into(), 1.0), ("质子交换膜".into(), 0.5)],
            achievement: Some("碱性电解槽高效电极".into()),
        })
    }
}

fn zone(id: &str, name: &str) -> Zone {
    Zone {
        id: id.into(),
        name: name.into(),
        city: "南京".into(),
        level: None,
        industries: vec!["氢燃料电池汽车".into(), "集成电路".into()],
        track_ids: vec!["f-h2".into()],
        description: String::new(),
        platforms: vec![Platform {
            name: format!("{name}氢能中试平台"),
            kind: "pilot_platform".into(),
            ..Default::default()
        }],
        funds: vec![Fund {
            name: format!("{name}转化基金"),
            size_wan_yuan: 10000.0,
            ..Default::default()
        }],
        baseline: None,
    }
}

fn university(id: &str, name: &str) -> University {
    University {
        id: id.into(),
        name: name.into(),
        city: "南京".into(),
        kind: None,
        disciplines: vec![],
        description: String::new(),
        baseline: None,
    }
}

fn team(id: &str, univ: &str, capacity: u32) -> Team {
    Team {
        id: id.into(),
        university_id: univ.into(),
        name: format!("团队{id}"),
        leader: Some(Leader {
            name: format!("带头人{id}"),
            title: "教授".into(),
            honors: vec!["国家杰出青年科学基金获得者".into()],
        }),
        fields: vec![],
        description: "氢能".into(),
        keywords: vec![],
        track_ids: vec!["f-h2".into()],
        platforms: vec![Platform {
            name: format!("氢能重点实验室{id}"),
            kind: "key_lab".into(),
            ..Default::default()
        }],
        achievements: vec![Achievement {
            kind: AchievementKind::Patent,
            title: format!("电解水制氢电极{id}"),
            r#abstract: String::new(),
            year: Some(2024),
            patent_no: None,
            legal_status: None,
            transferable: None,
        }],
        capacity,
        members: None,
    }
}

fn demand(id: &str, zone: &str, excluded: &[&str]) -> Demand {
    Demand {
        id: id.into(),
        zone_id: zone.into(),
        title: format!("需求{id}"),
        description: String::new(),
        enterprise: None,
        keywords: vec![],
        track_ids: vec!["f-h2".into()],
        budget_wan_yuan: None,
        deadline: None,
        excluded_university_ids: excluded.iter().map(|&u| u.into()).collect(),
    }
}

fn h2_track() -> Track {
    Track {
        id: "f-h2".into(),
        name: "氢能".into(),
        kind: TrackKind::Future,
        parent: None,
        keywords: vec!["燃料电池".into(), "电解水制氢".into()],
        description: String::new(),
    }
}

/// A team as (id, capacity, score against every demand).
type TeamSpec<'a> = (&'a str, u32, f32);

/// `zones` zones with `demands_per_zone` hydrogen demands each; every team of every university fits
/// every demand with a score that depends on the team.
fn world(
    zones: usize,
    univs: &[(&str, &[TeamSpec])],
    demands_per_zone: usize,
) -> (Dataset, TableScorer) {
    let mut data = Dataset {
        tracks: vec![h2_track()],
        ..Dataset::default()
    };
    let mut table = HashMap::new();
    for z in 0..zones {
        data.zones
            .push(zone(&format!("z{z}"), &format!("第{z}高新区")));
    }
    let mut all_teams: Vec<(TeamId, f32)> = vec![];
    for (u, teams) in univs {
        data.universities.push(university(u, &format!("{u}大学")));
        for (t, cap, s) in *teams {
            data.teams.push(team(t, u, *cap));
            all_teams.push(((*t).into(), *s));
        }
    }
    all_teams.sort_by(|a, b| b.1.total_cmp(&a.1));
    for z in 0..zones {
        for k in 0..demands_per_zone {
            let id = format!("d{z}-{k}");
            data.demands.push(demand(&id, &format!("z{z}"), &[]));
            table.insert(id, all_teams.clone());
        }
    }
    (data, TableScorer(table))
}

fn h2() -> Vec<TrackId> {
    vec!["f-h2".into()]
}

fn no_progress() -> impl FnMut(shuanggao::pairing::Progress) {
    |_| {}
}

/// Proposes a batch for `tracks`, ignoring progress.
fn proposal(
    data: &Dataset,
    scorer: &dyn PairScorer,
    tracks: &[TrackId],
    config: &PairingConfig,
) -> Result<Proposal, PairingError> {
    propose(data, scorer, tracks, config, &mut no_progress())
}

/// Team loads over a whole batch never exceed capacities.
fn assert_capacities(data: &Dataset, batch: &Batch) {
    let mut load: HashMap<&str, u32> = HashMap::new();
    for p in &batch.pairings {
        for b in &p.bundle.benchmark_projects {
            *load.entry(b.team_id.as_str()).or_default() += 1;
        }
    }
    for t in &data.teams {
        let l = load.get(t.id.as_str()).copied().unwrap_or(0);
        assert!(
            l <= t.capacity,
            "team {} takes {l} > capacity {}",
            t.id,
            t.capacity
        );
    }
}

// ---------- bundles ----------

#[test]
fn bundle_takes_best_teams_within_capacity_and_skips_excluded_demands() {
    let (mut data, mut scorer) = world(
        1,
        &[
            ("ua", &[("ta1", 4, 0.9), ("ta2", 10, 0.5)]),
            ("ub", &[("tb1", 10, 0.6)]),
        ],
        12,
    );
    // One more demand that excludes ua.
    data.demands.push(demand("dx", "z0", &["ua"]));
    scorer
        .0
        .insert("dx".into(), vec![("ta1".into(), 0.99), ("tb1".into(), 0.6)]);
    let config = PairingConfig {
        university_max: 1,
        zone_track_max: 1,
        ..PairingConfig::default()
    };
    let p = proposal(&data, &scorer, &h2(), &config).unwrap();
    let b = &p.batch;
    assert_eq!(b.pairings.len(), 1);
    let pairing = &b.pairings[0];
    assert_eq!(pairing.university_id.as_str(), "ua");
    let projects = &pairing.bundle.benchmark_projects;
    assert_eq!(projects.len(), 10, "never more than the target");
    assert!(projects.iter().all(|p| p.demand_id.as_str() != "dx"));
    // ta1 (best, capacity 4) takes 4 projects, ta2 the other 6.
    let by_team = |t: &str| projects.iter().filter(|p| p.team_id.as_str() == t).count();
    assert_eq!((by_team("ta1"), by_team("ta2")), (4, 6));
    // quality = (4·0.9 + 6·0.5) / 10
    assert!((pairing.quality - 0.66).abs() < 1e-6);
    assert!(pairing.bundle.shortfall.is_none());
    // The five elements.
    let bundle = &pairing.bundle;
    assert_eq!(bundle.industrial_direction.track_name, "氢能");
    assert_eq!(
        bundle.industrial_direction.zone_industries,
        vec!["氢燃料电池汽车".to_owned()]
    );
    assert_eq!(bundle.leading_talent.as_ref().unwrap().name, "带头人ta1");
    assert_eq!(
        bundle.innovation_platform.university.as_ref().unwrap().name,
        "氢能重点实验室ta1"
    );
    assert_eq!(
        bundle.innovation_platform.zone.as_ref().unwrap().name,
        "第0高新区氢能中试平台"
    );
    assert_eq!(
        bundle.transformation_fund.as_ref().unwrap().name,
        "第0高新区转化基金"
    );
    // Explanation.
    let e = &pairing.explanation;
    assert_eq!(e.terms[0].term, "电解水制氢");
    assert_eq!(e.teams[0].team_id.as_str(), "ta1");
    assert_eq!(
        e.teams[0].achievements,
        vec!["碱性电解槽高效电极".to_owned()]
    );
    assert_eq!(e.breakdown.projects, 10);
    assert_eq!(e.runner_up.as_ref().unwrap().university_id.as_str(), "ub");
    assert!(
        e.runner_up
            .as_ref()
            .unwrap()
            .reason
            .contains("ua大学综合得分0.660，高于ub大学")
    );
    assert!(e.summary.contains("氢能赛道"));
}

#[test]
fn team_capacity_holds_across_the_whole_batch() {
    // One university, one strong team of capacity 3, three zones: shared capacity, then top-up.
    let (data, scorer) = world(3, &[("ua", &[("ta1", 3, 0.9), ("ta2", 20, 0.3)])], 5);
    let p = proposal(&data, &scorer, &h2(), &PairingConfig::default()).unwrap();
    assert_eq!(p.batch.pairings.len(), 3);
    assert_capacities(&data, &p.batch);
    let ta1: usize = p
        .batch
        .pairings
        .iter()
        .map(|x| {
            x.bundle
                .benchmark_projects
                .iter()
                .filter(|b| b.team_id.as_str() == "ta1")
                .count()
        })
        .sum();
    assert_eq!(ta1, 3);
    // The batch is optimal for the instance written alongside it.
    let sol = solve_instance(&p.instance).unwrap();
    assert!((sol.objective - p.batch.objective).abs() < 1e-9);
}

#[test]
fn capacity_left_after_the_solve_tops_up_short_pairings() {
    // university_max = 3 shares ta1's capacity 3 as 1 per pairing; only one zone, so top-up gives it 3.
    let (data, scorer) = world(1, &[("ua", &[("ta1", 3, 0.9)])], 5);
    let config = PairingConfig {
        min_projects: 1,
        ..PairingConfig::default()
    };
    let p = proposal(&data, &scorer, &h2(), &config).unwrap();
    let pairing = &p.batch.pairings[0];
    assert_eq!(pairing.bundle.benchmark_projects.len(), 3);
    assert_eq!(pairing.explanation.breakdown.topped_up, 2);
    assert!((pairing.quality - 0.27).abs() < 1e-6);
    assert!((p.instance.pairs[0].quality - 0.27).abs() < 1e-6);
    let sol = solve_instance(&p.instance).unwrap();
    assert!((sol.objective - p.batch.objective).abs() < 1e-9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn synthetic_batches_respect_every_constraint(
        seed in 0u64..1000,
        umax in 1u32..=3,
        min in 0u32..=2,
        max_extra in 0u32..=1,
        forbid in 0usize..6,
    ) {
        let spec = SyntheticSpec { zones: 6, universities: 8, teams: 60, demands: 150, tracks: 3, seed };
        let (data, scorer) = synthetic(&spec);
        let tracks: Vec<TrackId> = data.tracks.iter().map(|t| t.id.clone()).collect();
        let first = proposal(&data, &scorer, &tracks, &PairingConfig::default()).unwrap();
        let forbidden: Vec<Triple> = first.batch.pairings.iter().take(forbid).map(|p| p.triple()).collect();
        let config = PairingConfig {
            zone_track_min: min,
            zone_track_max: (min + max_extra).max(1),
            university_max: umax,
            forbidden: forbidden.clone(),
            ..PairingConfig::default()
        };
        let p = proposal(&data, &scorer, &tracks, &config).unwrap();
        let b = &p.batch;
        assert_capacities(&data, b);
        let index: HashMap<Triple, usize> =
            p.instance.pairs.iter().enumerate().map(|(i, x)| (x.triple(), i)).collect();
        let selected: Vec<usize> = b.pairings.iter().map(|x| index[&x.triple()]).collect();
        let unmet = check_constraints(&p.instance, &selected, b.optimality.feasible)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(unmet, b.optimality.unmet_minimums);
        for x in &b.pairings {
            prop_assert!(!forbidden.contains(&x.triple()));
            prop_assert!((p.instance.pairs[index[&x.triple()]].quality - x.quality).abs() < 1e-12);
            prop_assert!((0.0..=1.0).contains(&x.quality));
            prop_assert!(x.bundle.benchmark_projects.len() <= 10);
        }
        let sum: f64 = b.pairings.iter().map(|x| x.quality).sum();
        prop_assert!((sum - b.objective).abs() < 1e-9);
        let sol = solve_instance(&p.instance).unwrap();
        prop_assert_eq!(sol.unmet_units, b.optimality.unmet_minimums);
        prop_assert!((sol.objective - b.objective).abs() < 1e-9);
    }

    #[test]
    fn synthetic_batches_follow_the_programme_rules(
        seed in 0u64..1000,
        min_projects in 1u32..=5,
        talent_max in 1u32..=2,
        carried_n in 0usize..4,
    ) {
        let (data, scorer) = programme_rules::world(seed);
        let tracks = programme_rules::all_tracks(&data);
        let config = PairingConfig { min_projects, talent_max, ..PairingConfig::default() };
        // Leaders already leading approved pairings elsewhere.
        let carried: Vec<TalentKey> = data
            .teams
            .iter()
            .filter_map(|t| t.leader.as_ref().map(|l| TalentKey {
                university_id: t.university_id.clone(),
                name: l.name.clone(),
            }))
            .take(carried_n)
            .collect();
        let with = Carried { approved: Vec::new(), talents: carried.clone() };
        let p = propose_with(&data, &scorer, &tracks, &config, &with, &mut no_progress()).unwrap();
        programme_rules::check_rules(&data, &p.batch, &config, &carried)?;
        let sol = solve_instance(&p.instance).unwrap();
        prop_assert!((sol.objective - p.batch.objective).abs() < 1e-9);
    }
}

// ---------- infeasibility diagnostics ----------

#[test]
fn too_few_demands_is_named_when_full_bundles_are_required() {
    let (data, scorer) = world(1, &[("ua", &[("ta1", 10, 0.9)])], 3);
    let config = PairingConfig {
        require_full_bundle: true,
        ..PairingConfig::default()
    };
    let p = proposal(&data, &scorer, &h2(), &config).unwrap();
    assert!(p.batch.pairings.is_empty());
    assert!(!p.batch.optimality.feasible);
    let d = &p.batch.diagnostics[0];
    assert_eq!(d.code, DiagnosticCode::TooFewDemands);
    assert_eq!(d.severity, Severity::Infeasible);
    assert_eq!(
        d.message,
        "第0高新区在氢能赛道只有3项企业需求，一个配对至少需要10项标杆项目"
    );
}

#[test]
fn shortfall_is_reported_not_padded() {
    let (data, scorer) = world(1, &[("ua", &[("ta1", 10, 0.9)])], 3);
    let p = proposal(&data, &scorer, &h2(), &PairingConfig::default()).unwrap();
    assert!(p.batch.optimality.feasible);
    let pairing = &p.batch.pairings[0];
    assert_eq!(pairing.bundle.benchmark_projects.len(), 3);
    let s = pairing.bundle.shortfall.as_ref().unwrap();
    assert_eq!((s.projects, s.zone_demands, s.target), (3, 3, 10));
    let d = diagnostic(&p.batch, DiagnosticCode::BenchmarkShortfall);
    assert_eq!(d.severity, Severity::Shortfall);
    assert!(
        d.message.starts_with(
            "第0高新区在氢能赛道只有3项企业需求，ua大学承接3项，距10项标杆项目尚缺7项"
        )
    );
}

#[test]
fn zones_competing_for_one_university_are_named() {
    let (data, scorer) = world(3, &[("ua", &[("ta1", 30, 0.9)])], 4);
    let config = PairingConfig {
        university_max: 2,
        ..PairingConfig::default()
    };
    let p = proposal(&data, &scorer, &h2(), &config).unwrap();
    let b = &p.batch;
    assert!(!b.optimality.feasible);
    assert_eq!(b.optimality.unmet_minimums, 1);
    assert_eq!(b.pairings.len(), 2, "the best partial proposal comes along");
    let d = diagnostic(b, DiagnosticCode::UniversityCapacity);
    assert_eq!(d.severity, Severity::Infeasible);
    assert!(
        d.message.contains(
            "在氢能赛道各需一所合作高校，但尚有余量的只有ua大学，且每所高校至多参与2个配对"
        ),
        "{}",
        d.message
    );
    for z in ["第0高新区", "第1高新区", "第2高新区"] {
        assert!(d.message.contains(z), "{}", d.message);
    }
}

#[test]
fn all_forbidden_and_min_quality_are_named() {
    let (data, scorer) = world(
        1,
        &[("ua", &[("ta1", 30, 0.9)]), ("ub", &[("tb1", 30, 0.2)])],
        10,
    );
    let config = PairingConfig {
        forbidden: vec![
            Triple::new("z0", "ua", "f-h2"),
            Triple::new("z0", "ub", "f-h2"),
        ],
        ..PairingConfig::default()
    };
    first_diagnostic(
        &data,
        &scorer,
        &config,
        DiagnosticCode::AllCandidatesForbidden,
        "第0高新区在氢能赛道的候选高校均已被排除：ua大学、ub大学",
    );

    let config = PairingConfig {
        min_quality: Some(0.95),
        ..PairingConfig::default()
    };
    first_diagnostic(
        &data,
        &scorer,
        &config,
        DiagnosticCode::BelowMinQuality,
        "第0高新区在氢能赛道没有候选高校达到最低得分0.95（最高为ua大学，0.900）",
    );
}

/// The diagnostic of `batch` with this code.
fn diagnostic(batch: &Batch, code: DiagnosticCode) -> &Diagnostic {
    batch
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code:?} diagnostic"))
}

/// The first diagnostic of a hydrogen batch proposed with `config` has this code and message.
fn first_diagnostic(
    data: &Dataset,
    scorer: &dyn PairScorer,
    config: &PairingConfig,
    code: DiagnosticCode,
    message: &str,
) {
    let p = proposal(data, scorer, &h2(), config).unwrap();
    let d = &p.batch.diagnostics[0];
    assert_eq!((d.code, d.message.as_str()), (code, message));
}

#[test]
fn bad_requests_are_errors_with_codes() {
    let (data, scorer) = world(1, &[("ua", &[("ta1", 3, 0.9)])], 3);
    let default = PairingConfig::default();
    let forced_nobody = PairingConfig {
        forced: vec![Triple::new("z0", "nobody", "f-h2")],
        ..PairingConfig::default()
    };
    let cases: [(&[TrackId], &PairingConfig, &str); 3] = [
        (&["nope".into()], &default, "unknown_track"),
        (&[], &default, "no_tracks"),
        (&h2(), &forced_nobody, "unknown_university"),
    ];
    for (tracks, config, code) in cases {
        let err = proposal(&data, &scorer, tracks, config).unwrap_err();
        assert_eq!(err.code(), code);
    }
}

// ---------- revision ----------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn revise_keeps_approved_and_never_reproposes_rejected(seed in 0u64..1000, picks in proptest::collection::vec(0u8..3, 12)) {
        let spec = SyntheticSpec { zones: 5, universities: 6, teams: 50, demands: 120, tracks: 2, seed };
        let (data, scorer) = synthetic(&spec);
        let tracks: Vec<TrackId> = data.tracks.iter().map(|t| t.id.clone()).collect();
        let first = proposal(&data, &scorer, &tracks, &PairingConfig::default()).unwrap().batch;
        let mut approved = vec![];
        let mut rejected = vec![];
        for (p, &k) in first.pairings.iter().zip(&picks) {
            match k {
                0 => approved.push(p.triple()),
                1 => rejected.push(p.triple()),
                _ => {}
            }
        }
        let second = revise_with(&data, &scorer, &first, &approved, &rejected, &Carried::default(), &mut no_progress()).unwrap().batch;
        let triples: HashSet<Triple> = second.pairings.iter().map(|p| p.triple()).collect();
        for t in &approved {
            prop_assert!(triples.contains(t));
        }
        for t in &rejected {
            prop_assert!(!triples.contains(t));
        }
        for p in &second.pairings {
            let is_approved = approved.contains(&p.triple());
            prop_assert_eq!(p.status == shuanggao::pairing::ProposalStatus::Approved, is_approved);
        }
        // A second round keeps the earlier decisions too.
        let third = revise_with(&data, &scorer, &second, &[], &[], &Carried::default(), &mut no_progress()).unwrap().batch;
        let triples: HashSet<Triple> = third.pairings.iter().map(|p| p.triple()).collect();
        prop_assert!(approved.iter().all(|t| triples.contains(t)));
        prop_assert!(rejected.iter().all(|t| !triples.contains(t)));
    }
}

// ---------- export ----------

/// Every row of one sheet of an XLSX export, as text.
fn sheet_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn export_reads_back_as_csv_and_xlsx() {
    use calamine::{Data, Reader, Xlsx};
    let (data, scorer) = world(
        2,
        &[("ua", &[("ta1", 30, 0.9)]), ("ub", &[("tb1", 30, 0.7)])],
        10,
    );
    let batch = proposal(&data, &scorer, &h2(), &PairingConfig::default())
        .unwrap()
        .batch;
    let headers = crate::support::export_headers();

    let csv = String::from_utf8(export_csv(&batch)).unwrap();
    let csv = csv.strip_prefix('\u{feff}').unwrap();
    assert!(csv.ends_with("\r\n"));
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], headers.join(","));
    assert_eq!(lines.len(), 1 + batch.pairings.len());
    assert!(
        lines[1].starts_with(
            "1,第0高新区,ua大学,氢能,达标,氢能（氢燃料电池汽车）,氢能重点实验室ta1；共建：第0高新区氢能中试平台,带头人ta1（教授；国家杰出青年科学基金获得者）,第0高新区转化基金（10000万元）,10项：需求d0-"
        ),
        "{}",
        lines[1]
    );

    let bytes = export_xlsx(&batch).unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), crate::support::EXPORT_SHEETS);
    let range = wb.worksheet_range("汇总").unwrap();
    let rows: Vec<_> = range.rows().collect();
    assert_eq!(rows.len(), 1 + batch.pairings.len());
    let head: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(head, headers);
    assert_eq!(rows[1][0], Data::Float(1.0));
    assert_eq!(rows[1][1], Data::String("第0高新区".into()));
    assert_eq!(rows[1][10], Data::Float(10.0));
    match &rows[1][11] {
        Data::Float(q) => assert!((q - batch.pairings[0].quality).abs() < 1e-9),
        other => panic!("score cell is {other:?}"),
    }
    assert_eq!(rows[1][12], Data::String("拟推荐".into()));
    // Outside the review workflow there are no review notes; the batch date is today's.
    assert_eq!(rows[1][13].to_string(), "");
    let date = rows[1][14].to_string();
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{date:?}"
    );
}

/// The three sheets of an export: a summary row per pairing (grade, components, 待共建 for what is
/// missing), a row per benchmark project, a row per diagnostic; the CSV is the summary sheet.
#[test]
fn export_sheets_hold_pairings_projects_and_diagnostics() {
    let (mut data, scorer) = world(
        2,
        &[("ua", &[("ta1", 30, 0.9)]), ("ub", &[("tb1", 30, 0.7)])],
        10,
    );
    // Zone 1 has only five demands (its pairings are 培育) and no fund (待共建).
    data.demands
        .retain(|d| !["d1-5", "d1-6", "d1-7", "d1-8", "d1-9"].contains(&d.id.as_str()));
    data.zones[1].funds.clear();
    let batch = proposal(&data, &scorer, &h2(), &PairingConfig::default())
        .unwrap()
        .batch;
    assert!(!batch.diagnostics.is_empty(), "zone 1 falls short");
    let status = |_: &shuanggao::pairing::ProposedPairing| "已批准".to_owned();
    let note = |p: &shuanggao::pairing::ProposedPairing| {
        if p.zone_id.as_str() == "z1" {
            "请补充基金".to_owned()
        } else {
            String::new()
        }
    };
    let ctx = ExportContext {
        status: &status,
        review_note: &note,
        batch_date: "2026-12-07".into(),
        names: Default::default(),
    };
    let bytes = export_xlsx_with(&batch, &ctx).unwrap();

    // 汇总
    let rows = sheet_rows(&bytes, "汇总");
    assert_eq!(rows[0], crate::support::export_headers());
    assert_eq!(rows.len(), 1 + batch.pairings.len());
    let mut grades = HashSet::new();
    let mut to_build = 0;
    for (i, (row, p)) in rows[1..].iter().zip(&batch.pairings).enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        assert_eq!(
            row[1..4],
            [p.zone_name.as_str(), &p.university_name, &p.track_name]
        );
        let grade = if p.zone_id.as_str() == "z1" {
            "培育"
        } else {
            "达标"
        };
        assert_eq!(row[4], grade, "{row:?}");
        assert_eq!(row[4], p.bundle.grade.label());
        grades.insert(row[4].clone());
        assert!(row[5].starts_with("氢能"), "{row:?}");
        for c in 5..=9 {
            assert!(!row[c].is_empty(), "column {c} of {row:?}");
        }
        let n = p.bundle.benchmark_projects.len();
        assert!(row[9].starts_with(&format!("{n}项：")), "{row:?}");
        assert_eq!(row[10], n.to_string());
        assert_eq!(row[12], "已批准");
        assert_eq!(row[14], "2026-12-07");
        if p.zone_id.as_str() == "z1" {
            assert!(p.bundle.transformation_fund.is_none());
            assert!(
                p.bundle
                    .to_build
                    .contains(&shuanggao::pairing::Component::TransformationFund)
            );
            assert_eq!(row[8], "待共建");
            assert_eq!(row[13], "请补充基金");
            to_build += 1;
        } else {
            assert_eq!(row[8], "第0高新区转化基金（10000万元）");
            assert_eq!(row[13], "");
        }
        match &p.bundle.leading_talent {
            Some(l) => assert!(row[7].starts_with(&l.name), "{row:?}"),
            None => assert_eq!(row[7], "待共建"),
        }
    }
    assert!(to_build > 0, "a pairing of zone 1 is proposed");
    assert_eq!(
        grades,
        HashSet::from(["达标".to_owned(), "培育".to_owned()])
    );

    // The CSV is the same table.
    let csv = String::from_utf8(export_csv_with(&batch, &ctx)).unwrap();
    let csv = crate::support::parse_csv(csv.strip_prefix('\u{feff}').unwrap());
    assert_eq!(csv[0], rows[0]);
    assert_eq!(csv.len(), rows.len());
    for (c, x) in csv[1..].iter().zip(&rows[1..]) {
        let text = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14];
        for k in text {
            assert_eq!(c[k], x[k], "column {k}");
        }
        assert_eq!(c[10], x[10]);
    }

    // 标杆项目: one row per benchmark project, under its pairing's 序号.
    let projects = sheet_rows(&bytes, "标杆项目");
    assert_eq!(projects[0], crate::support::export_project_headers());
    let expected: Vec<(usize, &shuanggao::pairing::ProposedPairing, _)> = batch
        .pairings
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.bundle.benchmark_projects.iter().map(move |b| (i, p, b)))
        .collect();
    assert_eq!(projects.len(), 1 + expected.len());
    assert!(expected.len() >= 10 + 5);
    for (row, (i, p, b)) in projects[1..].iter().zip(&expected) {
        assert_eq!(row[0], (i + 1).to_string());
        assert_eq!(
            row[1..4],
            [p.zone_name.as_str(), &p.university_name, &p.track_name]
        );
        assert_eq!(row[4], "");
        assert_eq!(row[5], b.title);
        assert_eq!(row[6], b.team_name);
        let team = b.team_id.as_str();
        assert_eq!(row[7], format!("带头人{team}"));
        assert_eq!(b.leader.as_deref(), Some(row[7].as_str()));
        let score: f64 = row[8].parse().unwrap();
        assert!((score - b.score).abs() < 1e-9);
    }

    // 诊断: severity in Chinese, the machine code, the message and the parties by name.
    let diagnostics = sheet_rows(&bytes, "诊断");
    assert_eq!(diagnostics[0], crate::support::export_diagnostic_headers());
    assert_eq!(diagnostics.len(), 1 + batch.diagnostics.len());
    for (row, d) in diagnostics[1..].iter().zip(&batch.diagnostics) {
        let label = match d.severity {
            Severity::Infeasible => "不可行",
            Severity::Shortfall => "项目不足",
            Severity::Info => "提示",
        };
        assert_eq!(row[0], label);
        assert_eq!(
            row[1],
            serde_json::to_value(d.code).unwrap().as_str().unwrap()
        );
        assert_eq!(row[2], d.message);
        for z in &d.zone_ids {
            let name = &data.zones.iter().find(|x| &x.id == z).unwrap().name;
            assert!(row[3].contains(name.as_str()), "{row:?}");
        }
        for u in &d.university_ids {
            assert!(row[4].contains(&format!("{u}大学")), "{row:?}");
        }
    }
    assert!(
        diagnostics[1..]
            .iter()
            .any(|r| r[0] == "项目不足" && r[3] == "第1高新区"),
        "{diagnostics:?}"
    );
}

/// What a zone or university could type so that a spreadsheet runs it, one per way a formula starts.
const HOSTILE: [&str; 6] = [
    "=HYPERLINK(\"http://x\",\"点击\")",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
];

#[test]
fn exports_neutralise_cells_a_spreadsheet_would_run() {
    use calamine::{Data, Reader, Xlsx};
    let (data, scorer) = world(
        2,
        &[("ua", &[("ta1", 30, 0.9)]), ("ub", &[("tb1", 30, 0.7)])],
        10,
    );
    let mut batch = proposal(&data, &scorer, &h2(), &PairingConfig::default())
        .unwrap()
        .batch;
    batch.diagnostics.push(shuanggao::pairing::Diagnostic {
        code: shuanggao::pairing::DiagnosticCode::NoCandidates,
        severity: Severity::Info,
        message: String::new(),
        zone_ids: Vec::new(),
        university_ids: Vec::new(),
        track_ids: Vec::new(),
    });
    for (i, hostile) in HOSTILE.iter().enumerate() {
        batch.diagnostics[0].message = (*hostile).to_owned();
        batch.diagnostics[0].zone_ids = vec![(*hostile).into()];
        let p = &mut batch.pairings[0];
        p.zone_name = (*hostile).to_owned();
        p.university_name = (*hostile).to_owned();
        p.track_name = (*hostile).to_owned();
        p.bundle.industrial_direction.track_name = (*hostile).to_owned();
        p.bundle.leading_talent.as_mut().unwrap().name = (*hostile).to_owned();
        p.bundle
            .innovation_platform
            .university
            .as_mut()
            .unwrap()
            .name = (*hostile).to_owned();
        p.bundle.transformation_fund.as_mut().unwrap().name = (*hostile).to_owned();
        let b = &mut p.bundle.benchmark_projects[0];
        b.enterprise = Some((*hostile).to_owned());
        b.title = (*hostile).to_owned();
        b.team_name = (*hostile).to_owned();
        b.leader = Some((*hostile).to_owned());
        let status = |_: &shuanggao::pairing::ProposedPairing| (*hostile).to_owned();
        let ctx = ExportContext {
            status: &status,
            review_note: &status,
            batch_date: (*hostile).to_owned(),
            names: Default::default(),
        };
        // 园区, 高校, 赛道, 产业方向, 创新平台, 领军人才, 成果转化基金, 状态, 审核意见, 批次日期.
        let text_columns = [1, 2, 3, 5, 6, 7, 8, 12, 13, 14];

        // CSV: read the first row's cells back (quoted cells may hold commas and line breaks).
        let csv = String::from_utf8(export_csv_with(&batch, &ctx)).unwrap();
        let mut reader = crate::support::parse_csv(csv.strip_prefix('\u{feff}').unwrap());
        let row = reader.remove(1);
        for c in text_columns {
            assert!(
                row[c].starts_with(&format!("'{hostile}")),
                "csv column {c}, hostile value {i}: {:?}",
                row[c]
            );
        }

        let bytes = export_xlsx_with(&batch, &ctx).unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let check = |sheet: &str, range: calamine::Range<Data>, columns: &[usize]| {
            let row: Vec<&Data> = range.rows().nth(1).unwrap().iter().collect();
            for &c in columns {
                let Data::String(cell) = row[c] else {
                    panic!("xlsx {sheet} column {c} is {:?}", row[c]);
                };
                assert!(
                    cell.starts_with(&format!("'{hostile}")),
                    "xlsx {sheet} column {c}, hostile value {i}: {cell:?}"
                );
            }
        };
        check("汇总", wb.worksheet_range("汇总").unwrap(), &text_columns);
        // 园区, 高校, 赛道, 企业, 需求, 承接团队, 团队带头人.
        let project_columns = [1, 2, 3, 4, 5, 6, 7];
        check(
            "标杆项目",
            wb.worksheet_range("标杆项目").unwrap(),
            &project_columns,
        );
        // 说明, 涉及园区 (an id with no name).
        check("诊断", wb.worksheet_range("诊断").unwrap(), &[2, 3]);
    }
}

// ---------- the CLI ----------

fn write_jsonl<T: serde::Serialize>(dir: &std::path::Path, name: &str, rows: &[T]) {
    let text: Vec<String> = rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(dir.join(name), text.join("\n")).unwrap();
}

#[test]
fn propose_command_writes_batch_instance_and_exports() {
    let (data, _) = world(
        2,
        &[("ua", &[("ta1", 30, 0.9)]), ("ub", &[("tb1", 30, 0.7)])],
        4,
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_jsonl(d, "tracks.jsonl", &data.tracks);
    write_jsonl(d, "zones.jsonl", &data.zones);
    write_jsonl(d, "universities.jsonl", &data.universities);
    write_jsonl(d, "teams.jsonl", &data.teams);
    write_jsonl(d, "demands.jsonl", &data.demands);
    std::fs::write(
        d.join("config.toml"),
        "university_max = 2\nzone_track_max = 1\nmin_project_score = 0.0\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .args(["propose", "--data"])
        .arg(d)
        .args(["--tracks", "f-h2", "--config"])
        .arg(d.join("config.toml"))
        .arg("--out")
        .arg(d.join("BATCH.json"))
        .arg("--instance")
        .arg(d.join("INSTANCE.json"))
        .arg("--xlsx")
        .arg(d.join("batch.xlsx"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let batch: Batch =
        serde_json::from_slice(&std::fs::read(d.join("BATCH.json")).unwrap()).unwrap();
    let inst: Instance =
        serde_json::from_slice(&std::fs::read(d.join("INSTANCE.json")).unwrap()).unwrap();
    assert_eq!(batch.pairings.len(), 2);
    assert_eq!(inst.university_max, 2);
    let sol = solve_instance(&inst).unwrap();
    assert!((sol.objective - batch.objective).abs() < 1e-9);
    assert!(d.join("batch.xlsx").exists());

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .args(["propose", "--data"])
        .arg(d)
        .args(["--tracks", "no-such-track", "--out"])
        .arg(d.join("x.json"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown track no-such-track"));
}
