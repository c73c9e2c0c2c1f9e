//! Deterministic generator of synthetic datasets in the contract v1 (`shuanggao gen`): the curated tracks,
//! zones and universities (plus synthetic ones for larger instances), research teams and enterprise
//! demands composed from the topic material, and `planted.qrels`, the demand → team relevance it planted.
//!
//! Same material, parameters and seed give the same bytes: every record draws from its own random stream
//! (seeded from the seed, the kind of record and its index), so records are composed in parallel and
//! written in index order; nothing iterates a hash map into the output.
//!
//! Planted relevance (TREC qrels, `DEMAND 0 TEAM GRADE`): grade 2 when team and demand come from the same
//! topic, grade 1 when they come from different topics of the same primary track. For large runs the file
//! is bounded: it covers an evenly spaced sample of at most [`QRELS_MAX_DEMANDS`] demands, fewer when that
//! would exceed about [`QRELS_MAX_LINES`] lines.

mod demand;
mod material;
mod pools;
mod scale;
mod team;
mod text;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

pub use material::{
    Affinity, DemandLink, DemandMaterial, Link, Material, TeamMaterial, Topic, Writing,
};
pub use text::sample_indices;

use crate::dataset::{self, DatasetError};
use crate::domain::{Track, TrackId, University, Zone};
use crate::error_code::ErrorCode;
use text::{
    Rng, STREAM_DEMAND, STREAM_PATENT, STREAM_PLAN, STREAM_TEAM, chance, pick_ref, record_rng,
    shuffle, weighted,
};

/// Seed of the shipped `datasets/jiangsu` teams and demands.
pub const DEFAULT_SEED: u64 = 2025;
/// Team count of the shipped dataset.
pub const DEFAULT_TEAMS: usize = 900;
/// Demand count of the shipped dataset.
pub const DEFAULT_DEMANDS: usize = 1600;
/// File of the planted relevance judgements.
pub const QRELS_FILE: &str = "planted.qrels";
/// Most demands `planted.qrels` covers.
pub const QRELS_MAX_DEMANDS: usize = 2_000;
/// About the most lines `planted.qrels` holds.
pub const QRELS_MAX_LINES: usize = 1_000_000;
/// Largest team or demand count accepted.
pub const MAX_RECORDS: usize = 10_000_000;

/// Records are composed in parallel in blocks of this many, then written in order.
const BLOCK: usize = 8_192;
/// Weight of a synthetic research university in each of its tracks: a curated university's is its scale
/// (times 1,000) split over its tracks by strength; this is a scale of 8 over about five tracks.
const SYNTHETIC_RESEARCH_WEIGHT: u32 = 1_600;
/// Weight of a synthetic applied university in each of its tracks (a scale of 2).
const SYNTHETIC_APPLIED_WEIGHT: u32 = 400;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub seed: u64,
    pub teams: usize,
    pub demands: usize,
    /// Zone count; the curated zones first, synthetic ones beyond them. `None`: the curated zones.
    pub zones: Option<usize>,
    /// University count; the curated universities first, synthetic ones beyond. `None`: the curated ones.
    pub universities: Option<usize>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            teams: DEFAULT_TEAMS,
            demands: DEFAULT_DEMANDS,
            zones: None,
            universities: None,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tracks: usize,
    pub zones: usize,
    pub universities: usize,
    pub teams: usize,
    pub demands: usize,
    /// Demands `planted.qrels` covers.
    pub qrels_demands: usize,
    /// Lines of `planted.qrels`.
    pub qrels_lines: usize,
}

/// What can go wrong generating a dataset.
#[derive(Debug, Error)]
pub enum GenError {
    #[error("invalid generator material: {0}")]
    Material(String),
    #[error("invalid generator parameters: {0}")]
    Params(String),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl GenError {
    /// Stable machine-readable code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Material(_) => ErrorCode::InvalidGenMaterial,
            Self::Params(_) => ErrorCode::InvalidGenParams,
            Self::Dataset(err) => err.code(),
            Self::Write { .. } => ErrorCode::GenWriteFailed,
        }
    }
}

