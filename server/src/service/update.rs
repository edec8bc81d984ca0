//! Changing a HAVIP: name and remark in any status (R11), its VMs only while available (R12),
//! a stale version refused (R14). Every write takes the HAVIP's row lock first, so concurrent
//! changes of one HAVIP apply one after the other and the last whole set wins, never a mix.

use super::bindings::{bind, check_vms, no_free_vrid, vrids_around};
use super::ha::state::{Seen, record, rederive};
use super::{Backend, search_text, with_retries};
use crate::db::now_micros;
use crate::metrics::Metrics;
use crate::store::havips::{self, HavipFields, LockedHavip};
use crate::store::jobs::{self, JobKind};
use crate::store::{StoreError, TenantTx, UniqueTarget, inventory, oplog};
use app::domain::caller::Caller;
use app::domain::ha::HaChange;
use app::domain::havip::Havip;
use app::domain::ids::{IdKind, is_well_formed};
use app::domain::input::{HavipChanges, UpdateHavipRequest};
use app::domain::{AppError, ErrorCode, Field};

/// What a binding change does.
enum BindingChange<'a> {
    Keep,
    Replace(&'a [String]),
    Attach(&'a str),
    Detach(&'a str),
}

impl Backend {
    pub async fn update_havip(
        &self,
        caller: &Caller,
        id: &str,
        request: UpdateHavipRequest,
    ) -> Result<Havip, AppError> {
        if !is_well_formed(IdKind::Havip, id) {
            return Err(AppError::not_found());
        }
        let changes = request.validate(self.settings.limits)?;
        let binding = match &changes.vms {
            Some(set) => BindingChange::Replace(set.ids()),
            None => BindingChange::Keep,
        };
        self.change(caller, id, &changes, &binding, "havip.update").await
    }

    pub async fn attach_vm(&self, caller: &Caller, id: &str, vm_id: &str) -> Result<Havip, AppError> {
        if !is_well_formed(IdKind::Havip, id) {
            return Err(AppError::not_found());
        }
        if !is_well_formed(IdKind::Vm, vm_id) {
            return Err(AppError::with_detail(ErrorCode::VmNotFound, format!("no VM {vm_id:?}")).on_field(Field::VmId));
        }
        let changes = HavipChanges { name: None, remark: None, vms: None, version: None };
        // The rules of binding speak of `vm_ids`; an attach's request names its one VM `vm_id`.
        self.change(caller, id, &changes, &BindingChange::Attach(vm_id), "havip.attach_vm")
            .await
            .map_err(|error| if error.field == Some(Field::VmIds) { error.on_field(Field::VmId) } else { error })
    }

    pub async fn detach_vm(&self, caller: &Caller, id: &str, vm_id: &str) -> Result<Havip, AppError> {
        if !is_well_formed(IdKind::Havip, id) || !is_well_formed(IdKind::Vm, vm_id) {
            return Err(AppError::not_found());
        }
        let changes = HavipChanges { name: None, remark: None, vms: None, version: None };
        self.change(caller, id, &changes, &BindingChange::Detach(vm_id), "havip.detach_vm").await
    }

    async fn change(
        &self,
        caller: &Caller,
        id: &str,
        changes: &HavipChanges,
        binding: &BindingChange<'_>,
        action: &str,
    ) -> Result<Havip, AppError> {
        with_retries(
            || self.try_change(caller, id, changes, binding, action),
            |target| match target {
                // Another HAVIP took the VM's last slot between our look and our write: look again.
                UniqueTarget::VmSlot | UniqueTarget::HavipSlot => None,
                UniqueTarget::Binding => Some(AppError::new(ErrorCode::VmDuplicate)),
                _ => Some(AppError::internal()),
            },
        )
        .await
        .inspect(|_| {
            if self.settings.driver.programs_network() && !matches!(binding, BindingChange::Keep) {
                self.worker_bell.notify_one();
            }
        })
    }

    async fn try_change(
        &self,
        caller: &Caller,
        id: &str,
        changes: &HavipChanges,
        binding: &BindingChange<'_>,
        action: &str,
    ) -> Result<Havip, StoreError> {
        let tenant = caller.tenant_id.as_str();
        let limits = self.settings.limits;
        let mut tx = TenantTx::begin(&self.db, tenant).await?;
        if matches!(binding, BindingChange::Replace(_) | BindingChange::Attach(_)) {
            inventory::share_subnet_of_havip(&mut tx, id).await?;
        }
        let current = havips::lock(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
        if let Some(version) = changes.version
            && version != current.version
        {
            return Err(AppError::with_detail(
                ErrorCode::VersionConflict,
                format!("version {version} is stale; the HAVIP is at version {}", current.version),
            )
            .into());
        }
        if !matches!(binding, BindingChange::Keep) && !current.status.can_rebind() {
            return Err(AppError::with_detail(
                ErrorCode::IncorrectStatus,
                format!("VMs can be changed only while available; the HAVIP is {}", current.status.as_str()),
            )
            .into());
        }
        let now = now_micros();
        // The VMs to bind, and the VRID they are bound with (a new one if the current one is a
        // VRID of another HAVIP on one of them, R17).
        let mut vrid = current.vrid;
        let adding = match binding {
            BindingChange::Keep => Vec::new(),
            BindingChange::Replace(ids) => {
                let vms = check_vms(&mut tx, tenant, &current.vpc_id, ids).await?;
                havips::remove_bindings(&mut tx, id).await?;
                vms
            }
            BindingChange::Attach(vm_id) => {
                let vms = check_vms(&mut tx, tenant, &current.vpc_id, &[(*vm_id).to_owned()]).await?;
                if havips::bound_vms(&mut tx, tenant, id).await?.iter().any(|vm| vm.id == *vm_id) {
                    return Err(
                        AppError::with_detail(ErrorCode::VmDuplicate, format!("{vm_id} is bound already")).into()
                    );
                }
                vms
            }
            BindingChange::Detach(vm_id) => {
                if !havips::remove_binding(&mut tx, id, vm_id).await? {
                    return Err(
                        AppError::with_detail(ErrorCode::NotFound, format!("{vm_id} is not bound to {id}")).into()
                    );
                }
                Vec::new()
            }
        };
        if !adding.is_empty() {
            let mut target: Vec<String> =
                havips::bound_vms(&mut tx, tenant, id).await?.into_iter().map(|vm| vm.id).collect();
            target.extend(adding.iter().map(|vm| vm.id.clone()));
            let around = vrids_around(&mut tx, tenant, id, &current.subnet_id, &target).await?;
            if !around.keeps(vrid) {
                vrid = around.lowest_free().ok_or_else(no_free_vrid)?;
                havips::set_bindings_vrid(&mut tx, id, vrid).await?;
                let change = HaChange::VridChanged { from: current.vrid, to: vrid };
                record(&mut tx, id, &change, Seen { source: "server", agent_at: None, now }).await?;
            }
            for vm in &adding {
                bind(&mut tx, id, vm, vrid, limits, now).await?;
            }
        }
        let config_changed = !matches!(binding, BindingChange::Keep);
        write_fields(&mut tx, id, &current, changes, vrid, config_changed, now).await?;
        if config_changed {
            rederive(&mut tx, &[id.to_owned()], Seen { source: "server", agent_at: None, now }, &self.metrics).await?;
            // The network follows the VMs, in a job written with the change (as a create's is).
            if self.settings.driver.programs_network() {
                jobs::enqueue(&mut tx, id, JobKind::Rebind, now).await?;
            }
        }
        oplog::record(
            &mut tx,
            caller,
            oplog::Entry { action, resource_id: Some(id), outcome: "ok", detail: None },
            now,
        )
        .await?;
        let havip = havips::get(&mut tx, tenant, id).await?.ok_or_else(AppError::not_found)?;
        tx.commit().await?;
        Ok(havip)
    }
}

/// Writes name, remark, search text and VRID as they are after the change, moves the
/// configuration revision when the VMs changed, and bumps the version (every write does, so a
/// client's version goes stale whatever changed).
async fn write_fields(
    tx: &mut TenantTx,
    id: &str,
    current: &LockedHavip,
    changes: &HavipChanges,
    vrid: i64,
    config_changed: bool,
    now: i64,
) -> Result<(), StoreError> {
    let name = changes.name.as_ref().map_or(current.name.as_str(), |n| n.as_str());
    let remark = changes.remark.as_ref().map_or(current.remark.as_str(), |r| r.as_str());
    let tenant = tx.tenant_id().to_owned();
    let vms = havips::bound_vms(tx, &tenant, id).await?;
    let search = search_text(name, remark, id, &current.ip, vms.iter().map(|vm| vm.name.as_str()));
    let fields = HavipFields { name, remark, search_text: &search, vrid, config_changed };
    havips::update_fields(tx, id, fields, now).await
}

/// Brings up to date the HAVIPs whose VMs changed outside a HAVIP write (an inventory sync):
/// the search text of those whose VMs were renamed; for those that lost VMs, the
/// configuration revision and the HA state too; `rebind` get a job that makes the network follow.
pub async fn refresh_derived(
    tx: &mut TenantTx,
    unbound: &[String],
    renamed: &[String],
    rebind: &[String],
    now: i64,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    let mut rebind = rebind.to_vec();
    rebind.sort();
    rebind.dedup();
    for id in &rebind {
        jobs::enqueue(tx, id, JobKind::Rebind, now).await?;
    }
    let mut ids: Vec<&String> = unbound.iter().chain(renamed).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        if let Some(current) = havips::lock(tx, id).await? {
            let unchanged = HavipChanges { name: None, remark: None, vms: None, version: None };
            write_fields(tx, id, &current, &unchanged, current.vrid, unbound.contains(id), now).await?;
        }
    }
    rederive(tx, unbound, Seen { source: "server", agent_at: None, now }, metrics).await
}
