//! `/api/v1/operations`: the operation log, newest first. Admins read the tenant's, members
//! their own entries.

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::identity::AuthenticatedCaller;
use app::domain::operations::{OperationPage, OperationQuery};
use axum::Json;
use axum::extract::{RawQuery, State};

/// Reads the log's filters from the query string with the console's own parser.
pub fn parse_operation_query(raw: Option<&str>) -> Result<OperationQuery, ApiError> {
    let pairs = super::query_pairs(raw);
    Ok(OperationQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?)
}

/// The log's filters as the API document describes them ([`OperationQuery::from_pairs`] reads them).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OperationParams {
    /// Entries at or after this time (RFC 3339)
    #[param(format = DateTime)]
    since: Option<String>,
    /// Entries before this time (RFC 3339); none when it is not after `since`
    #[param(format = DateTime)]
    until: Option<String>,
    /// Only this user's entries (a member gets only its own whatever this says)
    #[param(max_length = 80, pattern = "^[A-Za-z0-9-]*$")]
    user_id: Option<String>,
    /// Only this action, such as havip.create or session.sign_in
    #[param(max_length = 64, pattern = "^[a-z._]*$")]
    action: Option<String>,
    /// Only entries on this resource (a HAVIP's, user's or token's ID)
    #[param(max_length = 80, pattern = "^[A-Za-z0-9-]*$")]
    resource_id: Option<String>,
    /// Only this outcome: ok, accepted, failed, available, deleted, …
    #[param(max_length = 32, pattern = "^[a-z_]*$")]
    outcome: Option<String>,
    /// The `next_before` of the previous page
    #[param(max_length = 100, pattern = "^(-?[0-9]{1,18}:[a-z0-9-]{1,80})?$")]
    before: Option<String>,
    /// 1 to 200, 50 by default
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i32>,
}

/// A page of the operation log, newest first.
#[utoipa::path(get, path = "/api/v1/operations", tag = "operations", params(OperationParams),
    responses((status = 200, body = OperationPage)))]
pub async fn list(
    State(state): State<AppState>,
    AuthenticatedCaller(caller): AuthenticatedCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<OperationPage>> {
    let query = parse_operation_query(raw.as_deref())?;
    Ok(Json(state.backend.operations(&caller, &query).await?))
}
