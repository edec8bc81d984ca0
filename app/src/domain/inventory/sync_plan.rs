//! What an inventory sync changes, decided without a database: given the tenant's inventory as
//! it is ([`InventoryState`]) and a validated document, [`plan_sync`] either refuses the
//! document with the rule it breaks or answers the writes that make the inventory exactly the
//! document's ([`SyncPlan`]). The server reads the state, plans, and writes the plan, in one
//! transaction that holds the tenant's subnets.
//!
//! The rules (docs/rules.md, "Inventory sync"):
//! - IDs are global: one that another tenant owns cannot be taken over;
//! - a subnet with HAVIPs keeps its CIDR, gateway and VPC;
//! - a subnet or VPC that HAVIPs still use cannot be removed;
//! - a VM that moves to another VPC loses its bindings (they were made for the old one), and a
//!   VM that leaves loses them too;
//! - R6 for VMs: a VM that is new or changes address cannot take an address a HAVIP of its
//!   subnet holds (what stays as it was is not judged again, so one old conflict does not block
//!   every later sync).

use super::{Project, Subnet, ValidInventory};
use crate::domain::error::{AppError, ErrorCode};
use crate::domain::ids::IdKind;
use crate::domain::ipv4::Ipv4;
use std::collections::{HashMap, HashSet};

/// A tenant's inventory before a sync, as much of it as the rules need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryState {
    pub projects: Vec<Project>,
    pub vpc_ids: Vec<String>,
    pub subnets: Vec<Subnet>,
    pub vms: Vec<VmPlace>,
    /// Where the tenant's HAVIPs are.
    pub havips: Vec<HavipPlace>,
    /// The document's IDs that another tenant owns.
    pub foreign_ids: Vec<String>,
}

/// A VM as it is placed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmPlace {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub ip: Ipv4,
    pub ovn_port: Option<String>,
}

/// A HAVIP's subnet and address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HavipPlace {
    pub id: String,
    pub subnet_id: String,
    pub ip: Ipv4,
}

/// A VPC to write, with the name of its project (`None`: the tenant's default project).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VpcRow {
    pub id: String,
    pub name: String,
    pub cidr: String,
    pub project: Option<String>,
}

/// A VM to write, with the name of its project (`None`: the tenant's default project).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmRow {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub ip: Ipv4,
    pub state: String,
    pub project: Option<String>,
    pub ovn_port: Option<String>,
}

/// The writes of a sync, in the order they are made: projects, then VPCs, subnets and VMs
/// (inserted or updated), then the bindings of VMs that move VPC or leave, then what the
/// document leaves out (VMs, subnets, VPCs, in that order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncPlan {
    pub new_projects: Vec<String>,
    pub vpcs: Vec<VpcRow>,
    pub subnets: Vec<Subnet>,
    pub vms: Vec<VmRow>,
    /// VMs whose bindings go: they move to another VPC or leave the inventory.
    pub unbind_vms: Vec<String>,
    pub remove_vms: Vec<String>,
    pub remove_subnets: Vec<String>,
    pub remove_vpcs: Vec<String>,
    /// VMs that keep their ID under a new name: their HAVIPs' search text changes.
    pub renamed_vms: Vec<String>,
    /// VMs whose port in OVN changes: their HAVIPs' virtual ports follow.
    pub vms_with_new_port: Vec<String>,
}

fn refused(detail: String) -> AppError {
    AppError::with_detail(ErrorCode::InvalidInventory, detail)
}

/// What kind of resource an ID names, for messages.
fn kind_of(id: &str) -> &'static str {
    match id.split('-').next() {
        Some(prefix) if prefix == IdKind::Vpc.prefix() => "VPC",
        Some(prefix) if prefix == IdKind::Subnet.prefix() => "subnet",
        _ => "VM",
    }
}

