//! The programme dashboard: what the approved pairings cover against the programme's own targets
//! (every pilot zone paired, at least 10 benchmark projects per pairing, platforms and leading talents
//! involved), overall, per track and per city (a pairing counts in its zone's city).
//!
//! Figures come from the approved pairings' stored bundles, read leniently: a bundle without a field
//! simply does not count towards it. The 2027 targets (`targets`) come from verified outcomes
//! ([`super::progress`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::progress::{TargetProgress, progress};
use super::{App, Result};
use crate::auth::Principal;
use crate::domain::{TrackId, UniversityId, ZoneId};
use crate::outcome::{Date, OutcomeStatus};
use crate::review::PairingStatus;
use crate::store::PairingRecord;

/// Benchmark projects the programme asks of each pairing.
pub const BENCHMARK_TARGET: u32 = 10;

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// Distinct zone × university × track triples in each review status (superseded pairings left
    /// out); the store holds at most one active pairing per triple.
    pub pairings: StatusCounts,
    pub zones: Coverage,
    pub universities: Coverage,
    pub benchmark_projects: Projects,
    /// Approved pairings with fewer benchmark projects than their target, largest gap first.
    pub pairings_short: Vec<ShortPairing>,
    pub platforms: Platforms,
    pub talents: Talents,
    pub funds: Funds,
    pub by_track: Vec<TrackRow>,
    pub by_city: Vec<CityRow>,
    /// The programme's 2027 targets with baseline, actual (verified outcomes only), projection and
    /// breakdowns; empty when the dataset states no targets.
    pub targets: Vec<TargetProgress>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    pub proposed: u64,
    pub approved: u64,
    pub rejected: u64,
    pub changes_requested: u64,
}

/// How many of all zones (or universities) have an approved pairing, and which have none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub covered: usize,
    pub total: usize,
    pub uncovered: Vec<Uncovered>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Uncovered {
    pub id: String,
    pub name: String,
    pub city: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Projects {
    /// Benchmark projects planned by the approved pairings.
    pub planned: u64,
    /// What the programme asks of each pairing.
    pub target_per_pairing: u32,
    /// Approved pairings short of their target: graded 培育 (incubating).
    pub short_pairings: usize,
    /// Approved pairings with their target or more: graded 达标 (qualified).
    pub qualified_pairings: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShortPairing {
    pub pairing_id: String,
    pub zone_id: ZoneId,
    pub zone_name: String,
    pub university_id: UniversityId,
    pub university_name: String,
    pub track_id: TrackId,
    pub track_name: String,
    pub projects: u32,
    pub target: u32,
    pub shortfall: u32,
}

/// Distinct innovation platforms named by approved pairings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Platforms {
    pub total: usize,
    /// University or team platforms.
    pub university: usize,
    /// Zone platforms to co-build with.
    pub zone: usize,
}

/// Distinct leading talents named by approved pairings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Talents {
    pub total: usize,
    /// Of them, with at least one honour.
    pub with_honors: usize,
}

/// Distinct transformation funds named by approved pairings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Funds {
    pub total: usize,
    pub size_wan_yuan: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrackRow {
    pub track_id: TrackId,
    pub track_name: String,
    pub pairings: usize,
    pub zones: usize,
    pub universities: usize,
    pub projects: u64,
    /// Pairings short of their benchmark target.
    pub short: usize,
    pub platforms: usize,
    pub talents: usize,
}

/// One city (of the zones): its zones, and the approved pairings of those zones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CityRow {
    pub city: String,
    pub zones_total: usize,
    pub zones_covered: usize,
    pub universities: usize,
    pub pairings: usize,
    pub projects: u64,
    pub short: usize,
    pub platforms: usize,
    pub talents: usize,
}

/// What one approved pairing contributes, read from its bundle.
struct Contribution<'a> {
    record: &'a PairingRecord,
    projects: u32,
    target: u32,
    university_platform: Option<String>,
    zone_platform: Option<String>,
    talent: Option<(String, bool)>,
    fund: Option<(String, f64)>,
}

