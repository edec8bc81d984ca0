//! Prometheus metrics at `/metrics`, through the Prometheus project's Rust client. Every metric
//! is a field of [`Metrics`] registered once in [`Metrics::new`]: a new metric is a field and a
//! `register` line, never a format.
//!
//! What an operator looks for first: request duration by route and status class, how the
//! database pools are used, how long jobs take from request to settled, whether the database
//! answers, and how requests were authenticated.

use app::domain::ha::{HaChange, Health};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// Seconds, from a millisecond to ten seconds: requests and jobs alike.
const LATENCY_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route's pattern (`/api/v1/havips/{id}`), or `unmatched`.
    pub route: String,
    /// `2xx`, `4xx`, …
    pub class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub kind: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobKindLabel {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AnsweredBy {
    /// `memory` (the identity cache) or `database`.
    pub answered_by: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `read` and `write` on SQLite, `main` on Postgres.
    pub pool: &'static str,
    /// `idle` or `in_use`.
    pub state: &'static str,
}

/// How a database pool is used at the moment of a scrape.
#[derive(Clone, Copy, Debug)]
pub struct PoolUse {
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
}

/// What is read at the moment of a scrape rather than counted as it happens.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub pending_jobs: Option<i64>,
    pub pools: Vec<PoolUse>,
    pub identity_cache_in_use: bool,
    pub havips_by_health: Vec<(Health, i64)>,
    pub agents_silent: i64,
}

