//! Reads a dataset directory for the engine commands through the dataset contract (every problem as
//! `FILE:LINE: FIELD: message`).

use std::path::Path;

use shuanggao::domain::Dataset;

use super::InputError;

/// Loads and validates the dataset in `dir`; problems become an [`InputError`] (exit code 2).
pub fn dataset(dir: &Path) -> Result<Dataset, InputError> {
    shuanggao::dataset::load(dir)
        .map_err(|e| InputError(format!("dataset {}:\n{e}", dir.display())))
}
