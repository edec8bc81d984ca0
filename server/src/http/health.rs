//! `/healthz` (the process answers), `/readyz` (the database answers too) and `/metrics`.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.backend.db.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let pending = state.backend.pending_jobs().await.ok();
    let body = state.metrics.render(pending, pending.is_some(), state.backend.db.identity_cache.figures());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

/// Counts every answer by status, including those given before a handler runs (503 while the
/// database is down, 413, a caught panic's 500).
pub async fn count_answers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    state.metrics.request_finished(response.status().as_u16());
    response
}
