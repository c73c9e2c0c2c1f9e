//! The threads rankings are computed on, each at a lower scheduling priority (nice [`RANKER_NICE`]) than
//! the write lane, the HTTP workers and the store. A write then takes the engine's
//! lock for the moment its update needs rather than for as long as the scheduler keeps it waiting behind
//! ranking computations, and a ranking still gets every core the rest leave idle. The background patcher
//! and refresh run at the same lower priority.

use super::{AppError, Result};

/// How much lower rankings are scheduled than everything else (a nice value: 0 is everyone's default,
/// 19 the lowest). At 3 a busy ranking thread gets about half the share of a thread at 0: enough for a
/// write to run when it needs to, not so little that a ranking holding the engine's lock keeps it waiting.
const RANKER_NICE: i32 = 3;

/// Threads per core: more than one, since a ranking may wait for the engine's lock while a write holds
/// it, or for another reader ranking the same list.
const THREADS_PER_CORE: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

/// The threads rankings run on: plain threads taking jobs in turn (their parallel parts run on rayon's
/// pool, which [`lower_global_pool`] lowers too). Not a rayon pool: a rayon thread waiting inside one
/// ranking may run another, which would then wait for locks the first holds.
pub(super) struct Rankers {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Rankers {
    pub(super) fn new() -> Result<Rankers> {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let threads =
            THREADS_PER_CORE * std::thread::available_parallelism().map_or(2, usize::from);
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("ranker-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            // Every sender is gone: the app was dropped.
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| AppError::Task(format!("cannot start a ranking thread: {e}")))?;
        }
        Ok(Rankers { jobs: tx })
    }

    /// Runs `f` on a ranking thread and answers what it returns; a panic is an error.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                .unwrap_or_else(|_| Err(AppError::Task("a ranking computation panicked".into())));
            // The requester may have gone; its answer is then dropped.
            let _ = tx.send(out);
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Task("the ranking threads have stopped".into()))?;
        rx.await
            .map_err(|_| AppError::Task("a ranking computation was lost".into()))?
    }
}

/// Builds rayon's global pool with its threads at the rankings' priority: the parallel parts of
/// rankings run there. Call before anything uses rayon (else the pool keeps its priority; answers
/// whether it was built).
pub fn lower_global_pool() -> bool {
    rayon::ThreadPoolBuilder::new()
        .start_handler(|_| lower_priority())
        .build_global()
        .is_ok()
}

/// Lowers the calling thread's scheduling priority to [`RANKER_NICE`] (Linux schedules threads on their
/// own, so this is the thread's alone); elsewhere, or when refused, the thread keeps its priority.
pub(super) fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        if let Err(err) = rustix::process::setpriority_process(Some(tid), RANKER_NICE) {
            tracing::warn!(code = "priority_not_lowered", %err, "a ranking thread keeps the default priority");
        }
    }
}
