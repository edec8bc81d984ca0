//! The REST API under `/api/v1` (product.md §5). Handlers are thin: they read the request and
//! call the same backend operations as the console.

pub mod ha;
pub mod havips;
pub mod inventory;
mod json;
pub mod operations;
pub mod tokens;
pub mod users;

pub use json::ApiJson;

use super::AppState;
use axum::Router;
use axum::routing::{get, post, put};

/// A query string's pairs in order, a key that repeats (`status`) as often as it comes; a query
/// that does not decode has none (axum's extractors refuse it first).
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or_default()).unwrap_or_default()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/havips", get(havips::list).post(havips::create))
        .route("/havips/export", get(crate::http::export::download))
        .route("/havips/export.xlsx", get(crate::http::export::download_xlsx))
        .route("/havips/batch-delete", post(havips::batch_delete))
        .route("/havips/{id}", get(havips::get).patch(havips::update).delete(havips::delete))
        .route("/havips/{id}/vms", post(havips::attach_vm))
        .route("/havips/{id}/vms/{vm_id}", axum::routing::delete(havips::detach_vm))
        .route("/havips/{id}/keepalived.conf", get(ha::keepalived_config))
        .route("/havips/{id}/events", get(ha::events))
        .route("/agent/reports", post(ha::report))
        .route("/agent/assignments", get(ha::assignments))
        .route("/vms/{vm_id}/agent-tokens", post(ha::create_agent_token))
        .route("/vpcs", get(inventory::vpcs))
        .route("/subnets", get(inventory::subnets))
        .route("/vms", get(inventory::vms))
        .route("/projects", get(inventory::projects))
        .route("/admin/inventory", put(inventory::sync))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", axum::routing::patch(users::update).delete(users::delete))
        .route("/users/{id}/password", post(users::reset_password))
        .route("/operations", get(operations::list))
        .route("/operations/export.xlsx", get(crate::http::export::operations))
        .route("/openapi.json", get(super::openapi::document))
        .fallback(|| async { super::error::ApiError(app::domain::AppError::not_found()) })
        .layer(axum::middleware::from_fn(in_the_error_shape))
}

/// axum refuses some requests itself, in plain text: a path or query that does not decode (bad
/// UTF-8, a repeated parameter) and a method the route does not have. Clients get the §5 error
/// body for those too; a 405 keeps its status and its `Allow` header.
async fn in_the_error_shape(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use app::domain::{AppError, ErrorCode};
    use axum::http::{StatusCode, header::CONTENT_TYPE};
    use axum::response::IntoResponse;
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let said =
        axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let error = match status {
        StatusCode::NOT_FOUND => AppError::not_found(),
        StatusCode::METHOD_NOT_ALLOWED => {
            AppError::with_detail(ErrorCode::InvalidParameter, "the resource does not take this method")
        }
        StatusCode::PAYLOAD_TOO_LARGE => AppError::new(ErrorCode::PayloadTooLarge),
        _ if status.is_client_error() => AppError::with_detail(ErrorCode::InvalidParameter, said),
        _ => AppError::internal(),
    };
    let mut answer = super::error::ApiError(error).into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        *answer.status_mut() = status;
        if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
            answer.headers_mut().insert(axum::http::header::ALLOW, allow.clone());
        }
    }
    answer
}
