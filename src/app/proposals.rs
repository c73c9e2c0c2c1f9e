//! Pairing proposals as background jobs: the department asks for a batch, a worker thread solves it
//! with the pairing module over the service's [`Matcher`], and the batch's pairings enter the review
//! workflow as `proposed`.
//!
//! Invariants:
//! - jobs run one at a time on the `proposal-worker` thread, never on the async runtime; the worker
//!   holds only a weak reference to the app, so it ends when the last [`App`] clone is dropped;
//! - a job is recorded before it is queued, and finishing it (new pairings, superseded pairings, the
//!   batch) is one store transaction, so a job interrupted by a restart is simply run again;
//! - a batch on disk is the pairing module's [`Batch`] plus the review-workflow id of each of its
//!   pairings; statuses are always read live from the review workflow;
//! - every new batch (propose or revise) treats approved pairings as fixed: the active approved pairings
//!   of its tracks, of any batch, are carried as they are (the same review record, not a copy), and the
//!   leaders of approved pairings in other tracks count as already taken;
//! - a re-proposal never proposes a rejected pairing of the batch it revises again;
//! - a new batch supersedes every open pairing (`proposed`, `changes_requested`) in the tracks it
//!   covers, in the transaction that enters its own, so no triple has two active pairings (the store's
//!   partial unique index holds that line too).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};

use serde::{Deserialize, Serialize};
use tracing::{error, info, warn};

use super::{
    App, AppError, BatchPairing, BatchSummary, BatchView, ExportFile, ExportFormat, Inner,
    JobError, JobKind, JobStage, JobState, MatcherScorer, Page, PageRequest, ProposalJob,
    ProposalRequest, Result,
};
use crate::auth::Principal;
use crate::domain::{Dataset, TrackId};
use crate::pairing::{
    self, Batch, BundleRecord, Carried, PairingConfig, PairingError, Progress, ProposedPairing,
    Severity, TalentKey, Triple,
};
use crate::review::PairingStatus;
use crate::store::{Actor, FinishedJob, JobRecord, NewJob, NewPairing, PairingRecord};

/// What a stored job request holds (a revise job names no config: it takes its parent's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredRequest {
    track_ids: Vec<TrackId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<PairingConfig>,
}

/// The batch as stored: the pairing module's batch and the review id of each of its pairings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredBatch {
    batch: Batch,
    /// Parallel to `batch.pairings`.
    pairing_ids: Vec<String>,
}

/// What a new proposal for some tracks would do to the pairings already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProposalPreview {
    /// Open pairings (`proposed` or `changes_requested`, not superseded) in the tracks: the new batch
    /// supersedes them all.
    pub open_pairings: u64,
    /// Approved pairings in the tracks: the new batch keeps them as they are.
    pub approved_carried: u64,
}

/// What earlier review decisions fix for a batch over `tracks`, from every active approved pairing:
/// those in the tracks are carried (with their review ids, by triple), the leaders of the others are
/// taken.
fn carried_from(
    approved: &[PairingRecord],
    tracks: &[TrackId],
) -> (Carried, HashMap<Triple, String>) {
    let mut carried = Carried::default();
    let mut ids = HashMap::new();
    for r in approved.iter().filter(|r| r.superseded_by.is_none()) {
        if tracks.contains(&r.track_id) {
            if let std::collections::hash_map::Entry::Vacant(slot) = ids.entry(triple_of(r)) {
                carried.approved.push(slot.key().clone());
                slot.insert(r.id.clone());
            }
        } else if let Some(leader) = &r.bundle.bundle.leading_talent {
            carried.talents.push(TalentKey {
                university_id: r.university_id.clone(),
                name: leader.name.clone(),
            });
        }
    }
    carried.approved.sort();
    carried.talents.sort();
    carried.talents.dedup();
    (carried, ids)
}

/// The job queue and the progress of the running job.
pub(crate) struct Jobs {
    queue: Mutex<mpsc::Sender<String>>,
    live: Mutex<HashMap<String, (u8, JobStage)>>,
    /// Jobs sent to the worker and not yet taken by it.
    queued: AtomicU64,
}

