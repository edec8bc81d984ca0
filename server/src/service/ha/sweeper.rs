//! What happens without a report: every second each server writes when it heard its agents,
//! marks silent the agents not heard for three intervals, and lets a HAVIP without a holder
//! count as `no_master` once the grace is over. Several servers on one Postgres may sweep at
//! once: each silence and each expiry is a conditional update, so exactly one records it.

use super::state::{NO_MASTER_GRACE_MICROS, Seen, record, rederive};
use crate::db::now_micros;
use crate::service::Backend;
use crate::store::{StoreError, TenantTx, ha};
use app::domain::AppError;
use app::domain::ha::HaChange;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How often a server sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Sweeps for as long as the server runs.
pub async fn sweep_now_and_then(backend: Arc<Backend>) {
    let listening_since = now_micros();
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = backend.sweep_ha(listening_since).await {
            tracing::warn!(%error, "could not sweep the HA state");
        }
    }
}

/// Pairs grouped by their first element (a tenant).
fn by_tenant(pairs: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (tenant, id) in pairs {
        grouped.entry(tenant).or_default().push(id);
    }
    grouped
}

impl Backend {
    /// One sweep; `listening_since` is when this server started taking reports, so that the
    /// time it was away does not count as its agents' silence.
    pub async fn sweep_ha(&self, listening_since: i64) -> Result<(), AppError> {
        let heard = self.agents.take_heard();
        let mut conn = self.db.reader().await?;
        let now = now_micros();
        let silent = ha::silent_candidates(&mut conn, now, listening_since).await?;
        let due = ha::no_master_due(&mut conn, now - NO_MASTER_GRACE_MICROS).await?;
        drop(conn);
        if !heard.is_empty() {
            let mut tx = self.db.begin().await?;
            ha::touch_agents(&mut tx, &heard).await?;
            tx.commit().await.map_err(StoreError::from)?;
        }
        for (tenant, vms) in by_tenant(silent) {
            self.mark_silent(&tenant, &vms, now).await?;
        }
        for (tenant, havips) in by_tenant(due) {
            let mut tx = TenantTx::begin(&self.db, &tenant).await?;
            rederive(&mut tx, &havips, Seen { source: "server", agent_at: None, now }, &self.metrics).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    async fn mark_silent(&self, tenant: &str, vms: &[String], now: i64) -> Result<(), StoreError> {
        let mut tx = TenantTx::begin(&self.db, tenant).await?;
        let marked = ha::mark_silent(&mut tx, vms, now).await?;
        if marked.is_empty() {
            // Another server marked them, or they reported meanwhile.
            return tx.rollback().await;
        }
        let seen = Seen { source: "server", agent_at: None, now };
        let bindings = ha::bindings_of_vms(&mut tx, tenant, &marked).await?;
        for (havip_id, vm_id) in &bindings {
            record(&mut tx, havip_id, &HaChange::AgentLost { vm: vm_id.clone() }, seen).await?;
        }
        let mut havips: Vec<String> = bindings.into_iter().map(|(havip, _)| havip).collect();
        havips.dedup();
        rederive(&mut tx, &havips, seen, &self.metrics).await?;
        tx.commit().await?;
        for vm in &marked {
            self.agents.forget(vm);
        }
        tracing::info!(tenant, vms = ?marked, "agents silent");
        Ok(())
    }
}
