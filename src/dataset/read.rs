//! Reading a dataset directory: every contract file line by line, every record checked, every problem kept.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self};
use std::path::Path;

use rayon::prelude::*;

use super::{
    DatasetError, FILES, FieldProblem, NO_FIELD, Problem, Problems, Record, Refs, TRACKS_FILE,
    parse_record,
};
use crate::domain::{Dataset, Demand, Team, Track, University, Zone};

/// Reads and validates the dataset in `dir`. Returns the dataset, or every problem found in it.
pub fn load(dir: &Path) -> Result<Dataset, DatasetError> {
    let mut problems = Vec::new();
    let mut failed_ids = FailedIds::default();

    let tracks = read_file::<Track>(dir, false, &mut problems, &mut failed_ids.tracks);
    let zones = read_file::<Zone>(dir, true, &mut problems, &mut failed_ids.zones);
    let universities =
        read_file::<University>(dir, true, &mut problems, &mut failed_ids.universities);
    // Each file's records are trimmed before the next is read, which reuses the memory given back.
    let mut teams = read_file::<Team>(dir, true, &mut problems, &mut Vec::new());
    teams.par_iter_mut().for_each(|(_, t)| t.shrink_to_fit());
    let mut demands = read_file::<Demand>(dir, true, &mut problems, &mut Vec::new());
    demands.par_iter_mut().for_each(|(_, d)| d.shrink_to_fit());

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
