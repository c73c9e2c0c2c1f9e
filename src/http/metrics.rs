//! Metrics in the Prometheus text format: a request counter per method, route and status, a latency
//! histogram per method and route, the requests in flight, and the app's own counters (ranking cache,
//! engine updates, proposal queue). Routes are the matched templates (`/v1/zones/{id}`), so label
//! cardinality stays bounded; unmatched paths count under `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use crate::app::Stats;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// Counters and histograms shared by every request.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), std::sync::Arc<Histogram>>>,
    in_flight: AtomicI64,
}

/// Counts a request as in flight until dropped.
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Writes one metric with its help and type lines and a single unlabelled sample.
fn sample(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts one request as in flight while the returned guard lives.
    pub fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// Counts one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        {
            let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_insert(0) += 1;
        }
        let histogram = {
            let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
            latency
                .entry((method.to_owned(), route.to_owned()))
                .or_default()
                .clone()
        };
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&histogram.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        histogram.count.fetch_add(1, Ordering::Relaxed);
        histogram.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Everything observed so far and the app's counters `stats`, in the Prometheus text exposition
    /// format.
    pub fn render(&self, stats: &Stats) -> String {
        let mut out = String::new();
        let in_flight = self.in_flight.load(Ordering::Relaxed);
        let samples: [(&str, &str, &str, f64); 10] = [
            (
                "shuanggao_http_requests_in_flight",
                "gauge",
                "Requests being handled now.",
                in_flight as f64,
            ),
            (
                "shuanggao_ranking_cache_hits_total",
                "counter",
                "Ranking pages answered from the cache.",
                stats.ranking_cache_hits as f64,
            ),
            (
                "shuanggao_ranking_cache_misses_total",
                "counter",
                "Ranking pages that computed their ranking.",
                stats.ranking_cache_misses as f64,
            ),
            (
                "shuanggao_ranking_cache_entries",
                "gauge",
                "Rankings held in the cache.",
                stats.ranking_cache_entries as f64,
            ),
            (
                "shuanggao_ranking_lists",
                "gauge",
                "Per-item rankings held (a demand's teams, a team's demands).",
                stats.ranking_lists as f64,
            ),
            (
                "shuanggao_ranking_lists_stale",
                "gauge",
                "Per-item rankings awaiting a refresh after a team write.",
                stats.ranking_lists_stale as f64,
            ),
            (
                "shuanggao_ranking_patches_pending",
                "gauge",
                "Writes whose pairs are yet to be patched into the per-item rankings.",
                stats.ranking_patches_pending as f64,
            ),
            (
                "shuanggao_rankings_abandoned_total",
                "counter",
                "Ranking computations stopped because their clients had gone.",
                stats.rankings_abandoned as f64,
            ),
            (
                "shuanggao_catalog_writes_total",
                "counter",
                "Team and demand writes made (an import counts as one).",
                stats.catalog_writes as f64,
            ),
            (
                "shuanggao_proposal_jobs_queued",
                "gauge",
                "Proposal jobs waiting for the worker.",
                stats.proposal_jobs_queued as f64,
            ),
        ];
        for (name, kind, help, value) in samples {
            sample(&mut out, name, kind, help, value);
        }
        let _ = writeln!(
            out,
            "# HELP shuanggao_engine_update_seconds Engine updates after team and demand writes, one per \
             batch of writes made together.\n\
             # TYPE shuanggao_engine_update_seconds summary\n\
             shuanggao_engine_update_seconds_sum {}\n\
             shuanggao_engine_update_seconds_count {}",
            stats.engine_update_seconds, stats.engine_updates
        );
        out.push_str("# HELP shuanggao_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE shuanggao_http_requests_total counter\n");
        for ((method, route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "shuanggao_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        out.push_str(
            "# HELP shuanggao_http_request_duration_seconds Time from request to response.\n",
        );
        out.push_str("# TYPE shuanggao_http_request_duration_seconds histogram\n");
        let latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        for ((method, route), h) in latency.iter() {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            for (bound, bucket) in BUCKETS.iter().zip(&h.buckets) {
                let _ = writeln!(
                    out,
                    "shuanggao_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    bucket.load(Ordering::Relaxed)
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "shuanggao_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "shuanggao_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "shuanggao_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/v1/zones/{id}", 200, Duration::from_millis(3));
        m.observe("GET", "/v1/zones/{id}", 200, Duration::from_millis(30));
        m.observe("GET", "/v1/zones/{id}", 404, Duration::from_micros(10));
        let _busy = m.start();
        let text = m.render(&Stats {
            ranking_cache_hits: 4,
            ..Stats::default()
        });
        assert!(text.contains("\nshuanggao_http_requests_in_flight 1\n"));
        assert!(text.contains("# TYPE shuanggao_ranking_cache_hits_total counter\nshuanggao_ranking_cache_hits_total 4\n"));
        assert!(text.contains(
            "shuanggao_http_requests_total{method=\"GET\",route=\"/v1/zones/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "shuanggao_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/zones/{id}\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "shuanggao_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/zones/{id}\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains(
            "shuanggao_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/zones/{id}\"} 3"
        ));
    }
}
