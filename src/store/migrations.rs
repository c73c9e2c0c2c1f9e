//! The schema: its migrations in order and how [`Store::open`] applies them.

use rusqlite::Connection;

use super::{Result, Store, StoreError};

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
    // 3: at most one active pairing (proposed, changes_requested or approved, and not superseded) per
    // zone × university × track. Existing duplicates are superseded first: an approved one is kept
    // (the newest if several), else the newest open one; the others are marked superseded by the kept
    // one's batch, or by the bookkeeping job `migration-3` when the kept one has none.
    r#"
    CREATE TEMP TABLE m3_active AS
    SELECT id, batch_id, zone_id, university_id, track_id,
           ROW_NUMBER() OVER (
               PARTITION BY zone_id, university_id, track_id
               ORDER BY status = 'approved' DESC, created_at DESC, rowid DESC
           ) AS pos
    FROM pairings
    WHERE superseded_by IS NULL AND status IN ('proposed', 'changes_requested', 'approved');
    CREATE TEMP TABLE m3_superseded AS
    SELECT d.id AS id, k.batch_id AS by_batch
    FROM m3_active d
    JOIN m3_active k ON k.zone_id = d.zone_id AND k.university_id = d.university_id
        AND k.track_id = d.track_id AND k.pos = 1
    WHERE d.pos > 1;
    INSERT INTO proposal_jobs (id, kind, state, stage, progress, request, created_by, created_at,
        updated_at)
    SELECT 'migration-3', 'migration', 'done', 'done', 100, '{"track_ids":[]}', 'schema migration 3',
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE EXISTS (SELECT 1 FROM m3_superseded WHERE by_batch IS NULL)
      AND NOT EXISTS (SELECT 1 FROM proposal_jobs WHERE id = 'migration-3');
    UPDATE pairings
    SET superseded_by = (SELECT COALESCE(s.by_batch, 'migration-3') FROM m3_superseded s
                         WHERE s.id = pairings.id),
        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id IN (SELECT id FROM m3_superseded);
    DROP TABLE m3_superseded;
    DROP TABLE m3_active;
    CREATE UNIQUE INDEX pairings_active_triple ON pairings (zone_id, university_id, track_id)
        WHERE superseded_by IS NULL AND status IN ('proposed', 'changes_requested', 'approved');
    "#,
    // 4: outcomes of approved pairings (recorded by the zone or university, verified by the
    // department) and their append-only history. The triple is copied from the pairing, whose triple
    // never changes; amount and contract are columns so that payments are summed in SQL.
    r#"
    CREATE TABLE outcomes (
        id TEXT PRIMARY KEY,
        pairing_id TEXT NOT NULL REFERENCES pairings (id),
        zone_id TEXT NOT NULL,
        university_id TEXT NOT NULL,
        track_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('project', 'contract', 'payment', 'patent_conversion',
            'platform', 'talent', 'students')),
        detail TEXT NOT NULL,
        amount_wan_yuan REAL CHECK (amount_wan_yuan IS NULL OR amount_wan_yuan > 0),
        contract_id TEXT REFERENCES outcomes (id),
        status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'rejected')),
        recorded_by_name TEXT NOT NULL,
        recorded_by_role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outcomes_pairing ON outcomes (pairing_id, created_at);
    CREATE INDEX outcomes_status ON outcomes (status, kind);
    CREATE INDEX outcomes_contract ON outcomes (contract_id) WHERE contract_id IS NOT NULL;
    CREATE TABLE outcome_history (
        id INTEGER PRIMARY KEY,
        outcome_id TEXT NOT NULL REFERENCES outcomes (id),
        at TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('record', 'verify', 'reject')),
        from_status TEXT,
        to_status TEXT NOT NULL,
        detail TEXT NOT NULL,
        comment TEXT NOT NULL
    );
    CREATE INDEX outcome_history_outcome ON outcome_history (outcome_id, id);
    CREATE TRIGGER outcome_history_no_update BEFORE UPDATE ON outcome_history
        BEGIN SELECT RAISE(ABORT, 'outcome history is append-only'); END;
    CREATE TRIGGER outcome_history_no_delete BEFORE DELETE ON outcome_history
        BEGIN SELECT RAISE(ABORT, 'outcome history is append-only'); END;
    CREATE TRIGGER outcomes_no_delete BEFORE DELETE ON outcomes
        BEGIN SELECT RAISE(ABORT, 'outcomes are never deleted'); END;
    "#,
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

