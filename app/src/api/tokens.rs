//! Server functions of the API token dialog: the signed-in user's own tokens.

#[cfg(feature = "ssr")]
use super::port::with_status;
use crate::domain::AppError;
use crate::domain::tokens::{ApiToken, NewApiToken};
use leptos::prelude::*;
use super::strict_json::StrictJson;

#[server(prefix = "/api/fn", endpoint = "api_tokens", input = StrictJson)]
pub async fn load_api_tokens() -> Result<Vec<ApiToken>, AppError> {
    with_status(
        async move {
            let (console, caller) = super::port::authenticated()?;
            console.api_tokens(&caller).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "create_api_token", input = StrictJson)]
pub async fn create_api_token() -> Result<NewApiToken, AppError> {
    with_status(
        async move {
            let (console, caller) = super::port::authenticated()?;
            console.create_api_token(&caller).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token", input = StrictJson)]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    with_status(
        async move {
            let (console, caller) = super::port::authenticated()?;
            console.revoke_api_token(&caller, &id).await
        }
        .await,
    )
}
