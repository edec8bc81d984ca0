//! `/healthz` (the process answers), `/readyz` (the database answers too) and `/metrics`.

use super::AppState;
use crate::metrics::{self, Snapshot};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::time::Instant;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down")
    } else if state.backend.db.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let backend = &state.backend;
    let (havips_by_health, agents_silent) = backend.ha_figures().await.unwrap_or_default();
    let snapshot = Snapshot {
        pending_jobs: backend.pending_jobs().await.ok(),
        pools: backend.db.pool_use(),
        identity_cache_in_use: backend.db.identity_cache.in_use(),
        havips_by_health,
        agents_silent,
    };
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], backend.metrics.render(&snapshot))
}

/// Times every answer by route and status, including those given before a handler runs (503
/// while the database is down, 413, a caught panic's 500).
pub async fn count_answers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let response = next.run(request).await;
    state.backend.metrics.request_finished(&route, response.status().as_u16(), started.elapsed());
    response
}
