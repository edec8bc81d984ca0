//! `/tokens`: the caller's own API tokens.

use super::ApiJson;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::identity::AuthenticatedCaller;
use app::api::error::ErrorResponse;
use app::domain::tokens::{ApiToken, CreateTokenRequest, NewApiToken};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// The caller's live API tokens (without their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn list(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(state.backend.api_tokens(&caller).await?))
}

/// Make an API token for the caller, who must be signed in with a session (the console's cookie),
/// not another token; the answer is the only one that shows its secret. The body, which names
/// the token, may be left out.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = Option<CreateTokenRequest>,
    responses((status = 201, body = NewApiToken), (status = 422, body = ErrorResponse, description = "InvalidTokenName")))]
pub async fn create(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    request: Option<ApiJson<CreateTokenRequest>>,
) -> ApiResult<(StatusCode, Json<NewApiToken>)> {
    let name = request.map(|ApiJson(request)| request.name);
    Ok((StatusCode::CREATED, Json(state.backend.create_api_token(&caller, name.as_deref()).await?)))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.backend.revoke_api_token(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
