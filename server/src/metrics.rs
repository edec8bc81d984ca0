//! Prometheus metrics at `/metrics`: requests by status class and jobs by outcome.

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
    pub fn render(&self, pending_jobs: Option<i64>, database_up: bool) -> String {
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
        out
    }
}
