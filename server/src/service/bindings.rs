//! Binding VMs to HAVIPs under R8–R10. The limits are slot numbers under unique indexes
//! (see the schema), so they hold across processes; these functions pick the slots.

use crate::store::havips::{self, NewBinding};
use crate::store::inventory::{self, VmBrief};
use crate::store::{StoreError, TenantTx};
use app::domain::limits::BindingLimits;
use app::domain::vrid::VridsAround;
use app::domain::{AppError, ErrorCode};
use sqlx::AnyConnection;

/// R8: the VMs exist, are the tenant's, and are in the VPC. Answers them in the given order.
pub async fn check_vms(
    conn: &mut AnyConnection,
    tenant_id: &str,
    vpc_id: &str,
    ids: &[String],
) -> Result<Vec<VmBrief>, StoreError> {
    let mut found = inventory::find_vms(conn, tenant_id, ids).await?;
    let mut ordered = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(index) = found.iter().position(|vm| vm.id == *id) else {
            return Err(AppError::with_detail(ErrorCode::VmNotFound, format!("no VM {id}")).into());
        };
        let vm = found.swap_remove(index);
        if vm.vpc_id != vpc_id {
            return Err(AppError::with_detail(
                ErrorCode::VmNotInVpc,
                format!("{id} is in {}, not in {vpc_id}", vm.vpc_id),
            )
            .into());
        }
        ordered.push(vm);
    }
    Ok(ordered)
}

/// The lowest slot number below `limit` that `taken` does not hold.
fn free_slot(taken: &[i64], limit: usize) -> Option<i64> {
    (0..limit as i64).find(|slot| !taken.contains(slot))
}

/// Binds one VM, taking the lowest free slot on both sides (R9, R10), with the HAVIP's VRID.
pub async fn bind(
    tx: &mut TenantTx,
    havip_id: &str,
    vm: &VmBrief,
    vrid: i64,
    limits: BindingLimits,
    now: i64,
) -> Result<(), StoreError> {
    let tenant_id = tx.tenant_id().to_owned();
    let tenant_id = tenant_id.as_str();
    let havip_slots = havips::havip_slots(tx, tenant_id, havip_id).await?;
    let havip_slot = free_slot(&havip_slots, limits.vms_per_havip).ok_or_else(|| {
        AppError::with_detail(
            ErrorCode::VmsPerHavipExceeded,
            format!("a HAVIP can be bound to at most {} VMs", limits.vms_per_havip),
        )
    })?;
    let vm_slots: Vec<i64> =
        havips::vm_slots(tx, tenant_id, std::slice::from_ref(&vm.id)).await?.into_iter().map(|(_, s)| s).collect();
    let vm_slot = free_slot(&vm_slots, limits.havips_per_vm).ok_or_else(|| {
        AppError::with_detail(
            ErrorCode::HavipsPerVmExceeded,
            format!("{} already carries {} HAVIPs", vm.id, limits.havips_per_vm),
        )
    })?;
    let binding =
        NewBinding { havip_id: havip_id.to_owned(), vm_id: vm.id.clone(), havip_slot, vm_slot, vrid, created_at: now };
    havips::insert_bindings(tx, &[binding]).await
}

/// The bindings of a HAVIP being created: its slots are 0, 1, 2…; each VM takes its lowest free
/// slot, all read in one query. A create that loses a slot to another before it writes runs
/// again (the slots are under unique indexes).
pub async fn plan_new_bindings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    havip_id: &str,
    vms: &[VmBrief],
    vrid: i64,
    limits: BindingLimits,
    now: i64,
) -> Result<Vec<NewBinding>, StoreError> {
    let ids: Vec<String> = vms.iter().map(|vm| vm.id.clone()).collect();
    let taken = havips::vm_slots(conn, tenant_id, &ids).await?;
    let mut rows = Vec::with_capacity(vms.len());
    for (havip_slot, vm) in vms.iter().enumerate() {
        let used: Vec<i64> = taken.iter().filter(|(id, _)| *id == vm.id).map(|(_, slot)| *slot).collect();
        let vm_slot = free_slot(&used, limits.havips_per_vm).ok_or_else(|| {
            AppError::with_detail(
                ErrorCode::HavipsPerVmExceeded,
                format!("{} already carries {} HAVIPs", vm.id, limits.havips_per_vm),
            )
        })?;
        rows.push(NewBinding {
            havip_id: havip_id.to_owned(),
            vm_id: vm.id.clone(),
            havip_slot: havip_slot as i64,
            vm_slot,
            vrid,
            created_at: now,
        });
    }
    Ok(rows)
}

/// The VMs' other HAVIPs took every VRID: five HAVIPs per VM and three VMs per HAVIP make that
/// impossible with the default limits.
pub fn no_free_vrid() -> AppError {
    AppError::with_detail(ErrorCode::VridAlreadyUsed, "every virtual_router_id is used by the VMs' other HAVIPs")
}

impl super::Backend {
    /// Gives a VRID to each HAVIP made before VRIDs existed, once, when a server starts: the
    /// lowest free of its subnet and its VMs, oldest HAVIP first (R17).
    pub async fn assign_missing_vrids(&self) -> Result<usize, AppError> {
        let mut assigned = 0;
        loop {
            let missing = {
                let mut conn = self.db.reader().await?;
                havips::without_vrid(&mut conn, 500).await?
            };
            if missing.is_empty() {
                return Ok(assigned);
            }
            for (tenant, havip_id, subnet_id) in missing {
                let mut tx = TenantTx::begin(&self.db, &tenant).await?;
                let vm_ids: Vec<String> =
                    havips::bound_vms(&mut tx, &tenant, &havip_id).await?.into_iter().map(|vm| vm.id).collect();
                let around = vrids_around(&mut tx, &tenant, &havip_id, &subnet_id, &vm_ids).await?;
                let vrid = around.lowest_free().ok_or_else(no_free_vrid)?;
                havips::set_vrid(&mut tx, &havip_id, vrid).await?;
                havips::set_bindings_vrid(&mut tx, &havip_id, vrid).await?;
                tx.commit().await?;
                assigned += 1;
            }
        }
    }
}

/// The VRIDs around a HAVIP that is to be bound to `vm_ids`, in its subnet (R17).
pub async fn vrids_around(
    conn: &mut AnyConnection,
    tenant_id: &str,
    havip_id: &str,
    subnet_id: &str,
    vm_ids: &[String],
) -> Result<VridsAround, StoreError> {
    let in_subnet = havips::vrids_in_subnet(conn, tenant_id, subnet_id, havip_id).await?;
    Ok(VridsAround {
        sharing_a_vm: havips::vrids_on_vms(conn, tenant_id, vm_ids, havip_id).await?,
        subnet_havips: in_subnet.len(),
        in_subnet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_free_slot() {
        assert_eq!(free_slot(&[0, 2], 3), Some(1));
        assert_eq!(free_slot(&[0, 1, 2], 3), None);
    }
}
