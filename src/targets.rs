//! The programme's 2027 targets and where the programme stands against them, as pure logic.
//!
//! The targets are data (`targets.jsonl` of a dataset, see `datasets/README.md`): each names a
//! [`TargetKey`], a Chinese name, a unit and either an absolute figure (`target`) or a multiple of the
//! baseline (`times_baseline`: "doubled" is 2, "up by 30 %" is 1.3). Baselines come from the optional
//! `baseline` of universities and zones (base year, patents granted and converted, contract payments).
//!
//! For each target, **actual = baseline + what verified outcomes add**:
//! - `platforms`: verified platform outcomes (baseline 0: platforms co-built under the programme);
//! - `graduate_students`: the count of verified student outcomes (baseline 0);
//! - `patent_conversion_rate`: (patents converted at the base year + verified patent conversions) ÷
//!   patents granted at the base year, in %, over the universities' baselines;
//! - `contract_payments`: the universities' base-year contract payments + verified payments received, in
//!   万元.
//!
//! **Projection** (linear pace): what verified outcomes added from the programme's start to today,
//! extended at the same daily pace to the deadline: `projected = baseline + added × (deadline − start) ÷
//! (today − start)`. A target is on track when its projection reaches it. Before any day has passed, or
//! with nothing added, the projection is the actual.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Baseline;
use crate::outcome::{Date, OutcomeDetail};

/// What a target measures.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TargetKey {
    /// Innovation platforms co-built (共建创新平台).
    Platforms,
    /// Graduate students trained jointly (联合培养研究生).
    GraduateStudents,
    /// Patents converted ÷ patents granted, in % (专利转化率).
    PatentConversionRate,
    /// Technology-conversion contract payments received, in 万元 (技术合同到账额).
    ContractPayments,
}

impl TargetKey {
    pub const ALL: [TargetKey; 4] = [
        TargetKey::Platforms,
        TargetKey::GraduateStudents,
        TargetKey::PatentConversionRate,
        TargetKey::ContractPayments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKey::Platforms => "platforms",
            TargetKey::GraduateStudents => "graduate_students",
            TargetKey::PatentConversionRate => "patent_conversion_rate",
            TargetKey::ContractPayments => "contract_payments",
        }
    }
}

/// One target as the targets file states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub key: TargetKey,
    /// The target's name in Chinese, e.g. 共建创新平台.
    pub name: String,
    /// E.g. 个, 人, %, 万元.
    pub unit: String,
    /// An absolute target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// A target relative to the baseline (2 for doubled, 1.3 for up by 30 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times_baseline: Option<f64>,
    /// When the programme started counting (`YYYY-MM-DD`).
    pub start: String,
    /// When the target is due (`YYYY-MM-DD`), e.g. 2027-12-31.
    pub deadline: String,
    /// Where the target comes from (e.g. the provincial document), or that it is illustrative.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl TargetSpec {
    /// The problems of this spec as `(field, message)`: exactly one of `target` and `times_baseline`,
    /// positive and finite; dates `YYYY-MM-DD` with the start before the deadline; a non-blank name and
    /// unit.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let positive = |x: f64| x.is_finite() && x > 0.0;
        match (self.target, self.times_baseline) {
            (Some(t), None) if positive(t) => {}
            (None, Some(m)) if positive(m) => {}
            (Some(_), None) => out.push(("target", "must be positive".to_owned())),
            (None, Some(_)) => out.push(("times_baseline", "must be positive".to_owned())),
            _ => out.push((
                "target",
                "give exactly one of target and times_baseline".to_owned(),
            )),
        }
        if self.name.trim().is_empty() {
            out.push(("name", "must not be blank".to_owned()));
        }
        if self.unit.trim().is_empty() {
            out.push(("unit", "must not be blank".to_owned()));
        }
        let start = self.start.parse::<Date>();
        let deadline = self.deadline.parse::<Date>();
        if let Err(e) = &start {
            out.push(("start", e.clone()));
        }
        if let Err(e) = &deadline {
            out.push(("deadline", e.clone()));
        }
        if let (Ok(s), Ok(d)) = (start, deadline)
            && s >= d
        {
            out.push(("deadline", "must be after start".to_owned()));
        }
        out
    }
}

/// A verified outcome as the targets count it: where it belongs and what it adds to each target.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted<'a> {
    pub pairing_id: &'a str,
    pub zone_id: &'a str,
    pub university_id: &'a str,
    pub track_id: &'a str,
    pub detail: &'a OutcomeDetail,
}

impl Counted<'_> {
    /// What this outcome adds to `key`'s numerator (platforms, students, conversions, 万元).
    pub fn adds(&self, key: TargetKey) -> f64 {
        match (key, self.detail) {
            (TargetKey::Platforms, OutcomeDetail::Platform { .. }) => 1.0,
            (TargetKey::GraduateStudents, OutcomeDetail::Students { count, .. }) => {
                f64::from(*count)
            }
            (TargetKey::PatentConversionRate, OutcomeDetail::PatentConversion { .. }) => 1.0,
            (
                TargetKey::ContractPayments,
                OutcomeDetail::Payment {
                    amount_wan_yuan, ..
                },
            ) => *amount_wan_yuan,
            _ => 0.0,
        }
    }
}

