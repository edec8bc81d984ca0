//! Server functions of the API token dialog: the signed-in user's own tokens.

#[cfg(feature = "ssr")]
use super::port::as_caller;
use super::strict_json::StrictJson;
use crate::domain::AppError;
use crate::domain::tokens::{ApiToken, NewApiToken};
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "api_tokens", input = StrictJson)]
pub async fn load_api_tokens() -> Result<Vec<ApiToken>, AppError> {
    as_caller(|console, caller| async move { console.api_tokens(&caller).await }).await
}

#[server(prefix = "/api/fn", endpoint = "create_api_token", input = StrictJson)]
pub async fn create_api_token(name: String) -> Result<NewApiToken, AppError> {
    as_caller(|console, caller| async move { console.create_api_token(&caller, Some(&name)).await }).await
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token", input = StrictJson)]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    as_caller(|console, caller| async move { console.revoke_api_token(&caller, &id).await }).await
}
