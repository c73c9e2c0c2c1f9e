//! What an approved pairing achieves, as pure logic: the kinds of outcome a zone or university records
//! (benchmark project progress, contracts, payments received, patent conversions, platforms, leading
//! talents, graduate students), the checks each record must pass, and the department's verification.
//!
//! ```text
//! (recorded) ──▶ pending ──verify──▶ verified   (counts toward the programme's targets)
//!                        ──reject──▶ rejected   (needs a comment)
//! ```
//!
//! A decided outcome is final; a correction is recorded as a new outcome. Nothing here does I/O: the
//! store applies a [`Verification`] in the transaction that read the outcome's status, and checks a
//! payment against its contract with [`payment_fits`] in the transaction that sums the contract's
//! payments.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;

/// Largest amount one record may carry, in 万元 (100 亿元).
pub const MAX_AMOUNT_WAN_YUAN: f64 = 1_000_000.0;
/// Largest number of students one record may carry.
pub const MAX_STUDENTS: u32 = 10_000;
/// Earliest date an outcome may carry.
pub const EARLIEST: Date = Date {
    year: 2000,
    month: 1,
    day: 1,
};
/// Longest text field, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// A calendar date, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Today in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let (year, month, day) = crate::dataset::civil_from_days(days);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month,
            day,
        }
    }

    /// The quarter of the year, 1–4.
    pub fn quarter(self) -> u32 {
        (self.month - 1) / 3 + 1
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (year, month, day) = crate::dataset::parse_date(s)
            .ok_or_else(|| format!("{s:?} is not a date YYYY-MM-DD"))?;
        Ok(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Why an outcome record or a verification was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OutcomeError {
    /// A field breaks the rules of its kind.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A payment would bring its contract's payments above the contract's amount.
    #[error(
        "payment of {amount} 万元 would bring contract {contract_id} to {total} 万元 received, above its {contract_amount} 万元"
    )]
    PaymentAboveContract {
        contract_id: String,
        amount: f64,
        total: f64,
        contract_amount: f64,
    },
    /// The outcome was already verified or rejected.
    #[error("outcome is {0} already; record a new outcome to correct it")]
    AlreadyDecided(OutcomeStatus),
    #[error("a rejection needs a non-blank comment")]
    CommentRequired,
    #[error("unknown outcome status {0:?}")]
    UnknownStatus(String),
    #[error("unknown outcome kind {0:?}")]
    UnknownKind(String),
}

impl OutcomeError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            OutcomeError::Invalid { .. } => ErrorCode::InvalidOutcome,
            OutcomeError::PaymentAboveContract { .. } => ErrorCode::PaymentAboveContract,
            OutcomeError::AlreadyDecided(_) => ErrorCode::OutcomeDecided,
            OutcomeError::CommentRequired => ErrorCode::CommentRequired,
            OutcomeError::UnknownStatus(_) | OutcomeError::UnknownKind(_) => {
                ErrorCode::InvalidParameter
            }
        }
    }

    /// The offending field, when one is at fault.
    pub fn field(&self) -> Option<&str> {
        match self {
            OutcomeError::Invalid { field, .. } => Some(field),
            OutcomeError::PaymentAboveContract { .. } => Some("amount_wan_yuan"),
            OutcomeError::CommentRequired => Some("comment"),
            _ => None,
        }
    }

    fn invalid(field: &str, message: impl Into<String>) -> Self {
        OutcomeError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Declares a snake_case wire enum with `as_str`, `ALL`, `Display` and `FromStr`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $err:expr, { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The snake_case name used on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = OutcomeError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $err(s.to_owned()))
            }
        }
    };
}

wire_enum!(
    /// What an outcome records.
    OutcomeKind, OutcomeError::UnknownKind, {
        /// A benchmark project's progress.
        Project = "project",
        /// A technology contract signed with an enterprise.
        Contract = "contract",
        /// A payment received (到账) on a contract.
        Payment = "payment",
        /// A patent or achievement converted (transfer, licence, equity).
        PatentConversion = "patent_conversion",
        /// An innovation platform built.
        Platform = "platform",
        /// A leading talent appointed.
        Talent = "talent",
        /// Graduate students trained jointly.
        Students = "students",
    }
);

wire_enum!(
    /// Where an outcome stands with the department.
    OutcomeStatus, OutcomeError::UnknownStatus, {
        Pending = "pending",
        Verified = "verified",
        Rejected = "rejected",
    }
);

wire_enum!(
    /// A benchmark project's stage: planned → contracted → in progress → accepted, or terminated.
    ProjectStage, OutcomeError::UnknownStatus, {
        Planned = "planned",
        Contracted = "contracted",
        InProgress = "in_progress",
        Accepted = "accepted",
        Terminated = "terminated",
    }
);

