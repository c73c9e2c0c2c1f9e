//! The generator's raw material: the curated tracks, zones and universities of `datasets/jiangsu`, the topic
//! files of `datasets/topics` (schema in `datasets/topics/README.md`) and the university → track affinity,
//! embedded in the binary and checked once when loaded.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::GenError;
use super::text::bigrams;
use crate::dataset;
use crate::domain::{Platform, Track, University, Zone};

const TRACKS: &str = include_str!("../../datasets/jiangsu/tracks.jsonl");
const ZONES: &str = include_str!("../../datasets/jiangsu/zones.jsonl");
const UNIVERSITIES: &str = include_str!("../../datasets/jiangsu/universities.jsonl");
const TOPICS: [(&str, &str); 4] = [
    (
        "group-a.json",
        include_str!("../../datasets/topics/group-a.json"),
    ),
    (
        "group-b.json",
        include_str!("../../datasets/topics/group-b.json"),
    ),
    (
        "group-c.json",
        include_str!("../../datasets/topics/group-c.json"),
    ),
    (
        "group-d.json",
        include_str!("../../datasets/topics/group-d.json"),
    ),
];
const AFFINITY: &str = include_str!("../../datasets/topics/affinity.json");

/// A paper or patent of a topic's pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Writing {
    pub title: String,
    pub r#abstract: String,
}

/// The academic side of a topic: how research teams describe the sub-area.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMaterial {
    pub fields: Vec<String>,
    pub directions: Vec<String>,
    pub methods: Vec<String>,
    pub objects: Vec<String>,
    pub problems: Vec<String>,
    pub results: Vec<String>,
    #[serde(default)]
    pub papers: Vec<Writing>,
    #[serde(default)]
    pub patents: Vec<Writing>,
    #[serde(default)]
    pub platforms: Vec<Platform>,
    pub keywords: Vec<String>,
}

/// The enterprise side of a topic: how companies voice needs in the sub-area.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandMaterial {
    pub titles: Vec<String>,
    pub pains: Vec<String>,
    pub goals: Vec<String>,
    pub indicators: Vec<String>,
    pub scenarios: Vec<String>,
    pub keywords: Vec<String>,
    pub enterprise_kinds: Vec<String>,
}

/// One fine-grained technical sub-area of one track.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub track_id: String,
    #[serde(default)]
    pub also_tracks: Vec<String>,
    pub name: String,
    #[serde(default)]
    pub disciplines: Vec<String>,
    pub team: TeamMaterial,
    pub demand: DemandMaterial,
    /// Which direction, method and object each problem–result pair speaks of (computed on load).
    #[serde(skip)]
    pub links: Vec<Link>,
    /// Per demand title: the pains, goals and indicators that share words with it, best first (computed on
    /// load).
    #[serde(skip)]
    pub demand_links: Vec<DemandLink>,
}

/// What goes with one demand title: per pool, the entries sharing words with it (best first) and the entries
/// it may use at all (those written for it, or for no title in particular; never one written for another
/// title).
#[derive(Debug, Clone, Default)]
pub struct DemandLink {
    pub pains: Vec<usize>,
    pub goals: Vec<usize>,
    pub indicators: Vec<usize>,
    pub allowed_pains: Vec<usize>,
    pub allowed_goals: Vec<usize>,
    pub allowed_indicators: Vec<usize>,
    pub allowed_scenarios: Vec<usize>,
    pub allowed_kinds: Vec<usize>,
}

/// How strongly a university works in the tracks it has teams in: a scale (its share of all teams, relative
/// to other universities) and a strength per track (3 national-level discipline or platform, 2 provincial
/// level, 1 present).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Affinity {
    pub scale: u32,
    pub tracks: Vec<(String, u32)>,
}

/// One university's entry of `affinity.json`: a plain list of tracks (scale 1, strength 1) or
/// `{"scale": N, "tracks": {"track": strength}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum AffinityEntry {
    Tracks(Vec<String>),
    Weighted {
        scale: u32,
        tracks: BTreeMap<String, u32>,
    },
}

impl From<AffinityEntry> for Affinity {
    fn from(entry: AffinityEntry) -> Self {
        match entry {
            AffinityEntry::Tracks(tracks) => Self {
                scale: 1,
                tracks: tracks.into_iter().map(|t| (t, 1)).collect(),
            },
            AffinityEntry::Weighted { scale, tracks } => Self {
                scale,
                tracks: tracks.into_iter().collect(),
            },
        }
    }
}

