//! Reads a dataset directory (JSON Lines, contract v1) for the commands, with `FILE:LINE` in every error.

use std::path::Path;

use serde::de::DeserializeOwned;
use shuanggao::domain::Dataset;

use super::InputError;

fn read_jsonl<T: DeserializeOwned>(
    dir: &Path,
    file: &str,
    required: bool,
) -> Result<Vec<T>, InputError> {
    let path = dir.join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Vec::new()),
        Err(e) => {
            return Err(InputError(format!(
                "{}: {}",
                path.display(),
                e.to_string().to_lowercase()
            )));
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(line);
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| InputError(format!("{file}:{}: {}: {}", i + 1, e.path(), e.inner())))?;
        out.push(value);
    }
    Ok(out)
}

/// Loads the dataset in `dir` (`tracks.jsonl` optional, the other four files required).
pub fn dataset(dir: &Path) -> Result<Dataset, InputError> {
    if !dir.is_dir() {
        return Err(InputError(format!("{}: not a directory", dir.display())));
    }
    Ok(Dataset {
        tracks: read_jsonl(dir, "tracks.jsonl", false)?,
        zones: read_jsonl(dir, "zones.jsonl", true)?,
        universities: read_jsonl(dir, "universities.jsonl", true)?,
        teams: read_jsonl(dir, "teams.jsonl", true)?,
        demands: read_jsonl(dir, "demands.jsonl", true)?,
    })
}
