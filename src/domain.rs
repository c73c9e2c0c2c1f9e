//! The programme's vocabulary: tracks, zones, universities, teams and demands, exactly as the dataset
//! contract (v1, `datasets/README.md`) spells them, plus the id newtypes every other module uses.
//!
//! These types are plain data. Reading and validating files lives in `dataset`; nothing here does I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why `id` cannot be an id, or `None` when it can. Ids travel in URL paths and name records: at most
/// 128 characters, not empty, not `.` or `..`, and no whitespace, control characters, `/`, `\\`, `?`,
/// `#` or `%`.
pub fn id_problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        return Some("must not be empty");
    }
    if id == "." || id == ".." {
        return Some("must not be \".\" or \"..\"");
    }
    if id.chars().count() > 128 {
        return Some("must be at most 128 characters");
    }
    if id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%'))
    {
        return Some("must not contain whitespace, '/', '\\', '?', '#' or '%'");
    }
    None
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

id_type!(
    /// Id of an industry track (cluster, chain or future industry).
    TrackId
);
id_type!(
    /// Id of a high-tech zone.
    ZoneId
);
id_type!(
    /// Id of a university.
    UniversityId
);
id_type!(
    /// Id of a university research team.
    TeamId
);
id_type!(
    /// Id of an enterprise technology demand.
    DemandId
);

/// What kind of industrial track: one of the province's clusters, a key chain, or a future industry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    Cluster,
    Chain,
    Future,
}

/// An industrial direction a pairing can work in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Track {
    pub id: TrackId,
    pub name: String,
    pub kind: TrackKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<TrackId>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// National or provincial high-tech zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneLevel {
    National,
    Provincial,
}

/// A research or innovation platform (key lab, engineering centre, ...).
///
/// A zone's platform may be tied to tracks and to universities (a joint centre with one university);
/// a team's platform is its own and names neither.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    pub name: String,
    pub kind: String,
    /// Tracks the platform serves; empty: not tied to a track.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_ids: Vec<TrackId>,
    /// Universities the platform is run with; empty: open to every university.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub university_ids: Vec<UniversityId>,
}

/// A transformation fund a zone can put into a pairing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fund {
    pub name: String,
    pub size_wan_yuan: f64,
    /// Tracks the fund invests in; empty: the zone's general fund for every track.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_ids: Vec<TrackId>,
    /// Universities the fund is set up with; empty: open to every university.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub university_ids: Vec<UniversityId>,
}

/// A high-tech zone (高新区) in the programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub id: ZoneId,
    pub name: String,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<ZoneLevel>,
    pub industries: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_ids: Vec<TrackId>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<Platform>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funds: Vec<Fund>,
    /// The zone's figures at the programme's base year (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
}

/// Research university or applied (teaching-oriented) university.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UniversityKind {
    Research,
    Applied,
}

/// A university in the programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct University {
    pub id: UniversityId,
    pub name: String,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<UniversityKind>,
    #[serde(default)]
    pub disciplines: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The university's figures at the programme's base year (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
}

/// A university's or zone's figures at the programme's base year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub year: i32,
    #[serde(default)]
    pub patents_granted: u32,
    #[serde(default)]
    pub patents_converted: u32,
    /// Technology-conversion contract payments received in the base year, in 万元.
    #[serde(default)]
    pub contract_payments_wan_yuan: f64,
}

impl Baseline {
    /// The problems of this baseline as `(field, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(2000..=2100).contains(&self.year) {
            out.push(("baseline.year", "must be from 2000 to 2100".to_owned()));
        }
        if self.patents_converted > self.patents_granted {
            out.push((
                "baseline.patents_converted",
                "must not be above patents_granted".to_owned(),
            ));
        }
        let p = self.contract_payments_wan_yuan;
        if !p.is_finite() || p < 0.0 {
            out.push((
                "baseline.contract_payments_wan_yuan",
                "must be zero or positive".to_owned(),
            ));
        }
        out
    }
}

/// A team's leading talent (领军人才).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Leader {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub honors: Vec<String>,
}

/// What kind of research output an achievement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AchievementKind {
    Paper,
    Patent,
    Project,
    Standard,
    Award,
}

/// One research output of a team: a paper, patent, project, standard or award.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Achievement {
    pub kind: AchievementKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub r#abstract: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// A patent's number (专利号), e.g. ZL202310123456.6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patent_no: Option<String>,
    /// A patent's legal status as the university reports it, e.g. 有效, 审中.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_status: Option<String>,
    /// Whether the university offers the patent for transfer (可转化).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferable: Option<bool>,
}

/// Default number of projects a team can carry at once.
pub const DEFAULT_TEAM_CAPACITY: u32 = 3;

fn default_capacity() -> u32 {
    DEFAULT_TEAM_CAPACITY
}

/// A university research team, the supply side of a match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: TeamId,
    pub university_id: UniversityId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<Leader>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_ids: Vec<TrackId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<Platform>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub achievements: Vec<Achievement>,
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
}

/// The enterprise behind a demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enterprise {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub size: String,
}

impl Team {
    /// Gives back the spare capacity of the team's lists (a parser grows them by doubling, which at
    /// national scale leaves tens of megabytes unused).
    pub fn shrink_to_fit(&mut self) {
        self.fields.shrink_to_fit();
        self.keywords.shrink_to_fit();
        self.track_ids.shrink_to_fit();
        self.achievements.shrink_to_fit();
        self.platforms.shrink_to_fit();
        for p in &mut self.platforms {
            p.track_ids.shrink_to_fit();
            p.university_ids.shrink_to_fit();
        }
        if let Some(leader) = &mut self.leader {
            leader.honors.shrink_to_fit();
        }
    }
}

/// An enterprise technology demand (技术需求) raised in a zone, the demand side of a match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    pub id: DemandId,
    pub zone_id: ZoneId,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<Enterprise>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_ids: Vec<TrackId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_wan_yuan: Option<f64>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_university_ids: Vec<UniversityId>,
}

impl Demand {
    /// Gives back the spare capacity of the demand's lists (see [`Team::shrink_to_fit`]).
    pub fn shrink_to_fit(&mut self) {
        self.keywords.shrink_to_fit();
        self.track_ids.shrink_to_fit();
        self.excluded_university_ids.shrink_to_fit();
    }
}

/// A whole dataset, every file parsed and every reference resolved (built by `dataset::load`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    pub tracks: Vec<Track>,
    pub zones: Vec<Zone>,
    pub universities: Vec<University>,
    pub teams: Vec<Team>,
    pub demands: Vec<Demand>,
}
