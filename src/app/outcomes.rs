//! Outcomes of approved pairings as each role may reach them: the pairing's zone or university records
//! them, the department verifies or rejects them, and every party lists what it may see.

use serde::Serialize;
use tracing::instrument;

use super::{
    App, AppError, ExportFile, ExportFormat, MAX_COMMENT_CHARS, Page, PageRequest, Result, actor,
};
use crate::auth::{Principal, Role};
use crate::domain::{DemandId, TrackId, UniversityId, ZoneId};
use crate::outcome::{Date, OutcomeDetail, OutcomeError, OutcomeKind, OutcomeStatus, Verification};
use crate::outcome_report::{ReportRow, report_xlsx};
use crate::store::{NewOutcome, OutcomeFilter, OutcomeHistoryEntry, OutcomeRecord};

/// Outcome list filters as a caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeQuery {
    pub zone_id: Option<ZoneId>,
    pub university_id: Option<UniversityId>,
    pub track_id: Option<TrackId>,
    pub kind: Option<OutcomeKind>,
    pub status: Option<OutcomeStatus>,
}

/// An outcome after the department's decision, with the history entry the decision wrote.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutcomeDecision {
    pub outcome: OutcomeRecord,
    pub entry: OutcomeHistoryEntry,
}

/// One outcome with its whole history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    pub outcome: OutcomeRecord,
    pub history: Vec<OutcomeHistoryEntry>,
}

pub(super) fn new_outcome_id() -> String {
    format!("o-{:016x}", rand::random::<u64>())
}

impl App {
    /// Records an outcome on a pairing: its zone or its university only, the pairing approved, the
    /// record checked as of today (a project's demand must be in the catalog).
    #[instrument(skip(self, who, detail), fields(role = who.role.kind()))]
    pub async fn record_outcome(
        &self,
        who: &Principal,
        pairing_id: &str,
        detail: OutcomeDetail,
    ) -> Result<OutcomeRecord> {
        if who.role.is_department() {
            return Err(who
                .role
                .forbidden("record outcomes; the pairing's zone or university records them")
                .into());
        }
        let pairing = self.visible_pairing(who, pairing_id).await?;
        detail.check(Date::today())?;
        if let OutcomeDetail::Project {
            demand_id: Some(demand),
            ..
        } = &detail
        {
            let known = self
                .demand(who, &DemandId(demand.clone()))
                .is_ok_and(|d| d.zone_id == pairing.zone_id);
            if !known {
                return Err(OutcomeError::Invalid {
                    field: "demand_id".into(),
                    message: format!("{demand} is no demand of zone {}", pairing.zone_id),
                }
                .into());
            }
        }
        let new = NewOutcome {
            id: new_outcome_id(),
            pairing_id: pairing_id.to_owned(),
            detail,
        };
        let actor = actor(who);
        self.blocking(move |app| Ok(app.inner.store.record_outcome(&new, &actor)?))
            .await
    }

