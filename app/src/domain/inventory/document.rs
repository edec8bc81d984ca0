//! The import format of a tenant's inventory and its validation, entry kind by entry kind.

use crate::domain::cidr::{SubnetCidr, SubnetRange};
use crate::domain::error::{AppError, ErrorCode};
use crate::domain::ids::{IdKind, is_well_formed};
use crate::domain::ipv4::Ipv4;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

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
/// `project` defaults to the tenant's default project and `state` to `running`. For the OVN
/// driver a subnet may name its logical switch (`ovn_switch`) and a VM its logical switch port
/// (`ovn_port`); without them the subnet's and the VM's own IDs are the names in OVN.
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
    /// The subnet's logical switch in OVN (default: the subnet's ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ovn_switch: Option<String>,
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
    /// The VM's logical switch port in OVN (default: the VM's ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ovn_port: Option<String>,
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
/// The longest name of an OVN switch or port taken: Neutron's are 44 characters.
const MAX_OVN_NAME: usize = 255;

impl InventoryDocument {
    /// Checks the whole document, entry by entry in document order; the error names the entry
    /// at fault, e.g. `vpcs[1].subnets[0].gateway: 10.0.2.1 is not a host address of 10.0.1.0/24`.
    pub fn validate(&self) -> Result<ValidInventory, AppError> {
        let mut seen = Seen::default();
        for (i, project) in self.projects.iter().enumerate() {
            seen.project(i, project)?;
        }
        let mut vpcs = Vec::with_capacity(self.vpcs.len());
        let mut subnets = Vec::new();
        for (i, vpc) in self.vpcs.iter().enumerate() {
            subnets.extend(seen.vpc(i, vpc)?);
            vpcs.push((vpc.clone(), vpc.project.clone()));
        }
        let vms = self.vms.iter().enumerate().map(|(i, vm)| seen.vm(i, vm)).collect::<Result<_, _>>()?;
        Ok(ValidInventory { projects: seen.projects, vpcs, subnets, vms })
    }
}

/// What the entries checked so far hold, against which the next one is checked.
#[derive(Default)]
struct Seen {
    projects: Vec<String>,
    /// Every ID of the document: IDs are global, so no two entries may share one.
    ids: HashSet<String>,
    /// Each subnet's range and VPC.
    subnets: HashMap<String, (SubnetRange, String)>,
    /// (subnet, address) of the VMs.
    addresses: HashSet<(String, Ipv4)>,
}

fn invalid(path: String, why: impl std::fmt::Display) -> AppError {
    AppError::with_detail(ErrorCode::InvalidInventory, format!("{path}: {why}"))
}

impl Seen {
    fn project(&mut self, i: usize, project: &ProjectEntry) -> Result<(), AppError> {
        let at = format!("projects[{i}].name");
        check_name(&project.name).map_err(|why| invalid(at.clone(), why))?;
        if self.projects.contains(&project.name) {
            return Err(invalid(at, format!("{:?} is listed twice", project.name)));
        }
        self.projects.push(project.name.clone());
        Ok(())
    }

    fn known_project(&self, at: String, project: &Option<String>) -> Result<(), AppError> {
        match project {
            Some(name) if !self.projects.contains(name) => Err(invalid(at, format!("{name:?} is not in projects"))),
            _ => Ok(()),
        }
    }

    fn new_id(&mut self, at: String, kind: IdKind, id: &str) -> Result<(), AppError> {
        if !is_well_formed(kind, id) || !self.ids.insert(id.to_owned()) {
            return Err(invalid(at, format!("{id:?} is not a new {}-… ID", kind.prefix())));
        }
        Ok(())
    }

    /// A VPC and its subnets; answers the subnets with their VPC's ID.
    fn vpc(&mut self, i: usize, vpc: &VpcEntry) -> Result<Vec<(String, SubnetEntry)>, AppError> {
        let at = format!("vpcs[{i}]");
        self.new_id(format!("{at}.id"), IdKind::Vpc, &vpc.id)?;
        check_name(&vpc.name).map_err(|why| invalid(format!("{at}.name"), why))?;
        let cidr = SubnetCidr::parse(&vpc.cidr).map_err(|why| invalid(format!("{at}.cidr"), why))?;
        self.known_project(format!("{at}.project"), &vpc.project)?;
        vpc.subnets
            .iter()
            .enumerate()
            .map(|(j, subnet)| {
                self.subnet(format!("{at}.subnets[{j}]"), &vpc.id, cidr, subnet)?;
                Ok((vpc.id.clone(), subnet.clone()))
            })
            .collect()
    }