/// The baselines summed: patents granted and converted, contract payments (universities only, so
/// that nothing is counted twice).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BaselineSum {
    pub patents_granted: f64,
    pub patents_converted: f64,
    pub contract_payments: f64,
}

impl BaselineSum {
    pub fn of<'a>(baselines: impl IntoIterator<Item = &'a Baseline>) -> BaselineSum {
        let mut out = BaselineSum::default();
        for b in baselines {
            out.patents_granted += f64::from(b.patents_granted);
            out.patents_converted += f64::from(b.patents_converted);
            out.contract_payments += b.contract_payments_wan_yuan;
        }
        out
    }

    /// The baseline of `key`, or `None` when it is a rate without patents granted.
    pub fn value(&self, key: TargetKey) -> Option<f64> {
        match key {
            TargetKey::Platforms | TargetKey::GraduateStudents => Some(0.0),
            TargetKey::PatentConversionRate => (self.patents_granted > 0.0)
                .then(|| 100.0 * self.patents_converted / self.patents_granted),
            TargetKey::ContractPayments => Some(self.contract_payments),
        }
    }

    /// Where `key` stands once `added` (in the target's numerator) is added to the baseline.
    pub fn actual(&self, key: TargetKey, added: f64) -> Option<f64> {
        match key {
            TargetKey::PatentConversionRate => (self.patents_granted > 0.0)
                .then(|| 100.0 * (self.patents_converted + added) / self.patents_granted),
            _ => self.value(key).map(|b| b + added),
        }
    }
}

/// Days from 1970-01-01 to `d` (the inverse of [`Date::from_days`]).
pub fn days(d: Date) -> i64 {
    let (y, m) = if d.month <= 2 {
        (i64::from(d.year) - 1, i64::from(d.month) + 9)
    } else {
        (i64::from(d.year), i64::from(d.month) - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * m + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The linear-pace projection (see the module doc): `baseline + (actual − baseline) × (deadline −
/// start) ÷ (today − start)`, the actual itself before a day has passed, and never below the actual.
pub fn project(baseline: f64, actual: f64, start: Date, deadline: Date, today: Date) -> f64 {
    let elapsed = days(today.min(deadline)) - days(start);
    if elapsed <= 0 {
        return actual;
    }
    let span = (days(deadline) - days(start)) as f64;
    (baseline + (actual - baseline) * span / elapsed as f64).max(actual)
}

/// The quarter label of a date, e.g. `2026Q3`.
pub fn quarter_label(d: Date) -> String {
    format!("{}Q{}", d.year, d.quarter())
}

/// Sums `value` over `items` by `key`, in key order.
pub fn sum_by<'a, T>(
    items: &'a [T],
    key: impl Fn(&'a T) -> Option<String>,
    value: impl Fn(&'a T) -> f64,
) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for item in items {
        let v = value(item);
        if v != 0.0
            && let Some(k) = key(item)
        {
            *out.entry(k).or_insert(0.0) += v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn days_invert_from_days() {
        for n in [-800_000, -1, 0, 1, 20_429, 60_000] {
            assert_eq!(days(Date::from_days(n)), n);
        }
    }

    #[test]
    fn the_projection_extends_the_recorded_pace_to_the_deadline() {
        let (start, deadline) = (date("2025-01-01"), date("2027-12-31"));
        // A third of the way through, 10 added: about 30 by the deadline.
        let today = Date::from_days(days(start) + (days(deadline) - days(start)) / 3);
        let p = project(0.0, 10.0, start, deadline, today);
        assert!((p - 30.0).abs() < 0.1, "{p}");
        assert_eq!(project(100.0, 130.0, start, deadline, deadline), 130.0);
        assert_eq!(project(5.0, 5.0, start, deadline, start), 5.0);
    }

    #[test]
    fn actuals_add_verified_outcomes_to_the_baseline() {
        let b = BaselineSum::of(&[
            Baseline {
                year: 2024,
                patents_granted: 200,
                patents_converted: 10,
                contract_payments_wan_yuan: 1000.0,
            },
            Baseline {
                year: 2024,
                patents_granted: 200,
                patents_converted: 10,
                contract_payments_wan_yuan: 500.0,
            },
        ]);
        assert_eq!(b.value(TargetKey::PatentConversionRate), Some(5.0));
        assert_eq!(b.actual(TargetKey::PatentConversionRate, 4.0), Some(6.0));
        assert_eq!(b.actual(TargetKey::ContractPayments, 300.0), Some(1800.0));
        assert_eq!(b.actual(TargetKey::Platforms, 1.0), Some(1.0));
        assert_eq!(
            BaselineSum::default().value(TargetKey::PatentConversionRate),
            None
        );
    }

    #[test]
    fn specs_need_one_positive_target_and_ordered_dates() {
        let spec = TargetSpec {
            key: TargetKey::Platforms,
            name: "共建创新平台".into(),
            unit: "个".into(),
            target: Some(80.0),
            times_baseline: None,
            start: "2025-01-01".into(),
            deadline: "2027-12-31".into(),
            source: String::new(),
        };
        assert!(spec.problems().is_empty());
        let both = TargetSpec {
            times_baseline: Some(2.0),
            ..spec.clone()
        };
        assert_eq!(both.problems()[0].0, "target");
        let backwards = TargetSpec {
            start: "2028-01-01".into(),
            ..spec
        };
        assert_eq!(backwards.problems()[0].0, "deadline");
    }
}
