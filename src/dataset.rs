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

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::domain::{Dataset, Demand, Team, Track, TrackId, University, Zone};
use crate::error_code::ErrorCode;

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

/// One problem inside one record: the JSON path of the field (`achievements[2].year`, or `-` for the whole
/// record) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// One problem in a dataset, printed as `FILE:LINE: FIELD: message`. Lines count from 1; line 0 means the
/// file as a whole (for example a missing required file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl Problem {
    fn at(file: &str, line: usize, problem: FieldProblem) -> Self {
        Self {
            file: file.to_owned(),
            line,
            field: problem.field,
            message: problem.message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// Every problem found in a dataset, in file order (tracks, zones, universities, teams, demands) then line
/// order. `Display` prints the first [`MAX_LISTED`] one per line, then `... and N more problems`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(Vec<Problem>);

impl Problems {
    pub fn as_slice(&self) -> &[Problem] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().take(MAX_LISTED).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        if self.0.len() > MAX_LISTED {
            write!(f, "\n... and {} more problems", self.0.len() - MAX_LISTED)?;
        }
        Ok(())
    }
}

/// What can go wrong reading or writing a dataset.
#[derive(Debug, Error)]
pub enum DatasetError {
    /// The dataset breaks the contract; every problem found is listed.
    #[error("{0}")]
    Invalid(Problems),
    /// A contract file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl DatasetError {
    /// Stable machine-readable code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidDataset,
            Self::Write { .. } => ErrorCode::DatasetWriteFailed,
        }
    }

    /// The problems of an invalid dataset (empty for other errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Invalid(problems) => problems.as_slice(),
            Self::Write { .. } => &[],
        }
    }
}

/// The ids other records may point at: tracks, zones and universities. Build it once per dataset with
/// [`Refs::of`] (cheap: teams and demands are never reference targets).
#[derive(Debug, Clone, Default)]
pub struct Refs {
    tracks: HashSet<String>,
    zones: HashSet<String>,
    universities: HashSet<String>,
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

/// Reads and validates the dataset in `dir`. Returns the dataset, or every problem found in it.
pub fn load(dir: &Path) -> Result<Dataset, DatasetError> {
    let mut problems = Vec::new();
    let mut failed_ids = FailedIds::default();

    let tracks = read_file::<Track>(dir, false, &mut problems, &mut failed_ids.tracks);
    let zones = read_file::<Zone>(dir, true, &mut problems, &mut failed_ids.zones);
    let universities =
        read_file::<University>(dir, true, &mut problems, &mut failed_ids.universities);
    let teams = read_file::<Team>(dir, true, &mut problems, &mut Vec::new());
    let demands = read_file::<Demand>(dir, true, &mut problems, &mut Vec::new());

    let mut refs = Refs {
        tracks: tracks.iter().map(|(_, t)| t.id.0.clone()).collect(),
        zones: zones.iter().map(|(_, z)| z.id.0.clone()).collect(),
        universities: universities.iter().map(|(_, u)| u.id.0.clone()).collect(),
    };
    // Records whose line failed to parse still count as existing, so one broken line does not also turn
    // every reference to it into a second problem.
    refs.tracks.extend(failed_ids.tracks);
    refs.zones.extend(failed_ids.zones);
    refs.universities.extend(failed_ids.universities);

    check_records(&tracks, &refs, &mut problems);
    check_parent_cycles(&tracks, &mut problems);
    check_records(&zones, &refs, &mut problems);
    check_records(&universities, &refs, &mut problems);
    check_records(&teams, &refs, &mut problems);
    check_records(&demands, &refs, &mut problems);

    if !problems.is_empty() {
        let rank = |file: &str| FILES.iter().position(|f| *f == file).unwrap_or(FILES.len());
        problems.sort_by_key(|p| (rank(&p.file), p.line));
        return Err(DatasetError::Invalid(Problems(problems)));
    }
    Ok(Dataset {
        tracks: strip(tracks),
        zones: strip(zones),
        universities: strip(universities),
        teams: strip(teams),
        demands: strip(demands),
    })
}

fn strip<R>(records: Vec<(usize, R)>) -> Vec<R> {
    records.into_iter().map(|(_, r)| r).collect()
}

#[derive(Default)]
struct FailedIds {
    tracks: Vec<String>,
    zones: Vec<String>,
    universities: Vec<String>,
}

/// Reads one contract file into `(line, record)` pairs, reporting unreadable, non-UTF-8 and unparsable lines.
fn read_file<R: Record>(
    dir: &Path,
    required: bool,
    problems: &mut Vec<Problem>,
    failed_ids: &mut Vec<String>,
) -> Vec<(usize, R)> {
    let bytes = match fs::read(dir.join(R::FILE)) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            if required {
                problems.push(Problem::at(
                    R::FILE,
                    0,
                    FieldProblem::new(NO_FIELD, "missing required file"),
                ));
            }
            return Vec::new();
        }
        Err(err) => {
            let message = format!("cannot read file: {err}");
            problems.push(Problem::at(
                R::FILE,
                0,
                FieldProblem::new(NO_FIELD, message),
            ));
            return Vec::new();
        }
    };
    let (records, file_problems, ids) = parse_lines::<R>(&bytes);
    problems.extend(
        file_problems
            .into_iter()
            .map(|(line, p)| Problem::at(R::FILE, line, p)),
    );
    failed_ids.extend(ids);
    records
}

