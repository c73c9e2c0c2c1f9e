//! Writes of teams and demands through one path ([`CatalogRecord`] says how each kind is owned, stored,
//! kept in memory and indexed): each write is checked against the dataset contract and the caller's
//! role, then made in the store, the in-memory catalog and the matcher in that order, in one write lane.
//!
//! Writes that arrive while the lane is busy wait in a queue, and the next writer to take the lane makes
//! all of them together ([`App::submit`]): one store transaction (one fsync), one catalog generation and
//! one ranking patch for the lot. Each write still succeeds or fails on its own.

use tracing::{error, info, instrument};

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::catalog::Catalog;
use super::lists::Written;
use super::{App, AppError, Matcher, MatcherError, Result, Violation};
use crate::auth::{Principal, Role};
use crate::dataset::{self, Record};
use crate::domain::{Demand, DemandId, Team, TeamId, UniversityId, ZoneId};
use crate::store::{Change, StoreError, StoredRecord};

/// A matcher update owed to a committed write, kept until it succeeds.
pub(crate) type MissedUpdate = Box<dyn Fn(&dyn Matcher) -> Result<(), MatcherError> + Send>;

/// A team or demand write waiting for the lane: its store change, what it does to the catalog and the
/// matcher, and where its outcome goes.
pub(super) struct Pending {
    what: String,
    change: Change,
    catalog: Box<dyn FnOnce(&mut Catalog) + Send>,
    update: MissedUpdate,
    written: Written,
    outcome: Arc<Mutex<Option<Result<()>>>>,
}

/// Attempts per matcher update and write; a lock held for a moment by another writer passes by then.
const UPDATE_ATTEMPTS: u32 = 3;

