//! Candidate pairings and their five-in-one bundles.
//!
//! For every (zone, track) group and every university whose teams fit some of the zone's demands in the
//! track, a candidate carries the benchmark projects: the zone's demands in the track (a demand is in a
//! track when its `track_ids` contain it; demands excluding the university are skipped), best score
//! first, each given to the best-scoring team of the university that still has capacity for this
//! candidate (see the module docs of `pairing` for how capacity is shared), at most `benchmark_target`
//! of them. The other four elements are picked only for the pairings a batch selects.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::PairingError;
use super::batch::{Progress, Stage};
use super::config::{PairingConfig, Triple};
use super::instance::round_quality;
use super::scorer::PairScorer;
use crate::analysis::char_bigrams;
use crate::domain::{Dataset, DemandId, Fund, Platform, TeamId, TrackId, UniversityId};

/// Id → position maps over a dataset.
pub(crate) struct Lookup<'a> {
    pub data: &'a Dataset,
    pub zone: HashMap<&'a str, usize>,
    pub university: HashMap<&'a str, usize>,
    pub team: HashMap<&'a str, usize>,
    pub track: HashMap<&'a str, usize>,
}

impl<'a> Lookup<'a> {
    pub fn new(data: &'a Dataset) -> Self {
        Self {
            data,
            zone: data
                .zones
                .iter()
                .enumerate()
                .map(|(i, z)| (z.id.as_str(), i))
                .collect(),
            university: data
                .universities
                .iter()
                .enumerate()
                .map(|(i, u)| (u.id.as_str(), i))
                .collect(),
            team: data
                .teams
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.as_str(), i))
                .collect(),
            track: data
                .tracks
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.as_str(), i))
                .collect(),
        }
    }

    /// Resolves a triple to (zone, university, track) positions.
    pub fn resolve(&self, t: &Triple) -> Result<(usize, usize, usize), PairingError> {
        let z = *self
            .zone
            .get(t.zone_id.as_str())
            .ok_or_else(|| PairingError::UnknownZone(t.zone_id.clone()))?;
        let u = *self
            .university
            .get(t.university_id.as_str())
            .ok_or_else(|| PairingError::UnknownUniversity(t.university_id.clone()))?;
        let k = *self
            .track
            .get(t.track_id.as_str())
            .ok_or_else(|| PairingError::UnknownTrack(t.track_id.clone()))?;
        Ok((z, u, k))
    }
}

/// One (demand, team) fit with its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    pub demand: u32,
    pub team: u32,
    pub score: f32,
}

/// A (zone, track) with the zone's demands in the track.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub zone: usize,
    pub track: usize,
    pub demands: Vec<u32>,
}

/// A candidate pairing: zone × university × track with its benchmark projects and quality.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub group: usize,
    pub university: usize,
    /// Range of this candidate's fits in [`Candidates::fits`], best score first.
    pub fits: Range<usize>,
    /// Assigned projects, best score first.
    pub projects: Vec<Fit>,
    /// Projects that came from capacity left after the solve.
    pub topped_up: u32,
    /// Distinct demands of the zone in the track that this university's teams fit.
    pub fitting_demands: u32,
    pub quality: f64,
}

/// All candidates of a proposal, with the data needed to explain and top them up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Candidates {
    pub groups: Vec<Group>,
    pub list: Vec<Candidate>,
    pub fits: Vec<Fit>,
    /// Groups of the selected tracks that no university's teams fit at all.
    pub empty_groups: Vec<usize>,
    /// (zone, selected track, demands) where the zone has demands in a track outside its declared
    /// directions: listed, never turned into a pairing.
    pub outside: Vec<(usize, usize, u32)>,
}

/// The ids of a track, its parent cluster and its child chains: what a direction or a component tied
/// to any of them serves.
pub(crate) fn related_tracks(data: &Dataset, track: usize) -> HashSet<&str> {
    let t = &data.tracks[track];
    let mut ids: HashSet<&str> = HashSet::from([t.id.as_str()]);
    if let Some(p) = &t.parent {
        ids.insert(p.as_str());
    }
    for c in &data.tracks {
        if c.parent.as_ref() == Some(&t.id) {
            ids.insert(c.id.as_str());
        }
    }
    ids
}

