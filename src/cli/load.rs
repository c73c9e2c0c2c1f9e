//! Reads a dataset directory for the engine commands through the dataset contract (every problem as
//! `FILE:LINE: FIELD: message`), and builds a throwaway engine over it for commands that measure.

use std::path::Path;

use shuanggao::domain::Dataset;
use shuanggao::matching::{Engine, MatchError, OpenOptions, OpenReport};

use super::InputError;

/// Loads and validates the dataset in `dir`; problems become an [`InputError`] (exit code 2).
pub fn dataset(dir: &Path) -> Result<Dataset, InputError> {
    shuanggao::dataset::load(dir)
        .map_err(|e| InputError(format!("dataset {}:\n{e}", dir.display())))
}

/// Reads a text file named on the command line; a failure names the file (exit code 2).
pub fn text(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|e| {
        InputError(format!(
            "{}: {}",
            path.display(),
            e.to_string().to_lowercase()
        ))
    })
}

/// Builds an engine over `data` (index and models, the models not saved) in a fresh temporary directory,
/// so that nothing is written next to the dataset; the directory lasts as long as the returned guard.
pub fn scratch_engine(
    data: impl Into<std::sync::Arc<Dataset>>,
    options: OpenOptions<'_>,
) -> anyhow::Result<(tempfile::TempDir, Engine)> {
    let tmp = tempfile::tempdir()?;
    let options = OpenOptions {
        save_models: false,
        ..options
    };
    let (engine, _) = engine_under(tmp.path(), data, &options)?;
    Ok((tmp, engine))
}

/// Opens (or builds) an engine over `data` with its index in `dir/index` and its models in `dir/models`.
pub fn engine_under(
    dir: &Path,
    data: impl Into<std::sync::Arc<Dataset>>,
    options: &OpenOptions<'_>,
) -> Result<(Engine, OpenReport), MatchError> {
    Engine::open(data, &dir.join("index"), &dir.join("models"), options)
}