wire_enum!(
    /// How a patent or achievement is converted.
    ConversionMode, OutcomeError::UnknownStatus, {
        Transfer = "transfer",
        Licence = "licence",
        Equity = "equity",
    }
);

wire_enum!(
    /// The degree of jointly trained graduate students.
    StudentDegree, OutcomeError::UnknownStatus, {
        Master = "master",
        Doctoral = "doctoral",
    }
);

/// One outcome as recorded: `kind` says which, the other fields are that kind's. Amounts are in 万元,
/// dates `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutcomeDetail {
    /// A benchmark project's progress, for a demand of the bundle or one added later.
    Project {
        /// The demand the project answers, when it is one of the catalog's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        demand_id: Option<String>,
        title: String,
        stage: ProjectStage,
        /// When the project reached this stage.
        date: String,
    },
    /// A technology contract signed with an enterprise.
    Contract {
        enterprise: String,
        amount_wan_yuan: f64,
        signed_on: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// A payment received (到账) on a contract of the same pairing; never above what remains of it.
    Payment {
        /// The outcome id of the contract.
        contract_id: String,
        amount_wan_yuan: f64,
        received_on: String,
    },
    /// A patent or achievement converted to an enterprise.
    PatentConversion {
        /// The achievement's title, when no patent number names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        achievement: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        patent_no: Option<String>,
        mode: ConversionMode,
        amount_wan_yuan: f64,
        enterprise: String,
        date: String,
    },
    /// An innovation platform built.
    Platform {
        name: String,
        /// E.g. 联合实验室, 中试基地, 新型研发机构.
        platform_kind: String,
        /// E.g. 国家级, 省级, 市级.
        level: String,
        built_on: String,
    },
    /// A leading talent appointed.
    Talent {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        appointed_on: String,
    },
    /// Graduate students trained jointly in a year.
    Students {
        year: i32,
        degree: StudentDegree,
        count: u32,
    },
}

