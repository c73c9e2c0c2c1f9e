//! Backup and restore of the database with SQLite's online backup: a consistent copy of what the
//! database holds, including writes still in its write-ahead log (a copy of the file alone misses them),
//! taken while the service keeps running.

use std::path::{Path, PathBuf};

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::migrations::SCHEMA_VERSION;
use super::{Result, StoreError};

/// Pages copied per step; between steps the source is free for the service's writes.
const PAGES_PER_STEP: std::os::raw::c_int = 256;

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub bytes: u64,
    pub schema_version: i64,
}

fn refuse_existing(path: &Path) -> Result<()> {
    for p in [path.to_path_buf(), with_suffix(path, "-wal")] {
        if p.exists() {
            return Err(StoreError::AlreadyExists {
                what: "file",
                id: p.display().to_string(),
            });
        }
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn corrupt(path: &Path, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        what: format!("database {}", path.display()),
        detail: detail.into(),
    }
}

/// `PRAGMA integrity_check` passes and the schema is one this binary reads.
fn check(conn: &Connection, path: &Path) -> Result<i64> {
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    if verdict != "ok" {
        return Err(corrupt(path, verdict));
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version == 0 {
        return Err(corrupt(path, "not a shuanggao database (schema version 0)"));
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Copies `from` into the new file `to` (which must not exist) through a `.partial` file that is
/// checked, synced and then renamed, so `to` is either absent or a complete, checked database.
fn copy(from: &Connection, from_path: &Path, to: &Path) -> Result<BackupReport> {
    refuse_existing(to)?;
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let mut dst = Connection::open(&partial)?;
        Backup::new(from, &mut dst)?.run_to_completion(
            PAGES_PER_STEP,
            std::time::Duration::ZERO,
            None,
        )?;
        // The copy carries the source's WAL mode; a standalone file is simpler to move around.
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        let schema_version = check(&dst, from_path)?;
        drop(dst);
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(|err| corrupt(&partial, err.to_string()))?;
        let bytes = std::fs::metadata(&partial)
            .map_err(|err| corrupt(&partial, err.to_string()))?
            .len();
        std::fs::rename(&partial, to).map_err(|err| corrupt(to, err.to_string()))?;
        Ok(BackupReport {
            bytes,
            schema_version,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Writes a consistent copy of the database at `db` to the new file `out`, while other processes (the
/// service) keep reading and writing it.
pub fn backup(db: &Path, out: &Path) -> Result<BackupReport> {
    let src = open_source(db, "database")?;
    src.busy_timeout(std::time::Duration::from_secs(10))?;
    copy(&src, db, out)
}

/// A read-only connection to an existing database file (`what` names it in the error).
fn open_source(path: &Path, what: &'static str) -> Result<Connection> {
    if !path.exists() {
        return Err(StoreError::NotFound {
            what,
            id: path.display().to_string(),
        });
    }
    Ok(Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?)
}

/// Restores the backup `from` as the database `db`, which must not exist yet (stop the service and move
/// the old database away first). The backup is checked before anything is written.
pub fn restore(from: &Path, db: &Path) -> Result<BackupReport> {
    let src = open_source(from, "backup")?;
    check(&src, from)?;
    copy(&src, from, db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, testkit};

    #[test]
    fn a_backup_taken_while_the_store_is_open_restores_every_write() {
        let (dir, store) = testkit::open();
        let db = dir.path().join("var/db.sqlite");
        for i in 0..20 {
            store
                .insert_job(&format!("pj-{i}"), &serde_json::json!({}), "处长")
                .unwrap();
        }
        // The writes sit in the WAL (the store is still open): a plain file copy would miss them.
        let out = dir.path().join("backups/db.bak");
        let report = backup(&db, &out).unwrap();
        assert!(report.bytes > 0);
        assert!(matches!(
            backup(&db, &out),
            Err(StoreError::AlreadyExists { .. })
        ));
        let fresh = dir.path().join("fresh/db.sqlite");
        restore(&out, &fresh).unwrap();
        let restored = Store::open(&fresh).unwrap();
        let (jobs, total) = restored.jobs(100, 0).unwrap();
        assert_eq!((jobs.len(), total), (20, 20));
    }

    #[test]
    fn restore_refuses_a_damaged_backup_and_an_existing_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.sqlite");
        drop(Store::open(&db).unwrap());
        let out = dir.path().join("db.bak");
        backup(&db, &out).unwrap();
        assert!(matches!(
            restore(&out, &db),
            Err(StoreError::AlreadyExists { .. })
        ));
        let junk = dir.path().join("junk.bak");
        std::fs::write(&junk, b"not a database at all, just some bytes").unwrap();
        assert!(restore(&junk, &dir.path().join("x.sqlite")).is_err());
        assert!(!dir.path().join("x.sqlite").exists());
        assert!(!dir.path().join("x.sqlite.partial").exists());
    }
}