/// Whether a zone declares the track (or its parent cluster or a child chain) among its directions.
pub(crate) fn zone_declares(data: &Dataset, zone: usize, track: usize) -> bool {
    let related = related_tracks(data, track);
    data.zones[zone]
        .track_ids
        .iter()
        .any(|t| related.contains(t.as_str()))
}

/// Quality of a list of project scores: the sum of the best `target` scores divided by `target`.
pub fn quality_of(scores: impl IntoIterator<Item = f32>, target: u32) -> f64 {
    let mut s: Vec<f64> = scores
        .into_iter()
        .filter(|x| x.is_finite())
        .map(|x| f64::from(x).clamp(0.0, 1.0))
        .collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s.truncate(target as usize);
    round_quality(s.iter().sum::<f64>() / f64::from(target.max(1)))
}

/// Builds every candidate of the selected tracks (plus the forced triples), calling the scorer once per
/// demand in scope.
pub(crate) fn build_candidates(
    lk: &Lookup<'_>,
    scorer: &dyn PairScorer,
    tracks: &[usize],
    forced: &[(usize, usize, usize)],
    cfg: &PairingConfig,
    progress: &mut dyn FnMut(Progress),
) -> Candidates {
    let data = lk.data;
    let selected: HashSet<usize> = tracks.iter().copied().collect();
    // Groups: (zone, selected track) with demands where the zone declares the track, plus the forced
    // triples' groups; demands outside the zone's directions are only counted.
    let mut group_map: BTreeMap<(usize, usize), Vec<u32>> = BTreeMap::new();
    for &(z, _, t) in forced {
        group_map.entry((z, t)).or_default();
    }
    let mut outside: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    let mut declares: HashMap<(usize, usize), bool> = HashMap::new();
    for (di, d) in data.demands.iter().enumerate() {
        let Some(&z) = lk.zone.get(d.zone_id.as_str()) else {
            continue;
        };
        let mut seen_tracks = Vec::new();
        for tid in &d.track_ids {
            let Some(&t) = lk.track.get(tid.as_str()) else {
                continue;
            };
            if seen_tracks.contains(&t) {
                continue;
            }
            seen_tracks.push(t);
            if let Some(v) = group_map.get_mut(&(z, t)) {
                v.push(di as u32);
            } else if selected.contains(&t) {
                let declared = !cfg.declared_tracks_only
                    || *declares
                        .entry((z, t))
                        .or_insert_with(|| zone_declares(data, z, t));
                if declared {
                    group_map.entry((z, t)).or_default().push(di as u32);
                } else {
                    *outside.entry((z, t)).or_default() += 1;
                }
            }
        }
    }
    let groups: Vec<Group> = group_map
        .into_iter()
        .map(|((zone, track), demands)| Group {
            zone,
            track,
            demands,
        })
        .collect();

    // Score every demand in scope once.
    let mut in_scope: Vec<u32> = groups
        .iter()
        .flat_map(|g| g.demands.iter().copied())
        .collect();
    in_scope.sort_unstable();
    in_scope.dedup();
    let total = in_scope.len() as u64;
    progress(Progress::new(Stage::Scoring, 0, total));
    let ids: Vec<DemandId> = in_scope
        .iter()
        .map(|&d| data.demands[d as usize].id.clone())
        .collect();
    let lists = scorer.teams_for_all(&ids, cfg.teams_per_demand, &mut |done| {
        progress(Progress::new(Stage::Scoring, done as u64, total));
    });
    drop(ids);
    let converted: Vec<Vec<(u32, f32)>> = lists
        .into_par_iter()
        .map(|list| {
            let mut v: Vec<(u32, f32)> = list
                .into_iter()
                .filter(|(_, s)| s.is_finite() && f64::from(*s) >= cfg.min_project_score)
                .filter_map(|(tid, s)| {
                    lk.team
                        .get(tid.as_str())
                        .map(|&t| (t as u32, s.clamp(0.0, 1.0)))
                })
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            v.dedup_by_key(|x| x.0);
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        })
        .collect();
    let scores: HashMap<u32, Vec<(u32, f32)>> = in_scope.iter().copied().zip(converted).collect();

    // Candidates per group, one per university with fits (and forced ones even without).
    let team_univ: Vec<Option<usize>> = data
        .teams
        .iter()
        .map(|t| lk.university.get(t.university_id.as_str()).copied())
        .collect();
    let forced_set: HashSet<(usize, usize, usize)> = forced.iter().copied().collect();
    let mut out = Candidates {
        groups,
        outside: outside.into_iter().map(|((z, t), n)| (z, t, n)).collect(),
        ..Candidates::default()
    };
    let ng = out.groups.len() as u64;
    let mut buf: Vec<(usize, Fit)> = Vec::new();
    for gi in 0..out.groups.len() {
        let g = &out.groups[gi];
        buf.clear();
        for &d in &g.demands {
            let demand = &data.demands[d as usize];
            for &(team, score) in scores.get(&d).map(Vec::as_slice).unwrap_or(&[]) {
                let Some(u) = team_univ[team as usize] else {
                    continue;
                };
                let uid = &data.universities[u].id;
                if demand.excluded_university_ids.contains(uid) {
                    continue;
                }
                buf.push((
                    u,
                    Fit {
                        demand: d,
                        team,
                        score,
                    },
                ));
            }
        }
        buf.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.score.total_cmp(&a.1.score))
                .then(a.1.demand.cmp(&b.1.demand))
                .then(a.1.team.cmp(&b.1.team))
        });
        let mut group_cands: Vec<Candidate> = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            let u = buf[i].0;
            let start = out.fits.len();
            let mut demands_seen = HashSet::new();
            while i < buf.len() && buf[i].0 == u {
                demands_seen.insert(buf[i].1.demand);
                out.fits.push(buf[i].1);
                i += 1;
            }
            group_cands.push(Candidate {
                group: gi,
                university: u,
                fits: start..out.fits.len(),
                projects: Vec::new(),
                topped_up: 0,
                fitting_demands: demands_seen.len() as u32,
                quality: 0.0,
            });
        }
        for &(z, u, t) in forced {
            if (z, t) == (g.zone, g.track) && !group_cands.iter().any(|c| c.university == u) {
                let at = out.fits.len();
                group_cands.push(Candidate {
                    group: gi,
                    university: u,
                    fits: at..at,
                    projects: Vec::new(),
                    topped_up: 0,
                    fitting_demands: 0,
                    quality: 0.0,
                });
            }
        }
        if cfg.candidates_per_group > 0 && group_cands.len() > cfg.candidates_per_group {
            let optimistic = |c: &Candidate| {
                let mut best: HashMap<u32, f32> = HashMap::new();
                for f in &out.fits[c.fits.clone()] {
                    best.entry(f.demand).or_insert(f.score);
                }
                quality_of(best.into_values(), cfg.benchmark_target)
            };
            let mut ranked: Vec<(f64, usize)> = group_cands
                .iter()
                .map(|c| (optimistic(c), c.university))
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let keep: HashSet<usize> = ranked
                .iter()
                .take(cfg.candidates_per_group)
                .map(|r| r.1)
                .collect();
            group_cands.retain(|c| {
                keep.contains(&c.university)
                    || forced_set.contains(&(g.zone, c.university, g.track))
            });
        }
        if group_cands.is_empty() && selected.contains(&g.track) {
            out.empty_groups.push(gi);
        }
        out.list.extend(group_cands);
        if gi % 64 == 0 {
            progress(Progress::new(Stage::Bundling, gi as u64, ng));
        }
    }

    assign_projects(&mut out, data, cfg);
    progress(Progress::new(Stage::Bundling, ng, ng));
    out
}