/// A parsed line, or its problem and the id it still carries.
type LineResult<R> = Result<R, (FieldProblem, Option<String>)>;

type ParsedLines<R> = (Vec<(usize, R)>, Vec<(usize, FieldProblem)>, Vec<String>);

/// Parses the bytes of one JSON Lines file: records with their line numbers, problems with theirs, and the
/// ids of lines that failed to parse but still carry a string `id`.
pub(crate) fn parse_lines<R: Record>(bytes: &[u8]) -> ParsedLines<R> {
    let lines: Vec<(usize, &[u8])> = split_lines(bytes)
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .collect();
    let parsed: Vec<(usize, LineResult<R>)> = lines
        .par_iter()
        .map(|&(number, line)| (number, parse_line::<R>(line)))
        .collect();
    let mut records = Vec::with_capacity(parsed.len());
    let mut problems = Vec::new();
    let mut failed_ids = Vec::new();
    for (number, result) in parsed {
        match result {
            Ok(record) => records.push((number, record)),
            Err((problem, id)) => {
                problems.push((number, problem));
                failed_ids.extend(id);
            }
        }
    }
    (records, problems, failed_ids)
}

/// Splits on `\n` into 1-based numbered lines, dropping a trailing `\r` and a leading byte-order mark.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if ends_with_newline {
        lines.pop();
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix(b"\r").unwrap_or(line)))
}

fn parse_line<R: Record>(line: &[u8]) -> LineResult<R> {
    let text = std::str::from_utf8(line).map_err(|err| {
        let message = format!("not valid UTF-8 (byte {})", err.valid_up_to() + 1);
        (FieldProblem::new(NO_FIELD, message), None)
    })?;
    parse_record::<R>(text).map_err(|problem| {
        let id = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned))
            .filter(|id| !id.trim().is_empty());
        (problem, id)
    })
}

fn check_records<R: Record>(records: &[(usize, R)], refs: &Refs, problems: &mut Vec<Problem>) {
    let mut first_line: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (line, record) in records {
        let id = record.id();
        if !id.trim().is_empty() {
            if let Some(first) = first_line.get(id) {
                let message = format!("duplicate id \"{id}\" (first on line {first})");
                problems.push(Problem::at(
                    R::FILE,
                    *line,
                    FieldProblem::new("id", message),
                ));
            } else {
                first_line.insert(id, *line);
            }
        }
    }
    let checked: Vec<(usize, Vec<FieldProblem>)> = records
        .par_iter()
        .map(|(line, record)| (*line, record.check(refs)))
        .collect();
    for (line, found) in checked {
        problems.extend(found.into_iter().map(|p| Problem::at(R::FILE, line, p)));
    }
}