/// Decides what a sync of `document` does to a tenant whose inventory is `before`, or which
/// rule refuses it.
pub fn plan_sync(before: &InventoryState, document: &ValidInventory) -> Result<SyncPlan, AppError> {
    if let Some(id) = before.foreign_ids.first() {
        return Err(refused(format!("{} {id} belongs to another tenant", kind_of(id))));
    }
    let subnets_in_use: HashSet<&str> = before.havips.iter().map(|h| h.subnet_id.as_str()).collect();
    let old_subnets: HashMap<&str, &Subnet> = before.subnets.iter().map(|s| (s.id.as_str(), s)).collect();
    let vpcs_in_use: HashSet<&str> =
        subnets_in_use.iter().filter_map(|id| old_subnets.get(id)).map(|s| s.vpc_id.as_str()).collect();

    let known_projects: HashSet<&str> = before.projects.iter().map(|p| p.name.as_str()).collect();
    let mut plan = SyncPlan {
        new_projects: document.projects.iter().filter(|n| !known_projects.contains(n.as_str())).cloned().collect(),
        ..SyncPlan::default()
    };

    for (vpc, project) in &document.vpcs {
        plan.vpcs.push(VpcRow {
            id: vpc.id.clone(),
            name: vpc.name.clone(),
            cidr: vpc.cidr.clone(),
            project: project.clone(),
        });
    }
    for (vpc_id, entry) in &document.subnets {
        let subnet = Subnet {
            id: entry.id.clone(),
            vpc_id: vpc_id.clone(),
            name: entry.name.clone(),
            cidr: entry.cidr.clone(),
            gateway: entry.gateway.clone(),
            ovn_switch: entry.ovn_switch.clone(),
        };
        if let Some(old) = old_subnets.get(subnet.id.as_str()) {
            // A HAVIP's virtual port lives on its subnet's switch: that cannot move either.
            let moved = old.cidr != subnet.cidr
                || old.gateway != subnet.gateway
                || old.vpc_id != subnet.vpc_id
                || old.ovn_switch != subnet.ovn_switch;
            if moved && subnets_in_use.contains(subnet.id.as_str()) {
                return Err(refused(format!(
                    "subnet {} has HAVIPs: its CIDR, gateway, VPC and OVN switch cannot change",
                    subnet.id
                )));
            }
        }
        plan.subnets.push(subnet);
    }

    let old_vms: HashMap<&str, &VmPlace> = before.vms.iter().map(|vm| (vm.id.as_str(), vm)).collect();
    let havip_at: HashMap<(&str, Ipv4), &str> =
        before.havips.iter().map(|h| ((h.subnet_id.as_str(), h.ip), h.id.as_str())).collect();
    for vm in &document.vms {
        let row = VmRow {
            id: vm.entry.id.clone(),
            name: vm.entry.name.clone(),
            vpc_id: vm.vpc_id.clone(),
            subnet_id: vm.entry.subnet_id.clone(),
            ip: vm.ip,
            state: vm.entry.state.clone().unwrap_or_else(|| "running".to_owned()),
            project: vm.project.clone(),
            ovn_port: vm.entry.ovn_port.clone(),
        };
        let old = old_vms.get(row.id.as_str());
        let readdressed = old.is_none_or(|old| old.subnet_id != row.subnet_id || old.ip != row.ip);
        if readdressed && let Some(havip) = havip_at.get(&(row.subnet_id.as_str(), row.ip)) {
            return Err(refused(format!("VM {} cannot have {}: HAVIP {havip} holds that address", row.id, row.ip)));
        }
        if let Some(old) = old {
            if old.name != row.name {
                plan.renamed_vms.push(row.id.clone());
            }
            if old.vpc_id != row.vpc_id {
                plan.unbind_vms.push(row.id.clone());
            }
            if old.ovn_port != row.ovn_port {
                plan.vms_with_new_port.push(row.id.clone());
            }
        }
        plan.vms.push(row);
    }

    let kept_vms: HashSet<&str> = document.vms.iter().map(|vm| vm.entry.id.as_str()).collect();
    plan.remove_vms = before.vms.iter().map(|vm| vm.id.clone()).filter(|id| !kept_vms.contains(id.as_str())).collect();
    plan.unbind_vms.extend(plan.remove_vms.iter().cloned());

    let kept_subnets: HashSet<&str> = document.subnets.iter().map(|(_, s)| s.id.as_str()).collect();
    for subnet in before.subnets.iter().filter(|s| !kept_subnets.contains(s.id.as_str())) {
        if subnets_in_use.contains(subnet.id.as_str()) {
            return Err(refused(format!("subnet {} still has HAVIPs and cannot be removed", subnet.id)));
        }
        plan.remove_subnets.push(subnet.id.clone());
    }
    let kept_vpcs: HashSet<&str> = document.vpcs.iter().map(|(v, _)| v.id.as_str()).collect();
    for vpc in before.vpc_ids.iter().filter(|id| !kept_vpcs.contains(id.as_str())) {
        if vpcs_in_use.contains(vpc.as_str()) {
            return Err(refused(format!("VPC {vpc} still has HAVIPs and cannot be removed")));
        }
        plan.remove_vpcs.push(vpc.clone());
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inventory::InventoryDocument;

    fn document(vms: &str) -> ValidInventory {
        let json = format!(
            r#"{{"projects":[{{"name":"ops"}}],
                "vpcs":[{{"id":"vpc-aaaaaaaa","name":"a","cidr":"10.0.0.0/16","project":"ops",
                   "subnets":[{{"id":"subnet-aaaaaaaa","name":"s","cidr":"10.0.1.0/24","gateway":"10.0.1.1"}}]}},
                  {{"id":"vpc-bbbbbbbb","name":"b","cidr":"10.1.0.0/16",
                   "subnets":[{{"id":"subnet-bbbbbbbb","name":"t","cidr":"10.1.1.0/24","gateway":"10.1.1.1"}}]}}],
                "vms":[{vms}]}}"#
        );
        let document: InventoryDocument = serde_json::from_str(&json).expect("json");
        document.validate().expect("valid")
    }

    fn vm_entry(id: &str, name: &str, subnet: &str, ip: &str) -> String {
        format!(r#"{{"id":"{id}","name":"{name}","subnet_id":"{subnet}","ip":"{ip}"}}"#)
    }

    /// The state after `document` was synced into an empty tenant, with HAVIPs placed.
    fn state_of(document: &ValidInventory, havips: &[(&str, &str, &str)]) -> InventoryState {
        InventoryState {
            projects: vec![Project { id: "proj-default0".into(), name: "default".into(), is_default: true }],
            vpc_ids: document.vpcs.iter().map(|(v, _)| v.id.clone()).collect(),
            subnets: plan_sync(&InventoryState::default(), document).expect("first sync").subnets,
            vms: document
                .vms
                .iter()
                .map(|vm| VmPlace {
                    id: vm.entry.id.clone(),
                    name: vm.entry.name.clone(),
                    vpc_id: vm.vpc_id.clone(),
                    subnet_id: vm.entry.subnet_id.clone(),
                    ip: vm.ip,
                    ovn_port: vm.entry.ovn_port.clone(),
                })
                .collect(),
            havips: havips
                .iter()
                .map(|(id, subnet, ip)| HavipPlace {
                    id: (*id).into(),
                    subnet_id: (*subnet).into(),
                    ip: Ipv4::parse(ip).expect("ip"),
                })
                .collect(),
            foreign_ids: Vec::new(),
        }
    }

    fn refusal(result: Result<SyncPlan, AppError>) -> String {
        let error = result.expect_err("refused");
        assert_eq!(error.code, ErrorCode::InvalidInventory);
        error.detail.unwrap_or_default()
    }

    #[test]
    fn a_first_sync_writes_everything_and_removes_nothing() {
        let doc = document(&vm_entry("vm-aaaaaaaa", "one", "subnet-aaaaaaaa", "10.0.1.10"));
        let plan = plan_sync(&InventoryState::default(), &doc).expect("plan");
        assert_eq!(plan.new_projects, vec!["ops".to_owned()]);
        assert_eq!((plan.vpcs.len(), plan.subnets.len(), plan.vms.len()), (2, 2, 1));
        assert_eq!(plan.vms[0].state, "running");
        assert!(plan.remove_vms.is_empty() && plan.unbind_vms.is_empty() && plan.renamed_vms.is_empty());
    }

    #[test]
    fn an_id_of_another_tenant_is_not_taken_over() {
        let doc = document("");
        let before = InventoryState { foreign_ids: vec!["subnet-bbbbbbbb".into()], ..InventoryState::default() };
        assert_eq!(refusal(plan_sync(&before, &doc)), "subnet subnet-bbbbbbbb belongs to another tenant");
    }

    #[test]
    fn the_names_in_ovn_follow_the_document_but_a_used_switch_stays() {
        let doc = document(&vm_entry("vm-aaaaaaaa", "m", "subnet-aaaaaaaa", "10.0.1.10"));
        let before = state_of(&doc, &[("havip-aaaaaaaa", "subnet-aaaaaaaa", "10.0.1.50")]);
        let mut switched = doc.clone();
        switched.subnets[0].1.ovn_switch = Some("neutron-aaaa".into());
        assert!(refusal(plan_sync(&before, &switched)).contains("OVN switch cannot change"));
        let mut unused = doc.clone();
        unused.subnets[1].1.ovn_switch = Some("neutron-bbbb".into());
        assert_eq!(plan_sync(&before, &unused).expect("plan").subnets[1].ovn_switch.as_deref(), Some("neutron-bbbb"));
        let mut ported = doc.clone();
        ported.vms[0].entry.ovn_port = Some("port-1".into());
        let plan = plan_sync(&before, &ported).expect("plan");
        assert_eq!(plan.vms_with_new_port, vec!["vm-aaaaaaaa".to_owned()], "its HAVIPs follow the new port");
    }

    #[test]
    fn a_subnet_with_havips_keeps_its_cidr_gateway_and_vpc() {
        let doc = document("");
        let before = state_of(&doc, &[("havip-aaaaaaaa", "subnet-aaaaaaaa", "10.0.1.50")]);
        let mut moved = doc.clone();
        moved.subnets[0].1.gateway = "10.0.1.254".into();
        assert!(refusal(plan_sync(&before, &moved)).starts_with("subnet subnet-aaaaaaaa has HAVIPs"));
        let mut renamed = doc.clone();
        renamed.subnets[0].1.name = "renamed".into();
        assert!(plan_sync(&before, &renamed).is_ok(), "a new name is fine");
        let mut other = doc.clone();
        other.subnets[1].1.gateway = "10.1.1.254".into();
        assert!(plan_sync(&before, &other).is_ok(), "a subnet without HAVIPs may change");
    }

    #[test]
    fn a_subnet_or_vpc_in_use_is_not_removed() {
        let doc = document("");
        let before = state_of(&doc, &[("havip-aaaaaaaa", "subnet-aaaaaaaa", "10.0.1.50")]);
        let mut without_subnet = doc.clone();
        without_subnet.subnets.remove(0);
        assert!(refusal(plan_sync(&before, &without_subnet)).contains("still has HAVIPs"));
        let mut without_vpc = without_subnet.clone();
        without_vpc.vpcs.remove(0);
        assert!(refusal(plan_sync(&before, &without_vpc)).starts_with("subnet subnet-aaaaaaaa"));
        let mut empty = document("");
        empty.subnets.remove(1);
        empty.vpcs.remove(1);
        let plan = plan_sync(&before, &empty).expect("the unused VPC and subnet go");
        assert_eq!(
            (plan.remove_subnets, plan.remove_vpcs),
            (vec!["subnet-bbbbbbbb".to_owned()], vec!["vpc-bbbbbbbb".to_owned()])
        );
    }

    #[test]
    fn a_vm_that_moves_vpc_or_leaves_loses_its_bindings() {
        let doc = document(
            &[
                vm_entry("vm-aaaaaaaa", "one", "subnet-aaaaaaaa", "10.0.1.10"),
                vm_entry("vm-cccccccc", "two", "subnet-aaaaaaaa", "10.0.1.11"),
            ]
            .join(","),
        );
        let before = state_of(&doc, &[]);
        let next = document(&vm_entry("vm-aaaaaaaa", "one-renamed", "subnet-bbbbbbbb", "10.1.1.10"));
        let plan = plan_sync(&before, &next).expect("plan");
        assert_eq!(plan.unbind_vms, vec!["vm-aaaaaaaa".to_owned(), "vm-cccccccc".to_owned()]);
        assert_eq!(plan.remove_vms, vec!["vm-cccccccc".to_owned()]);
        assert_eq!(plan.renamed_vms, vec!["vm-aaaaaaaa".to_owned()]);
    }

    #[test]
    fn a_vm_may_not_take_a_havips_address_but_one_already_there_stays() {
        let doc = document(&vm_entry("vm-aaaaaaaa", "one", "subnet-aaaaaaaa", "10.0.1.10"));
        let before = state_of(&doc, &[("havip-aaaaaaaa", "subnet-aaaaaaaa", "10.0.1.50")]);
        let onto = document(&vm_entry("vm-aaaaaaaa", "one", "subnet-aaaaaaaa", "10.0.1.50"));
        assert_eq!(
            refusal(plan_sync(&before, &onto)),
            "VM vm-aaaaaaaa cannot have 10.0.1.50: HAVIP havip-aaaaaaaa holds that address"
        );
        let new_vm = document(&vm_entry("vm-dddddddd", "new", "subnet-aaaaaaaa", "10.0.1.50"));
        assert!(refusal(plan_sync(&before, &new_vm)).starts_with("VM vm-dddddddd"));
        // A conflict from before (a HAVIP made when the VM had another address) is not judged again.
        let conflicted = state_of(&onto, &[("havip-aaaaaaaa", "subnet-aaaaaaaa", "10.0.1.50")]);
        assert!(plan_sync(&conflicted, &onto).is_ok());
    }
}