fn contribution(record: &PairingRecord) -> Contribution<'_> {
    let b = &record.bundle.bundle;
    // A component is known by its owner and its name; an unnamed one counts as absent.
    let keyed = |owner: &str, name: &str| (!name.is_empty()).then(|| format!("{owner}\u{1}{name}"));
    let uni = record.university_id.as_str();
    let zone = record.zone_id.as_str();
    let platforms = &b.innovation_platform;
    let university_platform = platforms
        .university
        .as_ref()
        .and_then(|p| keyed(uni, &p.name));
    let zone_platform = platforms.zone.as_ref().and_then(|p| keyed(zone, &p.name));
    let talent = b.leading_talent.as_ref().and_then(|t| {
        let owner = format!("{uni}\u{1}{}", t.team_id.as_str());
        keyed(&owner, &t.name).map(|key| (key, !t.honors.is_empty()))
    });
    let fund = b.transformation_fund.as_ref().and_then(|f| {
        let size = Some(f.size_wan_yuan)
            .filter(|x| x.is_finite() && *x >= 0.0)
            .unwrap_or(0.0);
        keyed(zone, &f.name).map(|key| (key, size))
    });
    let projects = b.benchmark_projects.len() as u32;
    let target = b
        .shortfall
        .as_ref()
        .map_or(BENCHMARK_TARGET, |s| s.target.max(1));
    Contribution {
        record,
        projects,
        target,
        university_platform,
        zone_platform,
        talent,
        fund,
    }
}

