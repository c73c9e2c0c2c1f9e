//! Writes of teams and demands through one path ([`CatalogRecord`] says how each kind is owned, stored,
//! kept in memory and indexed): each write is checked against the dataset contract and the caller's
//! role, then made in the store, the in-memory catalog and the matcher in that order, in one write lane.

use tracing::{error, instrument};

use std::fmt;

use super::catalog::Catalog;
use super::{App, AppError, Matcher, MatcherError, Result, Violation};
use crate::auth::{Principal, Role};
use crate::dataset::{self, Record};
use crate::domain::{Demand, DemandId, Team, TeamId, UniversityId, ZoneId};
use crate::store::{Store, StoreError};

impl App {
    /// Runs a catalog write in the write lane: store first, then catalog, then matcher.
    async fn write_catalog(
        &self,
        f: impl FnOnce(&App) -> Result<()> + Send + 'static,
    ) -> Result<()> {
        self.blocking(move |app| {
            let _lane = app
                .inner
                .write_lane
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            f(app)
        })
        .await
    }

    fn after_write(&self, what: &str, result: std::result::Result<(), MatcherError>) {
        if let Err(err) = result {
            // The store holds the write; the index catches up when it is next rebuilt.
            error!(code = "matcher_update_failed", %err, what, "matcher update failed");
        }
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
        check_record(&record, &self.catalog().refs)?;
        let out = record.clone();
        self.write_catalog(move |app| {
            record.insert(&app.inner.store)?;
            app.mutate_catalog(|c| record.clone().put(c));
            app.after_write(R::NOUN, record.index(app.inner.matcher.as_ref()));
            Ok(())
        })
        .await?;
        Ok(out)
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
        check_record(&record, &self.catalog().refs)?;
        let out = record.clone();
        self.write_catalog(move |app| {
            record.update(&app.inner.store)?;
            app.mutate_catalog(|c| record.clone().put(c));
            app.after_write(R::NOUN, record.index(app.inner.matcher.as_ref()));
            Ok(())
        })
        .await?;
        Ok(out)
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
        let id = id.clone();
        self.write_catalog(move |app| {
            R::delete(&app.inner.store, &id)?;
            app.mutate_catalog(|c| R::remove(c, &id));
            app.after_write(R::NOUN, R::unindex(app.inner.matcher.as_ref(), &id));
            Ok(())
        })
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
trait CatalogRecord: Record + Clone + 'static {
    type Id: Clone + PartialEq + fmt::Display + Send + 'static;
    type Owner: fmt::Display;
    /// What owns it, in messages (`university`, `zone`).
    const OWNER: &'static str;

    fn key(&self) -> &Self::Id;
    fn owner(&self) -> &Self::Owner;
    fn owns(role: &Role, owner: &Self::Owner) -> bool;
    fn current_owner(c: &Catalog, id: &Self::Id) -> Option<Self::Owner>;
    fn insert(&self, store: &Store) -> Result<(), StoreError>;
    fn update(&self, store: &Store) -> Result<(), StoreError>;
    fn delete(store: &Store, id: &Self::Id) -> Result<(), StoreError>;
    fn put(self, c: &mut Catalog);
    fn remove(c: &mut Catalog, id: &Self::Id);
    fn index(&self, matcher: &dyn Matcher) -> Result<(), MatcherError>;
    fn unindex(matcher: &dyn Matcher, id: &Self::Id) -> Result<(), MatcherError>;
}

impl CatalogRecord for Team {
    type Id = TeamId;
    type Owner = UniversityId;
    const OWNER: &'static str = "university";

    fn key(&self) -> &TeamId {
        &self.id
    }
    fn owner(&self) -> &UniversityId {
        &self.university_id
    }
    fn owns(role: &Role, owner: &UniversityId) -> bool {
        role.owns_university(owner)
    }
    fn current_owner(c: &Catalog, id: &TeamId) -> Option<UniversityId> {
        c.teams.get(id).map(|t| t.university_id.clone())
    }
    fn insert(&self, store: &Store) -> Result<(), StoreError> {
        store.insert_record(self)
    }
    fn update(&self, store: &Store) -> Result<(), StoreError> {
        store.update_record(self)
    }
    fn delete(store: &Store, id: &TeamId) -> Result<(), StoreError> {
        store.delete_record::<Team>(id.as_str())
    }
    fn put(self, c: &mut Catalog) {
        c.put_team(self);
    }
    fn remove(c: &mut Catalog, id: &TeamId) {
        c.remove_team(id);
    }
    fn index(&self, matcher: &dyn Matcher) -> Result<(), MatcherError> {
        matcher.upsert_team(self)
    }
    fn unindex(matcher: &dyn Matcher, id: &TeamId) -> Result<(), MatcherError> {
        matcher.delete_team(id)
    }
}

impl CatalogRecord for Demand {
    type Id = DemandId;
    type Owner = ZoneId;
    const OWNER: &'static str = "zone";

    fn key(&self) -> &DemandId {
        &self.id
    }
    fn owner(&self) -> &ZoneId {
        &self.zone_id
    }
    fn owns(role: &Role, owner: &ZoneId) -> bool {
        role.owns_zone(owner)
    }
    fn current_owner(c: &Catalog, id: &DemandId) -> Option<ZoneId> {
        c.demands.get(id).map(|d| d.zone_id.clone())
    }
    fn insert(&self, store: &Store) -> Result<(), StoreError> {
        store.insert_record(self)
    }
    fn update(&self, store: &Store) -> Result<(), StoreError> {
        store.update_record(self)
    }
    fn delete(store: &Store, id: &DemandId) -> Result<(), StoreError> {
        store.delete_record::<Demand>(id.as_str())
    }
    fn put(self, c: &mut Catalog) {
        c.put_demand(self);
    }
    fn remove(c: &mut Catalog, id: &DemandId) {
        c.remove_demand(id);
    }
    fn index(&self, matcher: &dyn Matcher) -> Result<(), MatcherError> {
        matcher.upsert_demand(self)
    }
    fn unindex(matcher: &dyn Matcher, id: &DemandId) -> Result<(), MatcherError> {
        matcher.delete_demand(id)
    }
}

/// Ids travel in URL paths: at most 128 characters, no whitespace, `/`, `?`, `#` or `%`.
fn check_id(id: &str) -> Result<(), Violation> {
    let bad = |message: &str| {
        Err(Violation {
            field: "id".into(),
            message: message.into(),
        })
    };
    if id.chars().count() > 128 {
        return bad("must be at most 128 characters");
    }
    if id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%'))
    {
        return bad("must not contain whitespace, '/', '?', '#' or '%'");
    }
    Ok(())
}

/// Checks a team or demand written through the API against the contract and the catalog.
fn check_record<R: Record>(record: &R, refs: &dataset::Refs) -> Result<(), Violation> {
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
