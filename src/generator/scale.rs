//! Synthetic zones and universities for instances larger than the curated Jiangsu data (a national-scale
//! instance has 200 zones and 500 universities): fictional places named after cities outside Jiangsu, with
//! tracks, industries, disciplines and affinities drawn deterministically from the seed.

use crate::domain::{
    Fund, Platform, Track, TrackId, University, UniversityId, UniversityKind, Zone, ZoneId,
    ZoneLevel,
};

use super::material::Topic;
use super::pools;
use super::text::{
    Rng, STREAM_UNIVERSITY, STREAM_ZONE, between, chance, enumerate, pick, record_rng,
    sample_indices, short_track_name,
};

/// How many synthetic zone names exist.
pub fn zone_name_capacity() -> usize {
    pools::CITIES.len() * (1 + pools::ZONE_AREAS.len())
}

/// How many synthetic university names exist.
pub fn university_name_capacity() -> usize {
    pools::CITIES.len() * (pools::RESEARCH_SUFFIXES.len() + pools::APPLIED_SUFFIXES.len())
}

/// Tracks that topics cover, the only ones worth giving a synthetic zone or university.
fn covered_tracks<'a>(tracks: &'a [Track], topics: &[Topic]) -> Vec<&'a Track> {
    tracks
        .iter()
        .filter(|t| topics.iter().any(|topic| topic.track_id == t.id.as_str()))
        .collect()
}

/// The first `count` candidates whose name is not `taken`, numbered from 0.
fn first_untaken<'a, C: 'a>(
    candidates: impl Iterator<Item = (C, String)> + 'a,
    taken: &'a [&str],
    count: usize,
) -> impl Iterator<Item = (usize, (C, String))> + 'a {
    candidates
        .filter(move |(_, name)| !taken.contains(&name.as_str()))
        .take(count)
        .enumerate()
}

/// Between `low` and `high` of the covered tracks, drawn at random.
fn pick_tracks<'a>(rng: &mut Rng, covered: &[&'a Track], low: u32, high: u32) -> Vec<&'a Track> {
    let k = between(rng, low, high) as usize;
    let picked = sample_indices(rng, covered.len(), k);
    picked.iter().map(|&k| covered[k]).collect()
}

/// `count` synthetic zones whose names differ from `existing`.
pub fn extra_zones(
    seed: u64,
    tracks: &[Track],
    topics: &[Topic],
    existing: &[Zone],
    count: usize,
) -> Vec<Zone> {
    let covered = covered_tracks(tracks, topics);
    let names = (0..=pools::ZONE_AREAS.len()).flat_map(|round| {
        pools::CITIES.iter().map(move |city| {
            let area = if round == 0 {
                ""
            } else {
                pools::ZONE_AREAS[round - 1]
            };
            ((round, *city), format!("{city}{area}高新区"))
        })
    });
    let taken: Vec<&str> = existing.iter().map(|z| z.name.as_str()).collect();
    first_untaken(names, &taken, count)
        .map(|(i, ((round, city), name))| {
            let mut rng = record_rng(seed, STREAM_ZONE, i as u64);
            let zone_tracks = pick_tracks(&mut rng, &covered, 4, 6);
            let industries: Vec<String> =
                zone_tracks.iter().take(4).map(|t| short_track_name(&t.name).to_owned()).collect();
            let lead = industries.first().cloned().unwrap_or_default();
            let listed: Vec<&str> = industries.iter().take(3).map(String::as_str).collect();
            let description = match between(&mut rng, 0, 2) {
                0 => format!(
                    "{name}位于{city}，重点发展{}等产业。园区正与{}所高校开展协同创新，围绕主导产业共建研发平台。",
                    enumerate(&listed),
                    between(&mut rng, 1, 5)
                ),
                1 => format!(
                    "{name}以{lead}为首位产业，集聚相关企业{}余家，近年来着力引进高校科技成果就地转化。",
                    between(&mut rng, 5, 60) * 10
                ),
                _ => format!(
                    "{name}是{city}科技创新的主要承载区，主导产业为{}，建有多个公共技术服务平台。",
                    enumerate(&listed)
                ),
            };
            let mut platforms = vec![Platform {
                name: format!("{name}{lead}公共技术服务平台"),
                kind: "shared_facility".to_owned(),
                ..Default::default()
            }];
            if chance(&mut rng, 0.6) {
                platforms.push(Platform { name: format!("{name}概念验证中心"), kind: "pilot_platform".to_owned(), ..Platform::default() });
            }
            let level = if round == 0 && chance(&mut rng, 0.6) { ZoneLevel::National } else { ZoneLevel::Provincial };
            Zone {
                id: ZoneId(format!("z-x{:03}", i + 1)),
                name: name.clone(),
                city: city.to_owned(),
                level: Some(level),
                industries,
                track_ids: zone_tracks.iter().map(|t| t.id.clone()).collect(),
                description,
                platforms,
                funds: vec![Fund {
                    name: format!("{name}科技成果转化基金"),
                    size_wan_yuan: f64::from(between(&mut rng, 5, 50) * 1000),
                    ..Default::default()
                }],
                baseline: None,
            }
        })
        .collect()
}