impl Store {
    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |row| row.get(0))?))
    }
}

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::PairingStatus;
    use crate::store::testkit::bundle;
    use rusqlite::Connection;

    /// A database file at schema `version`, as a binary of that version left it, and a connection to it.
    fn database_at(version: usize) -> (tempfile::TempDir, std::path::PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let c = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..version] {
            c.execute_batch(sql).unwrap();
        }
        c.pragma_update(None, "user_version", version as i64)
            .unwrap();
        (dir, path, c)
    }

    #[test]
    fn a_version_1_database_migrates_with_its_jobs_and_pairings() {
        let (_dir, path, c) = database_at(1);
        {
            c.execute_batch(
                "INSERT INTO proposal_jobs (id, state, progress, request, created_by, created_at,
                    updated_at) VALUES ('j0', 'done', 100, '{}', 'x', 'then', 'then');",
            )
            .unwrap();
            c.execute(
                "INSERT INTO pairings (id, batch_id, zone_id, university_id, track_id, bundle, quality,
                    status, version, created_at, updated_at)
                 VALUES ('p0', 'j0', 'z', 'u', 't', ?1, 0.5, 'approved', 2, 'then', 'then')",
                [serde_json::to_string(&bundle("拟推荐")).unwrap()],
            )
            .unwrap();
        }
        drop(c);
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
    fn migration_3_keeps_one_active_pairing_per_triple() {
        let (_dir, path, c) = database_at(2);
        {
            c.execute_batch(
                "INSERT INTO proposal_jobs (id, state, progress, request, created_by, created_at,
                    updated_at) VALUES ('j1', 'done', 100, '{}', 'x', 't1', 't1'),
                                       ('j2', 'done', 100, '{}', 'x', 't2', 't2');",
            )
            .unwrap();
            let bundle = serde_json::to_string(&bundle("拟推荐")).unwrap();
            // (id, batch, zone, status, created_at): triple z-a has an approved pairing between two
            // open ones; z-b has three open ones; z-c has one open and one rejected; z-d two open ones
            // without a batch.
            let rows = [
                ("a-old", Some("j1"), "z-a", "proposed", "2026-01-01"),
                ("a-ok", Some("j1"), "z-a", "approved", "2026-01-02"),
                (
                    "a-new",
                    Some("j2"),
                    "z-a",
                    "changes_requested",
                    "2026-01-03",
                ),
                ("b-1", Some("j1"), "z-b", "proposed", "2026-01-01"),
                ("b-3", Some("j2"), "z-b", "proposed", "2026-01-03"),
                ("b-2", Some("j1"), "z-b", "changes_requested", "2026-01-02"),
                ("c-open", Some("j1"), "z-c", "proposed", "2026-01-01"),
                ("c-no", Some("j2"), "z-c", "rejected", "2026-01-02"),
                ("d-1", None, "z-d", "proposed", "2026-01-01"),
                ("d-2", None, "z-d", "proposed", "2026-01-02"),
            ];
            for (id, batch, zone, status, at) in rows {
                c.execute(
                    "INSERT INTO pairings (id, batch_id, zone_id, university_id, track_id, bundle,
                        quality, status, version, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'u', 't', ?4, 0.5, ?5, 1, ?6, ?6)",
                    rusqlite::params![id, batch, zone, bundle, status, at],
                )
                .unwrap();
            }
        }
        drop(c);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let by = |id: &str| store.pairing(id).unwrap().unwrap().superseded_by;
        let expected = [
            ("a-old", Some("j1")),
            ("a-ok", None),
            ("a-new", Some("j1")),
            ("b-1", Some("j2")),
            ("b-2", Some("j2")),
            ("b-3", None),
            ("c-open", None),
            ("c-no", None),
            ("d-1", Some("migration-3")),
            ("d-2", None),
        ];
        for (id, superseded_by) in expected {
            assert_eq!(by(id).as_deref(), superseded_by, "{id}");
        }
        let marker = store.job("migration-3").unwrap().unwrap();
        assert_eq!(
            (marker.kind.as_str(), marker.state.as_str()),
            ("migration", "done")
        );
        // From now on the store refuses a second active pairing for a triple.
        let mut second = crate::store::testkit::new_pairing("a-again", None);
        (second.zone_id, second.university_id, second.track_id) =
            ("z-a".into(), "u".into(), "t".into());
        let err = store
            .insert_pairing(&second, &crate::store::testkit::actor())
            .unwrap_err();
        assert_eq!(err.code(), "pairing_exists");
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
}
