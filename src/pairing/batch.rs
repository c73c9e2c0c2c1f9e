//! A proposal batch: the selected pairings with bundles and explanations, the optimality report and the
//! diagnostics; [`propose`] builds one, [`revise_with`] re-solves after review decisions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::PairingError;
use super::bundle::{self, Bundle, Candidates, Lookup};
use super::config::{PairingConfig, Triple};
use super::diagnose::{self, Diagnostic, Ineligible};
use super::instance::{Instance, InstancePair, solve_instance};
use super::scorer::PairScorer;
use super::talent;
use crate::domain::{Dataset, TeamId, TrackId, UniversityId, ZoneId};

pub use super::bundle::{BenchmarkProject, LeadingTalent};

/// Version tag written in every batch file.
pub const BATCH_FORMAT: &str = "shuanggao.batch/1";

/// Stage of a running proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Scoring,
    Bundling,
    Solving,
    Explaining,
    Done,
}

/// Progress report: `done` of `total` units of the current stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

impl Progress {
    pub fn new(stage: Stage, done: u64, total: u64) -> Self {
        Self { stage, done, total }
    }

    /// Overall completion in percent (scoring 0–70, bundles 70–85, solving 85–92, explaining 92–100).
    pub fn percent(&self) -> f64 {
        let (lo, hi) = match self.stage {
            Stage::Scoring => (0.0, 70.0),
            Stage::Bundling => (70.0, 85.0),
            Stage::Solving => (85.0, 92.0),
            Stage::Explaining => (92.0, 100.0),
            Stage::Done => (100.0, 100.0),
        };
        let f = if self.total == 0 {
            1.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        };
        lo + (hi - lo) * f
    }
}

/// Whether a pairing of a batch is newly proposed or kept because it was approved in review (its live
/// review status is [`crate::review::PairingStatus`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Proposed,
    Approved,
}

/// How good the batch provably is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Optimality {
    /// Every constraint holds (else the batch is the best partial proposal, see diagnostics).
    pub feasible: bool,
    pub proven_optimal: bool,
    /// Relative gap to the best bound (0 when proven optimal).
    pub gap: f64,
    pub method: String,
    /// Partner slots required by `zone_track_min` left empty.
    pub unmet_minimums: u32,
    /// (zone, track) groups with candidates.
    pub groups: usize,
    pub candidates: usize,
}

/// Wall-clock time of each stage, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Timings {
    pub candidates: u64,
    pub solve: u64,
    pub explain: u64,
    pub total: u64,
}

/// A term shared by the zone's demands and the university's teams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SharedTerm {
    pub term: String,
    pub weight: f64,
}

/// One team behind a pairing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeamContribution {
    pub team_id: TeamId,
    pub team_name: String,
    pub projects: u32,
    pub score_sum: f64,
    /// Achievements that carry the match.
    pub achievements: Vec<String>,
}

/// How the quality is made up: `quality = score_sum / target = mean_score × coverage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreBreakdown {
    pub target: u32,
    pub projects: u32,
    /// Projects added from capacity left after the solve.
    pub topped_up: u32,
    pub score_sum: f64,
    pub mean_score: f64,
    /// `min(1, projects / target)`.
    pub coverage: f64,
    pub quality: f64,
}

/// The best candidate of the same zone and track that was not selected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunnerUp {
    pub university_id: UniversityId,
    pub university_name: String,
    pub quality: f64,
    pub projects: u32,
    /// Why the selected university was preferred.
    pub reason: String,
}

/// Why a pairing was proposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PairingRationale {
    /// One sentence in Chinese for documents.
    pub summary: String,
    /// Strongest shared terms (empty when the scorer gives none).
    pub terms: Vec<SharedTerm>,
    pub teams: Vec<TeamContribution>,
    pub breakdown: ScoreBreakdown,
    pub runner_up: Option<RunnerUp>,
}

