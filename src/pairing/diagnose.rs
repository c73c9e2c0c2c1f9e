//! Plain-words diagnostics of a proposal: which minimum could not be met and who is involved, which
//! forced pairing broke a limit, which pairing falls short of its benchmark projects.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::bundle::{Candidates, Lookup};
use super::config::PairingConfig;
use super::instance::{ForcedLimit, Solution};
use crate::domain::{TrackId, UniversityId, ZoneId};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A constraint of the instance cannot be met; the batch is the best partial proposal.
    Infeasible,
    /// A selected pairing has fewer benchmark projects than the target.
    Shortfall,
    /// Worth knowing, nothing violated.
    Info,
}

/// Stable code of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticCode {
    /// A zone has fewer demands in a track than a full pairing needs (with `require_full_bundle`).
    TooFewDemands,
    /// No university's teams can take enough of the zone's demands (with `require_full_bundle`).
    TooFewProjects,
    /// Every candidate of a (zone, track) is forbidden.
    AllCandidatesForbidden,
    /// No candidate of a (zone, track) reaches `min_quality`.
    BelowMinQuality,
    /// A (zone, track) lost its candidates to several rules at once.
    NoEligibleCandidate,
    /// Zones compete for too few universities under `university_max`.
    UniversityCapacity,
    /// Forced pairings exceed `zone_track_max`.
    ForcedOverZoneTrackMax,
    /// Forced pairings exceed `university_max`.
    ForcedOverUniversityMax,
    /// A selected pairing has fewer benchmark projects than the target.
    BenchmarkShortfall,
    /// A zone has demands in a selected track but no university team fits them.
    NoCandidates,
    /// A zone has demands in a selected track that is not one of its declared directions.
    OutsideDirections,
}

/// One finding, in plain words, with the parties it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Diagnostic {
    pub code: DiagnosticCode,
    pub severity: Severity,
    pub message: String,
    pub zone_ids: Vec<ZoneId>,
    pub university_ids: Vec<UniversityId>,
    pub track_ids: Vec<TrackId>,
}

/// Why a candidate could not be chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Ineligible {
    Forbidden,
    BelowMinQuality,
    TooFewProjects,
}

/// Names joined by 、; beyond 8 names, the first 6 and a count of the rest.
fn join(names: &[String]) -> String {
    if names.len() <= 8 {
        names.join("、")
    } else {
        format!("{}等{}个", names[..6].join("、"), names.len())
    }
}

