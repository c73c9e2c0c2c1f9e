//! Writes of teams and demands: each checked against the dataset contract and the caller's role, then
//! written to the store, the in-memory catalog and the matcher in that order, in one write lane.

use tracing::{error, instrument};

use super::catalog::Catalog;
use super::{App, AppError, MatcherError, Result, Violation};
use crate::auth::Principal;
use crate::dataset::{self, Record};
use crate::domain::{Demand, DemandId, Team, TeamId};

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

    /// Adds a team (department, or the university it belongs to).
    #[instrument(skip(self, who, team), fields(role = who.role.kind(), team = %team.id))]
    pub async fn create_team(&self, who: &Principal, team: Team) -> Result<Team> {
        if !who.role.owns_university(&team.university_id) {
            return Err(who
                .role
                .forbidden(format!("add teams to university {}", team.university_id))
                .into());
        }
        check_record(&team, &self.catalog().refs)?;
        let out = team.clone();
        self.write_catalog(move |app| {
            app.inner.store.insert_team(&team)?;
            app.mutate_catalog(|c| c.put_team(team.clone()));
            app.after_write("team", app.inner.matcher.upsert_team(&team));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Replaces a team (department, or its university; it cannot move to another university).
    #[instrument(skip(self, who, team), fields(role = who.role.kind()))]
    pub async fn update_team(&self, who: &Principal, id: &TeamId, team: Team) -> Result<Team> {
        if &team.id != id {
            return Err(Violation {
                field: "id".into(),
                message: format!("must equal the id in the path ({id})"),
            }
            .into());
        }
        let current = self
            .catalog()
            .teams
            .get(id)
            .map(|t| t.university_id.clone())
            .ok_or_else(|| AppError::not_found("team", id))?;
        if !who.role.owns_university(&current) || !who.role.owns_university(&team.university_id) {
            return Err(who.role.forbidden(format!("change team {id}")).into());
        }
        check_record(&team, &self.catalog().refs)?;
        let out = team.clone();
        self.write_catalog(move |app| {
            app.inner.store.update_team(&team)?;
            app.mutate_catalog(|c| c.put_team(team.clone()));
            app.after_write("team", app.inner.matcher.upsert_team(&team));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Deletes a team (department, or its university).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn delete_team(&self, who: &Principal, id: &TeamId) -> Result<()> {
        let current = self
            .catalog()
            .teams
            .get(id)
            .map(|t| t.university_id.clone())
            .ok_or_else(|| AppError::not_found("team", id))?;
        if !who.role.owns_university(&current) {
            return Err(who.role.forbidden(format!("delete team {id}")).into());
        }
        let id = id.clone();
        self.write_catalog(move |app| {
            app.inner.store.delete_team(&id)?;
            app.mutate_catalog(|c| c.remove_team(&id));
            app.after_write("team", app.inner.matcher.delete_team(&id));
            Ok(())
        })
        .await
    }

    /// Adds a demand (department, or the zone it belongs to).
    #[instrument(skip(self, who, demand), fields(role = who.role.kind(), demand = %demand.id))]
    pub async fn create_demand(&self, who: &Principal, demand: Demand) -> Result<Demand> {
        if !who.role.owns_zone(&demand.zone_id) {
            return Err(who
                .role
                .forbidden(format!("add demands to zone {}", demand.zone_id))
                .into());
        }
        check_record(&demand, &self.catalog().refs)?;
        let out = demand.clone();
        self.write_catalog(move |app| {
            app.inner.store.insert_demand(&demand)?;
            app.mutate_catalog(|c| c.put_demand(demand.clone()));
            app.after_write("demand", app.inner.matcher.upsert_demand(&demand));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Replaces a demand (department, or its zone; it cannot move to another zone).
    #[instrument(skip(self, who, demand), fields(role = who.role.kind()))]
    pub async fn update_demand(
        &self,
        who: &Principal,
        id: &DemandId,
        demand: Demand,
    ) -> Result<Demand> {
        if &demand.id != id {
            return Err(Violation {
                field: "id".into(),
                message: format!("must equal the id in the path ({id})"),
            }
            .into());
        }
        let current = self
            .catalog()
            .demands
            .get(id)
            .map(|d| d.zone_id.clone())
            .ok_or_else(|| AppError::not_found("demand", id))?;
        if !who.role.owns_zone(&current) || !who.role.owns_zone(&demand.zone_id) {
            return Err(who.role.forbidden(format!("change demand {id}")).into());
        }
        check_record(&demand, &self.catalog().refs)?;
        let out = demand.clone();
        self.write_catalog(move |app| {
            app.inner.store.update_demand(&demand)?;
            app.mutate_catalog(|c| c.put_demand(demand.clone()));
            app.after_write("demand", app.inner.matcher.upsert_demand(&demand));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Deletes a demand (department, or its zone).
    #[instrument(skip(self, who), fields(role = who.role.kind()))]
    pub async fn delete_demand(&self, who: &Principal, id: &DemandId) -> Result<()> {
        let current = self
            .catalog()
            .demands
            .get(id)
            .map(|d| d.zone_id.clone())
            .ok_or_else(|| AppError::not_found("demand", id))?;
        if !who.role.owns_zone(&current) {
            return Err(who.role.forbidden(format!("delete demand {id}")).into());
        }
        let id = id.clone();
        self.write_catalog(move |app| {
            app.inner.store.delete_demand(&id)?;
            app.mutate_catalog(|c| c.remove_demand(&id));
            app.after_write("demand", app.inner.matcher.delete_demand(&id));
            Ok(())
        })
        .await
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
