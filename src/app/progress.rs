//! The dashboard's `targets`: each programme target with its baseline, actual, projection to the
//! deadline and whether it is on track, broken down by zone, university, track, year, quarter and
//! pairing. What counts and how it is projected is [`crate::targets`]; only verified outcomes count.

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalog::Catalog;
use crate::outcome::Date;
use crate::store::{OutcomeRecord, PairingRecord};
use crate::targets::{self, BaselineSum, Counted, TargetKey, TargetSpec, days, project};

/// How the projection is made, as the dashboard states it.
pub const PROJECTION_METHOD: &str = "线性外推：按起始日至今已核实成果的日均进度推算至截止日（预计值 = 基线 + 新增 × 全程天数 ÷ 已过天数），预计值不低于目标即为按期可达";

/// One target and where the programme stands against it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TargetProgress {
    pub key: TargetKey,
    pub name: String,
    pub unit: String,
    /// The figure to reach by the deadline; absent when it is a multiple of a baseline the dataset does
    /// not give.
    pub target: Option<f64>,
    /// Where the programme stood at its start (0 for platforms and students).
    pub baseline: Option<f64>,
    /// Baseline plus what verified outcomes add.
    pub actual: Option<f64>,
    /// What verified outcomes add (platforms, students, conversions, 万元).
    pub added: f64,
    /// The actual projected to the deadline at the recorded pace.
    pub projected: Option<f64>,
    /// Whether the projection reaches the target (absent without a target).
    pub on_track: Option<bool>,
    pub projection_method: String,
    pub start: String,
    pub deadline: String,
    pub source: String,
    pub by_zone: Vec<TargetShare>,
    pub by_university: Vec<TargetShare>,
    pub by_track: Vec<TargetShare>,
    /// Approved pairings, furthest behind their share first.
    pub by_pairing: Vec<TargetShare>,
    pub by_year: Vec<TargetShare>,
    /// Every quarter from the start to today, with the actual at its end.
    pub by_quarter: Vec<QuarterPoint>,
}

/// One zone's, university's, track's, pairing's or year's part of a target.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TargetShare {
    pub id: String,
    pub name: String,
    /// What its verified outcomes add.
    pub added: f64,
    /// Its pro-rata share of what the target asks to add by now (zones and pairings only): the target's
    /// gap over its baseline, times the time elapsed, divided among all zones or approved pairings.
    pub expected: Option<f64>,
    /// Whether it has added its expected share (zones and pairings only).
    pub ahead: Option<bool>,
}

/// The actual at the end of one quarter.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuarterPoint {
    /// E.g. `2026Q3`.
    pub quarter: String,
    pub added: f64,
    pub actual: Option<f64>,
}

