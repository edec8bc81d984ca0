//! Deleting HAVIPs (R13), one or many: each becomes `deleting` with its job in its own
//! transaction, so a crash in the middle of a batch leaves every HAVIP whole, one way or the other.

use super::Backend;
use crate::db::now_micros;
use crate::store::havips;
use crate::store::jobs::{self, JobKind};
use crate::store::{StoreError, TenantTx, oplog};
use app::domain::caller::Caller;
use app::domain::havip::Havip;
use app::domain::ids::{IdKind, is_well_formed};
use app::domain::input::{BatchItemResult, MAX_BATCH_DELETE};
use app::domain::status::HavipStatus;
use app::domain::{AppError, ErrorCode, Field};

impl Backend {
    /// Starts deleting one HAVIP; answers it in `deleting`.
    pub async fn delete_havip(&self, caller: &Caller, id: &str) -> Result<Havip, AppError> {
        let havip = self.start_delete(caller, id).await?;
        self.worker_bell.notify_one();
        Ok(havip)
    }

    /// Starts deleting each HAVIP and reports each one's outcome.
    pub async fn delete_havips(&self, caller: &Caller, ids: Vec<String>) -> Result<Vec<BatchItemResult>, AppError> {
        if ids.is_empty() || ids.len() > MAX_BATCH_DELETE {
            return Err(AppError::invalid_parameter(Field::Ids, format!("give 1 to {MAX_BATCH_DELETE} IDs")));
        }
        let mut results = Vec::with_capacity(ids.len());
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id.clone()) {
                continue;
            }
            let outcome = self.start_delete(caller, &id).await;
            results.push(BatchItemResult { id, ok: outcome.is_ok(), error: outcome.err() });
        }
        self.worker_bell.notify_one();
        Ok(results)
    }

    async fn start_delete(&self, caller: &Caller, id: &str) -> Result<Havip, AppError> {
        if !is_well_formed(IdKind::Havip, id) {
            return Err(AppError::not_found());
        }
        Ok(self.try_start_delete(caller, id).await?)
    }

    async fn try_start_delete(&self, caller: &Caller, id: &str) -> Result<Havip, StoreError> {
        let tenant = caller.tenant_id.as_str();
        let mut tx = TenantTx::begin(&self.db, tenant).await?;
        let current = havips::lock(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
        if !current.status.can_delete() {
            return Err(AppError::with_detail(
                ErrorCode::IncorrectStatus,
                format!("only available and failed HAVIPs can be deleted; this one is {}", current.status.as_str()),
            )
            .into());
        }
        let now = now_micros();
        havips::set_status(&mut tx, id, current.status, HavipStatus::Deleting, None, now).await?;
        jobs::enqueue(&mut tx, id, JobKind::Delete, now).await?;
        oplog::record(
            &mut tx,
            caller,
            oplog::Entry { action: "havip.delete", resource_id: Some(id), outcome: "accepted", detail: None },
            now,
        )
        .await?;
        let havip = havips::get(&mut tx, tenant, id).await?.ok_or_else(AppError::not_found)?;
        tx.commit().await?;
        Ok(havip)
    }
}
