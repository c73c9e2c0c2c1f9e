//! Writing a dataset back as the five contract files, deterministically.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use super::{DEMANDS_FILE, DatasetError, TEAMS_FILE, TRACKS_FILE, UNIVERSITIES_FILE, ZONES_FILE};
use crate::domain::Dataset;

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
