//! Creating a HAVIP (R1–R10, R15): one transaction writes the HAVIP in `creating`, its
//! bindings and its job; the worker does the rest.

use super::bindings::{check_vms, no_free_vrid, plan_new_bindings, vrids_around};
use super::{Backend, search_text, with_retries};
use crate::db::{new_id, now_micros};
use crate::store::havips::{self, NewHavipRow};
use crate::store::jobs::{self, JobKind};
use crate::store::{StoreError, TenantTx, UniqueTarget, idempotency, inventory, oplog};
use app::domain::caller::Caller;
use app::domain::ha::HavipHa;
use app::domain::havip::Havip;
use app::domain::havip::{SubnetRef, VmRef, VpcRef};
use app::domain::ids::IdKind;
use app::domain::input::{CreateHavipRequest, NewHavip};
use app::domain::status::HavipStatus;
use app::domain::time::Timestamp;
use app::domain::{AppError, ErrorCode, Field};
use sha2::{Digest, Sha256};

const MAX_IDEMPOTENCY_KEY: usize = 255;

impl Backend {
    pub async fn create_havip(
        &self,
        caller: &Caller,
        request: CreateHavipRequest,
        idempotency_key: Option<String>,
    ) -> Result<Havip, AppError> {
        if let Some(key) = &idempotency_key
            && (key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(AppError::invalid_parameter(
                Field::Body,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            ));
        }
        let new = request.validate(self.settings.limits)?;
        let request_hash = hex::encode(Sha256::digest(serde_json::to_vec(&request).unwrap_or_default()));
        let ip_given = new.ip.is_some();
        let vrid_given = new.vrid.is_some();
        with_retries(
            || self.try_create(caller, &new, idempotency_key.as_deref(), &request_hash),
            |target| match target {
                UniqueTarget::HavipIp if ip_given => Some(AppError::new(ErrorCode::IpAlreadyUsed)),
                // Another create took the address, a slot or the key first: look again.
                UniqueTarget::HavipIp
                | UniqueTarget::VmSlot
                | UniqueTarget::HavipSlot
                | UniqueTarget::IdempotencyKey => None,
                UniqueTarget::Binding => Some(AppError::new(ErrorCode::VmDuplicate)),
                // A create that shares a VM took the VRID first (R17).
                UniqueTarget::VmVrid if vrid_given => Some(AppError::new(ErrorCode::VridAlreadyUsed)),
                UniqueTarget::VmVrid => None,
                UniqueTarget::Other => Some(AppError::internal()),
            },
        )
        .await
        .inspect(|_| self.worker_bell.notify_one())
    }