pub struct Metrics {
    registry: Registry,
    requests: Histograms<RequestLabels>,
    jobs: Family<JobLabels, Counter>,
    job_latency: Histograms<JobKindLabel>,
    /// Shared with the identity cache, which counts as it answers.
    pub authentications: Family<AnsweredBy, Counter>,
    jobs_pending: Gauge,
    database_up: Gauge,
    pool_connections: Family<PoolLabels, Gauge>,
    identity_cache_in_use: Gauge,
    agent_reports: Counter,
    failovers: Counter,
    split_brains: Counter,
    havips_by_health: Family<HealthLabel, Gauge>,
    agents_silent: Gauge,
    fabric_monitor_breaks: Counter,
    reconcile_repairs: Family<RepairLabel, Counter>,
    list_cache: Family<ListCacheLabel, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ListCacheLabel {
    /// `hit` (the page was kept) or `miss` (the database was asked).
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RepairLabel {
    /// `restored`, `updated` or `removed`.
    pub repair: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HealthLabel {
    pub health: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("havip");
        let metrics = Metrics {
            requests: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            jobs: Family::default(),
            job_latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            authentications: Family::default(),
            jobs_pending: Gauge::default(),
            database_up: Gauge::default(),
            pool_connections: Family::default(),
            identity_cache_in_use: Gauge::default(),
            agent_reports: Counter::default(),
            failovers: Counter::default(),
            split_brains: Counter::default(),
            havips_by_health: Family::default(),
            agents_silent: Gauge::default(),
            fabric_monitor_breaks: Counter::default(),
            reconcile_repairs: Family::default(),
            list_cache: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_request_duration_seconds",
            "HTTP requests answered, by route and status class, with how long each took",
            metrics.requests.clone(),
        );
        registry.register("jobs", "Background jobs finished, by kind and outcome", metrics.jobs.clone());
        registry.register(
            "job_latency_seconds",
            "Time from a request that makes a job to the job finished, by kind",
            metrics.job_latency.clone(),
        );
        registry.register(
            "authentications",
            "Requests with credentials, by whether the identity cache answered or the database had to",
            metrics.authentications.clone(),
        );
        registry.register("jobs_pending", "Jobs waiting for a worker", metrics.jobs_pending.clone());
        registry.register("database_up", "Whether the database answered the last scrape", metrics.database_up.clone());
        registry.register(
            "database_connections",
            "Connections of each database pool, idle or in use",
            metrics.pool_connections.clone(),
        );
        registry.register(
            "identity_cache_in_use",
            "Whether the identity cache is used (on Postgres: whether the change feed listens)",
            metrics.identity_cache_in_use.clone(),
        );
        registry.register("agent_reports", "Reports received from agents", metrics.agent_reports.clone());
        registry.register("failovers", "Masters that changed, as agents saw it", metrics.failovers.clone());
        registry.register("split_brains", "Split brains that began", metrics.split_brains.clone());
        registry.register("havips", "HAVIPs by health", metrics.havips_by_health.clone());
        registry.register(
            "agents_silent",
            "Agents not heard for three of their intervals",
            metrics.agents_silent.clone(),
        );
        registry.register(
            "fabric_monitor_breaks",
            "Times the OVN driver's Southbound monitor broke and was opened again",
            metrics.fabric_monitor_breaks.clone(),
        );
        registry.register(
            "reconcile_repairs",
            "Virtual ports in OVN that reconciliation restored, updated or removed",
            metrics.reconcile_repairs.clone(),
        );
        registry.register(
            "list_cache",
            "Pages of the list asked for, by whether the list cache had them (hit) or the database was asked (miss)",
            metrics.list_cache.clone(),
        );
        // Both series of each exist from the start, so a rate over them never begins with a gap.
        for answered_by in ["memory", "database"] {
            let _series = metrics.authentications.get_or_create(&AnsweredBy { answered_by });
        }
        for outcome in ["hit", "miss"] {
            let _series = metrics.list_cache.get_or_create(&ListCacheLabel { outcome });
        }
        Metrics { registry, ..metrics }
    }

    pub fn request_finished(&self, route: &str, status: u16, took: Duration) {
        let class = match status / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        };
        self.requests.get_or_create(&RequestLabels { route: route.to_owned(), class }).observe(took.as_secs_f64());
    }

    /// A job finished; `latency` is the time since the request that made it.
    pub fn job_finished(&self, kind: &'static str, outcome: &'static str, latency: Option<Duration>) {
        self.jobs.get_or_create(&JobLabels { kind, outcome }).inc();
        if let Some(latency) = latency {
            self.job_latency.get_or_create(&JobKindLabel { kind }).observe(latency.as_secs_f64());
        }
    }

    /// A page of the list was asked for: `hit` when the list cache had it.
    pub fn list_cache_answered(&self, hit: bool) {
        let outcome = if hit { "hit" } else { "miss" };
        self.list_cache.get_or_create(&ListCacheLabel { outcome }).inc();
    }

    pub fn agent_report(&self) {
        self.agent_reports.inc();
    }

    pub fn fabric_monitor_broke(&self) {
        self.fabric_monitor_breaks.inc();
    }

    pub fn reconcile_repaired(&self, repair: &'static str) {
        self.reconcile_repairs.get_or_create(&RepairLabel { repair }).inc();
    }

    /// A change of a HAVIP's HA state was recorded.
    pub fn ha_change(&self, change: &HaChange) {
        match change {
            HaChange::MasterChanged { from: Some(_), .. } => {
                self.failovers.inc();
            }
            HaChange::SplitBrainStarted { .. } => {
                self.split_brains.inc();
            }
            _ => {}
        }
    }

    /// The text exposition (OpenMetrics) with the snapshot's figures.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        self.database_up.set(i64::from(snapshot.pending_jobs.is_some()));
        self.jobs_pending.set(snapshot.pending_jobs.unwrap_or_default());
        self.identity_cache_in_use.set(i64::from(snapshot.identity_cache_in_use));
        self.agents_silent.set(snapshot.agents_silent);
        for health in Health::ALL {
            let count = snapshot.havips_by_health.iter().find(|(h, _)| *h == health).map_or(0, |(_, n)| *n);
            self.havips_by_health.get_or_create(&HealthLabel { health: health.as_str() }).set(count);
        }
        for pool in &snapshot.pools {
            let in_use = pool.open.saturating_sub(pool.idle);
            self.pool_connections
                .get_or_create(&PoolLabels { pool: pool.pool, state: "idle" })
                .set(i64::from(pool.idle));
            self.pool_connections
                .get_or_create(&PoolLabels { pool: pool.pool, state: "in_use" })
                .set(i64::from(in_use));
        }
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "could not encode the metrics");
        }
        text
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_counted() {
        let metrics = Metrics::new();
        metrics.request_finished("/api/v1/havips", 200, Duration::from_millis(3));
        metrics.request_finished("/api/v1/havips", 503, Duration::from_millis(30));
        metrics.job_finished("create", "available", Some(Duration::from_millis(40)));
        metrics.authentications.get_or_create(&AnsweredBy { answered_by: "memory" }).inc();
        let snapshot = Snapshot {
            pending_jobs: Some(2),
            pools: vec![PoolUse { pool: "main", open: 5, idle: 3 }],
            identity_cache_in_use: true,
            havips_by_health: vec![(Health::SplitBrain, 1)],
            agents_silent: 4,
        };
        metrics.ha_change(&HaChange::MasterChanged { from: Some("vm-a".into()), to: Some("vm-b".into()) });
        metrics.list_cache_answered(true);
        metrics.list_cache_answered(true);
        metrics.list_cache_answered(false);
        let text = metrics.render(&snapshot);
        for line in [
            "havip_http_request_duration_seconds_count{route=\"/api/v1/havips\",class=\"5xx\"} 1",
            "havip_http_request_duration_seconds_bucket{le=\"0.005\",route=\"/api/v1/havips\",class=\"2xx\"} 1",
            "havip_jobs_total{kind=\"create\",outcome=\"available\"} 1",
            "havip_job_latency_seconds_count{kind=\"create\"} 1",
            "havip_authentications_total{answered_by=\"memory\"} 1",
            "havip_jobs_pending 2",
            "havip_database_up 1",
            "havip_database_connections{pool=\"main\",state=\"in_use\"} 2",
            "havip_identity_cache_in_use 1",
            "havip_havips{health=\"split_brain\"} 1",
            "havip_havips{health=\"healthy\"} 0",
            "havip_agents_silent 4",
            "havip_failovers_total 1",
            "havip_list_cache_total{outcome=\"hit\"} 2",
            "havip_list_cache_total{outcome=\"miss\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }
}