impl Jobs {
    /// A queue and the receiving end its worker reads.
    pub(crate) fn new() -> (Jobs, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel();
        (
            Jobs {
                queue: Mutex::new(tx),
                live: Mutex::new(HashMap::new()),
                queued: AtomicU64::new(0),
            },
            rx,
        )
    }

    fn enqueue(&self, id: &str) -> Result<()> {
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(id.to_owned())
            .map_err(|_| {
                self.taken();
                AppError::Task("the proposal worker has stopped".into())
            })
    }

    /// The worker took a job off the queue.
    fn taken(&self) {
        let _ = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Jobs waiting for the worker.
    pub(super) fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    fn set_live(&self, id: &str, progress: u8, stage: JobStage) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned(), (progress, stage));
    }

    fn live(&self, id: &str) -> Option<(u8, JobStage)> {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .copied()
    }

    fn clear_live(&self, id: &str) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}

/// Starts the worker thread of an app and queues the jobs a previous process left unfinished.
pub(crate) fn start_worker(app: &App, rx: mpsc::Receiver<String>) -> Result<()> {
    let weak: Weak<Inner> = Arc::downgrade(&app.inner);
    std::thread::Builder::new()
        .name("proposal-worker".into())
        .spawn(move || {
            while let Ok(id) = rx.recv() {
                let Some(inner) = weak.upgrade() else { break };
                let app = App { inner };
                app.inner.jobs.taken();
                let run =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.run_job(&id)));
                if run.is_err() {
                    error!(job = %id, "proposal job panicked");
                    app.fail(&id, "job_panicked", "the proposal job stopped unexpectedly");
                }
            }
        })
        .map_err(|err| AppError::Task(format!("cannot start the proposal worker: {err}")))?;
    for job in app.inner.store.unfinished_jobs()? {
        info!(job = %job.id, "queueing a proposal job left unfinished");
        app.inner.store.requeue_job(&job.id)?;
        app.inner.jobs.enqueue(&job.id)?;
    }
    Ok(())
}

fn triple_of(r: &PairingRecord) -> Triple {
    Triple {
        zone_id: r.zone_id.clone(),
        university_id: r.university_id.clone(),
        track_id: r.track_id.clone(),
    }
}

fn new_job_id() -> String {
    format!("pj-{:016x}", rand::random::<u64>())
}

fn summary_of(batch: &Batch) -> BatchSummary {
    BatchSummary {
        objective: batch.objective,
        pairing_count: batch.pairings.len(),
        feasible: batch.optimality.feasible,
        proven_optimal: batch.optimality.proven_optimal,
        gap: batch.optimality.gap,
        short_pairings: batch
            .pairings
            .iter()
            .filter(|p| p.bundle.shortfall.is_some())
            .count(),
        infeasibilities: batch
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Infeasible)
            .count(),
    }
}

fn state_of(text: &str) -> Result<JobState> {
    match text {
        "queued" => Ok(JobState::Queued),
        "running" => Ok(JobState::Running),
        "done" => Ok(JobState::Done),
        "failed" => Ok(JobState::Failed),
        other => Err(AppError::Task(format!("unknown job state {other}"))),
    }
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value).map_err(|err| AppError::Task(format!("stored {what}: {err}")))
}

fn job_error(text: &str) -> JobError {
    serde_json::from_str(text).unwrap_or_else(|_| JobError {
        code: "job_failed".into(),
        message: text.to_owned(),
    })
}

/// The request field a config error is about: `invalid_config` messages start with the field's name.
fn config_field(err: &PairingError) -> String {
    const FIELDS: [&str; 9] = [
        "zone_track_min",
        "zone_track_max",
        "university_max",
        "min_quality",
        "benchmark_target",
        "teams_per_demand",
        "min_projects",
        "min_project_score",
        "talent_max",
    ];
    match err {
        PairingError::ConflictingTriple(_) => "config.forbidden".to_owned(),
        PairingError::InvalidConfig(message) => FIELDS
            .iter()
            .find(|f| message.split_whitespace().next() == Some(**f))
            .map_or_else(|| "config".to_owned(), |f| format!("config.{f}")),
        _ => "config".to_owned(),
    }
}

