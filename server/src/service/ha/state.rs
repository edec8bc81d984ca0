//! Deriving a HAVIP's HA state anew from what is stored of its VMs, and writing what changed
//! with its history, in the transaction that changed what it derives from (a report, a silence,
//! a binding). The rules are the domain's ([`derive`]); what is here is when they apply.

use crate::metrics::Metrics;
use crate::store::ha::{self, NewEvent, StoredHa};
use crate::store::{StoreError, TenantTx, havips};
use app::domain::ha::{Derived, HaChange, Health, derive};

/// How long no VM may hold the VIP before that counts as `no_master`: after a graceful stop the
/// old master drops the VIP about 0.4 s before the next takes it (keepalived 2.2.7, measured),
/// and that moment is no alarm.
pub const NO_MASTER_GRACE_MICROS: i64 = 2_000_000;

/// Where an event of the history comes from, and when its source saw it.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'a> {
    /// `agent` or `server`.
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
    let stored = ha::stored_ha(tx, &tenant, havip_ids).await?;
    let mut bound = havips::bound_vms_of(tx, &tenant, havip_ids).await?;
    for current in stored {
        let views: Vec<_> = bound.remove(&current.havip_id).unwrap_or_default().iter().map(|vm| vm.view()).collect();
        apply(tx, &current, derive(&views), seen, metrics).await?;
    }
    Ok(())
}

async fn apply(
    tx: &mut TenantTx,
    current: &StoredHa,
    after: Derived,
    seen: Seen<'_>,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    let id = current.havip_id.as_str();
    // No holder: wait out the grace before it counts (the sweeper looks again when it is over).
    if after.health == Health::NoMaster && current.health != Health::NoMaster {
        match current.no_master_since {
            None => {
                let since = Some(seen.now);
                return ha::set_ha(tx, id, current.health, current.master_vm_id.as_deref(), since).await;
            }
            Some(since) if seen.now - since < NO_MASTER_GRACE_MICROS => return Ok(()),
            Some(_) => {}
        }
    }
    let unchanged = after.health == current.health && after.master == current.master_vm_id;
    if unchanged && current.no_master_since.is_none() {
        return Ok(());
    }
    let before = Derived { health: current.health, master: current.master_vm_id.clone(), holders: Vec::new() };
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
    ha::set_ha(tx, id, after.health, after.master.as_deref(), None).await
}