    fn subnet(&mut self, at: String, vpc_id: &str, vpc_cidr: SubnetCidr, subnet: &SubnetEntry) -> Result<(), AppError> {
        self.new_id(format!("{at}.id"), IdKind::Subnet, &subnet.id)?;
        check_name(&subnet.name).map_err(|why| invalid(format!("{at}.name"), why))?;
        let cidr = SubnetCidr::parse(&subnet.cidr).map_err(|why| invalid(format!("{at}.cidr"), why))?;
        if !vpc_cidr.covers(cidr) {
            return Err(invalid(format!("{at}.cidr"), format!("{cidr} is outside the VPC's {vpc_cidr}")));
        }
        let overlapping = self
            .subnets
            .values()
            .find(|(range, vpc)| vpc == vpc_id && (range.cidr.covers(cidr) || cidr.covers(range.cidr)));
        if let Some((other, _)) = overlapping {
            return Err(invalid(format!("{at}.cidr"), format!("{cidr} overlaps {}", other.cidr)));
        }
        let gateway = Ipv4::parse(&subnet.gateway)
            .map_err(|_| invalid(format!("{at}.gateway"), format!("{:?} is not an IPv4 address", subnet.gateway)))?;
        let (first, last) = cidr.host_range();
        if gateway < first || gateway > last {
            return Err(invalid(format!("{at}.gateway"), format!("{gateway} is not a host address of {cidr}")));
        }
        check_ovn_name(&subnet.ovn_switch).map_err(|why| invalid(format!("{at}.ovn_switch"), why))?;
        self.subnets.insert(subnet.id.clone(), (SubnetRange { cidr, gateway }, vpc_id.to_owned()));
        Ok(())
    }

    fn vm(&mut self, i: usize, vm: &VmEntry) -> Result<ValidVm, AppError> {
        let at = format!("vms[{i}]");
        self.new_id(format!("{at}.id"), IdKind::Vm, &vm.id)?;
        check_name(&vm.name).map_err(|why| invalid(format!("{at}.name"), why))?;
        let Some((range, vpc_id)) = self.subnets.get(&vm.subnet_id) else {
            return Err(invalid(
                format!("{at}.subnet_id"),
                format!("{:?} is not a subnet of this document", vm.subnet_id),
            ));
        };
        let vpc_id = vpc_id.clone();
        let ip = Ipv4::parse(&vm.ip)
            .and_then(|ip| range.check_address(ip))
            .map_err(|e| invalid(format!("{at}.ip"), e.detail.unwrap_or_default()))?;
        if !self.addresses.insert((vm.subnet_id.clone(), ip)) {
            return Err(invalid(format!("{at}.ip"), format!("{ip} is used by another VM of the subnet")));
        }
        self.known_project(format!("{at}.project"), &vm.project)?;
        if let Some(state) = vm.state.as_deref().filter(|s| !matches!(*s, "running" | "stopped")) {
            return Err(invalid(format!("{at}.state"), format!("{state:?} is not running or stopped")));
        }
        check_ovn_name(&vm.ovn_port).map_err(|why| invalid(format!("{at}.ovn_port"), why))?;
        Ok(ValidVm { entry: vm.clone(), vpc_id, ip, project: vm.project.clone() })
    }
}

/// A name in OVN: printable, without spaces, and without the comma that separates a virtual
/// port's parents.
fn check_ovn_name(name: &Option<String>) -> Result<(), String> {
    let Some(name) = name else { return Ok(()) };
    let length = name.chars().count();
    if length == 0 || length > MAX_OVN_NAME || name.chars().any(|c| c.is_control() || c.is_whitespace() || c == ',') {
        return Err(format!(
            "{name:?} must have 1 to {MAX_OVN_NAME} characters, none of them a space, a comma or a control character"
        ));
    }
    Ok(())
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

    #[test]
    fn refuses_what_no_inventory_can_hold() {
        let cases: [(&str, fn(&mut InventoryDocument)); 10] = [
            ("projects[1].name", |d| d.projects.push(ProjectEntry { name: "ops".into() })),
            ("vpcs[0].project", |d| d.vpcs[0].project = Some("nobody".into())),
            ("vpcs[0].subnets[1].cidr", |d| {
                let mut twin = d.vpcs[0].subnets[0].clone();
                twin.id = "subnet-bbbbbbbb".into();
                twin.cidr = "10.0.1.0/25".into();
                d.vpcs[0].subnets.push(twin);
            }),
            ("vms[1].ip", |d| {
                let mut twin = d.vms[0].clone();
                twin.id = "vm-bbbbbbbb".into();
                d.vms.push(twin);
            }),
            ("vms[1].id", |d| {
                let mut twin = d.vms[0].clone();
                twin.ip = "10.0.1.11".into();
                d.vms.push(twin);
            }),
            ("vms[0].state", |d| d.vms[0].state = Some("paused".into())),
            ("vms[0].subnet_id", |d| d.vms[0].subnet_id = "subnet-zzzzzzzz".into()),
            ("vms[0].ovn_port", |d| d.vms[0].ovn_port = Some("vm1,vm2".into())),
            ("vms[0].ovn_port", |d| d.vms[0].ovn_port = Some(String::new())),
            ("vpcs[0].subnets[0].ovn_switch", |d| d.vpcs[0].subnets[0].ovn_switch = Some("ls 1".into())),
        ];
        for (path, break_it) in cases {
            let mut doc = document();
            break_it(&mut doc);
            let error = doc.validate().expect_err(path);
            assert_eq!(error.code, ErrorCode::InvalidInventory);
            assert!(error.detail.as_deref().is_some_and(|d| d.starts_with(path)), "{path}: {error}");
        }
    }
}
