//! The console's pages (server-rendered Leptos, hydrated in the browser) and its server
//! functions. Both get the backend and the signed-in user through the Leptos context.

use super::AppState;
use super::cookies::SessionCookies;
use super::identity::Identity;
use super::page_cache::{PageKey, RenderedPage};
use app::api::port::{Console, RequestContext};
use app::domain::AppError;
use app::domain::time::UtcOffset;
use app::i18n::Lang;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::nonce::Nonce;
use leptos::prelude::provide_context;
use std::sync::Arc;

fn request_context(state: &AppState, identity: Option<&Identity>) -> RequestContext {
    let console: Arc<dyn Console> = state.backend.clone();
    let settings = &state.backend.settings;
    let cookies = SessionCookies {
        security: settings.cookies,
        max_age: settings.session_max_age,
        https: identity.is_some_and(|i| i.https),
    };
    RequestContext {
        console,
        caller: identity.and_then(|i| i.caller.clone()),
        session_token: identity.and_then(|i| i.session_token.clone()),
        client: identity.map(|i| i.client.clone()).unwrap_or_default(),
        cookies: Arc::new(cookies),
    }
}

/// A fresh nonce for one page's Content Security Policy: 128 random bits.
fn csp_nonce() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// `/havips`: the console itself, for signed-in users; others go to the login page first.
pub async fn console_page(State(state): State<AppState>, request: Request) -> Response {
    if let Some(to_login) = unless_signed_in(&request) {
        return to_login;
    }
    if !shows_a_valid_view(request.uri()) {
        // A link with a view that cannot be (page 0, an unknown sort) shows the default view,
        // rather than an error that no retry can fix.
        return Redirect::to("/havips").into_response();
    }
    render(state, request).await
}

/// `/users` and `/operations`: for signed-in users (the pages say what a member may not see);
/// others go to the login page first. The log's filters in the URL are checked by the page.
pub async fn signed_in_page(State(state): State<AppState>, request: Request) -> Response {
    match unless_signed_in(&request) {
        Some(to_login) => to_login,
        None => render(state, request).await,
    }
}

/// The way to the login page, which comes back here, for a request without a signed-in user.
fn unless_signed_in(request: &Request) -> Option<Response> {
    let signed_in = request.extensions().get::<Identity>().is_some_and(|i| i.caller.is_some());
    if signed_in {
        return None;
    }
    let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/havips");
    Some(Redirect::to(&format!("/login?next={}", url_encode(target))).into_response())
}

fn shows_a_valid_view(uri: &axum::http::Uri) -> bool {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri).is_ok_and(|query| {
        app::domain::list_query::ListQuery::from_pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str()))).is_ok()
    })
}

/// `/login`: signed-in users go straight on to the console.
pub async fn login_page(State(state): State<AppState>, request: Request) -> Response {
    if request.extensions().get::<Identity>().is_some_and(|i| i.caller.is_some()) {
        return Redirect::to("/havips").into_response();
    }
    render(state, request).await
}

/// Any other path: the console's 404 page.
pub async fn not_found_page(State(state): State<AppState>, request: Request) -> Response {
    render(state, request).await
}

/// Renders a page. The render runs in a task of its own and the whole page is collected
/// before it is sent: a client that goes away mid-render then does not tear the reactive
/// owner down under the render's feet.
async fn render(state: AppState, request: Request) -> Response {
    let identity = request.extensions().get::<Identity>().cloned();
    let nonce = csp_nonce();
    let cookies = request.headers().get(COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let lang = Lang::from_cookie_header(cookies);
    let utc_offset = UtcOffset::from_cookie_header(cookies).unwrap_or_default();
    // Signed-in views are kept once rendered (see page_cache): the same view at the same
    // revision is the same page.
    let cache_key = identity.as_ref().and_then(|i| i.caller.as_ref()).map(|caller| PageKey {
        user_id: caller.user_id.clone(),
        tenant_revision: caller.tenant_revision.unwrap_or_default(),
        path_and_query: request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        lang,
        utc_offset,
    });
    if let Some(page) = cache_key.as_ref().and_then(|key| state.pages.get(key)) {
        return html_response(page.with_nonce(&nonce), &nonce);
    }
    let context = request_context(&state, identity.as_ref());
    let options = state.leptos.clone();
    let render_nonce = nonce.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(context.clone());
            provide_context(lang);
            provide_context(utc_offset);
            provide_context(Nonce::from_value(render_nonce.clone()));
        },
        move || app::ui::shell(options.clone()),
    );
    let rendered = tokio::spawn(async move {
        let (parts, body) = handler(request).await.into_parts();
        axum::body::to_bytes(body, usize::MAX).await.map(|bytes| (parts, bytes))
    })
    .await;
    let (mut parts, html) = match rendered {
        Ok(Ok(page)) => page,
        Ok(Err(error)) => {
            tracing::error!(%error, "a page failed to render");
            return super::error::ApiError(app::domain::AppError::internal()).into_response();
        }
        Err(error) => {
            tracing::error!(%error, "a page's render task failed");
            return super::error::ApiError(app::domain::AppError::internal()).into_response();
        }
    };
    if let (Some(key), true) = (cache_key, parts.status.is_success()) {
        state.pages.put(key, RenderedPage { html: html.clone(), nonce: nonce.clone() });
    }
    if let Ok(value) = HeaderValue::from_str(&page_csp(&nonce)) {
        parts.headers.insert(CONTENT_SECURITY_POLICY, value);
    }
    Response::from_parts(parts, Body::from(html))
}

fn html_response(html: String, nonce: &str) -> Response {
    let mut response = ([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    if let Ok(value) = HeaderValue::from_str(&page_csp(nonce)) {
        response.headers_mut().insert(CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The page's Content Security Policy: inline scripts only with this response's nonce, and
/// WebAssembly compilation.
fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `/api/fn/*`: the server functions of the console.
pub async fn server_functions(State(state): State<AppState>, request: Request<Body>) -> Response {
    let identity = request.extensions().get::<Identity>().cloned();
    let context = request_context(&state, identity.as_ref());
    let response = leptos_axum::handle_server_fns_with_context(move || provide_context(context.clone()), request)
        .await
        .into_response();
    with_the_errors_status(response).await
}

/// Leptos answers 500 for every error raised before a server function runs (arguments that do
/// not decode, a body over the limit), whatever the error says. The error, an [`AppError`],
/// knows its status: a malformed request is the client's (400), not the server's.
async fn with_the_errors_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return super::error::ApiError(AppError::internal()).into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// An encoded error is a few hundred bytes; anything longer is not one.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Percent-encodes a path for a query parameter.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