/// A pairing's bundle as the review workflow keeps it: the five-in-one bundle, why the pairing was
/// proposed and whether the department forced it (one JSON object, the rationale under `explanation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BundleRecord {
    #[serde(flatten)]
    pub bundle: Bundle,
    pub explanation: PairingRationale,
    pub forced: bool,
}

impl From<&ProposedPairing> for BundleRecord {
    fn from(p: &ProposedPairing) -> Self {
        BundleRecord {
            bundle: p.bundle.clone(),
            explanation: p.explanation.clone(),
            forced: p.forced,
        }
    }
}

/// One selected pairing with its five-in-one bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProposedPairing {
    pub zone_id: ZoneId,
    pub zone_name: String,
    pub university_id: UniversityId,
    pub university_name: String,
    pub track_id: TrackId,
    pub track_name: String,
    pub quality: f64,
    pub status: ProposalStatus,
    /// Set by the department (config `forced` or an approval).
    pub forced: bool,
    pub bundle: Bundle,
    pub explanation: PairingRationale,
}

impl ProposedPairing {
    pub fn triple(&self) -> Triple {
        Triple {
            zone_id: self.zone_id.clone(),
            university_id: self.university_id.clone(),
            track_id: self.track_id.clone(),
        }
    }
}

/// The file `BATCH.json`; the service shows the same batch with the review state of each pairing
/// (`Batch<app::BatchPairing>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Batch<P = ProposedPairing> {
    pub format: String,
    pub track_ids: Vec<TrackId>,
    pub config: PairingConfig,
    /// Pairings approved in review (kept fixed by [`revise_with`]).
    pub approved: Vec<Triple>,
    /// Pairings rejected in review (never proposed again by [`revise_with`]).
    pub rejected: Vec<Triple>,
    /// Sum of the selected pairings' qualities.
    pub objective: f64,
    pub optimality: Optimality,
    pub pairings: Vec<P>,
    pub diagnostics: Vec<Diagnostic>,
    pub timings_ms: Timings,
}

/// A batch with the instance it is optimal for.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub batch: Batch,
    pub instance: Instance,
}

/// A person who leads pairings: a team leader's name within their university.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TalentKey {
    pub university_id: UniversityId,
    pub name: String,
}

/// What earlier review decisions fix for a new batch: the approved pairings of the batch's tracks (kept
/// as they are, counted toward every quota, never proposed again as new) and the talents already
/// leading approved pairings outside the batch (each counts toward `talent_max`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Carried {
    pub approved: Vec<Triple>,
    pub talents: Vec<TalentKey>,
}

