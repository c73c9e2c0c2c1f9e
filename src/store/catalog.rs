//! The catalog: tracks, zones, universities, teams and demands, imported once and then edited team by
//! team and demand by demand, plus the `meta` key-value table.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{NOW, Result, Store, StoreError, found, from_json, to_json};
use crate::domain::{Dataset, Demand, Team, UniversityId, ZoneId};

/// How many rows an import wrote per table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    pub tracks: usize,
    pub zones: usize,
    pub universities: usize,
    pub teams: usize,
    pub demands: usize,
}

impl Store {
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
                    insert_record(tx, team)?;
                }
                for demand in &data.demands {
                    insert_record(tx, demand)?;
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

    /// Inserts a new team or demand; `AlreadyExists` if its id is taken.
    pub fn insert_record<R: StoredRecord>(&self, record: &R) -> Result<()> {
        self.write(|tx| insert_record(tx, record))
    }

    /// Replaces a team or demand; `NotFound` if there is none with its id.
    pub fn update_record<R: StoredRecord>(&self, record: &R) -> Result<()> {
        self.write(|tx| update_record(tx, record))
    }

    /// Inserts `created` and replaces `updated` in one transaction: all are written or none.
    pub fn write_records<R: StoredRecord>(&self, created: &[R], updated: &[R]) -> Result<()> {
        self.write(|tx| {
            for record in created {
                insert_record(tx, record)?;
            }
            for record in updated {
                update_record(tx, record)?;
            }
            Ok(())
        })
    }

    /// Deletes the team or demand `id`; `NotFound` if there is none.
    pub fn delete_record<R: StoredRecord>(&self, id: &str) -> Result<()> {
        self.write(|tx| delete_record::<R>(tx, id))
    }

    /// Makes each change on its own terms (one that fails leaves the others alone) but commits them
    /// together: one transaction, so one fsync however many there are. Returns each change's outcome in
    /// order. When the commit itself fails, each change is made again in a transaction of its own.
    pub fn apply_changes(&self, changes: &[Change]) -> Vec<Result<()>> {
        let batched = self.write_mut(|tx| {
            let mut outcomes = Vec::with_capacity(changes.len());
            for change in changes {
                let sp = tx.savepoint()?;
                let outcome = change.apply(&sp);
                if outcome.is_ok() {
                    sp.commit()?;
                }
                outcomes.push(outcome);
            }
            Ok(outcomes)
        });
        match batched {
            Ok(outcomes) => outcomes,
            Err(_) => changes
                .iter()
                .map(|change| self.write(|tx| change.apply(tx)))
                .collect(),
        }
    }
}

/// One write of a team or demand, made with others by [`Store::apply_changes`].
#[derive(Debug, Clone)]
pub enum Change {
    /// A new record; `AlreadyExists` if its id is taken.
    Insert(Row),
    /// A replacement; `NotFound` if there is none with its id.
    Update(Row),
    /// A deletion; `NotFound` if there is none.
    Delete { table: Table, id: String },
}

/// A team or demand as its table stores it.
#[derive(Debug, Clone)]
pub struct Row {
    table: Table,
    id: String,
    owner_id: String,
    payload: String,
}

impl Change {
    pub fn insert<R: StoredRecord>(record: &R) -> Result<Change> {
        Row::of(record).map(Change::Insert)
    }

    pub fn update<R: StoredRecord>(record: &R) -> Result<Change> {
        Row::of(record).map(Change::Update)
    }

    pub fn delete<R: StoredRecord>(id: &str) -> Change {
        Change::Delete {
            table: R::TABLE,
            id: id.to_owned(),
        }
    }

    fn apply(&self, tx: &Connection) -> Result<()> {
        match self {
            Change::Insert(row) => {
                let (table, owner) = (row.table.name, row.table.owner);
                let n = tx.execute(
                    &format!(
                        "INSERT INTO {table} (id, {owner}, payload, updated_at)
                         VALUES (?1, ?2, ?3, {NOW}) ON CONFLICT (id) DO NOTHING"
                    ),
                    params![row.id, row.owner_id, row.payload],
                )?;
                if n == 0 {
                    return Err(StoreError::AlreadyExists {
                        what: row.table.what,
                        id: row.id.clone(),
                    });
                }
                Ok(())
            }
            Change::Update(row) => {
                let (table, owner) = (row.table.name, row.table.owner);
                let n = tx.execute(
                    &format!(
                        "UPDATE {table} SET {owner} = ?2, payload = ?3, updated_at = {NOW} WHERE id = ?1"
                    ),
                    params![row.id, row.owner_id, row.payload],
                )?;
                found(n, row.table.what, &row.id)
            }
            Change::Delete { table, id } => {
                let n = tx.execute(&format!("DELETE FROM {} WHERE id = ?1", table.name), [id])?;
                found(n, table.what, id)
            }
        }
    }
}