    /// The department verifies or rejects a pending outcome (a rejection needs a comment).
    #[instrument(skip(self, who, comment), fields(role = who.role.kind()))]
    pub async fn verify_outcome(
        &self,
        who: &Principal,
        id: &str,
        decision: Verification,
        comment: String,
    ) -> Result<OutcomeDecision> {
        if !who.role.is_department() {
            return Err(who.role.forbidden("verify outcomes").into());
        }
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(AppError::BadRequest(format!(
                "comment must be at most {MAX_COMMENT_CHARS} characters"
            )));
        }
        let actor = actor(who);
        let id = id.to_owned();
        let (outcome, entry) = self
            .blocking(move |app| {
                Ok(app
                    .inner
                    .store
                    .verify_outcome(&id, &actor, decision, comment.trim())?)
            })
            .await?;
        Ok(OutcomeDecision { outcome, entry })
    }

    /// The outcomes of a pairing, newest first (department, or a party to it).
    pub async fn pairing_outcomes(
        &self,
        who: &Principal,
        pairing_id: &str,
        page: PageRequest,
    ) -> Result<Page<OutcomeRecord>> {
        self.visible_pairing(who, pairing_id).await?;
        let filter = OutcomeFilter {
            pairing_id: Some(pairing_id.to_owned()),
            ..Default::default()
        };
        self.outcome_page(filter, page).await
    }

    /// Outcomes the caller may see, newest first: all for the department, its own for a zone or a
    /// university (asking for another's is forbidden).
    pub async fn outcomes(
        &self,
        who: &Principal,
        query: OutcomeQuery,
        page: PageRequest,
    ) -> Result<Page<OutcomeRecord>> {
        let mut filter = OutcomeFilter {
            pairing_id: None,
            zone_id: query.zone_id,
            university_id: query.university_id,
            track_id: query.track_id,
            kind: query.kind,
            status: query.status,
        };
        match &who.role {
            Role::Department => {}
            Role::Zone(own) => {
                if filter.zone_id.as_ref().is_some_and(|z| z != own) {
                    return Err(who.role.forbidden("list another zone's outcomes").into());
                }
                filter.zone_id = Some(own.clone());
            }
            Role::University(own) => {
                if filter.university_id.as_ref().is_some_and(|u| u != own) {
                    return Err(who
                        .role
                        .forbidden("list another university's outcomes")
                        .into());
                }
                filter.university_id = Some(own.clone());
            }
        }
        self.outcome_page(filter, page).await
    }

    async fn outcome_page(
        &self,
        filter: OutcomeFilter,
        page: PageRequest,
    ) -> Result<Page<OutcomeRecord>> {
        let (items, total) = self
            .blocking(move |app| Ok(app.inner.store.outcomes(&filter, page.limit, page.offset)?))
            .await?;
        Ok(Page {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    /// The annual progress report (年度进展) as XLSX: the outcomes the caller may see (as
    /// [`App::outcomes`] scopes them) that happened in `year` (all years when `None`), oldest first.
    pub async fn outcome_report(
        &self,
        who: &Principal,
        query: OutcomeQuery,
        year: Option<i32>,
    ) -> Result<ExportFile> {
        let mut rows = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .outcomes(
                    who,
                    query.clone(),
                    PageRequest {
                        limit: super::MAX_LIMIT,
                        offset,
                    },
                )
                .await?;
            let n = page.items.len() as u64;
            rows.extend(page.items);
            offset += n;
            if n == 0 || offset >= page.total {
                break;
            }
        }
        rows.retain(|o| year.is_none_or(|y| o.detail.date().is_some_and(|d| d.year == y)));
        rows.sort_by(|a, b| {
            (a.detail.date(), &a.created_at, &a.id).cmp(&(b.detail.date(), &b.created_at, &b.id))
        });
        let report: Vec<ReportRow> = {
            let c = self.catalog();
            rows.into_iter()
                .map(|o| ReportRow {
                    zone: c.zone_name(&o.zone_id),
                    university: c.university_name(&o.university_id),
                    track: c
                        .track(&o.track_id)
                        .map(|t| t.name.clone())
                        .unwrap_or_else(|| o.track_id.to_string()),
                    detail: o.detail,
                    status: o.status,
                    recorded_by: o.recorded_by.name,
                    recorded_at: crate::pairing::export::china_date(&o.created_at),
                })
                .collect()
        };
        let bytes = report_xlsx(&report).map_err(|e| AppError::Task(e.to_string()))?;
        let suffix = year.map_or_else(|| "全部".to_owned(), |y| y.to_string());
        Ok(ExportFile {
            bytes,
            format: ExportFormat::Xlsx,
            filename: format!("年度进展-{suffix}.xlsx"),
            ascii_filename: format!(
                "outcomes-{}.xlsx",
                year.map_or("all".to_owned(), |y| y.to_string())
            ),
        })
    }

    /// One outcome with its history (department, or a party to its pairing).
    pub async fn outcome(&self, who: &Principal, id: &str) -> Result<OutcomeView> {
        let key = id.to_owned();
        let (outcome, history) = self
            .blocking(move |app| {
                let store = &app.inner.store;
                let outcome = store.outcome(&key)?;
                let history = match &outcome {
                    Some(_) => store.outcome_history(&key)?,
                    None => Vec::new(),
                };
                Ok((outcome, history))
            })
            .await?;
        let outcome = outcome.ok_or_else(|| AppError::not_found("outcome", id))?;
        if !who
            .role
            .involved_in(&outcome.zone_id, &outcome.university_id)
        {
            return Err(who
                .role
                .forbidden(format!("see outcome {id}, which does not involve it"))
                .into());
        }
        Ok(OutcomeView { outcome, history })
    }
}