/// `count` synthetic universities whose names differ from `existing`, each with the tracks its teams work in.
pub fn extra_universities(
    seed: u64,
    tracks: &[Track],
    topics: &[Topic],
    existing: &[University],
    count: usize,
) -> Vec<(University, Vec<TrackId>)> {
    let covered = covered_tracks(tracks, topics);
    let suffixes: Vec<&str> = pools::RESEARCH_SUFFIXES
        .iter()
        .chain(pools::APPLIED_SUFFIXES)
        .copied()
        .collect();
    let names = (0..suffixes.len()).flat_map(|round| {
        let suffixes = suffixes.clone();
        pools::CITIES.iter().enumerate().map(move |(c, city)| {
            let suffix = suffixes[(c + round) % suffixes.len()];
            ((*city, suffix), format!("{city}{suffix}"))
        })
    });
    let taken: Vec<&str> = existing.iter().map(|u| u.name.as_str()).collect();
    first_untaken(names, &taken, count)
        .map(|(i, ((city, suffix), name))| {
            let mut rng = record_rng(seed, STREAM_UNIVERSITY, i as u64);
            let research = pools::RESEARCH_SUFFIXES.contains(&suffix);
            let affinity: Vec<TrackId> = pick_tracks(&mut rng, &covered, 3, 7)
                .iter()
                .map(|t| t.id.clone())
                .collect();
            let mut disciplines: Vec<String> = Vec::new();
            for track in &affinity {
                for topic in topics.iter().filter(|t| t.track_id == track.as_str()) {
                    for d in &topic.disciplines {
                        if disciplines.len() < 8 && !disciplines.contains(d) {
                            disciplines.push(d.clone());
                        }
                    }
                }
            }
            let strong: Vec<&str> = disciplines.iter().take(2).map(String::as_str).collect();
            let description = if research {
                format!(
                    "{name}是位于{city}的研究型大学，在{}等学科方向具有特色，与地方产业联系紧密。",
                    enumerate(&strong)
                )
            } else {
                format!(
                    "{name}是位于{city}的应用型本科高校，以{}为{}，注重服务区域产业。",
                    enumerate(&strong),
                    pick(&mut rng, &["优势学科", "重点建设学科", "特色专业群"])
                )
            };
            let university = University {
                id: UniversityId(format!("u-x{:03}", i + 1)),
                name,
                city: city.to_owned(),
                kind: Some(if research {
                    UniversityKind::Research
                } else {
                    UniversityKind::Applied
                }),
                disciplines,
                description,
                baseline: None,
            };
            (university, affinity)
        })
        .collect()
}
