//! Server functions of the HAVIP page.

#[cfg(feature = "ssr")]
use super::port::as_caller;
use super::strict_json::StrictJson;
use crate::domain::AppError;
use crate::domain::havip::{Havip, HavipPage};
use crate::domain::input::{BatchItemResult, CreateHavipRequest, UpdateHavipRequest};
use crate::domain::inventory::{Inventory, Vm};
use crate::domain::list_query::ListQuery;
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "list_havips", input = StrictJson)]
pub async fn list_havips(query: ListQuery) -> Result<HavipPage, AppError> {
    as_caller(|console, caller| async move { console.list_havips(&caller, query.normalized()?).await }).await
}

#[server(prefix = "/api/fn", endpoint = "havip", input = StrictJson)]
pub async fn load_havip(id: String) -> Result<Havip, AppError> {
    as_caller(|console, caller| async move { console.havip(&caller, &id).await }).await
}

/// The tenant's revision, which every change to its HAVIPs moves (an agent's report of a
/// failover too): the page asks for it to learn, cheaply, that what it shows is out of date.
#[server(prefix = "/api/fn", endpoint = "tenant_revision", input = StrictJson)]
pub async fn load_tenant_revision() -> Result<i64, AppError> {
    as_caller(|console, caller| async move { console.tenant_revision(&caller).await }).await
}

#[server(prefix = "/api/fn", endpoint = "inventory", input = StrictJson)]
pub async fn load_inventory() -> Result<Inventory, AppError> {
    as_caller(|console, caller| async move { console.inventory(&caller).await }).await
}

#[server(prefix = "/api/fn", endpoint = "vms", input = StrictJson)]
pub async fn load_vms(vpc_id: String) -> Result<Vec<Vm>, AppError> {
    as_caller(|console, caller| async move { console.vms(&caller, &vpc_id).await }).await
}

/// `idempotency_key` works as the REST API's `Idempotency-Key` (R15): the wizard sends one,
/// so that confirming again after a lost answer does not create a second HAVIP.
#[server(prefix = "/api/fn", endpoint = "create_havip", input = StrictJson)]
pub async fn create_havip(request: CreateHavipRequest, idempotency_key: Option<String>) -> Result<Havip, AppError> {
    as_caller(|console, caller| async move { console.create_havip(&caller, request, idempotency_key).await }).await
}

#[server(prefix = "/api/fn", endpoint = "update_havip", input = StrictJson)]
pub async fn update_havip(id: String, request: UpdateHavipRequest) -> Result<Havip, AppError> {
    as_caller(|console, caller| async move { console.update_havip(&caller, &id, request).await }).await
}

#[server(prefix = "/api/fn", endpoint = "delete_havips", input = StrictJson)]
pub async fn delete_havips(ids: Vec<String>) -> Result<Vec<BatchItemResult>, AppError> {
    as_caller(|console, caller| async move { console.delete_havips(&caller, ids).await }).await
}
