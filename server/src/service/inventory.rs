//! The tenant's inventory as pickers and clients read it (its sync is in `inventory_sync`).

use super::Backend;
use crate::store::{StoreError, inventory};
use app::domain::AppError;
use app::domain::caller::Caller;
use app::domain::ids::{IdKind, is_well_formed};
use app::domain::inventory::{Inventory, Project, Subnet, Vm, Vpc};

impl Backend {
    /// Everything the console's filters and pickers need (kept per tenant revision).
    pub async fn inventory(&self, caller: &Caller) -> Result<Inventory, AppError> {
        let tenant = caller.tenant_id.as_str();
        let revision = self.revision(caller).await?;
        if let Some(hit) = self.list_cache.inventory(tenant, revision) {
            return Ok(hit.as_ref().clone());
        }
        let mut conn = self.db.reader().await?;
        let result: Result<Inventory, StoreError> = async {
            Ok(Inventory {
                limits: self.settings.limits,
                vpcs: inventory::vpcs(&mut conn, tenant).await?,
                subnets: inventory::subnets(&mut conn, tenant, None).await?,
                projects: inventory::projects(&mut conn, tenant).await?,
            })
        }
        .await;
        let inventory = result?;
        self.list_cache.put_inventory(tenant, revision, inventory.clone());
        Ok(inventory)
    }

    pub async fn vpcs(&self, caller: &Caller) -> Result<Vec<Vpc>, AppError> {
        let mut conn = self.db.reader().await?;
        Ok(inventory::vpcs(&mut conn, &caller.tenant_id).await?)
    }

    pub async fn subnets(&self, caller: &Caller, vpc_id: Option<&str>) -> Result<Vec<Subnet>, AppError> {
        if !names_a_possible_vpc(vpc_id) {
            return Ok(Vec::new());
        }
        let mut conn = self.db.reader().await?;
        Ok(inventory::subnets(&mut conn, &caller.tenant_id, vpc_id).await?)
    }

    pub async fn vms(&self, caller: &Caller, vpc_id: Option<&str>) -> Result<Vec<Vm>, AppError> {
        if !names_a_possible_vpc(vpc_id) {
            return Ok(Vec::new());
        }
        let mut conn = self.db.reader().await?;
        Ok(inventory::vms(&mut conn, &caller.tenant_id, vpc_id).await?)
    }

    pub async fn projects(&self, caller: &Caller) -> Result<Vec<Project>, AppError> {
        let mut conn = self.db.reader().await?;
        Ok(inventory::projects(&mut conn, &caller.tenant_id).await?)
    }
}

/// A VPC filter that is not the shape of a VPC ID selects nothing, as an unknown VPC does. It is
/// answered without the database, which would refuse some text (a NUL byte in Postgres) with an
/// error instead of an empty list.
fn names_a_possible_vpc(vpc_id: Option<&str>) -> bool {
    vpc_id.is_none_or(|id| is_well_formed(IdKind::Vpc, id))
}