/// The instance's zones and universities with the lookups composing records needs.
struct World<'m> {
    material: &'m Material,
    tracks: &'m [Track],
    zones: Vec<Zone>,
    universities: Vec<University>,
    topic_track: Vec<usize>,
    /// Per track: topics to draw from (own topics, else related ones).
    topics_for_track: Vec<Vec<usize>>,
    /// Per track: universities whose teams work in it, each with its weight (scale times strength).
    universities_for_track: Vec<Vec<(usize, u32)>>,
    /// Per track: zones listing it.
    zones_for_track: Vec<Vec<usize>>,
    /// Per track: ids of universities with affinity to it, as a demand might exclude.
    university_ids_for_track: Vec<Vec<&'m str>>,
}

/// Generates a dataset into `out` (created if needed): the five contract files and `planted.qrels`.
pub fn generate(material: &Material, params: &Params, out: &Path) -> Result<Summary, GenError> {
    check_params(material, params)?;
    let world = World::build(material, params);
    fs::create_dir_all(out).map_err(|source| GenError::Write {
        path: out.to_owned(),
        source,
    })?;
    dataset::write_records(&out.join(dataset::TRACKS_FILE), world.tracks)?;
    dataset::write_records(&out.join(dataset::ZONES_FILE), &world.zones)?;
    dataset::write_records(&out.join(dataset::UNIVERSITIES_FILE), &world.universities)?;

    let team_topics = world.plan_teams(params);
    let demand_plan = world.plan_demands(params);
    let team_width = id_width(params.teams);
    let demand_width = id_width(params.demands);

    let mut team_names = HashSet::new();
    TEAMS.write(
        out,
        params.seed,
        params.teams,
        |rng, id, i| {
            let mut team = world.team(rng, id, team_topics[i]);
            team::file_patents(
                &mut record_rng(params.seed, STREAM_PATENT, i as u64),
                &mut team,
            );
            team
        },
        |team| team::make_name_unique(team, &mut team_names),
    )?;
    DEMANDS.write(
        out,
        params.seed,
        params.demands,
        |rng, id, i| world.demand(rng, id, demand_plan[i]),
        |_| {},
    )?;
    let (qrels_demands, qrels_lines) = world.write_qrels(
        &out.join(QRELS_FILE),
        &team_topics,
        &demand_plan,
        team_width,
        demand_width,
    )?;
    Ok(Summary {
        tracks: world.tracks.len(),
        zones: world.zones.len(),
        universities: world.universities.len(),
        teams: params.teams,
        demands: params.demands,
        qrels_demands,
        qrels_lines,
    })
}

fn check_params(material: &Material, params: &Params) -> Result<(), GenError> {
    let fail = |message: String| Err(GenError::Params(message));
    if params.teams > MAX_RECORDS || params.demands > MAX_RECORDS {
        return fail(format!(
            "at most {MAX_RECORDS} teams and {MAX_RECORDS} demands"
        ));
    }
    let zone_cap = material.zones.len() + scale::zone_name_capacity();
    match params.zones {
        Some(0) => return fail("at least 1 zone".to_owned()),
        Some(n) if n > zone_cap => return fail(format!("at most {zone_cap} zones")),
        _ => {}
    }
    let university_cap = material.universities.len() + scale::university_name_capacity();
    match params.universities {
        Some(0) => return fail("at least 1 university".to_owned()),
        Some(n) if n > university_cap => {
            return fail(format!("at most {university_cap} universities"));
        }
        _ => {}
    }
    Ok(())
}

/// Digits of record ids: at least 4, enough for `count`.
fn id_width(count: usize) -> usize {
    count.to_string().len().max(4)
}

/// What one demand is planned as: its topic, its zone, the zone track it was planned for, and how many
/// demands of the same topic come before it (so titles of one topic are worded apart).
#[derive(Debug, Clone, Copy)]
struct DemandSlot {
    topic: usize,
    zone: usize,
    zone_track: Option<usize>,
    ordinal: usize,
}

