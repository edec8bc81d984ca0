//! Server functions of signing in and out.

#[cfg(feature = "ssr")]
use super::port::with_status;
use super::strict_json::StrictJson;
use crate::domain::AppError;
use crate::domain::caller::UserProfile;
#[cfg(feature = "ssr")]
use crate::domain::{ErrorCode, Field};
use leptos::prelude::*;

/// The signed-in user, or `None` on the login page.
#[server(prefix = "/api/fn", endpoint = "whoami", input = StrictJson)]
pub async fn whoami() -> Result<Option<UserProfile>, AppError> {
    let context = super::port::request_context()?;
    Ok(context.caller.map(|caller| caller.profile))
}

#[server(prefix = "/api/fn", endpoint = "login", input = StrictJson)]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    with_status(
        async move {
            if username.trim().is_empty() {
                return Err(AppError::new(ErrorCode::InvalidCredentials).on_field(Field::Username));
            }
            let context = super::port::request_context()?;
            let token = context.console.login(username.trim(), &password, &context.client).await?;
            set_cookie(&context.cookies.set(&token))
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "logout", input = StrictJson)]
pub async fn logout() -> Result<(), AppError> {
    with_status(
        async move {
            let context = super::port::request_context()?;
            if let Some(token) = &context.session_token {
                context.console.logout(token).await?;
            }
            set_cookie(&context.cookies.clear())
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) -> Result<(), AppError> {
    let response = use_context::<leptos_axum::ResponseOptions>().ok_or_else(AppError::internal)?;
    let value = http::HeaderValue::from_str(value).map_err(|_| AppError::internal())?;
    response.append_header(http::header::SET_COOKIE, value);
    Ok(())
}
