//! `/healthz` (the process answers), `/readyz` (the database answers too) and `/metrics`.

use super::AppState;
use crate::store::jobs;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

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
    let pending = jobs::pending_count(&state.backend.db).await.ok();
    let body = state.metrics.render(pending, pending.is_some(), state.backend.db.identity_cache.figures());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
