//! Syncing a tenant's inventory from a document (`PUT /admin/inventory`, `havip inventory
//! import`): read the inventory as it is, let the domain plan the sync ([`plan_sync`] decides
//! the rules), write the plan. All in one transaction that holds the tenant's subnets, so a bad
//! document changes nothing and no create or binding slips in between.

use super::update::refresh_derived;
use super::{Backend, with_retries};
use crate::db::now_micros;
use crate::store::inventory::{self, VmRecord};
use crate::store::{StoreError, TenantTx, havips, oplog};
use app::domain::caller::{Caller, Role};
use app::domain::inventory::{InventoryDocument, InventoryState, ValidInventory, Vpc, plan_sync};
use app::domain::{AppError, ErrorCode};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// What an inventory sync changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub vpcs: usize,
    pub subnets: usize,
    pub vms: usize,
    pub removed_vms: Vec<String>,
    /// HAVIPs that lost bindings (their VMs left or moved to another VPC).
    pub unbound_havips: Vec<String>,
}

impl Backend {
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
        let mut tx = TenantTx::begin(&self.db, tenant_id).await?;
        inventory::lock_subnets_of_tenant(&mut tx).await?;
        let before = inventory_state(&mut tx, tenant_id, valid).await?;
        let plan = plan_sync(&before, valid)?;
        let now = now_micros();

        let mut project_ids: HashMap<String, String> =
            before.projects.iter().map(|p| (p.name.clone(), p.id.clone())).collect();
        for name in &plan.new_projects {
            let id = inventory::create_project(&mut tx, name, false, now).await?;
            project_ids.insert(name.clone(), id);
        }
        let default_project = before
            .projects
            .iter()
            .find(|p| p.is_default)
            .map(|p| p.id.clone())
            .ok_or_else(|| StoreError::Config(format!("tenant {tenant_id} has no default project")))?;
        let project_of =
            |name: &Option<String>| name.as_ref().and_then(|n| project_ids.get(n)).unwrap_or(&default_project).clone();

        let vpcs: Vec<Vpc> = plan
            .vpcs
            .iter()
            .map(|v| Vpc {
                id: v.id.clone(),
                name: v.name.clone(),
                cidr: v.cidr.clone(),
                project_id: project_of(&v.project),
            })
            .collect();
        all_written(inventory::upsert_vpcs(&mut tx, &vpcs, now).await?, vpcs.len(), "VPCs")?;
        all_written(inventory::upsert_subnets(&mut tx, &plan.subnets, now).await?, plan.subnets.len(), "subnets")?;
        // Bindings go before their VMs move to another VPC or leave.
        let unbound_havips = sorted(inventory::delete_bindings_of_vms(&mut tx, &plan.unbind_vms).await?);
        let vms: Vec<VmRecord> = plan
            .vms
            .iter()
            .map(|vm| VmRecord {
                id: vm.id.clone(),
                name: vm.name.clone(),
                project_id: project_of(&vm.project),
                vpc_id: vm.vpc_id.clone(),
                subnet_id: vm.subnet_id.clone(),
                ip: vm.ip,
                state: vm.state.clone(),
                ovn_port: vm.ovn_port.clone(),
            })
            .collect();
        all_written(inventory::upsert_vms(&mut tx, &vms, now).await?, vms.len(), "VMs")?;
        inventory::delete_vms(&mut tx, &plan.remove_vms).await?;
        inventory::delete_subnets(&mut tx, &plan.remove_subnets).await?;
        inventory::delete_vpcs(&mut tx, &plan.remove_vpcs).await?;

        // HAVIPs whose VMs are renamed need their search text again; those that lost VMs their
        // configuration revision and HA state too.
        let renamed = havips::ids_bound_to(&mut tx, tenant_id, &plan.renamed_vms).await?;
        // The network follows when a HAVIP loses a VM or a VM's port in OVN changes.
        let mut rebind = Vec::new();
        if self.settings.driver.programs_network() {
            rebind = havips::ids_bound_to(&mut tx, tenant_id, &plan.vms_with_new_port).await?;
            rebind.extend(unbound_havips.iter().cloned());
        }
        refresh_derived(&mut tx, &unbound_havips, &renamed, &rebind, now, &self.metrics).await?;

        let report = SyncReport {
            vpcs: vpcs.len(),
            subnets: plan.subnets.len(),
            vms: vms.len(),
            removed_vms: plan.remove_vms,
            unbound_havips,
        };
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
        tx.commit().await?;
        Ok(report)
    }
}

/// The tenant's inventory as the sync rules need it, read in the sync's transaction.
async fn inventory_state(
    conn: &mut AnyConnection,
    tenant_id: &str,
    valid: &ValidInventory,
) -> Result<InventoryState, StoreError> {
    let document_ids: Vec<String> = valid
        .vpcs
        .iter()
        .map(|(v, _)| v.id.clone())
        .chain(valid.subnets.iter().map(|(_, s)| s.id.clone()))
        .chain(valid.vms.iter().map(|vm| vm.entry.id.clone()))
        .collect();
    Ok(InventoryState {
        projects: inventory::projects(conn, tenant_id).await?,
        vpc_ids: inventory::vpc_ids(conn, tenant_id).await?,
        subnets: inventory::subnets(conn, tenant_id, None).await?,
        vms: inventory::vm_places(conn, tenant_id).await?,
        havips: havips::places(conn, tenant_id).await?,
        foreign_ids: inventory::foreign_ids(conn, tenant_id, &document_ids).await?,
    })
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}

/// An upsert writes only the tenant's own rows: one that wrote fewer than it was given met an
/// ID that another tenant took after the sync looked (the document cannot be applied).
fn all_written(written: u64, given: usize, what: &str) -> Result<(), StoreError> {
    if written < given as u64 {
        return Err(AppError::with_detail(
            ErrorCode::InvalidInventory,
            format!("some of the document's {what} belong to another tenant"),
        )
        .into());
    }
    Ok(())
}
