//! The [`Record`] trait over the five kinds of contract records, the ids they may refer to, and parsing
//! and validating one record on its own.

use std::collections::HashSet;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::json_errors::{json_problem, translate_error};
use super::{FieldProblem, NO_FIELD};
use crate::domain::Dataset;

/// The ids other records may point at: tracks, zones and universities. Build it once per dataset with
/// [`Refs::of`] (cheap: teams and demands are never reference targets).
#[derive(Debug, Clone, Default)]
pub struct Refs {
    pub(super) tracks: HashSet<String>,
    pub(super) zones: HashSet<String>,
    pub(super) universities: HashSet<String>,
}

impl Refs {
    pub fn of(ds: &Dataset) -> Self {
        Self {
            tracks: ds.tracks.iter().map(|t| t.id.0.clone()).collect(),
            zones: ds.zones.iter().map(|z| z.id.0.clone()).collect(),
            universities: ds.universities.iter().map(|u| u.id.0.clone()).collect(),
        }
    }

    pub fn has_track(&self, id: &str) -> bool {
        self.tracks.contains(id)
    }

    pub fn has_zone(&self, id: &str) -> bool {
        self.zones.contains(id)
    }

    pub fn has_university(&self, id: &str) -> bool {
        self.universities.contains(id)
    }
}

/// One kind of record of the contract: which file holds it, its id, and the checks a parsed record must
/// pass. Implemented by [`Track`], [`Zone`], [`University`], [`Team`] and [`Demand`].
pub trait Record: Serialize + DeserializeOwned + Send + Sync {
    /// The contract file holding this kind of record.
    const FILE: &'static str;
    /// What one record is called in messages (`team`).
    const NOUN: &'static str;

    fn id(&self) -> &str;

    /// Every content and reference problem of one parsed record: empty text, impossible numbers, years and
    /// dates, references that do not resolve in `refs`. Duplicate ids are not a property of one record and
    /// are checked by [`load`] only.
    fn check(&self, refs: &Refs) -> Vec<FieldProblem>;
}

/// Parses one record from JSON text. The error names the first problem with its field path (unknown field,
/// missing field, wrong type, negative count, malformed JSON).
pub fn parse_record<R: Record>(json: &str) -> Result<R, FieldProblem> {
    // serde also accepts a struct written as an array of its fields; the contract does not.
    let found = match json.trim_start().chars().next() {
        Some('[') => Some("an array"),
        Some('"') => Some("a string"),
        Some('t' | 'f') => Some("a boolean"),
        Some('n') => Some("null"),
        Some(c) if c == '-' || c.is_ascii_digit() => Some("a number"),
        _ => None,
    };
    if let Some(found) = found
        && serde_json::from_str::<serde::de::IgnoredAny>(json).is_ok()
    {
        return Err(not_an_object(found));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let record: R =
        serde_path_to_error::deserialize(&mut de).map_err(|err| translate_error(err, json))?;
    de.end().map_err(|err| json_problem(&err, json))?;
    Ok(record)
}

/// Parses one record from an already decoded JSON value (for a request body read as JSON).
pub fn parse_record_value<R: Record>(value: serde_json::Value) -> Result<R, FieldProblem> {
    let found = match &value {
        serde_json::Value::Object(_) => None,
        serde_json::Value::Array(_) => Some("an array"),
        serde_json::Value::String(_) => Some("a string"),
        serde_json::Value::Bool(_) => Some("a boolean"),
        serde_json::Value::Number(_) => Some("a number"),
        serde_json::Value::Null => Some("null"),
    };
    if let Some(found) = found {
        return Err(not_an_object(found));
    }
    serde_path_to_error::deserialize(value).map_err(|err| translate_error(err, ""))
}

/// Parses one record and checks it against `ds`: the service's entry point for adding or replacing a single
/// team or demand. Returns the record or every problem found (one parse problem, or all check problems).
/// Whether the id already exists is left to the caller, which knows whether it creates or replaces.
pub fn validate_record<R: Record>(json: &str, ds: &Dataset) -> Result<R, Vec<FieldProblem>> {
    let record = parse_record::<R>(json).map_err(|p| vec![p])?;
    check_record(record, &Refs::of(ds))
}

/// Like [`validate_record`] for an already decoded JSON value.
pub fn validate_record_value<R: Record>(
    value: serde_json::Value,
    ds: &Dataset,
) -> Result<R, Vec<FieldProblem>> {
    let record = parse_record_value::<R>(value).map_err(|p| vec![p])?;
    check_record(record, &Refs::of(ds))
}

fn not_an_object(found: &str) -> FieldProblem {
    FieldProblem::new(
        NO_FIELD,
        format!("wrong type: expected an object, found {found}"),
    )
}

fn check_record<R: Record>(record: R, refs: &Refs) -> Result<R, Vec<FieldProblem>> {
    let problems = record.check(refs);
    if problems.is_empty() {
        Ok(record)
    } else {
        Err(problems)
    }
}
