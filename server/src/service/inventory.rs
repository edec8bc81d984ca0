//! The tenant's inventory: read for pickers and clients, synced from an import document.

use super::update::refresh_derived;
use super::{Backend, commit_tenant_write, public_error, with_retries};
use crate::db::{StoreError, now_micros};
use crate::store::inventory::{self, SyncReport};
use crate::store::{havips, oplog};
use app::domain::caller::{Caller, Role};
use app::domain::inventory::{Inventory, InventoryDocument, Project, Subnet, ValidInventory, Vm, Vpc};
use app::domain::{AppError, ErrorCode};

impl Backend {
    /// Everything the console's filters and pickers need (kept per tenant revision).
    pub async fn inventory(&self, caller: &Caller) -> Result<Inventory, AppError> {
        let tenant = caller.tenant_id.as_str();
        let revision = self.revision(caller).await?;
        if let Some(hit) = self.list_cache.inventory(tenant, revision) {
            return Ok(hit.as_ref().clone());
        }
        let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
        let result: Result<Inventory, StoreError> = async {
            Ok(Inventory {
                limits: self.settings.limits,
                vpcs: inventory::vpcs(&mut conn, tenant).await?,
                subnets: inventory::subnets(&mut conn, tenant, None).await?,
                projects: inventory::projects(&mut conn, tenant).await?,
            })
        }
        .await;
        let inventory = result.map_err(public_error)?;
        self.list_cache.put_inventory(tenant, revision, inventory.clone());
        Ok(inventory)
    }

    pub async fn vpcs(&self, caller: &Caller) -> Result<Vec<Vpc>, AppError> {
        let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
        inventory::vpcs(&mut conn, &caller.tenant_id).await.map_err(public_error)
    }

    pub async fn subnets(&self, caller: &Caller, vpc_id: Option<&str>) -> Result<Vec<Subnet>, AppError> {
        let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
        inventory::subnets(&mut conn, &caller.tenant_id, vpc_id).await.map_err(public_error)
    }

    pub async fn vms(&self, caller: &Caller, vpc_id: Option<&str>) -> Result<Vec<Vm>, AppError> {
        let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
        inventory::vms(&mut conn, &caller.tenant_id, vpc_id).await.map_err(public_error)
    }

    pub async fn projects(&self, caller: &Caller) -> Result<Vec<Project>, AppError> {
        let mut conn = self.db.read.acquire().await.map_err(|e| public_error(e.into()))?;
        inventory::projects(&mut conn, &caller.tenant_id).await.map_err(public_error)
    }

    /// `PUT /admin/inventory`: the tenant admin replaces the tenant's inventory.
    pub async fn sync_inventory(&self, caller: &Caller, document: &InventoryDocument) -> Result<SyncReport, AppError> {
        if caller.profile.role != Role::Admin {
            return Err(AppError::with_detail(ErrorCode::Forbidden, "only a tenant admin may change the inventory"));
        }
        self.import_inventory(&caller.tenant_id, Some(caller), document).await
    }

    /// Validates the document and makes it the tenant's inventory in one transaction: a bad
    /// document changes nothing. VMs that leave lose their bindings.
    pub async fn import_inventory(
        &self,
        tenant_id: &str,
        caller: Option<&Caller>,
        document: &InventoryDocument,
    ) -> Result<SyncReport, AppError> {
        let valid = document.validate()?;
        // A sync that lost a race runs again: Postgres broke a deadlock with a concurrent write,
        // or a concurrent first sync created the same project.
        with_retries(|| self.try_import(tenant_id, caller, &valid), |_| None).await
    }

    async fn try_import(
        &self,
        tenant_id: &str,
        caller: Option<&Caller>,
        valid: &ValidInventory,
    ) -> Result<SyncReport, StoreError> {
        let mut tx = self.db.begin().await?;
        inventory::lock_subnets_of_tenant(&mut tx, self.db.dialect, tenant_id).await?;
        let now = now_micros();
        let report = inventory::sync(&mut tx, tenant_id, valid, now).await?;
        // HAVIPs whose VMs are renamed need their search text again; those whose VMs left or
        // moved to another VPC (which unbound them) their master and version too.
        let mut affected = havips::ids_bound_to(&mut tx, &report.renamed_vms).await?;
        affected.extend(report.unbound_havips.iter().cloned());
        affected.sort();
        affected.dedup();
        refresh_derived(&mut tx, tenant_id, &affected, now).await?;
        let detail = Some(format!(
            "{} VPCs, {} subnets, {} VMs; {} VMs removed",
            report.vpcs,
            report.subnets,
            report.vms,
            report.removed_vms.len()
        ));
        let entry = oplog::Entry { action: "inventory.sync", resource_id: None, outcome: "ok", detail };
        match caller {
            Some(caller) => oplog::record(&mut tx, caller, entry, now).await?,
            None => oplog::record_as(&mut tx, tenant_id, None, None, entry, now).await?,
        }
        commit_tenant_write(&self.db, tx, tenant_id).await?;
        Ok(report)
    }
}