/// Reports every track whose chain of `parent`s leads back to itself.
fn check_parent_cycles(tracks: &[(usize, Track)], problems: &mut Vec<Problem>) {
    let parent: HashMap<&str, &str> = tracks
        .iter()
        .filter_map(|(_, t)| t.parent.as_ref().map(|p| (t.id.as_str(), p.as_str())))
        .collect();
    for (line, track) in tracks {
        let start = track.id.as_str();
        let mut seen = HashSet::new();
        let mut current = start;
        while let Some(&next) = parent.get(current) {
            if next == start {
                let message = format!("parent chain of \"{start}\" loops back to itself");
                problems.push(Problem::at(
                    TRACKS_FILE,
                    *line,
                    FieldProblem::new("parent", message),
                ));
                break;
            }
            if !seen.insert(next) {
                break;
            }
            current = next;
        }
    }
}

/// Writes `ds` into `dir` as the five contract files, one compact JSON object per line, in the dataset's
/// record order: the same dataset always gives the same bytes.
pub fn write(dir: &Path, ds: &Dataset) -> Result<(), DatasetError> {
    fs::create_dir_all(dir).map_err(|source| DatasetError::Write {
        path: dir.to_owned(),
        source,
    })?;
    write_records(&dir.join(TRACKS_FILE), &ds.tracks)?;
    write_records(&dir.join(ZONES_FILE), &ds.zones)?;
    write_records(&dir.join(UNIVERSITIES_FILE), &ds.universities)?;
    write_records(&dir.join(TEAMS_FILE), &ds.teams)?;
    write_records(&dir.join(DEMANDS_FILE), &ds.demands)?;
    Ok(())
}

/// Writes records to one JSON Lines file, one compact object per line.
pub fn write_records<R: Serialize>(path: &Path, records: &[R]) -> Result<(), DatasetError> {
    let fail = |source: io::Error| DatasetError::Write {
        path: path.to_owned(),
        source,
    };
    let file = fs::File::create(path).map_err(fail)?;
    let mut out = BufWriter::new(file);
    for record in records {
        serde_json::to_writer(&mut out, record).map_err(|err| fail(io::Error::other(err)))?;
        out.write_all(b"\n").map_err(fail)?;
    }
    out.flush().map_err(fail)
}

// ---------------------------------------------------------------------------------------------------------
// Parse errors into field problems.

fn translate_error(err: serde_path_to_error::Error<serde_json::Error>, json: &str) -> FieldProblem {
    let path = field_path(err.path());
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            translate_data(&path, &message_without_position(&inner))
        }
        _ => json_problem(&inner, json),
    }
}

/// A syntax problem, located by its column in characters (serde_json counts bytes).
fn json_problem(err: &serde_json::Error, json: &str) -> FieldProblem {
    let message = message_without_position(err);
    let byte = err.column().saturating_sub(1);
    let column = json.char_indices().take_while(|(at, _)| *at < byte).count() + 1;
    FieldProblem::new(
        NO_FIELD,
        format!("malformed JSON: {message} (column {column})"),
    )
}

fn message_without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => push_key(&mut out, key),
            Segment::Unknown => push_key(&mut out, "?"),
        }
    }
    out
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    // An empty key still needs a visible name.
    path.push_str(if key.is_empty() { "\"\"" } else { key });
}

fn join_field(path: &str, key: &str) -> String {
    let key = if key.is_empty() { "\"\"" } else { key };
    let already_there = path == key || path.ends_with(&format!(".{key}"));
    if already_there {
        return path.to_owned();
    }
    let mut out = path.to_owned();
    push_key(&mut out, key);
    out
}

fn or_no_field(path: &str) -> String {
    if path.is_empty() {
        NO_FIELD.to_owned()
    } else {
        path.to_owned()
    }
}

/// Between the first pair of backticks of a serde message.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn translate_data(path: &str, message: &str) -> FieldProblem {
    if let Some(rest) = message.strip_prefix("missing field ") {
        let key = quoted(rest).unwrap_or(rest);
        return FieldProblem::new(join_field(path, key), "missing required field");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let key = quoted(rest).unwrap_or(rest);
        return FieldProblem::new(join_field(path, key), "unknown field");
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let key = quoted(rest).unwrap_or(rest);
        return FieldProblem::new(join_field(path, key), "field appears twice");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let message = format!(
            "wrong type: expected {}, found {}",
            expected_name(expected),
            found_name(found)
        );
        return FieldProblem::new(or_no_field(path), message);
    }
    if let Some(rest) = message.strip_prefix("invalid value: integer ") {
        let number = quoted(rest).unwrap_or(rest);
        let message = if number.starts_with('-') {
            format!("must not be negative, found {number}")
        } else {
            format!("number out of range, found {number}")
        };
        return FieldProblem::new(or_no_field(path), message);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let value = quoted(rest).unwrap_or(rest);
        let expected = rest
            .split_once(", expected ")
            .map_or("", |(_, e)| e)
            .replace('`', "");
        let message = format!("unknown value \"{value}\", expected {expected}");
        return FieldProblem::new(or_no_field(path), message);
    }
    FieldProblem::new(or_no_field(path), message.to_owned())
}