/// A non-blank text of at most [`MAX_TEXT_CHARS`] characters.
fn text(field: &str, value: &str) -> Result<(), OutcomeError> {
    if value.trim().is_empty() {
        return Err(OutcomeError::invalid(field, "must not be blank"));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(OutcomeError::invalid(
            field,
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(())
}

fn optional_text(field: &str, value: Option<&String>) -> Result<(), OutcomeError> {
    value.map_or(Ok(()), |v| text(field, v))
}

/// A positive, finite amount of at most [`MAX_AMOUNT_WAN_YUAN`].
fn amount(value: f64) -> Result<(), OutcomeError> {
    if !value.is_finite() || value <= 0.0 {
        return Err(OutcomeError::invalid("amount_wan_yuan", "must be positive"));
    }
    if value > MAX_AMOUNT_WAN_YUAN {
        return Err(OutcomeError::invalid(
            "amount_wan_yuan",
            format!("must be at most {MAX_AMOUNT_WAN_YUAN} 万元"),
        ));
    }
    Ok(())
}

/// A date from [`EARLIEST`] to `today`.
fn date(field: &str, value: &str, today: Date) -> Result<Date, OutcomeError> {
    let d: Date = value
        .parse()
        .map_err(|message: String| OutcomeError::invalid(field, message))?;
    if d < EARLIEST {
        return Err(OutcomeError::invalid(
            field,
            format!("must not be before {EARLIEST}"),
        ));
    }
    if d > today {
        return Err(OutcomeError::invalid(
            field,
            format!("must not be in the future (today is {today})"),
        ));
    }
    Ok(d)
}

impl OutcomeDetail {
    /// What this outcome records.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            OutcomeDetail::Project { .. } => OutcomeKind::Project,
            OutcomeDetail::Contract { .. } => OutcomeKind::Contract,
            OutcomeDetail::Payment { .. } => OutcomeKind::Payment,
            OutcomeDetail::PatentConversion { .. } => OutcomeKind::PatentConversion,
            OutcomeDetail::Platform { .. } => OutcomeKind::Platform,
            OutcomeDetail::Talent { .. } => OutcomeKind::Talent,
            OutcomeDetail::Students { .. } => OutcomeKind::Students,
        }
    }

    /// The amount in 万元 it carries (contracts, payments, conversions).
    pub fn amount_wan_yuan(&self) -> Option<f64> {
        match self {
            OutcomeDetail::Contract {
                amount_wan_yuan, ..
            }
            | OutcomeDetail::Payment {
                amount_wan_yuan, ..
            }
            | OutcomeDetail::PatentConversion {
                amount_wan_yuan, ..
            } => Some(*amount_wan_yuan),
            _ => None,
        }
    }

    /// The contract a payment is received on.
    pub fn contract_id(&self) -> Option<&str> {
        match self {
            OutcomeDetail::Payment { contract_id, .. } => Some(contract_id),
            _ => None,
        }
    }

    /// The date the outcome happened on (for students, 1 July of their year).
    pub fn date(&self) -> Option<Date> {
        let text = match self {
            OutcomeDetail::Project { date, .. } | OutcomeDetail::PatentConversion { date, .. } => {
                date
            }
            OutcomeDetail::Contract { signed_on, .. } => signed_on,
            OutcomeDetail::Payment { received_on, .. } => received_on,
            OutcomeDetail::Platform { built_on, .. } => built_on,
            OutcomeDetail::Talent { appointed_on, .. } => appointed_on,
            OutcomeDetail::Students { year, .. } => {
                return Some(Date {
                    year: *year,
                    month: 7,
                    day: 1,
                });
            }
        };
        text.parse().ok()
    }

    /// Checks every field of the record as of `today`: texts non-blank and bounded, amounts positive
    /// and bounded, dates from [`EARLIEST`] to today, student counts 1–[`MAX_STUDENTS`] in a year from
    /// 2000 to this one.
    pub fn check(&self, today: Date) -> Result<(), OutcomeError> {
        match self {
            OutcomeDetail::Project {
                demand_id,
                title,
                stage: _,
                date: on,
            } => {
                optional_text("demand_id", demand_id.as_ref())?;
                text("title", title)?;
                date("date", on, today)?;
            }
            OutcomeDetail::Contract {
                enterprise,
                amount_wan_yuan,
                signed_on,
                title,
            } => {
                text("enterprise", enterprise)?;
                amount(*amount_wan_yuan)?;
                date("signed_on", signed_on, today)?;
                optional_text("title", title.as_ref())?;
            }
            OutcomeDetail::Payment {
                contract_id,
                amount_wan_yuan,
                received_on,
            } => {
                text("contract_id", contract_id)?;
                amount(*amount_wan_yuan)?;
                date("received_on", received_on, today)?;
            }
            OutcomeDetail::PatentConversion {
                achievement,
                patent_no,
                mode: _,
                amount_wan_yuan,
                enterprise,
                date: on,
            } => {
                optional_text("achievement", achievement.as_ref())?;
                optional_text("patent_no", patent_no.as_ref())?;
                if achievement.is_none() && patent_no.is_none() {
                    return Err(OutcomeError::invalid(
                        "patent_no",
                        "name the patent number or the achievement",
                    ));
                }
                amount(*amount_wan_yuan)?;
                text("enterprise", enterprise)?;
                date("date", on, today)?;
            }
            OutcomeDetail::Platform {
                name,
                platform_kind,
                level,
                built_on,
            } => {
                text("name", name)?;
                text("platform_kind", platform_kind)?;
                text("level", level)?;
                date("built_on", built_on, today)?;
            }
            OutcomeDetail::Talent {
                name,
                title,
                appointed_on,
            } => {
                text("name", name)?;
                optional_text("title", title.as_ref())?;
                date("appointed_on", appointed_on, today)?;
            }
            OutcomeDetail::Students {
                year,
                degree: _,
                count,
            } => {
                if !(EARLIEST.year..=today.year).contains(year) {
                    return Err(OutcomeError::invalid(
                        "year",
                        format!("must be from {} to {}", EARLIEST.year, today.year),
                    ));
                }
                if !(1..=MAX_STUDENTS).contains(count) {
                    return Err(OutcomeError::invalid(
                        "count",
                        format!("must be from 1 to {MAX_STUDENTS}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether a payment of `amount` fits its contract of `contract_amount` when `received` was recorded
/// on it before (rejected payments not counted). A cent of tolerance absorbs decimal rounding.
pub fn payment_fits(
    contract_id: &str,
    contract_amount: f64,
    received: f64,
    amount: f64,
) -> Result<(), OutcomeError> {
    let total = received + amount;
    if total > contract_amount + 1e-6 {
        return Err(OutcomeError::PaymentAboveContract {
            contract_id: contract_id.to_owned(),
            amount,
            total,
            contract_amount,
        });
    }
    Ok(())
}

/// The department's decision on a recorded outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Verify,
    Reject,
}

/// What an outcome's history records for one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeAction {
    /// The outcome was recorded (first entry).
    Record,
    Verify,
    Reject,
}

impl OutcomeAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeAction::Record => "record",
            OutcomeAction::Verify => "verify",
            OutcomeAction::Reject => "reject",
        }
    }
}

impl FromStr for OutcomeAction {
    type Err = OutcomeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            OutcomeAction::Record,
            OutcomeAction::Verify,
            OutcomeAction::Reject,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
        .ok_or_else(|| OutcomeError::UnknownStatus(s.to_owned()))
    }
}

/// The status a decision leads to from `status`, and the history action: only a pending outcome may be
/// decided, and a rejection needs a comment.
pub fn decide(
    status: OutcomeStatus,
    decision: Verification,
    comment: &str,
) -> Result<(OutcomeStatus, OutcomeAction), OutcomeError> {
    if status != OutcomeStatus::Pending {
        return Err(OutcomeError::AlreadyDecided(status));
    }
    match decision {
        Verification::Verify => Ok((OutcomeStatus::Verified, OutcomeAction::Verify)),
        Verification::Reject if comment.trim().is_empty() => Err(OutcomeError::CommentRequired),
        Verification::Reject => Ok((OutcomeStatus::Rejected, OutcomeAction::Reject)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TODAY: Date = Date {
        year: 2026,
        month: 12,
        day: 7,
    };

    fn detail(v: serde_json::Value) -> OutcomeDetail {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn dates_parse_strictly_and_count_days() {
        assert_eq!(
            "2024-02-29".parse::<Date>(),
            Ok(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101",
            "2024-00-10",
            "２０２４-01-01",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_429).to_string(), "2025-12-07");
        assert_eq!("2026-11-30".parse::<Date>().unwrap().quarter(), 4);
    }

    #[test]
    fn records_are_checked_field_by_field() {
        let contract = |amount: f64, on: &str| {
            detail(json!({"kind": "contract", "enterprise": "苏州某储能公司",
                "amount_wan_yuan": amount, "signed_on": on}))
        };
        assert_eq!(contract(500.0, "2026-03-01").check(TODAY), Ok(()));
        let field = |d: OutcomeDetail| d.check(TODAY).unwrap_err().field().map(str::to_owned);
        assert_eq!(
            field(contract(0.0, "2026-03-01")).as_deref(),
            Some("amount_wan_yuan")
        );
        assert_eq!(
            field(contract(-3.0, "2026-03-01")).as_deref(),
            Some("amount_wan_yuan")
        );
        assert_eq!(
            field(contract(2e6, "2026-03-01")).as_deref(),
            Some("amount_wan_yuan")
        );
        assert_eq!(
            field(contract(5.0, "2027-01-01")).as_deref(),
            Some("signed_on")
        );
        assert_eq!(
            field(contract(5.0, "1999-12-31")).as_deref(),
            Some("signed_on")
        );
        let students = |year: i32, count: u32| {
            detail(json!({"kind": "students", "year": year, "degree": "master", "count": count}))
        };
        assert_eq!(students(2026, 12).check(TODAY), Ok(()));
        assert_eq!(field(students(2026, 0)).as_deref(), Some("count"));
        assert_eq!(field(students(2027, 3)).as_deref(), Some("year"));
        let conversion = detail(json!({"kind": "patent_conversion", "mode": "licence",
            "amount_wan_yuan": 80.0, "enterprise": "某公司", "date": "2026-05-01"}));
        assert_eq!(field(conversion).as_deref(), Some("patent_no"));
        let blank = detail(
            json!({"kind": "platform", "name": " ", "platform_kind": "联合实验室",
            "level": "省级", "built_on": "2026-05-01"}),
        );
        assert_eq!(field(blank).as_deref(), Some("name"));
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        let extra =
            json!({"kind": "talent", "name": "王教授", "appointed_on": "2026-01-01", "x": 1});
        assert!(serde_json::from_value::<OutcomeDetail>(extra).is_err());
        let kind = json!({"kind": "award", "name": "王教授"});
        assert!(serde_json::from_value::<OutcomeDetail>(kind).is_err());
    }

    #[test]
    fn a_payment_never_exceeds_its_contract() {
        assert_eq!(payment_fits("c", 500.0, 0.0, 300.0), Ok(()));
        assert_eq!(payment_fits("c", 500.0, 300.0, 200.0), Ok(()));
        let err = payment_fits("c", 500.0, 300.0, 200.01).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PaymentAboveContract);
        assert_eq!(err.code().status(), 422);
    }

    #[test]
    fn only_pending_outcomes_are_decided() {
        use OutcomeStatus::*;
        assert_eq!(
            decide(Pending, Verification::Verify, ""),
            Ok((Verified, OutcomeAction::Verify))
        );
        assert_eq!(
            decide(Pending, Verification::Reject, " "),
            Err(OutcomeError::CommentRequired)
        );
        assert_eq!(
            decide(Pending, Verification::Reject, "金额与合同不符"),
            Ok((Rejected, OutcomeAction::Reject))
        );
        for decided in [Verified, Rejected] {
            for d in [Verification::Verify, Verification::Reject] {
                assert_eq!(
                    decide(decided, d, "x"),
                    Err(OutcomeError::AlreadyDecided(decided))
                );
            }
        }
    }
}
