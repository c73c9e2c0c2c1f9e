//! The system of record, and the only SQLite user: the catalog (tracks, zones, universities, teams,
//! demands), access tokens, pairings with their review history and comments, and proposal jobs.
//!
//! Invariants:
//! - the schema is versioned by `PRAGMA user_version`; [`Store::open`] applies the missing migrations in
//!   order, each in its own transaction, and refuses a database newer than this binary;
//! - WAL journal with `synchronous=FULL`: a call that returned `Ok` from a write has been fsynced, so an
//!   acknowledged write survives a crash or `kill -9` at any later moment;
//! - every write goes through one writer connection; reads use a small pool of read-only connections;
//! - review history is append-only (triggers refuse UPDATE and DELETE on it);
//! - a review reads the pairing's status and version and applies the [`review`] decision in the same
//!   transaction, so two concurrent reviewers of one version cannot both win.
//!
//! Every call is synchronous; async callers run them on a blocking thread.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{Dataset, Demand, DemandId, Team, TeamId, TrackId, UniversityId, ZoneId};
use crate::review::{self, Action, Decision, PairingStatus, ReviewError, Transition};

/// Schema migrations; migration `i` brings the database to `user_version = i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: catalog, tokens, pairings, review history, comments, proposal jobs.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE tracks (id TEXT PRIMARY KEY, payload TEXT NOT NULL);
    CREATE TABLE zones (id TEXT PRIMARY KEY, city TEXT NOT NULL, payload TEXT NOT NULL);
    CREATE TABLE universities (id TEXT PRIMARY KEY, city TEXT NOT NULL, payload TEXT NOT NULL);
    CREATE TABLE teams (
        id TEXT PRIMARY KEY,
        university_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX teams_university ON teams (university_id);
    CREATE TABLE demands (
        id TEXT PRIMARY KEY,
        zone_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX demands_zone ON demands (zone_id);
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE proposal_jobs (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        request TEXT NOT NULL,
        result TEXT,
        error TEXT,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE pairings (
        id TEXT PRIMARY KEY,
        batch_id TEXT REFERENCES proposal_jobs (id),
        zone_id TEXT NOT NULL,
        university_id TEXT NOT NULL,
        track_id TEXT NOT NULL,
        bundle TEXT NOT NULL,
        quality REAL NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('proposed', 'approved', 'rejected', 'changes_requested')),
        version INTEGER NOT NULL CHECK (version >= 1),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX pairings_zone ON pairings (zone_id);
    CREATE INDEX pairings_university ON pairings (university_id);
    CREATE INDEX pairings_status_track ON pairings (status, track_id);
    CREATE TABLE review_history (
        id INTEGER PRIMARY KEY,
        pairing_id TEXT NOT NULL REFERENCES pairings (id),
        at TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        action TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        version INTEGER NOT NULL,
        comment TEXT NOT NULL
    );
    CREATE INDEX review_history_pairing ON review_history (pairing_id, id);
    CREATE TRIGGER review_history_no_update BEFORE UPDATE ON review_history
        BEGIN SELECT RAISE(ABORT, 'review history is append-only'); END;
    CREATE TRIGGER review_history_no_delete BEFORE DELETE ON review_history
        BEGIN SELECT RAISE(ABORT, 'review history is append-only'); END;
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        pairing_id TEXT NOT NULL REFERENCES pairings (id),
        at TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX comments_pairing ON comments (pairing_id, id);
    "#,
    // 2: proposal jobs carry their kind (propose or revise), the job they revise, the stage they are at
    // and a summary of their batch; a re-proposal supersedes the open pairings of the batch it revises.
    r#"
    ALTER TABLE proposal_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'propose';
    ALTER TABLE proposal_jobs ADD COLUMN parent_id TEXT REFERENCES proposal_jobs (id);
    ALTER TABLE proposal_jobs ADD COLUMN stage TEXT;
    ALTER TABLE proposal_jobs ADD COLUMN summary TEXT;
    ALTER TABLE pairings ADD COLUMN superseded_by TEXT REFERENCES proposal_jobs (id);
    CREATE INDEX pairings_batch ON pairings (batch_id);
    "#,
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

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
}

impl StoreError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Sqlite(_) => "store_sqlite",
            StoreError::CreateDir { .. } => "store_create_dir",
            StoreError::SchemaTooNew { .. } => "store_schema_too_new",
            StoreError::Corrupt { .. } => "store_corrupt",
            StoreError::NotFound { .. } => "not_found",
            StoreError::AlreadyExists { .. } => "already_exists",
            StoreError::Review(err) => err.code(),
            StoreError::Superseded { .. } => "pairing_superseded",
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

/// An access token as stored (the secret itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenRecord {
    pub id: i64,
    pub role: String,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// A pairing to insert: zone × university × track with its five-in-one bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPairing {
    pub id: String,
    pub batch_id: Option<String>,
    pub zone_id: ZoneId,
    pub university_id: UniversityId,
    pub track_id: TrackId,
    pub bundle: serde_json::Value,
    pub quality: f64,
}

/// A stored pairing with its review status and version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairingRecord {
    pub id: String,
    pub batch_id: Option<String>,
    pub zone_id: ZoneId,
    pub university_id: UniversityId,
    pub track_id: TrackId,
    pub bundle: serde_json::Value,
    pub quality: f64,
    pub status: PairingStatus,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The re-proposal batch that replaced this pairing while it was still open; it can no longer be
    /// reviewed and leaves the lists unless they ask for its batch.
    pub superseded_by: Option<String>,
}

/// Which pairings to list. `None` fields do not filter; superseded pairings are listed only when
/// `batch_id` is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairingFilter {
    pub status: Option<PairingStatus>,
    pub track_id: Option<TrackId>,
    pub zone_id: Option<ZoneId>,
    pub university_id: Option<UniversityId>,
    pub batch_id: Option<String>,
}

/// One step of a pairing's review history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub pairing_id: String,
    pub at: String,
    pub actor: Actor,
    pub action: Action,
    pub from: Option<PairingStatus>,
    pub to: PairingStatus,
    /// The pairing's version after this step.
    pub version: i64,
    pub comment: String,
}

