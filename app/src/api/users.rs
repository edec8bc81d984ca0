//! Server functions of 用户管理: the tenant's users, for its admins.

#[cfg(feature = "ssr")]
use super::port::as_caller;
use super::strict_json::StrictJson;
use crate::domain::AppError;
use crate::domain::users::{CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, User, UserWithPassword};
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "users", input = StrictJson)]
pub async fn load_users() -> Result<Vec<User>, AppError> {
    as_caller(|console, caller| async move { console.users(&caller).await }).await
}

#[server(prefix = "/api/fn", endpoint = "create_user", input = StrictJson)]
pub async fn create_user(request: CreateUserRequest) -> Result<UserWithPassword, AppError> {
    as_caller(|console, caller| async move { console.create_user(&caller, request).await }).await
}

#[server(prefix = "/api/fn", endpoint = "update_user", input = StrictJson)]
pub async fn update_user(id: String, request: UpdateUserRequest) -> Result<User, AppError> {
    as_caller(|console, caller| async move { console.update_user(&caller, &id, request).await }).await
}

#[server(prefix = "/api/fn", endpoint = "reset_password", input = StrictJson)]
pub async fn reset_password(id: String, request: ResetPasswordRequest) -> Result<UserWithPassword, AppError> {
    as_caller(|console, caller| async move { console.reset_password(&caller, &id, request).await }).await
}

#[server(prefix = "/api/fn", endpoint = "delete_user", input = StrictJson)]
pub async fn delete_user(id: String) -> Result<(), AppError> {
    as_caller(|console, caller| async move { console.delete_user(&caller, &id).await }).await
}
