//! The tenant's inventory (VPCs, subnets, VMs, projects): what the pickers and filters show
//! ([`Inventory`]), the documented import format with its validation ([`document`]), and what
//! a sync of a document changes ([`sync_plan`]).

mod document;
mod sync_plan;

pub use document::{InventoryDocument, ProjectEntry, SubnetEntry, ValidInventory, ValidVm, VmEntry, VpcEntry};
pub use sync_plan::{HavipPlace, InventoryState, SyncPlan, VmPlace, VmRow, VpcRow, plan_sync};

use super::cidr::{SubnetCidr, SubnetRange};
use super::ipv4::Ipv4;
use super::limits::BindingLimits;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Vpc {
    pub id: String,
    pub name: String,
    pub cidr: String,
    pub project_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub name: String,
    pub cidr: String,
    pub gateway: String,
    /// The subnet's logical switch in OVN, when the inventory names one (the OVN driver uses
    /// the subnet's ID otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ovn_switch: Option<String>,
}

impl Subnet {
    /// The range the HAVIP rules check addresses against (None only for corrupt data).
    pub fn range(&self) -> Option<SubnetRange> {
        Some(SubnetRange { cidr: SubnetCidr::parse(&self.cidr).ok()?, gateway: Ipv4::parse(&self.gateway).ok()? })
    }
}

/// A VM as a picker shows it, with how many HAVIPs it carries already (R10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Vm {
    pub id: String,
    pub name: String,
    pub ip: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub project_id: String,
    pub state: String,
    pub havip_count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: String,
    pub name: String,
    pub is_default: bool,
}

/// The network the console's filters and pickers offer, fetched at once. VMs come per VPC
/// (a large tenant has tens of thousands).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub limits: BindingLimits,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub projects: Vec<Project>,
}