/// A comment on a pairing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommentRecord {
    pub id: i64,
    pub pairing_id: String,
    pub at: String,
    pub actor: Actor,
    pub body: String,
}

/// A proposal job (created by the proposal workflow, listed as batches).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobRecord {
    pub id: String,
    /// `propose` or `revise`.
    pub kind: String,
    /// The job a `revise` job re-solves.
    pub parent_id: Option<String>,
    pub state: String,
    /// Where the job is (set while it runs).
    pub stage: Option<String>,
    pub progress: f64,
    pub request: serde_json::Value,
    /// The batch; not loaded by [`Store::jobs`].
    pub result: Option<serde_json::Value>,
    /// A few headline figures of the batch, for lists.
    pub summary: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A proposal job to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub request: serde_json::Value,
    pub created_by: String,
}

/// What a finished proposal job writes in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedJob {
    pub id: String,
    pub result: serde_json::Value,
    pub summary: serde_json::Value,
    /// New pairings, entered into review as `proposed`.
    pub pairings: Vec<NewPairing>,
    /// A batch whose still-open pairings (`proposed`, `changes_requested`) this job supersedes.
    pub supersedes: Option<String>,
}

/// How many rows an import wrote per table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    pub tracks: usize,
    pub zones: usize,
    pub universities: usize,
    pub teams: usize,
    pub demands: usize,
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

