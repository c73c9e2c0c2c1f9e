//! The optional programme targets file (`targets.jsonl`): one [`TargetSpec`] a line, each checked, every
//! problem reported as `targets.jsonl:LINE: FIELD: message` like the other contract files.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::Path;

use super::{DatasetError, FieldProblem, NO_FIELD, Problem, Problems, Record, Refs};
use crate::targets::TargetSpec;

/// File of the programme's targets (optional).
pub const TARGETS_FILE: &str = "targets.jsonl";

impl Record for TargetSpec {
    const FILE: &'static str = TARGETS_FILE;
    const NOUN: &'static str = "target";

    fn id(&self) -> &str {
        self.key.as_str()
    }

    fn check(&self, _refs: &Refs) -> Vec<FieldProblem> {
        self.problems()
            .into_iter()
            .map(|(field, message)| FieldProblem::new(field, message))
            .collect()
    }
}

/// Reads the targets of the dataset in `dir`: none when it has no `targets.jsonl`, else every target
/// (one per key), or every problem found.
pub fn load_targets(dir: &Path) -> Result<Vec<TargetSpec>, DatasetError> {
    let bytes = match fs::read(dir.join(TARGETS_FILE)) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            let problem = FieldProblem::new(NO_FIELD, format!("cannot read file: {err}"));
            return Err(DatasetError::Invalid(Problems(vec![Problem::at(
                TARGETS_FILE,
                0,
                problem,
            )])));
        }
    };
    let (records, line_problems, _) = super::parse_lines::<TargetSpec>(&bytes);
    let mut problems: Vec<Problem> = line_problems
        .into_iter()
        .map(|(line, p)| Problem::at(TARGETS_FILE, line, p))
        .collect();
    let refs = Refs::default();
    let mut seen = HashSet::new();
    for (line, spec) in &records {
        for p in spec.check(&refs) {
            problems.push(Problem::at(TARGETS_FILE, *line, p));
        }
        if !seen.insert(spec.key) {
            let p = FieldProblem::new("key", format!("duplicate target {}", spec.key.as_str()));
            problems.push(Problem::at(TARGETS_FILE, *line, p));
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(DatasetError::Invalid(Problems(problems)));
    }
    Ok(records.into_iter().map(|(_, spec)| spec).collect())
}