impl<'m> World<'m> {
    fn build(material: &'m Material, params: &Params) -> Self {
        let tracks = material.tracks.as_slice();
        let track_index: HashMap<&str, usize> = tracks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let index_of = |id: &str| track_index.get(id).copied();

        let zone_count = params.zones.unwrap_or(material.zones.len());
        let mut zones: Vec<Zone> = material.zones.iter().take(zone_count).cloned().collect();
        if zone_count > zones.len() {
            let extra = zone_count - zones.len();
            zones.extend(scale::extra_zones(
                params.seed,
                tracks,
                &material.topics,
                &zones,
                extra,
            ));
        }

        let university_count = params.universities.unwrap_or(material.universities.len());
        let mut universities: Vec<University> = material
            .universities
            .iter()
            .take(university_count)
            .cloned()
            .collect();
        let mut affinity: Vec<Vec<(TrackId, u32)>> = universities
            .iter()
            .map(|u| {
                material
                    .affinity
                    .get(u.id.as_str())
                    .map_or_else(Vec::new, |a| {
                        // The university's scale is split over its tracks by strength.
                        let total: u32 = a.tracks.iter().map(|(_, s)| s).sum::<u32>().max(1);
                        a.tracks
                            .iter()
                            .map(|(t, strength)| {
                                (TrackId(t.clone()), a.scale * strength * 1000 / total)
                            })
                            .collect()
                    })
            })
            .collect();
        if university_count > universities.len() {
            let extra = university_count - universities.len();
            for (university, tracks_of) in scale::extra_universities(
                params.seed,
                tracks,
                &material.topics,
                &universities,
                extra,
            ) {
                // A synthetic university weighs as a mid-sized curated one: research universities
                // several times an applied college.
                let weight = if university.kind == Some(crate::domain::UniversityKind::Research) {
                    SYNTHETIC_RESEARCH_WEIGHT
                } else {
                    SYNTHETIC_APPLIED_WEIGHT
                };
                universities.push(university);
                affinity.push(tracks_of.into_iter().map(|t| (t, weight)).collect());
            }
        }

        let topic_track: Vec<usize> = material
            .topics
            .iter()
            .map(|t| index_of(&t.track_id).unwrap_or(0))
            .collect();
        let topics_for_track = (0..tracks.len())
            .map(|k| {
                let own: Vec<usize> = (0..material.topics.len())
                    .filter(|&t| topic_track[t] == k)
                    .collect();
                if !own.is_empty() {
                    return own;
                }
                let id = tracks[k].id.as_str();
                let also: Vec<usize> = (0..material.topics.len())
                    .filter(|&t| material.topics[t].also_tracks.iter().any(|a| a == id))
                    .collect();
                if !also.is_empty() {
                    return also;
                }
                // Topics of the parent track, else of the child tracks.
                (0..material.topics.len())
                    .filter(|&t| {
                        let topic_track = &tracks[topic_track[t]];
                        tracks[k].parent.as_ref() == Some(&topic_track.id)
                            || topic_track.parent.as_ref() == Some(&tracks[k].id)
                    })
                    .collect()
            })
            .collect();
        let mut universities_for_track = vec![Vec::new(); tracks.len()];
        let mut university_ids_for_track = vec![Vec::new(); tracks.len()];
        for (u, tracks_of) in affinity.iter().enumerate() {
            for (track, weight) in tracks_of {
                if let Some(k) = index_of(track.as_str()) {
                    universities_for_track[k].push((u, *weight));
                    if u < material.universities.len() {
                        university_ids_for_track[k].push(material.universities[u].id.as_str());
                    }
                }
            }
        }
        let mut zones_for_track = vec![Vec::new(); tracks.len()];
        for (z, zone) in zones.iter().enumerate() {
            for track in &zone.track_ids {
                if let Some(k) = index_of(track.as_str()) {
                    zones_for_track[k].push(z);
                }
            }
        }
        Self {
            material,
            tracks,
            zones,
            universities,
            topic_track,
            topics_for_track,
            universities_for_track,
            zones_for_track,
            university_ids_for_track,
        }
    }

    /// The topic of every team: topics in turn, shuffled, so every topic gets its share.
    fn plan_teams(&self, params: &Params) -> Vec<usize> {
        let topics = self.material.topics.len();
        let mut plan: Vec<usize> = (0..params.teams).map(|i| i % topics).collect();
        shuffle(&mut record_rng(params.seed, STREAM_PLAN, 0), &mut plan);
        plan
    }