/// A problem of a topic with the result written for it (same position in the two lists) and, where their
/// words overlap, the direction, method and object that go with them: synthesised texts combine parts that
/// belong together.
#[derive(Debug, Clone, Default)]
pub struct Link {
    pub problem: usize,
    pub result: usize,
    /// Whether the result shares at least two character bigrams with the problem (else texts leave it out).
    pub result_fits: bool,
    pub direction: Option<usize>,
    pub method: Option<usize>,
    pub object: Option<usize>,
}

impl Topic {
    fn link(&mut self) {
        let t = &self.team;
        let pairs = t.problems.len().min(t.results.len());
        self.links = (0..pairs)
            .map(|i| {
                // A result that shares no words with its problem was written for another one: leave it out.
                let result_fits = bigrams(&t.problems[i])
                    .intersection(&bigrams(&t.results[i]))
                    .count()
                    >= 2;
                let text = if result_fits {
                    format!("{}{}", t.problems[i], t.results[i])
                } else {
                    t.problems[i].clone()
                };
                Link {
                    problem: i,
                    result: i,
                    result_fits,
                    direction: best_match(&text, &t.directions),
                    method: best_match(&text, &t.methods),
                    object: best_match(&text, &t.objects),
                }
            })
            .collect();
        let d = &self.demand;
        self.demand_links = d
            .titles
            .iter()
            .enumerate()
            .map(|(i, title)| DemandLink {
                pains: ranked(title, &d.pains),
                goals: ranked(title, &d.goals),
                indicators: ranked(title, &d.indicators),
                allowed_pains: allowed(i, &d.titles, &d.pains),
                allowed_goals: allowed(i, &d.titles, &d.goals),
                allowed_indicators: allowed(i, &d.titles, &d.indicators),
                allowed_scenarios: allowed(i, &d.titles, &d.scenarios),
                allowed_kinds: allowed(i, &d.titles, &d.enterprise_kinds),
            })
            .collect();
    }
}