fn expected_name(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "an object".to_owned(),
        other if other.starts_with("struct ") => "an object".to_owned(),
        other => other.to_owned(),
    }
}

fn found_name(found: &str) -> String {
    match found {
        "sequence" => "an array".to_owned(),
        "map" => "an object".to_owned(),
        "null" => "null".to_owned(),
        other => other.replace('`', ""),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Record checks.

/// Collects the problems of one record.
struct Checker<'a> {
    refs: &'a Refs,
    out: Vec<FieldProblem>,
}

impl<'a> Checker<'a> {
    fn new(refs: &'a Refs) -> Self {
        Self {
            refs,
            out: Vec::new(),
        }
    }

    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.out.push(FieldProblem::new(field, message));
    }

    /// A required text: not empty or blank.
    fn text(&mut self, field: &str, value: &str) -> bool {
        let ok = !value.trim().is_empty();
        if !ok {
            self.push(field, "must not be empty");
        }
        ok
    }

    /// Each entry of a list of texts is not blank.
    fn texts(&mut self, field: &str, values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            self.text(&format!("{field}[{i}]"), value);
        }
    }

    fn track_refs(&mut self, field: &str, ids: &[TrackId]) {
        for (i, id) in ids.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if self.text(&at, id.as_str()) && !self.refs.has_track(id.as_str()) {
                self.push(at, format!("unknown track \"{id}\""));
            }
        }
    }

    fn university_ref(&mut self, field: &str, id: &str) {
        if self.text(field, id) && !self.refs.has_university(id) {
            self.push(field, format!("unknown university \"{id}\""));
        }
    }

    fn platforms(&mut self, platforms: &[crate::domain::Platform]) {
        for (i, platform) in platforms.iter().enumerate() {
            self.text(&format!("platforms[{i}].name"), &platform.name);
            self.text(&format!("platforms[{i}].kind"), &platform.kind);
        }
    }

    fn not_negative(&mut self, field: &str, value: f64) {
        if !value.is_finite() || value < 0.0 {
            self.push(field, format!("must not be negative, found {value}"));
        }
    }

    fn at_least_one(&mut self, field: &str, value: u32) {
        if value == 0 {
            self.push(field, "must be at least 1, found 0");
        }
    }

    fn done(self) -> Vec<FieldProblem> {
        self.out
    }
}

impl Record for Track {
    const FILE: &'static str = TRACKS_FILE;
    const NOUN: &'static str = "track";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn check(&self, refs: &Refs) -> Vec<FieldProblem> {
        let mut c = Checker::new(refs);
        c.text("id", self.id.as_str());
        c.text("name", &self.name);
        c.texts("keywords", &self.keywords);
        if let Some(parent) = &self.parent {
            if parent == &self.id {
                c.push("parent", "a track cannot be its own parent");
            } else if c.text("parent", parent.as_str()) && !refs.has_track(parent.as_str()) {
                c.push("parent", format!("unknown track \"{parent}\""));
            }
        }
        c.done()
    }
}

impl Record for Zone {
    const FILE: &'static str = ZONES_FILE;
    const NOUN: &'static str = "zone";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn check(&self, refs: &Refs) -> Vec<FieldProblem> {
        let mut c = Checker::new(refs);
        c.text("id", self.id.as_str());
        c.text("name", &self.name);
        c.text("city", &self.city);
        c.texts("industries", &self.industries);
        c.track_refs("track_ids", &self.track_ids);
        c.platforms(&self.platforms);
        for (i, fund) in self.funds.iter().enumerate() {
            c.text(&format!("funds[{i}].name"), &fund.name);
            c.not_negative(&format!("funds[{i}].size_wan_yuan"), fund.size_wan_yuan);
        }
        c.done()
    }
}

