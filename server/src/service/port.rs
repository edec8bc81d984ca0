//! The console's port ([`app::api::port::Console`]) served by the backend operations.

use super::Backend;
use crate::settings::CookieSecurity;
use app::api::port::Console;
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::havip::{Havip, HavipPage};
use app::domain::input::{BatchItemResult, CreateHavipRequest, UpdateHavipRequest};
use app::domain::inventory::{Inventory, Vm};
use app::domain::list_query::ListQuery;
use app::domain::tokens::{ApiToken, NewApiToken};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "havip_session";

#[async_trait::async_trait]
impl Console for Backend {
    async fn list_havips(&self, caller: &Caller, query: ListQuery) -> Result<HavipPage, AppError> {
        Backend::list_havips(self, caller, query).await
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
        self.own_tokens(caller).await
    }

    async fn create_api_token(&self, caller: &Caller) -> Result<NewApiToken, AppError> {
        self.create_own_token(caller).await
    }

    async fn revoke_api_token(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        self.revoke_own_token(caller, id).await
    }

    async fn login(&self, username: &str, password: &str, client: &str) -> Result<String, AppError> {
        Backend::login(self, username, password, client).await
    }

    async fn logout(&self, session_token: &str) -> Result<(), AppError> {
        Backend::logout(self, session_token).await
    }

    fn session_cookie(&self, token: &str, https: bool) -> String {
        let max_age = self.settings.session_max_age.as_secs();
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
            self.secure_flag(https)
        )
    }

    fn expired_session_cookie(&self, https: bool) -> String {
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", self.secure_flag(https))
    }
}

impl Backend {
    fn secure_flag(&self, https: bool) -> &'static str {
        match (self.settings.cookies, https) {
            (CookieSecurity::Always, _) | (CookieSecurity::Auto, true) => "; Secure",
            _ => "",
        }
    }
}
