//! The system of record, and the only SQLite user: the catalog (tracks, zones, universities, teams,
//! demands), access tokens, pairings with their review history and comments, and proposal jobs.
//!
//! Invariants:
//! - the schema is versioned by `PRAGMA user_version`; [`Store::open`] applies the missing migrations in
//!   order, each in its own transaction, and refuses a database newer than this binary;
//! - WAL journal with `synchronous=FULL`: a call that returned `Ok` from a write has been fsynced, so an
//!   acknowledged write survives a crash or `kill -9` at any later moment;
//! - every write goes through one writer connection; reads use a small pool of read-only connections;
//! - review history and outcome history are append-only (triggers refuse UPDATE and DELETE on them),
//!   and outcomes are never deleted;
//! - a zone × university × track triple has at most one active pairing (`proposed`,
//!   `changes_requested` or `approved`, not superseded): a partial unique index refuses a second one,
//!   answered as [`StoreError::PairingExists`];
//! - a review reads the pairing's status and version and applies the [`review`] decision in the same
//!   transaction, so two concurrent reviewers of one version cannot both win.
//!
//! Every call is synchronous; async callers run them on a blocking thread.
//!
//! One file per table group, each with its own `impl Store` block: [`migrations`] (the schema and
//! its versions), [`catalog`] (tracks, zones, universities, teams, demands), [`tokens`],
//! [`pairings`] (pairings, their review history and comments), [`outcomes`] (what approved pairings
//! achieve, and its history), [`jobs`] (proposal jobs) and
//! [`backup`] (online backup and restore). This
//! file holds the handle, its connections and the error type.

mod backup;
mod catalog;
mod jobs;
mod migrations;
mod outcomes;
mod pairings;
mod tokens;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error_code::ErrorCode;
use crate::review::ReviewError;
use migrations::migrate;

pub use backup::{BackupReport, backup, restore};
pub use catalog::{Change, ImportCounts, StoredRecord};
pub use jobs::{FinishedJob, JobRecord, NewJob};
pub use migrations::SCHEMA_VERSION;
pub use outcomes::{NewOutcome, OutcomeFilter, OutcomeHistoryEntry, OutcomeRecord};
pub use pairings::{CommentRecord, HistoryEntry, NewPairing, PairingFilter, PairingRecord};
pub use tokens::TokenRecord;

/// SQL expression for "now" as an RFC 3339 UTC timestamp with milliseconds.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

const READERS: usize = 4;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database schema version {found} is newer than this binary's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} {id} already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error("pairing {id} was superseded by batch {by}")]
    Superseded { id: String, by: String },
    /// A second active pairing for a triple: the partial unique index `pairings_active_triple` refused it.
    #[error("{triple} already has an active pairing")]
    PairingExists { triple: String },
    #[error(transparent)]
    Outcome(#[from] crate::outcome::OutcomeError),
    /// Outcomes are recorded on approved pairings only.
    #[error("pairing {id} is {status}, not approved; outcomes are recorded on approved pairings")]
    NotApproved { id: String, status: String },
}

impl StoreError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::Sqlite(_) => ErrorCode::StoreSqlite,
            StoreError::CreateDir { .. } => ErrorCode::StoreCreateDir,
            StoreError::SchemaTooNew { .. } => ErrorCode::StoreSchemaTooNew,
            StoreError::Corrupt { .. } => ErrorCode::StoreCorrupt,
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            StoreError::Review(err) => err.code(),
            StoreError::Superseded { .. } => ErrorCode::PairingSuperseded,
            StoreError::PairingExists { .. } => ErrorCode::PairingExists,
            StoreError::Outcome(err) => err.code(),
            StoreError::NotApproved { .. } => ErrorCode::PairingNotApproved,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who did something, as recorded in history and comments (token name and role, never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Actor {
    pub name: String,
    pub role: String,
}

/// The SQLite database: one writer connection and a few read-only ones.
pub struct Store {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves the connection usable: an open transaction was rolled back
    // when it was dropped.
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|err| StoreError::Corrupt {
        what: "record".into(),
        detail: err.to_string(),
    })
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt {
        what: what.into(),
        detail: err.to_string(),
    })
}

