//! Synthetic datasets with a matching synthetic scorer, for benchmarks at national scale and for random
//! end-to-end checks of the optimiser against an external solver. Same spec and seed, same output.

use std::collections::HashMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::scorer::{PairEvidence, PairScorer};
use crate::domain::{
    Achievement, AchievementKind, Dataset, Demand, DemandId, Fund, Leader, Platform, Team, TeamId,
    Track, TrackId, TrackKind, University, UniversityId, Zone, ZoneId,
};

/// Size of a synthetic dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticSpec {
    pub zones: usize,
    pub universities: usize,
    pub teams: usize,
    pub demands: usize,
    pub tracks: usize,
    pub seed: u64,
}

impl SyntheticSpec {
    /// The national-scale benchmark: 200 zones, 500 universities, 100k teams, 200k demands, 20 tracks.
    pub fn national(seed: u64) -> Self {
        Self {
            zones: 200,
            universities: 500,
            teams: 100_000,
            demands: 200_000,
            tracks: 20,
            seed,
        }
    }
}

/// Scores a demand against the teams of its tracks: `strength(team) × (0.5 + 0.5 · noise)`, where the
/// noise is drawn from a generator seeded by the demand, so scores are deterministic.
#[derive(Debug)]
pub struct SyntheticScorer {
    seed: u64,
    demand_index: HashMap<String, (u32, Vec<u32>)>,
    track_teams: Vec<Vec<u32>>,
    strength: Vec<f32>,
    team_ids: Vec<TeamId>,
    team_index: HashMap<String, u32>,
    track_names: Vec<String>,
}

