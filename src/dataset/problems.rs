//! The problems a dataset can have: one field of one record, one line of one file, and the error that
//! carries all of them.

use std::fmt;
use std::io;
use std::path::PathBuf;

use thiserror::Error;

use super::MAX_LISTED;
use crate::error_code::ErrorCode;

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
    pub(super) fn at(file: &str, line: usize, problem: FieldProblem) -> Self {
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
pub struct Problems(pub(super) Vec<Problem>);

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