/// Shares each team's capacity among the candidates of its university and assigns projects greedily.
fn assign_projects(c: &mut Candidates, data: &Dataset, cfg: &PairingConfig) {
    let umax = cfg.university_max.max(1);
    // For every team, the candidates it fits with its best score there.
    let mut team_cands: HashMap<u32, Vec<(f32, u32)>> = HashMap::new();
    for (ci, cand) in c.list.iter().enumerate() {
        let mut seen = HashSet::new();
        for f in &c.fits[cand.fits.clone()] {
            if seen.insert(f.team) {
                team_cands
                    .entry(f.team)
                    .or_default()
                    .push((f.score, ci as u32));
            }
        }
    }
    let mut extra: HashSet<(u32, u32)> = HashSet::new();
    for (&team, list) in team_cands.iter_mut() {
        let n_extra = (data.teams[team as usize].capacity % umax) as usize;
        if n_extra == 0 {
            continue;
        }
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, ci) in list.iter().take(n_extra) {
            extra.insert((ci, team));
        }
    }
    let target = cfg.benchmark_target as usize;
    for (ci, cand) in c.list.iter_mut().enumerate() {
        let mut used: Vec<(u32, u32)> = Vec::new();
        let mut projects: Vec<Fit> = Vec::new();
        for f in &c.fits[cand.fits.clone()] {
            if projects.len() >= target {
                break;
            }
            if projects.iter().any(|p| p.demand == f.demand) {
                continue;
            }
            let share = data.teams[f.team as usize].capacity / umax
                + u32::from(extra.contains(&(ci as u32, f.team)));
            let slot = match used.iter_mut().find(|(t, _)| *t == f.team) {
                Some(s) => s,
                None => {
                    used.push((f.team, 0));
                    used.last_mut().expect("just pushed")
                }
            };
            if slot.1 < share {
                slot.1 += 1;
                projects.push(*f);
            }
        }
        cand.quality = quality_of(projects.iter().map(|p| p.score), cfg.benchmark_target);
        cand.projects = projects;
    }
}

