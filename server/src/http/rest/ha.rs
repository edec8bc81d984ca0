//! Live HA state over REST: the agents' reports, a VM's keepalived configuration, a HAVIP's
//! history, and agent tokens.

use super::ApiJson;
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::http::identity::AuthenticatedCaller;
use crate::service::ha::ConfigRequest;
use app::api::error::ErrorResponse;
use app::domain::ha::{AgentAssignments, AgentReport, HavipEventPage};
use app::domain::tokens::NewApiToken;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Deserialize;

/// An agent's report of its VM (agent tokens only). Answers what the agent must watch.
#[utoipa::path(post, path = "/api/v1/agent/reports", tag = "ha", request_body = AgentReport,
    responses((status = 200, body = AgentAssignments), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn report(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    ApiJson(report): ApiJson<AgentReport>,
) -> ApiResult<Json<AgentAssignments>> {
    Ok(Json(state.backend.agent_report(&caller, report).await?))
}

/// The HAVIPs bound to the agent's VM (agent tokens only).
#[utoipa::path(get, path = "/api/v1/agent/assignments", tag = "ha", responses((status = 200, body = AgentAssignments)))]
pub async fn assignments(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
) -> ApiResult<Json<AgentAssignments>> {
    Ok(Json(state.backend.agent_assignments(&caller).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigParams {
    /// The bound VM the file is for.
    pub vm_id: String,
    /// The VM's interface on the HAVIP's subnet: 1–15 letters, digits, `.`, `_` or `-`.
    #[param(min_length = 1, max_length = 15, pattern = "^[A-Za-z0-9._-]+$")]
    pub interface: Option<String>,
    /// Where `havip` is installed on the VM (`/usr/bin/havip`).
    #[param(max_length = 256, pattern = "^/[A-Za-z0-9/._-]*$")]
    pub agent: Option<String>,
    /// The agent's state directory on the VM (`/run/havip-agent`).
    #[param(max_length = 256, pattern = "^/[A-Za-z0-9/._-]*$")]
    pub state_dir: Option<String>,
}

/// The keepalived configuration of one bound VM (a user of the tenant, or that VM's agent).
#[utoipa::path(get, path = "/api/v1/havips/{id}/keepalived.conf", tag = "ha", params(("id" = String, Path), ConfigParams),
    responses((status = 200, content_type = "text/plain", body = String, description = "The file"),
              (status = 422, body = ErrorResponse)))]
pub async fn keepalived_config(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
    Query(params): Query<ConfigParams>,
) -> ApiResult<axum::response::Response> {
    let request = ConfigRequest {
        vm_id: params.vm_id,
        interface: params.interface,
        agent: params.agent,
        state_dir: params.state_dir,
    };
    let text = state.backend.keepalived_config(&caller, &id, &request).await?;
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Events per page, 1 to 200 (50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_before` of the previous page.
    #[param(max_length = 100, pattern = "^-?[0-9]{1,19}:[a-z0-9-]{1,80}$")]
    pub before: Option<String>,
}

/// A HAVIP's history, newest first: failovers, split brains, agents lost and back, operations.
#[utoipa::path(get, path = "/api/v1/havips/{id}/events", tag = "ha", params(("id" = String, Path), EventParams),
    responses((status = 200, body = HavipEventPage)))]
pub async fn events(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(id): Path<String>,
    Query(params): Query<EventParams>,
) -> ApiResult<Json<HavipEventPage>> {
    Ok(Json(state.backend.havip_events(&caller, &id, params.limit, params.before.as_deref()).await?))
}

/// Make an agent token for a VM of the tenant, from a signed-in session; the answer is the only
/// one that shows the secret.
#[utoipa::path(post, path = "/api/v1/vms/{vm_id}/agent-tokens", tag = "ha", params(("vm_id" = String, Path)),
    responses((status = 201, body = NewApiToken)))]
pub async fn create_agent_token(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    Path(vm_id): Path<String>,
) -> ApiResult<(StatusCode, Json<NewApiToken>)> {
    Ok((StatusCode::CREATED, Json(state.backend.create_agent_token(&caller, &vm_id).await?)))
}
