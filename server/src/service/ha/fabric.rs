//! What the fabric says of a HAVIP (the OVN driver's Southbound monitor, `ovn::fabric`): the
//! port OVN sends the VIP's traffic to, a second source of the HA state beside the agents.
//! Several servers may watch one fabric: the HAVIP's row is locked first, so exactly one of
//! them writes a change and its history.

use super::state::{Seen, rederive};
use crate::db::now_micros;
use crate::service::{Backend, with_retries};
use crate::store::{StoreError, TenantTx, ha, havips};
use app::domain::AppError;

impl Backend {
    /// The fabric sends the HAVIP's traffic to `parent`, a logical port (none: nobody
    /// announced the VIP yet).
    pub async fn fabric_saw(&self, tenant_id: &str, havip_id: &str, parent: Option<&str>) -> Result<(), AppError> {
        with_retries(|| self.write_fabric(tenant_id, havip_id, parent), |_| None).await
    }

    async fn write_fabric(&self, tenant_id: &str, havip_id: &str, parent: Option<&str>) -> Result<(), StoreError> {
        let now = now_micros();
        let mut tx = TenantTx::begin(&self.db, tenant_id).await?;
        if havips::lock(&mut tx, havip_id).await?.is_none() {
            return tx.rollback().await;
        }
        let ids = [havip_id.to_owned()];
        let stored = ha::stored_ha(&mut tx, tenant_id, &ids).await?;
        if stored.first().is_some_and(|s| s.fabric_seen_at.is_some() && s.fabric_parent.as_deref() == parent) {
            // Another server wrote it already.
            return tx.rollback().await;
        }
        ha::set_fabric_parent(&mut tx, havip_id, parent, now).await?;
        // Which VM the port is of, and what follows, is derived with the rest of the state.
        rederive(&mut tx, &ids, Seen { source: "fabric", agent_at: None, now }, &self.metrics).await?;
        tx.commit().await
    }
}
