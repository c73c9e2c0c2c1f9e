//! `shuanggao backup --out FILE` and `shuanggao restore --from FILE`: an online copy of the service's
//! database (taken while it runs) and its restore into a place where no database is yet.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use shuanggao::store::{self, StoreError};

/// Arguments of `backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// SQLite database file of the service.
    #[arg(long, default_value = "var/shuanggao.db")]
    pub db: PathBuf,
    /// The backup file to write (must not exist).
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file to restore.
    #[arg(long)]
    pub from: PathBuf,
    /// Where the database goes (must not exist: stop the service and move the old one away first).
    #[arg(long, default_value = "var/shuanggao.db")]
    pub db: PathBuf,
}

fn report(result: Result<store::BackupReport, StoreError>, what: &str, to: &Path) -> ExitCode {
    match result {
        Ok(r) => {
            println!(
                "{what} {} ({} bytes, schema version {})",
                to.display(),
                r.bytes,
                r.schema_version
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            match err {
                StoreError::Sqlite(_) => ExitCode::FAILURE,
                _ => ExitCode::from(2),
            }
        }
    }
}

pub fn backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    Ok(report(
        store::backup(&args.db, &args.out),
        "wrote",
        &args.out,
    ))
}

pub fn restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    Ok(report(
        store::restore(&args.from, &args.db),
        "restored",
        &args.db,
    ))
}