impl Record for University {
    const FILE: &'static str = UNIVERSITIES_FILE;
    const NOUN: &'static str = "university";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn check(&self, refs: &Refs) -> Vec<FieldProblem> {
        let mut c = Checker::new(refs);
        c.text("id", self.id.as_str());
        c.text("name", &self.name);
        c.text("city", &self.city);
        c.texts("disciplines", &self.disciplines);
        c.done()
    }
}

impl Record for Team {
    const FILE: &'static str = TEAMS_FILE;
    const NOUN: &'static str = "team";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn check(&self, refs: &Refs) -> Vec<FieldProblem> {
        let mut c = Checker::new(refs);
        c.text("id", self.id.as_str());
        c.university_ref("university_id", self.university_id.as_str());
        c.text("name", &self.name);
        if let Some(leader) = &self.leader {
            c.text("leader.name", &leader.name);
            c.texts("leader.honors", &leader.honors);
        }
        c.texts("fields", &self.fields);
        c.texts("keywords", &self.keywords);
        c.track_refs("track_ids", &self.track_ids);
        c.platforms(&self.platforms);
        let max_year = max_year();
        let mut has_text = !self.description.trim().is_empty();
        for (i, achievement) in self.achievements.iter().enumerate() {
            let titled = !achievement.title.trim().is_empty();
            let abstracted = !achievement.r#abstract.trim().is_empty();
            if titled || abstracted {
                has_text = true;
            } else {
                c.push(
                    format!("achievements[{i}]"),
                    "needs a non-empty title or abstract",
                );
            }
            if let Some(year) = achievement.year
                && !(MIN_YEAR..=max_year).contains(&year)
            {
                let message = format!("impossible year {year} (expected {MIN_YEAR} to {max_year})");
                c.push(format!("achievements[{i}].year"), message);
            }
        }
        if !has_text {
            c.push(
                "description",
                "a team needs a description or at least one achievement with text",
            );
        }
        c.at_least_one("capacity", self.capacity);
        if let Some(members) = self.members {
            c.at_least_one("members", members);
        }
        c.done()
    }
}

impl Record for Demand {
    const FILE: &'static str = DEMANDS_FILE;
    const NOUN: &'static str = "demand";

    fn id(&self) -> &str {
        self.id.as_str()
    }

    fn check(&self, refs: &Refs) -> Vec<FieldProblem> {
        let mut c = Checker::new(refs);
        c.text("id", self.id.as_str());
        if c.text("zone_id", self.zone_id.as_str()) && !refs.has_zone(self.zone_id.as_str()) {
            c.push("zone_id", format!("unknown zone \"{}\"", self.zone_id));
        }
        c.text("title", &self.title);
        if let Some(enterprise) = &self.enterprise {
            c.text("enterprise.name", &enterprise.name);
        }
        c.texts("keywords", &self.keywords);
        c.track_refs("track_ids", &self.track_ids);
        if let Some(budget) = self.budget_wan_yuan {
            c.not_negative("budget_wan_yuan", budget);
        }
        if let Some(deadline) = &self.deadline
            && parse_date(deadline).is_none()
        {
            c.push(
                "deadline",
                format!("impossible date \"{deadline}\" (expected a calendar date YYYY-MM-DD)"),
            );
        }
        for (i, id) in self.excluded_university_ids.iter().enumerate() {
            c.university_ref(&format!("excluded_university_ids[{i}]"), id.as_str());
        }
        c.done()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Calendar.

/// Parses a `YYYY-MM-DD` calendar date (year 1900–9999), or `None` for anything else, including dates that
/// do not exist such as `2025-02-30`.
pub fn parse_date(text: &str) -> Option<(i32, u32, u32)> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    let valid = year >= MIN_YEAR
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month);
    valid.then_some((year, month, day))
}

/// Number of days of `month` (1–12) in `year` of the proleptic Gregorian calendar.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Latest year an achievement may carry: next year (by the system clock).
pub fn max_year() -> i32 {
    current_year() + 1
}

fn current_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    year_of_day(days)
}