fn department_only(who: &Principal, action: &str) -> Result<()> {
    if who.role.is_department() {
        Ok(())
    } else {
        Err(who.role.forbidden(action.to_owned()).into())
    }
}

/// A pairing's status in the console's words.
pub(super) fn label(status: PairingStatus, superseded: bool, forced: bool) -> String {
    if superseded {
        return "已由新方案取代".to_owned();
    }
    match status {
        PairingStatus::Proposed if forced => "拟推荐（部门指定）".to_owned(),
        PairingStatus::Proposed => "拟推荐".to_owned(),
        PairingStatus::Approved => "已批准".to_owned(),
        PairingStatus::Rejected => "已驳回".to_owned(),
        PairingStatus::ChangesRequested => "需修改".to_owned(),
    }
}

/// Catalog names of the zones, universities and tracks the batch's diagnostics mention, for the export.
fn diagnostic_names(c: &super::catalog::Catalog, batch: &Batch) -> pairing::ExportNames {
    let mut names = pairing::ExportNames::default();
    for d in &batch.diagnostics {
        for z in &d.zone_ids {
            if let Some(zone) = c.zone(z) {
                names.zones.insert(z.clone(), zone.name.clone());
            }
        }
        for u in &d.university_ids {
            if let Some(university) = c.university(u) {
                names
                    .universities
                    .insert(u.clone(), university.name.clone());
            }
        }
        for t in &d.track_ids {
            if let Some(track) = c.track(t) {
                names.tracks.insert(t.clone(), track.name.clone());
            }
        }
    }
    names
}

impl App {
    /// Starts a proposal (department): checks the request, records the job and queues it.
    pub async fn propose(&self, who: &Principal, request: ProposalRequest) -> Result<ProposalJob> {
        department_only(who, "propose pairings")?;
        let request = self.check_request(request)?;
        let stored = StoredRequest {
            track_ids: request.track_ids,
            config: Some(request.config),
        };
        self.queue_job(who, "propose", None, &stored).await
    }

    /// Re-solves a finished batch (department): approved pairings are kept, rejected ones left out.
    pub async fn revise_proposal(&self, who: &Principal, id: &str) -> Result<ProposalJob> {
        department_only(who, "revise proposals")?;
        let parent = self.job_record(id).await?;
        if parent.state != "done" {
            return Err(AppError::JobNotDone {
                id: id.to_owned(),
                state: parent.state,
            });
        }
        let track_ids = decode::<StoredRequest>("job request", parent.request)?.track_ids;
        let stored = StoredRequest {
            track_ids,
            config: None,
        };
        self.queue_job(who, "revise", Some(id.to_owned()), &stored)
            .await
    }

    /// What a new proposal for `track_ids` would supersede and carry (department).
    pub async fn proposal_preview(
        &self,
        who: &Principal,
        track_ids: Vec<TrackId>,
    ) -> Result<ProposalPreview> {
        department_only(who, "see proposals")?;
        let request = self.check_request(ProposalRequest {
            track_ids,
            config: PairingConfig::default(),
        })?;
        let (open_pairings, approved_carried) = self
            .blocking(move |app| {
                Ok(app
                    .inner
                    .store
                    .open_and_approved_in_tracks(&request.track_ids)?)
            })
            .await?;
        Ok(ProposalPreview {
            open_pairings,
            approved_carried,
        })
    }

    /// One proposal job with its batch once done (department).
    pub async fn proposal(&self, who: &Principal, id: &str) -> Result<ProposalJob> {
        department_only(who, "see proposals")?;
        let record = self.job_record(id).await?;
        let batch = match (&record.result, record.state.as_str()) {
            (Some(result), "done") => {
                let stored: StoredBatch = decode("batch", result.clone())?;
                Some(self.batch_view(stored).await?)
            }
            _ => None,
        };
        let mut job = self.job_view(record)?;
        job.batch = batch;
        Ok(job)
    }