fn parse_status(text: &str) -> Result<PairingStatus> {
    text.parse()
        .map_err(|err: ReviewError| StoreError::Corrupt {
            what: "pairing status".into(),
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

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
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

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |row| row.get(0))?))
    }

    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                    row.get(0)
                })
                .optional()?,
            )
        })
    }

    /// Sets a value in the `meta` table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?;
            Ok(())
        })
    }

    /// Whether a dataset has been imported into this database.
    pub fn is_imported(&self) -> Result<bool> {
        Ok(self.meta("dataset_imported_at")?.is_some())
    }

    /// Imports a whole dataset in one transaction and marks the database as imported, recording
    /// `source` (e.g. the dataset folder). Fails if a dataset was imported already.
    pub fn import_dataset(&self, data: &Dataset, source: &str) -> Result<ImportCounts> {
        self.write(|tx| {
            let imported: Option<String> = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = 'dataset_imported_at'",
                    [],
                    |row| row.get(0),
                )
                .optional()?;
            if imported.is_some() {
                return Err(StoreError::AlreadyExists {
                    what: "dataset",
                    id: source.to_owned(),
                });
            }
            {
                let mut stmt = tx.prepare("INSERT INTO tracks (id, payload) VALUES (?1, ?2)")?;
                for t in &data.tracks {
                    stmt.execute(params![t.id.as_str(), to_json(t)?])?;
                }
                let mut stmt =
                    tx.prepare("INSERT INTO zones (id, city, payload) VALUES (?1, ?2, ?3)")?;
                for z in &data.zones {
                    stmt.execute(params![z.id.as_str(), z.city, to_json(z)?])?;
                }
                let mut stmt =
                    tx.prepare("INSERT INTO universities (id, city, payload) VALUES (?1, ?2, ?3)")?;
                for u in &data.universities {
                    stmt.execute(params![u.id.as_str(), u.city, to_json(u)?])?;
                }
                for team in &data.teams {
                    insert_team(tx, team)?;
                }
                for demand in &data.demands {
                    insert_demand(tx, demand)?;
                }
            }
            tx.execute(
                &format!(
                    "INSERT INTO meta (key, value) VALUES ('dataset_imported_at', {NOW}),
                     ('dataset_source', ?1)"
                ),
                [source],
            )?;
            Ok(ImportCounts {
                tracks: data.tracks.len(),
                zones: data.zones.len(),
                universities: data.universities.len(),
                teams: data.teams.len(),
                demands: data.demands.len(),
            })
        })
    }

    /// Reads the whole catalog back, in insertion order.
    pub fn load_dataset(&self) -> Result<Dataset> {
        self.read(|c| {
            fn all<T: DeserializeOwned>(c: &Connection, table: &str) -> Result<Vec<T>> {
                let mut stmt = c.prepare(&format!("SELECT payload FROM {table} ORDER BY rowid"))?;
                let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
                let mut out = Vec::new();
                for row in rows {
                    out.push(from_json(table, &row?)?);
                }
                Ok(out)
            }
            Ok(Dataset {
                tracks: all(c, "tracks")?,
                zones: all(c, "zones")?,
                universities: all(c, "universities")?,
                teams: all(c, "teams")?,
                demands: all(c, "demands")?,
            })
        })
    }

    /// Whether a zone with this id was imported.
    pub fn zone_exists(&self, id: &ZoneId) -> Result<bool> {
        self.exists("zones", id.as_str())
    }

    /// Whether a university with this id was imported.
    pub fn university_exists(&self, id: &UniversityId) -> Result<bool> {
        self.exists("universities", id.as_str())
    }

    fn exists(&self, table: &str, id: &str) -> Result<bool> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT 1 FROM {table} WHERE id = ?1"),
                [id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
        })
    }

    /// Inserts a new team; `AlreadyExists` if its id is taken.
    pub fn insert_team(&self, team: &Team) -> Result<()> {
        self.write(|tx| insert_team(tx, team))
    }

    /// Replaces a team; `NotFound` if there is none with its id.
    pub fn update_team(&self, team: &Team) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE teams SET university_id = ?2, payload = ?3, updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![
                    team.id.as_str(),
                    team.university_id.as_str(),
                    to_json(team)?
                ],
            )?;
            found(n, "team", team.id.as_str())
        })
    }

    /// Deletes a team; `NotFound` if there is none.
    pub fn delete_team(&self, id: &TeamId) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute("DELETE FROM teams WHERE id = ?1", [id.as_str()])?;
            found(n, "team", id.as_str())
        })
    }

    /// Inserts a new demand; `AlreadyExists` if its id is taken.
    pub fn insert_demand(&self, demand: &Demand) -> Result<()> {
        self.write(|tx| insert_demand(tx, demand))
    }

    /// Replaces a demand; `NotFound` if there is none with its id.
    pub fn update_demand(&self, demand: &Demand) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE demands SET zone_id = ?2, payload = ?3, updated_at = {NOW} WHERE id = ?1"
                ),
                params![demand.id.as_str(), demand.zone_id.as_str(), to_json(demand)?],
            )?;
            found(n, "demand", demand.id.as_str())
        })
    }

    /// Deletes a demand; `NotFound` if there is none.
    pub fn delete_demand(&self, id: &DemandId) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute("DELETE FROM demands WHERE id = ?1", [id.as_str()])?;
            found(n, "demand", id.as_str())
        })
    }

    /// Stores a token by its digest and returns its id.
    pub fn insert_token(&self, hash: &str, role: &str, name: &str) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO tokens (hash, role, name, created_at) VALUES (?1, ?2, ?3, {NOW})"
                ),
                [hash, role, name],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The active (not revoked) token with this digest.
    pub fn active_token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, role, name, created_at, revoked_at FROM tokens
                 WHERE hash = ?1 AND revoked_at IS NULL",
                [hash],
                token_row,
            )
            .optional()?)
        })
    }

    /// Every token ever created, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT id, role, name, created_at, revoked_at FROM tokens ORDER BY id")?;
            let rows = stmt.query_map([], token_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// How many tokens are not revoked.
    pub fn active_token_count(&self) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c.query_row(
                "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL",
                [],
                |row| row.get(0),
            )?;
            Ok(n.max(0) as u64)
        })
    }

    /// Revokes a token; `NotFound` if no active token has this id.
    pub fn revoke_token(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE tokens SET revoked_at = {NOW} WHERE id = ?1 AND revoked_at IS NULL"
                ),
                [id],
            )?;
            found(n, "active token", &id.to_string())
        })
    }

    /// Inserts a pairing as `proposed` at version 1 and records its first history entry.
    pub fn insert_pairing(&self, new: &NewPairing, actor: &Actor) -> Result<PairingRecord> {
        self.write(|tx| insert_pairing(tx, new, actor))
    }

    /// One pairing.
    pub fn pairing(&self, id: &str) -> Result<Option<PairingRecord>> {
        self.read(|c| get_pairing(c, id))
    }

    /// A page of pairings matching `filter`, best quality first, and how many match in all.
    pub fn pairings(
        &self,
        filter: &PairingFilter,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<PairingRecord>, u64)> {
        self.read(|c| {
            let mut clauses = Vec::new();
            let mut args: Vec<String> = Vec::new();
            let mut add = |column: &str, value: Option<&str>| {
                if let Some(value) = value {
                    args.push(value.to_owned());
                    clauses.push(format!("{column} = ?{}", args.len()));
                }
            };
            add("status", filter.status.map(PairingStatus::as_str));
            add("track_id", filter.track_id.as_ref().map(TrackId::as_str));
            add("zone_id", filter.zone_id.as_ref().map(ZoneId::as_str));
            add(
                "university_id",
                filter.university_id.as_ref().map(UniversityId::as_str),
            );
            add("batch_id", filter.batch_id.as_deref());
            if filter.batch_id.is_none() {
                clauses.push("superseded_by IS NULL".to_owned());
            }
            let condition = if clauses.is_empty() {
                String::from("1")
            } else {
                clauses.join(" AND ")
            };
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM pairings WHERE {condition}"),
                rusqlite::params_from_iter(args.iter()),
                |row| row.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "SELECT {PAIRING_COLUMNS} FROM pairings WHERE {condition}
                 ORDER BY quality DESC, id LIMIT {limit} OFFSET {offset}"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), raw_pairing)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok((out, total.max(0) as u64))
        })
    }

    /// Applies a department review to a pairing the reviewer saw at `seen_version`. Reading the status,
    /// deciding, updating and appending history happen in one transaction.
    pub fn review_pairing(
        &self,
        id: &str,
        actor: &Actor,
        decision: Decision,
        comment: &str,
        seen_version: i64,
    ) -> Result<(PairingRecord, HistoryEntry)> {
        self.transition(id, actor, None, |status, version| {
            review::review(status, version, seen_version, decision, comment)
        })
    }

    /// Revises a pairing whose changes were requested: new bundle and quality, back to `proposed`.
    pub fn revise_pairing(
        &self,
        id: &str,
        actor: &Actor,
        bundle: &serde_json::Value,
        quality: f64,
        comment: &str,
        seen_version: i64,
    ) -> Result<(PairingRecord, HistoryEntry)> {
        self.transition(id, actor, Some((bundle, quality)), |status, version| {
            review::revise(status, version, seen_version, comment)
        })
    }

    fn transition(
        &self,
        id: &str,
        actor: &Actor,
        revision: Option<(&serde_json::Value, f64)>,
        decide: impl FnOnce(PairingStatus, i64) -> Result<Transition, ReviewError>,
    ) -> Result<(PairingRecord, HistoryEntry)> {
        self.write(|tx| {
            let (status, version, superseded_by): (String, i64, Option<String>) = tx
                .query_row(
                    "SELECT status, version, superseded_by FROM pairings WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    what: "pairing",
                    id: id.to_owned(),
                })?;
            if let Some(by) = superseded_by {
                return Err(StoreError::Superseded {
                    id: id.to_owned(),
                    by,
                });
            }
            let t = decide(parse_status(&status)?, version)?;
            let n = match revision {
                None => tx.execute(
                    &format!(
                        "UPDATE pairings SET status = ?1, version = ?2, updated_at = {NOW}
                         WHERE id = ?3 AND version = ?4"
                    ),
                    params![t.to.as_str(), t.new_version, id, version],
                )?,
                Some((bundle, quality)) => tx.execute(
                    &format!(
                        "UPDATE pairings SET status = ?1, version = ?2, bundle = ?5, quality = ?6,
                            updated_at = {NOW}
                         WHERE id = ?3 AND version = ?4"
                    ),
                    params![
                        t.to.as_str(),
                        t.new_version,
                        id,
                        version,
                        to_json(bundle)?,
                        quality
                    ],
                )?,
            };
            if n != 1 {
                return Err(ReviewError::VersionConflict {
                    seen: version,
                    current: version + 1,
                }
                .into());
            }
            let entry = append_history(
                tx,
                id,
                actor,
                t.action,
                Some(t.from),
                t.to,
                t.new_version,
                &t.comment,
            )?;
            let record = get_pairing(tx, id)?.ok_or_else(|| StoreError::NotFound {
                what: "pairing",
                id: id.to_owned(),
            })?;
            Ok((record, entry))
        })
    }

    /// The review history of a pairing, oldest first.
    pub fn history(&self, pairing_id: &str) -> Result<Vec<HistoryEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, pairing_id, at, actor_name, actor_role, action, from_status, to_status,
                        version, comment
                 FROM review_history WHERE pairing_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([pairing_id], raw_history)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok(out)
        })
    }

    /// Adds a comment to a pairing; `NotFound` if the pairing does not exist.
    pub fn add_comment(
        &self,
        pairing_id: &str,
        actor: &Actor,
        body: &str,
    ) -> Result<CommentRecord> {
        self.write(|tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM pairings WHERE id = ?1", [pairing_id], |r| {
                    r.get(0)
                })
                .optional()?;
            if exists.is_none() {
                return Err(StoreError::NotFound {
                    what: "pairing",
                    id: pairing_id.to_owned(),
                });
            }
            tx.execute(
                &format!(
                    "INSERT INTO comments (pairing_id, at, actor_name, actor_role, body)
                     VALUES (?1, {NOW}, ?2, ?3, ?4)"
                ),
                params![pairing_id, actor.name, actor.role, body],
            )?;
            let id = tx.last_insert_rowid();
            Ok(tx.query_row(
                "SELECT id, pairing_id, at, actor_name, actor_role, body FROM comments WHERE id = ?1",
                [id],
                comment_row,
            )?)
        })
    }

    /// The comments on a pairing, oldest first.
    pub fn comments(&self, pairing_id: &str) -> Result<Vec<CommentRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, pairing_id, at, actor_name, actor_role, body FROM comments
                 WHERE pairing_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([pairing_id], comment_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Records a new `propose` job in state `queued`.
    pub fn insert_job(
        &self,
        id: &str,
        request: &serde_json::Value,
        created_by: &str,
    ) -> Result<JobRecord> {
        self.insert_proposal_job(&NewJob {
            id: id.to_owned(),
            kind: "propose".to_owned(),
            parent_id: None,
            request: request.clone(),
            created_by: created_by.to_owned(),
        })
    }

    /// Records a new proposal job in state `queued`; `AlreadyExists` if its id is taken.
    pub fn insert_proposal_job(&self, job: &NewJob) -> Result<JobRecord> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "INSERT INTO proposal_jobs (id, kind, parent_id, state, progress, request,
                        created_by, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?5, {NOW}, {NOW})
                     ON CONFLICT (id) DO NOTHING"
                ),
                params![
                    job.id,
                    job.kind,
                    job.parent_id,
                    to_json(&job.request)?,
                    job.created_by
                ],
            )?;
            if n == 0 {
                return Err(StoreError::AlreadyExists {
                    what: "proposal job",
                    id: job.id.clone(),
                });
            }
            get_job(tx, &job.id)?.ok_or_else(|| StoreError::NotFound {
                what: "proposal job",
                id: job.id.clone(),
            })
        })
    }

    /// Updates a job's state, progress (0–100), result and error.
    pub fn update_job(
        &self,
        id: &str,
        state: &str,
        progress: f64,
        result: Option<&serde_json::Value>,
        error: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            let result = result.map(to_json).transpose()?;
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = ?2, progress = ?3, result = ?4, error = ?5,
                        updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![id, state, progress, result, error],
            )?;
            found(n, "proposal job", id)
        })
    }

    /// Records where a job is: its state, progress (0–100) and stage.
    pub fn set_job_progress(
        &self,
        id: &str,
        state: &str,
        progress: f64,
        stage: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = ?2, progress = ?3, stage = ?4, updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![id, state, progress, stage],
            )?;
            found(n, "proposal job", id)
        })
    }

    /// Marks a job `failed` with an error text.
    pub fn fail_job(&self, id: &str, error: &str) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = 'failed', stage = 'failed', error = ?2,
                        updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![id, error],
            )?;
            found(n, "proposal job", id)
        })
    }

    /// Finishes a job in one transaction: its new pairings enter review as `proposed` (each with its
    /// first history entry), the open pairings of the batch it supersedes are marked, and the job
    /// becomes `done` with its batch and summary. Nothing is written if any step fails.
    pub fn finish_job(&self, job: &FinishedJob, actor: &Actor) -> Result<Vec<PairingRecord>> {
        self.write(|tx| {
            if let Some(parent) = &job.supersedes {
                tx.execute(
                    &format!(
                        "UPDATE pairings SET superseded_by = ?1, updated_at = {NOW}
                         WHERE batch_id = ?2 AND superseded_by IS NULL
                           AND status IN ('proposed', 'changes_requested')"
                    ),
                    params![job.id, parent],
                )?;
            }
            let mut out = Vec::with_capacity(job.pairings.len());
            for p in &job.pairings {
                out.push(insert_pairing(tx, p, actor)?);
            }
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = 'done', stage = 'done', progress = 100,
                        result = ?2, summary = ?3, error = NULL, updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![job.id, to_json(&job.result)?, to_json(&job.summary)?],
            )?;
            found(n, "proposal job", &job.id)?;
            Ok(out)
        })
    }

    /// Puts a job that was interrupted (queued or running when the process stopped) back in the queue.
    pub fn requeue_job(&self, id: &str) -> Result<()> {
        self.set_job_progress(id, "queued", 0.0, None)
    }

    /// One proposal job, with its batch.
    pub fn job(&self, id: &str) -> Result<Option<JobRecord>> {
        self.read(|c| get_job(c, id))
    }

    /// A page of proposal jobs, newest first (without their batches), and how many there are.
    pub fn jobs(&self, limit: u32, offset: u64) -> Result<(Vec<JobRecord>, u64)> {
        self.read(|c| {
            let total: i64 = c.query_row("SELECT COUNT(*) FROM proposal_jobs", [], |r| r.get(0))?;
            let mut stmt = c.prepare(&format!(
                "SELECT {JOB_LIST_COLUMNS} FROM proposal_jobs
                 ORDER BY rowid DESC LIMIT {limit} OFFSET {offset}"
            ))?;
            let rows = stmt.query_map([], raw_job)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok((out, total.max(0) as u64))
        })
    }

    /// Jobs still `queued` or `running`, oldest first (without their batches).
    pub fn unfinished_jobs(&self) -> Result<Vec<JobRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {JOB_LIST_COLUMNS} FROM proposal_jobs
                 WHERE state IN ('queued', 'running') ORDER BY rowid"
            ))?;
            let rows = stmt.query_map([], raw_job)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok(out)
        })
    }

    /// The pairings with these ids that exist, in no particular order.
    pub fn pairings_by_id(&self, ids: &[String]) -> Result<Vec<PairingRecord>> {
        self.read(|c| {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(500) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let mut stmt = c.prepare(&format!(
                    "SELECT {PAIRING_COLUMNS} FROM pairings WHERE id IN ({marks})"
                ))?;
                let rows = stmt.query_map(rusqlite::params_from_iter(chunk.iter()), raw_pairing)?;
                for row in rows {
                    out.push(row?.decode()?);
                }
            }
            Ok(out)
        })
    }

    /// Every pairing in a status (superseded ones excluded), best quality first.
    pub fn pairings_with_status(&self, status: PairingStatus) -> Result<Vec<PairingRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {PAIRING_COLUMNS} FROM pairings
                 WHERE status = ?1 AND superseded_by IS NULL ORDER BY quality DESC, id"
            ))?;
            let rows = stmt.query_map([status.as_str()], raw_pairing)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok(out)
        })
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
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

