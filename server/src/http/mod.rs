//! The HTTP server: the router of pages, server functions, REST, files and health, and the
//! layers every request passes (identity, cross-site guard, headers, limits, compression).

pub mod client_address;
pub mod cookies;
pub mod error;
pub mod export;
pub mod guard;
mod health;
pub mod identity;
pub mod openapi;
mod page_cache;
mod pages;
pub mod rest;

use crate::service::Backend;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Redirect;
use axum::routing::{get, post};
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Request bodies above this answer 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub backend: Arc<Backend>,
    pub leptos: LeptosOptions,
    pub pages: Arc<page_cache::PageCache>,
    /// Set when a shutdown signal came: `/readyz` answers 503 while requests are still served.
    pub draining: Arc<AtomicBool>,
}

pub fn router(state: AppState) -> Router {
    let site_root = state.backend.settings.site_root.clone();
    // The WebAssembly, its JavaScript and the stylesheet carry their content's hash in their
    // names (scripts/build-site.sh): kept for a year, and sent as built, brotli or gzip, from
    // the files compressed at build time (brotli 11 makes the WebAssembly a fifth smaller than
    // compressing it on the fly could).
    let built = Router::new()
        .nest_service("/pkg", ServeDir::new(site_root.join("pkg")).precompressed_br().precompressed_gzip())
        .layer(axum::middleware::map_response(built_file_headers));
    let assets = Router::new()
        .route_service("/favicon.svg", tower_http::services::ServeFile::new(site_root.join("favicon.svg")))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-cache"),
        ))
        .merge(built);
    Router::new()
        .route("/", get(|| async { Redirect::to("/havips") }))
        .route("/havips", get(pages::console_page))
        .route("/users", get(pages::signed_in_page))
        .route("/operations", get(pages::signed_in_page))
        .route("/login", get(pages::login_page))
        .route("/api/fn/{*name}", post(pages::server_functions))
        .nest("/api/v1", rest::routes())
        .merge(assets)
        .fallback(pages::not_found_page)
        .layer(from_fn_with_state(state.clone(), identity::identify))
        // Probes need no identity: /healthz answers "process up" even if a probe sends a
        // cookie while the database (which would resolve it) is down.
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(from_fn_with_state(state.clone(), guard::refuse_cross_site))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(from_fn(guard::explain_too_large))
        // The workbook is a zip already: compressing it again only costs time.
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new(export::XLSX))),
        )
        .layer(CatchPanicLayer::custom(panic_response))
        // Outside the body limit and the panic catcher, so their answers carry the headers too
        // and count in the metrics.
        .layer(from_fn(guard::security_headers))
        .layer(from_fn_with_state(state.clone(), health::count_answers))
        .layer(TraceLayer::new_for_http().on_failure(log_failure))
        .with_state(state)
}

/// Failed answers are errors in the log, but for 503: it is logged where it is decided (the
/// database out of reach), and while a server drains, a balancer's health checks get it ten
/// times a second.
fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    let latency_ms = latency.as_millis();
    match class {
        ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(latency_ms, "answered 503")
        }
        other => tracing::error!(classification = %other, latency_ms, "response failed"),
    }
}

/// A built file is kept for a year; a missing one (another build's, asked of a server not yet
/// restarted) is kept by no one. Caches keep each encoding apart.
async fn built_file_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let cache = if found { "public, max-age=31536000, immutable" } else { "no-store" };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// The name of the built site's files (`havip-<hash>`), as scripts/build-site.sh wrote it
/// beside them; `None` when the site was not built.
pub fn site_name(site_root: &std::path::Path) -> Option<String> {
    let name = std::fs::read_to_string(site_root.join("site-name")).ok()?;
    Some(name.trim().to_owned()).filter(|n| !n.is_empty())
}

/// A panic is a bug: log it, and answer `Internal` without details rather than drop the connection.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("?");
    tracing::error!(panic = message, "request handler panicked");
    axum::response::IntoResponse::into_response(error::ApiError(app::domain::AppError::internal()))
}
