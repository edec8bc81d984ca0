//! The fabric's view of each HAVIP: OVN writes into the Southbound `Port_Binding.virtual_parent`
//! the parent port that last announced the VIP (by gratuitous ARP or ARP reply), and sends the
//! VIP's traffic there. A monitor of that column for the console's ports tells the server which
//! VM the network itself takes for the master, with no agent on any VM.
//!
//! In a split brain both holders answer each ARP for the VIP and `virtual_parent` flips between
//! them within milliseconds (measured: docs/architecture.md, "OVN driver"); changes are
//! therefore written after a short quiet time, the last one of a burst.

use super::database::Database;
use super::northbound::{MANAGED_KEY, TENANT_KEY};
use super::ovsdb::{Notification, OvsdbError, map, map_get, optional_string};
use crate::service::Backend;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long the fabric must be quiet before what it says is written: a split brain's flips come
/// within 7 ms of each other (measured), and every millisecond here is a millisecond more before
/// a failover shows.
const QUIET: Duration = Duration::from_millis(30);
/// How long to wait before opening a broken monitor again.
const RECONNECT: Duration = Duration::from_secs(1);
const MONITOR_ID: &str = "havip-fabric";

/// A virtual port of the console's, as Southbound has it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Binding {
    havip_id: String,
    tenant_id: String,
    parent: Option<String>,
}

/// Watches Southbound until `shutdown`, opening the monitor again whenever it breaks.
pub async fn run(southbound: Arc<Database>, backend: Arc<Backend>, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(remote = %southbound.remote, "fabric monitor started");
    loop {
        match watch(&southbound, &backend, &mut shutdown).await {
            Ok(()) => break,
            Err(error) => {
                backend.metrics.fabric_monitor_broke();
                tracing::warn!(%error, remote = %southbound.remote, "fabric monitor broke; opening it again");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RECONNECT) => {}
            _ = shutdown.changed() => break,
        }
    }
    tracing::info!("fabric monitor stopped");
}

async fn watch(
    southbound: &Database,
    backend: &Backend,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), OvsdbError> {
    let (connection, mut notifications) = southbound.open().await?;
    let condition = json!([["external_ids", "includes", map([(MANAGED_KEY, "true".to_owned())])]]);
    let request = json!(["OVN_Southbound", MONITOR_ID, {"Port_Binding": [{
        "columns": ["logical_port", "virtual_parent", "external_ids"], "where": condition}]}]);
    let initial = connection.call("monitor_cond", request).await?;
    let mut bindings = HashMap::new();
    let changed = apply(&mut bindings, &initial);
    publish(backend, &bindings, changed).await;
    loop {
        let first = tokio::select! {
            notification = notifications.recv() => notification.ok_or(OvsdbError::Closed)?,
            _ = shutdown.changed() => return Ok(()),
        };
        let mut changed = apply(&mut bindings, &first.updates);
        // The rest of a burst: a split brain's flips, or many ports after a chassis restarts.
        while let Ok(Some(Notification { updates, .. })) = tokio::time::timeout(QUIET, notifications.recv()).await {
            changed.extend(apply(&mut bindings, &updates));
        }
        publish(backend, &bindings, changed).await;
    }
}

/// Applies the `update2` (or `monitor_cond` reply) rows; answers the rows that changed.
fn apply(bindings: &mut HashMap<String, Binding>, updates: &Value) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    let Some(rows) = updates.get("Port_Binding").and_then(Value::as_object) else { return changed };
    for (uuid, update) in rows {
        if let Some(row) = update.get("initial").or_else(|| update.get("insert")) {
            let port = row.get("logical_port").and_then(Value::as_str).unwrap_or_default();
            let Some(tenant) = row.get("external_ids").and_then(|ids| map_get(ids, TENANT_KEY)) else { continue };
            let parent = optional_string(row.get("virtual_parent"));
            bindings.insert(uuid.clone(), Binding { havip_id: port.to_owned(), tenant_id: tenant.to_owned(), parent });
            changed.insert(uuid.clone());
        } else if let Some(row) = update.get("modify") {
            // A column of at most one value comes as its new value (`["set", []]`: none).
            if let (Some(binding), Some(parent)) = (bindings.get_mut(uuid), row.get("virtual_parent")) {
                binding.parent = optional_string(Some(parent));
                changed.insert(uuid.clone());
            }
        } else if update.get("delete").is_some() {
            bindings.remove(uuid);
        }
    }
    changed
}

async fn publish(backend: &Backend, bindings: &HashMap<String, Binding>, changed: BTreeSet<String>) {
    for binding in changed.iter().filter_map(|uuid| bindings.get(uuid)) {
        if let Err(error) = backend.fabric_saw(&binding.tenant_id, &binding.havip_id, binding.parent.as_deref()).await {
            tracing::warn!(%error, havip = %binding.havip_id, "could not record what the fabric saw");
        }
    }
}

/// For tests of the parsing without a database.
#[cfg(test)]
fn parents(bindings: &HashMap<String, Binding>) -> Vec<(String, Option<String>)> {
    let mut all: Vec<_> = bindings.values().map(|b| (b.havip_id.clone(), b.parent.clone())).collect();
    all.sort();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_what_southbound_sends() {
        let mut bindings = HashMap::new();
        let ids = json!(["map", [[MANAGED_KEY, "true"], [TENANT_KEY, "tenant-a"]]]);
        let initial = json!({"Port_Binding": {
            "u1": {"initial": {"logical_port": "havip-aaaaaaaa", "external_ids": ids}},
            "u2": {"initial": {"logical_port": "havip-bbbbbbbb", "external_ids": ids, "virtual_parent": "vm1"}},
        }});
        assert_eq!(apply(&mut bindings, &initial).len(), 2);
        assert_eq!(
            parents(&bindings),
            vec![("havip-aaaaaaaa".into(), None), ("havip-bbbbbbbb".into(), Some("vm1".into()))],
            "a column left out of an initial row is empty"
        );
        let moved = json!({"Port_Binding": {"u1": {"modify": {"virtual_parent": "vm2"}}}});
        assert_eq!(apply(&mut bindings, &moved), BTreeSet::from(["u1".to_owned()]));
        let cleared = json!({"Port_Binding": {"u2": {"modify": {"virtual_parent": ["set", []]}}}});
        apply(&mut bindings, &cleared);
        assert_eq!(
            parents(&bindings),
            vec![("havip-aaaaaaaa".into(), Some("vm2".into())), ("havip-bbbbbbbb".into(), None)]
        );
        let chassis_only = json!({"Port_Binding": {"u1": {"modify": {"external_ids": ["map", []]}}}});
        assert!(apply(&mut bindings, &chassis_only).is_empty(), "only the parent matters");
        apply(&mut bindings, &json!({"Port_Binding": {"u1": {"delete": null}}}));
        assert_eq!(parents(&bindings).len(), 1);
    }
}
