//! The tenant's inventory (VPCs, subnets, VMs, projects): what the pickers and filters show,
//! and the documented import format with its validation.

use super::cidr::{SubnetCidr, SubnetRange};
use super::error::{AppError, ErrorCode};
use super::ids::{IdKind, is_well_formed};
use super::ipv4::Ipv4;
use super::limits::BindingLimits;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

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

/// The import format (`havip inventory import`, `PUT /api/v1/admin/inventory`). The document is
/// the whole truth about a tenant's inventory: what it leaves out is removed.
///
/// ```json
/// { "projects": [{"name": "default"}, {"name": "ops"}],
///   "vpcs": [{"id": "vpc-web00001", "name": "web", "cidr": "10.0.0.0/16", "project": "ops",
///             "subnets": [{"id": "subnet-web00001", "name": "web-a", "cidr": "10.0.1.0/24",
///                          "gateway": "10.0.1.1"}]}],
///   "vms": [{"id": "vm-web00001", "name": "web-1", "subnet_id": "subnet-web00001",
///            "ip": "10.0.1.10", "state": "running", "project": "ops"}] }
/// ```
/// `project` defaults to the tenant's default project and `state` to `running`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InventoryDocument {
    #[serde(default)]
    pub projects: Vec<ProjectEntry>,
    #[serde(default)]
    pub vpcs: Vec<VpcEntry>,
    #[serde(default)]
    pub vms: Vec<VmEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectEntry {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VpcEntry {
    pub id: String,
    pub name: String,
    pub cidr: String,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub subnets: Vec<SubnetEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubnetEntry {
    pub id: String,
    pub name: String,
    pub cidr: String,
    pub gateway: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VmEntry {
    pub id: String,
    pub name: String,
    pub subnet_id: String,
    pub ip: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
}

/// A checked document, flattened for the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidInventory {
    pub projects: Vec<String>,
    pub vpcs: Vec<(VpcEntry, Option<String>)>,
    pub subnets: Vec<(String, SubnetEntry)>,
    pub vms: Vec<ValidVm>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidVm {
    pub entry: VmEntry,
    pub vpc_id: String,
    pub ip: Ipv4,
    pub project: Option<String>,
}

const MAX_INVENTORY_NAME: usize = 128;

impl InventoryDocument {
    /// Checks the whole document; the error names the entry at fault, e.g.
    /// `vpcs[1].subnets[0].gateway: 10.0.2.1 is outside 10.0.1.0/24`.
    pub fn validate(&self) -> Result<ValidInventory, AppError> {
        let fail = |path: String, why: String| {
            Err(AppError::with_detail(ErrorCode::InvalidInventory, format!("{path}: {why}")))
        };
        let mut project_names = Vec::new();
        for (i, project) in self.projects.iter().enumerate() {
            if let Err(why) = check_name(&project.name) {
                return fail(format!("projects[{i}].name"), why);
            }
            if project_names.contains(&project.name) {
                return fail(format!("projects[{i}].name"), format!("{:?} is listed twice", project.name));
            }
            project_names.push(project.name.clone());
        }
        let known_project = |name: &Option<String>| name.as_ref().is_none_or(|n| project_names.contains(n));
        let mut ids = HashSet::new();
        let mut subnet_ranges: HashMap<&str, (SubnetRange, &str)> = HashMap::new();
        let mut vpcs = Vec::new();
        let mut subnets = Vec::new();
        for (i, vpc) in self.vpcs.iter().enumerate() {
            let at = format!("vpcs[{i}]");
            if !is_well_formed(IdKind::Vpc, &vpc.id) || !ids.insert(vpc.id.as_str()) {
                return fail(format!("{at}.id"), format!("{:?} is not a new vpc-… ID", vpc.id));
            }
            if let Err(why) = check_name(&vpc.name) {
                return fail(format!("{at}.name"), why);
            }
            let vpc_cidr = match SubnetCidr::parse(&vpc.cidr) {
                Ok(c) => c,
                Err(why) => return fail(format!("{at}.cidr"), why),
            };
            if !known_project(&vpc.project) {
                return fail(format!("{at}.project"), format!("{:?} is not in projects", vpc.project));
            }
            for (j, subnet) in vpc.subnets.iter().enumerate() {
                let at = format!("{at}.subnets[{j}]");
                if !is_well_formed(IdKind::Subnet, &subnet.id) || !ids.insert(subnet.id.as_str()) {
                    return fail(format!("{at}.id"), format!("{:?} is not a new subnet-… ID", subnet.id));
                }
                if let Err(why) = check_name(&subnet.name) {
                    return fail(format!("{at}.name"), why);
                }
                let cidr = match SubnetCidr::parse(&subnet.cidr) {
                    Ok(c) => c,
                    Err(why) => return fail(format!("{at}.cidr"), why),
                };
                if !vpc_cidr.covers(cidr) {
                    return fail(format!("{at}.cidr"), format!("{cidr} is outside the VPC's {vpc_cidr}"));
                }
                if let Some((other, _)) = subnet_ranges
                    .values()
                    .find(|(r, vpc_id)| *vpc_id == vpc.id && (r.cidr.covers(cidr) || cidr.covers(r.cidr)))
                {
                    return fail(format!("{at}.cidr"), format!("{cidr} overlaps {}", other.cidr));
                }
                let gateway = match Ipv4::parse(&subnet.gateway) {
                    Ok(g) => g,
                    Err(_) => {
                        return fail(format!("{at}.gateway"), format!("{:?} is not an IPv4 address", subnet.gateway));
                    }
                };
                let (first, last) = cidr.host_range();
                if gateway < first || gateway > last {
                    return fail(format!("{at}.gateway"), format!("{gateway} is not a host address of {cidr}"));
                }
                subnet_ranges.insert(subnet.id.as_str(), (SubnetRange { cidr, gateway }, vpc.id.as_str()));
                subnets.push((vpc.id.clone(), subnet.clone()));
            }
            vpcs.push((vpc.clone(), vpc.project.clone()));
        }
        let mut vms = Vec::new();
        let mut used_ips = HashSet::new();
        for (i, vm) in self.vms.iter().enumerate() {
            let at = format!("vms[{i}]");
            if !is_well_formed(IdKind::Vm, &vm.id) || !ids.insert(vm.id.as_str()) {
                return fail(format!("{at}.id"), format!("{:?} is not a new vm-… ID", vm.id));
            }
            if let Err(why) = check_name(&vm.name) {
                return fail(format!("{at}.name"), why);
            }
            let Some((range, vpc_id)) = subnet_ranges.get(vm.subnet_id.as_str()) else {
                return fail(format!("{at}.subnet_id"), format!("{:?} is not a subnet of this document", vm.subnet_id));
            };
            let ip = match Ipv4::parse(&vm.ip).and_then(|ip| range.check_address(ip)) {
                Ok(ip) => ip,
                Err(e) => return fail(format!("{at}.ip"), e.detail.unwrap_or_default()),
            };
            if !used_ips.insert((vm.subnet_id.as_str(), ip)) {
                return fail(format!("{at}.ip"), format!("{ip} is used by another VM of the subnet"));
            }
            if !known_project(&vm.project) {
                return fail(format!("{at}.project"), format!("{:?} is not in projects", vm.project));
            }
            if let Some(state) = &vm.state
                && !matches!(state.as_str(), "running" | "stopped")
            {
                return fail(format!("{at}.state"), format!("{state:?} is not running or stopped"));
            }
            vms.push(ValidVm { entry: vm.clone(), vpc_id: (*vpc_id).to_owned(), ip, project: vm.project.clone() });
        }
        Ok(ValidInventory { projects: project_names, vpcs, subnets, vms })
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let length = name.trim().chars().count();
    if length == 0 || length > MAX_INVENTORY_NAME || name.chars().any(char::is_control) {
        return Err(format!("{name:?} must have 1 to {MAX_INVENTORY_NAME} characters and no control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> InventoryDocument {
        serde_json::from_str(
            r#"{"projects":[{"name":"ops"}],
                "vpcs":[{"id":"vpc-aaaaaaaa","name":"v","cidr":"10.0.0.0/16","project":"ops",
                  "subnets":[{"id":"subnet-aaaaaaaa","name":"s","cidr":"10.0.1.0/24","gateway":"10.0.1.1"}]}],
                "vms":[{"id":"vm-aaaaaaaa","name":"m","subnet_id":"subnet-aaaaaaaa","ip":"10.0.1.10"}]}"#,
        )
        .expect("json")
    }

    #[test]
    fn accepts_a_good_document() {
        let valid = document().validate().expect("valid");
        assert_eq!(valid.vms[0].vpc_id, "vpc-aaaaaaaa");
    }

    #[test]
    fn names_the_entry_at_fault() {
        let mut doc = document();
        doc.vpcs[0].subnets[0].gateway = "10.0.2.1".into();
        let err = doc.validate().expect_err("gateway");
        assert_eq!(err.code, ErrorCode::InvalidInventory);
        assert!(err.detail.as_deref().is_some_and(|d| d.starts_with("vpcs[0].subnets[0].gateway")), "{err}");

        let mut doc = document();
        doc.vms[0].ip = "10.0.9.10".into();
        assert!(doc.validate().expect_err("vm ip").detail.unwrap_or_default().starts_with("vms[0].ip"));

        let mut doc = document();
        doc.vpcs[0].subnets[0].cidr = "10.1.1.0/24".into();
        assert!(doc.validate().expect_err("outside").detail.unwrap_or_default().starts_with("vpcs[0].subnets[0].cidr"));

        let mut doc = document();
        doc.vpcs[0].cidr = "10.0.0.0/33".into();
        assert!(doc.validate().expect_err("cidr").detail.unwrap_or_default().starts_with("vpcs[0].cidr"));
    }
}