/// Builds every diagnostic of a solved proposal.
pub(crate) fn diagnose(
    lk: &Lookup<'_>,
    c: &Candidates,
    ineligible: &[Option<Ineligible>],
    sol: &Solution,
    selected: &[usize],
    cfg: &PairingConfig,
) -> Vec<Diagnostic> {
    let data = lk.data;
    let zname = |z: &ZoneId| {
        lk.zone
            .get(z.as_str())
            .map_or(z.to_string(), |&i| data.zones[i].name.clone())
    };
    let uname = |u: &UniversityId| {
        lk.university
            .get(u.as_str())
            .map_or(u.to_string(), |&i| data.universities[i].name.clone())
    };
    let tname = |t: &TrackId| {
        lk.track
            .get(t.as_str())
            .map_or(t.to_string(), |&i| data.tracks[i].name.clone())
    };
    let mut out = Vec::new();

    // Unmet minimums with no eligible candidate: say which rule removed them.
    let group_index: HashMap<(&ZoneId, &TrackId), usize> = c
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| ((&data.zones[g.zone].id, &data.tracks[g.track].id), i))
        .collect();
    let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); c.groups.len()];
    for (i, cand) in c.list.iter().enumerate() {
        by_group[cand.group].push(i);
    }
    for un in sol.unmet.iter().filter(|u| u.eligible == 0) {
        let Some(&gi) = group_index.get(&(&un.zone_id, &un.track_id)) else {
            continue;
        };
        let g = &c.groups[gi];
        let cands: Vec<usize> = by_group[gi]
            .iter()
            .copied()
            .filter(|&i| ineligible[i].is_some())
            .collect();
        let (zn, tn) = (zname(&un.zone_id), tname(&un.track_id));
        let count = |r: Ineligible| cands.iter().filter(|&&i| ineligible[i] == Some(r)).count();
        let (nf, nq, np) = (
            count(Ineligible::Forbidden),
            count(Ineligible::BelowMinQuality),
            count(Ineligible::TooFewProjects),
        );
        let univs: Vec<UniversityId> = cands
            .iter()
            .map(|&i| data.universities[c.list[i].university].id.clone())
            .collect();
        let best = cands
            .iter()
            .max_by(|&&a, &&b| {
                c.list[a]
                    .quality
                    .total_cmp(&c.list[b].quality)
                    .then(b.cmp(&a))
            })
            .copied();
        let best_name = best.map_or(String::new(), |i| {
            data.universities[c.list[i].university].name.clone()
        });
        let n = cands.len();
        let needed = if cfg.require_full_bundle {
            cfg.benchmark_target
        } else {
            cfg.min_projects
        };
        let (code, message) = if n == 0 {
            (
                DiagnosticCode::NoEligibleCandidate,
                format!(
                    "{zn}在{tn}赛道只有{}所候选高校，少于每个园区至少{}所的要求",
                    un.selected, cfg.zone_track_min
                ),
            )
        } else if nf == n {
            let names: Vec<String> = univs.iter().map(&uname).collect();
            (
                DiagnosticCode::AllCandidatesForbidden,
                format!("{zn}在{tn}赛道的候选高校均已被排除：{}", join(&names)),
            )
        } else if nq == n {
            let bq = best.map_or(0.0, |i| c.list[i].quality);
            (
                DiagnosticCode::BelowMinQuality,
                format!(
                    "{zn}在{tn}赛道没有候选高校达到最低得分{}（最高为{best_name}，{bq:.3}）",
                    cfg.min_quality.unwrap_or(0.0)
                ),
            )
        } else if np == n && (g.demands.len() as u32) < needed {
            (
                DiagnosticCode::TooFewDemands,
                format!(
                    "{zn}在{tn}赛道只有{}项企业需求，一个配对至少需要{needed}项标杆项目",
                    g.demands.len()
                ),
            )
        } else if np == n {
            let bp = best.map_or(0, |i| c.list[i].projects.len());
            (
                DiagnosticCode::TooFewProjects,
                format!(
                    "{zn}在{tn}赛道的{}项企业需求中，没有一所高校的团队能承接{needed}项（最多为{best_name}，{bp}项），暂不形成配对",
                    g.demands.len()
                ),
            )
        } else {
            (
                DiagnosticCode::NoEligibleCandidate,
                format!(
                    "{zn}在{tn}赛道没有符合条件的高校：{nf}所被排除，{nq}所低于最低得分，{np}所标杆项目不足{needed}项"
                ),
            )
        };
        out.push(Diagnostic {
            code,
            severity: Severity::Infeasible,
            message,
            zone_ids: vec![un.zone_id.clone()],
            university_ids: univs,
            track_ids: vec![un.track_id.clone()],
        });
    }

    // Unmet minimums with candidates: a Hall violation names the competing zones and universities.
    for b in &sol.blocking {
        if b.universities.is_empty() {
            let (z, t) = &b.groups[0];
            let got = sol
                .unmet
                .iter()
                .find(|u| &u.zone_id == z && &u.track_id == t)
                .map_or(0, |u| u.selected);
            out.push(Diagnostic {
                code: DiagnosticCode::NoEligibleCandidate,
                severity: Severity::Infeasible,
                message: format!(
                    "{}在{}赛道只有{got}所候选高校，少于每个园区至少{}所的要求",
                    zname(z),
                    tname(t),
                    cfg.zone_track_min
                ),
                zone_ids: vec![z.clone()],
                university_ids: vec![],
                track_ids: vec![t.clone()],
            });
            continue;
        }
        let mut zones: Vec<String> = Vec::new();
        for (z, _) in &b.groups {
            let n = zname(z);
            if !zones.contains(&n) {
                zones.push(n);
            }
        }
        let mut tracks: Vec<&TrackId> = b.groups.iter().map(|(_, t)| t).collect();
        tracks.sort();
        tracks.dedup();
        let univs: Vec<String> = b.universities.iter().map(&uname).collect();
        let who = if tracks.len() == 1 {
            format!("{}在{}赛道各需一所合作高校", join(&zones), tname(tracks[0]))
        } else {
            let parts: Vec<String> = b
                .groups
                .iter()
                .take(9)
                .map(|(z, t)| format!("{}（{}）", zname(z), tname(t)))
                .collect();
            let list = if b.groups.len() > 8 {
                format!("{}等{}处", parts[..6].join("、"), b.groups.len())
            } else {
                join(&parts)
            };
            format!("{list}各需一所合作高校")
        };
        let mut message = format!(
            "{who}，但尚有余量的只有{}，且每所高校至多参与{}个配对（需{}个，可提供{}个）",
            join(&univs),
            cfg.university_max,
            b.required,
            b.capacity
        );
        if b.forced_on_universities > 0 {
            message.push_str(&format!(
                "；其中{}个名额已被部门指定的配对占用",
                b.forced_on_universities
            ));
        }
        let mut zone_ids: Vec<ZoneId> = b.groups.iter().map(|(z, _)| z.clone()).collect();
        zone_ids.sort();
        zone_ids.dedup();
        out.push(Diagnostic {
            code: DiagnosticCode::UniversityCapacity,
            severity: Severity::Infeasible,
            message,
            zone_ids,
            university_ids: b.universities.clone(),
            track_ids: tracks.into_iter().cloned().collect(),
        });
    }

    for d in &sol.dropped_forced {
        let t = &d.triple;
        let (code, limit) = match d.limit {
            ForcedLimit::ZoneTrackMax => (
                DiagnosticCode::ForcedOverZoneTrackMax,
                format!("每个园区每个赛道至多{}所高校", cfg.zone_track_max),
            ),
            ForcedLimit::UniversityMax => (
                DiagnosticCode::ForcedOverUniversityMax,
                format!("每所高校至多{}个配对", cfg.university_max),
            ),
        };
        out.push(Diagnostic {
            code,
            severity: Severity::Infeasible,
            message: format!(
                "部门指定的{}与{}在{}赛道的配对未能保留：此前指定的配对已达上限（{limit}）",
                zname(&t.zone_id),
                uname(&t.university_id),
                tname(&t.track_id)
            ),
            zone_ids: vec![t.zone_id.clone()],
            university_ids: vec![t.university_id.clone()],
            track_ids: vec![t.track_id.clone()],
        });
    }

    for &ci in selected {
        let cand = &c.list[ci];
        let n = cand.projects.len() as u32;
        if n >= cfg.benchmark_target {
            continue;
        }
        let g = &c.groups[cand.group];
        let (z, u, t) = (
            &data.zones[g.zone],
            &data.universities[cand.university],
            &data.tracks[g.track],
        );
        let message = if (g.demands.len() as u32) < cfg.benchmark_target {
            format!(
                "{}在{}赛道只有{}项企业需求，{}承接{n}项，距{}项标杆项目尚缺{}项，列为培育",
                z.name,
                t.name,
                g.demands.len(),
                u.name,
                cfg.benchmark_target,
                cfg.benchmark_target - n
            )
        } else {
            format!(
                "{}的团队承接{}在{}赛道{}项需求中的{n}项（可匹配{}项），距{}项标杆项目尚缺{}项，列为培育",
                u.name,
                z.name,
                t.name,
                g.demands.len(),
                cand.fitting_demands,
                cfg.benchmark_target,
                cfg.benchmark_target - n
            )
        };
        out.push(Diagnostic {
            code: DiagnosticCode::BenchmarkShortfall,
            severity: Severity::Shortfall,
            message,
            zone_ids: vec![z.id.clone()],
            university_ids: vec![u.id.clone()],
            track_ids: vec![t.id.clone()],
        });
    }

    for &gi in &c.empty_groups {
        let g = &c.groups[gi];
        let (z, t) = (&data.zones[g.zone], &data.tracks[g.track]);
        out.push(Diagnostic {
            code: DiagnosticCode::NoCandidates,
            severity: Severity::Info,
            message: format!(
                "{}在{}赛道有{}项企业需求，但没有高校团队与之匹配",
                z.name,
                t.name,
                g.demands.len()
            ),
            zone_ids: vec![z.id.clone()],
            university_ids: vec![],
            track_ids: vec![t.id.clone()],
        });
    }

    for &(zi, ti, n) in &c.outside {
        let (z, t) = (&data.zones[zi], &data.tracks[ti]);
        out.push(Diagnostic {
            code: DiagnosticCode::OutsideDirections,
            severity: Severity::Info,
            message: format!(
                "{}在{}赛道有{n}项企业需求，但该赛道不在园区申报的产业方向内，不生成配对",
                z.name, t.name
            ),
            zone_ids: vec![z.id.clone()],
            university_ids: vec![],
            track_ids: vec![t.id.clone()],
        });
    }
    out
}
