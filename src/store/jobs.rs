//! Proposal jobs: queued, running with a stage and progress, then done (entering their pairings into
//! review in the same transaction) or failed.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::pairings::{OPEN, insert_pairing, tracks_clause};
use crate::domain::TrackId;

use super::{
    Actor, NOW, NewPairing, PairingRecord, Result, Store, StoreError, found, from_json, to_json,
};

/// A proposal job (created by the proposal workflow, listed as batches).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobRecord {
    pub id: String,
    /// `propose` or `revise`.
    pub kind: String,
    /// The job a `revise` job re-solves.
    pub parent_id: Option<String>,
    pub state: String,
    /// Where the job is (set while it runs).
    pub stage: Option<String>,
    pub progress: f64,
    pub request: serde_json::Value,
    /// The batch; not loaded by [`Store::jobs`].
    pub result: Option<serde_json::Value>,
    /// A few headline figures of the batch, for lists.
    pub summary: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A proposal job to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub request: serde_json::Value,
    pub created_by: String,
}

/// What a finished proposal job writes in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedJob {
    pub id: String,
    pub result: serde_json::Value,
    pub summary: serde_json::Value,
    /// New pairings, entered into review as `proposed`.
    pub pairings: Vec<NewPairing>,
    /// A batch whose still-open pairings (`proposed`, `changes_requested`) this job supersedes.
    pub supersedes: Option<String>,
    /// Tracks whose still-open pairings, of any batch, this job supersedes: a new proposal replaces
    /// every open pairing in the tracks it covers, so no triple has two active pairings.
    pub supersede_tracks: Vec<TrackId>,
}

impl Store {
    /// Records a new `propose` job in state `queued`.
    pub fn insert_job(
        &self,
        id: &str,
        request: &serde_json::Value,
        created_by: &str,
    ) -> Result<JobRecord> {
        self.insert_proposal_job(&NewJob {
            id: id.to_owned(),
            kind: "propose".to_owned(),
            parent_id: None,
            request: request.clone(),
            created_by: created_by.to_owned(),
        })
    }