/// Gives capacity left after the solve to the selected candidates short of `benchmark_target` projects,
/// best quality first; raises their qualities.
pub(crate) fn top_up(c: &mut Candidates, selected: &[usize], data: &Dataset, cfg: &PairingConfig) {
    let target = cfg.benchmark_target as usize;
    let mut used: HashMap<u32, u32> = HashMap::new();
    for &ci in selected {
        for p in &c.list[ci].projects {
            *used.entry(p.team).or_default() += 1;
        }
    }
    let mut order: Vec<usize> = selected.to_vec();
    order.sort_by(|&a, &b| {
        c.list[b]
            .quality
            .total_cmp(&c.list[a].quality)
            .then(a.cmp(&b))
    });
    for ci in order {
        let cand = &c.list[ci];
        if cand.projects.len() >= target {
            continue;
        }
        let mut projects = cand.projects.clone();
        let mut added = 0;
        for f in &c.fits[cand.fits.clone()] {
            if projects.len() >= target {
                break;
            }
            if projects.iter().any(|p| p.demand == f.demand) {
                continue;
            }
            let u = used.entry(f.team).or_default();
            if *u < data.teams[f.team as usize].capacity {
                *u += 1;
                projects.push(*f);
                added += 1;
            }
        }
        if added > 0 {
            projects.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.demand.cmp(&b.demand)));
            let cand = &mut c.list[ci];
            cand.quality = quality_of(projects.iter().map(|p| p.score), cfg.benchmark_target);
            cand.projects = projects;
            cand.topped_up = added;
        }
    }
}