fn insert_pairing(tx: &Transaction<'_>, new: &NewPairing, actor: &Actor) -> Result<PairingRecord> {
    let n = tx.execute(
        &format!(
            "INSERT INTO pairings (id, batch_id, zone_id, university_id, track_id, bundle,
                quality, status, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'proposed', 1, {NOW}, {NOW})
             ON CONFLICT (id) DO NOTHING"
        ),
        params![
            new.id,
            new.batch_id,
            new.zone_id.as_str(),
            new.university_id.as_str(),
            new.track_id.as_str(),
            to_json(&new.bundle)?,
            new.quality,
        ],
    )?;
    if n == 0 {
        return Err(StoreError::AlreadyExists {
            what: "pairing",
            id: new.id.clone(),
        });
    }
    append_history(
        tx,
        &new.id,
        actor,
        Action::Propose,
        None,
        PairingStatus::Proposed,
        1,
        "",
    )?;
    get_pairing(tx, &new.id)?.ok_or_else(|| StoreError::NotFound {
        what: "pairing",
        id: new.id.clone(),
    })
}

fn insert_team(tx: &Transaction<'_>, team: &Team) -> Result<()> {
    let n = tx.execute(
        &format!(
            "INSERT INTO teams (id, university_id, payload, updated_at) VALUES (?1, ?2, ?3, {NOW})
             ON CONFLICT (id) DO NOTHING"
        ),
        params![
            team.id.as_str(),
            team.university_id.as_str(),
            to_json(team)?
        ],
    )?;
    if n == 0 {
        return Err(StoreError::AlreadyExists {
            what: "team",
            id: team.id.to_string(),
        });
    }
    Ok(())
}

