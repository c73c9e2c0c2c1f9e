//! Pairings (zone × university × track) with their review status and version, the append-only
//! review history and comments.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{Actor, NOW, Result, Store, StoreError, from_json, to_json};
use crate::domain::{TrackId, UniversityId, ZoneId};
use crate::pairing::BundleRecord;
use crate::review::{self, Action, Decision, PairingStatus, ReviewError, Transition};

/// A pairing to insert: zone × university × track with its five-in-one bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPairing {
    pub id: String,
    pub batch_id: Option<String>,
    pub zone_id: ZoneId,
    pub university_id: UniversityId,
    pub track_id: TrackId,
    pub bundle: BundleRecord,
    pub quality: f64,
}

/// A stored pairing with its review status and version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairingRecord {
    pub id: String,
    pub batch_id: Option<String>,
    #[schema(value_type = String)]
    pub zone_id: ZoneId,
    #[schema(value_type = String)]
    pub university_id: UniversityId,
    #[schema(value_type = String)]
    pub track_id: TrackId,
    pub bundle: BundleRecord,
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

fn parse_status(text: &str) -> Result<PairingStatus> {
    text.parse()
        .map_err(|err: ReviewError| StoreError::Corrupt {
            what: "pairing status".into(),
            detail: err.to_string(),
        })
}

impl Store {
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
        bundle: &BundleRecord,
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
        revision: Option<(&BundleRecord, f64)>,
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