impl Store {
    /// Opens (creating if needed) the database at `path`, sets WAL and `synchronous=FULL`, and applies
    /// the pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                what: "journal mode".into(),
                detail: format!("expected wal, got {mode}"),
            });
        }
        migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            reader.busy_timeout(Duration::from_secs(10))?;
            readers.push(Mutex::new(reader));
        }
        Ok(Store {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    pub(super) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        // Take the first idle reader from a rotating start, else wait on the start one.
        for i in 0..self.readers.len() {
            if let Ok(conn) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return f(&conn);
            }
        }
        let conn = lock(&self.readers[start % self.readers.len()]);
        f(&conn)
    }

    pub(super) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.write_mut(|tx| f(tx))
    }

    /// Like [`Store::write`], with the transaction open to savepoints.
    pub(super) fn write_mut<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = lock(&self.writer);
        let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn found(n: usize, what: &'static str, id: &str) -> Result<()> {
    if n == 0 {
        Err(StoreError::NotFound {
            what,
            id: id.to_owned(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod testkit {
    //! Fixtures shared by the store's unit tests.

    use super::*;
    use crate::domain::{Dataset, Demand, Team, Track, TrackKind, University, UniversityId, Zone};
    use crate::pairing::BundleRecord;

    pub(super) fn dataset() -> Dataset {
        Dataset {
            tracks: vec![Track {
                id: "t1".into(),
                name: "储能".into(),
                kind: TrackKind::Future,
                parent: None,
                keywords: vec!["电池".into()],
                description: String::new(),
            }],
            zones: vec![Zone {
                id: "z1".into(),
                name: "苏州高新区".into(),
                city: "苏州".into(),
                level: None,
                industries: vec!["储能".into()],
                track_ids: vec![],
                description: String::new(),
                platforms: vec![],
                funds: vec![],
                baseline: None,
            }],
            universities: vec![University {
                id: "u1".into(),
                name: "南京大学".into(),
                city: "南京".into(),
                kind: None,
                disciplines: vec![],
                description: String::new(),
                baseline: None,
            }],
            teams: vec![team("team1", "u1")],
            demands: vec![demand("d1", "z1")],
        }
    }

    pub(super) fn team(id: &str, university: &str) -> Team {
        serde_json::from_value(serde_json::json!({
            "id": id, "university_id": university, "name": "电池安全团队",
            "description": "锂离子电池安全状态在线监测"
        }))
        .unwrap()
    }

    pub(super) fn demand(id: &str, zone: &str) -> Demand {
        serde_json::from_value(serde_json::json!({
            "id": id, "zone_id": zone, "title": "动力电池热失控预警"
        }))
        .unwrap()
    }

    pub(super) fn actor() -> Actor {
        Actor {
            name: "处长".into(),
            role: "department".into(),
        }
    }

    pub(super) fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("var/db.sqlite")).unwrap();
        (dir, store)
    }

    /// A bundle without components, projects or runner-up, told apart by its summary.
    pub(super) fn bundle(summary: &str) -> BundleRecord {
        use crate::pairing::batch::{PairingRationale, ScoreBreakdown};
        use crate::pairing::bundle::{Bundle, IndustrialDirection, InnovationPlatform};
        BundleRecord {
            bundle: Bundle {
                industrial_direction: IndustrialDirection {
                    track_id: "t1".into(),
                    track_name: "氢能".into(),
                    zone_industries: Vec::new(),
                    zone_track: true,
                },
                innovation_platform: InnovationPlatform {
                    university: None,
                    zone: None,
                },
                leading_talent: None,
                transformation_fund: None,
                benchmark_projects: Vec::new(),
                shortfall: None,
                grade: Default::default(),
                to_build: Vec::new(),
            },
            explanation: PairingRationale {
                summary: summary.into(),
                terms: Vec::new(),
                teams: Vec::new(),
                breakdown: ScoreBreakdown {
                    target: 10,
                    projects: 0,
                    topped_up: 0,
                    score_sum: 0.0,
                    mean_score: 0.0,
                    coverage: 0.0,
                    quality: 0.0,
                },
                runner_up: None,
            },
            forced: false,
        }
    }

    /// A pairing of zone `z1`, track `t1` and a university named after the pairing, so that pairings
    /// of different ids are of different triples.
    pub(super) fn new_pairing(id: &str, batch: Option<&str>) -> NewPairing {
        NewPairing {
            id: id.into(),
            batch_id: batch.map(Into::into),
            zone_id: "z1".into(),
            university_id: UniversityId(format!("u-{id}")),
            track_id: "t1".into(),
            bundle: bundle("拟推荐"),
            quality: 0.5,
        }
    }

    pub(super) fn pairing(store: &Store, id: &str) -> PairingRecord {
        store
            .insert_pairing(&new_pairing(id, None), &actor())
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testkit::*;

    #[test]
    fn open_migrates_sets_wal_and_reopens() {
        let (dir, store) = open();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        drop(store);
        let store = Store::open(&dir.path().join("var/db.sqlite")).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let conn = lock(&store.writer);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
    }
}