/// Builds every target's progress from the verified outcomes as of `today`.
pub(super) fn progress(
    specs: &[TargetSpec],
    verified: &[OutcomeRecord],
    approved: &[PairingRecord],
    c: &Catalog,
    today: Date,
) -> Vec<TargetProgress> {
    let counted: Vec<(Counted<'_>, Option<Date>)> = verified
        .iter()
        .map(|o| {
            (
                Counted {
                    pairing_id: &o.pairing_id,
                    zone_id: o.zone_id.as_str(),
                    university_id: o.university_id.as_str(),
                    track_id: o.track_id.as_str(),
                    detail: &o.detail,
                },
                o.detail.date(),
            )
        })
        .collect();
    let base = BaselineSum::of(c.universities.iter().filter_map(|u| u.baseline.as_ref()));
    let mut out: Vec<TargetProgress> = specs
        .iter()
        .filter_map(|spec| {
            let start: Date = spec.start.parse().ok()?;
            let deadline: Date = spec.deadline.parse().ok()?;
            Some(one(
                spec, start, deadline, &counted, &base, approved, c, today,
            ))
        })
        .collect();
    out.sort_by_key(|t| t.key);
    out
}

#[allow(clippy::too_many_arguments)]
fn one(
    spec: &TargetSpec,
    start: Date,
    deadline: Date,
    counted: &[(Counted<'_>, Option<Date>)],
    base: &BaselineSum,
    approved: &[PairingRecord],
    c: &Catalog,
    today: Date,
) -> TargetProgress {
    let key = spec.key;
    let adds = |k: &(Counted<'_>, Option<Date>)| k.0.adds(key);
    let added: f64 = counted.iter().map(adds).sum();
    let baseline = base.value(key);
    let actual = base.actual(key, added);
    // A multiple of a baseline the dataset does not give (or gives as zero) is no target.
    let target = spec.target.or_else(|| {
        let b = baseline.filter(|b| *b > 0.0)?;
        Some(b * spec.times_baseline?)
    });
    let projected = match (baseline, actual) {
        (Some(b), Some(a)) => Some(project(b, a, start, deadline, today)),
        _ => None,
    };
    let on_track = match (projected, target) {
        (Some(p), Some(t)) => Some(p + 1e-9 >= t),
        _ => None,
    };
    // What the target asks to add over its baseline by now, in the numerator's units.
    let span = (days(deadline) - days(start)).max(1) as f64;
    let elapsed = ((days(today.min(deadline)) - days(start)).max(0) as f64 / span).min(1.0);
    let gap = match (target, baseline) {
        (Some(t), Some(b)) if key == TargetKey::PatentConversionRate => {
            Some(((t - b) / 100.0 * base.patents_granted).max(0.0))
        }
        (Some(t), Some(b)) => Some((t - b).max(0.0)),
        _ => None,
    };
    let due_now = gap.map(|g| g * elapsed);
    let share = |id: String, name: String, added: f64, among: usize| {
        let expected = due_now.map(|d| d / among.max(1) as f64);
        TargetShare {
            id,
            name,
            added,
            ahead: expected.map(|e| added + 1e-9 >= e),
            expected,
        }
    };
    let plain = |id: String, name: String, added: f64| TargetShare {
        id,
        name,
        added,
        expected: None,
        ahead: None,
    };

    let zone_sums = targets::sum_by(counted, |k| Some(k.0.zone_id.to_owned()), adds);
    let by_zone = c
        .zones
        .iter()
        .map(|z| {
            let added = zone_sums.get(z.id.as_str()).copied().unwrap_or(0.0);
            share(z.id.to_string(), z.name.clone(), added, c.zones.len())
        })
        .collect();
    let uni_sums = targets::sum_by(counted, |k| Some(k.0.university_id.to_owned()), adds);
    let by_university = c
        .universities
        .iter()
        .filter(|u| uni_sums.contains_key(u.id.as_str()) || u.baseline.as_ref().is_some())
        .map(|u| {
            let added = uni_sums.get(u.id.as_str()).copied().unwrap_or(0.0);
            plain(u.id.to_string(), u.name.clone(), added)
        })
        .collect();
    let by_track = targets::sum_by(counted, |k| Some(k.0.track_id.to_owned()), adds)
        .into_iter()
        .map(|(id, added)| {
            let name = c
                .track(&id.as_str().into())
                .map(|t| t.name.clone())
                .unwrap_or_default();
            plain(id, name, added)
        })
        .collect();
    let pairing_sums = targets::sum_by(counted, |k| Some(k.0.pairing_id.to_owned()), adds);
    let mut by_pairing: Vec<TargetShare> = approved
        .iter()
        .map(|p| {
            let name = format!(
                "{} × {}",
                c.zone_name(&p.zone_id),
                c.university_name(&p.university_id)
            );
            let added = pairing_sums.get(&p.id).copied().unwrap_or(0.0);
            share(p.id.clone(), name, added, approved.len())
        })
        .collect();
    by_pairing.sort_by(|a, b| {
        let gap = |s: &TargetShare| s.expected.unwrap_or(0.0) - s.added;
        gap(b).total_cmp(&gap(a)).then(a.id.cmp(&b.id))
    });
    let by_year = targets::sum_by(counted, |k| k.1.map(|d| d.year.to_string()), adds)
        .into_iter()
        .map(|(year, added)| plain(year.clone(), format!("{year}年"), added))
        .collect();
    let by_quarter = quarters(start, today.min(deadline), counted, adds, base, key);

    TargetProgress {
        key,
        name: spec.name.clone(),
        unit: spec.unit.clone(),
        target,
        baseline,
        actual,
        added,
        projected,
        on_track,
        projection_method: PROJECTION_METHOD.to_owned(),
        start: spec.start.clone(),
        deadline: spec.deadline.clone(),
        source: spec.source.clone(),
        by_zone,
        by_university,
        by_track,
        by_pairing,
        by_year,
        by_quarter,
    }
}

/// Every quarter from `start`'s to `end`'s, with what was added in it and the actual at its end
/// (outcomes dated before the start count in the first quarter).
fn quarters<'a>(
    start: Date,
    end: Date,
    counted: &'a [(Counted<'a>, Option<Date>)],
    adds: impl Fn(&'a (Counted<'a>, Option<Date>)) -> f64,
    base: &BaselineSum,
    key: TargetKey,
) -> Vec<QuarterPoint> {
    let index = |d: Date| i64::from(d.year) * 4 + i64::from(d.quarter()) - 1;
    let first = index(start);
    let last = index(end).max(first);
    let mut per: BTreeMap<i64, f64> = BTreeMap::new();
    for k in counted {
        let q = k.1.map_or(first, |d| index(d).clamp(first, last));
        *per.entry(q).or_insert(0.0) += adds(k);
    }
    let mut total = 0.0;
    (first..=last)
        .map(|q| {
            let added = per.get(&q).copied().unwrap_or(0.0);
            total += added;
            QuarterPoint {
                quarter: format!("{}Q{}", q.div_euclid(4), q.rem_euclid(4) + 1),
                added,
                actual: base.actual(key, total),
            }
        })
        .collect()
}
