//! `shuanggao import`: imports demands, teams or outcomes from an XLSX or CSV file into the service's database
//! while the service is stopped, through the same checks and all-or-nothing write as
//! `POST /v1/imports/{kind}`; prints every problem by row and column. Also writes the templates.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use shuanggao::app::{App, ImportKind, TemplateFormat};
use shuanggao::auth::{Principal, Role};
use shuanggao::data_lock::{DataLock, LockError};
use shuanggao::matching::{Engine, OpenOptions};
use shuanggao::store::Store;

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Demands,
    Teams,
    /// Outcomes of approved pairings (as the pairing's zone or university).
    Outcomes,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The XLSX or CSV file (UTF-8 with or without BOM, or GB18030).
    #[arg(required_unless_present = "template")]
    pub file: Option<PathBuf>,
    /// Check the file and report what would be written, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import as this role (`department`, `zone:<id>`, `university:<id>`): a zone imports only its own
    /// demands, a university only its own teams; outcomes are imported by a pairing's zone or
    /// university.
    #[arg(long = "as", default_value = "department")]
    pub role: String,
    /// Write the template (XLSX, or CSV when the name ends in .csv) to this file instead of importing.
    #[arg(long, conflicts_with = "file")]
    pub template: Option<PathBuf>,
    #[arg(long, default_value = "var/shuanggao.db")]
    pub db: PathBuf,
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
}

pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let role: Role = match args.role.parse() {
        Ok(role) => role,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    let kind = match args.kind {
        Kind::Demands => ImportKind::Demands,
        Kind::Teams => ImportKind::Teams,
        Kind::Outcomes => ImportKind::Outcomes,
    };
    let _lock = match DataLock::acquire(
        &[&args.db, &args.index, &args.models],
        &format!("pid {}, importing", std::process::id()),
    ) {
        Ok(lock) => lock,
        Err(err @ LockError::Held { .. }) => {
            eprintln!("error: {err} (stop the service before importing from the command line)");
            return Ok(ExitCode::from(3));
        }
        Err(err) => return Err(err.into()),
    };
    let store = Store::open(&args.db)
        .with_context(|| format!("cannot open database {}", args.db.display()))?;
    if !store.is_imported()? {
        eprintln!(
            "error: database {} holds no dataset yet; start `shuanggao serve` once first",
            args.db.display()
        );
        return Ok(ExitCode::from(2));
    }
    let data = store.load_dataset()?;
    let (engine, _) = Engine::open(
        data.clone(),
        &args.index,
        &args.models,
        &OpenOptions::default(),
    )
    .context("cannot open the matching engine")?;
    let app = App::with_catalog(store, data, Arc::new(engine))?;
    let who = Principal {
        token_id: 0,
        name: "command line".into(),
        role,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if let Some(path) = &args.template {
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let format = if csv {
            TemplateFormat::Csv
        } else {
            TemplateFormat::Xlsx
        };
        let bytes = runtime.block_on(app.import_template(&who, kind, format))?;
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("template written to {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = &args.file else {
        return Ok(ExitCode::from(2));
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("error: {}: {err}", path.display());
            return Ok(ExitCode::from(2));
        }
    };
    let report = match runtime.block_on(app.import(&who, kind, bytes, args.dry_run)) {
        Ok(report) => report,
        Err(err) if err.code().status() < 500 => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
        Err(err) => return Err(err.into()),
    };
    for e in &report.errors {
        eprintln!("第 {} 行 {}（{}）：{}", e.row, e.column, e.field, e.message);
    }
    let verb = if args.dry_run || !report.errors.is_empty() {
        "would create"
    } else {
        "created"
    };
    println!(
        "{} rows: {verb} {}, updated {}, unchanged {}, {} problems",
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
        report.errors.len()
    );
    if report.errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("nothing was written");
        Ok(ExitCode::from(2))
    }
}
