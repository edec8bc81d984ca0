//! Protections around every request: cross-site writes refused, security headers with a
//! per-request CSP nonce, and a JSON answer for bodies over the limit.

use super::AppState;
use super::error::ApiError;
use app::domain::{AppError, ErrorCode};
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses a request that changes state when the browser says it comes from another site.
/// Clients without `Origin` and `Sec-Fetch-Site` (scripts with a bearer token) pass.
pub async fn refuse_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let cross_site = matches!(fetch_site, Some("cross-site") | Some("same-site"));
        let foreign_origin = headers.get(ORIGIN).is_some_and(|origin| {
            let origin = origin.to_str().unwrap_or("null");
            let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            let own = [format!("http://{host}"), format!("https://{host}")];
            let public = state.backend.settings.public_origin.as_deref();
            !(own.iter().any(|o| o == origin) || public == Some(origin))
        });
        if cross_site || foreign_origin {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), "cross-site request refused");
            return ApiError(AppError::with_detail(ErrorCode::Forbidden, "cross-site requests are refused"))
                .into_response();
        }
    }
    next.run(request).await
}

/// Security headers on every answer. Pages set their own CSP (with their nonce); everything
/// else gets one that allows nothing at all.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key("content-security-policy") {
        headers
            .insert("content-security-policy", HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    }
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    // A tenant's pages and answers are not kept by the browser: after signing out, Back or a
    // shared machine's cache shows nothing of them. The site's files say their own.
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The body limit answers a bare 413; clients get the §5 error body instead.
pub async fn explain_too_large(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response.headers().get(CONTENT_TYPE).is_none_or(|v| v != "application/json")
    {
        return ApiError(AppError::with_detail(ErrorCode::PayloadTooLarge, "request bodies may have at most 1 MiB"))
            .into_response();
    }
    response
}
