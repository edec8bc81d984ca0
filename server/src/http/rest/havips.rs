//! `/api/v1/havips`.

use super::ApiJson;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::identity::AuthenticatedCaller;
use app::api::error::{ErrorBody, ErrorResponse};
use app::domain::ha::Health;
use app::domain::havip::{Havip, HavipPage};
use app::domain::input::{AttachVmRequest, BatchDeleteRequest, CreateHavipRequest, UpdateHavipRequest};
use app::domain::list_query::{ListQuery, SortKey, SortOrder};
use app::domain::status::HavipStatus;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Serialize;

/// Reads the list's query string; `status` may repeat.
pub fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let pairs = super::query_pairs(raw);
    Ok(ListQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?)
}

/// The list's view (search, filters, sort and order) as the API document describes it; the
/// list takes it with [`PagingParams`], the download alone. The handler reads its query
/// string with [`ListQuery::from_pairs`], the parser of the console's URLs too; this type only
/// describes it (`status` repeats, which the usual query extractors cannot read), and the
/// OpenAPI test holds the limits here to the domain's constants.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ViewParams {
    /// Part of a name, remark, ID, IP or bound VM's name (case-insensitive)
    #[param(max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    q: Option<String>,
    /// Only HAVIPs in these statuses; repeat the parameter for several
    #[param(style = Form, explode)]
    status: Option<Vec<HavipStatus>>,
    /// Only HAVIPs in these healths of their HA state; repeat the parameter for several
    #[param(style = Form, explode)]
    health: Option<Vec<Health>>,
    #[param(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    vpc_id: Option<String>,
    #[param(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    subnet_id: Option<String>,
    #[param(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    project_id: Option<String>,
    /// Only HAVIPs bound to this VM
    #[param(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    vm_id: Option<String>,
    /// created_at (the default, newest first), name or ip
    sort: Option<SortKey>,
    /// By default desc for created_at, asc for name and ip
    order: Option<SortOrder>,
}

/// The list's paging parameters as the API document describes them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PagingParams {
    /// From 1
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<i32>,
    /// 1 to 100, 20 by default
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<i32>,
    /// Walk by cursor: the `next_page_token` of the page before, as it came, with the same q,
    /// filters, sort and order (the page size may change). Rows created or deleted meanwhile
    /// never make a walk show a row twice or skip one that existed throughout. Not with `page`;
    /// empty means none. Any other value is refused with 400.
    #[param(max_length = 1024, format = "page-token")]
    page_token: Option<String>,
}

/// List the tenant's HAVIPs: search, filters, sort and pages.
#[utoipa::path(get, path = "/api/v1/havips", tag = "havips", params(ViewParams, PagingParams), responses((status = 200, body = HavipPage)))]
pub async fn list(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<axum::response::Response> {
    let query = parse_list_query(raw.as_deref())?;
    // The page's JSON was made once when it was cached: answer those bytes as they are.
    let page = state.backend.list_page(&caller, query).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], page.json).into_response())
}

/// One HAVIP.
#[utoipa::path(get, path = "/api/v1/havips/{id}", tag = "havips", params(("id" = String, Path)),
    responses((status = 200, body = Havip)))]
pub async fn get(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Havip>> {
    Ok(Json(state.backend.havip(&caller, &id).await?))
}

/// Create a HAVIP; it starts `creating` and settles by itself. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/havips", tag = "havips", request_body = CreateHavipRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
        description = "1 to 255 visible ASCII characters; repeating it with the same body answers the first answer again")),
    responses((status = 202, body = Havip), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn create(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CreateHavipRequest>,
) -> ApiResult<(StatusCode, Json<Havip>)> {
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| {
                    app::domain::AppError::invalid_parameter(app::domain::Field::Body, "Idempotency-Key must be ASCII")
                })?
                .to_owned(),
        ),
        None => None,
    };
    let havip = state.backend.create_havip(&caller, request, key).await?;
    Ok((StatusCode::ACCEPTED, Json(havip)))
}

/// Change name, remark or the whole set of bound VMs (`vm_ids`, only while available).
#[utoipa::path(patch, path = "/api/v1/havips/{id}", tag = "havips", request_body = UpdateHavipRequest, params(("id" = String, Path)),
    responses((status = 200, body = Havip), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateHavipRequest>,
) -> ApiResult<Json<Havip>> {
    Ok(Json(state.backend.update_havip(&caller, &id, request).await?))
}

/// Bind one more VM.
#[utoipa::path(post, path = "/api/v1/havips/{id}/vms", tag = "havips", request_body = AttachVmRequest, params(("id" = String, Path)),
    responses((status = 200, body = Havip), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn attach_vm(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AttachVmRequest>,
) -> ApiResult<Json<Havip>> {
    Ok(Json(state.backend.attach_vm(&caller, &id, &request.vm_id).await?))
}

/// Unbind one VM.
#[utoipa::path(delete, path = "/api/v1/havips/{id}/vms/{vm_id}", tag = "havips", params(("id" = String, Path), ("vm_id" = String, Path)),
    responses((status = 200, body = Havip), (status = 409, body = ErrorResponse)))]
pub async fn detach_vm(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path((id, vm_id)): Path<(String, String)>,
) -> ApiResult<Json<Havip>> {
    Ok(Json(state.backend.detach_vm(&caller, &id, &vm_id).await?))
}

/// Delete a HAVIP (available or failed): it turns `deleting`, its VMs are unbound, then it is gone.
#[utoipa::path(delete, path = "/api/v1/havips/{id}", tag = "havips", params(("id" = String, Path)),
    responses((status = 202, body = Havip), (status = 409, body = ErrorResponse)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Havip>)> {
    Ok((StatusCode::ACCEPTED, Json(state.backend.delete_havip(&caller, &id).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchDeleteResponse {
    pub results: Vec<BatchItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchItem {
    pub id: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Delete several HAVIPs; each item reports its own outcome.
#[utoipa::path(post, path = "/api/v1/havips/batch-delete", tag = "havips", request_body = BatchDeleteRequest,
    responses((status = 200, body = BatchDeleteResponse)))]
pub async fn batch_delete(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    ApiJson(request): ApiJson<BatchDeleteRequest>,
) -> ApiResult<Json<BatchDeleteResponse>> {
    let results = state.backend.delete_havips(&caller, request.ids).await?;
    Ok(Json(BatchDeleteResponse {
        results: results
            .into_iter()
            .map(|r| BatchItem { id: r.id, ok: r.ok, error: r.error.as_ref().map(ErrorBody::from) })
            .collect(),
    }))
}