    /// The latest non-blank note on each of these pairings, by pairing id: a review decision's comment
    /// or a comment, whichever was written last (a decision wins a tie). Pairings without one are absent.
    /// One read over all ids.
    pub fn latest_notes(&self, ids: &[String]) -> Result<HashMap<String, String>> {
        self.read(|c| {
            let mut out = HashMap::new();
            for chunk in ids.chunks(500) {
                let marks = (1..=chunk.len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut stmt = c.prepare(&format!(
                    "SELECT pairing_id, note FROM (
                         SELECT pairing_id, at, 0 AS kind, id, body AS note FROM comments
                         WHERE pairing_id IN ({marks}) AND trim(body) <> ''
                         UNION ALL
                         SELECT pairing_id, at, 1 AS kind, id, comment AS note FROM review_history
                         WHERE pairing_id IN ({marks}) AND trim(comment) <> ''
                     ) ORDER BY pairing_id, at, kind, id"
                ))?;
                let rows = stmt.query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (id, note) = row?;
                    out.insert(id, note);
                }
            }
            Ok(out)
        })
    }

    /// How many distinct triples have a pairing in each status (superseded ones excluded). Active
    /// statuses hold one pairing per triple; rejected pairings of one triple count once.
    pub fn triple_counts(&self) -> Result<Vec<(PairingStatus, u64)>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT status, COUNT(*) FROM (
                     SELECT DISTINCT status, zone_id, university_id, track_id FROM pairings
                     WHERE superseded_by IS NULL)
                 GROUP BY status ORDER BY status",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (status, n) = row?;
                out.push((parse_status(&status)?, n.max(0) as u64));
            }
            Ok(out)
        })
    }

    /// In `tracks`: how many pairings are open (`proposed` or `changes_requested`, not superseded) —
    /// what a new proposal for these tracks supersedes — and how many are approved (and carried).
    pub fn open_and_approved_in_tracks(&self, tracks: &[TrackId]) -> Result<(u64, u64)> {
        self.read(|c| {
            let clause = tracks_clause(tracks, 1);
            let (open, approved): (i64, i64) = c.query_row(
                &format!(
                    "SELECT COALESCE(SUM(status IN {OPEN}), 0), COALESCE(SUM(status = 'approved'), 0)
                     FROM pairings WHERE superseded_by IS NULL {clause}"
                ),
                rusqlite::params_from_iter(tracks.iter().map(TrackId::as_str)),
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            Ok((open.max(0) as u64, approved.max(0) as u64))
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

pub(super) fn insert_pairing(
    tx: &Transaction<'_>,
    new: &NewPairing,
    actor: &Actor,
) -> Result<PairingRecord> {
    let n = tx
        .execute(
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
        )
        .map_err(|err| {
            if is_active_triple_violation(&err) {
                StoreError::PairingExists {
                    triple: format!(
                        "({}, {}, {})",
                        new.zone_id.as_str(),
                        new.university_id.as_str(),
                        new.track_id.as_str()
                    ),
                }
            } else {
                err.into()
            }
        })?;
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

/// Whether `err` is the partial unique index over active pairings refusing a second one for a triple
/// (a conflict on the id is answered by `ON CONFLICT (id) DO NOTHING` instead).
fn is_active_triple_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// `AND track_id IN (?n, …)` for `tracks` as parameters `first..`, or a clause matching nothing when
/// there are no tracks.
pub(super) fn tracks_clause(tracks: &[TrackId], first: usize) -> String {
    if tracks.is_empty() {
        return "AND 0".to_owned();
    }
    let marks: Vec<String> = (0..tracks.len())
        .map(|i| format!("?{}", first + i))
        .collect();
    format!("AND track_id IN ({})", marks.join(", "))
}

/// Statuses in which a pairing is still open to review.
pub(super) const OPEN: &str = "('proposed', 'changes_requested')";

/// The actor stored in columns `i` (name) and `i + 1` (role).
fn actor_at(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Actor> {
    Ok(Actor {
        name: row.get(i)?,
        role: row.get(i + 1)?,
    })
}

fn comment_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CommentRecord> {
    Ok(CommentRecord {
        id: row.get(0)?,
        pairing_id: row.get(1)?,
        at: row.get(2)?,
        actor: actor_at(row, 3)?,
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
        actor: actor_at(row, 3)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lock;
    use crate::store::testkit::*;

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
            .revise_pairing("p1", &actor(), &bundle("修订后的方案"), 0.7, "", 2)
            .unwrap();
        assert_eq!(
            (revised.status, revised.version),
            (PairingStatus::Proposed, 3)
        );
        assert_eq!(revised.bundle, bundle("修订后的方案"));
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

    fn pairing_err(store: &Store, id: &str) -> crate::error_code::ErrorCode {
        store
            .insert_pairing(&new_pairing(id, None), &actor())
            .unwrap_err()
            .code()
    }

    #[test]
    fn one_active_pairing_per_triple() {
        let (_dir, store) = open();
        let mut first = new_pairing("p1", None);
        first.university_id = "u1".into();
        store.insert_pairing(&first, &actor()).unwrap();
        let again = NewPairing {
            id: "p2".into(),
            ..first.clone()
        };
        let err = store.insert_pairing(&again, &actor()).unwrap_err();
        assert_eq!(err.code(), "pairing_exists");
        assert_eq!(err.code().status(), 409);
        assert!(err.to_string().contains("(z1, u1, t1)"), "{err}");
        assert!(store.pairing("p2").unwrap().is_none(), "nothing written");
        // Approved is active too; rejected is not.
        store
            .review_pairing("p1", &actor(), Decision::Approve, "", 1)
            .unwrap();
        assert_eq!(
            store.insert_pairing(&again, &actor()).unwrap_err().code(),
            "pairing_exists"
        );
        let mut other = first.clone();
        (other.id, other.university_id) = ("p3".into(), "u3".into());
        store.insert_pairing(&other, &actor()).unwrap();
        store
            .review_pairing("p3", &actor(), Decision::Reject, "不合适", 1)
            .unwrap();
        let after_rejection = NewPairing {
            id: "p4".into(),
            ..other
        };
        store.insert_pairing(&after_rejection, &actor()).unwrap();
        let counts = store.triple_counts().unwrap();
        assert_eq!(
            counts,
            vec![
                (PairingStatus::Approved, 1),
                (PairingStatus::Proposed, 1),
                (PairingStatus::Rejected, 1)
            ]
        );
        assert_eq!(
            store.open_and_approved_in_tracks(&["t1".into()]).unwrap(),
            (1, 1)
        );
        assert_eq!(
            store.open_and_approved_in_tracks(&["t9".into()]).unwrap(),
            (0, 0)
        );
        assert_eq!(store.open_and_approved_in_tracks(&[]).unwrap(), (0, 0));
    }

    #[test]
    fn comments() {
        let (_dir, store) = open();
        pairing(&store, "p1");
        let c = store.add_comment("p1", &actor(), "请补充基金").unwrap();
        assert_eq!(c.body, "请补充基金");
        assert_eq!(store.comments("p1").unwrap(), vec![c]);
        assert_eq!(
            store.add_comment("nope", &actor(), "x").unwrap_err().code(),
            "not_found"
        );
    }

    #[test]
    fn latest_notes_take_the_last_non_blank_comment_or_decision() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        for id in ["p1", "p2", "p3"] {
            pairing(&store, id);
        }
        let pause = || std::thread::sleep(std::time::Duration::from_millis(5));
        store
            .review_pairing("p1", &actor(), Decision::RequestChanges, "补充平台", 1)
            .unwrap();
        pause();
        store.add_comment("p1", &actor(), "请补充基金").unwrap();
        store.add_comment("p2", &actor(), "先看基金").unwrap();
        pause();
        store
            .review_pairing("p2", &actor(), Decision::Reject, "不合适", 1)
            .unwrap();
        pause();
        store.add_comment("p2", &actor(), "  ").unwrap();
        store
            .review_pairing("p3", &actor(), Decision::Approve, "", 1)
            .unwrap();
        let ids: Vec<String> = ["p1", "p2", "p3", "nope"].map(String::from).into();
        let notes = store.latest_notes(&ids).unwrap();
        assert_eq!(notes.get("p1").map(String::as_str), Some("请补充基金"));
        assert_eq!(notes.get("p2").map(String::as_str), Some("不合适"));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