    /// Records a new proposal job in state `queued`; `AlreadyExists` if its id is taken.
    pub fn insert_proposal_job(&self, job: &NewJob) -> Result<JobRecord> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "INSERT INTO proposal_jobs (id, kind, parent_id, state, progress, request,
                        created_by, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?5, {NOW}, {NOW})
                     ON CONFLICT (id) DO NOTHING"
                ),
                params![
                    job.id,
                    job.kind,
                    job.parent_id,
                    to_json(&job.request)?,
                    job.created_by
                ],
            )?;
            if n == 0 {
                return Err(StoreError::AlreadyExists {
                    what: "proposal job",
                    id: job.id.clone(),
                });
            }
            get_job(tx, &job.id)?.ok_or_else(|| StoreError::NotFound {
                what: "proposal job",
                id: job.id.clone(),
            })
        })
    }

    /// Updates a job's state, progress (0–100), result and error.
    pub fn update_job(
        &self,
        id: &str,
        state: &str,
        progress: f64,
        result: Option<&serde_json::Value>,
        error: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            let result = result.map(to_json).transpose()?;
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = ?2, progress = ?3, result = ?4, error = ?5,
                        updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![id, state, progress, result, error],
            )?;
            found(n, "proposal job", id)
        })
    }

    /// Records where a job is: its state, progress (0–100) and stage.
    pub fn set_job_progress(
        &self,
        id: &str,
        state: &str,
        progress: f64,
        stage: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = ?2, progress = ?3, stage = ?4, updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![id, state, progress, stage],
            )?;
            found(n, "proposal job", id)
        })
    }

    /// Marks a job `failed` with an error text.
    pub fn fail_job(&self, id: &str, error: &str) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = 'failed', stage = 'failed', error = ?2,
                        updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![id, error],
            )?;
            found(n, "proposal job", id)
        })
    }

    /// Finishes a job in one transaction: the open pairings of the batch it supersedes and of the tracks
    /// it covers are marked superseded, its new pairings enter review as `proposed` (each with its
    /// first history entry; a triple that still has an active pairing is `PairingExists`), and the job
    /// becomes `done` with its batch and summary. Nothing is written if any step fails.
    pub fn finish_job(&self, job: &FinishedJob, actor: &Actor) -> Result<Vec<PairingRecord>> {
        self.write(|tx| {
            if let Some(parent) = &job.supersedes {
                tx.execute(
                    &format!(
                        "UPDATE pairings SET superseded_by = ?1, updated_at = {NOW}
                         WHERE batch_id = ?2 AND superseded_by IS NULL
                           AND status IN ('proposed', 'changes_requested')"
                    ),
                    params![job.id, parent],
                )?;
            }
            if !job.supersede_tracks.is_empty() {
                let clause = tracks_clause(&job.supersede_tracks, 2);
                let mut args: Vec<&str> = vec![job.id.as_str()];
                args.extend(job.supersede_tracks.iter().map(TrackId::as_str));
                tx.execute(
                    &format!(
                        "UPDATE pairings SET superseded_by = ?1, updated_at = {NOW}
                         WHERE superseded_by IS NULL AND status IN {OPEN} {clause}"
                    ),
                    rusqlite::params_from_iter(args),
                )?;
            }
            let mut out = Vec::with_capacity(job.pairings.len());
            for p in &job.pairings {
                out.push(insert_pairing(tx, p, actor)?);
            }
            let n = tx.execute(
                &format!(
                    "UPDATE proposal_jobs SET state = 'done', stage = 'done', progress = 100,
                        result = ?2, summary = ?3, error = NULL, updated_at = {NOW}
                     WHERE id = ?1"
                ),
                params![job.id, to_json(&job.result)?, to_json(&job.summary)?],
            )?;
            found(n, "proposal job", &job.id)?;
            Ok(out)
        })
    }

    /// Puts a job that was interrupted (queued or running when the process stopped) back in the queue.
    pub fn requeue_job(&self, id: &str) -> Result<()> {
        self.set_job_progress(id, "queued", 0.0, None)
    }

    /// One proposal job, with its batch.
    pub fn job(&self, id: &str) -> Result<Option<JobRecord>> {
        self.read(|c| get_job(c, id))
    }

    /// A page of proposal jobs, newest first (without their batches), and how many there are.
    pub fn jobs(&self, limit: u32, offset: u64) -> Result<(Vec<JobRecord>, u64)> {
        self.read(|c| {
            let total: i64 = c.query_row("SELECT COUNT(*) FROM proposal_jobs", [], |r| r.get(0))?;
            let mut stmt = c.prepare(&format!(
                "SELECT {JOB_LIST_COLUMNS} FROM proposal_jobs
                 ORDER BY rowid DESC LIMIT {limit} OFFSET {offset}"
            ))?;
            let rows = stmt.query_map([], raw_job)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok((out, total.max(0) as u64))
        })
    }

    /// Jobs still `queued` or `running`, oldest first (without their batches).
    pub fn unfinished_jobs(&self) -> Result<Vec<JobRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {JOB_LIST_COLUMNS} FROM proposal_jobs
                 WHERE state IN ('queued', 'running') ORDER BY rowid"
            ))?;
            let rows = stmt.query_map([], raw_job)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row?.decode()?);
            }
            Ok(out)
        })
    }
}

const JOB_COLUMNS: &str = "id, kind, parent_id, state, stage, progress, request, result, summary, \
                           error, created_by, created_at, updated_at";
/// The job columns without the batch.
const JOB_LIST_COLUMNS: &str = "id, kind, parent_id, state, stage, progress, request, NULL, \
                                summary, error, created_by, created_at, updated_at";

struct RawJob {
    id: String,
    kind: String,
    parent_id: Option<String>,
    state: String,
    stage: Option<String>,
    progress: f64,
    request: String,
    result: Option<String>,
    summary: Option<String>,
    error: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
}