/// Candidates sharing character bigrams with `text`, most shared first.
fn ranked(text: &str, candidates: &[String]) -> Vec<usize> {
    let words = bigrams(text);
    let mut scored: Vec<(usize, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (bigrams(c).intersection(&words).count(), i))
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

/// Shared character bigrams from which a pool entry counts as written for a demand title.
const OWNING_OVERLAP: usize = 2;

/// Entries of `pool` that title `i` of `titles` may use: those sharing the most bigrams with it among all
/// titles, and those sharing fewer than [`OWNING_OVERLAP`] with every title (written for none in
/// particular).
fn allowed(i: usize, titles: &[String], pool: &[String]) -> Vec<usize> {
    let titles: Vec<_> = titles.iter().map(|t| bigrams(t)).collect();
    pool.iter()
        .enumerate()
        .filter(|(_, entry)| {
            let words = bigrams(entry);
            let scores: Vec<usize> = titles
                .iter()
                .map(|t| t.intersection(&words).count())
                .collect();
            let best = scores.iter().copied().max().unwrap_or(0);
            best < OWNING_OVERLAP || scores[i] == best
        })
        .map(|(j, _)| j)
        .collect()
}

/// Shared character bigrams from which a direction, method or object counts as going with a problem–result
/// pair.
const LINK_OVERLAP: usize = 3;

/// The candidate sharing the most character bigrams with `text`, if any shares at least [`LINK_OVERLAP`].
fn best_match(text: &str, candidates: &[String]) -> Option<usize> {
    let words = bigrams(text);
    let mut best = None;
    let mut best_score = LINK_OVERLAP - 1;
    for (i, candidate) in candidates.iter().enumerate() {
        let score = bigrams(candidate).intersection(&words).count();
        if score > best_score {
            best = Some(i);
            best_score = score;
        }
    }
    best
}

/// Everything the generator composes records from.
#[derive(Debug, Clone)]
pub struct Material {
    pub tracks: Vec<Track>,
    pub zones: Vec<Zone>,
    pub universities: Vec<University>,
    /// Sorted by id.
    pub topics: Vec<Topic>,
    /// University id → its scale and the tracks its teams work in.
    pub affinity: BTreeMap<String, Affinity>,
}

impl Material {
    /// The material compiled into the binary.
    pub fn embedded() -> Result<Self, GenError> {
        Self::from_parts(TRACKS, ZONES, UNIVERSITIES, &TOPICS, AFFINITY)
    }

    /// Material from the texts of its files: three contract files (JSON Lines), topic files (each a JSON
    /// array of topics, named for messages) and the affinity map (JSON object).
    pub fn from_parts(
        tracks: &str,
        zones: &str,
        universities: &str,
        topic_files: &[(&str, &str)],
        affinity: &str,
    ) -> Result<Self, GenError> {
        let mut topics = Vec::new();
        for (name, text) in topic_files {
            let parsed: Vec<Topic> = serde_json::from_str(text)
                .map_err(|err| GenError::Material(format!("{name}: {err}")))?;
            topics.extend(parsed);
        }
        topics.sort_by(|a, b| a.id.cmp(&b.id));
        topics.iter_mut().for_each(Topic::link);
        let material = Self {
            tracks: records(dataset::TRACKS_FILE, tracks)?,
            zones: records(dataset::ZONES_FILE, zones)?,
            universities: records(dataset::UNIVERSITIES_FILE, universities)?,
            topics,
            affinity: serde_json::from_str::<BTreeMap<String, AffinityEntry>>(affinity)
                .map_err(|err| GenError::Material(format!("affinity.json: {err}")))?
                .into_iter()
                .map(|(u, entry)| (u, entry.into()))
                .collect(),
        };
        material.check()?;
        Ok(material)
    }

    fn check(&self) -> Result<(), GenError> {
        let fail = |message: String| Err(GenError::Material(message));
        let tracks: HashSet<&str> = self.tracks.iter().map(|t| t.id.as_str()).collect();
        let universities: HashSet<&str> = self.universities.iter().map(|u| u.id.as_str()).collect();
        if self.topics.is_empty() || self.zones.is_empty() || self.universities.is_empty() {
            return fail("material needs at least one topic, zone and university".to_owned());
        }
        let mut ids = HashSet::new();
        for topic in &self.topics {
            if !ids.insert(topic.id.as_str()) {
                return fail(format!("duplicate topic id \"{}\"", topic.id));
            }
            for track in std::iter::once(&topic.track_id).chain(&topic.also_tracks) {
                if !tracks.contains(track.as_str()) {
                    return fail(format!("topic \"{}\": unknown track \"{track}\"", topic.id));
                }
            }
            let t = &topic.team;
            let d = &topic.demand;
            let pools = [
                ("team.fields", &t.fields),
                ("team.directions", &t.directions),
                ("team.methods", &t.methods),
                ("team.objects", &t.objects),
                ("team.problems", &t.problems),
                ("team.results", &t.results),
                ("team.keywords", &t.keywords),
                ("demand.titles", &d.titles),
                ("demand.pains", &d.pains),
                ("demand.goals", &d.goals),
                ("demand.indicators", &d.indicators),
                ("demand.scenarios", &d.scenarios),
                ("demand.keywords", &d.keywords),
                ("demand.enterprise_kinds", &d.enterprise_kinds),
            ];
            for (name, pool) in pools {
                if pool.iter().all(|s| s.trim().is_empty()) {
                    return fail(format!("topic \"{}\": {name} is empty", topic.id));
                }
            }
        }
        for (university, affinity) in &self.affinity {
            if !universities.contains(university.as_str()) {
                return fail(format!("affinity: unknown university \"{university}\""));
            }
            if affinity.scale == 0 || affinity.tracks.iter().any(|(_, w)| *w == 0) {
                return fail(format!(
                    "affinity of \"{university}\": scale and strengths must be at least 1"
                ));
            }
            if let Some((track, _)) = affinity
                .tracks
                .iter()
                .find(|(t, _)| !tracks.contains(t.as_str()))
            {
                return fail(format!(
                    "affinity of \"{university}\": unknown track \"{track}\""
                ));
            }
        }
        Ok(())
    }
}

fn records<R: dataset::Record>(file: &str, text: &str) -> Result<Vec<R>, GenError> {
    let (records, problems, _) = dataset::parse_lines::<R>(text.as_bytes());
    match problems.first() {
        Some((line, problem)) => Err(GenError::Material(format!("{file}:{line}: {problem}"))),
        None => Ok(records.into_iter().map(|(_, r)| r).collect()),
    }
}