impl SyntheticScorer {
    fn score_one(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)> {
        let Some((di, tracks)) = self.demand_index.get(demand.as_str()) else {
            return Vec::new();
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            self.seed ^ (u64::from(*di) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let mut cand: Vec<(u32, f32)> = Vec::new();
        for &t in tracks {
            let pool = &self.track_teams[t as usize];
            if pool.is_empty() {
                continue;
            }
            for _ in 0..(3 * limit).min(pool.len()) {
                let team = pool[rng.gen_range(0..pool.len())];
                let s = self.strength[team as usize] * (0.5 + 0.5 * rng.r#gen::<f32>());
                cand.push((team, s));
            }
        }
        cand.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        cand.dedup_by_key(|x| x.0);
        cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cand.truncate(limit);
        cand.into_iter()
            .map(|(t, s)| (self.team_ids[t as usize].clone(), s))
            .collect()
    }
}

impl PairScorer for SyntheticScorer {
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)> {
        self.score_one(demand, limit)
    }

    fn explain(&self, demand: &DemandId, team: &TeamId) -> Option<PairEvidence> {
        let (_, tracks) = self.demand_index.get(demand.as_str())?;
        let t = *self.team_index.get(team.as_str())?;
        let terms = tracks
            .iter()
            .map(|&k| {
                (
                    format!("{}关键技术", self.track_names[k as usize]),
                    self.strength[t as usize],
                )
            })
            .collect();
        Some(PairEvidence {
            terms,
            achievement: None,
        })
    }
}

/// Builds a synthetic dataset and its scorer.
pub fn synthetic(spec: &SyntheticSpec) -> (Dataset, SyntheticScorer) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let nt = spec.tracks.max(1);
    let tracks: Vec<Track> = (0..nt)
        .map(|i| Track {
            id: TrackId(format!("t{i:02}")),
            name: format!("赛道{i:02}"),
            kind: TrackKind::Future,
            parent: None,
            keywords: vec![format!("赛道{i:02}关键技术"), format!("赛道{i:02}装备")],
            description: String::new(),
        })
        .collect();
    let all_tracks: Vec<usize> = (0..nt).collect();
    let univ_n = spec.universities.max(1);
    let zones: Vec<Zone> = (0..spec.zones)
        .map(|i| {
            let k = rng.gen_range(2..=6.min(nt).max(2)).min(nt);
            let mut ts: Vec<usize> = all_tracks.choose_multiple(&mut rng, k).copied().collect();
            ts.sort_unstable();
            Zone {
                id: ZoneId(format!("z{i:03}")),
                name: format!("第{i:03}高新区"),
                city: format!("城市{}", i % 13),
                level: None,
                industries: ts.iter().map(|&t| format!("赛道{t:02}产业")).collect(),
                track_ids: ts.iter().map(|&t| tracks[t].id.clone()).collect(),
                description: String::new(),
                platforms: vec![
                    Platform {
                        name: format!("第{i:03}高新区赛道{:02}中试平台", ts[0]),
                        kind: "pilot_platform".into(),
                        ..Default::default()
                    },
                    // A joint centre with one university in the zone's last track.
                    Platform {
                        name: format!("第{:03}大学—第{i:03}高新区联合研发中心", i % univ_n),
                        kind: "innovation_center".into(),
                        track_ids: vec![tracks[ts[ts.len() - 1]].id.clone()],
                        university_ids: vec![UniversityId(format!("u{:03}", i % univ_n))],
                    },
                ],
                funds: vec![
                    Fund {
                        name: format!("第{i:03}高新区成果转化基金"),
                        size_wan_yuan: f64::from(rng.gen_range(1..=50u32)) * 1000.0,
                        ..Default::default()
                    },
                    // A larger fund set up with one university only.
                    Fund {
                        name: format!("第{i:03}高新区—第{:03}大学合作基金", (i + 1) % univ_n),
                        size_wan_yuan: 100_000.0,
                        university_ids: vec![UniversityId(format!("u{:03}", (i + 1) % univ_n))],
                        ..Default::default()
                    },
                ],
                baseline: None,
            }
        })
        .collect();
    let mut strong: Vec<Vec<usize>> = Vec::with_capacity(spec.universities);
    let universities: Vec<University> = (0..spec.universities)
        .map(|i| {
            let k = rng.gen_range(2..=5).min(nt);
            strong.push(all_tracks.choose_multiple(&mut rng, k).copied().collect());
            University {
                id: UniversityId(format!("u{i:03}")),
                name: format!("第{i:03}大学"),
                city: format!("城市{}", i % 13),
                kind: None,
                disciplines: vec![],
                description: String::new(),
                baseline: None,
            }
        })
        .collect();
    let mut track_teams: Vec<Vec<u32>> = vec![Vec::new(); nt];
    let mut strength = Vec::with_capacity(spec.teams);
    let teams: Vec<Team> = (0..spec.teams)
        .map(|i| {
            let u = rng.gen_range(0..spec.universities.max(1));
            let t = if rng.gen_bool(0.85) && !strong.is_empty() {
                *strong[u].choose(&mut rng).unwrap_or(&0)
            } else {
                rng.gen_range(0..nt)
            };
            track_teams[t].push(i as u32);
            strength.push(rng.gen_range(0.3f32..1.0));
            let leader = rng.gen_bool(0.8).then(|| Leader {
                name: format!("负责人{i}"),
                title: "教授".into(),
                honors: if rng.gen_bool(0.3) {
                    vec!["国家杰出青年科学基金获得者".into()]
                } else {
                    vec![]
                },
            });
            Team {
                id: TeamId(format!("tm{i:06}")),
                university_id: universities
                    .get(u)
                    .map_or_else(|| UniversityId("u000".into()), |x| x.id.clone()),
                name: format!("赛道{t:02}团队{i}"),
                leader,
                fields: vec![],
                description: String::new(),
                keywords: vec![],
                track_ids: vec![tracks[t].id.clone()],
                platforms: if rng.gen_bool(0.5) {
                    vec![Platform {
                        name: format!("赛道{t:02}重点实验室{i}"),
                        kind: "key_lab".into(),
                        ..Default::default()
                    }]
                } else {
                    vec![]
                },
                achievements: vec![Achievement {
                    kind: AchievementKind::Patent,
                    title: format!("一种赛道{t:02}关键部件的制备方法（{i}）"),
                    r#abstract: String::new(),
                    year: Some(2020 + (i % 5) as i32),
                    patent_no: None,
                    legal_status: None,
                    transferable: None,
                }],
                capacity: rng.gen_range(2..=5),
                members: None,
            }
        })
        .collect();
    let mut demand_index = HashMap::with_capacity(spec.demands);
    let demands: Vec<Demand> = (0..spec.demands)
        .map(|i| {
            let z = rng.gen_range(0..spec.zones.max(1));
            let zt = &zones
                .get(z)
                .map(|z| z.track_ids.clone())
                .unwrap_or_default();
            let t = if rng.gen_bool(0.85) && !zt.is_empty() {
                let id = zt.choose(&mut rng).expect("non-empty");
                id.0[1..].parse::<usize>().unwrap_or(0)
            } else {
                rng.gen_range(0..nt)
            };
            let mut ts = vec![t];
            if rng.gen_bool(0.1) {
                let t2 = rng.gen_range(0..nt);
                if t2 != t {
                    ts.push(t2);
                }
            }
            let excluded = if rng.gen_bool(0.02) && spec.universities > 0 {
                vec![universities[rng.gen_range(0..spec.universities)].id.clone()]
            } else {
                vec![]
            };
            let id = DemandId(format!("d{i:06}"));
            demand_index.insert(
                id.0.clone(),
                (i as u32, ts.iter().map(|&t| t as u32).collect()),
            );
            Demand {
                id,
                zone_id: zones
                    .get(z)
                    .map_or_else(|| ZoneId("z000".into()), |x| x.id.clone()),
                title: format!("赛道{t:02}关键技术需求{i}"),
                description: String::new(),
                enterprise: None,
                keywords: vec![],
                track_ids: ts.iter().map(|&t| tracks[t].id.clone()).collect(),
                budget_wan_yuan: None,
                deadline: None,
                excluded_university_ids: excluded,
            }
        })
        .collect();
    let scorer = SyntheticScorer {
        seed: spec.seed,
        demand_index,
        track_teams,
        strength,
        team_ids: teams.iter().map(|t| t.id.clone()).collect(),
        team_index: teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.0.clone(), i as u32))
            .collect(),
        track_names: tracks.iter().map(|t| t.name.clone()).collect(),
    };
    let data = Dataset {
        tracks,
        zones,
        universities,
        teams,
        demands,
    };
    (data, scorer)
}
