//! `/api/v1/users`: the tenant's users, for its admins (a member gets 403).

use super::ApiJson;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::identity::AuthenticatedCaller;
use app::api::error::ErrorResponse;
use app::domain::users::{CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, User, UserWithPassword};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// The tenant's users by username.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>)))]
pub async fn list(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(state.backend.users(&caller).await?))
}

/// Make a user of the tenant. Without a password one is generated and answered this once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = UserWithPassword), (status = 422, body = ErrorResponse,
        description = "InvalidUsername, InvalidUsername.AlreadyUsed or InvalidPassword")))]
pub async fn create(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserWithPassword>)> {
    Ok((StatusCode::CREATED, Json(state.backend.create_tenant_user(&caller, request).await?)))
}

/// Change a user's role, or disable it (its sessions and tokens end at once) or enable it.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = UpdateUserRequest, responses((status = 200, body = User), (status = 409, body = ErrorResponse,
        description = "LastEnabledAdmin: the change would leave the tenant without an enabled admin")))]
pub async fn update(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.backend.update_user(&caller, &id, request).await?))
}

/// Set a user's password (without one, a generated one is answered this once); its sessions and
/// tokens end.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = String, Path)),
    request_body = ResetPasswordRequest, responses((status = 200, body = UserWithPassword),
        (status = 422, body = ErrorResponse, description = "InvalidPassword")))]
pub async fn reset_password(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ResetPasswordRequest>,
) -> ApiResult<Json<UserWithPassword>> {
    Ok(Json(state.backend.reset_password(&caller, &id, request).await?))
}

/// Delete a user; its entries in the operation log stay.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 409, body = ErrorResponse,
        description = "LastEnabledAdmin: the user is the tenant's last enabled admin")))]
pub async fn delete(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.backend.delete_user(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
