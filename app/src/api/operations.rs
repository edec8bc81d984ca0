//! Server functions of 操作日志: a page of the operation log the caller may read.

#[cfg(feature = "ssr")]
use super::port::as_caller;
use super::strict_json::StrictJson;
use crate::domain::AppError;
use crate::domain::operations::{OperationPage, OperationQuery};
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "operations", input = StrictJson)]
pub async fn load_operations(query: OperationQuery) -> Result<OperationPage, AppError> {
    as_caller(|console, caller| async move { console.operations(&caller, query).await }).await
}