/// The five-in-one bundle of a selected pairing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bundle {
    pub industrial_direction: IndustrialDirection,
    pub innovation_platform: InnovationPlatform,
    /// `null` when no leader of the pairing's teams is free to lead it (then listed in `to_build`).
    pub leading_talent: Option<LeadingTalent>,
    /// `null` when the zone has no fund for this university and track (then listed in `to_build`).
    pub transformation_fund: Option<Fund>,
    pub benchmark_projects: Vec<BenchmarkProject>,
    /// Set when the pairing has fewer benchmark projects than the target.
    pub shortfall: Option<Shortfall>,
    /// 达标 with `benchmark_target` projects or more, else 培育.
    #[serde(default)]
    pub grade: Grade,
    /// Components with nothing fitting yet, to be built by the pair (待共建).
    #[serde(default)]
    pub to_build: Vec<Component>,
}

/// How far a pairing meets the programme's bar of ten joint projects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 达标: at least `benchmark_target` benchmark projects.
    Qualified,
    /// 培育: from `min_projects` up to `benchmark_target − 1` projects.
    #[default]
    Incubating,
}

impl Grade {
    /// The grade's Chinese label (达标 / 培育).
    pub fn label(self) -> &'static str {
        match self {
            Grade::Qualified => "达标",
            Grade::Incubating => "培育",
        }
    }
}

/// A component of the five-in-one bundle that can be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// The university-side platform.
    UniversityPlatform,
    /// The zone platform to co-build with.
    ZonePlatform,
    LeadingTalent,
    TransformationFund,
}

impl Component {
    /// The component's Chinese name, as the console and the export show it.
    pub fn label(self) -> &'static str {
        match self {
            Component::UniversityPlatform => "高校平台",
            Component::ZonePlatform => "园区共建平台",
            Component::LeadingTalent => "领军人才",
            Component::TransformationFund => "成果转化基金",
        }
    }
}

/// The track, tied to the zone's featured industries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndustrialDirection {
    pub track_id: TrackId,
    pub track_name: String,
    /// The zone's featured industries that relate to the track.
    pub zone_industries: Vec<String>,
    /// Whether the zone lists the track among its own.
    pub zone_track: bool,
}

/// The university-side platform and the zone platform to co-build with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InnovationPlatform {
    pub university: Option<TeamPlatform>,
    pub zone: Option<Platform>,
}

/// A platform of one of the pairing's teams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeamPlatform {
    pub team_id: TeamId,
    pub team_name: String,
    pub name: String,
    pub kind: String,
}

/// The leader of the best-fitting team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeadingTalent {
    pub name: String,
    pub title: String,
    pub honors: Vec<String>,
    pub team_id: TeamId,
    pub team_name: String,
}

/// One demand of the zone, assigned to one team of the university.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BenchmarkProject {
    pub demand_id: DemandId,
    pub title: String,
    pub enterprise: Option<String>,
    pub team_id: TeamId,
    pub team_name: String,
    /// The team leader's name, when the team names one.
    #[serde(default)]
    pub leader: Option<String>,
    pub score: f64,
}

/// How far a pairing falls short of the benchmark-project target, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shortfall {
    pub target: u32,
    pub projects: u32,
    /// The zone's demands in the track.
    pub zone_demands: u32,
    /// Of those, the ones the university's teams fit.
    pub fitting_demands: u32,
}

fn bigrams(s: &str) -> HashSet<(char, char)> {
    char_bigrams(s, true).into_iter().collect()
}

/// Bigrams too generic to tie an industry to a track on their own.
const GENERIC_BIGRAMS: [&str; 10] = [
    "产业", "技术", "赛道", "制造", "装备", "系统", "新型", "高端", "智能", "工程",
];

/// How strongly a zone industry relates to a track: 3 when one names the other (or a keyword), else the
/// number of shared non-generic character bigrams when at least 2, else 0.
fn industry_affinity(industry: &str, track_name: &str, keywords: &[String]) -> usize {
    let names = std::iter::once(track_name).chain(keywords.iter().map(String::as_str));
    for n in names.filter(|n| n.chars().count() >= 2) {
        if industry.contains(n) || n.contains(industry) {
            return 3;
        }
    }
    let generic: HashSet<(char, char)> = GENERIC_BIGRAMS.iter().flat_map(|g| bigrams(g)).collect();
    let ib: HashSet<(char, char)> = bigrams(industry).difference(&generic).copied().collect();
    let mut tb = bigrams(track_name);
    for k in keywords {
        tb.extend(bigrams(k));
    }
    let shared = ib.intersection(&tb).count();
    if shared >= 2 { shared } else { 0 }
}