    /// Proposal jobs, newest first (department).
    pub async fn proposals(&self, who: &Principal, page: PageRequest) -> Result<Page<ProposalJob>> {
        department_only(who, "list proposals")?;
        let (records, total) = self
            .blocking(move |app| Ok(app.inner.store.jobs(page.limit, page.offset)?))
            .await?;
        Ok(Page {
            items: records
                .into_iter()
                .map(|r| self.job_view(r))
                .collect::<Result<_>>()?,
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    /// A finished batch as CSV or XLSX with the review status of each pairing (department).
    pub async fn export_proposal(
        &self,
        who: &Principal,
        id: &str,
        format: ExportFormat,
    ) -> Result<ExportFile> {
        department_only(who, "export proposals")?;
        let record = self.job_record(id).await?;
        let Some(result) = record.result.filter(|_| record.state == "done") else {
            return Err(AppError::JobNotDone {
                id: id.to_owned(),
                state: record.state,
            });
        };
        let stored: StoredBatch = decode("batch", result)?;
        let id = id.to_owned();
        let batch_date = pairing::export::china_date(&record.created_at);
        self.blocking(move |app| {
            let records = app.inner.store.pairings_by_id(&stored.pairing_ids)?;
            let notes = app.inner.store.latest_notes(&stored.pairing_ids)?;
            let by_id: HashMap<&str, &PairingRecord> =
                records.iter().map(|r| (r.id.as_str(), r)).collect();
            let mut labels: HashMap<Triple, (String, String)> = HashMap::new();
            for (p, pid) in stored.batch.pairings.iter().zip(&stored.pairing_ids) {
                let status = match by_id.get(pid.as_str()) {
                    Some(r) => label(r.status, r.superseded_by.is_some(), p.forced),
                    None => label(PairingStatus::Proposed, false, p.forced),
                };
                let note = notes.get(pid).cloned().unwrap_or_default();
                labels.insert(p.triple(), (status, note));
            }
            let status = |p: &ProposedPairing| {
                labels
                    .get(&p.triple())
                    .map(|l| l.0.clone())
                    .unwrap_or_default()
            };
            let review_note = |p: &ProposedPairing| {
                labels
                    .get(&p.triple())
                    .map(|l| l.1.clone())
                    .unwrap_or_default()
            };
            let ctx = pairing::ExportContext {
                status: &status,
                review_note: &review_note,
                batch_date,
                names: diagnostic_names(&app.catalog(), &stored.batch),
            };
            let bytes = match format {
                ExportFormat::Csv => pairing::export_csv_with(&stored.batch, &ctx),
                ExportFormat::Xlsx => {
                    pairing::export_xlsx_with(&stored.batch, &ctx).map_err(|source| {
                        AppError::Pairing {
                            source,
                            field: None,
                        }
                    })?
                }
            };
            let ext = format.extension();
            Ok(ExportFile {
                bytes,
                format,
                filename: format!("双高协同配对方案-{id}.{ext}"),
                ascii_filename: format!("shuanggao-pairings-{id}.{ext}"),
            })
        })
        .await
    }

    fn check_request(&self, request: ProposalRequest) -> Result<ProposalRequest> {
        let invalid = |source: PairingError, field: &str| AppError::Pairing {
            source,
            field: Some(field.to_owned()),
        };
        if request.track_ids.is_empty() {
            return Err(invalid(PairingError::NoTracks, "track_ids"));
        }
        let c = self.catalog();
        let mut track_ids: Vec<TrackId> = Vec::new();
        for t in request.track_ids {
            if c.track(&t).is_none() {
                return Err(invalid(PairingError::UnknownTrack(t), "track_ids"));
            }
            if !track_ids.contains(&t) {
                track_ids.push(t);
            }
        }
        request.config.validate().map_err(|err| {
            let field = config_field(&err);
            invalid(err, &field)
        })?;
        for (name, list) in [
            ("config.forced", &request.config.forced),
            ("config.forbidden", &request.config.forbidden),
        ] {
            for t in list {
                if c.zone(&t.zone_id).is_none() {
                    return Err(invalid(PairingError::UnknownZone(t.zone_id.clone()), name));
                }
                if c.university(&t.university_id).is_none() {
                    return Err(invalid(
                        PairingError::UnknownUniversity(t.university_id.clone()),
                        name,
                    ));
                }
                if c.track(&t.track_id).is_none() {
                    return Err(invalid(
                        PairingError::UnknownTrack(t.track_id.clone()),
                        name,
                    ));
                }
            }
        }
        Ok(ProposalRequest {
            track_ids,
            config: request.config,
        })
    }

    async fn queue_job(
        &self,
        who: &Principal,
        kind: &str,
        parent_id: Option<String>,
        request: &StoredRequest,
    ) -> Result<ProposalJob> {
        let job = NewJob {
            id: new_job_id(),
            kind: kind.to_owned(),
            parent_id,
            request: serde_json::to_value(request)
                .map_err(|err| AppError::Task(format!("job request: {err}")))?,
            created_by: who.name.clone(),
        };
        let record = self
            .blocking(move |app| Ok(app.inner.store.insert_proposal_job(&job)?))
            .await?;
        self.inner.jobs.enqueue(&record.id)?;
        info!(job = %record.id, kind, "proposal job queued");
        self.job_view(record)
    }

    async fn job_record(&self, id: &str) -> Result<JobRecord> {
        let key = id.to_owned();
        self.blocking(move |app| Ok(app.inner.store.job(&key)?))
            .await?
            .ok_or_else(|| AppError::not_found("proposal job", id))
    }

    fn job_view(&self, r: JobRecord) -> Result<ProposalJob> {
        let state = state_of(&r.state)?;
        let stored_stage = r.stage.as_deref().and_then(JobStage::parse);
        let (progress, stage) = match state {
            JobState::Queued => (0, JobStage::Queued),
            JobState::Done => (100, JobStage::Done),
            JobState::Failed => (r.progress.clamp(0.0, 100.0) as u8, JobStage::Failed),
            JobState::Running => self.inner.jobs.live(&r.id).unwrap_or((
                r.progress.clamp(0.0, 99.0) as u8,
                stored_stage.unwrap_or(JobStage::Scoring),
            )),
        };
        let track_ids = decode::<StoredRequest>("job request", r.request)?.track_ids;
        let kind = if r.kind == "revise" {
            JobKind::Revise
        } else {
            JobKind::Propose
        };
        Ok(ProposalJob {
            job_id: r.id,
            kind,
            revises: r.parent_id,
            state,
            stage,
            progress,
            track_ids,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            summary: r.summary.map(|s| decode("batch summary", s)).transpose()?,
            error: r.error.as_deref().map(job_error),
            batch: None,
        })
    }

    async fn batch_view(&self, stored: StoredBatch) -> Result<BatchView> {
        let ids = stored.pairing_ids.clone();
        let records = self
            .blocking(move |app| Ok(app.inner.store.pairings_by_id(&ids)?))
            .await?;
        let by_id: HashMap<String, PairingRecord> =
            records.into_iter().map(|r| (r.id.clone(), r)).collect();
        let b = stored.batch;
        let pairings = b
            .pairings
            .into_iter()
            .zip(stored.pairing_ids)
            .map(|(p, pairing_id)| {
                let record = by_id.get(&pairing_id);
                BatchPairing {
                    status: record.map_or(PairingStatus::Proposed, |r| r.status),
                    version: record.map_or(1, |r| r.version),
                    superseded_by: record.and_then(|r| r.superseded_by.clone()),
                    pairing_id,
                    zone_id: p.zone_id,
                    zone_name: p.zone_name,
                    university_id: p.university_id,
                    university_name: p.university_name,
                    track_id: p.track_id,
                    track_name: p.track_name,
                    quality: p.quality,
                    forced: p.forced,
                    bundle: p.bundle,
                    explanation: p.explanation,
                }
            })
            .collect();
        Ok(BatchView {
            format: b.format,
            track_ids: b.track_ids,
            config: b.config,
            approved: b.approved,
            rejected: b.rejected,
            objective: b.objective,
            optimality: b.optimality,
            pairings,
            diagnostics: b.diagnostics,
            timings_ms: b.timings_ms,
        })
    }

    /// A snapshot of the catalog as a dataset, teams and demands ordered by id (so a batch does not
    /// depend on hash order).
    fn dataset_snapshot(&self) -> Dataset {
        let c = self.catalog();
        Dataset {
            tracks: c.tracks.clone(),
            zones: c.zones.clone(),
            universities: c.universities.clone(),
            teams: ordered_by_id(&c.teams),
            demands: ordered_by_id(&c.demands),
        }
    }

    fn fail(&self, id: &str, code: &str, message: &str) {
        self.inner.jobs.clear_live(id);
        let text = serde_json::to_string(&JobError {
            code: code.to_owned(),
            message: message.to_owned(),
        })
        .unwrap_or_else(|_| message.to_owned());
        if let Err(err) = self.inner.store.fail_job(id, &text) {
            error!(job = %id, %err, "cannot record a failed proposal job");
        }
    }

    /// Runs one queued job to its end on the calling (worker) thread.
    fn run_job(&self, id: &str) {
        match self.try_run_job(id) {
            Ok(()) => {}
            Err(err) => {
                warn!(job = %id, code = err.code().as_str(), %err, "proposal job failed");
                let message = match &err {
                    AppError::Store(_) | AppError::Task(_) => "internal error".to_owned(),
                    other => other.to_string(),
                };
                self.fail(id, err.code().as_str(), &message);
            }
        }
    }

    fn try_run_job(&self, id: &str) -> Result<()> {
        let store = &self.inner.store;
        let Some(record) = store.job(id)? else {
            return Ok(());
        };
        if record.state != "queued" {
            return Ok(());
        }
        store.set_job_progress(id, "running", 0.0, Some(JobStage::Scoring.as_str()))?;
        self.inner.jobs.set_live(id, 0, JobStage::Scoring);
        let request: StoredRequest = decode("job request", record.request)?;
        let data = self.dataset_snapshot();
        let scorer = MatcherScorer::new(self.inner.matcher.clone());

        let mut last_stage = JobStage::Scoring;
        let mut on_progress = |p: Progress| {
            let stage = JobStage::of(p.stage);
            let percent = p.percent().clamp(0.0, 99.0) as u8;
            self.inner.jobs.set_live(id, percent, stage);
            if stage != last_stage {
                last_stage = stage;
                if let Err(err) =
                    store.set_job_progress(id, "running", f64::from(percent), Some(stage.as_str()))
                {
                    warn!(job = %id, %err, "cannot record proposal progress");
                }
            }
        };
        let pairing_err = |source| AppError::Pairing {
            source,
            field: None,
        };

        // Approved pairings are fixed for every new batch: those of its tracks are carried as they are
        // (keeping their review records), the leaders of the others are taken.
        let (carried, approved_ids) = carried_from(
            &store.pairings_with_status(PairingStatus::Approved)?,
            &request.track_ids,
        );

        // The batch, on top of the carried decisions and, for a re-proposal, those of the batch it
        // revises.
        let proposal = match (&record.parent_id, request.config) {
            (Some(parent_id), _) => {
                let parent = store
                    .job(parent_id)?
                    .ok_or_else(|| AppError::not_found("proposal job", parent_id))?;
                let parent_result = parent.result.ok_or_else(|| AppError::JobNotDone {
                    id: parent_id.clone(),
                    state: parent.state.clone(),
                })?;
                let previous: StoredBatch = decode("batch", parent_result)?;
                let records = store.pairings_by_id(&previous.pairing_ids)?;
                let with_status = |s: PairingStatus| -> Vec<Triple> {
                    records
                        .iter()
                        .filter(|r| r.status == s && r.superseded_by.is_none())
                        .map(triple_of)
                        .collect()
                };
                let approved = with_status(PairingStatus::Approved);
                let rejected = with_status(PairingStatus::Rejected);
                pairing::revise_with(
                    &data,
                    &scorer,
                    &previous.batch,
                    &approved,
                    &rejected,
                    &carried,
                    &mut on_progress,
                )
                .map_err(pairing_err)?
            }
            (None, Some(config)) => pairing::propose_with(
                &data,
                &scorer,
                &request.track_ids,
                &config,
                &carried,
                &mut on_progress,
            )
            .map_err(pairing_err)?,
            (None, None) => {
                return Err(AppError::Task("a proposal job without a config".into()));
            }
        };
        if let Some(err) = scorer.failure() {
            return Err(err.into());
        }
        self.inner.jobs.set_live(id, 99, JobStage::Saving);

        // Carried approved pairings keep their review record; every other pairing is new and
        // `proposed`.
        let batch = proposal.batch;
        let rejected: HashSet<&Triple> = batch.rejected.iter().collect();
        let mut pairing_ids = Vec::with_capacity(batch.pairings.len());
        let mut new_pairings = Vec::new();
        for (i, p) in batch.pairings.iter().enumerate() {
            let triple = p.triple();
            if rejected.contains(&triple) {
                return Err(AppError::Task(format!(
                    "the re-proposal selected the rejected pairing {triple}"
                )));
            }
            if let Some(existing) = approved_ids.get(&triple) {
                pairing_ids.push(existing.clone());
                continue;
            }
            let pid = format!("{id}-{:03}", i + 1);
            new_pairings.push(NewPairing {
                id: pid.clone(),
                batch_id: Some(id.to_owned()),
                zone_id: p.zone_id.clone(),
                university_id: p.university_id.clone(),
                track_id: p.track_id.clone(),
                bundle: BundleRecord::from(p),
                quality: p.quality,
            });
            pairing_ids.push(pid);
        }
        let summary = summary_of(&batch);
        let finished = FinishedJob {
            id: id.to_owned(),
            result: serde_json::to_value(StoredBatch { batch, pairing_ids })
                .map_err(|err| AppError::Task(format!("batch: {err}")))?,
            summary: serde_json::to_value(&summary)
                .map_err(|err| AppError::Task(format!("batch summary: {err}")))?,
            pairings: new_pairings,
            supersedes: record.parent_id.clone(),
            supersede_tracks: request.track_ids.clone(),
        };
        let actor = Actor {
            name: record.created_by,
            role: "department".into(),
        };
        store.finish_job(&finished, &actor)?;
        self.inner.jobs.clear_live(id);
        info!(
            job = %id,
            pairings = summary.pairing_count,
            objective = summary.objective,
            proven_optimal = summary.proven_optimal,
            "proposal job done"
        );
        Ok(())
    }
}

/// Copies of the records of one catalog map, ordered by id.
fn ordered_by_id<K: Ord, T: Clone>(records: &HashMap<K, Arc<T>>) -> Vec<T> {
    let mut entries: Vec<_> = records.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter().map(|(_, r)| T::clone(r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip_and_labels_follow_the_review_state() {
        for s in [JobStage::Queued, JobStage::Saving, JobStage::Failed] {
            assert_eq!(JobStage::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobStage::of(crate::pairing::Stage::Done), JobStage::Saving);
        assert_eq!(label(PairingStatus::Approved, false, true), "已批准");
        assert_eq!(label(PairingStatus::Rejected, false, false), "已驳回");
        assert_eq!(
            label(PairingStatus::Proposed, false, true),
            "拟推荐（部门指定）"
        );
        assert_eq!(
            label(PairingStatus::Proposed, true, false),
            "已由新方案取代"
        );
    }

    #[test]
    fn config_errors_name_their_field() {
        let too_many = PairingConfig {
            university_max: 0,
            ..PairingConfig::default()
        };
        let err = too_many.validate().unwrap_err();
        assert_eq!(config_field(&err), "config.university_max");
        let bad_quality = PairingConfig {
            min_quality: Some(2.0),
            ..PairingConfig::default()
        };
        assert_eq!(
            config_field(&bad_quality.validate().unwrap_err()),
            "config.min_quality"
        );
        let t = Triple::new("z", "u", "t");
        assert_eq!(
            config_field(&PairingError::ConflictingTriple(t)),
            "config.forbidden"
        );
        assert_eq!(config_field(&PairingError::NoTracks), "config");
    }

    #[test]
    fn job_errors_read_json_or_plain_text() {
        let e = job_error(r#"{"code":"matcher_failed","message":"down"}"#);
        assert_eq!(e.code, "matcher_failed");
        assert_eq!(job_error("boom").code, "job_failed");
    }
}