/// Year of the day `days` after 1970-01-01 (Howard Hinnant's civil-from-days).
fn year_of_day(days: i64) -> i32 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    i32::try_from(year).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team_problem(json: &str) -> String {
        match parse_record::<Team>(json) {
            Ok(_) => "ok".to_owned(),
            Err(p) => p.to_string(),
        }
    }

    #[test]
    fn parse_problems_name_the_field() {
        let base = r#""id":"t","university_id":"u","name":"n""#;
        assert_eq!(
            team_problem(&format!("{{{base},\"nmae\":1}}")),
            "nmae: unknown field"
        );
        assert_eq!(
            team_problem(&format!(
                "{{{base},\"leader\":{{\"name\":\"x\",\"titel\":\"y\"}}}}"
            )),
            "leader.titel: unknown field"
        );
        assert_eq!(
            team_problem(r#"{"id":"t","name":"n"}"#),
            "university_id: missing required field"
        );
        assert_eq!(
            team_problem(&format!("{{{base},\"leader\":{{\"title\":\"y\"}}}}")),
            "leader.name: missing required field"
        );
        assert_eq!(
            team_problem(&format!(
                "{{{base},\"achievements\":[{{\"kind\":\"paper\",\"title\":\"a\"}},{{\"kind\":\"paper\",\"title\":\"b\",\"year\":\"2020\"}}]}}"
            )),
            "achievements[1].year: wrong type: expected an integer, found string \"2020\""
        );
        assert_eq!(
            team_problem(&format!("{{{base},\"capacity\":-2}}")),
            "capacity: must not be negative, found -2"
        );
        assert_eq!(
            team_problem(&format!(
                "{{{base},\"achievements\":[{{\"kind\":\"book\",\"title\":\"a\"}}]}}"
            )),
            "achievements[0].kind: unknown value \"book\", expected one of paper, patent, project, standard, award"
        );
        assert_eq!(
            team_problem(&format!("{{{base},\"id\":\"again\"}}")),
            "id: field appears twice"
        );
        assert_eq!(team_problem("{\"\""), "\"\": unknown field");
        assert_eq!(
            team_problem("[1]"),
            "-: wrong type: expected an object, found an array"
        );
        assert_eq!(
            team_problem(r#"{"id": "t""#),
            "-: malformed JSON: EOF while parsing an object (column 10)"
        );
        assert_eq!(
            team_problem(&format!("{{{base}}} x")),
            "-: malformed JSON: trailing characters (column 43)"
        );
    }

    #[test]
    fn dates_must_exist() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2025-02-29"), None);
        assert_eq!(parse_date("2025-13-01"), None);
        assert_eq!(parse_date("2025-1-01"), None);
        assert_eq!(parse_date("1800-01-01"), None);
        assert_eq!(parse_date("２０２５-01-01"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn civil_years() {
        assert_eq!(year_of_day(0), 1970);
        assert_eq!(year_of_day(-1), 1969);
        assert_eq!(year_of_day(20_454), 2026); // 2026-01-01
        assert_eq!(year_of_day(20_453), 2025);
    }

    #[test]
    fn problems_display_is_capped() {
        let problems = Problems(
            (1..=103)
                .map(|line| {
                    Problem::at(
                        TEAMS_FILE,
                        line,
                        FieldProblem::new("id", "must not be empty"),
                    )
                })
                .collect(),
        );
        let text = problems.to_string();
        assert_eq!(text.lines().count(), 101);
        assert_eq!(
            text.lines().next(),
            Some("teams.jsonl:1: id: must not be empty")
        );
        assert_eq!(text.lines().last(), Some("... and 3 more problems"));
    }

    fn check_all<R: Record>(bytes: &[u8]) {
        let refs = Refs::default();
        let (records, problems, _) = parse_lines::<R>(bytes);
        for (_, record) in records {
            let _ = record.check(&refs);
        }
        for (line, problem) in problems {
            assert!(line >= 1 && !problem.field.is_empty() && !problem.message.is_empty());
        }
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            check_all::<Track>(&bytes);
            check_all::<Zone>(&bytes);
            check_all::<University>(&bytes);
            check_all::<Team>(&bytes);
            check_all::<Demand>(&bytes);
        }

        #[test]
        fn json_like_text_never_panics(text in r#"[{}\[\]":,0-9a-z_ .\-\n]{0,120}"#) {
            check_all::<Team>(text.as_bytes());
            check_all::<Demand>(text.as_bytes());
        }
    }
}