/// Distinct platforms and talents of a set of contributions.
fn distinct(items: &[&Contribution<'_>]) -> (usize, usize) {
    let platforms: BTreeSet<&String> = items
        .iter()
        .flat_map(|c| [c.university_platform.as_ref(), c.zone_platform.as_ref()])
        .flatten()
        .collect();
    let talents: BTreeSet<&String> = items
        .iter()
        .filter_map(|c| c.talent.as_ref().map(|t| &t.0))
        .collect();
    (platforms.len(), talents.len())
}

/// What a group of approved pairings adds up to (one track, or the zones of one city).
struct Tally {
    pairings: usize,
    zones: usize,
    universities: usize,
    projects: u64,
    short: usize,
    platforms: usize,
    talents: usize,
}

impl Tally {
    fn of(items: &[&Contribution<'_>]) -> Tally {
        let (platforms, talents) = distinct(items);
        let count = |key: fn(&PairingRecord) -> &str| {
            items
                .iter()
                .map(|k| key(k.record))
                .collect::<BTreeSet<_>>()
                .len()
        };
        Tally {
            pairings: items.len(),
            zones: count(|p| p.zone_id.as_str()),
            universities: count(|p| p.university_id.as_str()),
            projects: items.iter().map(|k| u64::from(k.projects)).sum(),
            short: items.iter().filter(|k| k.projects < k.target).count(),
            platforms,
            talents,
        }
    }
}

/// How many of `all` (id, name, city) are covered, and which are not.
fn coverage<'a>(
    all: impl Iterator<Item = (&'a str, &'a String, &'a String)>,
    covered: impl Fn(&str) -> bool,
) -> Coverage {
    let mut out = Coverage {
        covered: 0,
        total: 0,
        uncovered: Vec::new(),
    };
    for (id, name, city) in all {
        out.total += 1;
        if covered(id) {
            out.covered += 1;
        } else {
            out.uncovered.push(Uncovered {
                id: id.to_owned(),
                name: name.clone(),
                city: city.clone(),
            });
        }
    }
    out
}

/// The records with the first of each triple only (the store holds one active pairing per triple;
/// this keeps the figures counted once per triple whatever the input).
fn once_per_triple(records: Vec<PairingRecord>) -> Vec<PairingRecord> {
    let mut seen = BTreeSet::new();
    records
        .into_iter()
        .filter(|r| {
            seen.insert((
                r.zone_id.clone(),
                r.university_id.clone(),
                r.track_id.clone(),
            ))
        })
        .collect()
}

impl App {
    /// The programme dashboard (department only: it names every zone's and university's pairings).
    pub async fn dashboard(&self, who: &Principal) -> Result<Dashboard> {
        if !who.role.is_department() {
            return Err(who.role.forbidden("see the programme dashboard").into());
        }
        let (approved, counts, verified, specs) = self
            .blocking(|app| {
                let store = &app.inner.store;
                let mut counts = StatusCounts::default();
                for (status, n) in store.triple_counts()? {
                    *match status {
                        PairingStatus::Proposed => &mut counts.proposed,
                        PairingStatus::Approved => &mut counts.approved,
                        PairingStatus::Rejected => &mut counts.rejected,
                        PairingStatus::ChangesRequested => &mut counts.changes_requested,
                    } = n;
                }
                Ok((
                    store.pairings_with_status(PairingStatus::Approved)?,
                    counts,
                    store.outcomes_with_status(OutcomeStatus::Verified)?,
                    store.programme_targets()?,
                ))
            })
            .await?;
        let approved = once_per_triple(approved);
        let mut dashboard = self.summarise(&approved, counts);
        dashboard.targets = progress(&specs, &verified, &approved, &self.catalog(), Date::today());
        Ok(dashboard)
    }

    fn summarise(&self, approved: &[PairingRecord], counts: StatusCounts) -> Dashboard {
        let c = self.catalog();
        let contributions: Vec<Contribution<'_>> = approved.iter().map(contribution).collect();
        let all: Vec<&Contribution<'_>> = contributions.iter().collect();

        let zones_covered: BTreeSet<&ZoneId> = approved.iter().map(|p| &p.zone_id).collect();
        let unis_covered: BTreeSet<&UniversityId> =
            approved.iter().map(|p| &p.university_id).collect();
        let zones = coverage(
            c.zones.iter().map(|z| (z.id.as_str(), &z.name, &z.city)),
            |id| zones_covered.contains(&ZoneId::from(id)),
        );
        let universities = coverage(
            (c.universities.iter()).map(|u| (u.id.as_str(), &u.name, &u.city)),
            |id| unis_covered.contains(&UniversityId::from(id)),
        );

        let mut pairings_short: Vec<ShortPairing> = contributions
            .iter()
            .filter(|k| k.projects < k.target)
            .map(|k| {
                let p = k.record;
                ShortPairing {
                    pairing_id: p.id.clone(),
                    zone_name: c.zone_name(&p.zone_id),
                    zone_id: p.zone_id.clone(),
                    university_name: c.university_name(&p.university_id),
                    university_id: p.university_id.clone(),
                    track_name: c
                        .track(&p.track_id)
                        .map(|t| t.name.clone())
                        .unwrap_or_default(),
                    track_id: p.track_id.clone(),
                    projects: k.projects,
                    target: k.target,
                    shortfall: k.target - k.projects,
                }
            })
            .collect();
        pairings_short.sort_by(|a, b| {
            b.shortfall
                .cmp(&a.shortfall)
                .then(a.pairing_id.cmp(&b.pairing_id))
        });

        let (platform_total, talent_total) = distinct(&all);
        let uni_platforms: BTreeSet<&String> = contributions
            .iter()
            .filter_map(|k| k.university_platform.as_ref())
            .collect();
        let zone_platforms: BTreeSet<&String> = contributions
            .iter()
            .filter_map(|k| k.zone_platform.as_ref())
            .collect();
        let talents: BTreeMap<&String, bool> = contributions
            .iter()
            .filter_map(|k| k.talent.as_ref().map(|(key, h)| (key, *h)))
            .collect();
        let funds: BTreeMap<&String, f64> = contributions
            .iter()
            .filter_map(|k| k.fund.as_ref().map(|(key, size)| (key, *size)))
            .collect();

        let mut per_track: BTreeMap<&TrackId, Vec<&Contribution<'_>>> = BTreeMap::new();
        for k in &contributions {
            per_track.entry(&k.record.track_id).or_default().push(k);
        }
        let mut by_track: Vec<TrackRow> = per_track
            .into_iter()
            .map(|(track, items)| {
                let t = Tally::of(&items);
                TrackRow {
                    track_id: track.clone(),
                    track_name: c.track(track).map(|t| t.name.clone()).unwrap_or_default(),
                    pairings: t.pairings,
                    zones: t.zones,
                    universities: t.universities,
                    projects: t.projects,
                    short: t.short,
                    platforms: t.platforms,
                    talents: t.talents,
                }
            })
            .collect();
        by_track.sort_by(|a, b| {
            b.pairings
                .cmp(&a.pairings)
                .then(a.track_id.cmp(&b.track_id))
        });

        // Cities in the order their zones are listed, each with every zone it has.
        let mut cities: Vec<&str> = Vec::new();
        for z in &c.zones {
            if !cities.contains(&z.city.as_str()) {
                cities.push(&z.city);
            }
        }
        let by_city: Vec<CityRow> = cities
            .into_iter()
            .map(|city| {
                let zone_ids: BTreeSet<&ZoneId> = c
                    .zones
                    .iter()
                    .filter(|z| z.city == city)
                    .map(|z| &z.id)
                    .collect();
                let items: Vec<&Contribution<'_>> = contributions
                    .iter()
                    .filter(|k| zone_ids.contains(&k.record.zone_id))
                    .collect();
                let t = Tally::of(&items);
                CityRow {
                    city: city.to_owned(),
                    zones_total: zone_ids.len(),
                    zones_covered: t.zones,
                    universities: t.universities,
                    pairings: t.pairings,
                    projects: t.projects,
                    short: t.short,
                    platforms: t.platforms,
                    talents: t.talents,
                }
            })
            .collect();

        Dashboard {
            pairings: counts,
            zones,
            universities,
            benchmark_projects: Projects {
                planned: contributions.iter().map(|k| u64::from(k.projects)).sum(),
                target_per_pairing: BENCHMARK_TARGET,
                short_pairings: pairings_short.len(),
                qualified_pairings: contributions
                    .iter()
                    .filter(|k| k.projects >= k.target)
                    .count(),
            },
            pairings_short,
            platforms: Platforms {
                total: platform_total,
                university: uni_platforms.len(),
                zone: zone_platforms.len(),
            },
            talents: Talents {
                total: talent_total,
                with_honors: talents.values().filter(|h| **h).count(),
            },
            funds: Funds {
                total: funds.len(),
                size_wan_yuan: funds.values().sum(),
            },
            by_track,
            by_city,
            targets: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A pairing record whose bundle is a bare one with `parts` laid over it.
    fn record(parts: serde_json::Value) -> PairingRecord {
        let mut bundle = json!({
            "industrial_direction": {"track_id": "t", "track_name": "氢能", "zone_industries": [], "zone_track": true},
            "innovation_platform": {"university": null, "zone": null},
            "benchmark_projects": [],
            "explanation": {"summary": "", "terms": [], "teams": [], "breakdown": {"target": 10,
                "projects": 0, "topped_up": 0, "score_sum": 0.0, "mean_score": 0.0, "coverage": 0.0, "quality": 0.0}},
            "forced": false
        });
        for (key, value) in parts.as_object().unwrap() {
            bundle[key] = value.clone();
        }
        PairingRecord {
            id: "p".into(),
            batch_id: None,
            zone_id: "z".into(),
            university_id: "u".into(),
            track_id: "t".into(),
            bundle: serde_json::from_value(bundle).unwrap(),
            quality: 0.5,
            status: PairingStatus::Approved,
            version: 2,
            created_at: String::new(),
            updated_at: String::new(),
            superseded_by: None,
        }
    }

    #[test]
    fn a_bundle_contributes_what_it_names() {
        let project = json!({"demand_id": "d", "title": "储能", "enterprise": null, "team_id": "t1",
            "team_name": "储能团队", "score": 0.5});
        let r = record(json!({
            "benchmark_projects": [project, project, project],
            "shortfall": {"target": 10, "projects": 3, "zone_demands": 3, "fitting_demands": 3},
            "innovation_platform": {
                "university": {"team_id": "t1", "team_name": "储能团队", "name": "储能实验室", "kind": "lab"},
                "zone": {"name": "中试基地", "kind": "pilot"}
            },
            "leading_talent": {"name": "王教授", "title": "教授", "team_id": "t1", "team_name": "储能团队", "honors": ["杰青"]},
            "transformation_fund": {"name": "科创基金", "size_wan_yuan": 5000.0}
        }));
        let k = contribution(&r);
        assert_eq!((k.projects, k.target), (3, 10));
        assert!(k.university_platform.is_some() && k.zone_platform.is_some());
        assert_eq!(k.talent.as_ref().map(|t| t.1), Some(true));
        assert_eq!(k.fund.as_ref().map(|f| f.1), Some(5000.0));
    }

    #[test]
    fn a_bare_bundle_contributes_nothing_but_its_shortfall() {
        let r = record(json!({}));
        let k = contribution(&r);
        assert_eq!((k.projects, k.target), (0, BENCHMARK_TARGET));
        assert!(k.university_platform.is_none() && k.talent.is_none() && k.fund.is_none());
        assert_eq!(distinct(&[&k]), (0, 0));
    }
}
