//! Outcomes of approved pairings (contracts, payments, conversions, platforms, talents, students,
//! project progress) with their status, and the append-only outcome history.
//!
//! Recording reads the pairing (it must be approved and not superseded) and, for a payment, sums the
//! contract's payments in the same transaction, so two payments racing on one contract cannot both pass
//! [`outcome::payment_fits`]. Verifying reads the status and applies [`outcome::decide`] in the
//! transaction that writes the new status and the history entry.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{Actor, NOW, Result, Store, StoreError, from_json, to_json};
use crate::domain::{TrackId, UniversityId, ZoneId};
use crate::outcome::{
    self, OutcomeAction, OutcomeDetail, OutcomeError, OutcomeKind, OutcomeStatus, Verification,
};
use crate::review::PairingStatus;
use crate::targets::TargetSpec;

/// The `meta` key of the programme's targets.
const TARGETS_KEY: &str = "programme_targets";

/// An outcome to record on a pairing.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutcome {
    pub id: String,
    pub pairing_id: String,
    pub detail: OutcomeDetail,
}

/// A stored outcome with its status.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutcomeRecord {
    pub id: String,
    pub pairing_id: String,
    #[schema(value_type = String)]
    pub zone_id: ZoneId,
    #[schema(value_type = String)]
    pub university_id: UniversityId,
    #[schema(value_type = String)]
    pub track_id: TrackId,
    pub kind: OutcomeKind,
    /// What was recorded, `kind` included.
    pub detail: OutcomeDetail,
    /// `pending` until the department verifies or rejects it; only verified outcomes count.
    pub status: OutcomeStatus,
    pub recorded_by: Actor,
    pub created_at: String,
    pub updated_at: String,
}

/// Which outcomes to list; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeFilter {
    pub pairing_id: Option<String>,
    pub zone_id: Option<ZoneId>,
    pub university_id: Option<UniversityId>,
    pub track_id: Option<TrackId>,
    pub kind: Option<OutcomeKind>,
    pub status: Option<OutcomeStatus>,
}

/// One step of an outcome's history.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutcomeHistoryEntry {
    pub id: i64,
    pub outcome_id: String,
    pub at: String,
    pub actor: Actor,
    pub action: OutcomeAction,
    pub from: Option<OutcomeStatus>,
    pub to: OutcomeStatus,
    /// The outcome as it stood after this step.
    pub detail: OutcomeDetail,
    pub comment: String,
}

fn corrupt(what: &str, err: OutcomeError) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        detail: err.to_string(),
    }
}

impl Store {
    /// Records an outcome as `pending` on an approved, not superseded pairing, with its first history
    /// entry. A payment must name a contract of the same pairing that is not rejected, and with the
    /// contract's other payments (rejected ones aside) stay within its amount.
    pub fn record_outcome(&self, new: &NewOutcome, actor: &Actor) -> Result<OutcomeRecord> {
        self.write(|tx| insert_outcome(tx, new, actor))
    }

    /// Records several outcomes in one transaction, in the order given, each as
    /// [`Store::record_outcome`] would: all are written or, at the first refusal, none. A payment may
    /// name a contract recorded earlier in the same call.
    pub fn record_outcomes(
        &self,
        news: &[NewOutcome],
        actor: &Actor,
    ) -> Result<Vec<OutcomeRecord>> {
        self.write(|tx| {
            news.iter()
                .map(|new| insert_outcome(tx, new, actor))
                .collect()
        })
    }

