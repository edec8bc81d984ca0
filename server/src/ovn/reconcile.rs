//! Reconciliation: Northbound compared with the HAVIPs, at start and every few minutes, so that
//! what changed behind the server's back (a port deleted by hand, a database restored from a
//! backup, a job lost with its worker) does not stay wrong. A missing port is restored, a port
//! with other options is put right, a port of no HAVIP is removed; each repair is logged and
//! written in the tenant's operation log, never silently made.
//!
//! Only ports of available HAVIPs are repaired: a creating or deleting HAVIP has a job that
//! does it, and a failed one is left as it failed until the tenant deletes it.

use super::northbound::{self, Ensured, ManagedPort, PortError};
use super::{Ovn, wanted_port};
use crate::db::now_micros;
use crate::service::Backend;
use crate::store::ovn::{self as targets, NetworkTarget};
use crate::store::{StoreError, TenantTx, oplog};
use app::domain::status::HavipStatus;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;

/// What one pass repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repairs {
    pub restored: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    /// Ports that could not be repaired, with why (logged; tried again next pass).
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Northbound(#[from] PortError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reconciles now and then until `shutdown`.
pub async fn run(ovn: Arc<Ovn>, backend: Arc<Backend>, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(ovn.settings.reconcile_every);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        match reconcile(&ovn, &backend).await {
            Ok(repairs) if repairs == Repairs::default() => tracing::debug!("OVN Northbound matches the HAVIPs"),
            Ok(repairs) => tracing::info!(?repairs, "reconciled OVN Northbound with the HAVIPs"),
            Err(error) => tracing::warn!(%error, "could not reconcile OVN Northbound"),
        }
    }
}

/// One pass. Northbound is read before the HAVIPs: a port made meanwhile then has its HAVIP in
/// what is read next, and is not taken for a stray.
pub async fn reconcile(ovn: &Ovn, backend: &Backend) -> Result<Repairs, ReconcileError> {
    let ports: HashMap<String, ManagedPort> =
        northbound::managed_ports(&ovn.northbound).await?.into_iter().map(|p| (p.name.clone(), p)).collect();
    let havips = {
        let mut conn = backend.db.reader().await?;
        targets::all_targets(&mut conn).await?
    };
    let mut repairs = Repairs::default();
    for target in havips.iter().filter(|t| t.status == HavipStatus::Available) {
        // A port as wanted has exactly its options: one changed or added by hand is put right.
        if ports.get(&target.havip_id).is_some_and(|port| wanted_port(target).matches(&port.row)) {
            continue;
        }
        // Read it again, just before the write: a rebind since the first read is what counts.
        let fresh = {
            let mut conn = backend.db.reader().await?;
            targets::target(&mut conn, &target.tenant_id, &target.havip_id).await?
        };
        let Some(fresh) = fresh.filter(|t| t.status == HavipStatus::Available) else { continue };
        // What the write did names the repair; a port someone else put right meanwhile (a
        // rebind job, another server reconciling) needed none, and is not logged as one.
        let outcome = match northbound::ensure(&ovn.northbound, &wanted_port(&fresh)).await {
            Ok(Ensured::AsWanted) => continue,
            Ok(Ensured::Created) => {
                repairs.restored.push(fresh.havip_id.clone());
                "restored"
            }
            Ok(Ensured::Updated) => {
                repairs.updated.push(fresh.havip_id.clone());
                "updated"
            }
            Err(PortError::Unavailable(error)) => return Err(PortError::Unavailable(error).into()),
            Err(error) => {
                tracing::warn!(havip = %fresh.havip_id, %error, "reconciliation could not repair the virtual port");
                repairs.failed.push((fresh.havip_id.clone(), error.to_string()));
                continue;
            }
        };
        backend.metrics.reconcile_repaired(outcome);
        let detail = format!("virtual port {} {outcome} on switch {}", fresh.havip_id, fresh.switch);
        tracing::warn!(havip = %fresh.havip_id, tenant = %fresh.tenant_id, "{detail}");
        log_repair(backend, &fresh.tenant_id, &fresh.havip_id, outcome, detail).await?;
    }
    let known: HashMap<&str, &NetworkTarget> = havips.iter().map(|t| (t.havip_id.as_str(), t)).collect();
    for port in ports.values().filter(|port| !known.contains_key(port.name.as_str())) {
        // Gone from the database meanwhile? Then its HAVIP was deleted and this is right.
        if northbound::remove(&ovn.northbound, &port.name).await? {
            backend.metrics.reconcile_repaired("removed");
            tracing::warn!(port = %port.name, tenant = ?port.tenant_id, "removed a virtual port of no HAVIP");
            repairs.removed.push(port.name.clone());
            if let Some(tenant) = &port.tenant_id {
                let detail = format!("virtual port {} of no HAVIP removed", port.name);
                log_repair(backend, tenant, &port.name, "removed", detail).await?;
            }
        }
    }
    Ok(repairs)
}

/// The repair in the tenant's operation log, where the HAVIP's history shows it.
async fn log_repair(
    backend: &Backend,
    tenant_id: &str,
    havip_id: &str,
    outcome: &str,
    detail: String,
) -> Result<(), StoreError> {
    // A tenant transaction, so that the open consoles of the tenant see it (the revision moves).
    let mut tx = TenantTx::begin(&backend.db, tenant_id).await?;
    let entry = oplog::Entry { action: "havip.reconcile", resource_id: Some(havip_id), outcome, detail: Some(detail) };
    oplog::record_as(&mut tx, tenant_id, None, None, entry, now_micros()).await?;
    tx.commit().await
}
