//! Binding VMs to HAVIPs under R8–R10. The limits are slot numbers under unique indexes
//! (see the schema), so they hold across processes; these functions pick the slots.

use crate::store::havips::{self, NewBinding};
use crate::store::inventory::{self, VmBrief};
use crate::store::{StoreError, TenantTx};
use app::domain::limits::BindingLimits;
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

/// Binds one VM, taking the lowest free slot on both sides (R9, R10).
pub async fn bind(
    tx: &mut TenantTx,
    tenant_id: &str,
    havip_id: &str,
    vm: &VmBrief,
    limits: BindingLimits,
    now: i64,
) -> Result<(), StoreError> {
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
        NewBinding { havip_id: havip_id.to_owned(), vm_id: vm.id.clone(), havip_slot, vm_slot, created_at: now };
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
            created_at: now,
        });
    }
    Ok(rows)
}

/// The HAVIP's new master: the current one if it is still bound, else the first bound VM.
pub fn master_after(current: Option<&str>, bound: &[String]) -> Option<String> {
    match current {
        Some(master) if bound.iter().any(|id| id == master) => Some(master.to_owned()),
        _ => bound.first().cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_master() {
        assert_eq!(free_slot(&[0, 2], 3), Some(1));
        assert_eq!(free_slot(&[0, 1, 2], 3), None);
        let bound = vec!["vm-b".to_owned(), "vm-c".to_owned()];
        assert_eq!(master_after(Some("vm-c"), &bound).as_deref(), Some("vm-c"));
        assert_eq!(master_after(Some("vm-a"), &bound).as_deref(), Some("vm-b"));
        assert_eq!(master_after(None, &[]), None);
    }
}
