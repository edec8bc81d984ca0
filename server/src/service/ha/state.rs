//! Deriving a HAVIP's HA state anew from what is stored of its VMs, and writing what changed
//! with its history, in the transaction that changed what it derives from (a report, a silence,
//! a binding). The rules are the domain's ([`derive`]); what is here is when they apply.

use crate::metrics::Metrics;
use crate::store::ha::{self, NewEvent, StoredHa};
use crate::store::havips::BoundVm;
use crate::store::{StoreError, TenantTx, havips};
use app::domain::ha::{Derived, FabricHa, HaChange, derive};
use app::domain::time::Timestamp;

/// How long no VM may hold the VIP before that counts as `no_master` (and the fabric may
/// disagree before that counts as `fabric_disagrees`): after a graceful stop the old master
/// drops the VIP about 0.4 s before the next takes it (keepalived 2.2.7, measured), and the
/// agents and the fabric hear of a new master a few milliseconds apart. Neither is an alarm.
pub const NO_MASTER_GRACE_MICROS: i64 = 2_000_000;

/// Where an event of the history comes from, and when its source saw it.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'a> {
    /// `agent`, `server` or `fabric`.
    pub source: &'a str,
    /// The agent's time, for what an agent reported.
    pub agent_at: Option<i64>,
    pub now: i64,
}

/// Records an event of a HAVIP's history.
pub async fn record(tx: &mut TenantTx, havip_id: &str, change: &HaChange, seen: Seen<'_>) -> Result<(), StoreError> {
    let (kind, detail) = change.kind_and_detail();
    let event =
        NewEvent { havip_id, kind: &kind, source: seen.source, detail: &detail, agent_at: seen.agent_at, at: seen.now };
    ha::insert_event(tx, event).await
}

/// Derives the HA state of the HAVIPs again and writes what changed.
pub async fn rederive(
    tx: &mut TenantTx,
    havip_ids: &[String],
    seen: Seen<'_>,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    let tenant = tx.tenant_id().to_owned();
    // Two reports of a HAVIP's VMs at once each see their own observation and not the other's
    // (READ COMMITTED): one says split brain, the other no master, and whichever writes last
    // would stay. Under the HAVIP's lock the second reads what the first committed.
    havips::lock_rows(tx, havip_ids).await?;
    let stored = ha::stored_ha(tx, &tenant, havip_ids).await?;
    let mut bound = havips::bound_vms_of(tx, &tenant, havip_ids).await?;
    for current in stored {
        let vms = bound.remove(&current.havip_id).unwrap_or_default();
        let views: Vec<_> = vms.iter().map(|vm| vm.view()).collect();
        let fabric = fabric_view(&current, &vms);
        apply(tx, &current, derive(&views, fabric.as_ref()), seen, metrics).await?;
    }
    Ok(())
}

/// What the fabric says, with the port it names taken to the bound VM of that port (the VMs
/// may have changed since it said so).
fn fabric_view(current: &StoredHa, vms: &[BoundVm]) -> Option<FabricHa> {
    let seen_at = current.fabric_seen_at?;
    let parent = current.fabric_parent.as_deref();
    Some(FabricHa {
        master_vm_id: parent.and_then(|port| vms.iter().find(|vm| vm.port == port)).map(|vm| vm.vm.id.clone()),
        parent_port: parent.map(str::to_owned),
        seen_at: Timestamp::from_micros(seen_at),
    })
}

async fn apply(
    tx: &mut TenantTx,
    current: &StoredHa,
    after: Derived,
    seen: Seen<'_>,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    // No holder, or the fabric disagreeing: the health waits out the grace before it counts
    // (the sweeper looks again when it is over). A new master and the fabric's word do not wait.
    if after.health.needs_grace() && current.health != after.health {
        let since = current.unsettled_since.unwrap_or(seen.now);
        if seen.now - since < NO_MASTER_GRACE_MICROS {
            let held = Derived {
                health: current.health,
                master: after.master.clone().or_else(|| current.master_vm_id.clone()),
                holders: after.holders,
                fabric_master: after.fabric_master,
            };
            return write(tx, current, held, Some(since), seen, metrics).await;
        }
    }
    write(tx, current, after, None, seen, metrics).await
}

/// Writes the derived state and the history of what changed, if anything did.
async fn write(
    tx: &mut TenantTx,
    current: &StoredHa,
    after: Derived,
    unsettled_since: Option<i64>,
    seen: Seen<'_>,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    let unchanged = after.health == current.health
        && after.master == current.master_vm_id
        && after.fabric_master == current.fabric_master_vm_id
        && unsettled_since == current.unsettled_since;
    if unchanged {
        return Ok(());
    }
    let id = current.havip_id.as_str();
    let before = Derived {
        health: current.health,
        master: current.master_vm_id.clone(),
        holders: Vec::new(),
        fabric_master: current.fabric_master_vm_id.clone(),
    };
    // The master before: the current one, or, after a split brain or a time without one, the
    // last one the history names.
    let tenant = tx.tenant_id().to_owned();
    let previous = match &current.master_vm_id {
        Some(master) => Some(master.clone()),
        None if after.master.is_some() => ha::last_master(tx, &tenant, id).await?,
        None => None,
    };
    for change in HaChange::between(&before, &after, previous.as_deref()) {
        metrics.ha_change(&change);
        record(tx, id, &change, seen).await?;
    }
    let state = ha::HaWrite {
        health: after.health,
        master_vm_id: after.master.as_deref(),
        unsettled_since,
        fabric_master_vm_id: after.fabric_master.as_deref(),
    };
    ha::set_ha(tx, id, state).await
}
