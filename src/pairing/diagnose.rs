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

/// Names joined by commas; beyond 8 names, the first 6 and a count of the rest.
fn join(names: &[String]) -> String {
    if names.len() <= 8 {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..6].join(", "), names.len() - 6)
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
        let (code, message) = if n == 0 {
            (
                DiagnosticCode::NoEligibleCandidate,
                format!(
                    "{zn} has only {} candidate universities in {tn}; zone_track_min = {}",
                    un.selected, cfg.zone_track_min
                ),
            )
        } else if nf == n {
            let names: Vec<String> = univs.iter().map(&uname).collect();
            (
                DiagnosticCode::AllCandidatesForbidden,
                format!(
                    "every candidate university for {zn} in {tn} is forbidden: {}",
                    join(&names)
                ),
            )
        } else if nq == n {
            let bq = best.map_or(0.0, |i| c.list[i].quality);
            (
                DiagnosticCode::BelowMinQuality,
                format!(
                    "no candidate for {zn} in {tn} reaches min_quality = {} (best: {best_name} at {bq:.3})",
                    cfg.min_quality.unwrap_or(0.0)
                ),
            )
        } else if np == n && (g.demands.len() as u32) < cfg.benchmark_target {
            (
                DiagnosticCode::TooFewDemands,
                format!(
                    "{zn} has {} demands in {tn}; a pairing needs {}",
                    g.demands.len(),
                    cfg.benchmark_target
                ),
            )
        } else if np == n {
            let bp = best.map_or(0, |i| c.list[i].projects.len());
            (
                DiagnosticCode::TooFewProjects,
                format!(
                    "no university's teams can take {} of {zn}'s {} demands in {tn} (best: {best_name} with {bp}); a pairing needs {}",
                    cfg.benchmark_target,
                    g.demands.len(),
                    cfg.benchmark_target
                ),
            )
        } else {
            (
                DiagnosticCode::NoEligibleCandidate,
                format!(
                    "{zn} has no eligible partner in {tn}: {nf} forbidden, {nq} below min_quality, {np} short of {} benchmark projects",
                    cfg.benchmark_target
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
                    "{} has only {got} candidate universities in {}; zone_track_min = {}",
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
            let zs = if zones.len() == 1 { "zone" } else { "zones" };
            format!(
                "{zs} {} each need a partner in {}",
                join(&zones),
                tname(tracks[0])
            )
        } else {
            let parts: Vec<String> = b
                .groups
                .iter()
                .take(9)
                .map(|(z, t)| format!("{} in {}", zname(z), tname(t)))
                .collect();
            let mut list = join(&parts);
            if b.groups.len() > 8 {
                list = format!("{} and {} more", parts[..6].join(", "), b.groups.len() - 6);
            }
            format!("{list} each need a partner")
        };
        let only = if univs.len() == 1 {
            format!("only university {} has candidates left", univs[0])
        } else {
            format!("only universities {} have candidates left", join(&univs))
        };
        let mut message = format!(
            "{who} but {only} and university_max = {} ({} pairings needed, {} available)",
            cfg.university_max, b.required, b.capacity
        );
        if b.forced_on_universities > 0 {
            message.push_str(&format!(
                "; {} forced pairings already use these universities",
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
                format!("zone_track_max = {}", cfg.zone_track_max),
            ),
            ForcedLimit::UniversityMax => (
                DiagnosticCode::ForcedOverUniversityMax,
                format!("university_max = {}", cfg.university_max),
            ),
        };
        out.push(Diagnostic {
            code,
            severity: Severity::Infeasible,
            message: format!(
                "forced pairing of {} with {} in {} is left out: earlier forced pairings already reach {limit}",
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
                "{} has {} demands in {}; a pairing needs {} ({} takes {})",
                z.name,
                g.demands.len(),
                t.name,
                cfg.benchmark_target,
                u.name,
                n
            )
        } else {
            format!(
                "{}'s teams take {n} of {}'s {} demands in {} (they fit {}); a pairing needs {}",
                u.name,
                z.name,
                g.demands.len(),
                t.name,
                cand.fitting_demands,
                cfg.benchmark_target
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
                "{} has {} demands in {} but no university team fits them",
                z.name,
                g.demands.len(),
                t.name
            ),
            zone_ids: vec![z.id.clone()],
            university_ids: vec![],
            track_ids: vec![t.id.clone()],
        });
    }
    out
}
