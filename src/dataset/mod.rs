//! The dataset contract v1 on disk (`datasets/README.md`): reads a directory of JSON Lines files into a
//! [`Dataset`], validating every record and collecting every problem as `FILE:LINE: FIELD: message`;
//! validates one team or demand against an existing dataset (the service's path for single records); writes
//! a dataset back deterministically.
//!
//! Reading never panics and never stops at the first problem: a line that does not parse is reported and
//! skipped, every parsed record is checked (text, numbers, years, dates, duplicate ids, references), and the
//! caller gets either a fully valid dataset or the complete list of problems.
//!
//! ```no_run
//! use shuanggao::dataset;
//! use shuanggao::domain::Team;
//!
//! let ds = dataset::load("datasets/jiangsu".as_ref()).expect("valid dataset");
//! let body = r#"{"id": "t-new", "university_id": "u-seu", "name": "新团队", "description": "..."}"#;
//! match dataset::validate_record::<Team>(body, &ds) {
//!     Ok(team) => println!("accepted {}", team.id),
//!     Err(problems) => problems.iter().for_each(|p| println!("{p}")),
//! }
//! ```

mod calendar;
mod checks;
mod json_errors;
mod problems;
mod read;
mod record;
mod targets;
#[cfg(test)]
mod tests;
mod write;

pub use calendar::{civil_from_days, days_in_month, max_year, parse_date};
pub use problems::{DatasetError, FieldProblem, Problem, Problems};
pub use read::load;
pub(crate) use read::parse_lines;
pub use record::{
    Record, Refs, parse_record, parse_record_value, validate_record, validate_record_value,
};
pub use targets::{TARGETS_FILE, load_targets};
pub use write::{write, write_records};

/// File of the track taxonomy (optional).
pub const TRACKS_FILE: &str = "tracks.jsonl";
/// File of the high-tech zones (required).
pub const ZONES_FILE: &str = "zones.jsonl";
/// File of the universities (required).
pub const UNIVERSITIES_FILE: &str = "universities.jsonl";
/// File of the research teams (required).
pub const TEAMS_FILE: &str = "teams.jsonl";
/// File of the enterprise demands (required).
pub const DEMANDS_FILE: &str = "demands.jsonl";

/// The contract's files in reading and reporting order.
pub const FILES: [&str; 5] = [
    TRACKS_FILE,
    ZONES_FILE,
    UNIVERSITIES_FILE,
    TEAMS_FILE,
    DEMANDS_FILE,
];

/// How many problems `Display` of [`Problems`] lists before summarising the rest.
pub const MAX_LISTED: usize = 100;

/// Earliest year an achievement may carry.
pub const MIN_YEAR: i32 = 1900;

/// Field name used when a problem concerns a whole line or file rather than one field.
pub const NO_FIELD: &str = "-";
