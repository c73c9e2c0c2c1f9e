//! Counters of the app's own work for `/metrics`: the ranking cache and per-item lists, engine updates after writes and the
//! proposal job queue. Plain atomics, read as a [`Stats`] snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::App;

/// The live counters, kept in the app.
#[derive(Debug, Default)]
pub(super) struct Counters {
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    updates: AtomicU64,
    update_micros: AtomicU64,
    writes: AtomicU64,
    abandoned: AtomicU64,
}

impl Counters {
    pub(super) fn cache_lookup(&self, hit: bool) {
        let counter = if hit {
            &self.cache_hits
        } else {
            &self.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn abandoned(&self) {
        self.abandoned.fetch_add(1, Ordering::Relaxed);
    }

    /// One batch of `writes` team and demand writes brought into the engine and the rankings.
    pub(super) fn engine_update(&self, writes: usize, took: Duration) {
        self.updates.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(writes as u64, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.update_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// A snapshot of the app's counters.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    /// Ranking pages answered from the cache.
    pub ranking_cache_hits: u64,
    /// Ranking pages that computed the ranking.
    pub ranking_cache_misses: u64,
    /// Rankings held in the cache now.
    pub ranking_cache_entries: u64,
    /// Per-item rankings (a demand's teams, a team's demands) held, and how many await a refresh after
    /// a team write.
    pub ranking_lists: u64,
    pub ranking_lists_stale: u64,
    /// Writes whose pairs are yet to be patched into the lists.
    pub ranking_patches_pending: u64,
    /// Ranking computations stopped because their clients had gone.
    pub rankings_abandoned: u64,
    /// Engine updates after team and demand writes (one per batch of writes made together), and the
    /// time they took in all.
    pub engine_updates: u64,
    pub engine_update_seconds: f64,
    /// Team and demand writes made (an import counts as one).
    pub catalog_writes: u64,
    /// Proposal jobs waiting for the worker (the running one not counted).
    pub proposal_jobs_queued: u64,
}

impl App {
    /// The app's counters now.
    pub fn stats(&self) -> Stats {
        let c = &self.inner.counters;
        let entries = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len();
        let (lists, stale) = self.list_counts();
        Stats {
            ranking_lists: lists as u64,
            ranking_lists_stale: stale as u64,
            ranking_patches_pending: self.patches_pending() as u64,
            rankings_abandoned: c.abandoned.load(Ordering::Relaxed),
            ranking_cache_hits: c.cache_hits.load(Ordering::Relaxed),
            ranking_cache_misses: c.cache_misses.load(Ordering::Relaxed),
            ranking_cache_entries: entries as u64,
            engine_updates: c.updates.load(Ordering::Relaxed),
            engine_update_seconds: c.update_micros.load(Ordering::Relaxed) as f64 / 1e6,
            catalog_writes: c.writes.load(Ordering::Relaxed),
            proposal_jobs_queued: self.inner.jobs.queued(),
        }
    }
}
