//! Prometheus metrics at `/metrics`: requests by status class, jobs by outcome, and how
//! requests were authenticated.

use crate::db::identity_cache::CacheFigures;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    requests: [AtomicU64; 5],
    jobs: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl Metrics {
    pub fn request_finished(&self, status: u16) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn job_finished(&self, kind: &'static str, outcome: &'static str) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        *jobs.entry((kind, outcome)).or_default() += 1;
    }

    /// The text exposition format.
    pub fn render(&self, pending_jobs: Option<i64>, database_up: bool, identity: CacheFigures) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP havip_http_requests_total HTTP requests answered, by status class.");
        let _ = writeln!(out, "# TYPE havip_http_requests_total counter");
        for (i, counter) in self.requests.iter().enumerate() {
            let _ =
                writeln!(out, "havip_http_requests_total{{class=\"{}xx\"}} {}", i + 1, counter.load(Ordering::Relaxed));
        }
        let _ = writeln!(out, "# HELP havip_jobs_total Background jobs finished, by kind and outcome.");
        let _ = writeln!(out, "# TYPE havip_jobs_total counter");
        for ((kind, outcome), count) in self.jobs.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "havip_jobs_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {count}");
        }
        if let Some(pending) = pending_jobs {
            let _ = writeln!(out, "# HELP havip_jobs_pending Jobs waiting for the worker.");
            let _ = writeln!(out, "# TYPE havip_jobs_pending gauge");
            let _ = writeln!(out, "havip_jobs_pending {pending}");
        }
        let _ = writeln!(out, "# HELP havip_database_up Whether the database answered.");
        let _ = writeln!(out, "# TYPE havip_database_up gauge");
        let _ = writeln!(out, "havip_database_up {}", u8::from(database_up));
        let _ = writeln!(
            out,
            "# HELP havip_authentications_total Requests with credentials, by whether the identity cache answered or the database had to."
        );
        let _ = writeln!(out, "# TYPE havip_authentications_total counter");
        let _ = writeln!(out, "havip_authentications_total{{answered_by=\"memory\"}} {}", identity.from_memory);
        let _ = writeln!(out, "havip_authentications_total{{answered_by=\"database\"}} {}", identity.from_database);
        let _ = writeln!(
            out,
            "# HELP havip_identity_cache_in_use Whether the identity cache is used (on Postgres: whether the change feed listens)."
        );
        let _ = writeln!(out, "# TYPE havip_identity_cache_in_use gauge");
        let _ = writeln!(out, "havip_identity_cache_in_use {}", u8::from(identity.trusted));
        out
    }
}
