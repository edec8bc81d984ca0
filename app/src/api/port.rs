//! The port through which server functions reach the backend. The `server` crate implements
//! [`Console`] and provides a [`RequestContext`] to every server function and page render.

use crate::domain::caller::Caller;
use crate::domain::ha::HavipEventPage;
use crate::domain::havip::{Havip, HavipPage};
use crate::domain::input::{BatchItemResult, CreateHavipRequest, UpdateHavipRequest};
use crate::domain::inventory::{Inventory, Vm};
use crate::domain::list_query::ListQuery;
use crate::domain::operations::{OperationPage, OperationQuery};
use crate::domain::tokens::{ApiToken, NewApiToken};
use crate::domain::users::{CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, User, UserWithPassword};
use crate::domain::{AppError, ErrorCode};
use leptos::prelude::use_context;
use std::sync::Arc;

#[async_trait::async_trait]
pub trait Console: Send + Sync + 'static {
    async fn list_havips(&self, caller: &Caller, query: ListQuery) -> Result<HavipPage, AppError>;
    async fn havip(&self, caller: &Caller, id: &str) -> Result<Havip, AppError>;
    /// A page of a HAVIP's history, newest first; `before` is the `next_before` of the last page.
    async fn havip_events(&self, caller: &Caller, id: &str, before: Option<String>)
    -> Result<HavipEventPage, AppError>;
    /// The keepalived configuration of one bound VM, for its interface (`eth0` by default).
    async fn keepalived_config(
        &self,
        caller: &Caller,
        id: &str,
        vm_id: &str,
        interface: Option<String>,
    ) -> Result<String, AppError>;
    /// Makes an agent token for a VM of the caller's tenant (its secret shown this once).
    async fn create_agent_token(&self, caller: &Caller, vm_id: &str) -> Result<NewApiToken, AppError>;
    /// How many of the caller's HAVIPs are in a split brain or without a master.
    async fn ha_alarms(&self, caller: &Caller) -> Result<u64, AppError>;
    /// The caller's tenant revision, which moves with every change to its HAVIPs.
    async fn tenant_revision(&self, caller: &Caller) -> Result<i64, AppError>;
    async fn inventory(&self, caller: &Caller) -> Result<Inventory, AppError>;
    /// The VMs of one VPC, with how many HAVIPs each carries.
    async fn vms(&self, caller: &Caller, vpc_id: &str) -> Result<Vec<Vm>, AppError>;
    async fn create_havip(
        &self,
        caller: &Caller,
        request: CreateHavipRequest,
        idempotency_key: Option<String>,
    ) -> Result<Havip, AppError>;
    async fn update_havip(&self, caller: &Caller, id: &str, request: UpdateHavipRequest) -> Result<Havip, AppError>;
    async fn delete_havips(&self, caller: &Caller, ids: Vec<String>) -> Result<Vec<BatchItemResult>, AppError>;
    /// The caller's own live API tokens.
    async fn api_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>, AppError>;
    /// Makes a token named `name` (or after the day) for the caller, shown this once.
    async fn create_api_token(&self, caller: &Caller, name: Option<&str>) -> Result<NewApiToken, AppError>;
    async fn revoke_api_token(&self, caller: &Caller, id: &str) -> Result<(), AppError>;
    /// The tenant's users (its admins only).
    async fn users(&self, caller: &Caller) -> Result<Vec<User>, AppError>;
    async fn create_user(&self, caller: &Caller, request: CreateUserRequest) -> Result<UserWithPassword, AppError>;
    async fn update_user(&self, caller: &Caller, id: &str, request: UpdateUserRequest) -> Result<User, AppError>;
    async fn reset_password(
        &self,
        caller: &Caller,
        id: &str,
        request: ResetPasswordRequest,
    ) -> Result<UserWithPassword, AppError>;
    async fn delete_user(&self, caller: &Caller, id: &str) -> Result<(), AppError>;
    /// A page of the operation log the caller may read, newest first.
    async fn operations(&self, caller: &Caller, query: OperationQuery) -> Result<OperationPage, AppError>;
    /// Checks the password and opens a session; answers the new session's secret token.
    async fn login(&self, username: &str, password: &str, client: &str) -> Result<String, AppError>;
    async fn logout(&self, session_token: &str) -> Result<(), AppError>;
}

/// The session cookie as the HTTP layer sets it for one request (its flags depend on the
/// deployment and on whether the browser came over HTTPS).
pub trait SessionCookies: Send + Sync + 'static {
    /// The `Set-Cookie` value that carries a session token.
    fn set(&self, token: &str) -> String;
    /// The `Set-Cookie` value that removes the session cookie.
    fn clear(&self) -> String;
}

/// What the server knows about the request a server function or page render serves.
#[derive(Clone)]
pub struct RequestContext {
    pub console: Arc<dyn Console>,
    /// The signed-in user, when there is one.
    pub caller: Option<Caller>,
    pub session_token: Option<String>,
    /// The client's address, for rate limits.
    pub client: String,
    pub cookies: Arc<dyn SessionCookies>,
}

/// The request context; absent only if the server failed to provide it (a bug: `Internal`).
pub fn request_context() -> Result<RequestContext, AppError> {
    use_context::<RequestContext>().ok_or_else(AppError::internal)
}

/// Runs a server function's operation for the signed-in caller (`Unauthenticated` without
/// one), and gives its error the HTTP status of its code: the body of every server function
/// that acts for a user.
pub async fn as_caller<T, F, Fut>(operation: F) -> Result<T, AppError>
where
    F: FnOnce(Arc<dyn Console>, Caller) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let outcome = match request_context() {
        Ok(RequestContext { console, caller: Some(caller), .. }) => operation(console, caller).await,
        Ok(_) => Err(AppError::new(ErrorCode::Unauthenticated)),
        Err(error) => Err(error),
    };
    with_status(outcome)
}

/// Gives a server function's error answer the HTTP status of its code (401, 404, 422, …)
/// instead of the generic 500, so clients and proxies see what happened.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
        && let (Some(response), Ok(status)) =
            (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(error.code.http_status()))
    {
        response.set_status(status);
    }
    result
}