    async fn try_create(
        &self,
        caller: &Caller,
        new: &NewHavip,
        key: Option<&str>,
        request_hash: &str,
    ) -> Result<Havip, StoreError> {
        let tenant = caller.tenant_id.as_str();
        let mut tx = TenantTx::begin(&self.db, tenant).await?;
        if let Some(answer) = stored_answer(&mut tx, tenant, key, request_hash).await? {
            return Ok(answer);
        }
        let vpc = inventory::find_vpc(&mut tx, tenant, &new.vpc_id)
            .await?
            .ok_or_else(|| AppError::with_detail(ErrorCode::VpcNotFound, format!("no VPC {}", new.vpc_id)))?;
        let subnet = inventory::find_subnet(&mut tx, tenant, &new.subnet_id)
            .await?
            .ok_or_else(|| AppError::with_detail(ErrorCode::SubnetNotFound, format!("no subnet {}", new.subnet_id)))?;
        if subnet.vpc_id != vpc.id {
            return Err(AppError::with_detail(
                ErrorCode::SubnetNotInVpc,
                format!("{} is not in {}", subnet.id, vpc.id),
            )
            .into());
        }
        // What depends neither on the subnet's addresses nor on the VMs (which an inventory sync,
        // holding the subnets, may move) is done before the subnet is locked, so that creates in
        // one subnet wait for each other as briefly as possible.
        // A HAVIP belongs where its VPC does, unless told otherwise.
        let project_id = new.project_id.as_deref().unwrap_or(&vpc.project_id);
        let project = inventory::find_project(&mut tx, tenant, project_id)
            .await?
            .ok_or_else(|| AppError::with_detail(ErrorCode::ProjectNotFound, format!("no project {project_id}")))?;
        let id = new_id(IdKind::Havip);
        let now = now_micros();
        oplog::record(
            &mut tx,
            caller,
            oplog::Entry { action: "havip.create", resource_id: Some(&id), outcome: "accepted", detail: None },
            now,
        )
        .await?;
        inventory::lock_subnet(&mut tx, &subnet.id).await?;
        // A retry that arrived while the first request ran waited for this lock; on Postgres it
        // now sees the first request's answer, which the look above could not (R15).
        if let Some(answer) = stored_answer(&mut tx, tenant, key, request_hash).await? {
            return Ok(answer);
        }
        let range =
            subnet.range().ok_or_else(|| StoreError::Config(format!("subnet {} has a corrupt range", subnet.id)))?;
        let ip = match new.ip {
            Some(ip) => {
                let ip = range.check_address(ip)?;
                let ip_num = i64::from(ip.to_u32());
                if inventory::vm_holds_address(&mut tx, tenant, &subnet.id, ip_num).await?
                    || havips::ip_taken(&mut tx, tenant, &subnet.id, ip_num).await?
                {
                    return Err(AppError::with_detail(
                        ErrorCode::IpAlreadyUsed,
                        format!("{ip} is in use in {}", subnet.id),
                    )
                    .into());
                }
                ip
            }
            None => range.lowest_free(&inventory::used_addresses(&mut tx, tenant, &subnet.id).await?)?,
        };
        let vms = check_vms(&mut tx, tenant, &vpc.id, new.vms.ids()).await?;
        let around = vrids_around(&mut tx, tenant, &id, &subnet.id, new.vms.ids()).await?;
        let vrid = match new.vrid {
            Some(vrid) => around.allows(vrid)?,
            None => around.lowest_free().ok_or_else(no_free_vrid)?,
        };
        let bindings = plan_new_bindings(&mut tx, tenant, &id, &vms, vrid, self.settings.limits, now).await?;
        let ip_text = ip.to_string();
        let row = NewHavipRow {
            id: id.clone(),
            project_id: project.id.clone(),
            name: new.name.as_str().to_owned(),
            remark: new.remark.as_str().to_owned(),
            vpc_id: vpc.id.clone(),
            subnet_id: subnet.id.clone(),
            ip,
            status: HavipStatus::Creating,
            status_reason: None,
            vrid,
            search_text: search_text(
                new.name.as_str(),
                new.remark.as_str(),
                &id,
                &ip_text,
                vms.iter().map(|vm| vm.name.as_str()),
            ),
            created_at: now,
        };
        havips::insert(&mut tx, std::slice::from_ref(&row)).await?;
        havips::insert_bindings(&mut tx, &bindings).await?;
        jobs::enqueue(&mut tx, &id, JobKind::Create, now).await?;
        // What was just written, as the API shows it (no need to read it back).
        let havip = Havip {
            id: id.clone(),
            name: new.name.as_str().to_owned(),
            remark: new.remark.as_str().to_owned(),
            status: HavipStatus::Creating,
            status_reason: None,
            ip: ip_text,
            vpc: VpcRef { id: vpc.id.clone(), name: vpc.name.clone(), cidr: vpc.cidr.clone() },
            subnet: SubnetRef {
                id: subnet.id.clone(),
                name: subnet.name.clone(),
                cidr: subnet.cidr.clone(),
                gateway: subnet.gateway.clone(),
            },
            vms: vms.iter().map(|vm| VmRef { id: vm.id.clone(), name: vm.name.clone(), ip: vm.ip.clone() }).collect(),
            master_vm_id: None,
            vrid,
            config_revision: 1,
            ha: HavipHa::default(),
            project,
            created_at: Timestamp::from_micros(now),
            updated_at: Timestamp::from_micros(now),
            version: 1,
        };
        if let Some(key) = key {
            let body = serde_json::to_string(&havip).map_err(|e| StoreError::Config(e.to_string()))?;
            idempotency::insert(&mut tx, key, request_hash, &body, now).await?;
        }
        tx.commit().await?;
        Ok(havip)
    }
}

/// The answer already given to a create with this Idempotency-Key, if any; the key used with
/// another request is refused.
async fn stored_answer(
    tx: &mut TenantTx,
    tenant: &str,
    key: Option<&str>,
    request_hash: &str,
) -> Result<Option<Havip>, StoreError> {
    let Some(key) = key else { return Ok(None) };
    let Some(answer) = idempotency::find(tx, tenant, key).await? else { return Ok(None) };
    if answer.request_hash != request_hash {
        return Err(AppError::with_detail(
            ErrorCode::IdempotencyKeyMismatch,
            "the key was used with a different request",
        )
        .into());
    }
    serde_json::from_str(&answer.response_body).map(Some).map_err(|e| StoreError::Config(format!("stored answer: {e}")))
}