fn insert_demand(tx: &Transaction<'_>, demand: &Demand) -> Result<()> {
    let n = tx.execute(
        &format!(
            "INSERT INTO demands (id, zone_id, payload, updated_at) VALUES (?1, ?2, ?3, {NOW})
             ON CONFLICT (id) DO NOTHING"
        ),
        params![
            demand.id.as_str(),
            demand.zone_id.as_str(),
            to_json(demand)?
        ],
    )?;
    if n == 0 {
        return Err(StoreError::AlreadyExists {
            what: "demand",
            id: demand.id.to_string(),
        });
    }
    Ok(())
}

fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: row.get(0)?,
        role: row.get(1)?,
        name: row.get(2)?,
        created_at: row.get(3)?,
        revoked_at: row.get(4)?,
    })
}

fn comment_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CommentRecord> {
    Ok(CommentRecord {
        id: row.get(0)?,
        pairing_id: row.get(1)?,
        at: row.get(2)?,
        actor: Actor {
            name: row.get(3)?,
            role: row.get(4)?,
        },
        body: row.get(5)?,
    })
}

const PAIRING_COLUMNS: &str = "id, batch_id, zone_id, university_id, track_id, bundle, quality, \
                               status, version, created_at, updated_at, superseded_by";

/// A pairing row before its JSON and status columns are decoded.
struct RawPairing {
    id: String,
    batch_id: Option<String>,
    zone_id: String,
    university_id: String,
    track_id: String,
    bundle: String,
    quality: f64,
    status: String,
    version: i64,
    created_at: String,
    updated_at: String,
    superseded_by: Option<String>,
}