    /// The topic and zone of every demand. Four in five are planned zone by zone, round the pairs of a zone
    /// and one of its tracks, so every zone gets demands in each of its tracks; the rest go topic by topic,
    /// so every topic gets demands, to a zone listing the topic's track where there is one.
    fn plan_demands(&self, params: &Params) -> Vec<DemandSlot> {
        let mut rng = record_rng(params.seed, STREAM_PLAN, 1);
        let pairs: Vec<(usize, usize)> = self
            .zones
            .iter()
            .enumerate()
            .flat_map(|(z, zone)| {
                zone.track_ids.iter().filter_map(move |t| {
                    self.tracks
                        .iter()
                        .position(|track| &track.id == t)
                        .map(|k| (z, k))
                })
            })
            .filter(|&(_, k)| !self.topics_for_track[k].is_empty())
            .collect();
        let zone_driven = if pairs.is_empty() {
            0
        } else {
            params.demands * 4 / 5
        };
        let topics = self.material.topics.len();
        let mut plan = Vec::with_capacity(params.demands);
        for i in 0..params.demands {
            if i < zone_driven {
                let (zone, track) = pairs[i % pairs.len()];
                let candidates = &self.topics_for_track[track];
                let topic = candidates[(i / pairs.len()) % candidates.len()];
                plan.push(DemandSlot {
                    topic,
                    zone,
                    zone_track: Some(track),
                    ordinal: 0,
                });
            } else {
                let topic = (i - zone_driven) % topics;
                let zone = self.zone_for_topic(&mut rng, topic);
                plan.push(DemandSlot {
                    topic,
                    zone,
                    zone_track: None,
                    ordinal: 0,
                });
            }
        }
        shuffle(&mut rng, &mut plan);
        let mut seen = vec![0; topics];
        for slot in &mut plan {
            slot.ordinal = seen[slot.topic];
            seen[slot.topic] += 1;
        }
        plan
    }

    /// A zone for a demand of `topic`: most often one listing the topic's track, else one listing its parent
    /// track or a related track, else any zone.
    fn zone_for_topic(&self, rng: &mut Rng, topic: usize) -> usize {
        let track = self.topic_track[topic];
        let own = &self.zones_for_track[track];
        if !own.is_empty() && chance(rng, 0.85) {
            return pick_ref(rng, own).copied().unwrap_or(0);
        }
        let related: Vec<usize> = self.material.topics[topic]
            .also_tracks
            .iter()
            .chain(self.tracks[track].parent.as_ref().map(|p| &p.0))
            .filter_map(|id| self.tracks.iter().position(|t| t.id.as_str() == id))
            .flat_map(|k| self.zones_for_track[k].iter().copied())
            .collect();
        if let Some(&zone) = pick_ref(rng, &related)
            && chance(rng, 0.8)
        {
            return zone;
        }
        if let Some(&zone) = pick_ref(rng, own) {
            return zone;
        }
        text::index(rng, self.zones.len())
    }

    fn team(&self, rng: &mut Rng, id: String, topic_index: usize) -> crate::domain::Team {
        let topic = &self.material.topics[topic_index];
        let track = self.topic_track[topic_index];
        let mut candidates: &[(usize, u32)] = self.universities_for_track[track].as_slice();
        if candidates.is_empty() {
            candidates = topic
                .also_tracks
                .iter()
                .filter_map(|id| self.tracks.iter().position(|t| t.id.as_str() == id))
                .map(|k| self.universities_for_track[k].as_slice())
                .find(|c| !c.is_empty())
                .unwrap_or_default();
        }
        let university = if candidates.is_empty() {
            text::index(rng, self.universities.len())
        } else {
            weighted(rng, candidates, candidates[0].0)
        };
        let input = team::TeamInput {
            id,
            topic,
            track_name: &self.tracks[track].name,
            university: &self.universities[university],
        };
        team::compose(&input, rng)
    }

    fn demand(&self, rng: &mut Rng, id: String, slot: DemandSlot) -> crate::domain::Demand {
        let topic = &self.material.topics[slot.topic];
        let track = self.topic_track[slot.topic];
        let input = demand::DemandInput {
            id,
            topic,
            zone: &self.zones[slot.zone],
            zone_track: slot.zone_track.map(|k| self.tracks[k].id.as_str()),
            ordinal: slot.ordinal,
            excludable: &self.university_ids_for_track[track],
        };
        demand::compose(&input, rng)
    }

