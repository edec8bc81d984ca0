//! Who sends a request: the session cookie or bearer token resolved to a user, the client's
//! address, whether it came over HTTPS, and a request ID. Every request passes through here.

use super::AppState;
use super::client_address::TrustedProxies;
use super::error::ApiError;
use crate::service::SESSION_COOKIE;
use crate::service::accounts::Principal;
use app::domain::caller::Caller;
use app::domain::{AppError, ErrorCode};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Identity {
    pub principal: Option<Principal>,
    /// Whether the principal came from an API token rather than a session.
    pub by_token: bool,
    pub session_token: Option<String>,
    pub client: String,
    pub https: bool,
    pub request_id: String,
}

impl Identity {
    pub fn caller(&self) -> Option<Caller> {
        self.principal.as_ref().map(|p| Caller {
            user_id: p.user.user_id.clone(),
            tenant_id: p.user.tenant_id.clone(),
            profile: p.user.profile.clone(),
            request_id: self.request_id.clone(),
            by_token: self.by_token,
            tenant_revision: Some(p.tenant_revision),
        })
    }
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
    let forwarded_for = TrustedProxies::forwarded_for(headers);
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| state.backend.settings.trusted_proxies.client(addr.ip(), &forwarded_for).to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let bearer =
        headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let session_token =
        headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(session_from_cookie_header);
    let by_token = bearer.is_some_and(|token| !token.is_empty());
    let resolved = match (bearer, &session_token) {
        (Some(token), _) if by_token => state.backend.token_principal(token).await,
        (_, Some(token)) => state.backend.session_principal(token).await,
        _ => Ok(None),
    };
    let principal = match resolved {
        Ok(principal) => principal,
        Err(error) => return ApiError(error).into_response(),
    };
    let identity = Identity { principal, by_token, session_token, client, https, request_id: request_id.clone() };
    request.extensions_mut().insert(identity);
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn session_from_cookie_header(header: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The signed-in caller of a REST request; without one the request gets 401.
pub struct AuthenticatedCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .and_then(Identity::caller)
            .map(AuthenticatedCaller)
            .ok_or_else(|| ApiError(AppError::new(ErrorCode::Unauthenticated)))
    }
}