fn raw_pairing(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawPairing> {
    Ok(RawPairing {
        id: row.get(0)?,
        batch_id: row.get(1)?,
        zone_id: row.get(2)?,
        university_id: row.get(3)?,
        track_id: row.get(4)?,
        bundle: row.get(5)?,
        quality: row.get(6)?,
        status: row.get(7)?,
        version: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        superseded_by: row.get(11)?,
    })
}

impl RawPairing {
    fn decode(self) -> Result<PairingRecord> {
        Ok(PairingRecord {
            bundle: from_json("pairing bundle", &self.bundle)?,
            status: parse_status(&self.status)?,
            id: self.id,
            batch_id: self.batch_id,
            zone_id: ZoneId(self.zone_id),
            university_id: UniversityId(self.university_id),
            track_id: TrackId(self.track_id),
            quality: self.quality,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            superseded_by: self.superseded_by,
        })
    }
}

fn get_pairing(c: &Connection, id: &str) -> Result<Option<PairingRecord>> {
    c.query_row(
        &format!("SELECT {PAIRING_COLUMNS} FROM pairings WHERE id = ?1"),
        [id],
        raw_pairing,
    )
    .optional()?
    .map(RawPairing::decode)
    .transpose()
}

struct RawHistory {
    id: i64,
    pairing_id: String,
    at: String,
    actor: Actor,
    action: String,
    from: Option<String>,
    to: String,
    version: i64,
    comment: String,
}

fn raw_history(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawHistory> {
    Ok(RawHistory {
        id: row.get(0)?,
        pairing_id: row.get(1)?,
        at: row.get(2)?,
        actor: Actor {
            name: row.get(3)?,
            role: row.get(4)?,
        },
        action: row.get(5)?,
        from: row.get(6)?,
        to: row.get(7)?,
        version: row.get(8)?,
        comment: row.get(9)?,
    })
}

impl RawHistory {
    fn decode(self) -> Result<HistoryEntry> {
        let action = self
            .action
            .parse()
            .map_err(|err: ReviewError| StoreError::Corrupt {
                what: "history action".into(),
                detail: err.to_string(),
            })?;
        Ok(HistoryEntry {
            id: self.id,
            pairing_id: self.pairing_id,
            at: self.at,
            actor: self.actor,
            action,
            from: self.from.as_deref().map(parse_status).transpose()?,
            to: parse_status(&self.to)?,
            version: self.version,
            comment: self.comment,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn append_history(
    tx: &Transaction<'_>,
    pairing_id: &str,
    actor: &Actor,
    action: Action,
    from: Option<PairingStatus>,
    to: PairingStatus,
    version: i64,
    comment: &str,
) -> Result<HistoryEntry> {
    tx.execute(
        &format!(
            "INSERT INTO review_history (pairing_id, at, actor_name, actor_role, action, from_status,
                to_status, version, comment)
             VALUES (?1, {NOW}, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ),
        params![
            pairing_id,
            actor.name,
            actor.role,
            action.as_str(),
            from.map(PairingStatus::as_str),
            to.as_str(),
            version,
            comment,
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.query_row(
        "SELECT id, pairing_id, at, actor_name, actor_role, action, from_status, to_status,
                version, comment
         FROM review_history WHERE id = ?1",
        [id],
        raw_history,
    )?
    .decode()
}

const JOB_COLUMNS: &str = "id, kind, parent_id, state, stage, progress, request, result, summary, \
                           error, created_by, created_at, updated_at";
/// The job columns without the batch.
const JOB_LIST_COLUMNS: &str = "id, kind, parent_id, state, stage, progress, request, NULL, \
                                summary, error, created_by, created_at, updated_at";

struct RawJob {
    id: String,
    kind: String,
    parent_id: Option<String>,
    state: String,
    stage: Option<String>,
    progress: f64,
    request: String,
    result: Option<String>,
    summary: Option<String>,
    error: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
}

fn raw_job(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: row.get(0)?,
        kind: row.get(1)?,
        parent_id: row.get(2)?,
        state: row.get(3)?,
        stage: row.get(4)?,
        progress: row.get(5)?,
        request: row.get(6)?,
        result: row.get(7)?,
        summary: row.get(8)?,
        error: row.get(9)?,
        created_by: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

impl RawJob {
    fn decode(self) -> Result<JobRecord> {
        Ok(JobRecord {
            request: from_json("job request", &self.request)?,
            result: self
                .result
                .as_deref()
                .map(|r| from_json("job result", r))
                .transpose()?,
            summary: self
                .summary
                .as_deref()
                .map(|r| from_json("job summary", r))
                .transpose()?,
            id: self.id,
            kind: self.kind,
            parent_id: self.parent_id,
            state: self.state,
            stage: self.stage,
            progress: self.progress,
            error: self.error,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn get_job(c: &Connection, id: &str) -> Result<Option<JobRecord>> {
    c.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM proposal_jobs WHERE id = ?1"),
        [id],
        raw_job,
    )
    .optional()?
    .map(RawJob::decode)
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Track, TrackKind, University, Zone};

    fn dataset() -> Dataset {
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
            }],
            universities: vec![University {
                id: "u1".into(),
                name: "南京大学".into(),
                city: "南京".into(),
                kind: None,
                disciplines: vec![],
                description: String::new(),
            }],
            teams: vec![team("team1", "u1")],
            demands: vec![demand("d1", "z1")],
        }
    }

    fn team(id: &str, university: &str) -> Team {
        serde_json::from_value(serde_json::json!({
            "id": id, "university_id": university, "name": "电池安全团队",
            "description": "锂离子电池安全状态在线监测"
        }))
        .unwrap()
    }

    fn demand(id: &str, zone: &str) -> Demand {
        serde_json::from_value(serde_json::json!({
            "id": id, "zone_id": zone, "title": "动力电池热失控预警"
        }))
        .unwrap()
    }

    fn actor() -> Actor {
        Actor {
            name: "处长".into(),
            role: "department".into(),
        }
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("var/db.sqlite")).unwrap();
        (dir, store)
    }

    fn pairing(store: &Store, id: &str) -> PairingRecord {
        store
            .insert_pairing(
                &NewPairing {
                    id: id.into(),
                    batch_id: None,
                    zone_id: "z1".into(),
                    university_id: "u1".into(),
                    track_id: "t1".into(),
                    bundle: serde_json::json!({"projects": []}),
                    quality: 0.5,
                },
                &actor(),
            )
            .unwrap()
    }

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

    #[test]
    fn a_version_1_database_migrates_with_its_jobs_and_pairings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            c.execute_batch(
                "INSERT INTO proposal_jobs (id, state, progress, request, created_by, created_at,
                    updated_at) VALUES ('j0', 'done', 100, '{}', 'x', 'then', 'then');
                 INSERT INTO pairings (id, batch_id, zone_id, university_id, track_id, bundle, quality,
                    status, version, created_at, updated_at)
                 VALUES ('p0', 'j0', 'z', 'u', 't', '{}', 0.5, 'approved', 2, 'then', 'then');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let job = store.job("j0").unwrap().unwrap();
        assert_eq!(
            (job.kind.as_str(), job.stage, job.summary),
            ("propose", None, None)
        );
        let p = store.pairing("p0").unwrap().unwrap();
        assert_eq!((p.status, p.superseded_by), (PairingStatus::Approved, None));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert_eq!(err.code(), "store_schema_too_new");
    }

    #[test]
    fn import_then_load_round_trips_and_import_is_once() {
        let (_dir, store) = open();
        assert!(!store.is_imported().unwrap());
        let data = dataset();
        let counts = store.import_dataset(&data, "fixture").unwrap();
        assert_eq!((counts.teams, counts.demands), (1, 1));
        assert!(store.is_imported().unwrap());
        assert_eq!(store.load_dataset().unwrap(), data);
        assert_eq!(
            store.import_dataset(&data, "fixture").unwrap_err().code(),
            "already_exists"
        );
        assert_eq!(
            store.meta("dataset_source").unwrap().as_deref(),
            Some("fixture")
        );
    }

    #[test]
    fn team_and_demand_writes() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        assert_eq!(
            store.insert_team(&team("team1", "u1")).unwrap_err().code(),
            "already_exists"
        );
        store.insert_team(&team("team2", "u1")).unwrap();
        let mut changed = team("team2", "u1");
        changed.name = "新名字".into();
        store.update_team(&changed).unwrap();
        assert_eq!(
            store.update_team(&team("nope", "u1")).unwrap_err().code(),
            "not_found"
        );
        let loaded = store.load_dataset().unwrap();
        assert_eq!(loaded.teams.len(), 2);
        assert_eq!(loaded.teams[1].name, "新名字");
        store.delete_team(&"team2".into()).unwrap();
        assert_eq!(
            store.delete_team(&"team2".into()).unwrap_err().code(),
            "not_found"
        );
        store.insert_demand(&demand("d2", "z1")).unwrap();
        store.delete_demand(&"d2".into()).unwrap();
        assert_eq!(store.load_dataset().unwrap(), dataset());
    }

    #[test]
    fn tokens_are_found_by_hash_until_revoked() {
        let (_dir, store) = open();
        let id = store.insert_token("h1", "department", "bootstrap").unwrap();
        store.insert_token("h2", "zone:z1", "园区").unwrap();
        assert_eq!(store.active_token_count().unwrap(), 2);
        assert_eq!(
            store.active_token("h1").unwrap().unwrap().role,
            "department"
        );
        assert!(store.active_token("nope").unwrap().is_none());
        store.revoke_token(id).unwrap();
        assert!(store.active_token("h1").unwrap().is_none());
        assert_eq!(store.revoke_token(id).unwrap_err().code(), "not_found");
        let all = store.tokens().unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].revoked_at.is_some() && all[1].revoked_at.is_none());
    }

    #[test]
    fn review_updates_status_version_and_history_atomically() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        let p = pairing(&store, "p1");
        assert_eq!((p.status, p.version), (PairingStatus::Proposed, 1));
        assert_eq!(
            store
                .review_pairing("p1", &actor(), Decision::Reject, "", 1)
                .unwrap_err()
                .code(),
            "comment_required"
        );
        let (after, entry) = store
            .review_pairing("p1", &actor(), Decision::RequestChanges, "补充平台", 1)
            .unwrap();
        assert_eq!(
            (after.status, after.version),
            (PairingStatus::ChangesRequested, 2)
        );
        assert_eq!(entry.from, Some(PairingStatus::Proposed));
        assert_eq!(entry.comment, "补充平台");
        assert_eq!(
            store
                .review_pairing("p1", &actor(), Decision::Approve, "", 1)
                .unwrap_err()
                .code(),
            "version_conflict"
        );
        let (revised, _) = store
            .revise_pairing("p1", &actor(), &serde_json::json!({"v": 2}), 0.7, "", 2)
            .unwrap();
        assert_eq!(
            (revised.status, revised.version),
            (PairingStatus::Proposed, 3)
        );
        assert_eq!(revised.bundle, serde_json::json!({"v": 2}));
        store
            .review_pairing("p1", &actor(), Decision::Approve, "", 3)
            .unwrap();
        let history = store.history("p1").unwrap();
        let steps: Vec<_> = history
            .iter()
            .map(|h| (h.action, h.from, h.to, h.version))
            .collect();
        assert_eq!(
            steps,
            vec![
                (Action::Propose, None, PairingStatus::Proposed, 1),
                (
                    Action::RequestChanges,
                    Some(PairingStatus::Proposed),
                    PairingStatus::ChangesRequested,
                    2
                ),
                (
                    Action::Revise,
                    Some(PairingStatus::ChangesRequested),
                    PairingStatus::Proposed,
                    3
                ),
                (
                    Action::Approve,
                    Some(PairingStatus::Proposed),
                    PairingStatus::Approved,
                    4
                ),
            ]
        );
        assert_eq!(
            store
                .review_pairing("nope", &actor(), Decision::Approve, "", 1)
                .unwrap_err()
                .code(),
            "not_found"
        );
    }

    #[test]
    fn history_is_append_only() {
        let (_dir, store) = open();
        pairing(&store, "p1");
        let conn = lock(&store.writer);
        assert!(conn.execute("DELETE FROM review_history", []).is_err());
        assert!(
            conn.execute("UPDATE review_history SET comment = 'x'", [])
                .is_err()
        );
    }

    #[test]
    fn pairings_filter_and_paginate() {
        let (_dir, store) = open();
        for i in 0..5 {
            pairing(&store, &format!("p{i}"));
        }
        store
            .review_pairing("p3", &actor(), Decision::Approve, "", 1)
            .unwrap();
        let (page, total) = store.pairings(&PairingFilter::default(), 2, 1).unwrap();
        assert_eq!((page.len(), total), (2, 5));
        assert_eq!(page[0].id, "p1");
        let approved = PairingFilter {
            status: Some(PairingStatus::Approved),
            ..Default::default()
        };
        let (page, total) = store.pairings(&approved, 10, 0).unwrap();
        assert_eq!((page[0].id.as_str(), total), ("p3", 1));
        let other_zone = PairingFilter {
            zone_id: Some("z2".into()),
            ..Default::default()
        };
        assert_eq!(store.pairings(&other_zone, 10, 0).unwrap().1, 0);
        assert_eq!(
            pairing_err(&store, "p1"),
            "already_exists",
            "duplicate pairing id"
        );
    }

    fn pairing_err(store: &Store, id: &str) -> &'static str {
        store
            .insert_pairing(
                &NewPairing {
                    id: id.into(),
                    batch_id: None,
                    zone_id: "z1".into(),
                    university_id: "u1".into(),
                    track_id: "t1".into(),
                    bundle: serde_json::Value::Null,
                    quality: 0.1,
                },
                &actor(),
            )
            .unwrap_err()
            .code()
    }

    #[test]
    fn comments_and_jobs() {
        let (_dir, store) = open();
        pairing(&store, "p1");
        let c = store.add_comment("p1", &actor(), "请补充基金").unwrap();
        assert_eq!(c.body, "请补充基金");
        assert_eq!(store.comments("p1").unwrap(), vec![c]);
        assert_eq!(
            store.add_comment("nope", &actor(), "x").unwrap_err().code(),
            "not_found"
        );
        let job = store
            .insert_job(
                "j1",
                &serde_json::json!({"track_ids": ["t1"]}),
                "department",
            )
            .unwrap();
        assert_eq!(job.state, "queued");
        store
            .update_job(
                "j1",
                "done",
                100.0,
                Some(&serde_json::json!({"objective": 1.5})),
                None,
            )
            .unwrap();
        let job = store.job("j1").unwrap().unwrap();
        assert_eq!(job.result, Some(serde_json::json!({"objective": 1.5})));
        assert_eq!(store.jobs(10, 0).unwrap().1, 1);
    }

    fn new_pairing(id: &str, batch: &str) -> NewPairing {
        NewPairing {
            id: id.into(),
            batch_id: Some(batch.into()),
            zone_id: "z1".into(),
            university_id: "u1".into(),
            track_id: "t1".into(),
            bundle: serde_json::json!({"benchmark_projects": []}),
            quality: 0.4,
        }
    }

    fn job(store: &Store, id: &str, parent: Option<&str>) {
        store
            .insert_proposal_job(&NewJob {
                id: id.into(),
                kind: if parent.is_some() {
                    "revise"
                } else {
                    "propose"
                }
                .into(),
                parent_id: parent.map(Into::into),
                request: serde_json::json!({"track_ids": ["t1"]}),
                created_by: "处长".into(),
            })
            .unwrap();
    }

    fn finish(store: &Store, id: &str, pairings: Vec<NewPairing>, parent: Option<&str>) {
        store
            .finish_job(
                &FinishedJob {
                    id: id.into(),
                    result: serde_json::json!({"pairings": pairings.len()}),
                    summary: serde_json::json!({"objective": 1.0}),
                    pairings,
                    supersedes: parent.map(Into::into),
                },
                &actor(),
            )
            .unwrap();
    }

    #[test]
    fn finishing_a_job_enters_its_pairings_and_supersedes_open_ones() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        job(&store, "j1", None);
        assert_eq!(store.unfinished_jobs().unwrap().len(), 1);
        store
            .set_job_progress("j1", "running", 40.0, Some("solving"))
            .unwrap();
        let j = store.job("j1").unwrap().unwrap();
        assert_eq!(
            (j.state.as_str(), j.stage.as_deref(), j.progress),
            ("running", Some("solving"), 40.0)
        );
        let three = ["j1-001", "j1-002", "j1-003"]
            .map(|id| new_pairing(id, "j1"))
            .to_vec();
        finish(&store, "j1", three, None);
        let j = store.job("j1").unwrap().unwrap();
        assert_eq!((j.state.as_str(), j.progress), ("done", 100.0));
        assert_eq!(j.summary, Some(serde_json::json!({"objective": 1.0})));
        assert!(store.unfinished_jobs().unwrap().is_empty());
        assert_eq!(store.history("j1-001").unwrap().len(), 1);
        store
            .review_pairing("j1-001", &actor(), Decision::Approve, "", 1)
            .unwrap();
        store
            .review_pairing("j1-002", &actor(), Decision::Reject, "不合适", 1)
            .unwrap();

        job(&store, "j2", Some("j1"));
        finish(&store, "j2", vec![new_pairing("j2-001", "j2")], Some("j1"));
        // Only the open pairing of j1 is superseded; approved and rejected ones keep their state.
        let by_id = |id: &str| store.pairing(id).unwrap().unwrap();
        assert_eq!(by_id("j1-003").superseded_by.as_deref(), Some("j2"));
        assert_eq!(by_id("j1-001").superseded_by, None);
        assert_eq!(by_id("j1-002").superseded_by, None);
        assert_eq!(
            store
                .review_pairing("j1-003", &actor(), Decision::Approve, "", 1)
                .unwrap_err()
                .code(),
            "pairing_superseded"
        );
        // Lists leave superseded pairings out unless their batch is asked for.
        let (all, total) = store.pairings(&PairingFilter::default(), 10, 0).unwrap();
        assert_eq!(total, 3);
        assert!(all.iter().all(|p| p.id != "j1-003"));
        let of_j1 = PairingFilter {
            batch_id: Some("j1".into()),
            ..Default::default()
        };
        assert_eq!(store.pairings(&of_j1, 10, 0).unwrap().1, 3);
        let ids = vec!["j1-001".to_owned(), "j2-001".to_owned(), "nope".to_owned()];
        assert_eq!(store.pairings_by_id(&ids).unwrap().len(), 2);
        assert_eq!(
            store
                .pairings_with_status(PairingStatus::Proposed)
                .unwrap()
                .len(),
            1
        );
        let (jobs, total) = store.jobs(10, 0).unwrap();
        assert_eq!(total, 2);
        assert_eq!(jobs[0].id, "j2", "newest first");
        assert_eq!(jobs[0].parent_id.as_deref(), Some("j1"));
        assert!(jobs.iter().all(|j| j.result.is_none()));
    }

    #[test]
    fn a_failed_finish_writes_nothing() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        pairing(&store, "taken");
        job(&store, "j1", None);
        let err = store
            .finish_job(
                &FinishedJob {
                    id: "j1".into(),
                    result: serde_json::json!({}),
                    summary: serde_json::json!({}),
                    pairings: vec![new_pairing("j1-001", "j1"), new_pairing("taken", "j1")],
                    supersedes: None,
                },
                &actor(),
            )
            .unwrap_err();
        assert_eq!(err.code(), "already_exists");
        assert!(store.pairing("j1-001").unwrap().is_none());
        assert_eq!(store.job("j1").unwrap().unwrap().state, "queued");
        store.requeue_job("j1").unwrap();
        store.fail_job("j1", "boom").unwrap();
        let j = store.job("j1").unwrap().unwrap();
        assert_eq!(
            (j.state.as_str(), j.error.as_deref()),
            ("failed", Some("boom"))
        );
    }
}