    fn write_qrels(
        &self,
        path: &Path,
        team_topics: &[usize],
        demand_plan: &[DemandSlot],
        team_width: usize,
        demand_width: usize,
    ) -> Result<(usize, usize), GenError> {
        let fail = |source: io::Error| GenError::Write {
            path: path.to_owned(),
            source,
        };
        let mut teams_for_track: Vec<Vec<usize>> = vec![Vec::new(); self.tracks.len()];
        for (team, &topic) in team_topics.iter().enumerate() {
            teams_for_track[self.topic_track[topic]].push(team);
        }
        let total: usize = demand_plan
            .iter()
            .map(|s| teams_for_track[self.topic_track[s.topic]].len())
            .sum();
        let demands = demand_plan.len();
        let mut sample = demands.min(QRELS_MAX_DEMANDS);
        if total > 0 && demands > 0 {
            let by_lines = (QRELS_MAX_LINES as u128 * demands as u128 / total as u128) as usize;
            sample = sample.min(by_lines.max(1));
        }
        let mut out = BufWriter::new(fs::File::create(path).map_err(fail)?);
        let mut lines = 0;
        for j in 0..sample {
            let d = (j as u128 * demands as u128 / sample as u128) as usize;
            let slot = demand_plan[d];
            for &team in &teams_for_track[self.topic_track[slot.topic]] {
                let grade = if team_topics[team] == slot.topic {
                    2
                } else {
                    1
                };
                writeln!(
                    out,
                    "d-{:0demand_width$} 0 t-{:0team_width$} {grade}",
                    d + 1,
                    team + 1
                )
                .map_err(fail)?;
                lines += 1;
            }
        }
        out.flush().map_err(fail)?;
        Ok((sample, lines))
    }
}

/// One side of the generated records (teams or demands): its contract file, its random stream and its id
/// prefix.
struct Side {
    file: &'static str,
    stream: u64,
    prefix: &'static str,
}

const TEAMS: Side = Side {
    file: dataset::TEAMS_FILE,
    stream: STREAM_TEAM,
    prefix: "t",
};
const DEMANDS: Side = Side {
    file: dataset::DEMANDS_FILE,
    stream: STREAM_DEMAND,
    prefix: "d",
};

impl Side {
    /// Writes `count` records of the side: record `i` gets its own random stream and the id
    /// `{prefix}-{i + 1}`, zero padded to [`id_width`]; `settle` sees every record in index order before it is
    /// written (to keep names apart, say).
    fn write<R: Serialize + Send + Sync>(
        &self,
        out: &Path,
        seed: u64,
        count: usize,
        make: impl Fn(&mut Rng, String, usize) -> R + Sync,
        settle: impl FnMut(&mut R),
    ) -> Result<(), GenError> {
        let width = id_width(count);
        write_jsonl(
            &out.join(self.file),
            count,
            |i| {
                let mut rng = record_rng(seed, self.stream, i as u64);
                make(&mut rng, format!("{}-{:0width$}", self.prefix, i + 1), i)
            },
            settle,
        )
    }
}

/// Writes `count` records made by `make(index)` as JSON Lines, composing blocks of them in parallel, passing
/// each through `settle` in index order, then serialising the block in parallel.
fn write_jsonl<R, F>(
    path: &Path,
    count: usize,
    make: F,
    mut settle: impl FnMut(&mut R),
) -> Result<(), GenError>
where
    R: Serialize + Send + Sync,
    F: Fn(usize) -> R + Sync,
{
    let fail = |source: io::Error| GenError::Write {
        path: path.to_owned(),
        source,
    };
    let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(path).map_err(fail)?);
    let mut start = 0;
    while start < count {
        let end = (start + BLOCK).min(count);
        let mut records: Vec<R> = (start..end).into_par_iter().map(&make).collect();
        records.iter_mut().for_each(&mut settle);
        let lines: Vec<Result<Vec<u8>, serde_json::Error>> = records
            .par_iter()
            .map(|record| {
                let mut line = serde_json::to_vec(record)?;
                line.push(b'\n');
                Ok(line)
            })
            .collect();
        for line in lines {
            out.write_all(&line.map_err(|err| fail(io::Error::other(err)))?)
                .map_err(fail)?;
        }
        start = end;
    }
    out.flush().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_widths() {
        assert_eq!(id_width(900), 4);
        assert_eq!(id_width(100_000), 6);
    }
}
