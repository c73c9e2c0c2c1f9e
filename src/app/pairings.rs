//! Pairings and their review workflow: lists and single pairings as each role may see them, the
//! department's reviews and revisions, the history and comments.

use tracing::instrument;

use super::{
    App, AppError, MAX_COMMENT_CHARS, Page, PageRequest, PairingQuery, PairingView, Result,
    ReviewOutcome, actor,
};
use crate::auth::{Principal, Role};
use crate::review::Decision;
use crate::store::{
    Actor, CommentRecord, HistoryEntry, PairingFilter, PairingRecord, Store, StoreError,
};

impl App {
    /// Pairings visible to the caller: all for the department, those involving it for a zone or a
    /// university.
    pub async fn pairings(
        &self,
        who: &Principal,
        query: PairingQuery,
        page: PageRequest,
    ) -> Result<Page<PairingView>> {
        let mut filter = PairingFilter {
            status: query.status,
            track_id: query.track_id,
            zone_id: query.zone_id,
            university_id: query.university_id,
            batch_id: query.batch_id,
        };
        match &who.role {
            Role::Department => {}
            Role::Zone(own) => {
                if filter.zone_id.as_ref().is_some_and(|z| z != own) {
                    return Err(who.role.forbidden("list another zone's pairings").into());
                }
                filter.zone_id = Some(own.clone());
            }
            Role::University(own) => {
                if filter.university_id.as_ref().is_some_and(|u| u != own) {
                    return Err(who
                        .role
                        .forbidden("list another university's pairings")
                        .into());
                }
                filter.university_id = Some(own.clone());
            }
        }
        let (items, total) = self
            .blocking(move |app| Ok(app.inner.store.pairings(&filter, page.limit, page.offset)?))
            .await?;
        let c = self.catalog();
        Ok(Page {
            items: items.into_iter().map(|p| c.pairing_view(p)).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    pub(super) async fn visible_pairing(&self, who: &Principal, id: &str) -> Result<PairingRecord> {
        let key = id.to_owned();
        let record = self
            .blocking(move |app| Ok(app.inner.store.pairing(&key)?))
            .await?
            .ok_or_else(|| AppError::not_found("pairing", id))?;
        if !who.role.involved_in(&record.zone_id, &record.university_id) {
            return Err(who
                .role
                .forbidden(format!("see pairing {id}, which does not involve it"))
                .into());
        }
        Ok(record)
    }

    /// One pairing (department, or a party to it).
    pub async fn pairing(&self, who: &Principal, id: &str) -> Result<PairingView> {
        let record = self.visible_pairing(who, id).await?;
        Ok(self.catalog().pairing_view(record))
    }

    /// A department step of the review workflow (`action`, e.g. `review pairings`): checks the caller
    /// and the comment, runs `step` on the store and answers the pairing after it.
    async fn review_step(
        &self,
        who: &Principal,
        action: &str,
        comment: &str,
        step: impl FnOnce(&Store, &Actor) -> Result<(PairingRecord, HistoryEntry), StoreError>
        + Send
        + 'static,
    ) -> Result<ReviewOutcome> {
        if !who.role.is_department() {
            return Err(who.role.forbidden(action).into());
        }
        check_comment_length(comment)?;
        let actor = actor(who);
        let (record, entry) = self
            .blocking(move |app| Ok(step(&app.inner.store, &actor)?))
            .await?;
        Ok(ReviewOutcome {
            pairing: self.catalog().pairing_view(record),
            entry,
        })
    }

    /// A department review of a pairing at the version the reviewer saw.
    #[instrument(skip(self, who, comment), fields(role = who.role.kind()))]
    pub async fn review(
        &self,
        who: &Principal,
        id: &str,
        decision: Decision,
        comment: String,
        version: i64,
    ) -> Result<ReviewOutcome> {
        let id = id.to_owned();
        self.review_step(
            who,
            "review pairings",
            &comment.clone(),
            move |store, actor| store.review_pairing(&id, actor, decision, &comment, version),
        )
        .await
    }

    /// A page of what the store keeps about a pairing the caller may see.
    async fn pairing_list<T: Clone + Send + 'static>(
        &self,
        who: &Principal,
        id: &str,
        page: PageRequest,
        list: fn(&Store, &str) -> Result<Vec<T>, StoreError>,
    ) -> Result<Page<T>> {
        self.visible_pairing(who, id).await?;
        let key = id.to_owned();
        let all = self
            .blocking(move |app| Ok(list(&app.inner.store, &key)?))
            .await?;
        Ok(page.slice(&all))
    }

    /// The review history of a pairing (department, or a party to it).
    pub async fn history(
        &self,
        who: &Principal,
        id: &str,
        page: PageRequest,
    ) -> Result<Page<HistoryEntry>> {
        self.pairing_list(who, id, page, Store::history).await
    }

    /// Comments on a pairing (department, or a party to it).
    pub async fn comments(
        &self,
        who: &Principal,
        id: &str,
        page: PageRequest,
    ) -> Result<Page<CommentRecord>> {
        self.pairing_list(who, id, page, Store::comments).await
    }

    /// Adds a comment to a pairing (department, or a party to it).
    #[instrument(skip(self, who, body), fields(role = who.role.kind()))]
    pub async fn comment(&self, who: &Principal, id: &str, body: String) -> Result<CommentRecord> {
        let body = body.trim().to_owned();
        if body.is_empty() {
            return Err(AppError::BadRequest(
                "comment body must not be empty".into(),
            ));
        }
        check_comment_length(&body)?;
        self.visible_pairing(who, id).await?;
        let actor = actor(who);
        let id = id.to_owned();
        self.blocking(move |app| Ok(app.inner.store.add_comment(&id, &actor, &body)?))
            .await
    }
}

fn check_comment_length(text: &str) -> Result<()> {
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(AppError::BadRequest(format!(
            "comment must be at most {MAX_COMMENT_CHARS} characters"
        )));
    }
    Ok(())
}
