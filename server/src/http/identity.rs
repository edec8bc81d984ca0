//! Who sends a request: the session cookie or bearer token resolved to a user, the client's
//! address, whether it came over HTTPS, and a request ID. Every request passes through here.

use super::AppState;
use super::client_address::forwarded_for;
use super::cookies::session_from_cookie_header;
use super::error::ApiError;
use crate::service::accounts::Credential;
use app::domain::caller::Caller;
use app::domain::{AppError, ErrorCode};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// What a request says of its sender, as every handler and page sees it.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The signed-in user, when the session or token is live.
    pub caller: Option<Caller>,
    pub session_token: Option<String>,
    pub client: String,
    pub https: bool,
    pub request_id: String,
}

/// Resolves the identity and puts it into the request's extensions; answers 503 when the
/// database cannot be asked.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| hex::encode(rand::random::<[u8; 8]>()));
    let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let forwarded_for = forwarded_for(headers);
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| state.backend.settings.trusted_proxies.client(addr.ip(), &forwarded_for).to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let bearer =
        headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let session_token =
        headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(session_from_cookie_header);
    let credential = match (bearer.filter(|token| !token.is_empty()), &session_token) {
        (Some(token), _) => Some(Credential::Token(token)),
        (None, Some(token)) => Some(Credential::Session(token)),
        (None, None) => None,
    };
    let caller = match credential {
        Some(credential) => match state.backend.authenticate(credential, &request_id).await {
            Ok(caller) => caller,
            Err(error) => return ApiError(error).into_response(),
        },
        None => None,
    };
    // An agent token speaks for its VM on the agent's own routes only: everywhere else it is
    // refused, whatever the route (a route added later included).
    if caller.as_ref().is_some_and(|c| c.agent_vm.is_some()) && !is_agent_route(request.uri().path()) {
        let refusal = AppError::with_detail(
            ErrorCode::Forbidden,
            "an agent token may only report and read its VM's configuration",
        );
        return ApiError(refusal).into_response();
    }
    let identity = Identity { caller, session_token, client, https, request_id: request_id.clone() };
    request.extensions_mut().insert(identity);
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The routes an agent token may use.
fn is_agent_route(path: &str) -> bool {
    matches!(path, "/api/v1/agent/reports" | "/api/v1/agent/assignments")
        || path
            .strip_prefix("/api/v1/havips/")
            .and_then(|rest| rest.strip_suffix("/keepalived.conf"))
            .is_some_and(|id| !id.contains('/'))
}

/// The signed-in caller of a REST request; without one the request gets 401.
pub struct AuthenticatedCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .and_then(|identity| identity.caller.clone())
            .map(AuthenticatedCaller)
            .ok_or_else(|| ApiError(AppError::new(ErrorCode::Unauthenticated)))
    }
}
