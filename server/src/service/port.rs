//! The console's port ([`app::api::port::Console`]) served by the backend operations.

use super::Backend;
use super::ha::ConfigRequest;
use app::api::port::Console;
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::ha::HavipEventPage;
use app::domain::havip::{Havip, HavipPage};
use app::domain::input::{BatchItemResult, CreateHavipRequest, UpdateHavipRequest};
use app::domain::inventory::{Inventory, Vm};
use app::domain::list_query::ListQuery;
use app::domain::operations::{OperationPage, OperationQuery};
use app::domain::tokens::{ApiToken, NewApiToken};
use app::domain::users::{CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, User, UserWithPassword};

#[async_trait::async_trait]
impl Console for Backend {
    async fn list_havips(&self, caller: &Caller, query: ListQuery) -> Result<HavipPage, AppError> {
        Backend::list_havips(self, caller, query).await
    }

    async fn havip(&self, caller: &Caller, id: &str) -> Result<Havip, AppError> {
        Backend::havip(self, caller, id).await
    }

    async fn havip_events(
        &self,
        caller: &Caller,
        id: &str,
        before: Option<String>,
    ) -> Result<HavipEventPage, AppError> {
        Backend::havip_events(self, caller, id, None, before.as_deref()).await
    }

    async fn keepalived_config(
        &self,
        caller: &Caller,
        id: &str,
        vm_id: &str,
        interface: Option<String>,
    ) -> Result<String, AppError> {
        let request = ConfigRequest { vm_id: vm_id.to_owned(), interface, ..ConfigRequest::default() };
        Backend::keepalived_config(self, caller, id, &request).await
    }

    async fn create_agent_token(&self, caller: &Caller, vm_id: &str) -> Result<NewApiToken, AppError> {
        Backend::create_agent_token(self, caller, vm_id).await
    }

    async fn ha_alarms(&self, caller: &Caller) -> Result<u64, AppError> {
        Backend::ha_alarms(self, caller).await
    }

    async fn tenant_revision(&self, caller: &Caller) -> Result<i64, AppError> {
        Backend::tenant_revision(self, caller).await
    }

    async fn inventory(&self, caller: &Caller) -> Result<Inventory, AppError> {
        Backend::inventory(self, caller).await
    }

    async fn vms(&self, caller: &Caller, vpc_id: &str) -> Result<Vec<Vm>, AppError> {
        Backend::vms(self, caller, Some(vpc_id)).await
    }

    async fn create_havip(
        &self,
        caller: &Caller,
        request: CreateHavipRequest,
        idempotency_key: Option<String>,
    ) -> Result<Havip, AppError> {
        Backend::create_havip(self, caller, request, idempotency_key).await
    }

    async fn update_havip(&self, caller: &Caller, id: &str, request: UpdateHavipRequest) -> Result<Havip, AppError> {
        Backend::update_havip(self, caller, id, request).await
    }

    async fn delete_havips(&self, caller: &Caller, ids: Vec<String>) -> Result<Vec<BatchItemResult>, AppError> {
        Backend::delete_havips(self, caller, ids).await
    }

    async fn api_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>, AppError> {
        Backend::api_tokens(self, caller).await
    }

    async fn create_api_token(&self, caller: &Caller, name: Option<&str>) -> Result<NewApiToken, AppError> {
        Backend::create_api_token(self, caller, name).await
    }

    async fn revoke_api_token(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        Backend::revoke_api_token(self, caller, id).await
    }

    async fn users(&self, caller: &Caller) -> Result<Vec<User>, AppError> {
        Backend::users(self, caller).await
    }

    async fn create_user(&self, caller: &Caller, request: CreateUserRequest) -> Result<UserWithPassword, AppError> {
        Backend::create_tenant_user(self, caller, request).await
    }

    async fn update_user(&self, caller: &Caller, id: &str, request: UpdateUserRequest) -> Result<User, AppError> {
        Backend::update_user(self, caller, id, request).await
    }

    async fn reset_password(
        &self,
        caller: &Caller,
        id: &str,
        request: ResetPasswordRequest,
    ) -> Result<UserWithPassword, AppError> {
        Backend::reset_password(self, caller, id, request).await
    }

    async fn delete_user(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        Backend::delete_user(self, caller, id).await
    }

    async fn operations(&self, caller: &Caller, query: OperationQuery) -> Result<OperationPage, AppError> {
        Backend::operations(self, caller, &query).await
    }

    async fn login(&self, username: &str, password: &str, client: &str) -> Result<String, AppError> {
        Backend::login(self, username, password, client).await
    }

    async fn logout(&self, session_token: &str) -> Result<(), AppError> {
        Backend::logout(self, session_token).await
    }
}