    /// The department's decision on a pending outcome: status and history in one transaction.
    pub fn verify_outcome(
        &self,
        id: &str,
        actor: &Actor,
        decision: Verification,
        comment: &str,
    ) -> Result<(OutcomeRecord, OutcomeHistoryEntry)> {
        self.write(|tx| {
            let status: String = tx
                .query_row("SELECT status FROM outcomes WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| StoreError::NotFound {
                    what: "outcome",
                    id: id.to_owned(),
                })?;
            let from: OutcomeStatus = status.parse().map_err(|e| corrupt("outcome status", e))?;
            let (to, action) = outcome::decide(from, decision, comment)?;
            tx.execute(
                &format!(
                    "UPDATE outcomes SET status = ?1, updated_at = {NOW} WHERE id = ?2 AND status = ?3"
                ),
                params![to.as_str(), id, from.as_str()],
            )?;
            let entry = append_history(tx, id, actor, action, Some(from), to, comment)?;
            let record = get_outcome(tx, id)?.ok_or_else(|| StoreError::NotFound {
                what: "outcome",
                id: id.to_owned(),
            })?;
            Ok((record, entry))
        })
    }

    /// One outcome.
    pub fn outcome(&self, id: &str) -> Result<Option<OutcomeRecord>> {
        self.read(|c| get_outcome(c, id))
    }

    /// A page of outcomes matching `filter`, newest first, and how many match in all.
    pub fn outcomes(
        &self,
        filter: &OutcomeFilter,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<OutcomeRecord>, u64)> {
        self.read(|c| {
            let (condition, args) = filter_clause(filter);
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM outcomes WHERE {condition}"),
                rusqlite::params_from_iter(args.iter()),
                |row| row.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE {condition}
                 ORDER BY created_at DESC, id LIMIT {limit} OFFSET {offset}"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), raw_outcome)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok((out, total.max(0) as u64))
        })
    }

    /// Every outcome of these pairings, oldest first.
    pub fn outcomes_of_pairings(&self, pairing_ids: &[String]) -> Result<Vec<OutcomeRecord>> {
        self.read(|c| {
            let mut out = Vec::new();
            for chunk in pairing_ids.chunks(500) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let mut stmt = c.prepare(&format!(
                    "SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE pairing_id IN ({marks})
                     ORDER BY created_at, id"
                ))?;
                let rows = stmt.query_map(rusqlite::params_from_iter(chunk.iter()), raw_outcome)?;
                for row in rows {
                    out.push(row?.decode()?);
                }
            }
            Ok(out)
        })
    }

    /// Every outcome in `status`, oldest first (what the dashboard sums).
    pub fn outcomes_with_status(&self, status: OutcomeStatus) -> Result<Vec<OutcomeRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE status = ?1 ORDER BY created_at, id"
            ))?;
            let rows = stmt.query_map([status.as_str()], raw_outcome)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok(out)
        })
    }

    /// Keeps the programme's targets (from the dataset's `targets.jsonl`).
    pub fn set_programme_targets(&self, targets: &[TargetSpec]) -> Result<()> {
        self.set_meta(TARGETS_KEY, &to_json(&targets)?)
    }

    /// The programme's targets as last kept, none if never.
    pub fn programme_targets(&self) -> Result<Vec<TargetSpec>> {
        match self.meta(TARGETS_KEY)? {
            Some(text) => from_json("programme targets", &text),
            None => Ok(Vec::new()),
        }
    }

    /// The history of an outcome, oldest first.
    pub fn outcome_history(&self, outcome_id: &str) -> Result<Vec<OutcomeHistoryEntry>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {HISTORY_COLUMNS} FROM outcome_history WHERE outcome_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([outcome_id], raw_history)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok(out)
        })
    }
}