fn overlap(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> usize {
    a.intersection(b).count()
}

/// Teams of a candidate's projects with their summed scores, best first.
pub(crate) fn team_ranking(cand: &Candidate) -> Vec<(u32, f64, u32)> {
    let mut m: BTreeMap<u32, (f64, u32)> = BTreeMap::new();
    for p in &cand.projects {
        let e = m.entry(p.team).or_default();
        e.0 += f64::from(p.score);
        e.1 += 1;
    }
    let mut v: Vec<(u32, f64, u32)> = m.into_iter().map(|(t, (s, n))| (t, s, n)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// What ties a zone's platform or fund to tracks and universities.
struct ComponentTies<'a> {
    name: &'a str,
    track_ids: &'a [TrackId],
    university_ids: &'a [UniversityId],
    /// Whether a component tied to no track serves every track (a zone's general fund).
    general_without_tracks: bool,
}

/// How well a zone component fits a pairing, or `None` when it must not be used: it is run with other
/// universities only, it serves other tracks only, or (tied to no track and not general) its name names
/// neither the track nor one of its keywords. Higher is better: tied to this university, then tied to this track, then shared
/// name bigrams.
fn component_fit(
    c: &ComponentTies<'_>,
    related: &HashSet<&str>,
    university: &UniversityId,
    track_bg: &HashSet<(char, char)>,
    track_name: &str,
    keywords: &[String],
) -> Option<(bool, bool, usize)> {
    let own_university = c.university_ids.contains(university);
    if !c.university_ids.is_empty() && !own_university {
        return None;
    }
    let tied = !c.track_ids.is_empty();
    if tied {
        if !c.track_ids.iter().any(|t| related.contains(t.as_str())) {
            return None;
        }
    } else if !c.general_without_tracks && industry_affinity(c.name, track_name, keywords) < 3 {
        // Untied and not general: only a name that names the track or one of its keywords.
        return None;
    }
    Some((own_university, tied, overlap(&bigrams(c.name), track_bg)))
}

/// Picks the four other elements of the bundle for a candidate; `talent_team` is the team whose leader
/// leads the pairing (chosen across the batch by [`assign_talents`]).
pub(crate) fn make_bundle(
    lk: &Lookup<'_>,
    c: &Candidates,
    ci: usize,
    cfg: &PairingConfig,
    talent_team: Option<u32>,
) -> Bundle {
    let data = lk.data;
    let cand = &c.list[ci];
    let g = &c.groups[cand.group];
    let zone = &data.zones[g.zone];
    let track = &data.tracks[g.track];
    let mut track_text = track.name.clone();
    for k in &track.keywords {
        track_text.push(' ');
        track_text.push_str(k);
    }
    let track_bg = bigrams(&track_text);

    let mut industries: Vec<(usize, &String)> = zone
        .industries
        .iter()
        .map(|i| (industry_affinity(i, &track.name, &track.keywords), i))
        .filter(|(o, _)| *o > 0)
        .collect();
    industries.sort_by_key(|x| std::cmp::Reverse(x.0));
    let industrial_direction = IndustrialDirection {
        track_id: track.id.clone(),
        track_name: track.name.clone(),
        zone_industries: industries
            .into_iter()
            .take(3)
            .map(|(_, i)| i.clone())
            .collect(),
        zone_track: zone.track_ids.contains(&track.id),
    };

    let ranking = team_ranking(cand);
    let university = &data.universities[cand.university];
    let related = related_tracks(data, g.track);
    let best_team_platform = |platforms: &[Platform]| -> Option<Platform> {
        platforms
            .iter()
            .enumerate()
            .max_by(|a, b| {
                overlap(&bigrams(&a.1.name), &track_bg)
                    .cmp(&overlap(&bigrams(&b.1.name), &track_bg))
                    .then(b.0.cmp(&a.0))
            })
            .map(|(_, p)| p.clone())
    };
    let university_platform = ranking.iter().find_map(|&(t, _, _)| {
        let team = &data.teams[t as usize];
        best_team_platform(&team.platforms).map(|p| TeamPlatform {
            team_id: team.id.clone(),
            team_name: team.name.clone(),
            name: p.name,
            kind: p.kind,
        })
    });
    let fit = |name: &str, tracks: &[TrackId], universities: &[UniversityId], general: bool| {
        component_fit(
            &ComponentTies {
                name,
                track_ids: tracks,
                university_ids: universities,
                general_without_tracks: general,
            },
            &related,
            &university.id,
            &track_bg,
            &track.name,
            &track.keywords,
        )
    };
    let zone_platform = zone
        .platforms
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            fit(&p.name, &p.track_ids, &p.university_ids, false).map(|f| (f, Reverse(i), p))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, _, p)| p.clone());
    let innovation_platform = InnovationPlatform {
        university: university_platform,
        zone: zone_platform,
    };
    let leading_talent = talent_team.and_then(|t| {
        let team = &data.teams[t as usize];
        team.leader.as_ref().map(|l| LeadingTalent {
            name: l.name.clone(),
            title: l.title.clone(),
            honors: l.honors.clone(),
            team_id: team.id.clone(),
            team_name: team.name.clone(),
        })
    });
    let transformation_fund = zone
        .funds
        .iter()
        .filter_map(|f| fit(&f.name, &f.track_ids, &f.university_ids, true).map(|k| (k, f)))
        .max_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.size_wan_yuan.total_cmp(&b.1.size_wan_yuan))
        })
        .map(|(_, f)| f.clone());
    let benchmark_projects = cand
        .projects
        .iter()
        .map(|p| {
            let d = &data.demands[p.demand as usize];
            let team = &data.teams[p.team as usize];
            BenchmarkProject {
                demand_id: d.id.clone(),
                title: d.title.clone(),
                enterprise: d.enterprise.as_ref().map(|e| e.name.clone()),
                team_id: team.id.clone(),
                team_name: team.name.clone(),
                leader: team.leader.as_ref().map(|l| l.name.clone()),
                score: round_quality(f64::from(p.score)),
            }
        })
        .collect();
    let n = cand.projects.len() as u32;
    let shortfall = (n < cfg.benchmark_target).then_some(Shortfall {
        target: cfg.benchmark_target,
        projects: n,
        zone_demands: g.demands.len() as u32,
        fitting_demands: cand.fitting_demands,
    });
    let grade = if n >= cfg.benchmark_target {
        Grade::Qualified
    } else {
        Grade::Incubating
    };
    let mut to_build = Vec::new();
    if innovation_platform.university.is_none() {
        to_build.push(Component::UniversityPlatform);
    }
    if innovation_platform.zone.is_none() {
        to_build.push(Component::ZonePlatform);
    }
    if leading_talent.is_none() {
        to_build.push(Component::LeadingTalent);
    }
    if transformation_fund.is_none() {
        to_build.push(Component::TransformationFund);
    }
    Bundle {
        industrial_direction,
        innovation_platform,
        leading_talent,
        transformation_fund,
        benchmark_projects,
        shortfall,
        grade,
        to_build,
    }
}

/// The zone and university ids of a candidate, for reports.
pub(crate) fn triple_of(lk: &Lookup<'_>, c: &Candidates, ci: usize) -> Triple {
    let cand = &c.list[ci];
    let g = &c.groups[cand.group];
    Triple {
        zone_id: lk.data.zones[g.zone].id.clone(),
        university_id: lk.data.universities[cand.university].id.clone(),
        track_id: lk.data.tracks[g.track].id.clone(),
    }
}
