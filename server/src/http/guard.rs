//! Protections around every request: cross-site writes refused, security headers with a
//! per-request CSP nonce, and a JSON answer for bodies over the limit.

use super::AppState;
use super::error::ApiError;
use app::domain::{AppError, ErrorCode};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The nonce of the page's inline scripts, made per request.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

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

/// Security headers on every answer; HTML pages get a CSP that allows only this request's
/// nonce for inline scripts, and WebAssembly compilation.
pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = crate::service::accounts::new_secret();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let is_html =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let csp = if is_html {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    } else {
        "default-src 'none'; frame-ancestors 'none'".to_owned()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert("content-security-policy", value);
    }
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
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
