//! The REST API under `/api/v1` (product.md §5). Handlers are thin: they read the request and
//! call the same backend operations as the console.

pub mod havips;
pub mod inventory;
mod json;

pub use json::ApiJson;

use super::AppState;
use axum::Router;
use axum::routing::{get, post, put};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/havips", get(havips::list).post(havips::create))
        .route("/havips/export.xlsx", get(crate::http::export::download))
        .route("/havips/batch-delete", post(havips::batch_delete))
        .route("/havips/{id}", get(havips::get).patch(havips::update).delete(havips::delete))
        .route("/havips/{id}/vms", post(havips::attach_vm))
        .route("/havips/{id}/vms/{vm_id}", axum::routing::delete(havips::detach_vm))
        .route("/vpcs", get(inventory::vpcs))
        .route("/subnets", get(inventory::subnets))
        .route("/vms", get(inventory::vms))
        .route("/projects", get(inventory::projects))
        .route("/admin/inventory", put(inventory::sync))
        .route("/openapi.json", get(super::openapi::document))
        .fallback(|| async { super::error::ApiError(app::domain::AppError::not_found()) })
}
