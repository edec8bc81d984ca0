//! Server functions of the HA state a HAVIP's detail shows: its history, the keepalived
//! configuration of a bound VM, agent tokens, and the alarm count of the list's banner.

#[cfg(feature = "ssr")]
use super::port::as_caller;
use super::strict_json::StrictJson;
use crate::domain::AppError;
use crate::domain::ha::HavipEventPage;
use crate::domain::tokens::NewApiToken;
use leptos::prelude::*;

/// A page of the HAVIP's history, newest first; `before` is the previous page's `next_before`.
#[server(prefix = "/api/fn", endpoint = "havip_events", input = StrictJson)]
pub async fn load_havip_events(id: String, before: Option<String>) -> Result<HavipEventPage, AppError> {
    as_caller(|console, caller| async move { console.havip_events(&caller, &id, before).await }).await
}

#[server(prefix = "/api/fn", endpoint = "keepalived_config", input = StrictJson)]
pub async fn load_keepalived_config(id: String, vm_id: String, interface: Option<String>) -> Result<String, AppError> {
    as_caller(|console, caller| async move { console.keepalived_config(&caller, &id, &vm_id, interface).await }).await
}

#[server(prefix = "/api/fn", endpoint = "create_agent_token", input = StrictJson)]
pub async fn create_agent_token(vm_id: String) -> Result<NewApiToken, AppError> {
    as_caller(|console, caller| async move { console.create_agent_token(&caller, &vm_id).await }).await
}

/// How many of the tenant's HAVIPs are in a split brain or without a master.
#[server(prefix = "/api/fn", endpoint = "ha_alarms", input = StrictJson)]
pub async fn load_ha_alarms() -> Result<u64, AppError> {
    as_caller(|console, caller| async move { console.ha_alarms(&caller).await }).await
}