fn raw_job(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: row.get(0)?,
        kind: row.get(1)?,
        parent_id: row.get(2)?,
        state: row.get(3)?,
        stage: row.get(4)?,
        progress: row.get(5)?,
        request: row.get(6)?,
        result: row.get(7)?,
        summary: row.get(8)?,
        error: row.get(9)?,
        created_by: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

impl RawJob {
    fn decode(self) -> Result<JobRecord> {
        Ok(JobRecord {
            request: from_json("job request", &self.request)?,
            result: self
                .result
                .as_deref()
                .map(|r| from_json("job result", r))
                .transpose()?,
            summary: self
                .summary
                .as_deref()
                .map(|r| from_json("job summary", r))
                .transpose()?,
            id: self.id,
            kind: self.kind,
            parent_id: self.parent_id,
            state: self.state,
            stage: self.stage,
            progress: self.progress,
            error: self.error,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn get_job(c: &Connection, id: &str) -> Result<Option<JobRecord>> {
    c.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM proposal_jobs WHERE id = ?1"),
        [id],
        raw_job,
    )
    .optional()?
    .map(RawJob::decode)
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{Decision, PairingStatus};
    use crate::store::PairingFilter;
    use crate::store::testkit::*;

    #[test]
    fn jobs_record_their_result() {
        let (_dir, store) = open();
        let job = store
            .insert_job(
                "j1",
                &serde_json::json!({"track_ids": ["t1"]}),
                "department",
            )
            .unwrap();
        assert_eq!(job.state, "queued");
        store
            .update_job(
                "j1",
                "done",
                100.0,
                Some(&serde_json::json!({"objective": 1.5})),
                None,
            )
            .unwrap();
        let job = store.job("j1").unwrap().unwrap();
        assert_eq!(job.result, Some(serde_json::json!({"objective": 1.5})));
        assert_eq!(store.jobs(10, 0).unwrap().1, 1);
    }

    fn job(store: &Store, id: &str, parent: Option<&str>) {
        store
            .insert_proposal_job(&NewJob {
                id: id.into(),
                kind: if parent.is_some() {
                    "revise"
                } else {
                    "propose"
                }
                .into(),
                parent_id: parent.map(Into::into),
                request: serde_json::json!({"track_ids": ["t1"]}),
                created_by: "处长".into(),
            })
            .unwrap();
    }

    fn finish(store: &Store, id: &str, pairings: Vec<NewPairing>, parent: Option<&str>) {
        let mut done = finished(id, pairings, &[]);
        done.supersedes = parent.map(Into::into);
        store.finish_job(&done, &actor()).unwrap();
    }

    /// Reviews each pairing at version 1 (a reason given where the decision needs one).
    fn decide(store: &Store, decisions: &[(&str, Decision)]) {
        for &(id, decision) in decisions {
            let comment = if decision == Decision::Approve {
                ""
            } else {
                "需说明"
            };
            store
                .review_pairing(id, &actor(), decision, comment, 1)
                .unwrap();
        }
    }

    /// A pairing of no batch in `track`.
    fn in_track(id: &str, track: &str) -> NewPairing {
        NewPairing {
            track_id: track.into(),
            ..new_pairing(id, None)
        }
    }

    /// Batch `batch`'s first pairing, for the triple of the pairing `of` in `track`.
    fn renewal(batch: &str, of: &str, track: &str) -> NewPairing {
        NewPairing {
            id: format!("{batch}-001"),
            batch_id: Some(batch.into()),
            ..in_track(of, track)
        }
    }

    /// Job `id` done with these pairings, superseding the open pairings of `tracks`.
    fn finished(id: &str, pairings: Vec<NewPairing>, tracks: &[&str]) -> FinishedJob {
        FinishedJob {
            id: id.into(),
            result: serde_json::json!({"pairings": pairings.len()}),
            summary: serde_json::json!({"objective": 1.0}),
            pairings,
            supersedes: None,
            supersede_tracks: tracks.iter().map(|&t| t.into()).collect(),
        }
    }

    #[test]
    fn finishing_a_job_enters_its_pairings_and_supersedes_open_ones() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        job(&store, "j1", None);
        assert_eq!(store.unfinished_jobs().unwrap().len(), 1);
        store
            .set_job_progress("j1", "running", 40.0, Some("solving"))
            .unwrap();
        let j = store.job("j1").unwrap().unwrap();
        assert_eq!(
            (j.state.as_str(), j.stage.as_deref(), j.progress),
            ("running", Some("solving"), 40.0)
        );
        let three = ["j1-001", "j1-002", "j1-003"]
            .map(|id| new_pairing(id, Some("j1")))
            .to_vec();
        finish(&store, "j1", three, None);
        let j = store.job("j1").unwrap().unwrap();
        assert_eq!((j.state.as_str(), j.progress), ("done", 100.0));
        assert_eq!(j.summary, Some(serde_json::json!({"objective": 1.0})));
        assert!(store.unfinished_jobs().unwrap().is_empty());
        assert_eq!(store.history("j1-001").unwrap().len(), 1);
        decide(
            &store,
            &[("j1-001", Decision::Approve), ("j1-002", Decision::Reject)],
        );

        job(&store, "j2", Some("j1"));
        finish(
            &store,
            "j2",
            vec![new_pairing("j2-001", Some("j2"))],
            Some("j1"),
        );
        // Only the open pairing of j1 is superseded; approved and rejected ones keep their state.
        let by_id = |id: &str| store.pairing(id).unwrap().unwrap();
        assert_eq!(by_id("j1-003").superseded_by.as_deref(), Some("j2"));
        assert_eq!(by_id("j1-001").superseded_by, None);
        assert_eq!(by_id("j1-002").superseded_by, None);
        assert_eq!(
            store
                .review_pairing("j1-003", &actor(), Decision::Approve, "", 1)
                .unwrap_err()
                .code(),
            "pairing_superseded"
        );
        // Lists leave superseded pairings out unless their batch is asked for.
        let (all, total) = store.pairings(&PairingFilter::default(), 10, 0).unwrap();
        assert_eq!(total, 3);
        assert!(all.iter().all(|p| p.id != "j1-003"));
        let of_j1 = PairingFilter {
            batch_id: Some("j1".into()),
            ..Default::default()
        };
        assert_eq!(store.pairings(&of_j1, 10, 0).unwrap().1, 3);
        let ids = vec!["j1-001".to_owned(), "j2-001".to_owned(), "nope".to_owned()];
        assert_eq!(store.pairings_by_id(&ids).unwrap().len(), 2);
        assert_eq!(
            store
                .pairings_with_status(PairingStatus::Proposed)
                .unwrap()
                .len(),
            1
        );
        let (jobs, total) = store.jobs(10, 0).unwrap();
        assert_eq!(total, 2);
        assert_eq!(jobs[0].id, "j2", "newest first");
        assert_eq!(jobs[0].parent_id.as_deref(), Some("j1"));
        assert!(jobs.iter().all(|j| j.result.is_none()));
    }

    #[test]
    fn a_new_proposal_supersedes_the_open_pairings_of_its_tracks() {
        let (_dir, store) = open();
        for (id, track) in [("open", "t1"), ("asked", "t1"), ("ok", "t1"), ("no", "t1")] {
            store
                .insert_pairing(&in_track(id, track), &actor())
                .unwrap();
        }
        store
            .insert_pairing(&in_track("other", "t2"), &actor())
            .unwrap();
        decide(
            &store,
            &[
                ("asked", Decision::RequestChanges),
                ("ok", Decision::Approve),
                ("no", Decision::Reject),
            ],
        );
        assert_eq!(
            store.open_and_approved_in_tracks(&["t1".into()]).unwrap(),
            (2, 1)
        );
        job(&store, "j1", None);
        // The new batch proposes the triple of `open` again: superseding comes first, in the same
        // transaction, so the new pairing does not collide with the old one.
        let done = finished("j1", vec![renewal("j1", "open", "t1")], &["t1", "t3"]);
        store.finish_job(&done, &actor()).unwrap();
        let by = |id: &str| store.pairing(id).unwrap().unwrap().superseded_by;
        assert_eq!(by("open").as_deref(), Some("j1"));
        assert_eq!(by("asked").as_deref(), Some("j1"));
        assert_eq!(by("ok"), None, "approved pairings stay");
        assert_eq!(by("no"), None, "rejected pairings stay");
        assert_eq!(by("other"), None, "other tracks are untouched");
        assert_eq!(by("j1-001"), None);
        assert_eq!(
            store.open_and_approved_in_tracks(&["t1".into()]).unwrap(),
            (1, 1)
        );
        // A batch proposing an approved triple as new is refused as a whole.
        job(&store, "j2", None);
        let done = finished("j2", vec![renewal("j2", "ok", "t1")], &["t1"]);
        let err = store.finish_job(&done, &actor()).unwrap_err();
        assert_eq!(err.code(), "pairing_exists");
        assert_eq!(by("j1-001"), None, "the failed finish superseded nothing");
        assert_eq!(store.job("j2").unwrap().unwrap().state, "queued");
    }

    #[test]
    fn a_failed_finish_writes_nothing() {
        let (_dir, store) = open();
        store.import_dataset(&dataset(), "fixture").unwrap();
        pairing(&store, "taken");
        job(&store, "j1", None);
        let pairings = vec![
            new_pairing("j1-001", Some("j1")),
            new_pairing("taken", Some("j1")),
        ];
        let err = store
            .finish_job(&finished("j1", pairings, &[]), &actor())
            .unwrap_err();
        assert_eq!(err.code(), "already_exists");
        assert!(store.pairing("j1-001").unwrap().is_none());
        assert_eq!(store.job("j1").unwrap().unwrap().state, "queued");
        store.requeue_job("j1").unwrap();
        store.fail_job("j1", "boom").unwrap();
        let j = store.job("j1").unwrap().unwrap();
        assert_eq!(
            (j.state.as_str(), j.error.as_deref()),
            ("failed", Some("boom"))
        );
    }
}