/// Locks `m`, going on past a panic of an earlier holder (each holder leaves the data consistent).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn apply_with_retries(matcher: &dyn Matcher, update: &MissedUpdate) -> Result<(), MatcherError> {
    let mut attempt = 1;
    loop {
        match update(matcher) {
            Ok(()) => return Ok(()),
            Err(_) if attempt < UPDATE_ATTEMPTS => {
                std::thread::sleep(std::time::Duration::from_millis(20 << attempt));
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

impl App {
    /// Runs a catalog write in the write lane: store first, then catalog, then matcher.
    async fn write_catalog(
        &self,
        f: impl FnOnce(&App) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.blocking(move |app| {
            let _lane = lock(&app.inner.write_lane);
            f(app)
        })
        .await
    }

    /// Makes a team or demand write: queues it, then takes the lane; unless the writer that held the lane
    /// made it already, makes every write queued by then as one batch ([`App::apply_batch`]).
    async fn submit(
        &self,
        what: String,
        change: Change,
        catalog: Box<dyn FnOnce(&mut Catalog) + Send>,
        update: MissedUpdate,
        written: Written,
    ) -> Result<()> {
        self.blocking(move |app| {
            let outcome = Arc::new(Mutex::new(None));
            lock(&app.inner.pending).push(Pending {
                what,
                change,
                catalog,
                update,
                written,
                outcome: outcome.clone(),
            });
            let _lane = lock(&app.inner.write_lane);
            if lock(&outcome).is_none() {
                let batch = std::mem::take(&mut *lock(&app.inner.pending));
                app.apply_batch(batch);
            }
            lock(&outcome)
                .take()
                .unwrap_or_else(|| Err(AppError::Task("the write was not made".into())))
        })
        .await
    }

    /// Makes queued writes in the lane: their store changes in one transaction, each succeeding or
    /// failing on its own; then the catalog and the matcher take the ones that succeeded.
    fn apply_batch(&self, batch: Vec<Pending>) {
        let started = Instant::now();
        let changes: Vec<Change> = batch.iter().map(|p| p.change.clone()).collect();
        let outcomes = self.inner.store.apply_changes(&changes);
        let stored = started.elapsed();
        let (n, mut catalog_ops, mut applied) = (batch.len(), Vec::new(), Vec::new());
        for (pending, outcome) in batch.into_iter().zip(outcomes) {
            let made = outcome.is_ok();
            *lock(&pending.outcome) = Some(outcome.map_err(AppError::from));
            if made {
                catalog_ops.push(pending.catalog);
                applied.push((pending.what, pending.update, pending.written));
            }
        }
        if applied.is_empty() {
            return;
        }
        self.mutate_catalog(|c| catalog_ops.into_iter().for_each(|op| op(c)));
        self.after_writes(applied);
        tracing::debug!(
            writes = n,
            store_ms = stored.as_secs_f64() * 1e3,
            total_ms = started.elapsed().as_secs_f64() * 1e3,
            "writes made"
        );
    }

    /// Brings the matcher up to date with committed writes: updates missed by earlier writes first,
    /// then these, each tried up to [`UPDATE_ATTEMPTS`] times. An update that still fails is kept and
    /// the service reports itself not ready ([`App::ready`]) until a later write's attempt (or a
    /// restart, which rebuilds the engine from the store) brings the matcher level with the store.
    fn after_writes(&self, applied: Vec<(String, MissedUpdate, Written)>) {
        let matcher = self.inner.matcher.as_ref();
        let mut missed = lock(&self.inner.missed_updates);
        let owed_before = !missed.is_empty();
        // Rankings computed from the matcher as it stood before these writes are not kept.
        self.lists_changing();
        let started = Instant::now();
        let n = applied.len();
        let mut written = Vec::with_capacity(n);
        for (what, update, w) in applied {
            missed.push((what, update));
            written.push(w);
        }
        missed.retain(|(what, update)| match apply_with_retries(matcher, update) {
            Ok(()) => false,
            Err(err) => {
                error!(code = "matcher_update_failed", %err, what, "matcher update failed");
                true
            }
        });
        let level = missed.is_empty();
        drop(missed);
        // Lists are patched only from a matcher level with the store that held every earlier write;
        // otherwise they are forgotten and ranked afresh.
        if owed_before || !level {
            self.clear_lists();
        } else {
            self.take_writes(written);
        }
        self.bump_generation();
        self.inner.counters.engine_update(n, started.elapsed());
    }

    /// What keeps the service from being ready: matcher updates that failed after their writes.
    pub(crate) fn missed_updates(&self) -> Vec<String> {
        let missed = lock(&self.inner.missed_updates);
        missed.iter().map(|(what, _)| what.clone()).collect()
    }

    /// Starts a new catalog generation: every cached ranking page is built again from the lists.
    pub(super) fn bump_generation(&self) {
        self.mutate_catalog(|_| {});
    }

    fn mutate_catalog(&self, f: impl FnOnce(&mut Catalog)) {
        let mut c = self
            .inner
            .catalog
            .write()
            .unwrap_or_else(|p| p.into_inner());
        f(&mut c);
        c.generation += 1;
    }

    /// Adds a team or demand after checking that the caller owns its university or zone.
    async fn create_record<R: CatalogRecord>(&self, who: &Principal, record: R) -> Result<R> {
        if !R::owns(&who.role, record.owner()) {
            let action = format!("add {}s to {} {}", R::NOUN, R::OWNER, record.owner());
            return Err(who.role.forbidden(action).into());
        }
        self.save_record(record, Change::insert::<R>).await
    }

    /// Checks a team or demand against the contract, then writes it as `change` makes it (an insert or
    /// an update), keeps it in the catalog and indexes it.
    async fn save_record<R: CatalogRecord>(
        &self,
        record: R,
        change: fn(&R) -> Result<Change, StoreError>,
    ) -> Result<R> {
        check_record(&record, &self.catalog().refs)?;
        let (stored, kept, indexed) = (change(&record)?, record.clone(), record.clone());
        self.submit(
            format!("{} {}", R::NOUN, record.key()),
            stored,
            Box::new(move |c| kept.put(c)),
            Box::new(move |m| indexed.index(m)),
            R::written(record.key()),
        )
        .await?;
        Ok(record)
    }

    /// Writes many teams or demands, already checked, in one store transaction (all or none), then keeps
    /// them in the catalog and indexes them, in the write lane.
    pub(super) async fn save_records<R: CatalogRecord>(
        &self,
        created: Vec<R>,
        updated: Vec<R>,
    ) -> Result<()> {
        self.write_catalog(move |app| {
            let started = Instant::now();
            app.inner.store.write_records(&created, &updated)?;
            let stored = started.elapsed();
            let records: Vec<R> = created.into_iter().chain(updated).collect();
            app.mutate_catalog(|c| records.iter().for_each(|r| r.clone().put(c)));
            let (n, what) = (
                records.len(),
                format!("{} {}s (import)", records.len(), R::NOUN),
            );
            let update: MissedUpdate =
                Box::new(move |m| records.iter().try_for_each(|r| r.index(m)));
            app.after_writes(vec![(what, update, Written::Many)]);
            info!(
                records = n,
                store_ms = stored.as_millis() as u64,
                total_ms = started.elapsed().as_millis() as u64,
                "records saved"
            );
            Ok(())
        })
        .await
    }

    /// The university or zone a team or demand belongs to now.
    fn current_owner<R: CatalogRecord>(&self, id: &R::Id) -> Result<R::Owner> {
        R::current_owner(&self.catalog(), id).ok_or_else(|| AppError::not_found(R::NOUN, id))
    }

    /// Replaces a team or demand; the caller owns it, and it stays with the university or zone it has.
    async fn update_record<R: CatalogRecord>(
        &self,
        who: &Principal,
        id: &R::Id,
        record: R,
    ) -> Result<R> {
        if record.key() != id {
            return Err(Violation {
                field: "id".into(),
                message: format!("must equal the id in the path ({id})"),
            }
            .into());
        }
        let current = self.current_owner::<R>(id)?;
        if !R::owns(&who.role, &current) || !R::owns(&who.role, record.owner()) {
            return Err(who
                .role
                .forbidden(format!("change {} {id}", R::NOUN))
                .into());
        }
        self.save_record(record, Change::update::<R>).await
    }

    /// Deletes a team or demand the caller owns.
    async fn delete_record<R: CatalogRecord>(&self, who: &Principal, id: &R::Id) -> Result<()> {
        let current = self.current_owner::<R>(id)?;
        if !R::owns(&who.role, &current) {
            return Err(who
                .role
                .forbidden(format!("delete {} {id}", R::NOUN))
                .into());
        }
        let (kept, gone) = (id.clone(), id.clone());
        self.submit(
            format!("{} {id} (deleted)", R::NOUN),
            Change::delete::<R>(&id.to_string()),
            Box::new(move |c| R::remove(c, &kept)),
            Box::new(move |m| R::unindex(m, &gone)),
            R::deleted(id),
        )
        .await
    }

    /// Adds a team (department, or the university it belongs to).
    #[instrument(skip(self, who, team), fields(role = who.role.kind(), team = %team.id))]
    pub async fn create_team(&self, who: &Principal, team: Team) -> Result<Team> {
        self.create_record(who, team).await
    }

    /// Replaces a team (department, or its university; it cannot move to another university).
    #[instrument(skip(self, who, team), fields(role = who.role.kind()))]
    pub async fn update_team(&self, who: &Principal, id: &TeamId, team: Team) -> Result<Team> {
        self.update_record(who, id, team).await
    }

    /// Deletes a team (department, or its university).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn delete_team(&self, who: &Principal, id: &TeamId) -> Result<()> {
        self.delete_record::<Team>(who, id).await
    }

    /// Adds a demand (department, or the zone it belongs to).
    #[instrument(skip(self, who, demand), fields(role = who.role.kind(), demand = %demand.id))]
    pub async fn create_demand(&self, who: &Principal, demand: Demand) -> Result<Demand> {
        self.create_record(who, demand).await
    }

    /// Replaces a demand (department, or its zone; it cannot move to another zone).
    #[instrument(skip(self, who, demand), fields(role = who.role.kind()))]
    pub async fn update_demand(
        &self,
        who: &Principal,
        id: &DemandId,
        demand: Demand,
    ) -> Result<Demand> {
        self.update_record(who, id, demand).await
    }

    /// Deletes a demand (department, or its zone).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn delete_demand(&self, who: &Principal, id: &DemandId) -> Result<()> {
        self.delete_record::<Demand>(who, id).await
    }
}

/// A team or a demand as the write path sees it: the university or zone that owns it, and where it is
/// stored, kept in memory and indexed.
pub(super) trait CatalogRecord: Record + StoredRecord + Clone + 'static {
    type Id: Clone + PartialEq + fmt::Display + Send + 'static;
    type Owner: fmt::Display;
    /// What owns it, in messages (`university`, `zone`).
    const OWNER: &'static str;

    fn key(&self) -> &Self::Id;
    fn owner(&self) -> &Self::Owner;
    fn owns(role: &Role, owner: &Self::Owner) -> bool;
    fn current_owner(c: &Catalog, id: &Self::Id) -> Option<Self::Owner>;
    fn put(self, c: &mut Catalog);
    fn remove(c: &mut Catalog, id: &Self::Id);
    fn index(&self, matcher: &dyn Matcher) -> Result<(), MatcherError>;
    fn unindex(matcher: &dyn Matcher, id: &Self::Id) -> Result<(), MatcherError>;
    /// The write of this record, or of its deletion, as the ranking lists are patched with it.
    fn written(id: &Self::Id) -> Written;
    fn deleted(id: &Self::Id) -> Written;
}

