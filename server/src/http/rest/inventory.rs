//! The tenant's inventory: `/vpcs`, `/subnets`, `/vms`, `/projects`, and the admin sync.

use super::ApiJson;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::identity::AuthenticatedCaller;
use app::api::error::ErrorResponse;
use app::domain::inventory::{InventoryDocument, Project, Subnet, Vm, Vpc};
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VpcFilter {
    /// Only this VPC's.
    pub vpc_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/vpcs", tag = "inventory", responses((status = 200, body = Vec<Vpc>)))]
pub async fn vpcs(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
) -> ApiResult<Json<Vec<Vpc>>> {
    Ok(Json(state.backend.vpcs(&caller).await?))
}

#[utoipa::path(get, path = "/api/v1/subnets", tag = "inventory", params(VpcFilter), responses((status = 200, body = Vec<Subnet>)))]
pub async fn subnets(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Query(filter): Query<VpcFilter>,
) -> ApiResult<Json<Vec<Subnet>>> {
    Ok(Json(state.backend.subnets(&caller, filter.vpc_id.as_deref()).await?))
}

/// VMs with how many HAVIPs each carries.
#[utoipa::path(get, path = "/api/v1/vms", tag = "inventory", params(VpcFilter), responses((status = 200, body = Vec<Vm>)))]
pub async fn vms(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Query(filter): Query<VpcFilter>,
) -> ApiResult<Json<Vec<Vm>>> {
    Ok(Json(state.backend.vms(&caller, filter.vpc_id.as_deref()).await?))
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "inventory", responses((status = 200, body = Vec<Project>)))]
pub async fn projects(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
) -> ApiResult<Json<Vec<Project>>> {
    Ok(Json(state.backend.projects(&caller).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SyncSummary {
    pub vpcs: usize,
    pub subnets: usize,
    pub vms: usize,
    /// VMs that left the inventory (and lost their bindings).
    pub removed_vms: Vec<String>,
}

/// Replace the tenant's inventory with the document (tenant admins only).
#[utoipa::path(put, path = "/api/v1/admin/inventory", tag = "inventory", request_body = InventoryDocument,
    responses((status = 200, body = SyncSummary), (status = 422, body = ErrorResponse)))]
pub async fn sync(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    ApiJson(document): ApiJson<InventoryDocument>,
) -> ApiResult<Json<SyncSummary>> {
    let report = state.backend.sync_inventory(&caller, &document).await?;
    Ok(Json(SyncSummary {
        vpcs: report.vpcs,
        subnets: report.subnets,
        vms: report.vms,
        removed_vms: report.removed_vms,
    }))
}