impl Row {
    fn of<R: StoredRecord>(record: &R) -> Result<Row> {
        let (id, owner_id) = record.keys();
        Ok(Row {
            table: R::TABLE,
            id: id.to_owned(),
            owner_id: owner_id.to_owned(),
            payload: to_json(record)?,
        })
    }
}

/// Where one kind of catalog record is stored.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The table.
    name: &'static str,
    /// The column of the owner's id.
    owner: &'static str,
    /// The word errors use.
    what: &'static str,
}

impl Table {
    const fn new(name: &'static str, owner: &'static str, what: &'static str) -> Table {
        Table { name, owner, what }
    }
}

/// A catalog record that is written one at a time: a team (under its university) or a demand (under its
/// zone), stored as a JSON payload next to its id and its owner's id.
pub trait StoredRecord: Serialize {
    const TABLE: Table;
    /// Its id and its owner's id.
    fn keys(&self) -> (&str, &str);
}

impl StoredRecord for Team {
    const TABLE: Table = Table::new("teams", "university_id", "team");
    fn keys(&self) -> (&str, &str) {
        (self.id.as_str(), self.university_id.as_str())
    }
}

impl StoredRecord for Demand {
    const TABLE: Table = Table::new("demands", "zone_id", "demand");
    fn keys(&self) -> (&str, &str) {
        (self.id.as_str(), self.zone_id.as_str())
    }
}

fn insert_record<R: StoredRecord>(tx: &Connection, record: &R) -> Result<()> {
    Change::insert(record)?.apply(tx)
}

fn update_record<R: StoredRecord>(tx: &Connection, record: &R) -> Result<()> {
    Change::update(record)?.apply(tx)
}

fn delete_record<R: StoredRecord>(tx: &Connection, id: &str) -> Result<()> {
    Change::delete::<R>(id).apply(tx)
}

#[cfg(test)]
mod tests {
    use crate::domain::{Demand, Team};
    use crate::store::testkit::*;

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
            store
                .insert_record(&team("team1", "u1"))
                .unwrap_err()
                .code(),
            "already_exists"
        );
        store.insert_record(&team("team2", "u1")).unwrap();
        let mut changed = team("team2", "u1");
        changed.name = "新名字".into();
        store.update_record(&changed).unwrap();
        assert_eq!(
            store.update_record(&team("nope", "u1")).unwrap_err().code(),
            "not_found"
        );
        let loaded = store.load_dataset().unwrap();
        assert_eq!(loaded.teams.len(), 2);
        assert_eq!(loaded.teams[1].name, "新名字");
        store.delete_record::<Team>("team2").unwrap();
        assert_eq!(
            store.delete_record::<Team>("team2").unwrap_err().code(),
            "not_found"
        );
        store.insert_record(&demand("d2", "z1")).unwrap();
        store.delete_record::<Demand>("d2").unwrap();
        assert_eq!(store.load_dataset().unwrap(), dataset());
    }

    #[test]
    fn record_batches_are_written_whole_or_not_at_all() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        let taken = [demand("d2", "z1"), demand("d1", "z1")];
        assert_eq!(
            store.write_records(&taken, &[]).unwrap_err().code(),
            "already_exists"
        );
        assert_eq!(store.load_dataset().unwrap(), dataset());
        let mut changed = demand("d1", "z1");
        changed.title = "改过的需求".into();
        store
            .write_records(&[demand("d2", "z1")], &[changed])
            .unwrap();
        let loaded = store.load_dataset().unwrap();
        assert_eq!(loaded.demands.len(), 2);
        assert_eq!(loaded.demands[0].title, "改过的需求");
    }
}
