//! The console's pages (server-rendered Leptos, hydrated in the browser) and its server
//! functions. Both get the backend and the signed-in user through the Leptos context.

use super::AppState;
use super::guard::CspNonce;
use super::identity::Identity;
use app::api::port::{Console, RequestContext};
use app::i18n::Lang;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::nonce::Nonce;
use leptos::prelude::provide_context;
use std::sync::Arc;

fn request_context(state: &AppState, identity: Option<&Identity>) -> RequestContext {
    let console: Arc<dyn Console> = state.backend.clone();
    RequestContext {
        console,
        caller: identity.and_then(Identity::caller),
        session_token: identity.and_then(|i| i.session_token.clone()),
        client: identity.map(|i| i.client.clone()).unwrap_or_default(),
        https: identity.is_some_and(|i| i.https),
    }
}

/// `/havips`: the console itself, for signed-in users; others go to the login page first.
pub async fn console_page(State(state): State<AppState>, request: Request) -> Response {
    let signed_in = request.extensions().get::<Identity>().is_some_and(|i| i.principal.is_some());
    if !signed_in {
        let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/havips");
        let next: String = url_encode(target);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    render(state, request).await
}

/// `/login`: signed-in users go straight on to the console.
pub async fn login_page(State(state): State<AppState>, request: Request) -> Response {
    if request.extensions().get::<Identity>().is_some_and(|i| i.principal.is_some()) {
        return Redirect::to("/havips").into_response();
    }
    render(state, request).await
}

/// Any other path: the console's 404 page.
pub async fn not_found_page(State(state): State<AppState>, request: Request) -> Response {
    render(state, request).await
}

async fn render(state: AppState, request: Request) -> Response {
    let identity = request.extensions().get::<Identity>().cloned();
    let nonce = request.extensions().get::<CspNonce>().map(|n| n.0.clone()).unwrap_or_default();
    let lang =
        request.headers().get(COOKIE).and_then(|v| v.to_str().ok()).map(Lang::from_cookie_header).unwrap_or_default();
    let context = request_context(&state, identity.as_ref());
    let options = state.leptos.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(context.clone());
            provide_context(lang);
            provide_context(Nonce::from_value(nonce.clone()));
        },
        move || app::ui::shell(options.clone()),
    );
    handler(request).await.into_response()
}

/// `/api/fn/*`: the server functions of the console.
pub async fn server_functions(State(state): State<AppState>, request: Request<Body>) -> Response {
    let identity = request.extensions().get::<Identity>().cloned();
    let context = request_context(&state, identity.as_ref());
    leptos_axum::handle_server_fns_with_context(move || provide_context(context.clone()), request).await.into_response()
}

/// Percent-encodes a path for a query parameter.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