/// Inserts an outcome as `pending` with its first history entry (see [`Store::record_outcome`]).
fn insert_outcome(tx: &Transaction<'_>, new: &NewOutcome, actor: &Actor) -> Result<OutcomeRecord> {
    let pairing: Option<(String, String, String, String, Option<String>)> = tx
        .query_row(
            "SELECT zone_id, university_id, track_id, status, superseded_by
                 FROM pairings WHERE id = ?1",
            [&new.pairing_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let (zone, university, track, status, superseded_by) =
        pairing.ok_or_else(|| StoreError::NotFound {
            what: "pairing",
            id: new.pairing_id.clone(),
        })?;
    if let Some(by) = superseded_by {
        return Err(StoreError::Superseded {
            id: new.pairing_id.clone(),
            by,
        });
    }
    if status != PairingStatus::Approved.as_str() {
        return Err(StoreError::NotApproved {
            id: new.pairing_id.clone(),
            status,
        });
    }
    let amount = new.detail.amount_wan_yuan();
    if let (Some(contract_id), Some(amount)) = (new.detail.contract_id(), amount) {
        check_payment(tx, &new.pairing_id, contract_id, amount)?;
    }
    let n = tx.execute(
        &format!(
            "INSERT INTO outcomes (id, pairing_id, zone_id, university_id, track_id, kind,
                    detail, amount_wan_yuan, contract_id, status, recorded_by_name,
                    recorded_by_role, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11, {NOW}, {NOW})
                 ON CONFLICT (id) DO NOTHING"
        ),
        params![
            new.id,
            new.pairing_id,
            zone,
            university,
            track,
            new.detail.kind().as_str(),
            to_json(&new.detail)?,
            amount,
            new.detail.contract_id(),
            actor.name,
            actor.role,
        ],
    )?;
    if n == 0 {
        return Err(StoreError::AlreadyExists {
            what: "outcome",
            id: new.id.clone(),
        });
    }
    append_history(
        tx,
        &new.id,
        actor,
        OutcomeAction::Record,
        None,
        OutcomeStatus::Pending,
        "",
    )?;
    get_outcome(tx, &new.id)?.ok_or_else(|| StoreError::NotFound {
        what: "outcome",
        id: new.id.clone(),
    })
}

/// A payment of `amount` on `contract_id`: the contract must be an outcome of `pairing_id`, a contract,
/// not rejected, and its payments (rejected ones aside) with this one within its amount.
fn check_payment(
    tx: &Transaction<'_>,
    pairing_id: &str,
    contract_id: &str,
    amount: f64,
) -> Result<()> {
    let contract: Option<(String, String, String, Option<f64>)> = tx
        .query_row(
            "SELECT pairing_id, kind, status, amount_wan_yuan FROM outcomes WHERE id = ?1",
            [contract_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let invalid = |message: &str| {
        StoreError::Outcome(OutcomeError::Invalid {
            field: "contract_id".into(),
            message: format!("{contract_id} {message}"),
        })
    };
    let Some((pairing, kind, status, contract_amount)) = contract else {
        return Err(invalid("is no outcome of this pairing"));
    };
    if pairing != pairing_id {
        return Err(invalid("is no outcome of this pairing"));
    }
    if kind != OutcomeKind::Contract.as_str() {
        return Err(invalid("is not a contract"));
    }
    if status == OutcomeStatus::Rejected.as_str() {
        return Err(invalid("was rejected"));
    }
    let received: f64 = tx.query_row(
        "SELECT COALESCE(SUM(amount_wan_yuan), 0) FROM outcomes
         WHERE contract_id = ?1 AND kind = 'payment' AND status <> 'rejected'",
        [contract_id],
        |r| r.get(0),
    )?;
    outcome::payment_fits(
        contract_id,
        contract_amount.unwrap_or(0.0),
        received,
        amount,
    )?;
    Ok(())
}

fn filter_clause(filter: &OutcomeFilter) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut add = |column: &str, value: Option<&str>| {
        if let Some(value) = value {
            args.push(value.to_owned());
            clauses.push(format!("{column} = ?{}", args.len()));
        }
    };
    add("pairing_id", filter.pairing_id.as_deref());
    add("zone_id", filter.zone_id.as_ref().map(ZoneId::as_str));
    add(
        "university_id",
        filter.university_id.as_ref().map(UniversityId::as_str),
    );
    add("track_id", filter.track_id.as_ref().map(TrackId::as_str));
    add("kind", filter.kind.map(OutcomeKind::as_str));
    add("status", filter.status.map(OutcomeStatus::as_str));
    let condition = if clauses.is_empty() {
        String::from("1")
    } else {
        clauses.join(" AND ")
    };
    (condition, args)
}

const OUTCOME_COLUMNS: &str = "id, pairing_id, zone_id, university_id, track_id, kind, detail, \
                               status, recorded_by_name, recorded_by_role, created_at, updated_at";

struct RawOutcome {
    id: String,
    pairing_id: String,
    zone_id: String,
    university_id: String,
    track_id: String,
    kind: String,
    detail: String,
    status: String,
    recorded_by: Actor,
    created_at: String,
    updated_at: String,
}

fn raw_outcome(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawOutcome> {
    Ok(RawOutcome {
        id: row.get(0)?,
        pairing_id: row.get(1)?,
        zone_id: row.get(2)?,
        university_id: row.get(3)?,
        track_id: row.get(4)?,
        kind: row.get(5)?,
        detail: row.get(6)?,
        status: row.get(7)?,
        recorded_by: Actor {
            name: row.get(8)?,
            role: row.get(9)?,
        },
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    })
}

impl RawOutcome {
    fn decode(self) -> Result<OutcomeRecord> {
        Ok(OutcomeRecord {
            kind: self.kind.parse().map_err(|e| corrupt("outcome kind", e))?,
            detail: from_json("outcome detail", &self.detail)?,
            status: self
                .status
                .parse()
                .map_err(|e| corrupt("outcome status", e))?,
            id: self.id,
            pairing_id: self.pairing_id,
            zone_id: ZoneId(self.zone_id),
            university_id: UniversityId(self.university_id),
            track_id: TrackId(self.track_id),
            recorded_by: self.recorded_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn get_outcome(c: &Connection, id: &str) -> Result<Option<OutcomeRecord>> {
    c.query_row(
        &format!("SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE id = ?1"),
        [id],
        raw_outcome,
    )
    .optional()?
    .map(RawOutcome::decode)
    .transpose()
}

const HISTORY_COLUMNS: &str =
    "id, outcome_id, at, actor_name, actor_role, action, from_status, to_status, detail, comment";

struct RawHistory {
    id: i64,
    outcome_id: String,
    at: String,
    actor: Actor,
    action: String,
    from: Option<String>,
    to: String,
    detail: String,
    comment: String,
}

fn raw_history(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawHistory> {
    Ok(RawHistory {
        id: row.get(0)?,
        outcome_id: row.get(1)?,
        at: row.get(2)?,
        actor: Actor {
            name: row.get(3)?,
            role: row.get(4)?,
        },
        action: row.get(5)?,
        from: row.get(6)?,
        to: row.get(7)?,
        detail: row.get(8)?,
        comment: row.get(9)?,
    })
}

impl RawHistory {
    fn decode(self) -> Result<OutcomeHistoryEntry> {
        let status = |s: &str| -> Result<OutcomeStatus> {
            s.parse().map_err(|e| corrupt("outcome history status", e))
        };
        Ok(OutcomeHistoryEntry {
            id: self.id,
            action: self
                .action
                .parse()
                .map_err(|e| corrupt("outcome history action", e))?,
            from: self.from.as_deref().map(status).transpose()?,
            to: status(&self.to)?,
            detail: from_json("outcome history detail", &self.detail)?,
            outcome_id: self.outcome_id,
            at: self.at,
            actor: self.actor,
            comment: self.comment,
        })
    }
}

/// Appends a history entry carrying the outcome's detail as it stands.
fn append_history(
    tx: &Transaction<'_>,
    outcome_id: &str,
    actor: &Actor,
    action: OutcomeAction,
    from: Option<OutcomeStatus>,
    to: OutcomeStatus,
    comment: &str,
) -> Result<OutcomeHistoryEntry> {
    tx.execute(
        &format!(
            "INSERT INTO outcome_history (outcome_id, at, actor_name, actor_role, action, from_status,
                to_status, detail, comment)
             SELECT id, {NOW}, ?2, ?3, ?4, ?5, ?6, detail, ?7 FROM outcomes WHERE id = ?1"
        ),
        params![
            outcome_id,
            actor.name,
            actor.role,
            action.as_str(),
            from.map(OutcomeStatus::as_str),
            to.as_str(),
            comment,
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.query_row(
        &format!("SELECT {HISTORY_COLUMNS} FROM outcome_history WHERE id = ?1"),
        [id],
        raw_history,
    )?
    .decode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::Decision;
    use crate::store::lock;
    use crate::store::testkit::*;
    use serde_json::json;

    fn detail(v: serde_json::Value) -> OutcomeDetail {
        serde_json::from_value(v).unwrap()
    }

    fn record(
        store: &Store,
        id: &str,
        pairing: &str,
        d: serde_json::Value,
    ) -> Result<OutcomeRecord> {
        store.record_outcome(
            &NewOutcome {
                id: id.into(),
                pairing_id: pairing.into(),
                detail: detail(d),
            },
            &actor(),
        )
    }

    fn contract(amount: f64) -> serde_json::Value {
        json!({"kind": "contract", "enterprise": "某储能公司", "amount_wan_yuan": amount,
            "signed_on": "2026-03-01"})
    }

    fn payment(contract: &str, amount: f64) -> serde_json::Value {
        json!({"kind": "payment", "contract_id": contract, "amount_wan_yuan": amount,
            "received_on": "2026-04-01"})
    }

    #[test]
    fn outcomes_need_an_approved_pairing_and_payments_fit_their_contract() {
        let (_dir, store) = open();
        pairing(&store, "p1");
        let err = record(&store, "c1", "p1", contract(500.0)).unwrap_err();
        assert_eq!(err.code(), "pairing_not_approved");
        store
            .review_pairing("p1", &actor(), Decision::Approve, "", 1)
            .unwrap();
        let c = record(&store, "c1", "p1", contract(500.0)).unwrap();
        assert_eq!(
            (c.status, c.kind),
            (OutcomeStatus::Pending, OutcomeKind::Contract)
        );
        record(&store, "pay1", "p1", payment("c1", 300.0)).unwrap();
        let err = record(&store, "pay2", "p1", payment("c1", 200.5)).unwrap_err();
        assert_eq!(err.code(), "payment_above_contract");
        assert!(store.outcome("pay2").unwrap().is_none(), "nothing written");
        // A rejected payment no longer counts against the contract.
        store
            .verify_outcome("pay1", &actor(), Verification::Reject, "未到账")
            .unwrap();
        record(&store, "pay2", "p1", payment("c1", 500.0)).unwrap();
        assert_eq!(
            record(&store, "pay3", "p1", payment("nope", 1.0))
                .unwrap_err()
                .code(),
            "invalid_outcome"
        );
        assert_eq!(
            record(&store, "pay3", "p1", payment("pay2", 1.0))
                .unwrap_err()
                .code(),
            "invalid_outcome"
        );
        assert_eq!(
            record(&store, "c1", "p1", contract(5.0))
                .unwrap_err()
                .code(),
            "already_exists"
        );
        assert_eq!(
            record(&store, "x", "nope", contract(5.0))
                .unwrap_err()
                .code(),
            "not_found"
        );
    }

    #[test]
    fn verification_is_final_and_history_append_only() {
        let (_dir, store) = open();
        pairing(&store, "p1");
        store
            .review_pairing("p1", &actor(), Decision::Approve, "", 1)
            .unwrap();
        record(&store, "c1", "p1", contract(500.0)).unwrap();
        let (after, entry) = store
            .verify_outcome("c1", &actor(), Verification::Verify, "")
            .unwrap();
        assert_eq!(after.status, OutcomeStatus::Verified);
        assert_eq!(
            (entry.action, entry.from, entry.to),
            (
                OutcomeAction::Verify,
                Some(OutcomeStatus::Pending),
                OutcomeStatus::Verified
            )
        );
        assert_eq!(
            store
                .verify_outcome("c1", &actor(), Verification::Reject, "x")
                .unwrap_err()
                .code(),
            "outcome_decided"
        );
        let steps: Vec<_> = store
            .outcome_history("c1")
            .unwrap()
            .iter()
            .map(|h| (h.action, h.to))
            .collect();
        assert_eq!(
            steps,
            vec![
                (OutcomeAction::Record, OutcomeStatus::Pending),
                (OutcomeAction::Verify, OutcomeStatus::Verified)
            ]
        );
        let filter = OutcomeFilter {
            status: Some(OutcomeStatus::Verified),
            ..Default::default()
        };
        assert_eq!(store.outcomes(&filter, 10, 0).unwrap().1, 1);
        assert_eq!(
            store
                .outcomes_with_status(OutcomeStatus::Pending)
                .unwrap()
                .len(),
            0
        );
        let conn = lock(&store.writer);
        assert!(conn.execute("DELETE FROM outcome_history", []).is_err());
        assert!(
            conn.execute("UPDATE outcome_history SET comment = 'x'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM outcomes", []).is_err());
    }
}