/// Proposes the best batch of pairings for the given tracks under `config`.
///
/// Calls `progress` as it goes; runs synchronously (the service runs it off the async runtime).
pub fn propose(
    data: &Dataset,
    scorer: &dyn PairScorer,
    track_ids: &[TrackId],
    config: &PairingConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Proposal, PairingError> {
    propose_with(
        data,
        scorer,
        track_ids,
        config,
        &Carried::default(),
        progress,
    )
}

/// [`propose`] on top of earlier decisions: `carried.approved` pairings are kept (status `approved`),
/// `carried.talents` are already taken.
pub fn propose_with(
    data: &Dataset,
    scorer: &dyn PairScorer,
    track_ids: &[TrackId],
    config: &PairingConfig,
    carried: &Carried,
    progress: &mut dyn FnMut(Progress),
) -> Result<Proposal, PairingError> {
    let mut config = config.clone();
    for t in &carried.approved {
        if !config.forced.contains(t) {
            config.forced.push(t.clone());
        }
    }
    config.forbidden.retain(|t| !carried.approved.contains(t));
    run(data, scorer, track_ids, &config, carried, &[], progress)
}

/// Re-solves a batch after review: `approved` pairings are kept (forced), `rejected` ones are never
/// proposed again (forbidden), on top of the decisions the previous batch already carried and of the
/// earlier decisions outside it (`carried`, see [`propose_with`]). A later decision overrides an earlier
/// one on the same triple.
pub fn revise_with(
    data: &Dataset,
    scorer: &dyn PairScorer,
    previous: &Batch,
    approved: &[Triple],
    rejected: &[Triple],
    carried: &Carried,
    progress: &mut dyn FnMut(Progress),
) -> Result<Proposal, PairingError> {
    let mut approved = approved.to_vec();
    for t in &carried.approved {
        if !approved.contains(t) && !rejected.contains(t) {
            approved.push(t.clone());
        }
    }
    let approved = approved.as_slice();
    if let Some(t) = approved.iter().find(|t| rejected.contains(t)) {
        return Err(PairingError::ConflictingTriple(t.clone()));
    }
    let merge = |old: &[Triple], add: &[Triple], remove: &[Triple]| -> Vec<Triple> {
        let mut v: Vec<Triple> = old
            .iter()
            .filter(|t| !remove.contains(t))
            .cloned()
            .collect();
        for t in add {
            if !v.contains(t) {
                v.push(t.clone());
            }
        }
        v
    };
    let all_approved = merge(&previous.approved, approved, rejected);
    let all_rejected = merge(&previous.rejected, rejected, approved);
    let mut config = previous.config.clone();
    config.forced = merge(&config.forced, approved, rejected);
    config.forbidden = merge(&config.forbidden, rejected, approved);
    let carried = Carried {
        approved: all_approved,
        talents: carried.talents.clone(),
    };
    let tracks = &previous.track_ids;
    run(
        data,
        scorer,
        tracks,
        &config,
        &carried,
        &all_rejected,
        progress,
    )
}

/// Solves one batch: `carried` holds the approved pairings (already forced in `config`) and the
/// talents taken outside the batch, `rejected` the rejected pairings (already forbidden).
fn run(
    data: &Dataset,
    scorer: &dyn PairScorer,
    track_ids: &[TrackId],
    config: &PairingConfig,
    carried: &Carried,
    rejected: &[Triple],
    progress: &mut dyn FnMut(Progress),
) -> Result<Proposal, PairingError> {
    let approved = carried.approved.as_slice();
    let start = Instant::now();
    config.validate()?;
    if track_ids.is_empty() {
        return Err(PairingError::NoTracks);
    }
    let lk = Lookup::new(data);
    let mut tracks = Vec::new();
    let mut track_list = Vec::new();
    for t in track_ids {
        let &i = lk
            .track
            .get(t.as_str())
            .ok_or_else(|| PairingError::UnknownTrack(t.clone()))?;
        if !tracks.contains(&i) {
            tracks.push(i);
            track_list.push(t.clone());
        }
    }
    let forced: Vec<(usize, usize, usize)> = config
        .forced
        .iter()
        .map(|t| lk.resolve(t))
        .collect::<Result<_, _>>()?;
    for t in &config.forbidden {
        lk.resolve(t)?;
    }

    // 1. Candidates and their bundles' benchmark projects.
    let mut cands = bundle::build_candidates(&lk, scorer, &tracks, &forced, config, progress);
    let t_candidates = start.elapsed();

    // 2. The instance: every candidate; ineligible ones join the forbidden list.
    progress(Progress::new(Stage::Solving, 0, 1));
    let triples: Vec<Triple> = (0..cands.list.len())
        .map(|i| bundle::triple_of(&lk, &cands, i))
        .collect();
    let forced_set: HashSet<&Triple> = config.forced.iter().collect();
    let forbidden_set: HashSet<&Triple> = config.forbidden.iter().collect();
    let ineligible: Vec<Option<Ineligible>> = (0..cands.list.len())
        .map(|i| {
            let t = &triples[i];
            let c = &cands.list[i];
            if forced_set.contains(t) {
                None
            } else if forbidden_set.contains(t) {
                Some(Ineligible::Forbidden)
            } else if (c.projects.len() as u32) < config.min_projects
                || (config.require_full_bundle
                    && (c.projects.len() as u32) < config.benchmark_target)
            {
                Some(Ineligible::TooFewProjects)
            } else if config.min_quality.is_some_and(|m| c.quality < m) {
                Some(Ineligible::BelowMinQuality)
            } else {
                None
            }
        })
        .collect();
    let mut forbidden: BTreeSet<Triple> = config.forbidden.iter().cloned().collect();
    forbidden.extend(
        (0..cands.list.len())
            .filter(|&i| ineligible[i].is_some())
            .map(|i| triples[i].clone()),
    );
    let mut instance = Instance {
        pairs: (0..cands.list.len())
            .map(|i| InstancePair {
                zone_id: triples[i].zone_id.clone(),
                university_id: triples[i].university_id.clone(),
                track_id: triples[i].track_id.clone(),
                quality: cands.list[i].quality,
            })
            .collect(),
        zone_track_min: config.zone_track_min,
        zone_track_max: config.zone_track_max,
        university_max: config.university_max,
        forced: config.forced.clone(),
        forbidden: forbidden.into_iter().collect(),
    };

    // 3. Solve exactly, then give capacity left to the selected pairings short of projects.
    let solution = solve_instance(&instance)?;
    bundle::top_up(&mut cands, &solution.selected, data, config);
    for &i in &solution.selected {
        instance.pairs[i].quality = cands.list[i].quality;
    }
    let objective: f64 = solution
        .selected
        .iter()
        .map(|&i| instance.pairs[i].quality)
        .sum();
    let mut taken: HashMap<TalentKey, u32> = HashMap::new();
    for t in &carried.talents {
        *taken.entry(t.clone()).or_default() += 1;
    }
    let talents =
        talent::assign_talents(data, &cands, &solution.selected, &taken, config.talent_max);
    let t_solve = start.elapsed();
    progress(Progress::new(Stage::Solving, 1, 1));

    // 4. Bundles, explanations, diagnostics.
    let diagnostics = diagnose::diagnose(
        &lk,
        &cands,
        &ineligible,
        &solution,
        &solution.selected,
        config,
    );
    let mut order = solution.selected.clone();
    order.sort_by(|&a, &b| {
        triples[a]
            .zone_id
            .cmp(&triples[b].zone_id)
            .then(triples[a].track_id.cmp(&triples[b].track_id))
            .then(cands.list[b].quality.total_cmp(&cands.list[a].quality))
            .then(triples[a].university_id.cmp(&triples[b].university_id))
    });
    let selected_set: HashSet<usize> = solution.selected.iter().copied().collect();
    let mut per_university: HashMap<usize, u32> = HashMap::new();
    for &i in &solution.selected {
        *per_university.entry(cands.list[i].university).or_default() += 1;
    }
    let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); cands.groups.len()];
    for (i, c) in cands.list.iter().enumerate() {
        by_group[c.group].push(i);
    }
    let ctx = ExplainCtx {
        lk: &lk,
        by_group: &by_group,
        cands: &cands,
        scorer,
        config,
        selected: &selected_set,
        ineligible: &ineligible,
        per_university: &per_university,
        forced: &forced_set,
        approved,
        triples: &triples,
    };
    let total = order.len() as u64;
    let mut pairings = Vec::with_capacity(order.len());
    for (n, &i) in order.iter().enumerate() {
        let cand = &cands.list[i];
        let g = &cands.groups[cand.group];
        let t = &triples[i];
        pairings.push(ProposedPairing {
            zone_id: t.zone_id.clone(),
            zone_name: data.zones[g.zone].name.clone(),
            university_id: t.university_id.clone(),
            university_name: data.universities[cand.university].name.clone(),
            track_id: t.track_id.clone(),
            track_name: data.tracks[g.track].name.clone(),
            quality: cand.quality,
            status: if approved.contains(t) {
                ProposalStatus::Approved
            } else {
                ProposalStatus::Proposed
            },
            forced: forced_set.contains(t),
            bundle: bundle::make_bundle(&lk, &cands, i, config, talents.get(&i).copied()),
            explanation: ctx.explain(i),
        });
        if n % 64 == 0 {
            progress(Progress::new(Stage::Explaining, n as u64, total));
        }
    }
    let t_total = start.elapsed();
    progress(Progress::new(Stage::Done, 1, 1));
    let ms = |d: std::time::Duration| d.as_millis() as u64;
    let batch = Batch {
        format: BATCH_FORMAT.to_owned(),
        track_ids: track_list,
        config: config.clone(),
        approved: approved.to_vec(),
        rejected: rejected.to_vec(),
        objective,
        optimality: Optimality {
            feasible: solution.feasible,
            proven_optimal: solution.proven_optimal,
            gap: solution.gap,
            method: "min_cost_flow".to_owned(),
            unmet_minimums: solution.unmet_units,
            groups: cands.groups.len() - cands.empty_groups.len(),
            candidates: cands.list.len(),
        },
        pairings,
        diagnostics,
        timings_ms: Timings {
            candidates: ms(t_candidates),
            solve: ms(t_solve - t_candidates),
            explain: ms(t_total - t_solve),
            total: ms(t_total),
        },
    };
    Ok(Proposal { batch, instance })
}

