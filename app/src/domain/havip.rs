//! The HAVIP as the API and the console show it (product.md §5).

use super::status::HavipStatus;
use super::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VpcRef {
    pub id: String,
    pub name: String,
    pub cidr: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SubnetRef {
    pub id: String,
    pub name: String,
    pub cidr: String,
    pub gateway: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VmRef {
    pub id: String,
    pub name: String,
    pub ip: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Havip {
    pub id: String,
    pub name: String,
    pub remark: String,
    pub status: HavipStatus,
    pub status_reason: Option<String>,
    pub ip: String,
    pub vpc: VpcRef,
    pub subnet: SubnetRef,
    pub vms: Vec<VmRef>,
    pub master_vm_id: Option<String>,
    pub project: ProjectRef,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    pub version: i64,
}

/// One page of the list, with the total of all matching rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HavipPage {
    pub items: Vec<Havip>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

impl HavipPage {
    pub fn page_count(&self) -> u32 {
        let size = u64::from(self.page_size.max(1));
        u32::try_from(self.total.div_ceil(size)).unwrap_or(u32::MAX).max(1)
    }
}
