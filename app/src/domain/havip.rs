//! The HAVIP as the API and the console show it (product.md §5).

use super::ha::HavipHa;
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
    /// The VM that holds the VIP, as observed by the agents (null until exactly one holds it).
    pub master_vm_id: Option<String>,
    /// The VRRP virtual router ID of the HAVIP's keepalived instances (1–255).
    pub vrid: i64,
    /// Moves when the keepalived configuration changes (its VMs or its VRID).
    pub config_revision: i64,
    pub ha: HavipHa,
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
    /// Give it as `page_token` for the rows after this page; null on the last page.
    pub next_page_token: Option<String>,
}

impl Havip {
    /// The version an edit that was opened on `opened` carries, given `latest`, the newest copy
    /// the page has of the same HAVIP. What the system changes meanwhile (the status when a
    /// create settles, the master after a failover) does not make the edit stale; a change to
    /// what the edit dialog shows (name, remark, bound VMs) does, so the old version goes and
    /// the server refuses it (R14).
    pub fn edit_version(opened: &Havip, latest: Option<&Havip>) -> i64 {
        match latest {
            Some(latest)
                if latest.id == opened.id
                    && latest.name == opened.name
                    && latest.remark == opened.remark
                    && latest.vms == opened.vms =>
            {
                latest.version.max(opened.version)
            }
            _ => opened.version,
        }
    }
}

impl HavipPage {
    pub fn page_count(&self) -> u32 {
        let size = u64::from(self.page_size.max(1));
        u32::try_from(self.total.div_ceil(size)).unwrap_or(u32::MAX).max(1)
    }

    /// The page to show instead of this one, when this one lies past the last: its rows were
    /// deleted, or a link is older than the data. That is the last page (the first when
    /// nothing matches).
    pub fn last_page_if_past_end(&self) -> Option<u32> {
        (self.items.is_empty() && self.page > self.page_count()).then(|| self.page_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn havip(version: i64) -> Havip {
        Havip {
            id: "havip-test0001".into(),
            name: "web-vip".into(),
            remark: String::new(),
            status: HavipStatus::Creating,
            status_reason: None,
            ip: "10.0.1.10".into(),
            vpc: VpcRef { id: "vpc-a".into(), name: "a".into(), cidr: "10.0.0.0/16".into() },
            subnet: SubnetRef {
                id: "subnet-a".into(),
                name: "a".into(),
                cidr: "10.0.1.0/24".into(),
                gateway: "10.0.1.1".into(),
            },
            vms: vec![VmRef { id: "vm-1".into(), name: "one".into(), ip: "10.0.1.11".into() }],
            master_vm_id: None,
            vrid: 1,
            config_revision: 1,
            ha: HavipHa::default(),
            project: ProjectRef { id: "default".into(), name: "default".into() },
            created_at: Timestamp::from_micros(0),
            updated_at: Timestamp::from_micros(0),
            version,
        }
    }

    #[test]
    fn a_page_past_the_last_gives_way_to_the_last() {
        let page =
            |items: Vec<Havip>, total, page| HavipPage { items, total, page, page_size: 20, next_page_token: None };
        assert_eq!(page(Vec::new(), 40, 3).last_page_if_past_end(), Some(2));
        assert_eq!(page(Vec::new(), 0, 2).last_page_if_past_end(), Some(1));
        assert_eq!(page(Vec::new(), 0, 1).last_page_if_past_end(), None);
        assert_eq!(page(vec![havip(1)], 21, 2).last_page_if_past_end(), None);
    }

    #[test]
    fn an_edit_takes_the_newer_version_when_only_the_system_changed_the_havip() {
        let opened = havip(1);
        let settled = Havip { status: HavipStatus::Available, master_vm_id: Some("vm-1".into()), ..havip(2) };
        assert_eq!(Havip::edit_version(&opened, Some(&settled)), 2);
        assert_eq!(Havip::edit_version(&opened, None), 1);
    }

    #[test]
    fn an_edit_keeps_its_version_when_someone_changed_what_it_edits() {
        let opened = havip(1);
        let renamed = Havip { name: "other".into(), ..havip(2) };
        let remarked = Havip { remark: "new".into(), ..havip(2) };
        let rebound = Havip { vms: Vec::new(), ..havip(2) };
        let another = Havip { id: "havip-other001".into(), ..havip(2) };
        for latest in [renamed, remarked, rebound, another] {
            assert_eq!(Havip::edit_version(&opened, Some(&latest)), 1);
        }
    }
}