struct ExplainCtx<'a> {
    lk: &'a Lookup<'a>,
    by_group: &'a [Vec<usize>],
    cands: &'a Candidates,
    scorer: &'a dyn PairScorer,
    config: &'a PairingConfig,
    selected: &'a HashSet<usize>,
    ineligible: &'a [Option<Ineligible>],
    per_university: &'a HashMap<usize, u32>,
    forced: &'a HashSet<&'a Triple>,
    approved: &'a [Triple],
    triples: &'a [Triple],
}

impl ExplainCtx<'_> {
    fn explain(&self, i: usize) -> PairingRationale {
        let data = self.lk.data;
        let cand = &self.cands.list[i];
        let g = &self.cands.groups[cand.group];
        let target = self.config.benchmark_target;

        let mut terms: BTreeMap<String, f64> = BTreeMap::new();
        let mut team_achievements: HashMap<u32, Vec<String>> = HashMap::new();
        for p in &cand.projects {
            let d = &data.demands[p.demand as usize].id;
            let t = &data.teams[p.team as usize].id;
            if let Some(ev) = self.scorer.explain(d, t) {
                for (term, w) in ev.terms {
                    *terms.entry(term).or_default() += f64::from(w);
                }
                if let Some(a) = ev.achievement {
                    let v = team_achievements.entry(p.team).or_default();
                    if !v.contains(&a) {
                        v.push(a);
                    }
                }
            }
        }
        let mut terms: Vec<SharedTerm> = terms
            .into_iter()
            .map(|(term, weight)| SharedTerm { term, weight })
            .collect();
        terms.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.term.cmp(&b.term)));
        terms.truncate(8);

        let teams: Vec<TeamContribution> = bundle::team_ranking(cand)
            .into_iter()
            .map(|(t, score_sum, projects)| {
                let team = &data.teams[t as usize];
                let mut achievements = team_achievements.remove(&t).unwrap_or_default();
                if achievements.is_empty() {
                    let mut own: Vec<_> = team
                        .achievements
                        .iter()
                        .filter(|a| !a.title.is_empty())
                        .collect();
                    own.sort_by_key(|a| std::cmp::Reverse(a.year.unwrap_or(0)));
                    achievements = own.into_iter().take(2).map(|a| a.title.clone()).collect();
                }
                achievements.truncate(3);
                TeamContribution {
                    team_id: team.id.clone(),
                    team_name: team.name.clone(),
                    projects,
                    score_sum: bundle_round(score_sum),
                    achievements,
                }
            })
            .collect();

        let n = cand.projects.len() as u32;
        let score_sum: f64 = cand.projects.iter().map(|p| f64::from(p.score)).sum();
        let mean_score = if n == 0 {
            0.0
        } else {
            score_sum / f64::from(n)
        };
        let breakdown = ScoreBreakdown {
            target,
            projects: n,
            topped_up: cand.topped_up,
            score_sum: bundle_round(score_sum),
            mean_score: bundle_round(mean_score),
            coverage: bundle_round((f64::from(n) / f64::from(target)).min(1.0)),
            quality: cand.quality,
        };

        let runner_up = self.runner_up(i, mean_score);
        let zone = &data.zones[g.zone];
        let univ = &data.universities[cand.university];
        let track = &data.tracks[g.track];
        let mut summary = format!(
            "{}{}个团队承接{}在{}赛道的{}项企业需求，平均匹配度{:.2}",
            univ.name,
            teams.len(),
            zone.name,
            track.name,
            n,
            mean_score
        );
        if n < target {
            summary.push_str(&format!("（距{target}项标杆项目缺{}项）", target - n));
        }
        if !terms.is_empty() {
            let top: Vec<&str> = terms.iter().take(3).map(|t| t.term.as_str()).collect();
            summary.push_str(&format!("；共同关键词：{}", top.join("、")));
        }
        if self.approved.contains(&self.triples[i]) {
            summary.push_str("；此前已批准");
        } else if self.forced.contains(&self.triples[i]) {
            summary.push_str("；由主管部门指定");
        }
        summary.push('。');
        PairingRationale {
            summary,
            terms,
            teams,
            breakdown,
            runner_up,
        }
    }

    fn runner_up(&self, i: usize, mean: f64) -> Option<RunnerUp> {
        let data = self.lk.data;
        let cand = &self.cands.list[i];
        let best = self.by_group[cand.group]
            .iter()
            .map(|&j| (j, &self.cands.list[j]))
            .filter(|&(j, _)| !self.selected.contains(&j) && self.ineligible[j].is_none())
            .max_by(|a, b| {
                a.1.quality
                    .total_cmp(&b.1.quality)
                    .then(self.triples[b.0].cmp(&self.triples[a.0]))
            })?;
        let r = best.1;
        let rn = r.projects.len() as u32;
        let rmean = if rn == 0 {
            0.0
        } else {
            r.projects.iter().map(|p| f64::from(p.score)).sum::<f64>() / f64::from(rn)
        };
        let me = &data.universities[cand.university].name;
        let other = &data.universities[r.university].name;
        let n = cand.projects.len() as u32;
        let reason = if self.approved.contains(&self.triples[i]) {
            format!("{me}的配对此前已批准，保持不变")
        } else if self.forced.contains(&self.triples[i]) {
            format!("{me}由主管部门指定")
        } else if r.quality <= cand.quality {
            let why = if n > rn {
                format!("标杆项目更多（{n}项对{rn}项）")
            } else if mean > rmean {
                format!("团队匹配度更高（平均{mean:.3}对{rmean:.3}）")
            } else {
                "综合得分不低于对方".to_owned()
            };
            format!(
                "{me}综合得分{:.3}，高于{other}的{:.3}：{why}",
                cand.quality, r.quality
            )
        } else if self.per_university.get(&r.university).copied().unwrap_or(0)
            >= self.config.university_max
        {
            format!(
                "{other}得分更高（{:.3}），但已参与{}个配对（每校上限），在其他配对中对全局贡献更大",
                r.quality, self.config.university_max
            )
        } else {
            format!(
                "{other}得分更高（{:.3}），但在各项约束下未进入全局最优方案",
                r.quality
            )
        };
        Some(RunnerUp {
            university_id: data.universities[r.university].id.clone(),
            university_name: other.clone(),
            quality: r.quality,
            projects: rn,
            reason,
        })
    }
}

fn bundle_round(x: f64) -> f64 {
    super::instance::round_quality(x)
}