/// Implements [`CatalogRecord`] for a kind: its id and owner types, the owner's noun and field, the
/// role check, the catalog's map and filing of the kind, and the matcher methods that keep it.
macro_rules! catalog_record {
    (
        $kind:ty, $id:ty, $owner:ty, $noun:literal, $field:ident, $owns:ident, $map:ident,
        $filing:ident, $upsert:ident, $delete:ident, $written:ident, $deleted:ident
    ) => {
        impl CatalogRecord for $kind {
            type Id = $id;
            type Owner = $owner;
            const OWNER: &'static str = $noun;

            fn key(&self) -> &$id {
                &self.id
            }
            fn owner(&self) -> &$owner {
                &self.$field
            }
            fn owns(role: &Role, owner: &$owner) -> bool {
                role.$owns(owner)
            }
            fn current_owner(c: &Catalog, id: &$id) -> Option<$owner> {
                c.$map.get(id).map(|r| r.$field.clone())
            }
            fn put(self, c: &mut Catalog) {
                c.$filing().put(self.id.clone(), self);
            }
            fn remove(c: &mut Catalog, id: &$id) {
                c.$filing().remove(id);
            }
            fn index(&self, matcher: &dyn Matcher) -> Result<(), MatcherError> {
                matcher.$upsert(self)
            }
            fn unindex(matcher: &dyn Matcher, id: &$id) -> Result<(), MatcherError> {
                matcher.$delete(id)
            }
            fn written(id: &$id) -> Written {
                Written::$written(id.clone())
            }
            fn deleted(id: &$id) -> Written {
                Written::$deleted(id.clone())
            }
        }
    };
}

catalog_record!(
    Team,
    TeamId,
    UniversityId,
    "university",
    university_id,
    owns_university,
    teams,
    team_filing,
    upsert_team,
    delete_team,
    Team,
    TeamDeleted
);
catalog_record!(
    Demand,
    DemandId,
    ZoneId,
    "zone",
    zone_id,
    owns_zone,
    demands,
    demand_filing,
    upsert_demand,
    delete_demand,
    Demand,
    DemandDeleted
);

/// An id the API can serve back in a path ([`crate::domain::id_problem`]).
fn check_id(id: &str) -> Result<(), Violation> {
    match crate::domain::id_problem(id) {
        None => Ok(()),
        Some(message) => Err(Violation {
            field: "id".into(),
            message: message.into(),
        }),
    }
}

/// Checks a team or demand written through the API against the contract and the catalog.
pub(super) fn check_record<R: Record>(record: &R, refs: &dataset::Refs) -> Result<(), Violation> {
    check_id(record.id())?;
    let problems = record.check(refs);
    let Some(first) = problems.first() else {
        return Ok(());
    };
    let message = if problems.len() == 1 {
        first.message.clone()
    } else {
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Err(Violation {
        field: first.field.clone(),
        message,
    })
}
