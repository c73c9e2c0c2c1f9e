//! `shuanggao serve`: opens (or creates) the database, imports the dataset on first start, prepares the
//! matcher, creates a first department token when there is none, and serves the HTTP API until
//! SIGTERM or ctrl-c.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tracing::info;

use shuanggao::app::{App, Matcher};
use shuanggao::auth::{self, Role};
use shuanggao::data_lock::{DataLock, LockError};
use shuanggao::dataset;
use shuanggao::domain::Dataset;
use shuanggao::http::{self, HttpConfig};
use shuanggao::matching::{Engine, OpenOptions};
use shuanggao::store::Store;

/// Serve the HTTP API (the system of record is a SQLite file).
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Dataset folder imported into the database on first start.
    #[arg(long, default_value = "datasets/jiangsu")]
    pub data: PathBuf,
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "var/shuanggao.db")]
    pub db: PathBuf,
    /// Text index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    /// Models folder.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Seconds after which a request is answered 408.
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
    /// Requests handled at once.
    #[arg(long, default_value_t = 512)]
    pub concurrency_limit: usize,
    /// Seconds a connection has to send a request's line and headers (also closes idle kept-alive
    /// connections).
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Connections open at once.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
}

/// The matching engine the service ranks with, over the catalog held in the database: the index and
/// models are reopened when their manifests still match the catalog, else rebuilt.
fn build_matcher(data: &Dataset, index: &Path, models: &Path) -> anyhow::Result<Arc<dyn Matcher>> {
    let started = Instant::now();
    let (engine, _) = Engine::open(data.clone(), index, models, &OpenOptions::default())
        .context("cannot open the matching engine")?;
    // A team write returns without recomputing every demand's feedback; the service settles it in the
    // background once writes pause.
    engine.defer_feedback();
    info!(
        seconds = started.elapsed().as_secs_f32(),
        index = %index.display(),
        models = %models.display(),
        "matching engine ready"
    );
    Ok(Arc::new(engine))
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Rankings' parallel parts run on rayon's pool: at their priority, below the writes'.
    if !shuanggao::app::lower_global_pool() {
        tracing::warn!(
            code = "priority_not_lowered",
            "rayon's pool was started before; rankings' parallel parts keep the default priority"
        );
    }
    let pid = std::process::id();
    let mut lock = match DataLock::acquire(
        &[&args.db, &args.index, &args.models],
        &format!("pid {pid}, starting"),
    ) {
        Ok(lock) => lock,
        Err(err @ LockError::Held { .. }) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(3));
        }
        Err(err) => return Err(err.into()),
    };
    let store = Store::open(&args.db)
        .with_context(|| format!("cannot open database {}", args.db.display()))?;
    if !store.is_imported()? {
        let data = match dataset::load(&args.data) {
            Ok(data) => data,
            Err(err) => {
                eprintln!(
                    "error: dataset {} is not valid:\n{err}",
                    args.data.display()
                );
                return Ok(ExitCode::from(2));
            }
        };
        let counts = store.import_dataset(&data, &args.data.display().to_string())?;
        info!(
            tracks = counts.tracks,
            zones = counts.zones,
            universities = counts.universities,
            teams = counts.teams,
            demands = counts.demands,
            "dataset imported"
        );
    }
    // The programme's targets are read at every start, so that a changed targets file takes effect; a
    // dataset folder without one keeps the targets kept before.
    match dataset::load_targets(&args.data) {
        Ok(targets) if !targets.is_empty() => store.set_programme_targets(&targets)?,
        Ok(_) => {}
        Err(err) => {
            eprintln!(
                "error: targets of dataset {} are not valid:\n{err}",
                args.data.display()
            );
            return Ok(ExitCode::from(2));
        }
    }
    if store.active_token_count()? == 0 {
        let (_, token) = auth::create_token(&store, &Role::Department, "bootstrap")?;
        println!("department token (shown once, keep it safe): {token}");
    }
    let data = store.load_dataset()?;
    let matcher = build_matcher(&data, &args.index, &args.models)?;
    let app = App::with_catalog(store, data, matcher)?;
    let config = HttpConfig {
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        concurrency_limit: args.concurrency_limit.max(1),
        header_read_timeout: Duration::from_secs(args.header_timeout.max(1)),
        max_connections: args.max_connections.max(1),
        ..HttpConfig::default()
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        // Handlers are in place before the address is announced: a SIGTERM from then on is graceful.
        let shutdown = shutdown_signal()?;
        lock.describe(&format!("pid {pid}, listening on {addr}"))?;
        info!(%addr, startup_ms = started.elapsed().as_millis() as u64, "serving");
        println!("listening on http://{addr}");
        http::serve(listener, app.clone(), config, shutdown).await?;
        let flushing = app.clone();
        tokio::task::spawn_blocking(move || flushing.flush_matcher()).await?;
        info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A future that completes on ctrl-c or SIGTERM; the handlers are installed when this returns.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        let term = term.recv();
        #[cfg(not(unix))]
        let term = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = ctrl_c => info!("ctrl-c: shutting down"),
            _ = term => info!("SIGTERM: shutting down"),
        }
    })
}
